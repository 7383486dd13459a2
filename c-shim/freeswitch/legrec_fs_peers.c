/*
 * legrec_fs_peers.c -- who a recorded session talks to, from CHANNEL_BRIDGE
 * and CHANNEL_UNBRIDGE (an event thread).  The queue member: mod_callcenter
 * marks the agent's leg with cc_agent and cc_member_uuid, but loopback
 * agents bow out of the bridge, so its callcenter::info bridge-agent-start
 * event, which names the agent and the member session, says it too.
 */
#include "legrec_fs.h"

/* The recorded session `id`'s private data and a read lock on the
 * session, or NULL.  The private lives as long as the session; whether it
 * is still recording is asked under its lock (legrec_fs_hold). */
static struct legrec_fs_chan *recorded(const char *id, switch_core_session_t **session)
{
	struct legrec_fs_chan *lc;

	if (zstr(id) || !(*session = switch_core_session_locate(id))) {
		return NULL;
	}
	if (!(lc = switch_channel_get_private(switch_core_session_get_channel(*session), LEGREC_PRIVATE))) {
		switch_core_session_rwunlock(*session);
	}
	return lc;
}

static void set_agent(switch_core_session_t *session, const char *agent)
{
	if (*agent) {
		switch_channel_set_variable(switch_core_session_get_channel(session), "legrec_agent", agent);
	}
}

static void joined(switch_core_session_t *session, struct legrec_fs_chan *lc, const char *other_id)
{
	switch_core_session_t *other;
	switch_channel_t *oc;
	switch_caller_profile_t *cp;
	const char *member = NULL, *for_uuid;
	char agent[128] = "";
	legrec_peer peer = { 0 };
	legrec_recording *rec;

	if (!(other = switch_core_session_locate(other_id))) {
		return;
	}
	oc = switch_core_session_get_channel(other);
	cp = switch_channel_get_caller_profile(oc);
	for_uuid = switch_channel_get_variable(oc, "cc_member_uuid");
	if (for_uuid && !strcmp(for_uuid, switch_core_session_get_uuid(session))) {
		member = switch_channel_get_variable(oc, "cc_agent");
	}
	peer.channel = switch_channel_get_name(oc);
	peer.number = cp ? cp->caller_id_number : NULL;
	peer.name = cp ? cp->caller_id_name : NULL;
	peer.member = member;
	if ((rec = legrec_fs_hold(lc))) {
		if (legrec_recording_peer_join(rec, &peer) == LEGREC_OK && lc->npeers < LEGREC_FS_MAX_PEERS) {
			switch_copy_string(lc->peer_uuid[lc->npeers], other_id, sizeof(lc->peer_uuid[0]));
			switch_copy_string(lc->peer_name[lc->npeers], peer.channel, sizeof(lc->peer_name[0]));
			lc->npeers++;
		}
		if (legrec_recording_agent(rec, agent, sizeof(agent)) != LEGREC_OK) {
			*agent = '\0';
		}
		legrec_fs_release(lc);
	}
	switch_core_session_rwunlock(other);
	set_agent(session, agent);
}

/* `other_id` left: by uuid, since its session may be gone already. */
static void left(struct legrec_fs_chan *lc, const char *other_id)
{
	legrec_recording *rec;
	int i;

	if (!(rec = legrec_fs_hold(lc))) {
		return;
	}
	for (i = 0; i < lc->npeers; i++) {
		if (!strcmp(lc->peer_uuid[i], other_id)) {
			legrec_recording_peer_leave(rec, lc->peer_name[i]);
			lc->npeers--;
			if (i < lc->npeers) {
				memcpy(lc->peer_uuid[i], lc->peer_uuid[lc->npeers], sizeof(lc->peer_uuid[0]));
				memcpy(lc->peer_name[i], lc->peer_name[lc->npeers], sizeof(lc->peer_name[0]));
			}
			break;
		}
	}
	legrec_fs_release(lc);
}

void legrec_fs_peers_event(switch_event_t *event, int bridged)
{
	const char *ids[2] = { switch_event_get_header(event, "Bridge-A-Unique-ID"),
		switch_event_get_header(event, "Bridge-B-Unique-ID") };
	int i;

	if (zstr(ids[0]) || zstr(ids[1])) {
		return;
	}
	for (i = 0; i < 2; i++) {
		switch_core_session_t *session;
		struct legrec_fs_chan *lc = recorded(ids[i], &session);

		if (!lc) {
			continue;
		}
		if (bridged) {
			joined(session, lc, ids[!i]);
		} else {
			left(lc, ids[!i]);
		}
		switch_core_session_rwunlock(session);
	}
}

/* callcenter::info: `bridge-agent-start` names the agent who answered the
 * member session. */
void legrec_fs_peers_queue_event(switch_event_t *event)
{
	const char *action = switch_event_get_header(event, "CC-Action");
	const char *agent = switch_event_get_header(event, "CC-Agent");
	switch_core_session_t *session;
	struct legrec_fs_chan *lc;
	legrec_recording *rec;
	char who[128] = "";

	if (zstr(action) || strcmp(action, "bridge-agent-start") || zstr(agent)) {
		return;
	}
	if (!(lc = recorded(switch_event_get_header(event, "CC-Member-Session-UUID"), &session))) {
		return;
	}
	if ((rec = legrec_fs_hold(lc))) {
		legrec_recording_peer_member(rec, agent, NULL);
		if (legrec_recording_agent(rec, who, sizeof(who)) != LEGREC_OK) {
			*who = '\0';
		}
		legrec_fs_release(lc);
	}
	set_agent(session, who);
	switch_core_session_rwunlock(session);
}
