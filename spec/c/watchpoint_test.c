/* watchpoint_test.c - hardware watchpoints: kinds, sizes, the heap, a
   local's scope, threads, a breakpoint on the watched store, a single
   step over it, the four registers, and the kernel's refusal. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixtures.h"
#include "snare.h"

#define WAIT_MS 10000

static snare_session *session;

static void open_session(void) {
  cr_assert_eq(snare_session_new(&session), SNARE_OK);
}
static void close_session(void) { snare_session_free(session); }

TestSuite(watchpoint, .init = open_session, .fini = close_session,
          .timeout = 60);

static uint64_t sym(const char *name) {
  return fixture_symbol("O0", "watch", name);
}

static int watch(uint64_t addr, unsigned length, snare_watch_kind kind) {
  snare_watchpoint_options opts = {.kind = kind};
  int id = 0;
  snare_status status = snare_watchpoint_set(session, addr, length, &opts, &id);
  cr_assert_eq(status, SNARE_OK, "watch: %s (%s)", snare_status_name(status),
               snare_watchpoint_error());
  return id;
}

static snare_watchpoint_info info(int id) {
  snare_watchpoint_info out;
  cr_assert_eq(snare_watchpoint_info_get(session, id, &out), SNARE_OK);
  return out;
}

static snare_stop call(const char *name, unsigned nargs, const uint64_t *args) {
  snare_stop stop;
  cr_assert_eq(snare_call(session, sym(name), nargs, args, &stop), SNARE_OK);
  return stop;
}

static snare_stop resume(snare_resume_mode mode) {
  snare_stop stop;
  cr_assert_eq(snare_resume(session, mode, NULL, &stop), SNARE_OK);
  return stop;
}

/* Resumes through watchpoint stops until the call exits; their count. */
static int stops_until_exit(snare_stop stop, uint64_t *old_values,
                            uint64_t *new_values, int cap) {
  int n = 0;
  while (stop.kind == SNARE_STOP_WATCHPOINT) {
    cr_assert_eq(stop.reason, SNARE_REASON_WATCHPOINT_HIT);
    if (n < cap) {
      old_values[n] = stop.old_value;
      new_values[n] = stop.new_value;
    }
    n++;
    stop = resume(SNARE_RESUME_CONTINUE);
  }
  cr_assert_eq(stop.kind, SNARE_STOP_EXIT, "ended with a %s stop",
               snare_stop_kind_name(stop.kind));
  return n;
}

static void set_counter(long value) {
  cr_assert_eq(snare_memory_write(sym("counter"), &value, sizeof value),
               SNARE_OK);
}

Test(watchpoint, write_stops_after_each_change_with_old_and_new_values) {
  set_counter(0);
  int id = watch(sym("counter"), 8, SNARE_WATCH_WRITE);
  uint64_t args[] = {5};
  snare_stop stop = call("write_counter", 1, args);
  cr_assert_eq(stop.kind, SNARE_STOP_WATCHPOINT);
  cr_assert_eq(stop.watchpoint, id);
  /* reported after the store: inside write_counter, past its start */
  uint64_t start = sym("write_counter");
  cr_assert(stop.pc > start && stop.pc < start + 64);
  uint64_t olds[8], news[8];
  cr_assert_eq(stops_until_exit(stop, olds, news, 8), 5);
  for (int i = 0; i < 5; i++) {
    cr_assert_eq(olds[i], (uint64_t)i);
    cr_assert_eq(news[i], (uint64_t)i + 1);
  }
  snare_watchpoint_info wi = info(id);
  cr_assert_eq(wi.hits, 5);
  cr_assert_eq(wi.stops, 5);
  cr_assert_eq(wi.registers, 1);
}

Test(watchpoint, write_of_the_same_value_is_no_hit_but_an_access) {
  set_counter(3);
  int write = watch(sym("counter"), 8, SNARE_WATCH_WRITE);
  uint64_t args[] = {4};
  cr_assert_eq(call("rewrite_counter", 1, args).kind, SNARE_STOP_EXIT);
  cr_assert_eq(info(write).hits, 0);
  cr_assert_eq(snare_watchpoint_clear(session, write), SNARE_OK);
  int access = watch(sym("counter"), 8, SNARE_WATCH_ACCESS);
  uint64_t olds[16], news[16];
  /* each iteration reads and writes */
  cr_assert_eq(
      stops_until_exit(call("rewrite_counter", 1, args), olds, news, 16), 8);
  cr_assert_eq(info(access).hits, 8);
}

