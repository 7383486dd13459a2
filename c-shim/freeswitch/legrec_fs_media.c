/*
 * legrec_fs_media.c -- where a frame enters on FreeSWITCH: a media bug on
 * the recorded session, the notice, and the consent window.
 *
 * The bug asks for SMBF_READ_REPLACE | SMBF_WRITE_REPLACE: FreeSWITCH then
 * hands it each frame of each direction, decoded, on the thread that moves
 * it (READ and WRITE may be different threads; the core has a ring per leg).
 * The stream flags (SMBF_READ_STREAM | SMBF_WRITE_STREAM) would copy every
 * frame into the bug's own buffers under a mutex for a reader to mix; we
 * need the directions apart, and the frame itself, so the callback only
 * passes it to the core and gives it back unchanged (or with the warning
 * beep mixed in).
 */
#include "legrec_fs.h"

static uint32_t frame_rate(switch_frame_t *f, uint32_t fallback)
{
	return f->rate ? f->rate : fallback;
}

/* The warning beep goes into the frame itself, before the core takes it:
 * the party hears it and the recording keeps it. */
static void record_frame(struct legrec_fs_chan *lc, legrec_leg leg, switch_frame_t *f, uint32_t rate)
{
	bool mixed = false;

	if (!f || !f->data || !f->samples || f->channels > 1) {
		return;
	}
	if (lc->beep) {
		legrec_recording_beep(lc->rec, leg, f->data, f->samples, rate, &mixed);
	}
	legrec_recording_push(lc->rec, leg, f->data, f->samples, rate);
}

static switch_bool_t on_bug(switch_media_bug_t *bug, void *user_data, switch_abc_type_t type)
{
	struct legrec_fs_chan *lc = user_data;
	switch_frame_t *f;

	switch (type) {
	case SWITCH_ABC_TYPE_READ_REPLACE:
		if ((f = switch_core_media_bug_get_read_replace_frame(bug))) {
			record_frame(lc, LEGREC_LEG_IN, f, frame_rate(f, lc->read_rate));
			switch_core_media_bug_set_read_replace_frame(bug, f);
		}
		break;
	case SWITCH_ABC_TYPE_WRITE_REPLACE:
		if ((f = switch_core_media_bug_get_write_replace_frame(bug))) {
			record_frame(lc, LEGREC_LEG_OUT, f, frame_rate(f, lc->write_rate));
			switch_core_media_bug_set_write_replace_frame(bug, f);
		}
		break;
	case SWITCH_ABC_TYPE_CLOSE: {
		/* Hangup, stop or unload: the handle goes; a core worker
		 * finalizes the files and raises legrec::stop.  No frame comes
		 * after CLOSE (FreeSWITCH unlinks the bug first), but event, API
		 * and DTMF threads may be in a core call: taken under the lock. */
		legrec_recording *rec;

		switch_mutex_lock(lc->lock);
		rec = lc->rec;
		lc->rec = NULL;
		lc->bug = NULL;
		switch_mutex_unlock(lc->lock);
		legrec_fs_keys_detach(switch_core_media_bug_get_session(bug));
		legrec_recording_free(rec);
		legrec_fs_live_remove(lc->uuid);
		break;
	}
	default:
		break;
	}
	return SWITCH_TRUE;
}

/* Played when the sound opened and started (the header's one rule): the
 * return status cannot tell a missing file from a hangup mid-notice, but
 * only an open file handle gets a native rate.  The core keeps the notice
 * out of the recording if the policy says so. */
static void play_notice(switch_core_session_t *session, struct legrec_fs_chan *lc)
{
	switch_channel_t *channel = switch_core_session_get_channel(session);
	switch_file_handle_t fh = { 0 };
	legrec_recording *rec;

	if ((rec = legrec_fs_hold(lc))) {
		legrec_recording_notice_begin(rec, LEGREC_SIDE_CALLER);
		legrec_fs_release(lc);
	}
	if (switch_ivr_play_file(session, &fh, lc->notice, NULL) != SWITCH_STATUS_SUCCESS && !fh.native_rate) {
		switch_log_printf(SWITCH_CHANNEL_SESSION_LOG(session), SWITCH_LOG_WARNING,
			"%s: could not play recording notice '%s'\n", switch_channel_get_name(channel), lc->notice);
	}
	if ((rec = legrec_fs_hold(lc))) {
		legrec_recording_notice_end(rec, LEGREC_SIDE_CALLER, fh.native_rate > 0);
		legrec_fs_release(lc);
	}
}

