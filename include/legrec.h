/*
 * legrec.h -- the C contract between a PBX shim and the legrec core.
 *
 * This header is the single source of truth for the boundary: build.rs runs
 * bindgen over it and the Rust side is checked against every prototype at
 * compile time.  Keep it hand-written and readable: a PBX module author
 * should be able to use the core from this file alone.
 *
 * Conventions (modelled on rustls-ffi):
 *  - Handles are opaque.  A `*_new`/`*_start` function hands out a handle
 *    that the caller owns; the matching `*_free` releases it.  Passing NULL
 *    to a `*_free` function does nothing.
 *  - Every function returns a legrec_result (or a documented default) and
 *    never lets a Rust panic unwind into the caller: a panic becomes
 *    LEGREC_ERR_PANIC.
 *  - Pointer arguments are checked for NULL before anything else, then
 *    lengths.  Strings are NUL-terminated UTF-8 unless a length is given.
 *    Strings passed in are copied; the caller keeps ownership.
 *  - Strings passed out of the core into callbacks are valid only for the
 *    duration of the callback.
 *
 * Threads:
 *  - legrec_recording_push() is the media-thread path.  It never blocks,
 *    never allocates, never takes a lock and never makes a system call.
 *    One thread at a time may push into a given leg; a second thread pushing
 *    into the same leg at the same moment gets LEGREC_ERR_BUSY and its frame
 *    is counted as dropped.  The two legs may be pushed from two threads.
 *  - Every other function may be called from any thread, and may take locks
 *    or do I/O; never call them from a media callback that must not block.
 */
#ifndef LEGREC_H
#define LEGREC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- results */

/*
 * Every fallible function returns one of these.  The numbers are stable:
 * they may be logged, compared and stored.  Use legrec_result_message() for
 * a human readable text.
 */
typedef enum legrec_result {
  LEGREC_OK = 0,
  /* A required pointer argument was NULL. */
  LEGREC_ERR_NULL_PARAMETER = 7001,
  /* An argument was out of range (a zero or absurd sample count, an unknown
   * leg, a string that is not UTF-8, ...). */
  LEGREC_ERR_INVALID_PARAMETER = 7002,
  /* The core caught a panic; the operation did not happen.  The PBX is
   * unaffected; the event is logged. */
  LEGREC_ERR_PANIC = 7003,
  /* A configuration line was rejected; the message says section, key and
   * line.  At load the core is not created; at reload the running
   * configuration is kept. */
  LEGREC_ERR_CONFIG = 7004,
  /* The named policy does not exist in the configuration. */
  LEGREC_ERR_UNKNOWN_POLICY = 7005,
  /* The recording has been stopped: pushes, masks and pauses are refused. */
  LEGREC_ERR_STOPPED = 7006,
  /* The frame could not be queued (the leg's ring is full because the disk
   * or the encoder is behind, or another thread is pushing into the same
   * leg).  The frame's samples are counted as dropped and the encoder writes
   * that much silence so the legs stay time-aligned. */
  LEGREC_ERR_BUSY = 7007,
  /* Creating the recording's files or directories failed (permissions, full
   * disk, ...).  The message and the log say which path. */
  LEGREC_ERR_IO = 7008,
  /* The core is shutting down and takes no new recordings. */
  LEGREC_ERR_SHUTTING_DOWN = 7009,
  /* The caller's buffer was too small; the text was truncated. */
  LEGREC_ERR_BUFFER_TOO_SMALL = 7010,
  /* The operation is not valid in the recording's current state (for
   * example unmask while not masked). */
  LEGREC_ERR_STATE = 7011,
  /* The policy's never_record names this call's party: nothing is
   * recorded and nothing is written. */
  LEGREC_ERR_EXEMPT = 7012,
} legrec_result;

/*
 * Write the message for `result` into `buf` (at most `len` bytes including
 * the terminating NUL) and store the number of bytes written, without the
 * NUL, in `*out_n`.  An unknown number is described as an invalid
 * parameter.  Returns LEGREC_ERR_BUFFER_TOO_SMALL when the text was cut.
 * `out_n` may be NULL.
 */
legrec_result legrec_result_message(legrec_result result, char *buf, size_t len,
                                    size_t *out_n);

