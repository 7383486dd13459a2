/*
 * legrec_hook.c -- where a frame enters: the audiohook on a recorded
 * channel, and the datastore that ties a recording to its channel.
 *
 * A manipulate audiohook is called on the channel's own media thread with
 * every frame in both directions, already in signed linear.  MixMonitor's
 * spy hook instead needs a reader thread per call; we hand each frame to the
 * core's lock-free ring and return, so recording costs no thread per call.
 * The callback never modifies the frame and says so (non-zero return), so
 * Asterisk does not translate it back.
 */
#include "legrec_ast.h"

#include "asterisk/app.h"
#include "asterisk/bridge.h"
#include "asterisk/bridge_channel.h"
#include "asterisk/bridge_features.h"
#include "asterisk/datastore.h"
#include "asterisk/file.h"
#include "asterisk/format.h"
#include "asterisk/format_cache.h"
#include "asterisk/framehook.h"
#include "asterisk/frame.h"
#include "asterisk/logger.h"
#include "asterisk/module.h"
#include "asterisk/pbx.h"
#include "asterisk/stasis.h"
#include "asterisk/ast_version.h"

#define LEGREC_SOURCE "LegRecord"

static int on_frame(struct ast_audiohook *hook, struct ast_channel *chan, struct ast_frame *frame,
		    enum ast_audiohook_direction direction)
{
	struct legrec_chan *lc = (struct legrec_chan *) hook;

	if (!frame || hook->status != AST_AUDIOHOOK_STATUS_RUNNING || frame->frametype != AST_FRAME_VOICE
		|| !frame->data.ptr || frame->samples <= 0) {
		return -1;
	}
	legrec_leg leg = direction == AST_AUDIOHOOK_DIRECTION_READ ? LEGREC_LEG_IN : LEGREC_LEG_OUT;
	bool mixed = false;

	/* The audiohook hands signed linear at the rate it settled on for the
	 * channel (16 kHz on a G.722 leg, whatever was asked for), so the rate is
	 * the frame's own; the core resamples what is not the policy's.  Anything
	 * but signed linear would be read as samples it does not hold. */
	if (!ast_format_cache_is_slinear(frame->subclass.format) || frame->datalen < frame->samples * 2) {
		if (!lc->foreign_frame_logged) {
			lc->foreign_frame_logged = 1;
			ast_log(LOG_WARNING, "%s: recording %s: a %s frame that is not signed linear was left out\n",
				ast_channel_name(chan), lc->id, ast_format_get_name(frame->subclass.format));
		}
		return -1;
	}
	unsigned int rate = ast_format_get_sample_rate(frame->subclass.format);

	/* The warning beep goes into what both parties hear (the caller hears
	 * the write direction, the agent the read direction) and so into the
	 * recording. */
	if (lc->beep) {
		legrec_recording_beep(lc->rec, leg, frame->data.ptr, (size_t) frame->samples, rate, &mixed);
	}
	legrec_recording_push(lc->rec, leg, frame->data.ptr, (size_t) frame->samples, rate);
	/* 0 = manipulated: Asterisk passes our frame on; otherwise it keeps the
	 * original and skips translating back. */
	return mixed ? 0 : -1;
}

/* The last reference is gone: the datastore's (hangup or stop) and every
 * CLI, AMI or bridge thread's that was using it. */
static void chan_free(void *obj)
{
	struct legrec_chan *lc = obj;

	/* By now the hook is off the channel (hangup detached it, or stop
	 * removed it).  Freeing the handle stops the recording if needed; a
	 * worker finalizes the files. */
	if (lc->hook_ready) {
		ast_audiohook_destroy(&lc->hook);
	}
	legrec_recording_free(lc->rec);
	if (lc->module_ref) {
		ast_module_unref(AST_MODULE_SELF);
	}
}

/* The datastore goes (hangup or stop): no more queue messages are asked
 * for; the subscription's own reference goes with its final message. */
static void chan_destroy(void *data)
{
	struct legrec_chan *lc = data;

	/* The recording ends now, not when the subscription's final message
	 * lets the last reference go. */
	legrec_recording_stop(lc->rec);
	lc->queue_watch = stasis_unsubscribe(lc->queue_watch);
	ao2_ref(lc, -1);
}

static const struct ast_datastore_info legrec_datastore = {
	.type = "legrec",
	.destroy = chan_destroy,
};

struct legrec_chan *legrec_chan_find(struct ast_channel *chan)
{
	struct ast_datastore *ds;
	struct legrec_chan *lc = NULL;

	ast_channel_lock(chan);
	ds = ast_channel_datastore_find(chan, &legrec_datastore, NULL);
	if (ds) {
		/* Taken under the channel lock, the lock a stop removes the
		 * datastore under: what we hand out outlives that stop. */
		lc = ao2_bump(ds->data);
	}
	ast_channel_unlock(chan);
	return lc;
}

