/*
 * A pretend PBX, written only against include/legrec.h.
 *
 * It runs several calls at once, each with two media threads (one per leg)
 * pushing 20 ms frames at a 20 ms cadence, masks one call, pauses another,
 * stops them all, then tries every misuse it can think of and checks the
 * documented error comes back.  tests/c_harness.rs compiles it, runs it and
 * checks the files it leaves with flac(1) and legrec verify.
 *
 * usage: harness SPOOL_DIR [SECONDS]
 * Exit status 0 when every check passed.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "legrec.h"

#define CALLS 4
#define FRAME 160 /* 20 ms at 8 kHz */

static int failures;
static atomic_int finished_count;

#define CHECK(cond, ...)                                                        \
  do {                                                                          \
    if (!(cond)) {                                                              \
      fprintf(stderr, "CHECK FAILED %s:%d: ", __FILE__, __LINE__);              \
      fprintf(stderr, __VA_ARGS__);                                             \
      fprintf(stderr, "\n");                                                    \
      failures++;                                                               \
    }                                                                           \
  } while (0)

/* The audio each leg carries; tests/c_harness.rs computes the same. */
static int16_t sample_for(int call, int leg, long k) {
  if (leg == LEGREC_LEG_IN)
    return (int16_t)(((k * 7 + call * 1000) % 20000) - 10000);
  return (int16_t)(((k * 13 + call * 333) % 16000) - 8000);
}

static void on_log(void *userdata, const legrec_log_record *r) {
  (void)userdata;
  static const char *names[] = {"?", "ERROR", "WARNING", "NOTICE", "DEBUG", "TRACE"};
  fprintf(stderr, "[%s] %s%s%s\n", names[r->level <= 5 ? r->level : 0],
          r->channel ? r->channel : "", r->channel ? ": " : "", r->message);
}

static void on_finished(void *userdata, const legrec_finished *f) {
  (void)userdata;
  printf("FINISHED %s %s %s status=%d files=%s\n", f->id, f->policy, f->channel, (int)f->status,
         f->files);
  atomic_fetch_add(&finished_count, 1);
}

static void sleep_until(struct timespec *t, long add_ns) {
  t->tv_nsec += add_ns;
  while (t->tv_nsec >= 1000000000L) {
    t->tv_nsec -= 1000000000L;
    t->tv_sec++;
  }
  clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, t, NULL);
}

struct leg_job {
  legrec_recording *rec;
  int call;
  int leg;
  int frames;
  /* Optional action taken by the `in` thread before frame `at`. */
  int mask_from, mask_to, pause_from, pause_to;
  int busy;
};

static void *media_thread(void *arg) {
  struct leg_job *j = arg;
  int16_t frame[FRAME];
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  for (int f = 0; f < j->frames; f++) {
    if (j->leg == LEGREC_LEG_IN) {
      if (f == j->mask_from)
        CHECK(legrec_recording_mask(j->rec, true, "harness") == LEGREC_OK, "mask");
      if (f == j->mask_to)
        CHECK(legrec_recording_mask(j->rec, false, "harness") == LEGREC_OK, "unmask");
      if (f == j->pause_from)
        CHECK(legrec_recording_pause(j->rec, true, "harness") == LEGREC_OK, "pause");
      if (f == j->pause_to)
        CHECK(legrec_recording_pause(j->rec, false, "harness") == LEGREC_OK, "resume");
    }
    for (int i = 0; i < FRAME; i++)
      frame[i] = sample_for(j->call, j->leg, (long)f * FRAME + i);
    legrec_result r = legrec_recording_push(j->rec, (legrec_leg)j->leg, frame, FRAME, 8000);
    if (r == LEGREC_ERR_BUSY)
      j->busy++;
    else
      CHECK(r == LEGREC_OK, "push call %d leg %d frame %d: %d", j->call, j->leg, f, (int)r);
    sleep_until(&t, 20 * 1000 * 1000L);
  }
  return NULL;
}