Test(watchpoint, read_counts_reads_and_not_writes) {
  set_counter(7);
  int id = watch(sym("counter"), 8, SNARE_WATCH_READ);
  uint64_t args[] = {6};
  uint64_t olds[8], news[8];
  cr_assert_eq(stops_until_exit(call("read_counter", 1, args), olds, news, 8),
               6);
  cr_assert_eq(news[0], 7);
  cr_assert_eq(stops_until_exit(call("write_counter", 1, args), olds, news, 8),
               0);
  cr_assert_eq(info(id).hits, 6);
}

static bool never(snare_frame *frame, void *data) {
  (void)frame;
  (*(int *)data)++;
  return false;
}

Test(watchpoint, false_condition_and_skip_resume_silently) {
  set_counter(0);
  int calls = 0;
  snare_watchpoint_options opts = {.kind = SNARE_WATCH_WRITE,
                                   .condition = never,
                                   .condition_data = &calls,
                                   .skip = 3};
  int id;
  cr_assert_eq(snare_watchpoint_set(session, sym("counter"), 8, &opts, &id),
               SNARE_OK);
  uint64_t args[] = {10};
  cr_assert_eq(call("write_counter", 1, args).kind, SNARE_STOP_EXIT);
  snare_watchpoint_info wi = info(id);
  cr_assert_eq(wi.hits, 10);
  cr_assert_eq(wi.rejected, 10);
  cr_assert_eq(wi.stops, 0);
  cr_assert_eq(calls, 7, "the condition runs after the skipped hits");
}

Test(watchpoint, every_size_of_register) {
  const char *names[] = {"watched8", "watched16", "watched32", "watched64"};
  const unsigned sizes[] = {1, 2, 4, 8};
  for (int i = 0; i < 4; i++) {
    int id = watch(sym(names[i]), sizes[i], SNARE_WATCH_WRITE);
    uint64_t olds[4], news[4];
    cr_assert_eq(stops_until_exit(call("write_sizes", 0, NULL), olds, news, 4),
                 1, "%s", names[i]);
    cr_assert_eq(news[0], olds[0] + 1, "%s", names[i]);
    cr_assert_eq(snare_watchpoint_clear(session, id), SNARE_OK);
  }
}

Test(watchpoint, heap_memory) {
  uint64_t p = call("heap_new", 0, NULL).return_value;
  cr_assert_neq(p, 0);
  int id = watch(p + 8, 8, SNARE_WATCH_WRITE);
  uint64_t args[] = {p, 3};
  uint64_t olds[4], news[4];
  cr_assert_eq(stops_until_exit(call("heap_bump", 2, args), olds, news, 4), 3);
  cr_assert_eq(news[2], 3);
  cr_assert_eq(info(id).hits, 3);
  free((void *)(uintptr_t)p);
}

Test(watchpoint, a_range_splits_into_aligned_registers) {
  /* buffer+2 .. buffer+14: 2 + 4 + 4 + 2 bytes */
  int id = watch(sym("buffer") + 2, 12, SNARE_WATCH_WRITE);
  cr_assert_eq(info(id).registers, 4);
  uint64_t args[] = {0, 16};
  uint64_t olds[16], news[16];
  cr_assert_eq(stops_until_exit(call("write_buffer", 2, args), olds, news, 16),
               12);
}

Test(watchpoint, a_fifth_register_is_refused_clearly) {
  watch(sym("watched8"), 1, SNARE_WATCH_WRITE);
  watch(sym("watched16"), 2, SNARE_WATCH_WRITE);
  watch(sym("watched32"), 4, SNARE_WATCH_WRITE);
  watch(sym("watched64"), 8, SNARE_WATCH_WRITE);
  int id = 0;
  cr_assert_eq(snare_watchpoint_set(session, sym("counter"), 8, NULL, &id),
               SNARE_NO_DEBUG_REGISTER);
  cr_assert(strstr(snare_watchpoint_error(), "four") != NULL, "%s",
            snare_watchpoint_error());
  cr_assert_eq(snare_watchpoint_list(session, NULL, 0), 4);
  /* the four still work */
  uint64_t olds[8], news[8];
  cr_assert_eq(stops_until_exit(call("write_sizes", 0, NULL), olds, news, 8),
               4);
}

