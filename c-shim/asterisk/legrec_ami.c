/*
 * legrec_ami.c -- AMI actions LegRecordStop, LegRecordMask and
 * LegRecordPause (the events are raised by legrec_events.c).  Documented in
 * legrec-en_US.xml.
 */
#include "legrec_ast.h"

#include "asterisk/manager.h"
#include "asterisk/utils.h"

/* `off` is the action for `State: off`, or `on` when there is none. */
static int control_action(struct mansession *s, const struct message *m, legrec_action on, legrec_action off)
{
	const char *name = astman_get_header(m, "Channel");
	const char *state = astman_get_header(m, "State");
	legrec_action what = on;
	int res;

	if (ast_strlen_zero(name)) {
		astman_send_error(s, m, "Channel is required");
		return AMI_SUCCESS;
	}
	if (!ast_strlen_zero(state) && ast_false(state)) {
		what = off;
	}
	res = legrec_control_by_name(name, what, "ami");
	if (res != LEGREC_OK) {
		astman_send_error(s, m, (char *) legrec_control_message(res));
		return AMI_SUCCESS;
	}
	astman_send_ack(s, m, (char *) legrec_action_name(what));
	return AMI_SUCCESS;
}

static int action_stop(struct mansession *s, const struct message *m)
{
	return control_action(s, m, LEGREC_ACTION_STOP, LEGREC_ACTION_STOP);
}

static int action_mask(struct mansession *s, const struct message *m)
{
	return control_action(s, m, LEGREC_ACTION_MASK, LEGREC_ACTION_UNMASK);
}

static int action_pause(struct mansession *s, const struct message *m)
{
	return control_action(s, m, LEGREC_ACTION_PAUSE, LEGREC_ACTION_RESUME);
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