/* Play the notice to the other party of the bridge, once it is there. */
static void play_notice_to_peer(struct ast_bridge_channel *bridge_channel, struct legrec_chan *lc)
{
	struct ast_bridge_channel *peer;

	if (!lc->notice_to_peer) {
		return;
	}
	ast_bridge_lock(bridge_channel->bridge);
	peer = ast_bridge_channel_peer(bridge_channel);
	if (peer) {
		lc->notice_to_peer = 0;
		legrec_recording_notice_begin(lc->rec, LEGREC_SIDE_AGENT);
		/* Queued: played when the PBX took it into the peer's queue. */
		legrec_recording_notice_end(lc->rec, LEGREC_SIDE_AGENT,
			!ast_bridge_channel_queue_playfile(peer, NULL, lc->notice, NULL));
		ast_verb(3, "%s: recording notice '%s' queued to %s\n", ast_channel_name(bridge_channel->chan),
			 lc->notice, ast_channel_name(peer->chan));
	}
	ast_bridge_unlock(bridge_channel->bridge);
}

/* Every 100 ms in the recorded channel's bridge thread while it is in a
 * bridge: the notice owed to the other party, and who is there.  -1 (hook
 * removed) once the recording is gone. */
static int watch_bridge(struct ast_bridge_channel *bridge_channel, void *hook_pvt)
{
	struct legrec_chan *lc = legrec_chan_find(bridge_channel->chan);

	(void)hook_pvt;
	if (!lc) {
		return -1;
	}
	play_notice_to_peer(bridge_channel, lc);
	legrec_peers_poll(bridge_channel, lc);
	ao2_ref(lc, -1);
	return 0;
}

/* The recorded channel joins a bridge: look now, then every 100 ms (the
 * interval hook goes with this bridge). */
static int on_bridge_join(struct ast_bridge_channel *bridge_channel, void *hook_pvt)
{
	if (watch_bridge(bridge_channel, hook_pvt) == 0) {
		ast_bridge_interval_hook(bridge_channel->features, 0, 100, watch_bridge, NULL, NULL,
			AST_BRIDGE_HOOK_REMOVE_ON_PULL);
	}
	return 0;
}

/* It leaves (hangup, transfer, moved to another bridge): whoever was there
 * is no longer with it. */
static int on_bridge_leave(struct ast_bridge_channel *bridge_channel, void *hook_pvt)
{
	struct legrec_chan *lc = legrec_chan_find(bridge_channel->chan);

	(void)hook_pvt;
	if (lc) {
		legrec_peers_left(lc);
		ao2_ref(lc, -1);
	}
	return 0;
}

/* The hooks stay on the channel after its recording stops, until the
 * channel goes: each holds the module so its code cannot be unloaded
 * under it. */
static void release_module(void *hook_pvt)
{
	(void)hook_pvt;
	ast_module_unref(AST_MODULE_SELF);
}

static void add_bridge_hooks(struct ast_channel *chan)
{
	struct ast_bridge_features *features = ast_bridge_features_new();

	if (!features) {
		return;
	}
	ast_module_ref(AST_MODULE_SELF);
	if (ast_bridge_join_hook(features, on_bridge_join, NULL, release_module, 0)) {
		ast_module_unref(AST_MODULE_SELF);
		ast_bridge_features_destroy(features);
		return;
	}
	ast_module_ref(AST_MODULE_SELF);
	if (ast_bridge_leave_hook(features, on_bridge_leave, NULL, release_module, 0)) {
		ast_module_unref(AST_MODULE_SELF);
	}
	ast_channel_lock(chan);
	ast_channel_feature_hooks_append(chan, features);
	ast_channel_unlock(chan);
	ast_bridge_features_destroy(features);
}

/* Copies of the channel's call data, taken under the channel lock so that
 * starting the recording (which creates files) runs without it: the
 * channel's media thread needs that lock for every frame. */
struct call_copy {
	char pbx[64];
	char channel[AST_CHANNEL_NAME];
	char uniqueid[AST_MAX_UNIQUEID];
	char caller_number[128];
	char caller_name[128];
	char callee[AST_MAX_EXTENSION];
	char queue[128];
	char pbx_queue[128];
};