/* A notice another thread plays (uuid_broadcast): played when queued. */
static void queue_notice(struct legrec_fs_chan *lc, const char *uuid, legrec_side side)
{
	legrec_recording *rec;
	bool queued;

	if ((rec = legrec_fs_hold(lc))) {
		legrec_recording_notice_begin(rec, side);
		legrec_fs_release(lc);
	}
	queued = switch_ivr_broadcast(uuid, lc->notice, SMF_ECHO_ALEG) == SWITCH_STATUS_SUCCESS;
	if ((rec = legrec_fs_hold(lc))) {
		legrec_recording_notice_end(rec, side, queued);
		legrec_fs_release(lc);
	}
}

static switch_status_t on_key(switch_core_session_t *session, void *input, switch_input_type_t type, void *buf,
	unsigned int len)
{
	if (type == SWITCH_INPUT_TYPE_DTMF) {
		*(char *) buf = ((switch_dtmf_t *) input)->digit;
		return SWITCH_STATUS_BREAK;
	}
	return SWITCH_STATUS_SUCCESS;
}

/* The consent window: the prompt, then keys until the consent key or the
 * timeout.  The core decides what each key means. */
static legrec_consent_decision ask_consent(switch_core_session_t *session, struct legrec_fs_chan *lc,
	const legrec_plan *plan)
{
	switch_channel_t *channel = switch_core_session_get_channel(session);
	legrec_consent_decision decision = LEGREC_CONSENT_WAIT;
	switch_time_t end = switch_micro_time_now() + (switch_time_t) plan->consent_timeout_ms * 1000;
	legrec_recording *rec;
	char key = 0;

	if (!(rec = legrec_fs_hold(lc))) {
		return decision;
	}
	legrec_recording_consent_begin(rec);
	legrec_fs_release(lc);
	if (!zstr(plan->consent_prompt)) {
		switch_input_args_t args = { 0 };

		args.input_callback = on_key;
		args.buf = &key;
		args.buflen = 1;
		switch_ivr_play_file(session, NULL, plan->consent_prompt, &args);
	}
	while (decision == LEGREC_CONSENT_WAIT && switch_channel_ready(channel)) {
		switch_time_t now = switch_micro_time_now();

		if (!key && now < end) {
			char buf[2] = "";

			switch_ivr_collect_digits_count(session, buf, sizeof(buf), 1, NULL, NULL,
				(uint32_t) ((end - now) / 1000), 0, 0);
			key = buf[0];
		}
		if (!(rec = legrec_fs_hold(lc))) {
			break;
		}
		legrec_recording_consent(rec, key, &decision);
		legrec_fs_release(lc);
		if (!key) {
			break;
		}
		key = 0;
	}
	return decision;
}

/* Take legrec's bug off (its CLOSE frees the handle).  The pointer is
 * read under the lock and used after it: a bug is the session pool's, and
 * FreeSWITCH looks for it in the session's list before touching it, so one
 * that closed meanwhile is simply not found. */
static void remove_bug(switch_core_session_t *session, struct legrec_fs_chan *lc)
{
	switch_media_bug_t *bug;

	switch_mutex_lock(lc->lock);
	bug = lc->bug;
	switch_mutex_unlock(lc->lock);
	if (bug) {
		switch_core_media_bug_remove(session, &bug);
	}
}

static void fill_call(switch_channel_t *channel, legrec_call_info *ci, char *pbx, size_t pbx_len)
{
	switch_snprintf(pbx, pbx_len, "FreeSWITCH %s", switch_version_full());
	ci->pbx = pbx;
	ci->channel = switch_channel_get_name(channel);
	ci->uniqueid = switch_channel_get_uuid(channel);
	ci->caller_number = switch_channel_get_variable(channel, "caller_id_number");
	ci->caller_name = switch_channel_get_variable(channel, "caller_id_name");
	ci->callee = switch_channel_get_variable(channel, "destination_number");
	ci->queue = switch_channel_get_variable(channel, "legrec_queue");
	ci->pbx_queue = switch_channel_get_variable(channel, "cc_queue");
}

