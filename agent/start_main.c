/*
 * start_main.c - for `snare exec`, the program's main thread meets the
 * script at main, after the program's initialisers (its constructors,
 * .init_array) have run, rather than in the agent's constructor, which
 * runs before them: a script that calls the program's functions on the
 * worker (s:call_main) then finds it initialised as gdb's `run` would.
 * xz, for one, sets its CRC function pointers in a constructor and
 * jumps to address 0 without it.
 *
 * The program's _start calls __libc_start_main through its symbol, so the
 * agent, preloaded, is called first; it hands the C library a main of its
 * own that attaches the main thread, then calls the program's.
 */
#include "agent.h"

typedef int (*program_main_fn)(int, char **, char **);

static program_main_fn program_main;

/* Both functions end in a jump to the function they call (a sibling
   call, asked for at every optimisation level): they leave no frame of
   their own, so the program's backtraces are the ones it has without
   snare. */
#define NO_FRAME_LEFT __attribute__((optimize("optimize-sibling-calls")))

NO_FRAME_LEFT static int main_after_init(int argc, char **argv, char **envp) {
  if (agent_current_state() == SESSION) {
    agent_own_thread = true;
    agent_on_own_stack(agent_attach_main_thread);
    agent_own_thread = false;
  }
  return program_main(argc, argv, envp);
}

NO_FRAME_LEFT AGENT_INTERPOSE int
__libc_start_main(program_main_fn main, int argc, char **argv,
                  void (*init)(void), void (*fini)(void),
                  void (*rtld_fini)(void), void *stack_end) {
  /* found by the agent's start, on its own stack: dlsym here would leave
     the loader's frames where main's callees keep their locals */
  agent_real_resolve();
  if (the_agent.attach_at_main) {
    program_main = main;
    main = main_after_init;
  }
  return real.start_main(main, argc, argv, init, fini, rtld_fini, stack_end);
}
