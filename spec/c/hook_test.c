/* hook_test.c - function hooks: exact counts, timing, exits through
   recursion, longjmp and tail calls, trampolines and the trap fallback,
   several threads. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#include "fixtures.h"
#include "snare.h"

static snare_library *library[2];
static void open_libraries(void) {
  cr_assert_eq(snare_library_open(fixture_path("O0", "hooks"), &library[0]),
               SNARE_OK);
  cr_assert_eq(snare_library_open(fixture_path("O2", "hooks"), &library[1]),
               SNARE_OK);
}
static void close_libraries(void) {
  snare_library_close(library[0]);
  snare_library_close(library[1]);
}
TestSuite(hook, .init = open_libraries, .fini = close_libraries,
          .timeout = 30);

static uint64_t symbol(int level, const char *name) {
  snare_symbol sym;
  cr_assert_eq(snare_library_symbol(library[level], name, &sym), SNARE_OK);
  return sym.address;
}

static int (*as_fn(uint64_t addr))(int) {
  return (int (*)(int))(uintptr_t)addr;
}

static snare_hook_stats stats_of(int id) {
  snare_hook_stats stats;
  cr_assert_eq(snare_hook_stats_get(id, &stats), SNARE_OK);
  return stats;
}

Test(hook, counts_every_call_with_a_trampoline) {
  for (int level = 0; level < 2; level++) {
    uint64_t leaf = symbol(level, "leaf");
    uint8_t before[8];
    memcpy(before, (void *)(uintptr_t)leaf, sizeof before);
    int id;
    cr_assert_eq(snare_hook_function(leaf, NULL, &id), SNARE_OK);
    cr_assert(stats_of(id).trampoline);
    cr_assert_eq(as_fn(symbol(level, "calls_leaf"))(1000), 500500);
    cr_assert_eq(stats_of(id).calls, 1000);
    cr_assert_eq(snare_hook_reset(id), SNARE_OK);
    cr_assert_eq(stats_of(id).calls, 0);
    cr_assert_eq(snare_hook_remove(id), SNARE_OK);
    cr_assert_eq(memcmp(before, (void *)(uintptr_t)leaf, sizeof before), 0);
    cr_assert_eq(as_fn(symbol(level, "calls_leaf"))(10), 55);
    cr_assert_eq(snare_hook_stats_get(id, &(snare_hook_stats){0}),
                 SNARE_NOT_FOUND);
    cr_assert_eq(snare_hook_remove(id), SNARE_NOT_FOUND);
  }
}

Test(hook, times_recursion_without_counting_it_twice) {
  uint64_t descend = symbol(0, "descend"), jump = symbol(0, "jump_through");
  snare_hook_options timed = {.time = true};
  int d, j;
  cr_assert_eq(snare_hook_function(descend, &timed, &d), SNARE_OK);
  cr_assert_eq(snare_hook_function(jump, &timed, &j), SNARE_OK);
  cr_assert_eq(snare_hook_function(jump, &timed, &j), SNARE_EXISTS);
  /* descend(5) recurses to depth 0 and longjmps out of six frames. */
  cr_assert_eq(as_fn(jump)(5), 7);
  cr_assert_eq(stats_of(d).calls, 6);
  cr_assert_eq(stats_of(j).calls, 1);
  snare_hook_stats outer = stats_of(j), inner = stats_of(d);
  cr_assert_gt(outer.inclusive_ns, 0);
  cr_assert_leq(inner.inclusive_ns, outer.inclusive_ns);
  cr_assert_leq(outer.self_ns, outer.inclusive_ns);
  /* The shadow stack came through the longjmp intact: again, twice. */
  cr_assert_eq(as_fn(jump)(3), 7);
  cr_assert_eq(as_fn(jump)(0), 7);
  cr_assert_eq(stats_of(d).calls, 6 + 4 + 1);
  snare_hook_remove(d);
  snare_hook_remove(j);
}

static int exits_seen;
static uint64_t last_return;
static void on_call(const snare_hook_call *call, void *data) {
  (void)data;
  if (call->exit) {
    exits_seen++;
    last_return = call->return_value;
  }
}

Test(hook, tail_calls_and_exit_callbacks) {
  for (int level = 0; level < 2; level++) {
    snare_hook_options opts = {.time = true, .callback = on_call,
                               .callback_on_exit = true};
    int a, b;
    cr_assert_eq(snare_hook_function(symbol(level, "tail_a"), &opts, &a),
                 SNARE_OK);
    cr_assert_eq(snare_hook_function(symbol(level, "tail_b"), &opts, &b),
                 SNARE_OK);
    exits_seen = 0;
    cr_assert_eq(as_fn(symbol(level, "tail_a"))(20), 42);
    cr_assert_eq(exits_seen, 2);
    cr_assert_eq(last_return, 42);
    snare_hook_remove(a);
    snare_hook_remove(b);
  }
}

