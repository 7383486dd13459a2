/*
 * legrec_queue.c -- which queue member answered, from what app_queue
 * publishes on every queue call whatever queues.conf says: its
 * AgentConnect message (MemberName, Interface) on the caller's channel
 * topic.  MEMBERNAME / MEMBERINTERFACE (legrec_peers.c) exist only with
 * `setinterfacevar = yes`; without it the agent went unnamed and nothing
 * told the admin why.
 *
 * The subscription holds a reference to the recording's legrec_chan until
 * its final message.  The datastore's destroy stops the recording and
 * unsubscribes without waiting, so a hangup never waits on a stasis
 * thread; unload waits for the final messages (legrec_queue_drain), since
 * they run this module's code.  It uses the shared stasis pool: a plain
 * subscription would cost a thread per recorded call.
 */
#include "legrec_ast.h"

#include "asterisk/json.h"
#include "asterisk/stasis.h"
#include "asterisk/stasis_channels.h"

/* app_queue's message type is its own and not exported: it is known by
 * the name it was created with (STASIS_MESSAGE_TYPE_DEFN_LOCAL). */
#define AGENT_CONNECT "queue_agent_connect_type"

/* Subscriptions whose final message has not run yet. */
static int live_watches;

static void on_channel_message(void *data, struct stasis_subscription *sub, struct stasis_message *msg)
{
	struct legrec_chan *lc = data;
	struct ast_json *blob;
	const char *member, *interface, *type;

	if (stasis_subscription_final_message(sub, msg)) {
		ao2_ref(lc, -1);
		ast_atomic_fetchadd_int(&live_watches, -1);
		return;
	}
	type = stasis_message_type_name(stasis_message_type(msg));
	if (!type || strcmp(type, AGENT_CONNECT)) {
		return;
	}
	blob = ast_multi_channel_blob_get_json(stasis_message_data(msg));
	member = ast_json_string_get(ast_json_object_get(blob, "MemberName"));
	interface = ast_json_string_get(ast_json_object_get(blob, "Interface"));
	if (!ast_strlen_zero(member)) {
		legrec_recording_peer_member(lc->rec, member, interface);
	}
}

struct stasis_subscription *legrec_queue_watch(struct ast_channel *chan, struct legrec_chan *lc)
{
	struct stasis_subscription *sub;

	ao2_ref(lc, +1);
	ast_atomic_fetchadd_int(&live_watches, +1);
	sub = stasis_subscribe_pool(ast_channel_topic(chan), on_channel_message, lc);
	if (!sub) {
		ast_atomic_fetchadd_int(&live_watches, -1);
		ao2_ref(lc, -1);
		ast_log(LOG_WARNING, "%s: recording %s: cannot watch for the queue member who answers\n",
			ast_channel_name(chan), lc->id);
	}
	return sub;
}

int legrec_queue_drain(int timeout_ms)
{
	int waited = 0;

	while (ast_atomic_fetchadd_int(&live_watches, 0) > 0 && waited < timeout_ms) {
		usleep(10000);
		waited += 10;
	}
	return ast_atomic_fetchadd_int(&live_watches, 0);
}
