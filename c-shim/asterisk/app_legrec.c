/*
 * app_legrec.c -- legrec for Asterisk: per-leg FLAC call recording with a
 * recording notice, switched on per queue from the dialplan.
 *
 * The module: load, unload, reload, and the dialplan applications.  Audio
 * hooks live in legrec_hook.c, CLI in legrec_cli.c, AMI actions in
 * legrec_ami.c, AMI events in legrec_events.c, config in legrec_conf.c
 * (the files' call graph: legrec_ast.h); every decision is made by the
 * Rust core behind include/legrec.h.
 */

/*** MODULEINFO
	<support_level>extended</support_level>
 ***/

#include "legrec_ast.h"

#include "asterisk/app.h"
#include "asterisk/channel.h"
#include "asterisk/logger.h"
#include "asterisk/module.h"
#include "asterisk/pbx.h"
#include "asterisk/utils.h"

/*** DOCUMENTATION
	The application documentation is installed as
	<astdatadir>/documentation/thirdparty/legrec-en_US.xml (see
	c-shim/asterisk/legrec-en_US.xml), where Asterisk reads third-party
	module documentation for 'core show application' and 'manager show
	command'.
 ***/

legrec_core *legrec_the_core;
ast_rwlock_t legrec_core_lock;

static const char app_record[] = "LegRecord";
static const char app_stop[] = "StopLegRecord";
static const char app_mask[] = "LegRecordMask";
static const char app_unmask[] = "LegRecordUnmask";
static const char app_pause[] = "LegRecordPause";
static const char app_resume[] = "LegRecordResume";

enum {
	OPT_NO_NOTICE = (1 << 0),
};

AST_APP_OPTIONS(record_opts, {
	AST_APP_OPTION('n', OPT_NO_NOTICE),
});

static int record_exec(struct ast_channel *chan, const char *data)
{
	char *parse;
	struct ast_flags flags = { 0 };
	legrec_start status = LEGREC_START_FAILED;
	AST_DECLARE_APP_ARGS(args,
		AST_APP_ARG(policy);
		AST_APP_ARG(options);
	);

	parse = ast_strdupa(S_OR(data, ""));
	AST_STANDARD_APP_ARGS(args, parse);
	if (ast_strlen_zero(args.policy)) {
		ast_log(LOG_WARNING, "LegRecord requires a policy name: LegRecord(policy[,options])\n");
		pbx_builtin_setvar_helper(chan, "LEGREC_STATUS", legrec_start_name(LEGREC_START_FAILED));
		return 0;
	}
	if (!ast_strlen_zero(args.options)) {
		ast_app_parse_options(record_opts, &flags, NULL, args.options);
	}
	legrec_chan_start(chan, args.policy, ast_test_flag(&flags, OPT_NO_NOTICE) != 0, &status);
	pbx_builtin_setvar_helper(chan, "LEGREC_STATUS", legrec_start_name(status));
	/* A failed recording never fails the call. */
	return ast_check_hangup_locked(chan) ? -1 : 0;
}

static int control_exec(struct ast_channel *chan, legrec_action what)
{
	int res = legrec_control(chan, what, "dialplan");

	if (res != LEGREC_OK) {
		ast_log(LOG_WARNING, "%s: legrec %s: %s\n", ast_channel_name(chan), legrec_action_name(what),
			legrec_control_message(res));
	}
	return 0;
}

static int stop_exec(struct ast_channel *chan, const char *data)
{
	(void)data;
	return control_exec(chan, LEGREC_ACTION_STOP);
}

static int mask_exec(struct ast_channel *chan, const char *data)
{
	(void)data;
	return control_exec(chan, LEGREC_ACTION_MASK);
}

static int unmask_exec(struct ast_channel *chan, const char *data)
{
	(void)data;
	return control_exec(chan, LEGREC_ACTION_UNMASK);
}

static int pause_exec(struct ast_channel *chan, const char *data)
{
	(void)data;
	return control_exec(chan, LEGREC_ACTION_PAUSE);
}

static int resume_exec(struct ast_channel *chan, const char *data)
{
	(void)data;
	return control_exec(chan, LEGREC_ACTION_RESUME);
}

