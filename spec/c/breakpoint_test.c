/* breakpoint_test.c - breakpoints: hits, conditions, skip and max counts,
   enabling, clearing, refusals, and threads that are not snare's. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fixtures.h"
#include "snare.h"

static snare_session *session;
static void open_session(void) {
  cr_assert_eq(snare_session_new(&session), SNARE_OK);
}
static void close_session(void) { snare_session_free(session); }
TestSuite(breakpoint, .init = open_session, .fini = close_session,
          .timeout = 30);

static uint64_t loops(const char *level, const char *symbol) {
  return fixture_symbol(level, "loops", symbol);
}

static snare_breakpoint_info info_of(int id) {
  snare_breakpoint_info info;
  cr_assert_eq(snare_breakpoint_info_get(session, id, &info), SNARE_OK);
  return info;
}

/* Runs fn(arg) to completion, counting breakpoint stops on the way. */
static int run_counting_stops(uint64_t fn, uint64_t arg, snare_stop *stop) {
  int stops = 0;
  snare_call(session, fn, 1, &arg, stop);
  while (stop->kind == SNARE_STOP_BREAKPOINT) {
    stops++;
    snare_resume(session, SNARE_RESUME_CONTINUE, NULL, stop);
  }
  return stops;
}

static bool argument_is(snare_frame *frame, void *wanted) {
  uint64_t rdi;
  snare_frame_register_get(frame, SNARE_REG_RDI, &rdi);
  return rdi == *(uint64_t *)wanted;
}

static void check_loop_condition(const char *level) {
  uint64_t wanted = 77777;
  int id;
  snare_breakpoint_options opts = {.condition = argument_is,
                                   .condition_data = &wanted};
  cr_assert_eq(snare_breakpoint_set(session, loops(level, "visit"), &opts, &id),
               SNARE_OK);
  snare_stop stop;
  uint64_t n = 100000;
  snare_call(session, loops(level, "visit_loop"), 1, &n, &stop);
  cr_assert_eq(stop.kind, SNARE_STOP_BREAKPOINT);
  cr_assert_eq(stop.breakpoint, id);
  cr_assert_eq(stop.registers.value[SNARE_REG_RDI], wanted);
  snare_resume(session, SNARE_RESUME_CONTINUE, NULL, &stop);
  cr_assert_eq(stop.kind, SNARE_STOP_EXIT);
  uint64_t expected = 0;
  for (uint64_t i = 0; i < n; i++)
    expected += i % 7;
  cr_assert_eq((int)stop.return_value, (int)expected);
  snare_breakpoint_info info = info_of(id);
  cr_assert_eq(info.hits, 100000);
  cr_assert_eq(info.stops, 1);
  cr_assert_eq(info.rejected, 99999);
  snare_breakpoint_clear(session, id);
}

Test(breakpoint, condition_true_once_in_a_loop_stops_once) {
  check_loop_condition("O0");
  check_loop_condition("O2");
}

Test(breakpoint, every_hit_stops_without_a_condition) {
  uint64_t fib = loops("O0", "fib");
  int id;
  snare_breakpoint_set(session, fib, NULL, &id);
  snare_stop stop;
  int stops = run_counting_stops(fib, 6, &stop);
  cr_assert_eq(stops, 25); /* fib(6) makes 25 calls */
  cr_assert_eq(stop.return_value, 8);
  snare_breakpoint_info info = info_of(id);
  cr_assert_eq(info.hits, 25);
  cr_assert_eq(info.stops, 25);
  cr_assert_eq(info.rejected, 0);
}

Test(breakpoint, skip_ignores_the_first_hits) {
  uint64_t fib = loops("O0", "fib");
  int id;
  snare_breakpoint_set(session, fib, &(snare_breakpoint_options){.skip = 20},
                       &id);
  snare_stop stop;
  cr_assert_eq(run_counting_stops(fib, 6, &stop), 5);
  cr_assert_eq(info_of(id).rejected, 20);
}

Test(breakpoint, max_stops_clears_the_breakpoint) {
  uint64_t fib = loops("O0", "fib");
  uint8_t before[4];
  memcpy(before, (void *)(uintptr_t)fib, sizeof before);
  int id;
  snare_breakpoint_set(session, fib,
                       &(snare_breakpoint_options){.max_stops = 2}, &id);
  snare_stop stop;
  cr_assert_eq(run_counting_stops(fib, 6, &stop), 2);
  cr_assert_eq(stop.return_value, 8);
  snare_breakpoint_info info;
  cr_assert_eq(snare_breakpoint_info_get(session, id, &info), SNARE_NOT_FOUND);
  cr_assert_eq(memcmp(before, (void *)(uintptr_t)fib, sizeof before), 0);
}

