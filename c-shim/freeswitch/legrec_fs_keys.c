/*
 * legrec_fs_keys.c -- agent keys on FreeSWITCH: every DTMF digit of the
 * recorded session goes to the core, which says which belong to a key;
 * those are dropped, so the other party never hears them.
 *
 * recv_dtmf sees the digits the session's own party sends (RFC 2833, SIP
 * INFO, inband detection: the caller side); a hook that does not return
 * success keeps the digit out of the channel's queue, so no bridge or
 * application ever sees it.  send_dtmf sees what is about to go out to that
 * party, which in a bridge is the other party's digits (the agent side);
 * there a failing hook stops the digit before the endpoint.
 *
 * Digits FreeSWITCH makes itself (send_dtmf, uuid_send_dtmf, queue_dtmf)
 * carry DTMF_FLAG_SKIP_PROCESS unless written with a leading `~`, and then
 * FreeSWITCH runs no hook at all: it means them as digits nothing should
 * act on, and so do we.
 */
#include "legrec_fs.h"

static switch_status_t on_dtmf(switch_core_session_t *session, const switch_dtmf_t *dtmf,
	switch_dtmf_direction_t direction)
{
	struct legrec_fs_chan *lc = switch_channel_get_private(switch_core_session_get_channel(session), LEGREC_PRIVATE);
	legrec_side side = direction == SWITCH_DTMF_RECV ? LEGREC_SIDE_CALLER : LEGREC_SIDE_AGENT;
	legrec_key_result r = LEGREC_KEY_PASS;
	legrec_recording *rec;

	if (!lc || !(rec = legrec_fs_hold(lc))) {
		return SWITCH_STATUS_SUCCESS;
	}
	/* FreeSWITCH hands a digit over once, when it is whole: that is its
	 * end, when a key acts. */
	if (legrec_recording_key(rec, side, dtmf->digit, true, &r) != LEGREC_OK) {
		r = LEGREC_KEY_PASS;
	}
	legrec_fs_release(lc);
	if (r == LEGREC_KEY_PASS) {
		return SWITCH_STATUS_SUCCESS;
	}
	if (r == LEGREC_KEY_ACTED) {
		switch_log_printf(SWITCH_CHANNEL_SESSION_LOG(session), SWITCH_LOG_INFO, "recording %s: agent key (%s side)\n",
			lc->id, side == LEGREC_SIDE_CALLER ? "caller" : "agent");
	}
	return SWITCH_STATUS_FALSE;
}

void legrec_fs_keys_attach(switch_core_session_t *session)
{
	switch_core_event_hook_add_recv_dtmf(session, on_dtmf);
	switch_core_event_hook_add_send_dtmf(session, on_dtmf);
}

/* The hooks' nodes are the session pool's: a thread walking the list
 * while they come off still finds its next node. */
void legrec_fs_keys_detach(switch_core_session_t *session)
{
	switch_core_event_hook_remove_recv_dtmf(session, on_dtmf);
	switch_core_event_hook_remove_send_dtmf(session, on_dtmf);
}
