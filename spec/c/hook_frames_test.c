/* hook_frames_test.c - hooked frames that end without their return:
   after a longjmp the next hooked entry ends them first (trace depths
   stay right), a thread's frames end when it exits through
   pthread_exit, and a stack walk between snare_hook_frames_reveal and
   snare_hook_frames_rearm sees the frames it sees without hooks, and a
   frame a stack switch snare did not see made look dead still returns
   where it must. */
#include <criterion/criterion.h>
#include <execinfo.h>
#include <pthread.h>
#include <stdint.h>
#include <ucontext.h>

#include "fixtures.h"
#include "snare.h"

static snare_library *library;
static void open_library(void) {
  cr_assert_eq(snare_library_open(fixture_path("O0", "unwinding"), &library),
               SNARE_OK);
}
static void close_library(void) { snare_library_close(library); }
TestSuite(hook_frames, .init = open_library, .fini = close_library,
          .timeout = 30);

static uint64_t symbol(const char *name) {
  snare_symbol sym;
  cr_assert_eq(snare_library_symbol(library, name, &sym), SNARE_OK);
  return sym.address;
}

static int traced(const char *name) {
  snare_hook_options opts = {.trace = true, .time = true};
  int id;
  cr_assert_eq(snare_hook_function(symbol(name), &opts, &id), SNARE_OK);
  return id;
}

static void drain_trace(void) {
  snare_trace_event drain[64];
  size_t n;
  while (snare_trace_read(drain, 64, &n, NULL) == SNARE_OK && n > 0)
    ;
}

/* Reads the trace and checks it is `n` events of these hooks, exits and
   depths. */
static void expect_trace(size_t n, const int *hooks, const bool *exits,
                         const unsigned *depths) {
  snare_trace_event events[64];
  size_t got;
  cr_assert_eq(snare_trace_read(events, 64, &got, NULL), SNARE_OK);
  cr_assert_eq(got, n);
  for (size_t i = 0; i < n; i++) {
    cr_assert_eq(events[i].hook, hooks[i], "event %zu", i);
    cr_assert_eq(events[i].exit, exits[i], "event %zu", i);
    cr_assert_eq(events[i].depth, depths[i], "event %zu", i);
  }
}

Test(hook_frames, longjmp_ends_the_frames_it_left_before_the_next_entry) {
  drain_trace();
  int land = traced("land_and_call"), sink = traced("sink"),
      after = traced("after_landing");
  int (*fn)(int) = (int (*)(int))(uintptr_t)symbol("land_and_call");
  cr_assert_eq(fn(2), 3);
  /* sink(2), sink(1), sink(0) end as after_landing enters. */
  const int hooks[] = {land, sink, sink, sink, sink,
                       sink, sink, after, after, land};
  const bool exits[] = {false, false, false, false, true,
                        true,  true,  false, true, true};
  const unsigned depths[] = {0, 1, 2, 3, 3, 2, 1, 1, 1, 0};
  expect_trace(10, hooks, exits, depths);
  snare_hook_remove(land);
  snare_hook_remove(sink);
  snare_hook_remove(after);
}

static void *run_exit_thread(void *fn) {
  return (void *)(intptr_t)((int (*)(int))fn)(2);
}

Test(hook_frames, pthread_exit_ends_the_thread_s_frames) {
  drain_trace();
  int id = traced("exit_thread");
  pthread_t thread;
  pthread_create(&thread, NULL, run_exit_thread,
                 (void *)(uintptr_t)symbol("exit_thread"));
  void *result;
  pthread_join(thread, &result);
  cr_assert_eq((intptr_t)result, 42);
  const int hooks[] = {id, id, id, id, id, id};
  const bool exits[] = {false, false, false, true, true, true};
  const unsigned depths[] = {0, 1, 2, 2, 1, 0};
  expect_trace(6, hooks, exits, depths);
  snare_hook_stats stats;
  snare_hook_stats_get(id, &stats);
  cr_assert_eq(stats.calls, 3);
  snare_hook_remove(id);
}

#define WALKED 3
static void *walked[WALKED];
static int walked_count;

/* Called from calls_back: takes the stack the way a program would,
   telling snare first. */
static __attribute__((noinline)) int walk(int n) {
  void *frames[WALKED + 1];
  uint64_t sp = (uint64_t)(uintptr_t)__builtin_frame_address(0) + 8;
  snare_hook_frames_reveal(sp);
  walked_count = backtrace(frames, WALKED + 1) - 1;
  snare_hook_frames_rearm(sp);
  memcpy(walked, frames + 1, sizeof walked); /* from walk's caller on */
  return n;
}

Test(hook_frames, a_revealed_walk_sees_the_frames_of_an_unhooked_run) {
  int (*calls_back)(int (*)(int), int) =
      (int (*)(int (*)(int), int))(uintptr_t)symbol("calls_back");
  void *plain[WALKED];
  int plain_count;
  /* The same call site both times: the same return addresses. */
  for (int round = 0; round < 2; round++) {
    int id = 0;
    if (round == 1) {
      memcpy(plain, walked, sizeof plain);
      plain_count = walked_count;
      drain_trace();
      id = traced("calls_back");
    }
    cr_assert_eq(calls_back(walk, 4), 5);
    if (round == 1) {
      cr_assert_eq(walked_count, plain_count);
      cr_assert_arr_eq(walked, plain, sizeof plain);
      /* The exit was still caught after the walk. */
      const int hooks[] = {id, id};
      const bool exits[] = {false, true};
      const unsigned depths[] = {0, 0};
      expect_trace(2, hooks, exits, depths);
      snare_hook_remove(id);
    }
  }
}

static ucontext_t main_context, coroutine_context;
static char coroutine_stack[64 * 1024];
static int coroutine_result;

static int yield_to_main(int n) {
  swapcontext(&coroutine_context, &main_context);
  return n;
}

static void coroutine_body(void) {
  int (*calls_back)(int (*)(int), int) =
      (int (*)(int (*)(int), int))(uintptr_t)symbol("calls_back");
  coroutine_result = calls_back(yield_to_main, 1);
}

Test(hook_frames, a_frame_an_unseen_stack_switch_made_look_dead_returns) {
  int back = traced("calls_back"), after = traced("after_landing");
  getcontext(&coroutine_context);
  coroutine_context.uc_stack.ss_sp = coroutine_stack;
  coroutine_context.uc_stack.ss_size = sizeof coroutine_stack;
  coroutine_context.uc_link = &main_context;
  makecontext(&coroutine_context, coroutine_body, 0);
  /* calls_back's frame lives on the coroutine's stack (in .bss, below
     this thread's stack); snare is not told of the switches (no agent),
     so after_landing, called above it, ends it as left by a longjmp. */
  swapcontext(&main_context, &coroutine_context);
  int (*after_landing)(int) = (int (*)(int))(uintptr_t)symbol("after_landing");
  cr_assert_eq(after_landing(5), 6);
  swapcontext(&main_context, &coroutine_context);
  cr_assert_eq(coroutine_result, 2);
  snare_hook_stats stats;
  snare_hook_stats_get(back, &stats);
  cr_assert_eq(stats.calls, 1);
  snare_hook_remove(back);
  snare_hook_remove(after);
}