/* The core's version as a static NUL-terminated string; never NULL. */
const char *legrec_version(void);

/* ---------------------------------------------------------------- logging */

typedef enum legrec_log_level {
  LEGREC_LOG_ERROR = 1,
  LEGREC_LOG_WARN = 2,
  LEGREC_LOG_INFO = 3,
  LEGREC_LOG_DEBUG = 4,
  LEGREC_LOG_TRACE = 5,
} legrec_log_level;

/*
 * One log record.  All strings are NUL-terminated and valid only during the
 * callback.  `channel` is the PBX channel name and `uniqueid` its unique id
 * (Asterisk's uniqueid, FreeSWITCH's session uuid) the record is about, or
 * NULL.  `file` and `line` point into the Rust core's sources.  `target`
 * is "notice" for start-up, reload and configuration messages an admin
 * should see at NOTICE level.
 */
typedef struct legrec_log_record {
  legrec_log_level level;
  const char *target;
  const char *file;
  uint32_t line;
  const char *channel;
  const char *uniqueid;
  const char *message;
} legrec_log_record;

/*
 * Called from any thread the core runs on (worker threads included), never
 * from legrec_recording_push().  Must be thread-safe.
 */
typedef void (*legrec_log_callback)(void *userdata, const legrec_log_record *record);

/* ---------------------------------------------------------------- events */

typedef enum legrec_status {
  LEGREC_STATUS_RECORDING = 0,
  LEGREC_STATUS_COMPLETE = 1,
  LEGREC_STATUS_FAILED = 2,
  LEGREC_STATUS_DECLINED = 3,
  /* Shorter than the policy's min_duration: the files were removed. */
  LEGREC_STATUS_DISCARDED = 4,
} legrec_status;

/*
 * What a finished recording left behind, passed to the finished callback.
 * Strings are valid only during the callback; `reason` is "" unless the
 * status is FAILED.  `files` is a comma separated list of absolute paths
 * (FLAC files, then the JSON sidecar), "" when nothing was kept.
 */
typedef struct legrec_finished {
  const char *id;
  const char *policy;
  const char *channel;
  const char *files;
  legrec_status status;
  const char *reason;
  double seconds;
  /* The queue member who answered ("" when no queue connected anyone). */
  const char *agent;
} legrec_finished;

/*
 * Called from a worker thread once a recording's files are final (or have
 * been removed).  Use it to raise the PBX's own events (AMI, ESL).
 */
typedef void (*legrec_finished_callback)(void *userdata, const legrec_finished *finished);

/*
 * The host's callbacks.  Either callback may be NULL.  `userdata` is handed
 * back unchanged; the core never frees it.  The core stops calling both
 * callbacks before legrec_core_free() returns.
 */
typedef struct legrec_host {
  legrec_log_callback log;
  legrec_finished_callback finished;
  void *userdata;
} legrec_host;

/* ---------------------------------------------------------- configuration */

/*
 * Configuration is handed over as sections of key/value strings, in the
 * order the PBX's own config reader met them.  Section "general" holds the
 * global settings; every other section is a policy named after it.
 */
typedef struct legrec_config legrec_config;

/* A new empty configuration, owned by the caller.  NULL only if out of
 * memory. */
legrec_config *legrec_config_new(void);

/*
 * Add one `key = value` line of section `section`, read from line `line` of
 * the PBX's config file (0 if unknown; it is used in error messages).  All
 * strings are copied.  With `key` and `value` both NULL the section is only
 * declared: a policy with every setting at its default.  Values are checked when the configuration is given to
 * legrec_core_new() or legrec_core_reload(), so that every error is reported
 * with its section, key and line.
 */
legrec_result legrec_config_set(legrec_config *config, const char *section, const char *key,
                                const char *value, uint32_t line);

/* Release a configuration.  NULL does nothing. */
void legrec_config_free(legrec_config *config);

/* ------------------------------------------------------------------ core */

/* The process-wide recorder: policies, worker threads, live recordings. */
typedef struct legrec_core legrec_core;

/*
 * Validate `config` and start the core: create the spool directory and the
 * worker threads.  On success `*out` owns the new core.  On failure `*out` is
 * NULL and, when `err` is not NULL, a message naming the section, key and
 * line is written into `err` (at most `err_len` bytes, NUL-terminated).
 * `config` stays owned by the caller.  `host` is copied.
 */
