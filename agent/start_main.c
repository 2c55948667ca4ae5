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


/* __libc_start_main ends in a jump to libc's (a sibling call, asked for
   at every optimisation level): it leaves no frame of its own, so the
   program's backtraces are the ones it has without snare. */
#define NO_FRAME_LEFT __attribute__((optimize("optimize-sibling-calls")))

/* The main thread attaches itself (on the agent's own stack). */
void agent_attach_at_main(void);
void agent_attach_at_main(void) {
  if (agent_current_state() == SESSION) {
    agent_own_thread = true;
    agent_attach_main_thread();
    agent_own_thread = false;
  }
}

/* The bytes below main's caller's frame that the attach's few calls on
   the program's stack overwrite (return addresses, saved registers):
   kept, and put back before main, whose frame and its callees' lie
   there: their uninitialised locals then read what they read without
   snare. Main is called once, so static storage serves. */
#define KEPT_BELOW 512
#define TEXT_OF(n) #n
#define KEPT_TEXT_OF(n) TEXT_OF(n)
#define KEPT_TEXT KEPT_TEXT_OF(KEPT_BELOW) /* for the assembly */
unsigned char agent_main_kept[KEPT_BELOW];
uint64_t agent_main_arguments[3];
program_main_fn agent_program_main;

/*
 * main_after_init(argc, argv, envp), the main libc calls: keeps the
 * arguments and the KEPT_BELOW bytes under the stack pointer (rep movsb
 * uses no stack), attaches the main thread, puts the bytes back and
 * jumps to the program's main with its arguments, leaving no frame.
 */
__asm__(".text\n"
        ".globl main_after_init\n"
        ".hidden main_after_init\n"
        ".type main_after_init, @function\n"
        "main_after_init:\n"
        "  .cfi_startproc\n"
        "  mov %rdi, agent_main_arguments(%rip)\n"
        "  mov %rsi, agent_main_arguments+8(%rip)\n"
        "  mov %rdx, agent_main_arguments+16(%rip)\n"
        "  lea -" KEPT_TEXT "(%rsp), %rsi\n"
        "  lea agent_main_kept(%rip), %rdi\n"
        "  mov $" KEPT_TEXT ", %ecx\n"
        "  cld\n"
        "  rep movsb\n"
        "  sub $8, %rsp\n"
        "  .cfi_adjust_cfa_offset 8\n"
        "  lea agent_attach_at_main(%rip), %rdi\n"
        "  call agent_on_own_stack\n"
        "  add $8, %rsp\n"
        "  .cfi_adjust_cfa_offset -8\n"
        "  lea agent_main_kept(%rip), %rsi\n"
        "  lea -" KEPT_TEXT "(%rsp), %rdi\n"
        "  mov $" KEPT_TEXT ", %ecx\n"
        "  rep movsb\n"
        "  mov agent_main_arguments(%rip), %rdi\n"
        "  mov agent_main_arguments+8(%rip), %rsi\n"
        "  mov agent_main_arguments+16(%rip), %rdx\n"
        "  jmp *agent_program_main(%rip)\n"
        "  .cfi_endproc\n"
        ".size main_after_init, .-main_after_init\n");
int main_after_init(int argc, char **argv, char **envp);

NO_FRAME_LEFT AGENT_INTERPOSE int
__libc_start_main(program_main_fn main, int argc, char **argv,
                  void (*init)(void), void (*fini)(void),
                  void (*rtld_fini)(void), void *stack_end) {
  /* found by the agent's start, on its own stack: dlsym here would leave
     the loader's frames where main's callees keep their locals */
  agent_real_resolve();
  if (the_agent.attach_at_main) {
    agent_program_main = main;
    main = main_after_init;
  }
  return real.start_main(main, argc, argv, init, fini, rtld_fini, stack_end);
}
