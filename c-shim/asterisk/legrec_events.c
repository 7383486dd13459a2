/*
 * legrec_events.c -- the one place app_legrec raises its AMI events:
 * LegRecordStart, LegRecordConsent and LegRecordStop.  Called by the files
 * that see a recording start, a consent decided and the core's finished
 * callback; calls none of them back.  Documented in legrec-en_US.xml.
 */
#include "legrec_ast.h"

#include "asterisk/manager.h"

void legrec_ami_start_event(struct ast_channel *chan, struct legrec_chan *lc)
{
	char files[2048] = "";

	legrec_recording_files(lc->rec, files, sizeof(files));
	manager_event(EVENT_FLAG_CALL, "LegRecordStart",
		"Channel: %s\r\nUniqueid: %s\r\nId: %s\r\nPolicy: %s\r\nFiles: %s\r\n",
		ast_channel_name(chan), ast_channel_uniqueid(chan), lc->id, lc->policy, files);
}

void legrec_ami_consent_event(struct ast_channel *chan, struct legrec_chan *lc, const char *decision)
{
	manager_event(EVENT_FLAG_CALL, "LegRecordConsent", "Channel: %s\r\nId: %s\r\nPolicy: %s\r\nDecision: %s\r\n",
		ast_channel_name(chan), lc->id, lc->policy, decision);
}

/* From a core worker thread, once the files are final. */
void legrec_on_finished(void *userdata, const legrec_finished *f)
{
	const char *status = legrec_status_name(f->status);

	(void)userdata;
	manager_event(EVENT_FLAG_CALL, "LegRecordStop",
		"Channel: %s\r\nId: %s\r\nPolicy: %s\r\nStatus: %s\r\nReason: %s\r\nSeconds: %.2f\r\nAgent: %s\r\nFiles: %s\r\n",
		f->channel, f->id, f->policy, S_OR(status, "UNKNOWN"),
		f->reason, f->seconds, S_OR(f->agent, ""), f->files);
}
