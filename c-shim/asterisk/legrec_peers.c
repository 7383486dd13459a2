/*
 * legrec_peers.c -- who the recorded channel talks to.  Called from the
 * recorded channel's own bridge thread (its join, interval and leave
 * hooks, legrec_hook.c), so `lc->peers` needs no lock: it compares the
 * bridge's other channels with those it saw last and tells the core who
 * joined and who left.  A queue's member name comes from app_queue's
 * AgentConnect (legrec_queue.c) and, where queues.conf sets
 * `setinterfacevar = yes`, from MEMBERNAME / MEMBERINTERFACE on the
 * recorded channel; the core gives it to the party of that interface.
 */
#include "legrec_ast.h"

#include "asterisk/bridge.h"
#include "asterisk/bridge_channel.h"
#include "asterisk/pbx.h"

struct seen {
	char channel[AST_CHANNEL_NAME];
	char number[128];
	char name[128];
};

static void joined(struct ast_channel *chan, struct legrec_chan *lc, const struct seen *s)
{
	char member[128] = "", interface[AST_CHANNEL_NAME] = "";
	const char *v;
	legrec_peer peer;

	ast_channel_lock(chan);
	v = pbx_builtin_getvar_helper(chan, "MEMBERINTERFACE");
	ast_copy_string(interface, S_OR(v, ""), sizeof(interface));
	v = pbx_builtin_getvar_helper(chan, "MEMBERNAME");
	ast_copy_string(member, S_OR(v, ""), sizeof(member));
	ast_channel_unlock(chan);
	peer = (legrec_peer) {
		.channel = s->channel, .number = s->number, .name = s->name,
	};
	legrec_recording_peer_join(lc->rec, &peer);
	ast_verb(4, "%s: recording %s: %s joined\n", ast_channel_name(chan), lc->id, s->channel);
	/* The core gives the member to the party of that interface. */
	if (*member && *interface) {
		legrec_recording_peer_member(lc->rec, member, interface);
	}
}

/* LEGREC_AGENT for the dialplan, once the core knows who answered: from
 * the bridge (above) or from app_queue's message, which may come a poll
 * later. */
static void name_agent(struct ast_channel *chan, struct legrec_chan *lc)
{
	char agent[128] = "";

	if (!lc->agent_named && legrec_recording_agent(lc->rec, agent, sizeof(agent)) == LEGREC_OK && *agent) {
		pbx_builtin_setvar_helper(chan, "LEGREC_AGENT", agent);
		ast_verb(3, "%s: recording %s: answered by queue member %s\n", ast_channel_name(chan), lc->id, agent);
		lc->agent_named = 1;
	}
}

void legrec_peers_poll(struct ast_bridge_channel *bridge_channel, struct legrec_chan *lc)
{
	struct seen now[LEGREC_MAX_PEERS];
	struct ast_bridge_channel *other;
	int n = 0, i, j;

	ast_bridge_lock(bridge_channel->bridge);
	AST_LIST_TRAVERSE(&bridge_channel->bridge->channels, other, entry) {
		struct ast_party_caller *caller;

		if (other == bridge_channel || n == LEGREC_MAX_PEERS) {
			continue;
		}
		/* Bridge, then channel: Asterisk's lock order. */
		ast_channel_lock(other->chan);
		caller = ast_channel_caller(other->chan);
		ast_copy_string(now[n].channel, ast_channel_name(other->chan), sizeof(now[n].channel));
		ast_copy_string(now[n].number, S_COR(caller->id.number.valid, caller->id.number.str, ""),
			sizeof(now[n].number));
		ast_copy_string(now[n].name, S_COR(caller->id.name.valid, caller->id.name.str, ""), sizeof(now[n].name));
		ast_channel_unlock(other->chan);
		n++;
	}
	ast_bridge_unlock(bridge_channel->bridge);

	for (i = 0; i < lc->npeers; i++) {
		for (j = 0; j < n && strcmp(lc->peers[i], now[j].channel); j++) {
		}
		if (j == n) {
			legrec_recording_peer_leave(lc->rec, lc->peers[i]);
		}
	}
	for (j = 0; j < n; j++) {
		for (i = 0; i < lc->npeers && strcmp(lc->peers[i], now[j].channel); i++) {
		}
		if (i == lc->npeers) {
			joined(bridge_channel->chan, lc, &now[j]);
		}
	}
	for (j = 0; j < n; j++) {
		ast_copy_string(lc->peers[j], now[j].channel, sizeof(lc->peers[j]));
	}
	lc->npeers = n;
	name_agent(bridge_channel->chan, lc);
}

void legrec_peers_left(struct legrec_chan *lc)
{
	int i;

	for (i = 0; i < lc->npeers; i++) {
		legrec_recording_peer_leave(lc->rec, lc->peers[i]);
	}
	lc->npeers = 0;
}
