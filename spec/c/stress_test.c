/*
 * stress_test.c - snare under load: foreign threads running through
 * breakpoints while the controller sets and clears them and the worker
 * hits conditional ones; a million conditional hits; ten thousand
 * breakpoints at once; a thousand sessions. Counts are exact (no lost
 * hit), code comes back byte for byte, and no thread or descriptor is
 * left behind.
 *
 * SNARE_STRESS_SCALE (default 1) multiplies the loop counts, for the
 * long runs of tools/reliability. Each test prints a "FIGURE name value"
 * line for the suite's summary.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "snare.h"

#define FOREIGN_THREADS 8

static unsigned scale(void) {
  const char *text = getenv("SNARE_STRESS_SCALE");
  int n = text ? atoi(text) : 1;
  return n > 0 ? (unsigned)n : 1;
}

static uint64_t stress_symbol(const char *name) {
  return fixture_symbol("O0", "stress", name);
}

/* A condition that counts its calls and never stops. */
static bool count_and_continue(snare_frame *frame, void *data) {
  (void)frame;
  atomic_fetch_add((atomic_ullong *)data, 1);
  return false;
}

/* What leaf_loop(n) returns without snare: the sum of 3i+1. */
static int64_t leaf_loop_value(int64_t n) { return 3 * n * (n - 1) / 2 + n; }

static uint64_t call1(snare_session *session, uint64_t fn, uint64_t arg) {
  snare_stop stop;
  cr_assert_eq(snare_call(session, fn, 1, &arg, &stop), SNARE_OK);
  cr_assert_eq(stop.kind, SNARE_STOP_EXIT, "stop %s at 0x%llx",
               snare_stop_kind_name(stop.kind), (unsigned long long)stop.pc);
  return stop.return_value;
}

typedef struct foreign {
  pthread_t thread;
  int (*leaf)(int);
  atomic_bool *done;
  unsigned long calls;
  unsigned long wrong; /* results that differ from leaf's own */
} foreign;

static void *foreign_body(void *raw) {
  foreign *f = raw;
  for (int i = 0; !atomic_load(f->done); i = (i + 1) & 0xffff) {
    if (f->leaf(i) != 3 * i + 1)
      f->wrong++;
    f->calls++;
  }
  return NULL;
}

TestSuite(stress, .timeout = 240);

Test(stress, foreign_threads_run_through_breakpoints_being_set_and_cleared) {
  uint64_t leaf = stress_symbol("leaf");
  uint64_t leaf_loop = stress_symbol("leaf_loop");
  atomic_bool done = false;
  foreign threads[FOREIGN_THREADS];
  for (int i = 0; i < FOREIGN_THREADS; i++) {
    threads[i] = (foreign){.leaf = (int (*)(int))(uintptr_t)leaf, .done = &done};
    cr_assert_eq(pthread_create(&threads[i].thread, NULL, foreign_body,
                                &threads[i]), 0);
  }
  snare_session *session;
  cr_assert_eq(snare_session_new(&session), SNARE_OK);
  snare_session_set_timeout(session, 60000);
  unsigned rounds = 200 * scale();
  uint64_t hits = 0, lost = 0;
  for (unsigned round = 0; round < rounds; round++) {
    /* Set and clear while the foreign threads run through leaf. */
    int plain, counted, outer;
    cr_assert_eq(snare_breakpoint_set(session, leaf, NULL, &plain), SNARE_OK);
    atomic_ullong calls = 0;
    snare_breakpoint_options opts = {.condition = count_and_continue,
                                     .condition_data = &calls};
    cr_assert_eq(snare_breakpoint_clear(session, plain), SNARE_OK);
    cr_assert_eq(snare_breakpoint_set(session, leaf, &opts, &counted), SNARE_OK);
    cr_assert_eq(snare_breakpoint_set(session, leaf_loop, &opts, &outer),
                 SNARE_OK);
    uint64_t n = 100 + round % 100;
    cr_assert_eq((int64_t)call1(session, leaf_loop, n), leaf_loop_value((int64_t)n));
    snare_breakpoint_info info;
    cr_assert_eq(snare_breakpoint_info_get(session, counted, &info), SNARE_OK);
    /* Only the worker's hits count; foreign threads pass through. */
    lost += (info.hits != n) + (atomic_load(&calls) != n + 1);
    hits += info.hits;
    cr_assert_eq(snare_breakpoint_clear(session, counted), SNARE_OK);
    cr_assert_eq(snare_breakpoint_clear(session, outer), SNARE_OK);
  }
  atomic_store(&done, true);
  unsigned long foreign_calls = 0, wrong = 0;
  for (int i = 0; i < FOREIGN_THREADS; i++) {
    pthread_join(threads[i].thread, NULL);
    foreign_calls += threads[i].calls;
    wrong += threads[i].wrong;
  }
  snare_session_free(session);
  printf("FIGURE stress_worker_hits %llu\nFIGURE stress_foreign_calls %lu\n"
         "FIGURE events_lost %llu\n", (unsigned long long)hits, foreign_calls,
         (unsigned long long)lost);
  cr_assert_eq(lost, 0, "%llu rounds with a lost or extra hit",
               (unsigned long long)lost);
  cr_assert_eq(wrong, 0, "%lu foreign calls returned a wrong result", wrong);
  cr_assert_gt(foreign_calls, 0);
}

