/* process_test.c - what an in-process agent needs at the process's edges:
   forgetting every attached thread (a fork's child), and the program's
   own handlers for snare's signals kept behind snare's. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "snare.h"

static snare_session *session;

static void open_session(void) {
  cr_assert_eq(snare_session_new(&session), SNARE_OK);
}
static void close_session(void) { snare_session_free(session); }

TestSuite(process, .init = open_session, .fini = close_session,
          .timeout = 60);

Test(process, forgotten_threads_are_no_longer_attached) {
  int id;
  cr_assert_eq(snare_thread_attach(session, false, &id), SNARE_OK);
  cr_assert_eq(snare_thread_self(session), id);
  snare_threads_forget_all();
  cr_assert_eq(snare_thread_self(session), 0);
  cr_assert(!snare_thread_is_alive(session, id));
  /* A forgotten thread may attach again, as a new thread. */
  int again;
  cr_assert_eq(snare_thread_attach(session, false, &again), SNARE_OK);
  cr_assert_neq(again, id);
  cr_assert_eq(snare_thread_detach(session), SNARE_OK);
}

Test(process, reserved_signals_are_the_traps_and_faults) {
  int numbers[16];
  size_t count = snare_signals_reserved(numbers, 16);
  cr_assert_leq(count, 16);
  bool trap = false, segv = false;
  for (size_t i = 0; i < count; i++) {
    trap = trap || numbers[i] == SIGTRAP;
    segv = segv || numbers[i] == SIGSEGV;
  }
  cr_assert(trap && segv);
}

static volatile sig_atomic_t chained_calls;

static void on_chained(int sig) {
  (void)sig;
  chained_calls++;
}

Test(process, a_handler_chained_behind_snare_gets_what_snare_leaves) {
  struct sigaction mine, before, seen;
  memset(&mine, 0, sizeof mine);
  mine.sa_handler = on_chained;
  sigemptyset(&mine.sa_mask);
  cr_assert_eq(snare_signal_chain(SIGTRAP, &mine, &before), SNARE_OK);
  cr_assert_eq(snare_signal_chain(SIGTRAP, NULL, &seen), SNARE_OK);
  cr_assert_eq(seen.sa_handler, on_chained);
  /* Not attached: a raised SIGTRAP is not snare's, and goes behind it. */
  raise(SIGTRAP);
  cr_assert_eq(chained_calls, 1);
  cr_assert_eq(snare_signal_chain(SIGTRAP, &before, NULL), SNARE_OK);
}

Test(process, no_chain_on_a_signal_snare_does_not_handle) {
  struct sigaction mine;
  memset(&mine, 0, sizeof mine);
  mine.sa_handler = on_chained;
  cr_assert_eq(snare_signal_chain(SIGUSR2, &mine, NULL), SNARE_NOT_FOUND);
}

static atomic_bool stop_reading;

/* Holds snare's global lock most of the time: trace reads take it. */
static void *read_traces(void *unused) {
  (void)unused;
  snare_trace_event events[4];
  size_t count;
  while (!atomic_load(&stop_reading))
    snare_trace_read(events, 4, &count, NULL);
  return NULL;
}

Test(process, a_forked_child_finds_snare_unlocked) {
  pthread_t reader;
  cr_assert_eq(pthread_create(&reader, NULL, read_traces, NULL), 0);
  for (int i = 0; i < 50; i++) {
    snare_fork_prepare();
    pid_t child = fork();
    if (child == 0) {
      snare_fork_child();
      alarm(5); /* a lock held for ever kills the child */
      snare_trace_event events[4];
      size_t count;
      snare_trace_read(events, 4, &count, NULL);
      _exit(0);
    }
    snare_fork_parent();
    int status;
    cr_assert_eq(waitpid(child, &status, 0), child);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "fork %d: the child hung on snare's lock", i);
  }
  atomic_store(&stop_reading, true);
  pthread_join(reader, NULL);
}