static legrec_config *make_config(const char *spool) {
  legrec_config *c = legrec_config_new();
  legrec_config_set(c, "general", "spool_dir", spool, 2);
  legrec_config_set(c, "general", "workers", "2", 3);
  /* The harness shares two cores with the compiler and other tests: allow
   * a long scheduling hiccup before the core would fill silence, so the
   * audio can be compared bit for bit. */
  legrec_config_set(c, "general", "align_slack_ms", "3000", 4);
  legrec_config_set(c, "general", "ring_ms", "5000", 5);
  legrec_config_set(c, "support", "notice", "legrec-notice", 7);
  legrec_config_set(c, "support", "legs", "split", 8);
  legrec_config_set(c, "stereo", "legs", "both", 10);
  return c;
}

static void misuse(legrec_core *core, const char *spool) {
  int16_t s[FRAME] = {0};
  legrec_call_info call = {.pbx = "harness", .channel = "Harness/misuse"};
  legrec_recording *rec = NULL;
  char buf[128];

  CHECK(legrec_recording_push(NULL, LEGREC_LEG_IN, s, FRAME, 8000) == LEGREC_ERR_NULL_PARAMETER,
        "push NULL handle");
  CHECK(legrec_recording_start(core, "no-such-policy", &call, &rec) == LEGREC_ERR_UNKNOWN_POLICY,
        "unknown policy");
  CHECK(rec == NULL, "out stays NULL on error");
  CHECK(legrec_recording_start(core, "../../etc", &call, &rec) == LEGREC_ERR_UNKNOWN_POLICY,
        "path-like policy");
  CHECK(legrec_recording_start(NULL, "support", &call, &rec) == LEGREC_ERR_NULL_PARAMETER,
        "NULL core");
  CHECK(legrec_recording_start(core, "support", NULL, &rec) == LEGREC_ERR_NULL_PARAMETER,
        "NULL call");

  CHECK(legrec_recording_start(core, "support", &call, &rec) == LEGREC_OK, "start");
  CHECK(legrec_recording_push(rec, LEGREC_LEG_IN, NULL, FRAME, 8000) == LEGREC_ERR_NULL_PARAMETER,
        "NULL samples");
  CHECK(legrec_recording_push(rec, LEGREC_LEG_IN, s, 0, 8000) == LEGREC_ERR_INVALID_PARAMETER,
        "zero count");
  CHECK(legrec_recording_push(rec, LEGREC_LEG_IN, s, (size_t)1 << 40, 8000) ==
            LEGREC_ERR_INVALID_PARAMETER,
        "absurd count");
  CHECK(legrec_recording_push(rec, LEGREC_LEG_IN, s, FRAME, 12345) == LEGREC_ERR_INVALID_PARAMETER,
        "odd rate");
  CHECK(legrec_recording_push(rec, (legrec_leg)7, s, FRAME, 8000) == LEGREC_ERR_INVALID_PARAMETER,
        "unknown leg");
  CHECK(legrec_recording_push(rec, LEGREC_LEG_IN, s, FRAME, 8000) == LEGREC_OK, "good push");
  /* 16 kHz into an 8 kHz policy: resampled, accepted. */
  int16_t wide[2 * FRAME] = {0};
  CHECK(legrec_recording_push(rec, LEGREC_LEG_OUT, wide, 2 * FRAME, 16000) == LEGREC_OK,
        "other rate");
  CHECK(legrec_recording_mask(rec, false, "harness") == LEGREC_ERR_STATE, "unmask unmasked");
  CHECK(legrec_recording_pause(rec, false, NULL) == LEGREC_ERR_STATE, "resume running");
  CHECK(legrec_recording_id(rec, buf, 4) == LEGREC_ERR_BUFFER_TOO_SMALL, "small id buffer");
  CHECK(strlen(buf) == 3, "id cut to fit");
  CHECK(legrec_recording_id(rec, buf, sizeof buf) == LEGREC_OK, "id");
  CHECK(legrec_recording_notice_begin(rec, (legrec_side)5) == LEGREC_ERR_INVALID_PARAMETER,
        "unknown side");
  CHECK(legrec_recording_notice_end(rec, LEGREC_SIDE_CALLER, true) == LEGREC_ERR_STATE,
        "notice ended before it began");
  CHECK(legrec_recording_notice_begin(rec, LEGREC_SIDE_CALLER) == LEGREC_OK, "notice begins");
  CHECK(legrec_recording_notice_begin(rec, LEGREC_SIDE_CALLER) == LEGREC_ERR_STATE,
        "notice begun twice");
  CHECK(legrec_recording_notice_end(rec, LEGREC_SIDE_CALLER, true) == LEGREC_OK, "notice played");
  legrec_plan plan;
  CHECK(legrec_recording_plan(rec, &plan) == LEGREC_OK && strcmp(plan.notice, "legrec/legrec-notice") == 0 &&
            plan.notice_to == LEGREC_PARTY_CALLER && !plan.notice_to_peer,
        "plan");
  /* What follows the consent window, for each decision. */
  legrec_consent_steps steps;
  CHECK(legrec_consent_steps_for(LEGREC_CONSENT_KEEP, &steps) == LEGREC_OK &&
            steps.status == LEGREC_START_RECORDING && !steps.announce && !steps.detach,
        "kept: nothing to do");
  CHECK(legrec_consent_steps_for(LEGREC_CONSENT_WAIT, &steps) == LEGREC_OK &&
            steps.status == LEGREC_START_RECORDING && !steps.announce && !steps.detach,
        "hung up in the window: nothing to do now");
  CHECK(legrec_consent_steps_for(LEGREC_CONSENT_DECLINED, &steps) == LEGREC_OK &&
            steps.status == LEGREC_START_DECLINED && steps.announce && !steps.detach,
        "declined, agent side kept: say so, keep the hook");
  CHECK(legrec_consent_steps_for(LEGREC_CONSENT_DECLINED_STOPPED, &steps) == LEGREC_OK &&
            steps.status == LEGREC_START_DECLINED && steps.announce && steps.detach,
        "declined, nothing kept: say so, take the hook off");
  CHECK(legrec_consent_steps_for((legrec_consent_decision)9, &steps) ==
            LEGREC_ERR_INVALID_PARAMETER,
        "no steps for another number");
  CHECK(legrec_consent_steps_for(LEGREC_CONSENT_KEEP, NULL) == LEGREC_ERR_NULL_PARAMETER,
        "steps into NULL");
  /* The words both shims use. */
  legrec_action action = LEGREC_ACTION_STOP;
  CHECK(legrec_action_parse("mask", &action) == LEGREC_OK && action == LEGREC_ACTION_MASK,
        "parse mask");
  CHECK(legrec_action_parse("Mask!", &action) == LEGREC_ERR_INVALID_PARAMETER &&
            action == LEGREC_ACTION_MASK,
        "another word is refused, out untouched");
  CHECK(legrec_action_parse(NULL, &action) == LEGREC_ERR_NULL_PARAMETER, "parse NULL");
  CHECK(strcmp(legrec_action_name(LEGREC_ACTION_RESUME), "resume") == 0, "action name");
  CHECK(legrec_action_name((legrec_action)99) == NULL, "no name for another number");
  CHECK(strcmp(legrec_status_name(LEGREC_STATUS_DISCARDED), "DISCARDED") == 0, "status name");
  CHECK(legrec_status_name((legrec_status)99) == NULL, "no status 99");
  CHECK(strcmp(legrec_start_name(LEGREC_START_EXEMPT), "EXEMPT") == 0, "start name");
  CHECK(legrec_recording_act(rec, LEGREC_ACTION_MASK, "harness") == LEGREC_OK, "act mask");
  CHECK(legrec_recording_act(rec, LEGREC_ACTION_MASK, "harness") == LEGREC_ERR_STATE,
        "act mask twice");
  CHECK(legrec_recording_act(rec, LEGREC_ACTION_UNMASK, NULL) == LEGREC_OK, "act unmask");
  CHECK(legrec_recording_act(rec, (legrec_action)42, NULL) == LEGREC_ERR_INVALID_PARAMETER,
        "act another number");
  CHECK(legrec_recording_act(NULL, LEGREC_ACTION_PAUSE, NULL) == LEGREC_ERR_NULL_PARAMETER,
        "act NULL");
  CHECK(legrec_recording_act(rec, LEGREC_ACTION_STOP, NULL) == LEGREC_OK, "stop");
  CHECK(legrec_recording_stop(rec) == LEGREC_ERR_STOPPED, "double stop");
  CHECK(legrec_recording_push(rec, LEGREC_LEG_IN, s, FRAME, 8000) == LEGREC_ERR_STOPPED,
        "push after stop");
  CHECK(legrec_recording_mask(rec, true, NULL) == LEGREC_ERR_STOPPED, "mask after stop");
  legrec_recording_stats st;
  CHECK(legrec_recording_stats_get(rec, &st) == LEGREC_OK && st.stopped, "stats after stop");
  legrec_recording_free(rec);
  legrec_recording_free(NULL);
  legrec_config_free(NULL);
  legrec_core_free(NULL);

  size_t n = 0;
  CHECK(legrec_result_message((legrec_result)424242, buf, sizeof buf, &n) == LEGREC_OK &&
            strstr(buf, "invalid") != NULL,
        "message for an unknown number");
  CHECK(legrec_result_message(LEGREC_ERR_BUSY, buf, 8, &n) == LEGREC_ERR_BUFFER_TOO_SMALL && n == 7,
        "message cut");

  /* A broken config line is named, and the reload keeps what runs. */
  legrec_config *bad = make_config(spool);
  legrec_config_set(bad, "support", "colour", "blue", 42);
  char err[256] = "";
  CHECK(legrec_core_reload(core, bad, err, sizeof err) == LEGREC_ERR_CONFIG, "bad reload");
  CHECK(strstr(err, "line 42") && strstr(err, "colour"), "error names line and key: %s", err);
  legrec_config_free(bad);
  legrec_core *other = NULL;
  bad = make_config(spool);
  legrec_config_set(bad, "general", "compression_level", "eleven", 9);
  CHECK(legrec_core_new(bad, &(legrec_host){0}, &other, err, sizeof err) == LEGREC_ERR_CONFIG &&
            other == NULL,
        "bad config at load");
  CHECK(strstr(err, "line 9") && strstr(err, "eleven"), "load error names line: %s", err);
  legrec_config_free(bad);
  printf("MISUSE-ID %s\n", buf);
}

