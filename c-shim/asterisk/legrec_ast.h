/*
 * legrec_ast.h -- what the files of app_legrec.so share.
 *
 * The shim does PBX work only (audiohooks, datastores, dialplan, CLI, AMI,
 * config, logging); every decision is the core's (include/legrec.h).
 *
 * Which file calls (or hands the core) functions of which; each calls only
 * files further down, so nothing calls back up (tests/shim_layers.rs keeps
 * this list true):
 *
 *   app_legrec.c      -> legrec_cli.c, legrec_ami.c, legrec_control.c, legrec_hook.c,
 *                        legrec_events.c, legrec_conf.c, legrec_log.c, legrec_queue.c
 *   legrec_cli.c      -> legrec_control.c
 *   legrec_ami.c      -> legrec_control.c
 *   legrec_control.c  -> legrec_hook.c
 *   legrec_hook.c     -> legrec_peers.c, legrec_keys.c, legrec_events.c, legrec_queue.c
 *   legrec_peers.c    -> (none)
 *   legrec_queue.c    -> (none)
 *   legrec_keys.c     -> (none)
 *   legrec_events.c   -> (none)
 *   legrec_conf.c     -> (none)
 *   legrec_log.c      -> (none)
 *
 * The core itself (legrec_the_core, owned by app_legrec.c) is read by
 * legrec_hook.c and legrec_cli.c under legrec_core_lock.
 */
#ifndef LEGREC_AST_H
#define LEGREC_AST_H

#include "asterisk.h"

#include "asterisk/astobj2.h"
#include "asterisk/audiohook.h"
#include "asterisk/channel.h"
#include "asterisk/lock.h"

#include "legrec.h"

/* Parties followed at once in one bridge (a conference has more: the
 * first ones are recorded as peers). */
#define LEGREC_MAX_PEERS 8

/* The recorder, while the module is loaded.  Read under legrec_core_lock. */
extern legrec_core *legrec_the_core;
extern ast_rwlock_t legrec_core_lock;

/* What one recorded channel carries, in a datastore so it follows the
 * channel.  An ao2 object: the datastore holds a reference, and so does
 * every thread using it (legrec_chan_find), so a stop or hangup on another
 * thread cannot free it under a CLI, AMI or bridge thread. */
struct legrec_chan {
  /* First: the audiohook callback finds us from its pointer. */
  struct ast_audiohook hook;
  legrec_recording *rec;
  char id[64];
  char policy[80];
  char notice[256];
  /* The notice is still owed to the other party once bridged. */
  int notice_to_peer;
  /* The policy mixes a warning beep into both directions. */
  int beep;
  /* What the last reference must undo. */
  int hook_ready;
  int module_ref;
  /* The bridge's other channels as last seen (legrec_peers.c; only the
   * recorded channel's bridge thread touches them). */
  char peers[LEGREC_MAX_PEERS][AST_CHANNEL_NAME];
  int npeers;
  /* The agent keys' framehook (legrec_keys.c), or -1. */
  int keys_hook;
  /* app_queue's AgentConnect on the channel (legrec_queue.c), or NULL. */
  struct stasis_subscription *queue_watch;
  /* LEGREC_AGENT is set (legrec_peers.c; the bridge thread only). */
  int agent_named;
  /* A frame the audiohook gave in another format than signed linear was
   * logged (once: it is the media thread's path). */
  int foreign_frame_logged;
};

struct ast_bridge_channel;

/* legrec_peers.c: who joined and left the recorded channel's bridge. */
void legrec_peers_poll(struct ast_bridge_channel *bridge_channel, struct legrec_chan *lc);
void legrec_peers_left(struct legrec_chan *lc);

/* legrec_queue.c: name the queue member who answers from app_queue's
 * AgentConnect; the subscription (NULL on failure) holds a reference to
 * `lc` until stasis_unsubscribe's final message. */
struct stasis_subscription;
struct stasis_subscription *legrec_queue_watch(struct ast_channel *chan, struct legrec_chan *lc);
/* Wait at most `timeout_ms` for every unsubscribed watch's final message;
 * how many are still pending. */
int legrec_queue_drain(int timeout_ms);

/* legrec_keys.c: watch the channel's DTMF for the policy's agent keys; the
 * framehook id, or -1. */
int legrec_keys_attach(struct ast_channel *chan, struct legrec_chan *lc);

/* legrec_hook.c: start/stop recording a channel. */
int legrec_chan_start(struct ast_channel *chan, const char *policy, int notice_played_before,
                      legrec_start *status);
/* The channel's recording, or NULL; the caller owns a reference and gives
 * it back with ao2_ref(lc, -1). */
struct legrec_chan *legrec_chan_find(struct ast_channel *chan);
int legrec_chan_stop(struct ast_channel *chan);
/* Stop every recording on every channel (unload). */
int legrec_stop_all_channels(void);

/* legrec_control.c: mask/pause/stop by channel name, shared by the
 * dialplan, CLI and AMI (the words are the header's legrec_action).
 * Returns a legrec_result, or -1 when the channel has no recording. */
int legrec_control(struct ast_channel *chan, legrec_action action, const char *by);
int legrec_control_by_name(const char *name, legrec_action action, const char *by);
const char *legrec_control_message(int result);

/* legrec_cli.c and legrec_ami.c */
int legrec_cli_register(void);
void legrec_cli_unregister(void);
int legrec_ami_register(void);
void legrec_ami_unregister(void);

/* legrec_events.c: the AMI events LegRecordStart, LegRecordConsent and
 * (from a core worker, as the host's finished callback) LegRecordStop. */
void legrec_ami_start_event(struct ast_channel *chan, struct legrec_chan *lc);
void legrec_ami_consent_event(struct ast_channel *chan, struct legrec_chan *lc, const char *decision);
void legrec_on_finished(void *userdata, const legrec_finished *f);

/* legrec_conf.c: legrec.conf into the core's key/value form.  Returns NULL
 * and logs when the file cannot be read. */
legrec_config *legrec_conf_read(int reload, int *unchanged);

/* legrec_log.c: the core's log records into Asterisk's logger. */
void legrec_on_log(void *userdata, const legrec_log_record *record);

#endif