static void copy_call(struct ast_channel *chan, struct call_copy *c, legrec_call_info *ci)
{
	struct ast_party_caller *caller;

	snprintf(c->pbx, sizeof(c->pbx), "Asterisk %s", ast_get_version());
	ast_channel_lock(chan);
	caller = ast_channel_caller(chan);
	ast_copy_string(c->channel, ast_channel_name(chan), sizeof(c->channel));
	ast_copy_string(c->uniqueid, ast_channel_uniqueid(chan), sizeof(c->uniqueid));
	ast_copy_string(c->caller_number, S_COR(caller->id.number.valid, caller->id.number.str, ""),
		sizeof(c->caller_number));
	ast_copy_string(c->caller_name, S_COR(caller->id.name.valid, caller->id.name.str, ""), sizeof(c->caller_name));
	ast_copy_string(c->callee, ast_channel_exten(chan), sizeof(c->callee));
	ast_copy_string(c->queue, S_OR(pbx_builtin_getvar_helper(chan, "LEGREC_QUEUE"), ""), sizeof(c->queue));
	ast_copy_string(c->pbx_queue, S_OR(pbx_builtin_getvar_helper(chan, "QUEUENAME"), ""), sizeof(c->pbx_queue));
	ast_channel_unlock(chan);
	*ci = (legrec_call_info) {
		.pbx = c->pbx, .channel = c->channel, .uniqueid = c->uniqueid, .caller_number = c->caller_number,
		.caller_name = c->caller_name, .callee = c->callee, .queue = c->queue, .pbx_queue = c->pbx_queue,
	};
}

/* Played when the sound opened and started (the header's one rule); the
 * core keeps it out of the recording if the policy says so. */
static void play_notice(struct ast_channel *chan, struct legrec_chan *lc)
{
	int played = 0;

	legrec_recording_notice_begin(lc->rec, LEGREC_SIDE_CALLER);
	if (ast_channel_state(chan) != AST_STATE_UP) {
		ast_answer(chan);
	}
	if (ast_streamfile(chan, lc->notice, ast_channel_language(chan))) {
		ast_log(LOG_WARNING, "%s: could not play recording notice '%s'\n", ast_channel_name(chan), lc->notice);
	} else {
		played = 1;
		ast_waitstream(chan, "");
		ast_stopstream(chan);
	}
	legrec_recording_notice_end(lc->rec, LEGREC_SIDE_CALLER, played);
}

/* The consent window: the prompt, then keys until the consent key or the
 * timeout.  The core decides what each key means. */
static legrec_consent_decision ask_consent(struct ast_channel *chan, struct legrec_chan *lc, const legrec_plan *plan)
{
	legrec_consent_decision decision = LEGREC_CONSENT_WAIT;
	struct timeval end = ast_tvadd(ast_tvnow(), ast_samp2tv(plan->consent_timeout_ms, 1000));
	int digit = 0;

	legrec_recording_consent_begin(lc->rec);
	if (!ast_strlen_zero(plan->consent_prompt)) {
		if (ast_streamfile(chan, plan->consent_prompt, ast_channel_language(chan))) {
			ast_log(LOG_WARNING, "%s: could not play consent prompt '%s'\n", ast_channel_name(chan),
				plan->consent_prompt);
		} else {
			digit = ast_waitstream(chan, AST_DIGIT_ANY);
			ast_stopstream(chan);
		}
	}
	while (decision == LEGREC_CONSENT_WAIT) {
		int64_t left = ast_tvdiff_ms(end, ast_tvnow());

		if (!digit && left > 0) {
			digit = ast_waitfordigit(chan, (int) left);
		}
		if (digit < 0) {
			/* Hung up in the window: the core decides at finalization. */
			return LEGREC_CONSENT_WAIT;
		}
		legrec_recording_consent(lc->rec, (char) digit, &decision);
		if (!digit) {
			break;
		}
		digit = 0;
	}
	ast_verb(3, "%s: recording consent %s\n", ast_channel_name(chan),
		decision == LEGREC_CONSENT_KEEP ? "given" : "declined");
	return decision;
}

