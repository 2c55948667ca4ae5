/*
 * unloaded_library_test.c - a library the program itself dlcloses
 * while snare has breakpoints (a trap, a jump) in it: once snare hears
 * of it (snare_library_unloaded), or when a breakpoint there is cleared
 * without that word, nothing is written where the code was, though
 * another mapping holds those pages now; and the object opened again
 * at the same place stops again.
 */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fixtures.h"
#include "snare.h"

#define FILLER 0x5a

typedef struct where {
  void *handle;
  snare_library *described;
  uint64_t fib, count_to, add6;
} where;

/* Opens the fixture as the program would (dlopen) and describes it. */
static where program_opens(void) {
  where w = {.handle = dlopen(fixture_path("O2", "loops"), RTLD_NOW)};
  cr_assert_not_null(w.handle, "%s", dlerror());
  Dl_info info;
  cr_assert(dladdr(dlsym(w.handle, "fib"), &info));
  cr_assert_eq(snare_library_describe(info.dli_fname,
                                      (uint64_t)(uintptr_t)info.dli_fbase,
                                      &w.described),
               SNARE_OK);
  snare_symbol sym;
  cr_assert_eq(snare_library_symbol(w.described, "fib", &sym), SNARE_OK);
  w.fib = sym.address;
  cr_assert_eq(snare_library_symbol(w.described, "count_to", &sym), SNARE_OK);
  w.count_to = sym.address;
  cr_assert_eq(snare_library_symbol(w.described, "add6", &sym), SNARE_OK);
  w.add6 = sym.address;
  return w;
}

static bool count_hit(snare_frame *frame, void *data) {
  (void)frame;
  atomic_fetch_add((atomic_int *)data, 1);
  return false;
}

static atomic_int trap_hits, jump_hits;

/* A trap at fib, a jump at count_to (conditions that never stop). */
static void set_breakpoints(snare_session *session, const where *w,
                            int *trap, int *jump) {
  snare_breakpoint_options at_trap = {.condition = count_hit,
                                      .condition_data = &trap_hits,
                                      .trap = true};
  snare_breakpoint_options at_jump = {.condition = count_hit,
                                      .condition_data = &jump_hits};
  cr_assert_eq(snare_breakpoint_set(session, w->fib, &at_trap, trap),
               SNARE_OK);
  cr_assert_eq(snare_breakpoint_set(session, w->count_to, &at_jump, jump),
               SNARE_OK);
  snare_breakpoint_info info;
  snare_breakpoint_info_get(session, *jump, &info);
  cr_assert_eq(info.mechanism, SNARE_BREAKPOINT_JUMP);
  snare_breakpoint_info_get(session, *trap, &info);
  cr_assert_eq(info.mechanism, SNARE_BREAKPOINT_TRAP);
}

/* The program closes the object; another mapping takes its first pages,
   filled with FILLER; returns it. */
static uint8_t *close_and_map_over(where *w, size_t *length) {
  cr_assert_eq(dlclose(w->handle), 0);
  cr_assert_null(dlopen(fixture_path("O2", "loops"), RTLD_NOW | RTLD_NOLOAD),
                 "the fixture stayed loaded");
  long page = sysconf(_SC_PAGESIZE);
  uint64_t from = w->fib, to = w->fib;
  for (int i = 0; i < 2; i++) {
    uint64_t at = i ? w->add6 : w->count_to;
    from = at < from ? at : from;
    to = at > to ? at : to;
  }
  to += 16;
  from -= from % (uint64_t)page;
  *length = (size_t)(to - from + (uint64_t)page - 1) / (size_t)page *
            (size_t)page;
  uint8_t *over = mmap((void *)(uintptr_t)from, *length,
                       PROT_READ | PROT_WRITE | PROT_EXEC,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1,
                       0);
  cr_assert_eq((uint64_t)(uintptr_t)over, from, "cannot map over the code");
  memset(over, FILLER, *length);
  return over;
}

/* Breakpoints (a trap, a jump) and a hook (add6's trampoline) in the
   object, which the program closes; another mapping takes its pages;
   then snare hears of it (`heard`), or only clears the breakpoints and
   removes the hook. */