switch_status_t legrec_fs_start(switch_core_session_t *session, const char *policy, int own_thread,
	const char **status)
{
	switch_channel_t *channel = switch_core_session_get_channel(session);
	struct legrec_fs_chan *lc;
	legrec_call_info ci = { 0 };
	legrec_recording *rec = NULL;
	switch_codec_implementation_t impl = { 0 };
	switch_media_bug_t *bug = NULL;
	legrec_plan plan;
	legrec_result r;
	char pbx[64], prompt[256], files[2048] = "";

	*status = legrec_start_name(LEGREC_START_FAILED);
	if (switch_channel_get_private(channel, LEGREC_PRIVATE)) {
		switch_log_printf(SWITCH_CHANNEL_SESSION_LOG(session), SWITCH_LOG_WARNING, "already recorded by legrec\n");
		*status = legrec_start_name(LEGREC_START_RECORDING);
		return SWITCH_STATUS_SUCCESS;
	}
	fill_call(channel, &ci, pbx, sizeof(pbx));
	/* From the API nobody runs a consent window: the core refuses such a
	 * policy before it opens any file. */
	ci.unattended = !own_thread;
	switch_thread_rwlock_rdlock(legrec_fs_core_lock);
	r = legrec_fs_core ? legrec_recording_start(legrec_fs_core, policy, &ci, &rec) : LEGREC_ERR_SHUTTING_DOWN;
	switch_thread_rwlock_unlock(legrec_fs_core_lock);
	if (r == LEGREC_ERR_EXEMPT) {
		*status = legrec_start_name(LEGREC_START_EXEMPT);
		return SWITCH_STATUS_SUCCESS;
	}
	if (r != LEGREC_OK) {
		char msg[128];

		legrec_result_message(r, msg, sizeof(msg), NULL);
		switch_log_printf(SWITCH_CHANNEL_SESSION_LOG(session), SWITCH_LOG_WARNING, "legrec %s not started: %s\n",
			policy, msg);
		return SWITCH_STATUS_FALSE;
	}

	lc = switch_core_session_alloc(session, sizeof(*lc));
	if (switch_mutex_init(&lc->lock, SWITCH_MUTEX_UNNESTED, switch_core_session_get_pool(session))
		!= SWITCH_STATUS_SUCCESS) {
		switch_log_printf(SWITCH_CHANNEL_SESSION_LOG(session), SWITCH_LOG_ERROR, "legrec: out of memory\n");
		legrec_recording_free(rec);
		return SWITCH_STATUS_FALSE;
	}
	lc->rec = rec;
	legrec_recording_id(rec, lc->id, sizeof(lc->id));
	switch_copy_string(lc->policy, policy, sizeof(lc->policy));
	legrec_recording_plan(rec, &plan);
	switch_copy_string(lc->notice, plan.notice, sizeof(lc->notice));
	/* The plan's strings are the handle's, which another thread may free
	 * once the bug is on (an API stop): copied while it is ours. */
	switch_copy_string(prompt, plan.consent_prompt ? plan.consent_prompt : "", sizeof(prompt));
	plan.consent_prompt = prompt;
	plan.notice = lc->notice;
	lc->beep = plan.beep_interval > 0;
	lc->notice_to_peer = plan.notice_to_peer;
	switch_core_session_get_read_impl(session, &impl);
	lc->read_rate = impl.actual_samples_per_second ? impl.actual_samples_per_second : 8000;
	switch_core_session_get_write_impl(session, &impl);
	lc->write_rate = impl.actual_samples_per_second ? impl.actual_samples_per_second : lc->read_rate;
	legrec_recording_files(rec, files, sizeof(files));

	/* Listed before the bug goes on: a hangup may close it at once, and
	 * the event and DTMF threads find the recording by the private. */
	switch_copy_string(lc->uuid, switch_core_session_get_uuid(session), sizeof(lc->uuid));
	legrec_fs_live_add(lc->uuid);
	switch_channel_set_private(channel, LEGREC_PRIVATE, lc);
	/* Before the bug, whose CLOSE takes them off, and before the notice
	 * and the consent window, as on Asterisk (the core tells a consent
	 * digit from a key). */
	if (plan.keys) {
		legrec_fs_keys_attach(session);
	}
	if (switch_core_media_bug_add(session, LEGREC_BUG_FUNCTION, policy, on_bug, lc, 0,
			SMBF_READ_REPLACE | SMBF_WRITE_REPLACE | SMBF_NO_PAUSE, &bug) != SWITCH_STATUS_SUCCESS) {
		switch_log_printf(SWITCH_CHANNEL_SESSION_LOG(session), SWITCH_LOG_ERROR, "cannot add the legrec media bug\n");
		switch_mutex_lock(lc->lock);
		lc->rec = NULL;
		switch_mutex_unlock(lc->lock);
		legrec_fs_keys_detach(session);
		switch_channel_set_private(channel, LEGREC_PRIVATE, NULL);
		legrec_fs_live_remove(lc->uuid);
		legrec_recording_free(rec);
		return SWITCH_STATUS_FALSE;
	}
	/* Only while the bug is on: its CLOSE clears it (perhaps already). */
	switch_mutex_lock(lc->lock);
	if (lc->rec) {
		lc->bug = bug;
	}
	switch_mutex_unlock(lc->lock);
	switch_channel_set_variable(channel, "legrec_id", lc->id);
	*status = legrec_start_name(LEGREC_START_RECORDING);
	switch_channel_set_variable(channel, "legrec_status", *status);
	legrec_fs_fire("legrec::start", session, lc, *status, files);

	/* The core's plan already weighed the law. */
	if (!zstr(lc->notice)) {
		if (own_thread) {
			switch_channel_answer(channel);
			play_notice(session, lc);
		} else {
			/* Played by the session's own thread, as uuid_broadcast does. */
			queue_notice(lc, switch_core_session_get_uuid(session), LEGREC_SIDE_CALLER);
		}
	}
	if (plan.consent != LEGREC_CONSENT_NOTIFY) {
		legrec_consent_steps steps;

		switch_channel_answer(channel);
		if (legrec_consent_steps_for(ask_consent(session, lc, &plan), &steps) == LEGREC_OK) {
			*status = legrec_start_name(steps.status);
			if (steps.announce) {
				legrec_fs_fire("legrec::consent", session, lc, *status, "");
			}
			if (steps.detach) {
				remove_bug(session, lc);
			}
		}
	}
	return SWITCH_STATUS_SUCCESS;
}

