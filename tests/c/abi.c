/* Prints sizeof and alignof of every struct include/legrec.h shares, as the
 * C compiler lays them out; tests/c_abi.rs compares with Rust's layout. */
#include <stdalign.h>
#include <stdio.h>

#include "legrec.h"

#define SHOW(t) printf("%s %zu %zu\n", #t, sizeof(t), alignof(t))

int main(void) {
  SHOW(legrec_log_record);
  SHOW(legrec_finished);
  SHOW(legrec_host);
  SHOW(legrec_policy_info);
  SHOW(legrec_call_info);
  SHOW(legrec_plan);
  SHOW(legrec_recording_stats);
  SHOW(legrec_live_info);
  SHOW(legrec_result);
  SHOW(legrec_leg);
  printf("LEGREC_MAX_FRAME_SAMPLES %d 0\n", LEGREC_MAX_FRAME_SAMPLES);
  printf("LEGREC_ERR_PANIC %d 0\n", (int)LEGREC_ERR_PANIC);
  return 0;
}