static int released;
static void count_release(void *data) {
  (void)data;
  released++;
}

Test(breakpoint, disable_enable_and_clear_restore_the_code) {
  uint64_t fib = loops("O2", "fib");
  uint8_t before[16];
  memcpy(before, (void *)(uintptr_t)fib, sizeof before);
  int id;
  released = 0;
  snare_breakpoint_set(session, fib,
                       &(snare_breakpoint_options){.release = count_release},
                       &id);
  cr_assert_neq(memcmp(before, (void *)(uintptr_t)fib, sizeof before), 0);
  /* snare's own reads show the program's bytes, not the trap */
  uint8_t seen[16];
  cr_assert_eq(snare_memory_read(fib, seen, sizeof seen), SNARE_OK);
  cr_assert_eq(memcmp(before, seen, sizeof seen), 0);
  cr_assert_eq(snare_breakpoint_enable(session, id, false), SNARE_OK);
  cr_assert_eq(memcmp(before, (void *)(uintptr_t)fib, sizeof before), 0);
  snare_stop stop;
  cr_assert_eq(run_counting_stops(fib, 10, &stop), 0);
  cr_assert_eq(info_of(id).hits, 0);
  cr_assert_not(info_of(id).enabled);
  snare_breakpoint_enable(session, id, true);
  cr_assert_gt(run_counting_stops(fib, 3, &stop), 0);
  cr_assert_eq(snare_breakpoint_clear(session, id), SNARE_OK);
  cr_assert_eq(released, 1);
  cr_assert_eq(memcmp(before, (void *)(uintptr_t)fib, sizeof before), 0);
  cr_assert_eq(snare_breakpoint_clear(session, id), SNARE_NOT_FOUND);
  cr_assert_eq(snare_breakpoint_enable(session, id, true), SNARE_NOT_FOUND);
}

Test(breakpoint, two_breakpoints_at_one_address) {
  uint64_t fib = loops("O0", "fib");
  uint8_t before[4];
  memcpy(before, (void *)(uintptr_t)fib, sizeof before);
  int a, b;
  snare_breakpoint_set(session, fib, &(snare_breakpoint_options){.skip = 100},
                       &a);
  snare_breakpoint_set(session, fib, NULL, &b);
  cr_assert_neq(a, b);
  int ids[4];
  cr_assert_eq(snare_breakpoint_list(session, ids, 4), 2);
  cr_assert_eq(ids[0], a);
  cr_assert_eq(ids[1], b);
  snare_stop stop;
  cr_assert_eq(run_counting_stops(fib, 4, &stop), 9);
  cr_assert_eq(info_of(a).rejected, 9);
  snare_breakpoint_clear(session, b);
  cr_assert_neq(memcmp(before, (void *)(uintptr_t)fib, sizeof before), 0);
  snare_breakpoint_clear(session, a);
  cr_assert_eq(memcmp(before, (void *)(uintptr_t)fib, sizeof before), 0);
}

Test(breakpoint, refuses_bad_addresses) {
  int id = -1;
  static int data;
  cr_assert_eq(snare_breakpoint_set(session, 0, NULL, &id), SNARE_BAD_ADDRESS);
  cr_assert_eq(snare_breakpoint_set(session, 8, NULL, &id), SNARE_BAD_ADDRESS);
  cr_assert_eq(
      snare_breakpoint_set(session, (uint64_t)(uintptr_t)&data, NULL, &id),
      SNARE_NOT_CODE);
  cr_assert_eq(snare_breakpoint_set(session, loops("O0", "fib"), NULL, NULL),
               SNARE_INVALID_ARGUMENT);
  cr_assert_eq(id, -1);
  cr_assert_eq(snare_breakpoint_list(session, NULL, 0), 0);
  /* Inside an instruction of a function snare knows. */
  snare_library *lib;
  cr_assert_eq(snare_library_open(fixture_path("O0", "loops"), &lib),
               SNARE_OK);
  snare_symbol fib;
  snare_library_symbol(lib, "fib", &fib);
  /* fib at -O0 opens with push rbp (1 byte), mov rbp,rsp (3 bytes) */
  cr_assert_eq(snare_breakpoint_set(session, fib.address + 2, NULL, &id),
               SNARE_INSIDE_INSTRUCTION);
  cr_assert_eq(snare_breakpoint_set(session, fib.address + 1, NULL, &id),
               SNARE_OK);
  snare_library_close(lib);
}