switch_status_t legrec_fs_control(switch_core_session_t *session, legrec_action what, const char *by, const char **err)
{
	switch_channel_t *channel = switch_core_session_get_channel(session);
	struct legrec_fs_chan *lc = switch_channel_get_private(channel, LEGREC_PRIVATE);
	legrec_recording *rec;
	legrec_result r;
	static __thread char msg[160];

	if (!lc || !(rec = legrec_fs_hold(lc))) {
		*err = "the session is not being recorded by legrec";
		return SWITCH_STATUS_FALSE;
	}
	r = legrec_recording_act(rec, what, by);
	legrec_fs_release(lc);
	if (what == LEGREC_ACTION_STOP) {
		/* Stopped already or now: the bug's CLOSE frees the handle, the
		 * worker finalizes. */
		remove_bug(session, lc);
		return SWITCH_STATUS_SUCCESS;
	}
	if (r != LEGREC_OK) {
		legrec_result_message(r, msg, sizeof(msg), NULL);
		*err = msg;
		return SWITCH_STATUS_FALSE;
	}
	return SWITCH_STATUS_SUCCESS;
}

/* CHANNEL_BRIDGE: play the notice once to the party a recorded session is
 * bridged to (notice_to = both); not again after a transfer. */
void legrec_fs_on_bridge(switch_event_t *event)
{
	const char *ids[2] = { switch_event_get_header(event, "Bridge-A-Unique-ID"),
		switch_event_get_header(event, "Bridge-B-Unique-ID") };
	int i;

	for (i = 0; i < 2; i++) {
		switch_core_session_t *session;
		struct legrec_fs_chan *lc;

		if (zstr(ids[i]) || zstr(ids[!i]) || !(session = switch_core_session_locate(ids[i]))) {
			continue;
		}
		lc = switch_channel_get_private(switch_core_session_get_channel(session), LEGREC_PRIVATE);
		if (lc && legrec_fs_hold(lc)) {
			int first = lc->notice_to_peer;

			lc->notice_to_peer = 0;
			legrec_fs_release(lc);
			if (first) {
				queue_notice(lc, ids[!i], LEGREC_SIDE_AGENT);
			}
		}
		switch_core_session_rwunlock(session);
	}
}
