/*
 * legrec_keys.c -- agent keys: a framehook on the recorded channel sees
 * every DTMF digit, read = its own party's (the caller side), write = from
 * the bridge (the agent side).  The core says which digits belong to a key;
 * those are dropped, so the other party never hears them.
 */
#include "legrec_ast.h"

#include "asterisk/framehook.h"
#include "asterisk/module.h"

static struct ast_frame *on_frame(struct ast_channel *chan, struct ast_frame *f, enum ast_framehook_event event,
	void *data)
{
	struct legrec_chan *lc = data;
	legrec_key_result r = LEGREC_KEY_PASS;
	legrec_side side = event == AST_FRAMEHOOK_EVENT_READ ? LEGREC_SIDE_CALLER : LEGREC_SIDE_AGENT;

	(void)chan;
	if (!f || (event != AST_FRAMEHOOK_EVENT_READ && event != AST_FRAMEHOOK_EVENT_WRITE)
		|| (f->frametype != AST_FRAME_DTMF_BEGIN && f->frametype != AST_FRAME_DTMF_END)) {
		return f;
	}
	if (legrec_recording_key(lc->rec, side, (char) f->subclass.integer, f->frametype == AST_FRAME_DTMF_END, &r)
		!= LEGREC_OK || r == LEGREC_KEY_PASS) {
		return f;
	}
	if (r == LEGREC_KEY_ACTED) {
		ast_verb(3, "%s: recording %s: agent key (%s side)\n", ast_channel_name(chan), lc->id,
			side == LEGREC_SIDE_CALLER ? "caller" : "agent");
	}
	/* A read frame is ours once taken from the queue; a written one stays
	 * its writer's (the bridge frees it after ast_write). */
	if (event == AST_FRAMEHOOK_EVENT_READ) {
		ast_frfree(f);
	}
	return &ast_null_frame;
}

/* Only DTMF: voice frames go by untouched. */
static int wants(void *data, enum ast_frame_type type)
{
	(void)data;
	return type == AST_FRAME_DTMF_BEGIN || type == AST_FRAME_DTMF_END;
}

static void on_destroy(void *data)
{
	ao2_ref(data, -1);
	ast_module_unref(AST_MODULE_SELF);
}

int legrec_keys_attach(struct ast_channel *chan, struct legrec_chan *lc)
{
	struct ast_framehook_interface fi = {
		.version = AST_FRAMEHOOK_INTERFACE_VERSION,
		.event_cb = on_frame,
		.destroy_cb = on_destroy,
		.consume_cb = wants,
		.disable_inheritance = 1,
		.data = ao2_bump(lc),
	};
	int id;

	/* The hook's code must stay loaded until Asterisk destroys the hook. */
	ast_module_ref(AST_MODULE_SELF);
	ast_channel_lock(chan);
	id = ast_framehook_attach(chan, &fi);
	ast_channel_unlock(chan);
	if (id < 0) {
		ao2_ref(lc, -1);
		ast_module_unref(AST_MODULE_SELF);
	}
	return id;
}
