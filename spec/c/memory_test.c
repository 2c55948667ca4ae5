/* memory_test.c - reading and writing memory never faults the process. */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/mman.h>

#include "fixtures.h"
#include "snare.h"

Test(memory, round_trip) {
  static char buffer[32] = "hello";
  char seen[6];
  cr_assert_eq(snare_memory_read((uint64_t)(uintptr_t)buffer, seen, 6),
               SNARE_OK);
  cr_assert_str_eq(seen, "hello");
  cr_assert_eq(snare_memory_write((uint64_t)(uintptr_t)buffer, "world", 6),
               SNARE_OK);
  cr_assert_str_eq(buffer, "world");
  cr_assert_eq(snare_memory_read((uint64_t)(uintptr_t)buffer, seen, 0),
               SNARE_OK);
}

Test(memory, bad_addresses_are_errors_not_crashes) {
  char byte;
  cr_assert_eq(snare_memory_read(0, &byte, 1), SNARE_BAD_ADDRESS);
  cr_assert_eq(snare_memory_read(UINT64_MAX - 4, &byte, 1), SNARE_BAD_ADDRESS);
  cr_assert_eq(snare_memory_write(16, "x", 1), SNARE_BAD_ADDRESS);
  cr_assert_eq(snare_memory_read(UINT64_MAX - 1, &byte, 8),
               SNARE_INVALID_ARGUMENT);
  cr_assert_eq(snare_memory_read(4096, NULL, 8), SNARE_INVALID_ARGUMENT);
  uint8_t *guard = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  mprotect(guard + 4096, 4096, PROT_NONE);
  char two[2];
  /* Straddling into the guard page fails as a whole. */
  cr_assert_eq(snare_memory_read((uint64_t)(uintptr_t)guard + 4095, two, 2),
               SNARE_BAD_ADDRESS);
  /* Read-only text cannot be written through the data API, and says so. */
  uint64_t fib = fixture_symbol("O0", "loops", "fib");
  cr_assert_eq(snare_memory_write(fib, "\x90", 1), SNARE_IS_CODE);
  munmap(guard, 8192);
}

Test(memory, writes_over_a_breakpoint_keep_it) {
  uint8_t *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  static const uint8_t five[] = {0xb8, 5, 0, 0, 0, 0xc3}; /* mov eax,5; ret */
  memcpy(page, five, sizeof five);
  uint64_t fn = (uint64_t)(uintptr_t)page;
  snare_session *session;
  snare_session_new(&session);
  int id;
  cr_assert_eq(snare_breakpoint_set(session, fn, NULL, &id), SNARE_OK);
  static const uint8_t nine[] = {0xb8, 9, 0, 0, 0, 0xc3}; /* mov eax,9; ret */
  cr_assert_eq(snare_memory_write(fn, nine, sizeof nine), SNARE_OK);
  uint8_t seen[6];
  snare_memory_read(fn, seen, sizeof seen);
  cr_assert_eq(memcmp(seen, nine, sizeof nine), 0);
  snare_stop stop;
  snare_call(session, fn, 0, NULL, &stop);
  cr_assert_eq(stop.kind, SNARE_STOP_BREAKPOINT);
  snare_resume(session, SNARE_RESUME_CONTINUE, NULL, &stop);
  cr_assert_eq(stop.return_value, 9);
  snare_breakpoint_clear(session, id);
  cr_assert_eq(memcmp(page, nine, sizeof nine), 0);
  snare_session_free(session);
  munmap(page, 4096);
}

Test(names, statuses_registers_and_stops_have_names) {
  cr_assert_str_eq(snare_status_name(SNARE_BAD_ADDRESS), "BAD_ADDRESS");
  cr_assert_str_eq(snare_status_name((snare_status)999), "UNKNOWN");
  cr_assert_str_eq(snare_stop_kind_name(SNARE_STOP_BREAKPOINT), "breakpoint");
  cr_assert_str_eq(snare_register_name(SNARE_REG_R12), "r12");
  snare_register reg;
  cr_assert_eq(snare_register_lookup("pc", &reg), SNARE_OK);
  cr_assert_eq(reg, SNARE_REG_RIP);
  cr_assert_eq(snare_register_lookup("rflags", &reg), SNARE_NOT_FOUND);
}