Test(watchpoint, disabled_counts_nothing) {
  set_counter(0);
  int id = watch(sym("counter"), 8, SNARE_WATCH_WRITE);
  cr_assert_eq(snare_watchpoint_enable(session, id, false), SNARE_OK);
  uint64_t args[] = {3};
  cr_assert_eq(call("write_counter", 1, args).kind, SNARE_STOP_EXIT);
  cr_assert_eq(info(id).hits, 0);
  cr_assert_eq(snare_watchpoint_enable(session, id, true), SNARE_OK);
  uint64_t olds[4], news[4];
  set_counter(0);
  cr_assert_eq(stops_until_exit(call("write_counter", 1, args), olds, news, 4),
               3);
}

Test(watchpoint, a_local_ends_with_its_frame) {
  int bp;
  cr_assert_eq(snare_breakpoint_set(session, sym("local_here"), NULL, &bp),
               SNARE_OK);
  uint64_t args[] = {4};
  snare_stop stop = call("local_outer", 1, args);
  cr_assert_eq(stop.kind, SNARE_STOP_BREAKPOINT);
  /* at local_here's entry (O0): rbp is local_work's frame pointer */
  uint64_t local = stop.registers.value[SNARE_REG_RDI];
  uint64_t rbp = stop.registers.value[SNARE_REG_RBP];
  uint64_t return_address;
  cr_assert_eq(snare_memory_read(rbp + 8, &return_address, 8), SNARE_OK);
  snare_watchpoint_options opts = {.kind = SNARE_WATCH_WRITE,
                                   .thread = stop.thread,
                                   .scope_frame = rbp + 16,
                                   .scope_return = return_address};
  int id;
  cr_assert_eq(snare_watchpoint_set(session, local, 8, &opts, &id), SNARE_OK);
  cr_assert(info(id).scoped);
  snare_breakpoint_clear(session, bp);
  int hits = 0;
  for (stop = resume(SNARE_RESUME_CONTINUE);
       stop.kind == SNARE_STOP_WATCHPOINT &&
       stop.reason == SNARE_REASON_WATCHPOINT_HIT;
       stop = resume(SNARE_RESUME_CONTINUE))
    cr_assert_eq(stop.new_value, (uint64_t)++hits);
  cr_assert_eq(hits, 4);
  cr_assert_eq(stop.kind, SNARE_STOP_WATCHPOINT);
  cr_assert_eq(stop.reason, SNARE_REASON_WATCHPOINT_SCOPE);
  cr_assert_eq(stop.watchpoint, id);
  cr_assert_eq(stop.pc, return_address);
  cr_assert_eq(snare_watchpoint_list(session, NULL, 0), 0);
  /* the stack where the frame was is written again: no more stops */
  stop = resume(SNARE_RESUME_CONTINUE);
  cr_assert_eq(stop.kind, SNARE_STOP_EXIT);
  cr_assert_eq((long)stop.return_value, 4 + 7);
}

Test(watchpoint, a_breakpoint_on_the_watched_store) {
  set_counter(0);
  int id = watch(sym("counter"), 8, SNARE_WATCH_WRITE);
  int bp;
  cr_assert_eq(snare_breakpoint_set(session, sym("store_value"), NULL, &bp),
               SNARE_OK);
  uint64_t args[] = {sym("counter"), 42};
  snare_stop stop = call("store_value", 2, args);
  cr_assert_eq(stop.kind, SNARE_STOP_BREAKPOINT);
  cr_assert_eq(stop.pc, sym("store_value"));
  stop = resume(SNARE_RESUME_CONTINUE);
  cr_assert_eq(stop.kind, SNARE_STOP_WATCHPOINT);
  cr_assert_eq(stop.new_value, 42);
  /* after the store (3 bytes), at the original code, not the slot */
  cr_assert_eq(stop.pc, sym("store_value") + 3);
  cr_assert_eq(resume(SNARE_RESUME_CONTINUE).kind, SNARE_STOP_EXIT);
  cr_assert_eq(info(id).hits, 1);
}

