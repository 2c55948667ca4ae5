/*
 * batch_test.c - breakpoints set in a batch (snare_batch_begin/end): their
 * traps wait for the batch's end, are then all in place (one write per
 * page) while other threads run through the same pages, are hit exactly
 * once each, and a clear inside the batch leaves the code as it was.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "snare.h"

#define COUNT 10000
#define FOREIGN_THREADS 8

static uint64_t stress_symbol(const char *name) {
  return fixture_symbol("O0", "stress", name);
}

static bool count_and_continue(snare_frame *frame, void *data) {
  (void)frame;
  atomic_fetch_add((atomic_ullong *)data, 1);
  return false;
}

/* The first byte of the run of COUNT nops in sled(). */
static uint64_t nops_of_sled(uint64_t sled) {
  const uint8_t *code = (const uint8_t *)(uintptr_t)sled;
  for (size_t i = 0, run = 0; i < 64 + 2 * COUNT; i++) {
    run = code[i] == 0x90 ? run + 1 : 0;
    if (run == COUNT)
      return sled + i + 1 - COUNT;
  }
  cr_assert_fail("no run of %d nops in sled", COUNT);
  return 0;
}

static size_t count_bytes(uint64_t start, size_t n, uint8_t value) {
  const uint8_t *live = (const uint8_t *)(uintptr_t)start;
  size_t count = 0;
  for (size_t i = 0; i < n; i++)
    count += live[i] == value;
  return count;
}

typedef struct foreign {
  pthread_t thread;
  int (*sled)(int);
  atomic_bool *done;
  unsigned long calls, wrong;
} foreign;

static void *run_sled(void *raw) {
  foreign *f = raw;
  while (!atomic_load(f->done)) {
    f->wrong += f->sled(41) != 42;
    f->calls++;
  }
  return NULL;
}

TestSuite(batch, .timeout = 120);

Test(batch, traps_wait_for_the_end_then_every_one_is_hit_while_threads_run) {
  uint64_t sled = stress_symbol("sled");
  uint64_t start = nops_of_sled(sled);
  atomic_bool done = false;
  foreign threads[FOREIGN_THREADS];
  for (int i = 0; i < FOREIGN_THREADS; i++) {
    threads[i] = (foreign){.sled = (int (*)(int))(uintptr_t)sled,
                           .done = &done};
    cr_assert_eq(pthread_create(&threads[i].thread, NULL, run_sled,
                                &threads[i]), 0);
  }
  snare_session *session;
  cr_assert_eq(snare_session_new(&session), SNARE_OK);
  snare_session_set_timeout(session, 60000);
  atomic_ullong calls = 0;
  snare_breakpoint_options opts = {.condition = count_and_continue,
                                   .condition_data = &calls, .trap = true};
  static int ids[COUNT];
  cr_assert_eq(snare_batch_begin(), SNARE_OK);
  for (int i = 0; i < COUNT; i++)
    cr_assert_eq(snare_breakpoint_set(session, start + (uint64_t)i, &opts,
                                      &ids[i]), SNARE_OK, "breakpoint %d", i);
  cr_assert_eq(count_bytes(start, COUNT, 0x90), COUNT,
               "a trap was written before the batch's end");
  cr_assert_eq(snare_batch_end(), SNARE_OK);
  cr_assert_eq(count_bytes(start, COUNT, 0xCC), COUNT,
               "a trap is missing after the batch's end");
  uint64_t arg = 41;
  snare_stop stop;
  cr_assert_eq(snare_call(session, sled, 1, &arg, &stop), SNARE_OK);
  cr_assert_eq(stop.kind, SNARE_STOP_EXIT);
  cr_assert_eq(stop.return_value, 42);
  for (int i = 0; i < COUNT; i++) {
    snare_breakpoint_info info;
    cr_assert_eq(snare_breakpoint_info_get(session, ids[i], &info), SNARE_OK);
    cr_assert_eq(info.hits, 1, "breakpoint %d: %llu hits", i,
                 (unsigned long long)info.hits);
  }
  snare_breakpoint_clear_all(session);
  cr_assert_eq(count_bytes(start, COUNT, 0x90), COUNT, "code not restored");
  atomic_store(&done, true);
  unsigned long foreign_calls = 0, wrong = 0;
  for (int i = 0; i < FOREIGN_THREADS; i++) {
    pthread_join(threads[i].thread, NULL);
    foreign_calls += threads[i].calls;
    wrong += threads[i].wrong;
  }
  snare_session_free(session);
  cr_assert_eq(atomic_load(&calls), COUNT);
  cr_assert_eq(wrong, 0, "%lu foreign runs of sled went wrong", wrong);
  cr_assert_gt(foreign_calls, 0);
}

