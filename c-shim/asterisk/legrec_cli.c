/*
 * legrec_cli.c -- `legrec show recordings|policies` and
 * `legrec stop|mask|unmask|pause|resume <channel>`.
 */
#include "legrec_ast.h"

#include "asterisk/cli.h"
#include "asterisk/utils.h"

struct cli_out {
	int fd;
	int count;
};

static void print_recording(void *ud, const legrec_live_info *r)
{
	struct cli_out *o = ud;

	ast_cli(o->fd, "%-36s %-30s %-16s %9.1f %8llu %s%s\n", r->channel, r->id, r->policy, r->seconds,
		(unsigned long long) r->dropped_frames, r->masked ? "masked " : "", r->paused ? "paused" : "");
	o->count++;
}

static char *show_recordings(struct ast_cli_entry *e, int cmd, struct ast_cli_args *a)
{
	struct cli_out o = { 0 };

	switch (cmd) {
	case CLI_INIT:
		e->command = "legrec show recordings";
		e->usage = "Usage: legrec show recordings\n"
			"       Lists the calls legrec is recording: channel, recording id, policy,\n"
			"       seconds recorded and frames dropped.\n";
		return NULL;
	case CLI_GENERATE:
		return NULL;
	}
	if (a->argc != 3) {
		return CLI_SHOWUSAGE;
	}
	o.fd = a->fd;
	ast_cli(a->fd, "%-36s %-30s %-16s %9s %8s %s\n", "Channel", "Id", "Policy", "Seconds", "Dropped", "State");
	ast_rwlock_rdlock(&legrec_core_lock);
	if (legrec_the_core) {
		legrec_core_recordings(legrec_the_core, print_recording, &o);
	}
	ast_rwlock_unlock(&legrec_core_lock);
	ast_cli(a->fd, "%d active recording%s\n", o.count, ESS(o.count));
	return CLI_SUCCESS;
}

static void print_policy(void *ud, const legrec_policy_info *p)
{
	struct cli_out *o = ud;

	ast_cli(o->fd, "%-16s %-20s %-7s %-8s %-7s %6u %5u %5u %s\n", p->name, *p->notice ? p->notice : "-",
		p->notice_to, p->consent, p->legs, p->sample_rate, p->beep_interval, p->min_duration,
		p->record_notice ? "yes" : "no");
	o->count++;
}

static char *show_policies(struct ast_cli_entry *e, int cmd, struct ast_cli_args *a)
{
	struct cli_out o = { 0 };

	switch (cmd) {
	case CLI_INIT:
		e->command = "legrec show policies";
		e->usage = "Usage: legrec show policies\n"
			"       Lists the recording policies of legrec.conf.\n";
		return NULL;
	case CLI_GENERATE:
		return NULL;
	}
	if (a->argc != 3) {
		return CLI_SHOWUSAGE;
	}
	o.fd = a->fd;
	ast_cli(a->fd, "%-16s %-20s %-7s %-8s %-7s %6s %5s %5s %s\n", "Policy", "Notice", "To", "Consent",
		"Legs", "Rate", "Beep", "MinS", "RecNotice");
	ast_rwlock_rdlock(&legrec_core_lock);
	if (legrec_the_core) {
		legrec_core_policies(legrec_the_core, print_policy, &o);
	}
	ast_rwlock_unlock(&legrec_core_lock);
	ast_cli(a->fd, "%d polic%s\n", o.count, o.count == 1 ? "y" : "ies");
	return CLI_SUCCESS;
}

static char *control(struct ast_cli_entry *e, int cmd, struct ast_cli_args *a)
{
	legrec_action action;
	int res;

	switch (cmd) {
	case CLI_INIT:
		e->command = "legrec {stop|mask|unmask|pause|resume}";
		e->usage = "Usage: legrec {stop|mask|unmask|pause|resume} <channel>\n"
			"       stop: end the channel's recording (files are finalized).\n"
			"       mask/unmask: record silence, keeping the timeline (card numbers).\n"
			"       pause/resume: leave the time out of the recording.\n"
			"       Each interval is written to the recording's sidecar as done by 'cli'.\n";
		return NULL;
	case CLI_GENERATE:
		return a->pos == 2 ? ast_complete_channels(a->line, a->word, a->pos, a->n, 2) : NULL;
	}
	if (a->argc != 3) {
		return CLI_SHOWUSAGE;
	}
	/* The CLI matched the word against the command above. */
	if (legrec_action_parse(a->argv[1], &action) != LEGREC_OK) {
		return CLI_SHOWUSAGE;
	}
	res = legrec_control_by_name(a->argv[2], action, "cli");
	if (res != LEGREC_OK) {
		ast_cli(a->fd, "legrec %s %s: %s\n", a->argv[1], a->argv[2], legrec_control_message(res));
		return CLI_FAILURE;
	}
	ast_cli(a->fd, "legrec %s %s: done\n", a->argv[1], a->argv[2]);
	return CLI_SUCCESS;
}

static struct ast_cli_entry cli_legrec[] = {
	AST_CLI_DEFINE(show_recordings, "List calls being recorded by legrec"),
	AST_CLI_DEFINE(show_policies, "List legrec recording policies"),
	AST_CLI_DEFINE(control, "Stop, mask, unmask, pause or resume a channel's recording"),
};

int legrec_cli_register(void)
{
	return ast_cli_register_multiple(cli_legrec, ARRAY_LEN(cli_legrec));
}

void legrec_cli_unregister(void)
{
	ast_cli_unregister_multiple(cli_legrec, ARRAY_LEN(cli_legrec));
}
