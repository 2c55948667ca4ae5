/* libjit_model_test.c - the smaller pieces of libjit's debugger model:
   debugging possible, thread identity, clearing all breakpoints. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>

#include "fixtures.h"
#include "snare.h"

Test(libjit_model, debugging_is_possible_here_and_leaves_nothing,
     .timeout = 20) {
  int threads = fixture_thread_count(), fds = fixture_fd_count();
  cr_assert(snare_debugging_possible());
  cr_assert_eq(fixture_thread_count(), threads);
  cr_assert_eq(fixture_fd_count(), fds);
}

Test(libjit_model, thread_identity_of_an_attached_thread, .timeout = 20) {
  snare_session *session;
  cr_assert_eq(snare_session_new(&session), SNARE_OK);
  cr_assert_eq(snare_thread_self(session), 0);
  int id;
  cr_assert_eq(snare_thread_attach(session, false, &id), SNARE_OK);
  cr_assert_eq(snare_thread_self(session), id);
  uintptr_t native = (uintptr_t)pthread_self();
  cr_assert_eq(snare_thread_native(session, id), native);
  cr_assert_eq(snare_thread_from_native(session, native), id);
  cr_assert_eq(snare_thread_from_native(session, native + 1), 0);
  cr_assert_eq(snare_thread_native(session, 9999), 0);
  cr_assert_eq(snare_thread_detach(session), SNARE_OK);
  cr_assert_eq(snare_thread_self(session), 0);
  cr_assert_eq(snare_thread_from_native(session, native), 0);
  snare_session_free(session);
}

Test(libjit_model, clear_all_breakpoints_restores_the_code, .timeout = 20) {
  uint64_t fib = fixture_symbol("O0", "loops", "fib");
  uint64_t count_to = fixture_symbol("O0", "loops", "count_to");
  uint8_t before[2][8];
  memcpy(before[0], (void *)(uintptr_t)fib, 8);
  memcpy(before[1], (void *)(uintptr_t)count_to, 8);
  snare_session *session;
  snare_session_new(&session);
  int a, b;
  snare_breakpoint_set(session, fib, NULL, &a);
  snare_breakpoint_set(session, count_to, NULL, &b);
  cr_assert_eq(snare_breakpoint_list(session, NULL, 0), 2);
  snare_breakpoint_clear_all(session);
  cr_assert_eq(snare_breakpoint_list(session, NULL, 0), 0);
  cr_assert_eq(memcmp(before[0], (void *)(uintptr_t)fib, 8), 0);
  cr_assert_eq(memcmp(before[1], (void *)(uintptr_t)count_to, 8), 0);
  snare_breakpoint_clear_all(NULL);
  snare_session_free(session);
}