Test(batch, a_clear_inside_the_batch_leaves_the_code_as_it_was) {
  uint64_t sled = stress_symbol("sled");
  uint64_t start = nops_of_sled(sled);
  snare_session *session;
  cr_assert_eq(snare_session_new(&session), SNARE_OK);
  int kept, dropped, again;
  cr_assert_eq(snare_batch_begin(), SNARE_OK);
  cr_assert_eq(snare_batch_begin(), SNARE_OK); /* nested */
  cr_assert_eq(snare_breakpoint_set(session, start, NULL, &kept), SNARE_OK);
  cr_assert_eq(snare_breakpoint_set(session, start + 1, NULL, &dropped),
               SNARE_OK);
  cr_assert_eq(snare_breakpoint_clear(session, dropped), SNARE_OK);
  cr_assert_eq(snare_breakpoint_set(session, start + 2, NULL, &again),
               SNARE_OK);
  cr_assert_eq(snare_batch_end(), SNARE_OK);
  const uint8_t *live = (const uint8_t *)(uintptr_t)start;
  cr_assert_eq(live[2], 0x90, "the inner end wrote the batch");
  cr_assert_eq(snare_batch_end(), SNARE_OK);
  cr_assert_eq(live[0], 0xCC);
  cr_assert_eq(live[1], 0x90, "the cleared breakpoint's trap was written");
  cr_assert_eq(live[2], 0xCC);
  uint64_t arg = 41;
  snare_stop stop;
  cr_assert_eq(snare_call(session, sled, 1, &arg, &stop), SNARE_OK);
  cr_assert_eq(stop.kind, SNARE_STOP_BREAKPOINT);
  cr_assert_eq(stop.breakpoint, kept);
  cr_assert_eq(snare_resume(session, SNARE_RESUME_CONTINUE, NULL, &stop),
               SNARE_OK);
  cr_assert_eq(stop.breakpoint, again);
  cr_assert_eq(snare_resume(session, SNARE_RESUME_CONTINUE, NULL, &stop),
               SNARE_OK);
  cr_assert_eq(stop.kind, SNARE_STOP_EXIT);
  cr_assert_eq(stop.return_value, 42);
  snare_session_free(session);
  cr_assert_eq(count_bytes(start, 3, 0x90), 3);
}

static void *begin_elsewhere(void *result) {
  *(snare_status *)result = snare_batch_begin();
  return NULL;
}

Test(batch, one_thread_owns_it_and_an_end_needs_a_begin) {
  cr_assert_eq(snare_batch_end(), SNARE_WRONG_STATE);
  cr_assert_eq(snare_batch_begin(), SNARE_OK);
  pthread_t other;
  snare_status elsewhere = SNARE_OK;
  cr_assert_eq(pthread_create(&other, NULL, begin_elsewhere, &elsewhere), 0);
  pthread_join(other, NULL);
  cr_assert_eq(elsewhere, SNARE_WRONG_STATE);
  cr_assert_eq(snare_batch_end(), SNARE_OK);
  cr_assert_eq(snare_batch_end(), SNARE_WRONG_STATE);
}
