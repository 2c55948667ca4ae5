/* live_patch_test.c - writing a hook's jump while other threads are
   inside the bytes it replaces: a thread blocked in a system call there
   goes on at the same instruction of the trampoline's copy, and a hook
   removed while a thread is in that copy lets it finish. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "fixtures.h"
#include "snare.h"

typedef long (*read_fn)(int, void *, size_t);

static snare_library *library;
static read_fn reader;
static uint64_t reader_at;
static void open_library(void) {
  cr_assert_eq(snare_library_open(fixture_path("O0", "live_patch"), &library),
               SNARE_OK);
  snare_symbol sym;
  cr_assert_eq(snare_library_symbol(library, "read_in_prologue", &sym),
               SNARE_OK);
  reader_at = sym.address;
  reader = (read_fn)(uintptr_t)sym.address;
}
static void close_library(void) { snare_library_close(library); }
TestSuite(live_patch, .init = open_library, .fini = close_library,
          .timeout = 30);

typedef struct blocked_read {
  int fd;
  _Atomic pid_t tid;
  long result;
} blocked_read;

static void *read_one(void *raw) {
  blocked_read *r = raw;
  char buf[16];
  atomic_store(&r->tid, (pid_t)syscall(SYS_gettid));
  r->result = reader(r->fd, buf, sizeof buf);
  return NULL;
}

/* Waits until the reader sits in read(2) with its pc at `pc` (any pc
   but `pc` if `elsewhere`), as the kernel reports it. */
static void await_blocked_at(blocked_read *r, uint64_t pc, bool elsewhere) {
  while (atomic_load(&r->tid) == 0)
    sched_yield();
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/self/task/%d/syscall",
           (int)atomic_load(&r->tid));
  for (;;) {
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    bool got = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    const char *last = strrchr(line, ' ');
    if (got && strncmp(line, "0 ", 2) == 0 && last != NULL &&
        (strtoull(last + 1, NULL, 16) == pc) != elsewhere)
      return;
    nanosleep(&(struct timespec){0, 1000000}, NULL);
  }
}

static snare_hook_stats stats_of(int id) {
  snare_hook_stats stats;
  cr_assert_eq(snare_hook_stats_get(id, &stats), SNARE_OK);
  return stats;
}

Test(live_patch, moves_a_thread_blocked_in_a_system_call_inside_the_jump) {
  int fds[2];
  cr_assert_eq(pipe(fds), 0);
  blocked_read r = {.fd = fds[0]};
  pthread_t thread;
  pthread_create(&thread, NULL, read_one, &r);
  await_blocked_at(&r, reader_at + 4, false); /* after the syscall */
  snare_hook_options timed = {.time = true};
  int id;
  cr_assert_eq(snare_hook_function(reader_at, &timed, &id), SNARE_OK);
  cr_assert(stats_of(id).trampoline);
  cr_assert_eq(write(fds[1], "hello", 5), 5);
  pthread_join(thread, NULL);
  cr_assert_eq(r.result, 5);
  /* It entered before the hook: only the calls after it count. */
  cr_assert_eq(stats_of(id).calls, 0);
  cr_assert_eq(write(fds[1], "abc", 3), 3);
  char byte;
  for (int i = 0; i < 3; i++)
    cr_assert_eq(reader(fds[0], &byte, 1), 1);
  cr_assert_eq(stats_of(id).calls, 3);
  snare_hook_remove(id);
  close(fds[0]);
  close(fds[1]);
}

Test(live_patch, a_thread_in_the_relocated_copy_outlives_the_hook) {
  int fds[2];
  cr_assert_eq(pipe(fds), 0);
  int id;
  cr_assert_eq(snare_hook_function(reader_at, &(snare_hook_options){.time = true},
                                   &id),
               SNARE_OK);
  blocked_read r = {.fd = fds[0]};
  pthread_t thread;
  pthread_create(&thread, NULL, read_one, &r);
  /* Blocked in the trampoline's copy, not in the function. */
  await_blocked_at(&r, reader_at + 4, true);
  cr_assert_eq(stats_of(id).calls, 1);
  cr_assert_eq(snare_hook_remove(id), SNARE_OK);
  cr_assert_eq(write(fds[1], "xy", 2), 2);
  pthread_join(thread, NULL);
  cr_assert_eq(r.result, 2);
  cr_assert_eq(write(fds[1], "z", 1), 1);
  char byte;
  cr_assert_eq(reader(fds[0], &byte, 1), 1);
  cr_assert_eq(byte, 'z');
  close(fds[0]);
  close(fds[1]);
}

typedef struct spinner {
  void (*fn)(void);
  _Atomic bool stop;
  _Atomic unsigned long calls;
} spinner;

static void *spin(void *raw) {
  spinner *s = raw;
  while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
    s->fn();
    atomic_fetch_add_explicit(&s->calls, 1, memory_order_relaxed);
  }
  return NULL;
}

Test(live_patch, threads_running_through_the_jump_while_it_comes_and_goes) {
  snare_symbol sym;
  cr_assert_eq(snare_library_symbol(library, "five_nops", &sym), SNARE_OK);
  spinner spinners[2] = {{.fn = (void (*)(void))(uintptr_t)sym.address},
                         {.fn = (void (*)(void))(uintptr_t)sym.address}};
  pthread_t threads[2];
  for (int i = 0; i < 2; i++)
    pthread_create(&threads[i], NULL, spin, &spinners[i]);
  uint64_t counted = 0;
  for (int round = 0; round < 100; round++) {
    int id;
    cr_assert_eq(snare_hook_function(sym.address, NULL, &id), SNARE_OK);
    cr_assert(stats_of(id).trampoline);
    counted += stats_of(id).calls;
    cr_assert_eq(snare_hook_remove(id), SNARE_OK);
  }
  for (int i = 0; i < 2; i++) {
    atomic_store(&spinners[i].stop, true);
    pthread_join(threads[i], NULL);
    cr_assert_gt(atomic_load(&spinners[i].calls), 0);
  }
  /* Every call went through the function or its trampoline. */
  cr_assert_leq(counted, atomic_load(&spinners[0].calls) +
                             atomic_load(&spinners[1].calls));
}