Test(stress, a_million_conditional_hits_are_counted_exactly) {
  uint64_t leaf = stress_symbol("leaf");
  uint64_t n = 1000000ull * scale();
  snare_session *session;
  cr_assert_eq(snare_session_new(&session), SNARE_OK);
  atomic_ullong calls = 0;
  snare_breakpoint_options opts = {.condition = count_and_continue,
                                   .condition_data = &calls};
  int id;
  cr_assert_eq(snare_breakpoint_set(session, leaf, &opts, &id), SNARE_OK);
  uint64_t value = call1(session, stress_symbol("leaf_loop"), n);
  snare_breakpoint_info info;
  cr_assert_eq(snare_breakpoint_info_get(session, id, &info), SNARE_OK);
  snare_session_free(session);
  printf("FIGURE conditional_hits %llu\n", (unsigned long long)info.hits);
  cr_assert_eq((int64_t)value, leaf_loop_value((int64_t)n));
  cr_assert_eq(info.hits, n);
  cr_assert_eq(info.rejected, n);
  cr_assert_eq(info.stops, 0);
  cr_assert_eq(atomic_load(&calls), n);
}

/* The first run of at least `want` nops in sled, whose code the fixture
   makes a long nop sled; aborts the test if there is none. */
static uint64_t nop_run(uint64_t sled, size_t want) {
  const uint8_t *code = (const uint8_t *)(uintptr_t)sled;
  size_t run = 0;
  for (size_t i = 0; i < 64 + want * 2; i++) {
    run = code[i] == 0x90 ? run + 1 : 0;
    if (run == want)
      return sled + i + 1 - want;
  }
  cr_assert_fail("no run of %zu nops in sled", want);
  return 0;
}