Test(hook, trace_records_nested_entries_and_exits) {
  snare_trace_event drain[64];
  size_t n;
  while (snare_trace_read(drain, 64, &n, NULL) == SNARE_OK && n > 0)
    ;
  snare_hook_options traced = {.trace = true};
  int outer, inner;
  snare_hook_function(symbol(0, "calls_leaf"), &traced, &outer);
  snare_hook_function(symbol(0, "leaf"), &traced, &inner);
  as_fn(symbol(0, "calls_leaf"))(2);
  snare_trace_event events[16];
  uint64_t dropped;
  cr_assert_eq(snare_trace_read(events, 16, &n, &dropped), SNARE_OK);
  cr_assert_eq(n, 6);
  cr_assert_eq(dropped, 0);
  const int hooks[6] = {outer, inner, inner, inner, inner, outer};
  const bool exits[6] = {false, false, true, false, true, true};
  const unsigned depths[6] = {0, 1, 1, 1, 1, 0};
  for (size_t i = 0; i < n; i++) {
    cr_assert_eq(events[i].hook, hooks[i], "event %zu", i);
    cr_assert_eq(events[i].exit, exits[i], "event %zu", i);
    cr_assert_eq(events[i].depth, depths[i], "event %zu", i);
    if (i > 0)
      cr_assert_geq(events[i].timestamp_ns, events[i - 1].timestamp_ns);
  }
  snare_hook_remove(outer);
  snare_hook_remove(inner);
}

Test(hook, falls_back_to_a_trap_where_a_jump_cannot_go) {
  /* Hand-made code has no known extent, so a jump is not safe. */
  static const uint8_t code[] = {0x8d, 0x47, 0x01, /* lea eax, [rdi+1] */
                                 0xc3};            /* ret */
  uint8_t *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memcpy(page, code, sizeof code);
  mprotect(page, 4096, PROT_READ | PROT_EXEC);
  uint64_t fn = (uint64_t)(uintptr_t)page;
  snare_hook_options opts = {.time = true, .callback = on_call,
                             .callback_on_exit = true};
  int id;
  cr_assert_eq(snare_hook_function(fn, &opts, &id), SNARE_OK);
  cr_assert_not(stats_of(id).trampoline);
  exits_seen = 0;
  cr_assert_eq(as_fn(fn)(41), 42);
  cr_assert_eq(as_fn(fn)(1), 2);
  cr_assert_eq(stats_of(id).calls, 2);
  cr_assert_eq(exits_seen, 2);
  cr_assert_eq(snare_hook_remove(id), SNARE_OK);
  cr_assert_eq(memcmp(page, code, sizeof code), 0);
  munmap(page, 4096);
}

static void *call_many(void *fn) {
  return (void *)(intptr_t)as_fn((uint64_t)(uintptr_t)fn)(2000);
}

Test(hook, counts_are_exact_across_threads) {
  snare_hook_options timed = {.time = true};
  int id;
  snare_hook_function(symbol(1, "leaf"), &timed, &id);
  pthread_t threads[4];
  for (int i = 0; i < 4; i++)
    pthread_create(&threads[i], NULL, call_many,
                   (void *)(uintptr_t)symbol(1, "calls_leaf"));
  for (int i = 0; i < 4; i++) {
    void *result;
    pthread_join(threads[i], &result);
    cr_assert_eq((intptr_t)result, 2001000);
  }
  cr_assert_eq(stats_of(id).calls, 8000);
  snare_hook_remove(id);
}

static void *call_many_ignored(void *fn) {
  snare_hook_ignore_thread();
  return call_many(fn);
}

Test(hook, passes_through_a_thread_that_ignores_hooks) {
  snare_hook_options timed = {.time = true, .trace = true};
  int id;
  cr_assert_eq(snare_hook_function(symbol(1, "leaf"), &timed, &id), SNARE_OK);
  pthread_t thread;
  void *result;
  pthread_create(&thread, NULL, call_many_ignored,
                 (void *)(uintptr_t)symbol(1, "calls_leaf"));
  pthread_join(thread, &result);
  cr_assert_eq((intptr_t)result, 2001000);
  cr_assert_eq(stats_of(id).calls, 0);
  cr_assert_eq(stats_of(id).inclusive_ns, 0);
  pthread_create(&thread, NULL, call_many,
                 (void *)(uintptr_t)symbol(1, "calls_leaf"));
  pthread_join(thread, &result);
  cr_assert_eq(stats_of(id).calls, 2000); /* other threads still count */
  snare_hook_remove(id);
}

Test(hook, refuses_bad_addresses) {
  int id = -1;
  static int data;
  cr_assert_eq(snare_hook_function(0, NULL, &id), SNARE_BAD_ADDRESS);
  cr_assert_eq(snare_hook_function((uint64_t)(uintptr_t)&data, NULL, &id),
               SNARE_NOT_CODE);
  cr_assert_eq(snare_hook_function(symbol(0, "leaf"), NULL, NULL),
               SNARE_INVALID_ARGUMENT);
  /* leaf at -O0 opens with push rbp (1 byte), mov rbp,rsp (3 bytes) */
  cr_assert_eq(snare_hook_function(symbol(0, "leaf") + 2, NULL, &id),
               SNARE_INSIDE_INSTRUCTION);
  cr_assert_eq(id, -1);
  cr_assert_eq(snare_hook_remove(12345), SNARE_NOT_FOUND);
}