legrec_result legrec_core_new(const legrec_config *config, const legrec_host *host,
                              legrec_core **out, char *err, size_t err_len);

/*
 * Validate `config` and make it the running configuration.  Live recordings
 * keep the policy they started with; new recordings use the new one.  On a
 * configuration error the running configuration is kept and the message is
 * written into `err` as for legrec_core_new().  Worker count, spool_dir and
 * file modes take effect for new recordings; the worker count needs a new
 * core.
 */
legrec_result legrec_core_reload(legrec_core *core, const legrec_config *config, char *err,
                                 size_t err_len);

/*
 * Stop every live recording, wait until every file is final, join the
 * worker threads, stop calling the host's callbacks and release the core.
 * Recording handles the caller still holds stay valid (every call on them
 * returns LEGREC_ERR_STOPPED) until freed.  NULL does nothing.
 */
void legrec_core_free(legrec_core *core);

/* One policy as the CLI shows it.  Strings valid during the callback. */
typedef struct legrec_policy_info {
  const char *name;
  const char *notice;
  const char *notice_to;
  const char *consent;
  const char *legs;
  uint32_t sample_rate;
  uint32_t beep_interval;
  uint32_t min_duration;
  bool record_notice;
} legrec_policy_info;

typedef void (*legrec_policy_callback)(void *userdata, const legrec_policy_info *policy);

/* Call `callback` once per configured policy, in name order. */
legrec_result legrec_core_policies(const legrec_core *core, legrec_policy_callback callback,
                                   void *userdata);

/* ------------------------------------------------------------ recordings */

/* One call being recorded: two legs, `in` and `out`. */
typedef struct legrec_recording legrec_recording;

typedef enum legrec_leg {
  /* What the recorded party says (the PBX reads it from that party). */
  LEGREC_LEG_IN = 0,
  /* What the recorded party hears (the PBX writes it to that party). */
  LEGREC_LEG_OUT = 1,
} legrec_leg;

/*
 * Call metadata.  Any field may be NULL (stored as empty).  `pbx` names the
 * PBX and its version ("Asterisk 16.28.0").  Strings are copied.
 * `unattended` is true when the start comes from outside the call (an API
 * or CLI command) so nobody can run a consent window on it: a policy that
 * asks for a key press is then refused before anything is written.
 * `notice_played_before` is the dialplan saying the policy's notice was
 * already played (Asterisk's LegRecord `n` option: by the IVR): the plan
 * then has no notice, unless a party's law asks for one the policy lacks.
 * `queue` is the queue the dialplan names (LEGREC_QUEUE, legrec_queue),
 * `pbx_queue` the one the PBX's queue application set (QUEUENAME,
 * cc_queue): the core records the first, or the second when it is empty.
 */
typedef struct legrec_call_info {
  const char *pbx;
  const char *channel;
  const char *uniqueid;
  const char *caller_number;
  const char *caller_name;
  const char *callee;
  const char *queue;
  bool unattended;
  bool notice_played_before;
  const char *pbx_queue;
} legrec_call_info;

/*
 * Open a recording under the policy `policy` for the call described by
 * `call`.  Allocates both legs' rings and has one of legrec's opener
 * threads create the files (O_EXCL, the configured modes) and the
 * in-progress marker.  Waits for them at most `start_wait_ms`: an error
 * within it is returned (LEGREC_ERR_IO); after it this returns LEGREC_OK,
 * the worker encodes the audio into memory until the files are there (up
 * to 30 s of it), and an error then is logged and ends the recording
 * failed (the host's finished callback says so).  Recording starts at once: both
 * legs share this instant as their start.  On success `*out` owns the handle; free it with
 * legrec_recording_free() once the PBX no longer pushes into it.
 * Errors: LEGREC_ERR_UNKNOWN_POLICY, LEGREC_ERR_IO,
 * LEGREC_ERR_SHUTTING_DOWN, LEGREC_ERR_EXEMPT (never_record),
 * LEGREC_ERR_STATE (an unattended start of a consent-by-keypress policy).
 */