int legrec_chan_start(struct ast_channel *chan, const char *policy, int notice_played_before, legrec_start *status)
{
	legrec_call_info ci;
	struct call_copy copy;
	legrec_recording *rec = NULL;
	struct ast_datastore *ds;
	struct legrec_chan *lc;
	legrec_plan plan;
	legrec_result r;

	*status = LEGREC_START_FAILED;
	if ((lc = legrec_chan_find(chan))) {
		ao2_ref(lc, -1);
		ast_log(LOG_WARNING, "%s: already recorded by LegRecord; ignoring\n", ast_channel_name(chan));
		*status = LEGREC_START_RECORDING;
		return 0;
	}
	copy_call(chan, &copy, &ci);
	ci.notice_played_before = notice_played_before;
	ast_rwlock_rdlock(&legrec_core_lock);
	r = legrec_the_core ? legrec_recording_start(legrec_the_core, policy, &ci, &rec) : LEGREC_ERR_SHUTTING_DOWN;
	ast_rwlock_unlock(&legrec_core_lock);
	if (r == LEGREC_ERR_EXEMPT) {
		ast_verb(2, "%s: not recorded: policy %s never records this party\n", ast_channel_name(chan), policy);
		*status = LEGREC_START_EXEMPT;
		return 0;
	}
	if (r != LEGREC_OK) {
		char msg[128];

		legrec_result_message(r, msg, sizeof(msg), NULL);
		ast_log(LOG_WARNING, "%s: LegRecord(%s) not started: %s\n", ast_channel_name(chan), policy, msg);
		return -1;
	}

	/* One reference for the datastore, one for us while we play the notice
	 * and run the consent window: a stop from the CLI or AMI meanwhile
	 * frees neither under us. */
	lc = ao2_alloc_options(sizeof(*lc), chan_free, AO2_ALLOC_OPT_LOCK_NOLOCK);
	if (!lc) {
		legrec_recording_free(rec);
		return -1;
	}
	lc->rec = rec;
	lc->keys_hook = -1;
	ds = ast_datastore_alloc(&legrec_datastore, NULL);
	if (!ds || ast_audiohook_init(&lc->hook, AST_AUDIOHOOK_TYPE_MANIPULATE, LEGREC_SOURCE,
			AST_AUDIOHOOK_MANIPULATE_ALL_RATES)) {
		ao2_ref(lc, -1);
		if (ds) {
			ast_datastore_free(ds);
		}
		return -1;
	}
	lc->hook_ready = 1;
	lc->hook.manipulate_callback = on_frame;
	legrec_recording_id(rec, lc->id, sizeof(lc->id));
	ast_copy_string(lc->policy, policy, sizeof(lc->policy));
	legrec_recording_plan(rec, &plan);
	ast_copy_string(lc->notice, plan.notice, sizeof(lc->notice));
	lc->beep = plan.beep_interval > 0;
	ds->data = ao2_bump(lc);
	ast_module_ref(AST_MODULE_SELF);
	lc->module_ref = 1;
	/* Before the datastore is on the channel: a stop from another thread
	 * can destroy it (and so unsubscribe) from then on. */
	lc->queue_watch = legrec_queue_watch(chan, lc);

	ast_channel_lock(chan);
	ast_channel_datastore_add(chan, ds);
	ast_channel_unlock(chan);
	if (ast_audiohook_attach(chan, &lc->hook)) {
		ast_log(LOG_WARNING, "%s: cannot attach the recording audiohook (channel hung up?)\n",
			ast_channel_name(chan));
		legrec_recording_stop(rec);
		ao2_ref(lc, -1);
		return -1;
	}
	pbx_builtin_setvar_helper(chan, "LEGREC_ID", lc->id);
	add_bridge_hooks(chan);
	lc->keys_hook = plan.keys ? legrec_keys_attach(chan, lc) : -1;
	legrec_ami_start_event(chan, lc);
	*status = LEGREC_START_RECORDING;

	/* The core's plan already weighed the `n` option and the law. */
	if (!ast_strlen_zero(plan.notice)) {
		if (plan.notice_required_by_law) {
			ast_verb(2, "%s: the recording notice is required by a party's jurisdiction\n", ast_channel_name(chan));
		}
		lc->notice_to_peer = plan.notice_to_peer;
		play_notice(chan, lc);
	}
	if (plan.consent != LEGREC_CONSENT_NOTIFY) {
		legrec_consent_steps steps;

		if (legrec_consent_steps_for(ask_consent(chan, lc, &plan), &steps) == LEGREC_OK) {
			*status = steps.status;
			if (steps.announce) {
				legrec_ami_consent_event(chan, lc, legrec_start_name(steps.status));
			}
			if (steps.detach) {
				legrec_chan_stop(chan);
			}
		}
	}
	ao2_ref(lc, -1);
	return 0;
}

/* Take the hook off the channel now; the datastore (and with it the
 * handle) goes with the channel or right here. */
int legrec_chan_stop(struct ast_channel *chan)
{
	struct ast_datastore *ds;
	struct legrec_chan *lc;

	ast_channel_lock(chan);
	ds = ast_channel_datastore_find(chan, &legrec_datastore, NULL);
	if (!ds) {
		ast_channel_unlock(chan);
		return -1;
	}
	lc = ds->data;
	ast_audiohook_remove(chan, &lc->hook);
	if (lc->keys_hook >= 0) {
		ast_framehook_detach(chan, lc->keys_hook);
		lc->keys_hook = -1;
	}
	legrec_recording_stop(lc->rec);
	ast_channel_datastore_remove(chan, ds);
	ast_channel_unlock(chan);
	ast_datastore_free(ds);
	return 0;
}

int legrec_stop_all_channels(void)
{
	struct ast_channel_iterator *it = ast_channel_iterator_all_new();
	struct ast_channel *chan;
	int n = 0;

	if (!it) {
		return 0;
	}
	while ((chan = ast_channel_iterator_next(it))) {
		if (!legrec_chan_stop(chan)) {
			n++;
		}
		ast_channel_unref(chan);
	}
	ast_channel_iterator_destroy(it);
	return n;
}
