/*
 * legrec_fs.h -- what the files of mod_legrec.so share.
 *
 * The shim does FreeSWITCH work only (media bugs, dialplan applications,
 * the API command, events, XML config, logging); every decision is the
 * core's (include/legrec.h).
 *
 * Which file calls (or hands the core) functions of which; each calls only
 * files further down, so nothing calls back up (tests/shim_layers.rs keeps
 * this list true):
 *
 *   mod_legrec.c        -> legrec_fs_media.c, legrec_fs_peers.c, legrec_fs_events.c,
 *                          legrec_fs_live.c, legrec_fs_config.c
 *   legrec_fs_peers.c   -> (none)
 *   legrec_fs_media.c   -> legrec_fs_events.c, legrec_fs_live.c, legrec_fs_keys.c
 *   legrec_fs_keys.c    -> (none)
 *   legrec_fs_events.c  -> (none)
 *   legrec_fs_live.c    -> (none)
 *   legrec_fs_config.c  -> (none)
 *
 * The core itself (legrec_fs_core, owned by mod_legrec.c) is read by
 * legrec_fs_media.c under legrec_fs_core_lock.
 */
#ifndef LEGREC_FS_H
#define LEGREC_FS_H

#include <switch.h>

#include "legrec.h"

/* The recorder, while the module is loaded. */
extern legrec_core *legrec_fs_core;
extern switch_thread_rwlock_t *legrec_fs_core_lock;

#define LEGREC_PRIVATE "legrec"
/* Parties followed at once per recorded session. */
#define LEGREC_FS_MAX_PEERS 8
/* The media bug's function name, as `uuid_debug_media` shows it. */
#define LEGREC_BUG_FUNCTION "legrec"

/* What one recorded session carries (channel private data, from the
 * session's pool, so it lives as long as the session: any thread that
 * holds the session's read lock may read it). */
struct legrec_fs_chan {
	/* Guards rec, bug and the peer lists.  The bug's CLOSE frees the
	 * handle on whichever thread takes the bug off (the session's at
	 * hangup, the API's at stop, the unloading one), while event, API and
	 * DTMF threads use it: each holds the lock for its core calls (never
	 * across a FreeSWITCH call that could wait on the session). */
	switch_mutex_t *lock;
	switch_media_bug_t *bug;
	legrec_recording *rec;
	char id[64];
	char policy[80];
	char notice[256];
	int notice_to_peer;
	int beep;
	uint32_t read_rate, write_rate;
	/* The session's uuid, in the list of live recordings while the bug is on. */
	char uuid[SWITCH_UUID_FORMATTED_LENGTH + 1];
	/* The parties bridged with it now (legrec_fs_peers.c, event thread). */
	char peer_uuid[LEGREC_FS_MAX_PEERS][SWITCH_UUID_FORMATTED_LENGTH + 1];
	char peer_name[LEGREC_FS_MAX_PEERS][256];
	int npeers;
};

/* The recording's handle with lc->lock held, or NULL once the recording
 * ended (nothing held then).  Give it back with legrec_fs_release(). */
static inline legrec_recording *legrec_fs_hold(struct legrec_fs_chan *lc)
{
	legrec_recording *rec;

	switch_mutex_lock(lc->lock);
	if (!(rec = lc->rec)) {
		switch_mutex_unlock(lc->lock);
	}
	return rec;
}

static inline void legrec_fs_release(struct legrec_fs_chan *lc)
{
	switch_mutex_unlock(lc->lock);
}

/* legrec_fs_keys.c: the DTMF hooks of a policy with agent keys, on the
 * recorded session from the start until the bug closes. */
void legrec_fs_keys_attach(switch_core_session_t *session);
void legrec_fs_keys_detach(switch_core_session_t *session);

/* legrec_fs_peers.c: CHANNEL_BRIDGE (`bridged`) and CHANNEL_UNBRIDGE. */
void legrec_fs_peers_event(switch_event_t *event, int bridged);
/* legrec_fs_peers.c: mod_callcenter's callcenter::info. */
void legrec_fs_peers_queue_event(switch_event_t *event);

/* legrec_fs_media.c */
/* `own_thread`: called from the session's own thread (the dialplan
 * application), which may play the notice and collect consent keys there;
 * otherwise (the API) the notice is broadcast to the session and policies
 * that need a consent keypress are refused. */
switch_status_t legrec_fs_start(switch_core_session_t *session, const char *policy, int own_thread,
	const char **status);
switch_status_t legrec_fs_control(switch_core_session_t *session, legrec_action what, const char *by, const char **err);
void legrec_fs_on_bridge(switch_event_t *event);

/* legrec_fs_live.c: the uuids of the sessions with a legrec media bug. */
switch_status_t legrec_fs_live_init(switch_memory_pool_t *pool);
void legrec_fs_live_add(const char *uuid);
void legrec_fs_live_remove(const char *uuid);
/* Unload: take every legrec media bug off its session; returns how many. */
int legrec_fs_live_remove_bugs(void);
void legrec_fs_live_destroy(void);

/* legrec_fs_config.c: legrec.conf.xml into the core's key/value form. */
legrec_config *legrec_fs_read_config(void);

/* mod_legrec.c */
void legrec_fs_on_log(void *userdata, const legrec_log_record *r);

/* legrec_fs_events.c: the CUSTOM legrec:: events.  reserve logs and
 * undoes what it did when a subclass cannot be had. */
switch_status_t legrec_fs_events_reserve(void);
void legrec_fs_events_free(void);
void legrec_fs_fire(const char *subclass, switch_core_session_t *session, struct legrec_fs_chan *lc,
	const char *status, const char *files);
/* From a core worker, as the host's finished callback: legrec::stop. */
void legrec_fs_on_finished(void *userdata, const legrec_finished *f);

#endif
