/*
 * legrec_ami.c -- AMI: actions LegRecordStop, LegRecordMask and
 * LegRecordPause; events LegRecordStart and LegRecordStop.  Documented in
 * legrec-en_US.xml.
 */
#include "legrec_ast.h"

#include "asterisk/manager.h"
#include "asterisk/utils.h"

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
	static const char *status[] = { "RECORDING", "COMPLETE", "FAILED", "DECLINED", "DISCARDED" };

	(void)userdata;
	manager_event(EVENT_FLAG_CALL, "LegRecordStop",
		"Channel: %s\r\nId: %s\r\nPolicy: %s\r\nStatus: %s\r\nReason: %s\r\nSeconds: %.2f\r\nFiles: %s\r\n",
		f->channel, f->id, f->policy, f->status <= LEGREC_STATUS_DISCARDED ? status[f->status] : "UNKNOWN",
		f->reason, f->seconds, f->files);
}

static int control_action(struct mansession *s, const struct message *m, const char *on, const char *off)
{
	const char *name = astman_get_header(m, "Channel");
	const char *state = astman_get_header(m, "State");
	const char *what = on;
	int res;

	if (ast_strlen_zero(name)) {
		astman_send_error(s, m, "Channel is required");
		return AMI_SUCCESS;
	}
	if (off && !ast_strlen_zero(state) && ast_false(state)) {
		what = off;
	}
	res = legrec_control_by_name(name, what, "ami");
	if (res != LEGREC_OK) {
		astman_send_error(s, m, (char *) legrec_control_message(res));
		return AMI_SUCCESS;
	}
	astman_send_ack(s, m, (char *) what);
	return AMI_SUCCESS;
}

static int action_stop(struct mansession *s, const struct message *m)
{
	return control_action(s, m, "stop", NULL);
}

static int action_mask(struct mansession *s, const struct message *m)
{
	return control_action(s, m, "mask", "unmask");
}

static int action_pause(struct mansession *s, const struct message *m)
{
	return control_action(s, m, "pause", "resume");
}

int legrec_ami_register(void)
{
	int res = 0;

	res |= ast_manager_register_xml("LegRecordStop", EVENT_FLAG_SYSTEM | EVENT_FLAG_CALL, action_stop);
	res |= ast_manager_register_xml("LegRecordMask", EVENT_FLAG_SYSTEM | EVENT_FLAG_CALL, action_mask);
	res |= ast_manager_register_xml("LegRecordPause", EVENT_FLAG_SYSTEM | EVENT_FLAG_CALL, action_pause);
	return res;
}

void legrec_ami_unregister(void)
{
	ast_manager_unregister("LegRecordStop");
	ast_manager_unregister("LegRecordMask");
	ast_manager_unregister("LegRecordPause");
}