Test(watchpoint, a_single_step_over_the_watched_store) {
  set_counter(0);
  int id = watch(sym("counter"), 8, SNARE_WATCH_WRITE);
  int bp;
  cr_assert_eq(snare_breakpoint_set(session, sym("store_value"), NULL, &bp),
               SNARE_OK);
  uint64_t args[] = {sym("counter"), 9};
  cr_assert_eq(call("store_value", 2, args).kind, SNARE_STOP_BREAKPOINT);
  snare_stop stop = resume(SNARE_RESUME_STEP_INSTRUCTION);
  /* the step completes as a step, carrying the watchpoint's change */
  cr_assert_eq(stop.kind, SNARE_STOP_STEP);
  cr_assert_eq(stop.pc, sym("store_value") + 3);
  cr_assert_eq(stop.watchpoint, id);
  cr_assert_eq(stop.old_value, 0);
  cr_assert_eq(stop.new_value, 9);
  /* and is one hit, not a step and a hit again */
  cr_assert_eq(resume(SNARE_RESUME_CONTINUE).kind, SNARE_STOP_EXIT);
  cr_assert_eq(info(id).hits, 1);
  /* a step over an instruction that writes nothing watched is plain */
  cr_assert_eq(call("store_value", 2, args).kind, SNARE_STOP_BREAKPOINT);
  stop = resume(SNARE_RESUME_STEP_INSTRUCTION);
  cr_assert_eq(stop.kind, SNARE_STOP_STEP);
  cr_assert_eq(stop.watchpoint, 0, "the value did not change");
  cr_assert_eq(resume(SNARE_RESUME_CONTINUE).kind, SNARE_STOP_EXIT);
}

/* ---- threads ---- */

#define WRITERS 8
#define PER_WRITER 200

typedef struct tally {
  int thread[64];
  uint64_t counter;
} tally;

/* Counts each hit for the thread that made it; stops at one value. */
static bool attribute(snare_frame *frame, void *data) {
  tally *t = data;
  __atomic_fetch_add(&t->thread[snare_frame_thread(frame) % 64], 1,
                     __ATOMIC_RELAXED);
  long value;
  snare_memory_read(t->counter, &value, sizeof value);
  return value == WRITERS * PER_WRITER / 2;
}

Test(watchpoint, threads_attached_later_each_hit_theirs) {
  set_counter(0);
  tally t = {.counter = sym("counter")};
  snare_watchpoint_options opts = {
      .kind = SNARE_WATCH_WRITE, .condition = attribute, .condition_data = &t};
  int id;
  cr_assert_eq(snare_watchpoint_set(session, sym("counter"), 8, &opts, &id),
               SNARE_OK);
  uint64_t none[] = {0}; /* once the worker runs, it is armed too */
  cr_assert_eq(call("local_here", 1, none).kind, SNARE_STOP_EXIT);
  int fds = fixture_fd_count();
  int (*start)(int, void *, int) =
      (int (*)(int, void *, int))(uintptr_t)sym("start_writers");
  cr_assert_eq(start(WRITERS, session, PER_WRITER), WRITERS);
  /* one stop, on the writer that wrote the middle value */
  snare_event ev = {0};
  do
    cr_assert_eq(snare_wait_event(session, WAIT_MS, &ev), SNARE_OK);
  while (ev.type == SNARE_EVENT_ATTACH || ev.type == SNARE_EVENT_DETACH);
  cr_assert_eq(ev.type, SNARE_EVENT_WATCHPOINT);
  cr_assert_eq(ev.watchpoint, id);
  cr_assert_eq(ev.new_value, WRITERS * PER_WRITER / 2);
  cr_assert_eq(ev.old_value, WRITERS * PER_WRITER / 2 - 1);
  int stopped = ev.thread;
  cr_assert_eq(
      snare_thread_resume(session, stopped, SNARE_RESUME_CONTINUE, NULL),
      SNARE_OK);
  int (*join)(void) = (int (*)(void))(uintptr_t)sym("join_writers");
  cr_assert_eq(join(), WRITERS);
  snare_event_free(&ev);
  int (*writer_id)(int) = (int (*)(int))(uintptr_t)sym("writer_id");
  bool stopped_is_a_writer = false;
  for (int i = 0; i < WRITERS; i++) {
    int thread = writer_id(i);
    cr_assert_eq(t.thread[thread % 64], PER_WRITER, "writer %d", thread);
    stopped_is_a_writer |= thread == stopped;
  }
  cr_assert(stopped_is_a_writer);
  snare_watchpoint_info wi = info(id);
  cr_assert_eq(wi.hits, WRITERS * PER_WRITER);
  cr_assert_eq(wi.stops, 1);
  /* each writer's registers went with it */
  cr_assert_eq(fixture_fd_count(), fds);
}

