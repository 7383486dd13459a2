/*
 * mod_legrec.c -- legrec for FreeSWITCH: per-leg FLAC call recording with a
 * recording notice and consent, on the same Rust core as app_legrec.
 *
 * The module: load, shutdown, the dialplan applications, the `legrec` API
 * command and the log bridge.  Media bugs live in legrec_fs_media.c, events
 * in legrec_fs_events.c, the XML config in legrec_fs_config.c (the files'
 * call graph: legrec_fs.h).
 */
#include "legrec_fs.h"

SWITCH_MODULE_LOAD_FUNCTION(mod_legrec_load);
SWITCH_MODULE_SHUTDOWN_FUNCTION(mod_legrec_shutdown);
SWITCH_MODULE_DEFINITION(mod_legrec, mod_legrec_load, mod_legrec_shutdown, NULL);

legrec_core *legrec_fs_core;
switch_thread_rwlock_t *legrec_fs_core_lock;
static switch_event_node_t *bridge_node, *unbridge_node, *queue_node;

#define LEGREC_API_SYNTAX \
	"legrec start <uuid> <policy> | stop|mask|unmask|pause|resume <uuid> | status | policies | reload"

/* --------------------------------------------------------------- logging */

void legrec_fs_on_log(void *userdata, const legrec_log_record *r)
{
	switch_log_level_t level;
	const char *chan = r->channel ? r->channel : "";
	const char *sep = r->channel ? ": " : "";

	switch (r->level) {
	case LEGREC_LOG_ERROR:
		level = SWITCH_LOG_ERROR;
		break;
	case LEGREC_LOG_WARN:
		level = SWITCH_LOG_WARNING;
		break;
	case LEGREC_LOG_INFO:
		level = !strcmp(r->target, "notice") ? SWITCH_LOG_NOTICE : SWITCH_LOG_INFO;
		break;
	default:
		level = SWITCH_LOG_DEBUG;
		break;
	}
	/* With the session's uuid, so `uuid`-filtered logs show it. */
	switch_log_printf(SWITCH_CHANNEL_ID_LOG, r->file, "legrec", (int) r->line, r->uniqueid, level, "%s%s%s\n", chan,
		sep, r->message);
}

static void on_bridge_event(switch_event_t *event)
{
	legrec_fs_on_bridge(event);
	legrec_fs_peers_event(event, 1);
}

static void on_unbridge_event(switch_event_t *event)
{
	legrec_fs_peers_event(event, 0);
}

static void on_queue_event(switch_event_t *event)
{
	legrec_fs_peers_queue_event(event);
}

/* ---------------------------------------------------------- applications */

SWITCH_STANDARD_APP(legrec_app)
{
	const char *status = legrec_start_name(LEGREC_START_FAILED);

	if (zstr(data)) {
		switch_log_printf(SWITCH_CHANNEL_SESSION_LOG(session), SWITCH_LOG_WARNING, "usage: legrec <policy>\n");
	} else {
		legrec_fs_start(session, data, 1, &status);
	}
	/* A failed recording never fails the call. */
	switch_channel_set_variable(switch_core_session_get_channel(session), "legrec_status", status);
}

static void control_app(switch_core_session_t *session, legrec_action what)
{
	const char *err = NULL;

	if (legrec_fs_control(session, what, "dialplan", &err) != SWITCH_STATUS_SUCCESS) {
		switch_log_printf(SWITCH_CHANNEL_SESSION_LOG(session), SWITCH_LOG_WARNING, "legrec %s: %s\n", legrec_action_name(what), err);
	}
}

SWITCH_STANDARD_APP(legrec_stop_app) { control_app(session, LEGREC_ACTION_STOP); }
SWITCH_STANDARD_APP(legrec_mask_app) { control_app(session, LEGREC_ACTION_MASK); }
SWITCH_STANDARD_APP(legrec_unmask_app) { control_app(session, LEGREC_ACTION_UNMASK); }
SWITCH_STANDARD_APP(legrec_pause_app) { control_app(session, LEGREC_ACTION_PAUSE); }
SWITCH_STANDARD_APP(legrec_resume_app) { control_app(session, LEGREC_ACTION_RESUME); }

/* ------------------------------------------------------------------- API */

static void print_live(void *ud, const legrec_live_info *r)
{
	switch_stream_handle_t *stream = ud;

	stream->write_function(stream, "%s,%s,%s,%.1f,%llu,%s\n", r->channel, r->id, r->policy, r->seconds,
		(unsigned long long) r->dropped_frames, r->masked ? "masked" : (r->paused ? "paused" : "recording"));
}

static void print_policy(void *ud, const legrec_policy_info *p)
{
	switch_stream_handle_t *stream = ud;

	stream->write_function(stream, "%s,%s,%s,%s,%s,%u\n", p->name, p->notice, p->notice_to, p->consent, p->legs,
		p->sample_rate);
}