legrec_result legrec_recording_start(legrec_core *core, const char *policy,
                                     const legrec_call_info *call, legrec_recording **out);

/* Who hears the recording notice. */
typedef enum legrec_party {
  LEGREC_PARTY_NONE = 0,
  /* The recorded channel only (the caller, for a queue call). */
  LEGREC_PARTY_CALLER = 1,
  /* The recorded channel, and the other party once bridged. */
  LEGREC_PARTY_BOTH = 2,
} legrec_party;

/* How the recorded party's consent is obtained. */
typedef enum legrec_consent_mode {
  /* Tell them (the notice) and record. */
  LEGREC_CONSENT_NOTIFY = 0,
  /* Tell them; a press of `consent_digit` within the window refuses. */
  LEGREC_CONSENT_OPT_OUT = 1,
  /* Tell them; only a press of `consent_digit` within the window records. */
  LEGREC_CONSENT_OPT_IN = 2,
} legrec_consent_mode;

/*
 * What the shim must do around a recording, decided by its policy, by the
 * dialplan's `notice_played_before` and, with `jurisdiction = auto`, by the
 * law of the parties' numbers.  Strings are owned by the recording and
 * valid until legrec_recording_free().  The shim carries it out and
 * decides nothing itself:
 *
 *  - `notice`: a PBX sound name to play now, "" = none.  Play it to the
 *    recorded channel, and when `notice_to_peer` is true once to the party
 *    it is bridged to (`notice_to` says the same as a party, for display).
 *    Around each playback call
 *    legrec_recording_notice_begin() and legrec_recording_notice_end();
 *    the core keeps the notice out of the recording when the policy says
 *    so (record_notice = no).
 *  - consent: under OPT_OUT and OPT_IN, after the notice call
 *    legrec_recording_consent_begin(), play `consent_prompt`, and report the
 *    keys pressed within `consent_timeout_ms` with legrec_recording_consent().
 *  - `beep_interval`: when non-zero, pass every frame of both directions
 *    through legrec_recording_beep() before pushing it.
 */
typedef struct legrec_plan {
  const char *notice;
  legrec_party notice_to;
  /* Play `notice` once to the party the recorded channel is bridged to. */
  bool notice_to_peer;
  uint32_t sample_rate;
  uint32_t beep_interval;
  legrec_consent_mode consent;
  char consent_digit;
  uint32_t consent_timeout_ms;
  const char *consent_prompt;
  /* True when the notice is played because the law of a party's number
   * requires it although the policy (or the dialplan) would not: worth a
   * line on the console. */
  bool notice_required_by_law;
  /* The policy has agent keys: report every DTMF digit of both sides with
   * legrec_recording_key(), and drop those it holds. */
  bool keys;
} legrec_plan;

legrec_result legrec_recording_plan(const legrec_recording *recording, legrec_plan *out);

/*
 * Media-thread path: queue `count` signed 16-bit mono samples at
 * `sample_rate` Hz for `leg`.  Copies the samples; `samples` stays the
 * caller's.  `count` must be 1..=LEGREC_MAX_FRAME_SAMPLES and `sample_rate`
 * one of 8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000.  A frame at
 * another rate than the policy's is resampled by the worker.  While the
 * recording is paused the frame is discarded (LEGREC_OK); while masked it is
 * recorded as silence.
 * Errors: LEGREC_ERR_NULL_PARAMETER, LEGREC_ERR_INVALID_PARAMETER,
 * LEGREC_ERR_STOPPED, LEGREC_ERR_BUSY (frame counted as dropped).
 */
legrec_result legrec_recording_push(legrec_recording *recording, legrec_leg leg,
                                    const int16_t *samples, size_t count, uint32_t sample_rate);

/* The largest frame legrec_recording_push() accepts: 1 s at 48 kHz. */
#define LEGREC_MAX_FRAME_SAMPLES 48000

/*
 * Mask (`on` = true) or unmask the recording: both legs record silence,
 * the timeline is kept.  `by` says who asked and how ("dialplan",
 * "cli", "ami", "dtmf:agent"...) and goes into the sidecar; NULL means
 * "unknown".  Masking a masked recording returns LEGREC_ERR_STATE.
 */
legrec_result legrec_recording_mask(legrec_recording *recording, bool on, const char *by);