/* ---- the kernel's refusal, simulated ---- */

static void refused_with(const char *error, const char *says) {
  setenv("SNARE_TEST_WATCH_REFUSE", error, 1);
  int id;
  cr_assert_eq(snare_watchpoint_set(session, sym("counter"), 8, NULL, &id),
               SNARE_UNSUPPORTED);
  cr_assert(strstr(snare_watchpoint_error(), says) != NULL, "%s: %s", error,
            snare_watchpoint_error());
  cr_assert_eq(snare_watchpoint_list(session, NULL, 0), 0);
  unsetenv("SNARE_TEST_WATCH_REFUSE");
}

Test(watchpoint, a_refusing_kernel_gets_a_clear_error_and_changes_nothing) {
  refused_with("EACCES", "perf_event_paranoid");
  refused_with("ENOSYS", "seccomp");
  refused_with("EINVAL", "5.13");
  /* breakpoints are not affected, and watchpoints work once allowed */
  int bp;
  cr_assert_eq(snare_breakpoint_set(session, sym("store_value"), NULL, &bp),
               SNARE_OK);
  watch(sym("counter"), 8, SNARE_WATCH_WRITE);
  cr_assert_str_empty(snare_watchpoint_error());
}

Test(watchpoint, bad_arguments_are_refused_and_change_nothing) {
  int id = 0;
  snare_watchpoint_options execute = {.kind = SNARE_WATCH_EXECUTE};
  snare_watchpoint_options scope_without_thread = {.scope_frame = 0x1000,
                                                   .scope_return = 0x2000};
  cr_assert_eq(snare_watchpoint_set(session, sym("counter"), 0, NULL, &id),
               SNARE_INVALID_ARGUMENT);
  cr_assert_eq(snare_watchpoint_set(session, sym("counter"), 33, NULL, &id),
               SNARE_INVALID_ARGUMENT);
  cr_assert_eq(
      snare_watchpoint_set(session, sym("write_counter"), 2, &execute, &id),
      SNARE_INVALID_ARGUMENT);
  cr_assert_eq(snare_watchpoint_set(session, sym("counter"), 8,
                                    &scope_without_thread, &id),
               SNARE_INVALID_ARGUMENT);
  cr_assert_eq(snare_watchpoint_set(session, UINT64_C(0xffffffffff600000), 8,
                                    NULL, &id),
               SNARE_BAD_ADDRESS, "a kernel address");
  cr_assert_eq(snare_watchpoint_set(NULL, sym("counter"), 8, NULL, &id),
               SNARE_INVALID_ARGUMENT);
  cr_assert_eq(snare_watchpoint_clear(session, 12345), SNARE_NOT_FOUND);
  cr_assert_eq(snare_watchpoint_enable(session, 12345, true), SNARE_NOT_FOUND);
  cr_assert_eq(snare_watchpoint_list(session, NULL, 0), 0);
  /* all four registers are still free */
  uint64_t buffer = sym("buffer");
  cr_assert_eq(info(watch(buffer + 2, 12, SNARE_WATCH_WRITE)).registers, 4);
}

Test(watchpoint, execute_stops_before_the_instruction) {
  int id = watch(sym("store_value"), 1, SNARE_WATCH_EXECUTE);
  uint64_t args[] = {sym("counter"), 3};
  snare_stop stop = call("store_value", 2, args);
  cr_assert_eq(stop.kind, SNARE_STOP_WATCHPOINT);
  cr_assert_eq(stop.pc, sym("store_value"));
  cr_assert_eq(resume(SNARE_RESUME_CONTINUE).kind, SNARE_STOP_EXIT);
  cr_assert_eq(info(id).hits, 1);
}