static bool always_false(snare_frame *frame, void *data) {
  (void)frame;
  (void)data;
  return false;
}

static void *call_fib_on_a_foreign_thread(void *fib) {
  int (*fn)(int) = (int (*)(int))(uintptr_t)fib;
  return (void *)(uintptr_t)fn(15);
}

Test(breakpoint, threads_that_are_not_snares_run_through) {
  uint64_t fib = loops("O0", "fib");
  int id;
  snare_breakpoint_set(session, fib, NULL, &id);
  pthread_t threads[4];
  for (int i = 0; i < 4; i++)
    pthread_create(&threads[i], NULL, call_fib_on_a_foreign_thread,
                   (void *)(uintptr_t)fib);
  for (int i = 0; i < 4; i++) {
    void *result;
    pthread_join(threads[i], &result);
    cr_assert_eq((uintptr_t)result, 610);
  }
  cr_assert_eq(info_of(id).hits, 0);
}

Test(breakpoint, condition_sees_every_hit_of_a_recursive_function) {
  uint64_t fib = loops("O2", "fib");
  int id;
  snare_breakpoint_set(session, fib,
                       &(snare_breakpoint_options){.condition = always_false},
                       &id);
  snare_stop stop;
  cr_assert_eq(run_counting_stops(fib, 20, &stop), 0);
  cr_assert_eq(stop.return_value, 6765);
  snare_breakpoint_info info = info_of(id);
  cr_assert_gt(info.hits, 0);
  cr_assert_eq(info.hits, info.rejected);
}

static bool move_argument(snare_frame *frame, void *data) {
  (void)data;
  snare_frame_register_set(frame, SNARE_REG_RDI, 10);
  return false;
}

Test(breakpoint, condition_may_write_registers) {
  uint64_t count_to = loops("O0", "count_to");
  int id;
  snare_breakpoint_set(
      session, count_to,
      &(snare_breakpoint_options){.condition = move_argument, .max_stops = 0},
      &id);
  snare_stop stop;
  cr_assert_eq(run_counting_stops(count_to, 3, &stop), 0);
  cr_assert_eq(stop.return_value, 55); /* count_to(10) */
}

Test(breakpoint, numbers_from_continues_a_debugger_s_numbering) {
  uint64_t visit = loops("O0", "visit");
  int a, b, c;
  cr_assert_eq(snare_breakpoint_set(session, visit, NULL, &a), SNARE_OK);
  cr_assert_eq(snare_breakpoint_numbers_from(session, a + 5), SNARE_OK);
  cr_assert_eq(snare_breakpoint_set(session, visit, NULL, &b), SNARE_OK);
  cr_assert_eq(b, a + 5);
  /* numbers never go back */
  cr_assert_eq(snare_breakpoint_numbers_from(session, a), SNARE_OK);
  cr_assert_eq(snare_breakpoint_set(session, visit, NULL, &c), SNARE_OK);
  cr_assert_eq(c, b + 1);
  cr_assert_eq(snare_breakpoint_numbers_from(session, 0),
               SNARE_INVALID_ARGUMENT);
  cr_assert_eq(snare_breakpoint_numbers_from(
                   session, SNARE_BREAKPOINT_NUMBER_MAX + 1),
               SNARE_INVALID_ARGUMENT);
}

Test(breakpoint, given_numbers_and_extra_locations_take_no_user_number) {
  uint64_t visit = loops("O0", "visit"), fib = loops("O0", "fib");
  int taken, a, extra, b, again;
  cr_assert_eq(snare_breakpoint_number_take(session, &taken), SNARE_OK);
  cr_assert_eq(snare_breakpoint_set(session, visit, NULL, &a), SNARE_OK);
  cr_assert_eq(a, taken + 1);
  /* gdb's 2.2: the second location of a's breakpoint */
  cr_assert_eq(snare_breakpoint_set(
                   session, fib,
                   &(snare_breakpoint_options){.extra_location = true}, &extra),
               SNARE_OK);
  cr_assert_gt(extra, SNARE_BREAKPOINT_NUMBER_MAX);
  /* the pending breakpoint that took its number resolves */
  cr_assert_eq(snare_breakpoint_set(session, fib,
                                    &(snare_breakpoint_options){.number = taken},
                                    &b),
               SNARE_OK);
  cr_assert_eq(b, taken);
  cr_assert_eq(snare_breakpoint_set(session, fib,
                                    &(snare_breakpoint_options){.number = a},
                                    &again),
               SNARE_INVALID_ARGUMENT); /* in use */
  int ids[4];
  cr_assert_eq(snare_breakpoint_list(session, ids, 4), 2);
  cr_assert_eq(ids[0], taken); /* ascending, not in creation order */
  cr_assert_eq(ids[1], a);
  /* a number given past the counter moves it on */
  cr_assert_eq(snare_breakpoint_set(session, visit,
                                    &(snare_breakpoint_options){.number = a + 9},
                                    &b),
               SNARE_OK);
  cr_assert_eq(snare_breakpoint_set(session, visit, NULL, &again), SNARE_OK);
  cr_assert_eq(again, a + 10);
}

