/*
 * interrupt.c - Ctrl-C for the controller: core.interrupt_on_sigint(s...)
 * installs a SIGINT handler that interrupts those sessions' running
 * workers (snare_interrupt is safe in a signal handler: atomics and a
 * thread signal), so a call or resume blocked in C returns an
 * "interrupt" stop; with none running, the signal is only counted
 * (core.sigints() reads and clears the count) and the process lives on.
 * core.interrupt_on_sigint() with no session disarms it; the previous
 * handler comes back.
 */
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include "snare_lua.h"

#define MAX_ARMED 4

static _Atomic(snare_session *) armed[MAX_ARMED];
static atomic_int caught;
static struct sigaction previous;
static bool installed;

static void on_sigint(int sig)
{
  (void)sig;
  atomic_fetch_add(&caught, 1);
  for (int i = 0; i < MAX_ARMED; i++) {
    snare_session *s = atomic_load(&armed[i]);
    if (s != NULL)
      snare_interrupt(s); /* WRONG_STATE when it is not running: fine */
  }
}

/* core.interrupt_on_sigint([s1 [, s2 ...]]) */
static int core_interrupt_on_sigint(lua_State *L)
{
  int n = lua_gettop(L);
  if (n > MAX_ARMED)
    return luaL_argerror(L, MAX_ARMED + 1, "too many sessions");
  snare_session *sessions[MAX_ARMED] = {0};
  for (int i = 0; i < n; i++) {
    sessions[i] = snare_lua_checksession(L, i + 1)->session;
  }
  for (int i = 0; i < MAX_ARMED; i++)
    atomic_store(&armed[i], sessions[i]);
  if (n > 0 && !installed) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, &previous) != 0)
      return luaL_error(L, "interrupt_on_sigint: cannot install a handler");
    installed = true;
  } else if (n == 0 && installed) {
    sigaction(SIGINT, &previous, NULL);
    installed = false;
  }
  return 0;
}

void snare_lua_interrupt_forget(snare_session *session)
{
  for (int i = 0; i < MAX_ARMED; i++) {
    snare_session *expected = session;
    atomic_compare_exchange_strong(&armed[i], &expected, NULL);
  }
}

/* core.sigints() -> how many SIGINTs came since the last call */
static int core_sigints(lua_State *L)
{
  lua_pushinteger(L, atomic_exchange(&caught, 0));
  return 1;
}

const luaL_Reg snare_lua_interrupt_functions[] = {
    {"interrupt_on_sigint", core_interrupt_on_sigint},
    {"sigints", core_sigints},
    {NULL, NULL},
};
