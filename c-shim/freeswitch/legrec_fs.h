/*
 * legrec_fs.h -- what the files of mod_legrec.so share.
 *
 * The shim does FreeSWITCH work only (media bugs, dialplan applications,
 * the API command, events, XML config, logging); every decision is the
 * core's (include/legrec.h).
 */
#ifndef LEGREC_FS_H
#define LEGREC_FS_H

#include <switch.h>

#include "legrec.h"

/* The recorder, while the module is loaded. */
extern legrec_core *legrec_fs_core;
extern switch_thread_rwlock_t *legrec_fs_core_lock;

#define LEGREC_PRIVATE "legrec"

/* What one recorded session carries (channel private data, from the
 * session's pool). */
struct legrec_fs_chan {
	switch_media_bug_t *bug;
	legrec_recording *rec;
	char id[64];
	char policy[80];
	char notice[256];
	int notice_to_peer;
	int beep;
	uint32_t read_rate, write_rate;
};

/* legrec_fs_media.c */
/* `own_thread`: called from the session's own thread (the dialplan
 * application), which may play the notice and collect consent keys there;
 * otherwise (the API) the notice is broadcast to the session and policies
 * that need a consent keypress are refused. */
switch_status_t legrec_fs_start(switch_core_session_t *session, const char *policy, int own_thread,
	const char **status);
switch_status_t legrec_fs_control(switch_core_session_t *session, const char *what, const char *by, const char **err);
void legrec_fs_on_bridge(switch_event_t *event);

/* legrec_fs_config.c: legrec.conf.xml into the core's key/value form. */
legrec_config *legrec_fs_read_config(void);

/* mod_legrec.c */
void legrec_fs_on_log(void *userdata, const legrec_log_record *r);
void legrec_fs_on_finished(void *userdata, const legrec_finished *f);
void legrec_fs_fire(const char *subclass, switch_core_session_t *session, struct legrec_fs_chan *lc,
	const char *status, const char *files);

#endif