/*
 * Pause (`on` = true) or resume the recording: audio pushed while paused is
 * not recorded and the time is cut out; the interval is kept in the sidecar.
 */
legrec_result legrec_recording_pause(legrec_recording *recording, bool on, const char *by);

/* A party the recorded channel is bridged with.  `channel` is required
 * (it names the party when it leaves); any other field may be NULL.
 * Strings are copied. */
typedef struct legrec_peer {
  const char *channel;
  const char *number;
  const char *name;
  /* The queue member and its interface, when a queue connected this party
   * (app_queue's MEMBERNAME / MEMBERINTERFACE, mod_callcenter's agent). */
  const char *member;
  const char *interface;
} legrec_peer;

/*
 * `peer` joined the recorded channel's bridge (a queue answer, a bridge, a
 * pickup, a transfer), now: the core notes when, in recording time, for
 * the sidecar's `peers`.  Reporting a party that is already there again
 * changes nothing.  Errors: LEGREC_ERR_NULL_PARAMETER (`peer` or its
 * `channel`), LEGREC_ERR_INVALID_PARAMETER (a string that is not UTF-8).
 */
legrec_result legrec_recording_peer_join(legrec_recording *recording, const legrec_peer *peer);

/*
 * The party `channel` left the bridge, now.
 * Errors: LEGREC_ERR_NULL_PARAMETER, LEGREC_ERR_STATE (not there).
 */
legrec_result legrec_recording_peer_leave(legrec_recording *recording, const char *channel);

/*
 * A queue connected `member` of `interface` (may be NULL) to the recorded
 * channel, for a PBX that says so apart from the bridge (app_queue's
 * AgentConnect or MEMBERNAME, mod_callcenter's bridge-agent-start).  With
 * an interface, the party whose channel is of that interface is it (still
 * there or gone), or else the next of that interface to join; without
 * one, the party bridged now without a member, or else the next to join.
 * A member already named is not named again.
 * Errors: LEGREC_ERR_NULL_PARAMETER (`member`).
 */
legrec_result legrec_recording_peer_member(legrec_recording *recording, const char *member,
                                           const char *interface);

/*
 * Copy the agent who answered (the member of the first party a queue
 * connected) into `buf`, "" while there is none: for the dialplan's
 * LEGREC_AGENT / legrec_agent.  Errors: LEGREC_ERR_BUFFER_TOO_SMALL (cut
 * to fit, NUL-terminated).
 */
legrec_result legrec_recording_agent(const legrec_recording *recording, char *buf, size_t len);

/* Which side of the call: the recorded channel (the caller, for a queue
 * call) or the party bridged to it (the agent). */
typedef enum legrec_side {
  LEGREC_SIDE_CALLER = 0,
  LEGREC_SIDE_AGENT = 1,
} legrec_side;

/*
 * The plan's notice starts to play to `side`: call it just before asking
 * the PBX to play (or queue) the sound.  On the caller's side the core
 * pauses the recording when the policy keeps notices out of it.
 * Errors: LEGREC_ERR_INVALID_PARAMETER (`side`), LEGREC_ERR_STATE (begun
 * twice for one side without an end).
 */
legrec_result legrec_recording_notice_begin(legrec_recording *recording, legrec_side side);

/*
 * The notice to `side` is over.  `played` says whether the PBX played it:
 * true when it opened the sound and started (or, for a notice queued to
 * another channel, accepted it into that channel's queue), false when it
 * could not.  One rule on every PBX: a notice counts as played in the
 * sidecar only then, at the offset where legrec_recording_notice_begin()
 * was called.  A pause the notice made ends here.
 * Errors: LEGREC_ERR_INVALID_PARAMETER (`side`), LEGREC_ERR_STATE (no
 * notice begun for `side`).
 */
legrec_result legrec_recording_notice_end(legrec_recording *recording, legrec_side side,
                                          bool played);

/* The consent window opens (the prompt starts).  Under OPT_IN the
 * recording pauses until the caller agrees. */
legrec_result legrec_recording_consent_begin(legrec_recording *recording);

