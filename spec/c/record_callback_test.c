/* record_callback_test.c - a hook that records and calls back: its
   callback gets the time of the call (timestamp_ns, 0 before the fix
   when the hook neither timed nor traced) and whether the record-time
   filters recorded it, at which recorded depth (what `snare record -S`
   runs uftrace's scripts on). */
#include <criterion/criterion.h>

#include "fixtures.h"
#include "snare.h"

static snare_library *library;
static void open_library(void) {
  cr_assert_eq(snare_library_open(fixture_path("O0", "hooks"), &library),
               SNARE_OK);
}
static void close_library(void) { snare_library_close(library); }
/* Each test is a process of its own (Criterion's): its own streams. */
TestSuite(record_callback, .init = open_library, .fini = close_library,
          .timeout = 30);

static uint64_t symbol(const char *name) {
  snare_symbol sym;
  cr_assert_eq(snare_library_symbol(library, name, &sym), SNARE_OK);
  return sym.address;
}

#define CALLS_MAX 32
typedef struct seen {
  unsigned n;
  snare_hook_call calls[CALLS_MAX];
} seen;

static void keep(const snare_hook_call *call, void *data) {
  seen *s = data;
  if (s->n < CALLS_MAX)
    s->calls[s->n++] = *call;
}

static int hook_with(const char *name, uint8_t filter, seen *s,
                     bool recorded_only) {
  snare_hook_options options = {.record = true,
                                .record_filter = filter,
                                .callback = keep,
                                .callback_on_exit = true,
                                .callback_recorded_only = recorded_only,
                                .data = s};
  int id;
  cr_assert_eq(snare_hook_function(symbol(name), &options, &id), SNARE_OK);
  return id;
}

static int hook(const char *name, uint8_t filter, seen *s) {
  return hook_with(name, filter, s, false);
}

static int call(const char *name, int n) {
  return ((int (*)(int))(uintptr_t)symbol(name))(n);
}

Test(record_callback, gets_the_time_of_entries_and_exits) {
  seen s = {0};
  hook("leaf", 0, &s);
  cr_assert_eq(snare_record_begin(NULL), SNARE_OK);
  call("leaf", 1);
  snare_record_end();
  cr_assert_eq(s.n, 2);
  cr_assert_not(s.calls[0].exit);
  cr_assert(s.calls[1].exit);
  cr_assert_gt(s.calls[0].timestamp_ns, 0, "the entry has its time");
  cr_assert_geq(s.calls[1].timestamp_ns, s.calls[0].timestamp_ns);
  cr_assert(s.calls[0].recorded && s.calls[1].recorded);
}

Test(record_callback, is_told_what_the_filters_recorded) {
  seen outer = {0}, inner = {0};
  hook("calls_leaf", SNARE_RECORD_ONLY, &outer);
  hook("leaf", 0, &inner);
  snare_record_config config = {.filters = true, .only = true};
  cr_assert_eq(snare_record_begin(&config), SNARE_OK);
  call("leaf", 1); /* outside calls_leaf: not recorded */
  call("calls_leaf", 2);
  snare_record_end();
  cr_assert_eq(outer.n, 2);
  cr_assert(outer.calls[0].recorded && outer.calls[1].recorded);
  cr_assert_eq(outer.calls[0].record_depth, 0);
  cr_assert_eq(inner.n, 6);
  cr_assert_not(inner.calls[0].recorded);
  cr_assert_not(inner.calls[1].recorded);
  for (unsigned i = 2; i < inner.n; i++) {
    cr_assert(inner.calls[i].recorded, "call %u", i);
    cr_assert_eq(inner.calls[i].record_depth, 1, "call %u", i);
  }
}

Test(record_callback, counts_depth_among_recorded_calls_without_filters) {
  seen outer = {0}, inner = {0};
  hook("calls_leaf", 0, &outer);
  hook("leaf", 0, &inner);
  cr_assert_eq(snare_record_begin(NULL), SNARE_OK);
  call("calls_leaf", 1);
  snare_record_end();
  cr_assert_eq(inner.n, 2);
  cr_assert_eq(inner.calls[0].record_depth, 1);
  cr_assert_eq(inner.calls[1].record_depth, 1);
  cr_assert_eq(outer.calls[1].record_depth, 0);
}

Test(record_callback, can_be_called_for_recorded_calls_only) {
  seen outer = {0}, inner = {0};
  hook_with("calls_leaf", SNARE_RECORD_ONLY, &outer, true);
  hook_with("leaf", 0, &inner, true);
  snare_record_config config = {.filters = true, .only = true};
  cr_assert_eq(snare_record_begin(&config), SNARE_OK);
  call("leaf", 1); /* outside calls_leaf: neither recorded nor called */
  call("calls_leaf", 2);
  snare_record_end();
  cr_assert_eq(outer.n, 2);
  cr_assert_eq(inner.n, 4);
  for (unsigned i = 0; i < inner.n; i++) {
    cr_assert(inner.calls[i].recorded, "call %u", i);
    cr_assert_gt(inner.calls[i].timestamp_ns, 0, "call %u", i);
  }
}
