/* displaced_test.c - continuing and stepping over breakpoints placed on
   instructions that cannot simply run elsewhere: RIP-relative operands,
   relative jumps, conditional branches, calls, loops. The code under test
   is hand-assembled into a fresh executable page. */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/mman.h>

#include "displaced_code.h"
#include "snare.h"

static snare_session *session;
static uint8_t *page;

static void setup(void) {
  cr_assert_eq(snare_session_new(&session), SNARE_OK);
  page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
              -1, 0);
  cr_assert_neq(page, MAP_FAILED);
}
static void teardown(void) {
  snare_session_free(session);
  munmap(page, 4096);
}
TestSuite(displaced, .init = setup, .fini = teardown, .timeout = 20);

static uint64_t load(const uint8_t *code, size_t n) {
  memcpy(page, code, n);
  mprotect(page, 4096, PROT_READ | PROT_EXEC);
  return (uint64_t)(uintptr_t)page;
}

static int break_at(uint64_t addr) {
  int id;
  cr_assert_eq(snare_breakpoint_set(session, addr, NULL, &id), SNARE_OK);
  return id;
}

/* Calls fn(a, b), continuing over every stop; returns the result and
   stores how many breakpoint stops there were. */
static uint64_t run(uint64_t fn, uint64_t a, uint64_t b, int *stops) {
  uint64_t args[2] = {a, b};
  snare_stop stop;
  *stops = 0;
  snare_call(session, fn, 2, args, &stop);
  while (stop.kind == SNARE_STOP_BREAKPOINT) {
    ++*stops;
    snare_resume(session, SNARE_RESUME_CONTINUE, NULL, &stop);
  }
  cr_assert_eq(stop.kind, SNARE_STOP_EXIT, "ended with %s",
               snare_stop_kind_name(stop.kind));
  return stop.return_value;
}

/* Stops at the breakpoint, steps once, returns the pc offset reached. */
static uint64_t step_offset(uint64_t fn, uint64_t a, uint64_t b) {
  uint64_t args[2] = {a, b};
  snare_stop stop;
  snare_call(session, fn, 2, args, &stop);
  cr_assert_eq(stop.kind, SNARE_STOP_BREAKPOINT);
  snare_resume(session, SNARE_RESUME_STEP_INSTRUCTION, NULL, &stop);
  cr_assert_eq(stop.kind, SNARE_STOP_STEP);
  uint64_t offset = stop.pc - fn;
  snare_resume(session, SNARE_RESUME_ABORT, NULL, &stop);
  return offset;
}

Test(displaced, rip_relative_load) {
  uint8_t code[72];
  memcpy(code, rip_relative, sizeof rip_relative);
  uint64_t value = 0x1122334455667788ull;
  memcpy(code + 64, &value, sizeof value);
  uint64_t fn = load(code, sizeof code);
  break_at(fn);
  int stops;
  cr_assert_eq(run(fn, 0, 0, &stops), value);
  cr_assert_eq(stops, 1);
  cr_assert_eq(step_offset(fn, 0, 0), 7);
}

Test(displaced, conditional_branch_both_ways) {
  uint64_t fn = load(branch, sizeof branch);
  break_at(fn + 4);
  int stops;
  cr_assert_eq(run(fn, 3, 0, &stops), 2);
  cr_assert_eq(run(fn, 9, 0, &stops), 1);
  cr_assert_eq(stops, 1);
  cr_assert_eq(step_offset(fn, 3, 0), 12);
  cr_assert_eq(step_offset(fn, 9, 0), 6);
}

Test(displaced, relative_call_returns_to_the_original_code) {
  uint64_t fn = load(direct_call, sizeof direct_call);
  break_at(fn);
  break_at(fn + 11);
  uint64_t args[2] = {0, 0};
  snare_stop stop;
  snare_call(session, fn, 2, args, &stop);
  cr_assert_eq(stop.pc, fn);
  snare_resume(session, SNARE_RESUME_CONTINUE, NULL, &stop);
  cr_assert_eq(stop.pc, fn + 11);
  uint64_t return_address;
  snare_memory_read(stop.registers.value[SNARE_REG_RSP], &return_address, 8);
  cr_assert_eq(return_address, fn + 5);
  snare_resume(session, SNARE_RESUME_CONTINUE, NULL, &stop);
  cr_assert_eq(stop.kind, SNARE_STOP_EXIT);
  cr_assert_eq(stop.return_value, 42);
  cr_assert_eq(step_offset(fn, 0, 0), 11);
}

Test(displaced, indirect_calls_through_register_and_memory) {
  uint64_t fn = load(indirect_call, sizeof indirect_call);
  break_at(fn);
  break_at(fn + 6);
  int stops;
  cr_assert_eq(run(fn, 0, fn + 16, &stops), 42);
  cr_assert_eq(stops, 1);
  uint64_t table[2] = {0, fn + 16};
  cr_assert_eq(run(fn + 6, 0, (uint64_t)(uintptr_t)table, &stops), 41);
  cr_assert_eq(stops, 1);
}

Test(displaced, relative_jump) {
  uint64_t fn = load(relative_jump, sizeof relative_jump);
  break_at(fn);
  int stops;
  cr_assert_eq(run(fn, 0, 0, &stops), 7);
  cr_assert_eq(step_offset(fn, 0, 0), 4);
}

Test(displaced, loop_instruction_hits_every_iteration) {
  uint64_t fn = load(counted_loop, sizeof counted_loop);
  break_at(fn + 7);
  int stops;
  cr_assert_eq(run(fn, 5, 0, &stops), 5);
  cr_assert_eq(stops, 5);
}