static switch_status_t reload_config(switch_stream_handle_t *stream)
{
	legrec_config *config = legrec_fs_read_config();
	char err[512] = "";
	legrec_result r;

	if (!config) {
		stream->write_function(stream, "-ERR legrec.conf not found\n");
		return SWITCH_STATUS_SUCCESS;
	}
	switch_thread_rwlock_rdlock(legrec_fs_core_lock);
	r = legrec_fs_core ? legrec_core_reload(legrec_fs_core, config, err, sizeof(err)) : LEGREC_ERR_SHUTTING_DOWN;
	switch_thread_rwlock_unlock(legrec_fs_core_lock);
	legrec_config_free(config);
	if (r != LEGREC_OK) {
		stream->write_function(stream, "-ERR legrec.conf %s; keeping the running configuration\n", err);
	} else {
		stream->write_function(stream, "+OK reloaded\n");
	}
	return SWITCH_STATUS_SUCCESS;
}

SWITCH_STANDARD_API(legrec_api)
{
	char *argv[4] = { 0 };
	char *copy;
	int argc;
	switch_core_session_t *target;
	const char *err = NULL;

	if (zstr(cmd)) {
		stream->write_function(stream, "-USAGE: %s\n", LEGREC_API_SYNTAX);
		return SWITCH_STATUS_SUCCESS;
	}
	copy = strdup(cmd);
	argc = switch_separate_string(copy, ' ', argv, 4);
	if (!strcmp(argv[0], "status") || !strcmp(argv[0], "policies")) {
		switch_thread_rwlock_rdlock(legrec_fs_core_lock);
		if (legrec_fs_core) {
			if (!strcmp(argv[0], "status")) {
				stream->write_function(stream, "channel,id,policy,seconds,dropped,state\n");
				legrec_core_recordings(legrec_fs_core, print_live, stream);
			} else {
				stream->write_function(stream, "policy,notice,notice_to,consent,legs,sample_rate\n");
				legrec_core_policies(legrec_fs_core, print_policy, stream);
			}
		}
		switch_thread_rwlock_unlock(legrec_fs_core_lock);
	} else if (!strcmp(argv[0], "reload")) {
		reload_config(stream);
	} else if (argc >= 2 && (target = switch_core_session_locate(argv[1]))) {
		switch_status_t st;

		if (!strcmp(argv[0], "start")) {
			const char *status = legrec_start_name(LEGREC_START_FAILED);

			if (argc < 3) {
				stream->write_function(stream, "-USAGE: %s\n", LEGREC_API_SYNTAX);
				st = SWITCH_STATUS_SUCCESS;
			} else {
				st = legrec_fs_start(target, argv[2], 0, &status);
				switch_channel_set_variable(switch_core_session_get_channel(target), "legrec_status", status);
				stream->write_function(stream, st == SWITCH_STATUS_SUCCESS ? "+OK %s\n" : "-ERR %s\n", status);
			}
		} else {
			legrec_action action;

			if (legrec_action_parse(argv[0], &action) != LEGREC_OK) {
				err = "unknown action";
				st = SWITCH_STATUS_FALSE;
			} else {
				st = legrec_fs_control(target, action, "api", &err);
			}
			stream->write_function(stream, st == SWITCH_STATUS_SUCCESS ? "+OK\n" : "-ERR %s\n", err);
		}
		switch_core_session_rwunlock(target);
	} else if (argc >= 2) {
		stream->write_function(stream, "-ERR no such session %s\n", argv[1]);
	} else {
		stream->write_function(stream, "-USAGE: %s\n", LEGREC_API_SYNTAX);
	}
	free(copy);
	return SWITCH_STATUS_SUCCESS;
}

/* ---------------------------------------------------------------- module */