Test(stress, ten_thousand_breakpoints_are_hit_cleared_and_restored) {
  enum { COUNT = 10000 };
  uint64_t sled = stress_symbol("sled");
  uint64_t start = nop_run(sled, COUNT);
  uint8_t *before = malloc(COUNT);
  memcpy(before, (const void *)(uintptr_t)start, COUNT);
  snare_session *session;
  cr_assert_eq(snare_session_new(&session), SNARE_OK);
  atomic_ullong calls = 0;
  snare_breakpoint_options opts = {.condition = count_and_continue,
                                   .condition_data = &calls};
  static int ids[COUNT];
  for (unsigned round = 0; round < scale(); round++) {
    for (int i = 0; i < COUNT; i++)
      cr_assert_eq(snare_breakpoint_set(session, start + (uint64_t)i, &opts,
                                        &ids[i]), SNARE_OK, "breakpoint %d", i);
    cr_assert_eq(snare_breakpoint_list(session, NULL, 0), COUNT);
    const uint8_t *live = (const uint8_t *)(uintptr_t)start;
    for (int i = 0; i < COUNT; i++)
      cr_assert_eq(live[i], 0xCC, "no trap at nop %d", i);
    cr_assert_eq(call1(session, sled, 41), 42);
    for (int i = 0; i < COUNT; i++) {
      snare_breakpoint_info info;
      cr_assert_eq(snare_breakpoint_info_get(session, ids[i], &info), SNARE_OK);
      cr_assert_eq(info.hits, 1, "breakpoint %d: %llu hits", i,
                   (unsigned long long)info.hits);
      cr_assert_eq(snare_breakpoint_clear(session, ids[i]), SNARE_OK);
    }
    cr_assert_eq(memcmp(before, live, COUNT), 0, "code not restored");
  }
  snare_session_free(session);
  free(before);
  printf("FIGURE breakpoints_at_once %d\n", COUNT);
  cr_assert_eq(atomic_load(&calls), (unsigned long long)COUNT * scale());
}

Test(stress, a_thousand_sessions_leave_no_thread_or_descriptor) {
  uint64_t leaf = stress_symbol("leaf");
  uint8_t first = *(const uint8_t *)(uintptr_t)leaf;
  snare_session *warm; /* first use installs handlers, starts helpers */
  cr_assert_eq(snare_session_new(&warm), SNARE_OK);
  call1(warm, leaf, 1);
  snare_session_free(warm);
  int threads = fixture_thread_count(), fds = fixture_fd_count();
  unsigned count = 1000 * scale();
  for (unsigned i = 0; i < count; i++) {
    snare_session *session;
    cr_assert_eq(snare_session_new(&session), SNARE_OK);
    if (i % 2 == 0) /* half of them freed while stopped */
      cr_assert_eq(call1(session, leaf, i), 3 * (uint64_t)i + 1);
    else {
      int id;
      snare_stop stop;
      uint64_t arg = i;
      snare_breakpoint_set(session, leaf, NULL, &id);
      snare_call(session, leaf, 1, &arg, &stop);
      cr_assert_eq(stop.kind, SNARE_STOP_BREAKPOINT);
    }
    snare_session_free(session);
  }
  int threads_after = fixture_thread_count(), fds_after = fixture_fd_count();
  printf("FIGURE sessions_created %u\nFIGURE threads_before_after %d %d\n"
         "FIGURE fds_before_after %d %d\n", count, threads, threads_after, fds,
         fds_after);
  cr_assert_eq(threads_after, threads);
  cr_assert_eq(fds_after, fds);
  cr_assert_eq(*(const uint8_t *)(uintptr_t)leaf, first,
               "a freed session left its breakpoint in the code");
}

/*
 * Regression (found by the API fuzzer, seed 101): a timeout that passed
 * before a new worker had entered the target sent no interrupt, and the
 * call then waited forever. A 1 ms timeout on fresh sessions makes that
 * likely; every call must come back interrupted.
 */
Test(stress, a_timeout_interrupts_a_worker_that_started_late) {
  uint64_t spin = fixture_symbol("O0", "faults", "spin");
  for (unsigned i = 0; i < 300 * scale(); i++) {
    snare_session *session;
    cr_assert_eq(snare_session_new(&session), SNARE_OK);
    snare_session_set_timeout(session, 1);
    uint64_t forever = 0; /* spin(NULL) never returns */
    snare_stop stop;
    cr_assert_eq(snare_call(session, spin, 1, &forever, &stop), SNARE_OK);
    cr_assert_eq(stop.kind, SNARE_STOP_INTERRUPT, "session %u: %s", i,
                 snare_stop_kind_name(stop.kind));
    snare_session_free(session);
  }
}