static void count_policy(void *ud, const legrec_policy_info *p) {
  (void)p;
  (*(int *)ud)++;
}

static void count_live(void *ud, const legrec_live_info *l) {
  (void)l;
  (*(int *)ud)++;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: harness SPOOL_DIR [SECONDS]\n");
    return 2;
  }
  const char *spool = argv[1];
  int seconds = argc > 2 ? atoi(argv[2]) : 3;
  int frames = seconds * 50;

  legrec_config *config = make_config(spool);
  legrec_host host = {.log = on_log, .finished = on_finished, .userdata = NULL};
  legrec_core *core = NULL;
  char err[256];
  legrec_result r = legrec_core_new(config, &host, &core, err, sizeof err);
  legrec_config_free(config);
  if (r != LEGREC_OK) {
    fprintf(stderr, "legrec_core_new: %d %s\n", (int)r, err);
    return 1;
  }
  int policies = 0;
  legrec_core_policies(core, count_policy, &policies);
  CHECK(policies == 2, "two policies, got %d", policies);

  legrec_recording *recs[CALLS + 1];
  struct leg_job jobs[CALLS + 1][2];
  pthread_t threads[CALLS + 1][3];
  for (int c = 0; c <= CALLS; c++) {
    char chan[64], uid[32];
    snprintf(chan, sizeof chan, "Harness/call-%d", c);
    snprintf(uid, sizeof uid, "1700000000.%d", c);
    legrec_call_info call = {.pbx = "legrec C harness",
                             .channel = chan,
                             .uniqueid = uid,
                             .caller_number = "+15551230000",
                             .caller_name = "Test Caller",
                             .callee = "600",
                             /* Odd calls name no queue in the dialplan: the
                              * PBX's queue application's is recorded. */
                             .queue = c % 2 ? NULL : "support",
                             .pbx_queue = c % 2 ? "support" : "another"};
    const char *policy = c == 1 ? "stereo" : "support";
    CHECK(legrec_recording_start(core, policy, &call, &recs[c]) == LEGREC_OK, "start call %d", c);
    char id[64];
    legrec_recording_id(recs[c], id, sizeof id);
    printf("CALL %d %s %s\n", c, policy, id);
    for (int l = 0; l < 2; l++) {
      jobs[c][l] = (struct leg_job){.rec = recs[c], .call = c, .leg = l, .frames = frames,
                                    .mask_from = -1, .mask_to = -1, .pause_from = -1,
                                    .pause_to = -1};
    }
  }
  /* Call 2 is masked for a while, call 3 paused. */
  jobs[2][0].mask_from = frames / 3;
  jobs[2][0].mask_to = frames / 2;
  jobs[3][0].pause_from = frames / 3;
  jobs[3][0].pause_to = frames / 2;
  for (int c = 0; c < CALLS; c++)
    for (int l = 0; l < 2; l++)
      pthread_create(&threads[c][l], NULL, media_thread, &jobs[c][l]);
  /* Call CALLS: two threads push into the same leg at once. */
  struct leg_job twin = jobs[CALLS][0];
  pthread_create(&threads[CALLS][0], NULL, media_thread, &jobs[CALLS][0]);
  pthread_create(&threads[CALLS][1], NULL, media_thread, &twin);
  pthread_create(&threads[CALLS][2], NULL, media_thread, &jobs[CALLS][1]);

  misuse(core, spool);

  int live = 0;
  legrec_core_recordings(core, count_live, &live);
  CHECK(live == CALLS + 1, "live recordings listed: %d", live);

  for (int c = 0; c < CALLS; c++)
    for (int l = 0; l < 2; l++)
      pthread_join(threads[c][l], NULL);
  for (int t = 0; t < 3; t++)
    pthread_join(threads[CALLS][t], NULL);

  for (int c = 0; c <= CALLS; c++) {
    legrec_recording_stats st;
    legrec_recording_stats_get(recs[c], &st);
    printf("STATS %d pushed=%llu,%llu dropped=%llu,%llu\n", c,
           (unsigned long long)st.pushed_samples[0], (unsigned long long)st.pushed_samples[1],
           (unsigned long long)st.dropped_samples[0], (unsigned long long)st.dropped_samples[1]);
    if (c < CALLS)
      CHECK(st.dropped_frames[0] == 0 && st.dropped_frames[1] == 0, "call %d dropped frames", c);
    CHECK(legrec_recording_stop(recs[c]) == LEGREC_OK, "stop call %d", c);
  }
  printf("BUSY %d\n", jobs[CALLS][0].busy + twin.busy);
  /* Finalizes everything before returning. */
  legrec_core_free(core);
  CHECK(atomic_load(&finished_count) == CALLS + 2, "finished callbacks: %d",
        atomic_load(&finished_count));
  for (int c = 0; c <= CALLS; c++) {
    CHECK(legrec_recording_push(recs[c], LEGREC_LEG_IN, (int16_t[1]){0}, 1, 8000) ==
              LEGREC_ERR_STOPPED,
          "push after core_free");
    legrec_recording_free(recs[c]);
  }
  printf("RESULT %s\n", failures ? "FAIL" : "PASS");
  return failures ? 1 : 0;
}