SWITCH_MODULE_LOAD_FUNCTION(mod_legrec_load)
{
	switch_application_interface_t *app;
	switch_api_interface_t *api;
	legrec_host host = { .log = legrec_fs_on_log, .finished = legrec_fs_on_finished, .userdata = NULL };
	legrec_config *config;
	legrec_result r;
	char err[512] = "";

	if (!(config = legrec_fs_read_config())) {
		return SWITCH_STATUS_FALSE;
	}
	if (legrec_fs_live_init(pool) != SWITCH_STATUS_SUCCESS) {
		legrec_config_free(config);
		switch_log_printf(SWITCH_CHANNEL_LOG, SWITCH_LOG_ERROR, "legrec: out of memory; mod_legrec not loaded\n");
		return SWITCH_STATUS_FALSE;
	}
	switch_thread_rwlock_create(&legrec_fs_core_lock, pool);
	r = legrec_core_new(config, &host, &legrec_fs_core, err, sizeof(err));
	legrec_config_free(config);
	if (r != LEGREC_OK) {
		switch_log_printf(SWITCH_CHANNEL_LOG, SWITCH_LOG_ERROR, "legrec.conf %s; mod_legrec not loaded\n", err);
		legrec_fs_live_destroy();
		return SWITCH_STATUS_FALSE;
	}
	if (legrec_fs_events_reserve() != SWITCH_STATUS_SUCCESS) {
		goto fail;
	}
	if (switch_event_bind_removable(modname, SWITCH_EVENT_CHANNEL_BRIDGE, SWITCH_EVENT_SUBCLASS_ANY, on_bridge_event,
			NULL, &bridge_node) != SWITCH_STATUS_SUCCESS) {
		switch_log_printf(SWITCH_CHANNEL_LOG, SWITCH_LOG_ERROR,
			"legrec: cannot bind to CHANNEL_BRIDGE events (notice_to = both needs them); mod_legrec not loaded\n");
		legrec_fs_events_free();
		goto fail;
	}
	if (switch_event_bind_removable(modname, SWITCH_EVENT_CHANNEL_UNBRIDGE, SWITCH_EVENT_SUBCLASS_ANY,
			on_unbridge_event, NULL, &unbridge_node) != SWITCH_STATUS_SUCCESS) {
		switch_log_printf(SWITCH_CHANNEL_LOG, SWITCH_LOG_ERROR,
			"legrec: cannot bind to CHANNEL_UNBRIDGE events (the sidecar's peers need them); mod_legrec not loaded\n");
		switch_event_unbind(&bridge_node);
		legrec_fs_events_free();
		goto fail;
	}
	/* Only with mod_callcenter: nothing to bind to without it is fine. */
	if (switch_event_bind_removable(modname, SWITCH_EVENT_CUSTOM, "callcenter::info", on_queue_event, NULL,
			&queue_node) != SWITCH_STATUS_SUCCESS) {
		switch_log_printf(SWITCH_CHANNEL_LOG, SWITCH_LOG_WARNING,
			"legrec: cannot bind to callcenter::info events: mod_callcenter agents will not be named\n");
	}

	*module_interface = switch_loadable_module_create_module_interface(pool, modname);
	SWITCH_ADD_APP(app, "legrec", "Record the call to per-leg FLAC under a legrec policy",
		"Starts recording this session under a policy of legrec.conf: in = what this party says, out = what it "
		"hears, sample-aligned FLAC with a JSON sidecar. Plays the policy's notice and consent prompt. Sets "
		"legrec_id and legrec_status (RECORDING, DECLINED, EXEMPT, FAILED).",
		legrec_app, "<policy>", SAF_NONE);
	SWITCH_ADD_APP(app, "legrec_stop", "Stop this session's legrec recording", "", legrec_stop_app, "", SAF_NONE);
	SWITCH_ADD_APP(app, "legrec_mask", "Record silence, keeping the timeline", "", legrec_mask_app, "", SAF_NONE);
	SWITCH_ADD_APP(app, "legrec_unmask", "End a legrec mask", "", legrec_unmask_app, "", SAF_NONE);
	SWITCH_ADD_APP(app, "legrec_pause", "Cut time out of the recording", "", legrec_pause_app, "", SAF_NONE);
	SWITCH_ADD_APP(app, "legrec_resume", "End a legrec pause", "", legrec_resume_app, "", SAF_NONE);
	SWITCH_ADD_API(api, "legrec", "legrec call recording", legrec_api, LEGREC_API_SYNTAX);
	switch_console_set_complete("add legrec status");
	switch_console_set_complete("add legrec policies");
	switch_console_set_complete("add legrec reload");
	return SWITCH_STATUS_SUCCESS;

fail:
	legrec_core_free(legrec_fs_core);
	legrec_fs_core = NULL;
	legrec_fs_live_destroy();
	return SWITCH_STATUS_FALSE;
}

SWITCH_MODULE_SHUTDOWN_FUNCTION(mod_legrec_shutdown)
{
	legrec_core *core;
	int removed;

	/* Before the code goes away, every legrec media bug comes off its
	 * session (the bug's CLOSE frees the handle; the core finalizes
	 * below), found by the list of live recordings: legrec_status alone
	 * misses a refusal that keeps the agent's leg. */
	removed = legrec_fs_live_remove_bugs();
	if (removed) {
		switch_log_printf(SWITCH_CHANNEL_LOG, SWITCH_LOG_NOTICE, "legrec: stopped %d live recording%s on unload\n",
			removed, removed == 1 ? "" : "s");
	}
	switch_event_unbind(&bridge_node);
	switch_event_unbind(&unbridge_node);
	switch_event_unbind(&queue_node);
	legrec_fs_events_free();
	switch_thread_rwlock_wrlock(legrec_fs_core_lock);
	core = legrec_fs_core;
	legrec_fs_core = NULL;
	switch_thread_rwlock_unlock(legrec_fs_core_lock);
	/* Stops every recording and finalizes every file; sessions still
	 * holding a handle get LEGREC_ERR_STOPPED from then on. */
	legrec_core_free(core);
	legrec_fs_live_destroy();
	return SWITCH_STATUS_SUCCESS;
}