static int start_core(void)
{
	legrec_host host = { .log = legrec_on_log, .finished = legrec_on_finished, .userdata = NULL };
	legrec_config *config;
	legrec_result r;
	char err[512] = "";
	int unchanged;

	config = legrec_conf_read(0, &unchanged);
	if (!config) {
		return -1;
	}
	ast_rwlock_wrlock(&legrec_core_lock);
	r = legrec_core_new(config, &host, &legrec_the_core, err, sizeof(err));
	ast_rwlock_unlock(&legrec_core_lock);
	legrec_config_free(config);
	if (r != LEGREC_OK) {
		ast_log(LOG_ERROR, "legrec.conf %s; legrec not loaded\n", err);
		return -1;
	}
	return 0;
}

static int reload_module(void)
{
	legrec_config *config;
	char err[512] = "";
	int unchanged;
	legrec_result r;

	config = legrec_conf_read(1, &unchanged);
	if (unchanged) {
		/* Nothing to do is not a failure (Asterisk would say "reported a
		 * reload failure"). */
		return AST_MODULE_RELOAD_SUCCESS;
	}
	if (!config) {
		return AST_MODULE_RELOAD_ERROR;
	}
	ast_rwlock_rdlock(&legrec_core_lock);
	r = legrec_the_core ? legrec_core_reload(legrec_the_core, config, err, sizeof(err)) : LEGREC_ERR_SHUTTING_DOWN;
	ast_rwlock_unlock(&legrec_core_lock);
	legrec_config_free(config);
	if (r != LEGREC_OK) {
		ast_log(LOG_ERROR, "legrec.conf %s; keeping the running configuration\n", err);
		return AST_MODULE_RELOAD_ERROR;
	}
	return AST_MODULE_RELOAD_SUCCESS;
}

static int unload_module(void)
{
	int stopped;
	legrec_core *core;

	ast_unregister_application(app_record);
	ast_unregister_application(app_stop);
	ast_unregister_application(app_mask);
	ast_unregister_application(app_unmask);
	ast_unregister_application(app_pause);
	ast_unregister_application(app_resume);
	legrec_cli_unregister();
	legrec_ami_unregister();
	/* Only reached with live recordings on a forced unload or at shutdown:
	 * take every hook off its channel before the code goes away. */
	stopped = legrec_stop_all_channels();
	if (stopped) {
		ast_log(LOG_NOTICE, "legrec: stopped %d live recording%s on unload\n", stopped, stopped == 1 ? "" : "s");
	}
	/* Their queue watches' final messages run this module's code and free
	 * the recordings: before the core goes. */
	if ((stopped = legrec_queue_drain(5000))) {
		ast_log(LOG_WARNING, "legrec: %d queue watch%s still pending after 5 s on unload\n", stopped,
			stopped == 1 ? "" : "es");
	}
	ast_rwlock_wrlock(&legrec_core_lock);
	core = legrec_the_core;
	legrec_the_core = NULL;
	ast_rwlock_unlock(&legrec_core_lock);
	/* Finalizes every file and joins the workers. */
	legrec_core_free(core);
	ast_rwlock_destroy(&legrec_core_lock);
	return 0;
}

static int load_module(void)
{
	int res = 0;

	ast_rwlock_init(&legrec_core_lock);
	if (start_core()) {
		ast_rwlock_destroy(&legrec_core_lock);
		return AST_MODULE_LOAD_DECLINE;
	}
	res |= ast_register_application_xml(app_record, record_exec);
	res |= ast_register_application_xml(app_stop, stop_exec);
	res |= ast_register_application_xml(app_mask, mask_exec);
	res |= ast_register_application_xml(app_unmask, unmask_exec);
	res |= ast_register_application_xml(app_pause, pause_exec);
	res |= ast_register_application_xml(app_resume, resume_exec);
	res |= legrec_cli_register();
	res |= legrec_ami_register();
	if (res) {
		unload_module();
		return AST_MODULE_LOAD_DECLINE;
	}
	return AST_MODULE_LOAD_SUCCESS;
}

AST_MODULE_INFO(ASTERISK_GPL_KEY, AST_MODFLAG_DEFAULT, "legrec per-leg FLAC call recording",
	.support_level = AST_MODULE_SUPPORT_EXTENDED,
	.load = load_module,
	.unload = unload_module,
	.reload = reload_module,
);
