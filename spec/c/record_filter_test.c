/* record_filter_test.c - the record-time filters of recording hooks
   (snare_record_config, snare_hook_options.record_filter): which
   entries and exits reach the calling thread's stream. */
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
TestSuite(record_filter, .init = open_library, .fini = close_library,
          .timeout = 30);

static uint64_t symbol(const char *name) {
  snare_symbol sym;
  cr_assert_eq(snare_library_symbol(library, name, &sym), SNARE_OK);
  return sym.address;
}

static int call(const char *name, int n) {
  return ((int (*)(int))(uintptr_t)symbol(name))(n);
}

static int hook(const char *name, uint8_t filter) {
  snare_hook_options options = {.record = true, .record_filter = filter};
  int id;
  cr_assert_eq(snare_hook_function(symbol(name), &options, &id), SNARE_OK);
  return id;
}

/* Entries and exits per hook id in the calling thread's stream (the
   only one: the test's thread), decoded as snare.h describes. */
typedef struct tally {
  unsigned entries[64], exits[64];
} tally;

static uint64_t number(const uint8_t *bytes, size_t size, size_t *at) {
  uint64_t value = 0;
  for (unsigned shift = 0; *at < size; shift += 7) {
    uint8_t byte = bytes[(*at)++];
    value |= (uint64_t)(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0)
      break;
  }
  return value;
}

static tally read_stream(void) {
  snare_record_stream *stream = snare_record_stream_next(NULL);
  cr_assert_not_null(stream);
  cr_assert_null(snare_record_stream_next(stream));
  const uint8_t *first, *second;
  size_t first_size, second_size;
  size_t size = snare_record_stream_peek(stream, &first, &first_size,
                                         &second, &second_size);
  cr_assert_eq(second_size, 0); /* far from wrapping */
  tally t = {0};
  for (size_t at = 0; at < size;) {
    uint64_t v = number(first, size, &at);
    if ((v & 3) == 2) { /* a marker: time, loss or return value */
      cr_assert_lt(v >> 2, 3, "no string markers without -R");
      number(first, size, &at);
      continue;
    }
    cr_assert_neq(v & 3, 3, "no values asked for");
    uint64_t id = number(first, size, &at);
    cr_assert_lt(id, 64);
    ((v & 3) == 0 ? t.entries : t.exits)[id]++;
  }
  return t;
}

static void begin(snare_record_config config) {
  config.filters = true;
  cr_assert_eq(snare_record_begin(&config), SNARE_OK);
}

Test(record_filter, only_records_below_an_only_function) {
  int outer = hook("calls_leaf", SNARE_RECORD_ONLY), inner = hook("leaf", 0);
  begin((snare_record_config){.only = true});
  call("leaf", 1); /* outside calls_leaf: not recorded */
  cr_assert_eq(call("calls_leaf", 3), 6);
  tally t = read_stream();
  cr_assert_eq(t.entries[outer], 1);
  cr_assert_eq(t.exits[outer], 1);
  cr_assert_eq(t.entries[inner], 3);
  cr_assert_eq(t.exits[inner], 3);
  snare_record_end();
}

Test(record_filter, hide_leaves_out_a_function_and_its_callees) {
  int outer = hook("calls_leaf", SNARE_RECORD_HIDE), inner = hook("leaf", 0);
  begin((snare_record_config){0});
  call("leaf", 1);
  call("calls_leaf", 3);
  tally t = read_stream();
  cr_assert_eq(t.entries[outer] + t.exits[outer], 0);
  cr_assert_eq(t.entries[inner], 1);
  cr_assert_eq(t.exits[inner], 1);
  snare_record_end();
}

Test(record_filter, depth_counts_from_the_only_function) {
  int outer = hook("calls_leaf", SNARE_RECORD_ONLY), inner = hook("leaf", 0);
  begin((snare_record_config){.only = true, .max_depth = 1});
  call("calls_leaf", 3);
  tally t = read_stream();
  cr_assert_eq(t.entries[outer], 1);
  cr_assert_eq(t.exits[outer], 1);
  cr_assert_eq(t.entries[inner] + t.exits[inner], 0);
  snare_record_end();
}

Test(record_filter, triggers_turn_recording_off_on_and_end_it) {
  int on = hook("calls_leaf", SNARE_RECORD_TRACE_ON), inner = hook("leaf", 0);
  begin((snare_record_config){.disabled = true});
  call("leaf", 1); /* before the trigger: off */
  call("calls_leaf", 2);
  call("leaf", 1);
  tally t = read_stream();
  cr_assert_eq(t.entries[on], 1);
  cr_assert_eq(t.exits[on], 1);
  cr_assert_eq(t.entries[inner], 3);
  cr_assert_eq(t.exits[inner], 3);
  snare_record_end();
}

Test(record_filter, finish_ends_the_recording_after_its_entry) {
  int end = hook("calls_leaf", SNARE_RECORD_FINISH), inner = hook("leaf", 0);
  begin((snare_record_config){0});
  call("leaf", 1);
  call("calls_leaf", 2);
  call("leaf", 1);
  tally t = read_stream();
  cr_assert_eq(t.entries[end], 1);
  cr_assert_eq(t.exits[end], 0);
  cr_assert_eq(t.entries[inner], 1);
  cr_assert_eq(t.exits[inner], 1);
  snare_record_end();
}

Test(record_filter, conceal_leaves_out_the_function_alone) {
  int outer = hook("calls_leaf", SNARE_RECORD_CONCEAL),
      inner = hook("leaf", 0);
  begin((snare_record_config){0});
  call("calls_leaf", 3);
  tally t = read_stream();
  cr_assert_eq(t.entries[outer] + t.exits[outer], 0);
  cr_assert_eq(t.entries[inner], 3);
  cr_assert_eq(t.exits[inner], 3);
  snare_record_end();
}

Test(record_filter, a_time_filter_leaves_out_shorter_calls) {
  int outer = hook("calls_leaf", 0), inner = hook("leaf", 0);
  /* An hour: no call here is that long. */
  begin((snare_record_config){.min_duration_ns = 3600ull * 1000000000});
  call("calls_leaf", 3);
  tally t = read_stream();
  cr_assert_eq(t.entries[outer] + t.exits[outer], 0);
  cr_assert_eq(t.entries[inner] + t.exits[inner], 0);
  snare_record_end();
}
