/*
 * legrec_control.c -- mask, pause and stop a channel's recording; one path
 * for the dialplan, the CLI and AMI, so each interval in the sidecar says
 * who asked.
 */
#include "legrec_ast.h"

#include "asterisk/channel.h"

int legrec_control(struct ast_channel *chan, legrec_action action, const char *by)
{
	struct legrec_chan *lc;
	int res;

	if (action == LEGREC_ACTION_STOP) {
		return legrec_chan_stop(chan) ? -1 : LEGREC_OK;
	}
	lc = legrec_chan_find(chan);
	if (!lc) {
		return -1;
	}
	/* A stop on another thread meanwhile leaves our reference valid; the
	 * core then answers LEGREC_ERR_STOPPED. */
	res = legrec_recording_act(lc->rec, action, by);
	ao2_ref(lc, -1);
	return res;
}

int legrec_control_by_name(const char *name, legrec_action action, const char *by)
{
	struct ast_channel *chan = ast_channel_get_by_name(name);
	int res;

	if (!chan) {
		return -2;
	}
	res = legrec_control(chan, action, by);
	ast_channel_unref(chan);
	return res;
}

const char *legrec_control_message(int result)
{
	static __thread char buf[160];

	if (result == -1) {
		return "the channel is not being recorded by LegRecord";
	}
	if (result == -2) {
		return "no such channel";
	}
	legrec_result_message((legrec_result) result, buf, sizeof(buf), NULL);
	return buf;
}