typedef enum legrec_consent_decision {
  /* Not the consent key: keep listening until the window closes. */
  LEGREC_CONSENT_WAIT = 0,
  /* Recording goes on (opt-out without a press, opt-in with one). */
  LEGREC_CONSENT_KEEP = 1,
  /* The party refused (opt-out press, or opt-in without one) and the
   * policy keeps the agent's side (declined_action = agent-only): what was
   * recorded of the caller is deleted at the end; recording goes on. */
  LEGREC_CONSENT_DECLINED = 2,
  /* The party refused and the policy keeps nothing of the call
   * (declined_action = drop): the recording has stopped and what it held
   * is deleted.  legrec_consent_steps_for() says what the PBX does then. */
  LEGREC_CONSENT_DECLINED_STOPPED = 3,
} legrec_consent_decision;

/*
 * Report a key pressed in the consent window (`digit` is '0'-'9', '*' or
 * '#'), or '\0' when the window closed without the consent key.  The
 * decision, the key and when it came go into the sidecar.
 */
legrec_result legrec_recording_consent(legrec_recording *recording, char digit,
                                       legrec_consent_decision *out);

/* What a DTMF digit was to the policy's agent keys. */
typedef enum legrec_key_result {
  /* Not a key: pass it on. */
  LEGREC_KEY_PASS = 0,
  /* The start of a key: keep it from the other party. */
  LEGREC_KEY_HELD = 1,
  /* A whole key: it acted (mask, pause, on-demand recording); keep it from
   * the other party. */
  LEGREC_KEY_ACTED = 2,
} legrec_key_result;

/*
 * A DTMF digit ('0'-'9', '*', '#') on `side`: the recorded channel's own
 * (LEGREC_SIDE_CALLER) or from the party bridged with it
 * (LEGREC_SIDE_AGENT).  `ended` is false for the digit's begin, so the PBX
 * can hold it back from the start, true once it ended: a key acts then.
 * Each key use goes into the sidecar with its side and time.
 * Errors: LEGREC_ERR_NULL_PARAMETER, LEGREC_ERR_INVALID_PARAMETER.
 */
legrec_result legrec_recording_key(legrec_recording *recording, legrec_side side, char digit,
                                   bool ended, legrec_key_result *out);

/*
 * Media-thread path, like legrec_recording_push(): when the policy has a
 * beep_interval, mix the warning tone (1400 Hz, 0.5 s, every
 * beep_interval seconds of the call) into `samples` in place and set
 * `*mixed`.  Call it for every frame of both directions, before the frame
 * goes on to the parties and to legrec_recording_push().
 */
legrec_result legrec_recording_beep(legrec_recording *recording, legrec_leg leg, int16_t *samples,
                                    size_t count, uint32_t sample_rate, bool *mixed);

/*
 * Stop recording.  Returns at once; a worker finalizes the files (FLAC
 * STREAMINFO, seek table, sidecar) and then calls the host's finished
 * callback.  Stopping twice returns LEGREC_ERR_STOPPED.
 */
legrec_result legrec_recording_stop(legrec_recording *recording);

/*
 * Copy the recording's id (unique, sortable by time) into `buf`
 * (NUL-terminated, at most `len` bytes).  LEGREC_ERR_BUFFER_TOO_SMALL if it
 * did not fit; 64 bytes always suffice.
 */
legrec_result legrec_recording_id(const legrec_recording *recording, char *buf, size_t len);

/*
 * Copy the recording's file paths, comma separated (FLAC files, then the
 * sidecar the worker will write), into `buf` (NUL-terminated, at most `len`
 * bytes).  LEGREC_ERR_BUFFER_TOO_SMALL if they did not fit.
 */
legrec_result legrec_recording_files(const legrec_recording *recording, char *buf, size_t len);

/* Counters of one recording, as the CLI shows them. */
typedef struct legrec_recording_stats {
  /* Seconds of audio recorded so far (the longer leg, pauses excluded). */
  double seconds;
  /* Samples dropped because a ring was full, per leg (index: legrec_leg). */
  uint64_t dropped_samples[2];
  /* Frames refused by push (dropped, busy), per leg. */
  uint64_t dropped_frames[2];
  /* Samples pushed and accepted, per leg. */
  uint64_t pushed_samples[2];
  bool masked;
  bool paused;
  bool stopped;
} legrec_recording_stats;

