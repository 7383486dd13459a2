/*
 * legrec_fs_live.c -- the sessions that carry a legrec media bug, by uuid.
 *
 * A uuid is added before the bug goes on and removed when the bug closes
 * (hangup, stop, declined with declined_action = drop, unload), so at
 * unload every bug still on a session is found whatever the session's
 * legrec_status says: an agent-only refusal says DECLINED and keeps
 * recording what the caller hears.  A bug left behind would call into the
 * unloaded module with the next frame.
 */
#include "legrec_fs.h"

static switch_mutex_t *live_lock;
static switch_hash_t *live;

switch_status_t legrec_fs_live_init(switch_memory_pool_t *pool)
{
	if (switch_mutex_init(&live_lock, SWITCH_MUTEX_NESTED, pool) != SWITCH_STATUS_SUCCESS) {
		return SWITCH_STATUS_FALSE;
	}
	return switch_core_hash_init(&live);
}

void legrec_fs_live_add(const char *uuid)
{
	switch_mutex_lock(live_lock);
	if (live) {
		/* The value is unused: the hash is a set of uuids. */
		switch_core_hash_insert(live, uuid, live);
	}
	switch_mutex_unlock(live_lock);
}

void legrec_fs_live_remove(const char *uuid)
{
	switch_mutex_lock(live_lock);
	if (live) {
		switch_core_hash_delete(live, uuid);
	}
	switch_mutex_unlock(live_lock);
}

int legrec_fs_live_remove_bugs(void)
{
	switch_hash_index_t *hi;
	char **uuids;
	int n = 0, i, removed = 0;

	/* Copied out first: each removal closes a bug, and the bug's CLOSE
	 * takes the lock to drop its uuid. */
	switch_mutex_lock(live_lock);
	for (hi = live ? switch_core_hash_first(live) : NULL; hi; hi = switch_core_hash_next(&hi)) {
		n++;
	}
	uuids = calloc(n ? n : 1, sizeof(*uuids));
	n = 0;
	for (hi = live && uuids ? switch_core_hash_first(live) : NULL; hi; hi = switch_core_hash_next(&hi)) {
		const void *key;
		void *val;

		switch_core_hash_this(hi, &key, NULL, &val);
		uuids[n++] = strdup(key);
	}
	switch_mutex_unlock(live_lock);
	for (i = 0; i < n; i++) {
		switch_core_session_t *session = switch_core_session_locate(uuids[i]);

		if (session) {
			if (switch_core_media_bug_remove_all_function(session, LEGREC_BUG_FUNCTION) == SWITCH_STATUS_SUCCESS) {
				removed++;
			}
			switch_core_session_rwunlock(session);
		}
		free(uuids[i]);
	}
	free(uuids);
	return removed;
}

void legrec_fs_live_destroy(void)
{
	if (!live_lock) {
		return;
	}
	switch_mutex_lock(live_lock);
	if (live) {
		switch_core_hash_destroy(&live);
		live = NULL;
	}
	switch_mutex_unlock(live_lock);
}