/* The near-hang of a list that counted up through every number to the
   highest one set: numbers near SNARE_BREAKPOINT_NUMBER_MAX listed at
   once, sorted, the first cap of them when cap is short. */
Test(breakpoint, list_is_sorted_whatever_the_numbers, .timeout = 10) {
  uint64_t visit = loops("O0", "visit");
  int high = SNARE_BREAKPOINT_NUMBER_MAX - 1, low, id;
  cr_assert_eq(snare_breakpoint_set(session, visit,
                                    &(snare_breakpoint_options){.number = high},
                                    &id),
               SNARE_OK);
  cr_assert_eq(snare_breakpoint_set(session, visit,
                                    &(snare_breakpoint_options){.number = 3},
                                    &low),
               SNARE_OK);
  cr_assert_eq(snare_breakpoint_set(session, visit, NULL, &id), SNARE_OK);
  cr_assert_eq(id, SNARE_BREAKPOINT_NUMBER_MAX);
  int ids[3];
  cr_assert_eq(snare_breakpoint_list(session, ids, 3), 3);
  cr_assert_eq(ids[0], 3);
  cr_assert_eq(ids[1], high);
  cr_assert_eq(ids[2], SNARE_BREAKPOINT_NUMBER_MAX);
  int first[2];
  cr_assert_eq(snare_breakpoint_list(session, first, 2), 3);
  cr_assert_eq(first[0], 3);
  cr_assert_eq(first[1], high);
  cr_assert_eq(snare_breakpoint_number_take(session, &id), SNARE_NO_MEMORY);
}

/* The descriptor of this process's /proc/PID/mem, or -1. */
static int mem_descriptor(void) {
  char wanted[64], path[64], target[64];
  snprintf(wanted, sizeof wanted, "/proc/%d/mem", (int)getpid());
  for (int fd = 0; fd < 4096; fd++) {
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n > 0 && (target[n] = '\0', strcmp(target, wanted) == 0))
      return fd;
  }
  return -1;
}

Test(breakpoint, code_writes_never_reach_a_file_the_program_put_at_their_number) {
  uint64_t fib = loops("O2", "fib");
  int id;
  cr_assert_eq(snare_breakpoint_set(session, fib, NULL, &id), SNARE_OK);
  cr_assert_eq(snare_breakpoint_clear(session, id), SNARE_OK);
  /* the program closes snare's code writer and puts a file of its own at
     that number (dup2, as a closefrom-and-reopen daemon's would) */
  int fd = mem_descriptor();
  cr_assert_geq(fd, 0);
  close(fd);
  FILE *file = tmpfile();
  cr_assert_not_null(file);
  int mine = dup2(fileno(file), fd);
  cr_assert_eq(mine, fd);
  uint8_t before[16];
  memcpy(before, (void *)(uintptr_t)fib, sizeof before);
  cr_assert_eq(snare_breakpoint_set(session, fib, NULL, &id), SNARE_OK);
  cr_assert_neq(memcmp(before, (void *)(uintptr_t)fib, sizeof before), 0,
                "the trap is written through a writer of its own");
  snare_stop stop;
  cr_assert_gt(run_counting_stops(fib, 3, &stop), 0);
  cr_assert_eq(snare_breakpoint_clear(session, id), SNARE_OK);
  cr_assert_eq(memcmp(before, (void *)(uintptr_t)fib, sizeof before), 0);
  cr_assert_eq(lseek(mine, 0, SEEK_END), 0, "the program's file got no byte");
  cr_assert_neq(fcntl(mine, F_GETFD), -1, "the program's file is still open");
  close(mine);
  fclose(file);
}