static void closed_under(bool heard) {
  snare_session *session = NULL;
  cr_assert_eq(snare_session_new(&session), SNARE_OK);
  where w = program_opens();
  int trap, jump, hook;
  set_breakpoints(session, &w, &trap, &jump);
  cr_assert_eq(snare_hook_function(w.add6, NULL, &hook), SNARE_OK);
  snare_hook_stats stats;
  cr_assert_eq(snare_hook_stats_get(hook, &stats), SNARE_OK);
  cr_assert(stats.trampoline);
  size_t length;
  uint8_t *over = close_and_map_over(&w, &length);
  snare_breakpoint_info info;
  if (heard) {
    snare_library_unloaded(w.described);
    cr_assert_eq(snare_breakpoint_info_get(session, trap, &info),
                 SNARE_NOT_FOUND);
    cr_assert_eq(snare_breakpoint_info_get(session, jump, &info),
                 SNARE_NOT_FOUND);
    cr_assert_eq(snare_hook_stats_get(hook, &stats), SNARE_NOT_FOUND);
  } else {
    cr_assert_eq(snare_breakpoint_clear(session, trap), SNARE_OK);
    cr_assert_eq(snare_breakpoint_clear(session, jump), SNARE_OK);
    cr_assert_eq(snare_hook_remove(hook), SNARE_OK);
    snare_library_close(w.described);
  }
  for (size_t i = 0; i < length; i++)
    cr_assert_eq(over[i], FILLER, "snare wrote at +%zu", i);
  munmap(over, length);
  snare_session_free(session);
}

Test(unloaded_library, forgets_its_sites_without_a_write) {
  closed_under(true);
}

Test(unloaded_library, a_clear_after_an_unheard_close_writes_nothing) {
  closed_under(false);
}

/* fib(1) and count_to(4) on the session's worker (a thread the
   breakpoints see), neither stopping. */
static void run_both(snare_session *session, const where *w) {
  uint64_t one = 1, four = 4;
  snare_stop stop;
  cr_assert_eq(snare_call(session, w->fib, 1, &one, &stop), SNARE_OK);
  cr_assert_eq(stop.kind, SNARE_STOP_EXIT);
  cr_assert_eq(stop.return_value, 1);
  cr_assert_eq(snare_call(session, w->count_to, 1, &four, &stop), SNARE_OK);
  cr_assert_eq(stop.kind, SNARE_STOP_EXIT);
  cr_assert_eq(stop.return_value, 10);
}

/* Opened again (at the same place, the loader's usual choice), its
   breakpoints, set again, are hit again; a site left from the first
   round (no word of the close) is planned anew over the new code. */
Test(unloaded_library, stops_again_once_opened_again) {
  snare_session *session = NULL;
  cr_assert_eq(snare_session_new(&session), SNARE_OK);
  for (int heard = 0; heard < 2; heard++) {
    where first = program_opens();
    int trap, jump;
    set_breakpoints(session, &first, &trap, &jump);
    cr_assert_eq(dlclose(first.handle), 0);
    if (heard)
      snare_library_unloaded(first.described);
    where again = program_opens();
    if (!heard) { /* the first round's breakpoints linger meanwhile */
      snare_library_close(first.described);
      cr_assert_eq(again.fib, first.fib, "the loader moved the object");
    }
    int trap2, jump2;
    set_breakpoints(session, &again, &trap2, &jump2);
    atomic_store(&trap_hits, 0);
    atomic_store(&jump_hits, 0);
    run_both(session, &again);
    cr_assert_geq(atomic_load(&trap_hits), heard ? 1 : 2, "heard %d: %d",
                  heard, atomic_load(&trap_hits));
    cr_assert_geq(atomic_load(&jump_hits), heard ? 1 : 2, "heard %d: %d",
                  heard, atomic_load(&jump_hits));
    snare_breakpoint_clear(session, trap);
    snare_breakpoint_clear(session, jump);
    snare_breakpoint_clear(session, trap2);
    snare_breakpoint_clear(session, jump2);
    run_both(session, &again);
    snare_library_close(again.described);
    dlclose(again.handle);
  }
  snare_session_free(session);
}