legrec_result legrec_recording_stats_get(const legrec_recording *recording,
                                         legrec_recording_stats *out);

/*
 * Release the caller's handle.  A recording that was not stopped is stopped
 * first (as by legrec_recording_stop()).  The files are finalized by the
 * worker whether or not the handle is still held.  NULL does nothing.
 */
void legrec_recording_free(legrec_recording *recording);

/* A live recording as `legrec show recordings` prints it. */
typedef struct legrec_live_info {
  const char *id;
  const char *policy;
  const char *channel;
  double seconds;
  uint64_t dropped_frames;
  bool masked;
  bool paused;
} legrec_live_info;

typedef void (*legrec_live_callback)(void *userdata, const legrec_live_info *info);

/* Call `callback` once per live (not yet stopped) recording, oldest first. */
legrec_result legrec_core_recordings(const legrec_core *core, legrec_live_callback callback,
                                     void *userdata);

/* ------------------------------------------------------------------ names */

/*
 * The words both shims show an admin, spelled once here so that Asterisk
 * and FreeSWITCH say the same.  Every string returned is static: never
 * freed, valid for the life of the process.
 */

/* "RECORDING", "COMPLETE", "FAILED", "DECLINED" or "DISCARDED", as the
 * PBX's events name a recording's status; NULL for another number. */
const char *legrec_status_name(legrec_status status);

/* What the dialplan learns of a start (Asterisk's LEGREC_STATUS,
 * FreeSWITCH's legrec_status). */
typedef enum legrec_start {
  /* Recording. */
  LEGREC_START_RECORDING = 0,
  /* The party refused in the consent window. */
  LEGREC_START_DECLINED = 1,
  /* never_record lists a party: nothing is written. */
  LEGREC_START_EXEMPT = 2,
  /* Could not start; the console says why.  Never fails the call. */
  LEGREC_START_FAILED = 3,
} legrec_start;

/* "RECORDING", "DECLINED", "EXEMPT" or "FAILED"; NULL for another number. */
const char *legrec_start_name(legrec_start start);

/* What the PBX does once the consent window (legrec_recording_consent)
 * closed with a decision. */
typedef struct legrec_consent_steps {
  /* What the dialplan learns (LEGREC_START_RECORDING or _DECLINED). */
  legrec_start status;
  /* The party refused: raise the PBX's consent event with `status`. */
  bool announce;
  /* Nothing more is kept: take the media hook off now, not at hangup. */
  bool detach;
} legrec_consent_steps;

/*
 * The steps that follow `decision` (LEGREC_CONSENT_WAIT: the window ended
 * by a hangup, the core decides at the end; nothing to do now).
 * Errors: LEGREC_ERR_INVALID_PARAMETER for another number.
 */
legrec_result legrec_consent_steps_for(legrec_consent_decision decision,
                                       legrec_consent_steps *out);

/* What an admin can do to a live recording, from the dialplan, the CLI,
 * AMI or the API. */
typedef enum legrec_action {
  LEGREC_ACTION_STOP = 0,
  LEGREC_ACTION_MASK = 1,
  LEGREC_ACTION_UNMASK = 2,
  LEGREC_ACTION_PAUSE = 3,
  LEGREC_ACTION_RESUME = 4,
} legrec_action;

/*
 * The action an admin typed: "stop", "mask", "unmask", "pause" or
 * "resume".  Errors: LEGREC_ERR_NULL_PARAMETER, LEGREC_ERR_INVALID_PARAMETER
 * (another word; `*out` is left alone).
 */
legrec_result legrec_action_parse(const char *name, legrec_action *out);

/* The word for `action`; NULL for another number. */
const char *legrec_action_name(legrec_action action);

/*
 * Do `action` to the recording; `by` as for legrec_recording_mask().
 * LEGREC_ACTION_STOP stops the recording (legrec_recording_stop()); the
 * shim then takes its media hook off.  Errors: those of
 * legrec_recording_mask(), _pause() and _stop(); LEGREC_ERR_INVALID_PARAMETER
 * for another number.
 */
legrec_result legrec_recording_act(legrec_recording *recording, legrec_action action,
                                   const char *by);

#ifdef __cplusplus
}
#endif

#endif /* LEGREC_H */
