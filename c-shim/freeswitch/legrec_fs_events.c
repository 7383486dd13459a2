/*
 * legrec_fs_events.c -- the one place mod_legrec raises its ESL events:
 * CUSTOM legrec::start, legrec::consent and legrec::stop, and the
 * reservation of those subclasses.  Called by the files that see a
 * recording start, a consent decided and the core's finished callback;
 * calls none of them back.
 */
#include "legrec_fs.h"

static const char *const subclasses[] = { "legrec::start", "legrec::stop", "legrec::consent" };

switch_status_t legrec_fs_events_reserve(void)
{
	size_t i;

	for (i = 0; i < sizeof(subclasses) / sizeof(subclasses[0]); i++) {
		if (switch_event_reserve_subclass(subclasses[i]) != SWITCH_STATUS_SUCCESS) {
			/* Another module owns the name: our events would be refused
			 * or mixed with its. */
			switch_log_printf(SWITCH_CHANNEL_LOG, SWITCH_LOG_ERROR,
				"legrec: cannot reserve the event subclass %s (is another module using it?); "
				"mod_legrec not loaded\n", subclasses[i]);
			while (i-- > 0) {
				switch_event_free_subclass(subclasses[i]);
			}
			return SWITCH_STATUS_FALSE;
		}
	}
	return SWITCH_STATUS_SUCCESS;
}

void legrec_fs_events_free(void)
{
	size_t i;

	for (i = 0; i < sizeof(subclasses) / sizeof(subclasses[0]); i++) {
		switch_event_free_subclass(subclasses[i]);
	}
}

void legrec_fs_fire(const char *subclass, switch_core_session_t *session, struct legrec_fs_chan *lc,
	const char *status, const char *files)
{
	switch_event_t *event;

	if (switch_event_create_subclass(&event, SWITCH_EVENT_CUSTOM, subclass) != SWITCH_STATUS_SUCCESS) {
		return;
	}
	if (session) {
		switch_channel_event_set_data(switch_core_session_get_channel(session), event);
	}
	switch_event_add_header_string(event, SWITCH_STACK_BOTTOM, "Legrec-Id", lc->id);
	switch_event_add_header_string(event, SWITCH_STACK_BOTTOM, "Legrec-Policy", lc->policy);
	switch_event_add_header_string(event, SWITCH_STACK_BOTTOM, "Legrec-Status", status);
	switch_event_add_header_string(event, SWITCH_STACK_BOTTOM, "Legrec-Files", files);
	switch_event_fire(&event);
}

/* From a core worker thread, once the files are final. */
void legrec_fs_on_finished(void *userdata, const legrec_finished *f)
{
	const char *status = legrec_status_name(f->status);
	switch_event_t *event;

	if (switch_event_create_subclass(&event, SWITCH_EVENT_CUSTOM, "legrec::stop") != SWITCH_STATUS_SUCCESS) {
		return;
	}
	switch_event_add_header_string(event, SWITCH_STACK_BOTTOM, "Legrec-Id", f->id);
	switch_event_add_header_string(event, SWITCH_STACK_BOTTOM, "Legrec-Policy", f->policy);
	switch_event_add_header_string(event, SWITCH_STACK_BOTTOM, "Legrec-Channel", f->channel);
	switch_event_add_header_string(event, SWITCH_STACK_BOTTOM, "Legrec-Status",
		status ? status : "UNKNOWN");
	switch_event_add_header_string(event, SWITCH_STACK_BOTTOM, "Legrec-Reason", f->reason);
	switch_event_add_header(event, SWITCH_STACK_BOTTOM, "Legrec-Seconds", "%.2f", f->seconds);
	switch_event_add_header_string(event, SWITCH_STACK_BOTTOM, "Legrec-Agent", f->agent ? f->agent : "");
	switch_event_add_header_string(event, SWITCH_STACK_BOTTOM, "Legrec-Files", f->files);
	switch_event_fire(&event);
}