Test(watchpoint, read_and_access_on_the_heap) {
  uint64_t p = call("heap_new", 0, NULL).return_value;
  int access = watch(p + 8, 8, SNARE_WATCH_ACCESS);
  uint64_t args[] = {p, 3};
  uint64_t olds[8], news[8];
  /* p[1] += 1: a read, then a write, each time */
  cr_assert_eq(stops_until_exit(call("heap_bump", 2, args), olds, news, 8), 6);
  cr_assert_eq(info(access).hits, 6);
  cr_assert_eq(snare_watchpoint_clear(session, access), SNARE_OK);
  int read = watch(p + 8, 8, SNARE_WATCH_READ);
  cr_assert_eq(stops_until_exit(call("heap_bump", 2, args), olds, news, 8), 3);
  cr_assert_eq(news[0], 3, "the value read");
  cr_assert_eq(info(read).hits, 3);
  free((void *)(uintptr_t)p);
}

/* Stops at local_here in local_outer(n) and watches local_work's
   `local` with kind, scoped to its frame; the hits until the scope
   ends. */
static int local_hits(int n, snare_watch_kind kind) {
  int bp;
  cr_assert_eq(snare_breakpoint_set(session, sym("local_here"), NULL, &bp),
               SNARE_OK);
  uint64_t args[] = {(uint64_t)n};
  snare_stop stop = call("local_outer", 1, args);
  cr_assert_eq(stop.kind, SNARE_STOP_BREAKPOINT);
  uint64_t rbp = stop.registers.value[SNARE_REG_RBP], return_address;
  cr_assert_eq(snare_memory_read(rbp + 8, &return_address, 8), SNARE_OK);
  snare_watchpoint_options opts = {.kind = kind,
                                   .thread = stop.thread,
                                   .scope_frame = rbp + 16,
                                   .scope_return = return_address};
  int id;
  cr_assert_eq(snare_watchpoint_set(session,
                                    stop.registers.value[SNARE_REG_RDI], 8,
                                    &opts, &id),
               SNARE_OK);
  snare_breakpoint_clear(session, bp);
  int hits = 0;
  for (stop = resume(SNARE_RESUME_CONTINUE);
       stop.reason == SNARE_REASON_WATCHPOINT_HIT;
       stop = resume(SNARE_RESUME_CONTINUE))
    hits++;
  cr_assert_eq(stop.reason, SNARE_REASON_WATCHPOINT_SCOPE);
  cr_assert_eq(resume(SNARE_RESUME_CONTINUE).kind, SNARE_STOP_EXIT);
  return hits;
}

Test(watchpoint, read_and_access_on_a_local) {
  /* local += 1, n times (a read and a write), then `return local` */
  cr_assert_eq(local_hits(3, SNARE_WATCH_READ), 3 + 1);
  cr_assert_eq(local_hits(3, SNARE_WATCH_ACCESS), 2 * 3 + 1);
}

/* A descriptor of this process that names a perf event, or -1. */
static int perf_descriptor(void) {
  DIR *dir = opendir("/proc/self/fd");
  cr_assert_not_null(dir);
  int found = -1;
  struct dirent *entry;
  while (found < 0 && (entry = readdir(dir)) != NULL) {
    char path[300], target[64];
    snprintf(path, sizeof path, "/proc/self/fd/%s", entry->d_name);
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n > 0 && (target[n] = '\0', strstr(target, "perf_event") != NULL))
      found = atoi(entry->d_name);
  }
  closedir(dir);
  return found;
}

Test(watchpoint, clearing_never_closes_a_descriptor_the_program_reused) {
  int id = watch(sym("counter"), 8, SNARE_WATCH_WRITE);
  /* once the worker runs, the watchpoint is armed on it */
  uint64_t args[] = {0};
  cr_assert_eq(call("local_here", 1, args).kind, SNARE_STOP_EXIT);
  /* the program closes the watchpoint's descriptor and puts a file of its
     own at that number (snare keeps its descriptors high, where a plain
     open does not land: dup2 puts it there, as a closefrom-and-reopen
     daemon's would) */
  int fd = perf_descriptor();
  cr_assert_geq(fd, 0);
  close(fd);
  int opened = open("/dev/null", O_RDONLY);
  int mine = dup2(opened, fd);
  close(opened);
  cr_assert_eq(mine, fd);
  cr_assert_eq(snare_watchpoint_clear(session, id), SNARE_OK);
  cr_assert_neq(fcntl(mine, F_GETFD), -1, "the program's file is still open");
  close(mine);
}
