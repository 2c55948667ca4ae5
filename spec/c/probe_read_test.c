/*
 * probe_read_test.c - the fault-safe read compiled variable reads use
 * (snare_os_memory_read_fast): readable bytes are copied, an unmapped or
 * protected page gives false instead of a fault, from an ordinary thread
 * and inside a condition callback (a signal handler).
 */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/mman.h>

#include "../../lib/internal/os.h"
#include "fixtures.h"
#include "snare.h"

static uint8_t *unreadable_page(void) {
  void *page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  cr_assert_neq(page, MAP_FAILED);
  return page;
}

/* While snare's handlers are installed: a session installs them. */
Test(probe_read, copies_readable_bytes_and_refuses_the_rest) {
  snare_session *s;
  cr_assert_eq(snare_session_new(&s), SNARE_OK);
  const char text[] = "snare";
  char out[sizeof text] = {0};
  cr_assert(snare_os_memory_read_fast((uint64_t)(uintptr_t)text, out,
                                      sizeof text));
  cr_assert_str_eq(out, "snare");
  uint8_t *page = unreadable_page();
  uint64_t byte;
  cr_assert_not(snare_os_memory_read_fast((uint64_t)(uintptr_t)page, &byte, 8));
  cr_assert_not(snare_os_memory_read_fast(0, &byte, 1));
  cr_assert(snare_os_memory_read_fast((uint64_t)(uintptr_t)text, &byte, 0));
  munmap(page, 4096);
  snare_session_free(s);
}

static bool probes(snare_frame *frame, void *data) {
  (void)frame;
  uint64_t byte;
  *(int *)data += !snare_os_memory_read_fast(0, &byte, 1);
  return false;
}

Test(probe_read, refuses_inside_a_condition) {
  uint64_t fn = fixture_symbol("O0", "loops", "count_to");
  snare_session *s;
  cr_assert_eq(snare_session_new(&s), SNARE_OK);
  int refused = 0, id;
  snare_breakpoint_options opts = {.condition = probes,
                                   .condition_data = &refused};
  cr_assert_eq(snare_breakpoint_set(s, fn, &opts, &id), SNARE_OK);
  uint64_t arg = 4;
  snare_stop stop;
  cr_assert_eq(snare_call(s, fn, 1, &arg, &stop), SNARE_OK);
  cr_assert_eq(stop.kind, SNARE_STOP_EXIT);
  cr_assert_eq(stop.return_value, 10);
  cr_assert_eq(refused, 1);
  snare_session_free(s);
}
