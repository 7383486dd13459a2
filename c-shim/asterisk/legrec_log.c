/*
 * legrec_log.c -- the core's log records, into Asterisk's logger.
 *
 * Records keep the core's file and line, and carry the channel name where
 * there is one, so `core set debug` and the log files read as for any other
 * module.
 */
#include "legrec_ast.h"

#include "asterisk/logger.h"
#include "asterisk/options.h"

void legrec_on_log(void *userdata, const legrec_log_record *r)
{
	const char *chan = r->channel ? r->channel : "";
	const char *sep = r->channel ? ": " : "";

	(void)userdata;
	/* Start-up, reload and configuration messages come with target
	 * "notice": the admin should see them at NOTICE. */
	if (r->level == LEGREC_LOG_INFO && !strcmp(r->target, "notice")) {
		ast_log(__LOG_NOTICE, r->file, r->line, "legrec", "%s%s%s\n", chan, sep, r->message);
		return;
	}
	switch (r->level) {
	case LEGREC_LOG_ERROR:
		ast_log(__LOG_ERROR, r->file, r->line, "legrec", "%s%s%s\n", chan, sep, r->message);
		break;
	case LEGREC_LOG_WARN:
		ast_log(__LOG_WARNING, r->file, r->line, "legrec", "%s%s%s\n", chan, sep, r->message);
		break;
	case LEGREC_LOG_INFO:
		if (VERBOSITY_ATLEAST(2)) {
			__ast_verbose(r->file, r->line, "legrec", 2, "%s%s%s\n", chan, sep, r->message);
		}
		break;
	default:
		if (DEBUG_ATLEAST(r->level == LEGREC_LOG_DEBUG ? 1 : 3)) {
			ast_log(__LOG_DEBUG, r->file, r->line, "legrec", "%s%s%s\n", chan, sep, r->message);
		}
		break;
	}
}
