/*
 * main.c - build/bin/snare_start, how `snare debug` starts a program for
 * `starti` (lua/snare/cli/debug_program.lua):
 *
 *   snare_start [-R] [-e NAME=VALUE]... -p PROMPT -- PROGRAM [ARG...]
 *
 * Runs PROGRAM (found on $PATH as the shell finds it) as its child with
 * NAME=VALUE added to the environment (the agent's settings: this
 * process itself runs without the agent) and, with -R, address space
 * randomisation off (setarch -R's personality flag). The child is held
 * at its first instruction, where the kernel leaves it after the exec
 * (the dynamic loader's entry, or a static program's _start), stopped
 * under ptrace (PTRACE_TRACEME), while PROMPT (a /bin/sh command line)
 * runs with SNARE_HELD_PID set, writing requests to its fd 4 and reading
 * the answers on its fd 3, one line each:
 *
 *   registers      -> ok NAME=HEX ... (the general registers, and k0-k7
 *                     where the CPU has AVX-512's opmask registers)
 *   read ADDR SIZE -> ok HEX | error ERRNO
 *   step           -> ok | signal N | exited STATUS | killed N
 *   over ADDR SP   -> as step, for the run until the program is back at
 *                     ADDR with its stack pointer at SP or above
 *   release        -> ok (detached: the program goes on, untraced)
 *   kill           -> ok (SIGKILL; gdb's `kill`)
 *
 * Whatever happens to the prompt (it ends, it dies), the program is
 * detached unless it was killed: the program never stays stopped, and
 * this process dies of nothing the program gets (it ignores SIGINT and
 * SIGQUIT while it waits, as system() does; the kernel detaches a
 * tracee whose tracer dies). Its stdin, stdout and stderr are this
 * process's. Exit status: the program's (128 + N when signal N killed
 * it), 127 when it cannot be run, 2 for a bad command line.
 */
#include <cpuid.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#define REQUEST_MAX 256
#define READ_MAX 65536

typedef struct held {
  pid_t pid;
  bool traced;   /* stopped under us, or running between our stops */
  bool ended;    /* reaped: status says how */
  int status;    /* its wait status once ended */
  int pending;   /* a signal it stopped with, given at its next resume */
  int memory;    /* /proc/PID/mem */
} held;

static int usage(void) {
  fputs("usage: snare_start [-R] [-e NAME=VALUE]... -p PROMPT -- PROGRAM "
        "[ARG...]\n", stderr);
  return 2;
}

/* The program's side of the fork: never returns. */
static void run_program(bool fixed, char **settings, size_t count,
                        char **argv) {
  if (fixed && personality((unsigned long)personality(0xffffffff) |
                           ADDR_NO_RANDOMIZE) < 0)
    fprintf(stderr, "warning: Error disabling address space randomization: "
                    "%s\n", strerror(errno));
  for (size_t i = 0; i < count; i++)
    putenv(settings[i]);
  if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0) {
    fprintf(stderr, "snare_start: cannot trace %s: %s\n", argv[0],
            strerror(errno));
    _exit(127);
  }
  execvp(argv[0], argv);
  fprintf(stderr, "snare_start: %s: %s\n", argv[0], strerror(errno));
  _exit(127);
}

/* Waits for the program's next stop or end; false when it ended. */
static bool wait_stop(held *h) {
  int status;
  while (waitpid(h->pid, &status, 0) < 0)
    if (errno != EINTR) {
      h->ended = true;
      h->traced = false;
      h->status = 0;
      return false;
    }
  if (WIFSTOPPED(status)) {
    /* SIGINT is the terminal's Ctrl-C, meant for the prompt (gdb's
       inferior does not get it either): dropped, never delivered */
    int sig = WSTOPSIG(status);
    h->pending = sig == SIGTRAP || sig == SIGINT ? 0 : sig;
    return true;
  }
  h->ended = true;
  h->traced = false;
  h->status = status;
  return false;
}

static void release(held *h) {
  if (h->traced && !h->ended)
    ptrace(PTRACE_DETACH, h->pid, NULL, (void *)(long)h->pending);
  h->traced = false;
}

static bool single_step(held *h) {
  int signal = h->pending;
  h->pending = 0;
  if (ptrace(PTRACE_SINGLESTEP, h->pid, NULL, (void *)(long)signal) != 0)
    return false;
  wait_stop(h);
  return true;
}

/* Runs the program until it is back at return_to with its stack pointer
   at sp or above (a call stepped over), with an int3 there for the time of the
   run (ptrace writes the text's private copy, and the word is put back
   before this returns, whatever stopped the program). False and errno
   when ptrace refuses. */
static bool step_over(held *h, uint64_t return_to, uint64_t sp) {
  errno = 0;
  long word = ptrace(PTRACE_PEEKTEXT, h->pid, (void *)return_to, NULL);
  if (errno != 0)
    return false;
  long trap = (long)(((unsigned long)word & ~0xffUL) | 0xcc);
  for (;;) {
    if (ptrace(PTRACE_POKETEXT, h->pid, (void *)return_to, (void *)trap) != 0)
      return false;
    int signal = h->pending;
    h->pending = 0;
    bool ran = ptrace(PTRACE_CONT, h->pid, NULL, (void *)(long)signal) == 0;
    bool stopped = ran && wait_stop(h);
    if (!stopped)
      return ran; /* (gone: nothing to put back) */
    ptrace(PTRACE_POKETEXT, h->pid, (void *)return_to, (void *)word);
    struct user_regs_struct regs;
    if (ptrace(PTRACE_GETREGS, h->pid, NULL, &regs) != 0)
      return false;
    if (h->pending || regs.rip != return_to + 1)
      return true; /* another signal, or a trap of its own */
    regs.rip = return_to;
    if (ptrace(PTRACE_SETREGS, h->pid, NULL, &regs) != 0)
      return false;
    if (regs.rsp >= sp)
      return true;
    /* a deeper call came back there: past it, then on */
    if (!single_step(h))
      return false;
    if (h->ended || h->pending)
      return true;
  }
}

static void tell_step(const held *h, bool done, FILE *out) {
  if (!done)
    fprintf(out, "error %d\n", errno);
  else if (!h->ended)
    fprintf(out, h->pending ? "signal %d\n" : "ok\n", h->pending);
  else if (WIFSIGNALED(h->status))
    fprintf(out, "killed %d\n", WTERMSIG(h->status));
  else
    fprintf(out, "exited %d\n", WEXITSTATUS(h->status));
}

static const char *const register_names[] = {
    "r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8",
    "rax", "rcx", "rdx", "rsi", "rdi", "orig_rax", "rip", "cs", "eflags",
    "rsp", "ss", "fs_base", "gs_base", "ds", "es", "fs", "gs"};

#define XFEATURE_OPMASK 5

/* The opmask registers k0-k7, where the system has them (XCR0): from the
   XSAVE image ptrace gives, in the standard format (each component at
   the offset CPUID leaf 0xD gives), zeros where its XSTATE_BV says the
   component is in its initial state. False without them. */
static bool opmask_registers(pid_t pid, unsigned long long k[8]) {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & bit_OSXSAVE))
    return false;
  uint32_t xcr0, xcr0_high;
  __asm__("xgetbv" : "=a"(xcr0), "=d"(xcr0_high) : "c"(0));
  if (!(xcr0 & (1u << XFEATURE_OPMASK)))
    return false;
  __cpuid_count(0xD, XFEATURE_OPMASK, eax, ebx, ecx, edx);
  size_t offset = ebx, size = eax;
  static unsigned char area[16384];
  struct iovec io = {area, sizeof area};
  if (size != 8 * sizeof k[0] ||
      ptrace(PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE, &io) != 0 ||
      io.iov_len < offset + size)
    return false;
  uint64_t present;
  memcpy(&present, area + 512, sizeof present);
  memset(k, 0, size);
  if (present & (1u << XFEATURE_OPMASK))
    memcpy(k, area + offset, size);
  return true;
}

/* One request's answer, written to out. */
static void answer(held *h, char *request, FILE *out) {
  unsigned long long address, size;
  if (!h->traced || h->ended) {
    fputs("error gone\n", out);
  } else if (strcmp(request, "registers") == 0) {
    struct user_regs_struct regs;
    if (ptrace(PTRACE_GETREGS, h->pid, NULL, &regs) != 0) {
      fprintf(out, "error %d\n", errno);
      return;
    }
    /* user_regs_struct is these unsigned longs, in this order */
    unsigned long long words[sizeof regs / sizeof(unsigned long long)];
    memcpy(words, &regs, sizeof words);
    fputs("ok", out);
    for (size_t i = 0; i < sizeof register_names / sizeof *register_names;
         i++)
      fprintf(out, " %s=%llx", register_names[i], words[i]);
    unsigned long long k[8];
    if (opmask_registers(h->pid, k))
      for (int i = 0; i < 8; i++)
        fprintf(out, " k%d=%llx", i, k[i]);
    fputc('\n', out);
  } else if (sscanf(request, "read %llx %llu", &address, &size) == 2 &&
             size > 0 && size <= READ_MAX) {
    static unsigned char bytes[READ_MAX];
    ssize_t got = pread(h->memory, bytes, (size_t)size, (off_t)address);
    if (got <= 0) {
      fprintf(out, "error %d\n", got < 0 ? errno : EIO);
      return;
    }
    fputs("ok ", out);
    for (ssize_t i = 0; i < got; i++)
      fprintf(out, "%02x", bytes[i]);
    fputc('\n', out);
  } else if (strcmp(request, "step") == 0) {
    tell_step(h, single_step(h), out);
  } else if (sscanf(request, "over %llx %llx", &address, &size) == 2) {
    tell_step(h, step_over(h, address, size), out);
  } else if (strcmp(request, "release") == 0) {
    release(h);
    fputs("ok\n", out);
  } else if (strcmp(request, "kill") == 0) {
    kill(h->pid, SIGKILL);
    while (!h->ended && wait_stop(h))
      ; /* (the stops before the kill takes effect) */
    fputs("ok\n", out);
  } else {
    fputs("error unknown\n", out);
  }
}

/* Starts PROMPT with the pipes on its fds 3 and 4; its pid, or -1. */
static pid_t start_prompt(const char *prompt, pid_t program, int answers[2],
                          int requests[2]) {
  pid_t pid = fork();
  if (pid != 0)
    return pid;
  char text[32];
  snprintf(text, sizeof text, "%d", (int)program);
  setenv("SNARE_HELD_PID", text, 1);
  if (dup2(answers[0], 3) < 0 || dup2(requests[1], 4) < 0)
    _exit(127);
  for (int fd = 5; fd < 64; fd++)
    close(fd);
  execl("/bin/sh", "sh", "-c", prompt, (char *)NULL);
  _exit(127);
}

/* Serves the prompt's requests until it closes its end. */
static void serve(held *h, int from, FILE *out) {
  FILE *in = fdopen(from, "r");
  char request[REQUEST_MAX];
  while (in != NULL && fgets(request, sizeof request, in) != NULL) {
    request[strcspn(request, "\n")] = '\0';
    answer(h, request, out);
    fflush(out);
  }
  if (in != NULL)
    fclose(in);
}

static int exit_status(int status) {
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

int main(int argc, char **argv) {
  bool fixed = false;
  const char *prompt = NULL;
  char **settings = calloc((size_t)argc, sizeof *settings);
  size_t count = 0;
  int i = 1;
  for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
    if (strcmp(argv[i], "-R") == 0)
      fixed = true;
    else if (strcmp(argv[i], "-e") == 0 && i + 1 < argc &&
             strchr(argv[i + 1], '=') != NULL)
      settings[count++] = argv[++i];
    else if (strcmp(argv[i], "-p") == 0 && i + 1 < argc)
      prompt = argv[++i];
    else
      return usage();
  }
  if (prompt == NULL || i + 1 >= argc)
    return usage();
  held h = {.pid = fork(), .traced = true, .memory = -1};
  if (h.pid < 0)
    return 127;
  if (h.pid == 0)
    run_program(fixed, settings, count, argv + i + 1);
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  if (!wait_stop(&h)) /* it could not be run: it said why */
    return exit_status(h.status);
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/mem", (int)h.pid);
  h.memory = open(path, O_RDONLY | O_CLOEXEC);
  int answers[2], requests[2];
  pid_t prompt_pid = -1;
  if (h.memory >= 0 && pipe2(answers, O_CLOEXEC) == 0 &&
      pipe2(requests, O_CLOEXEC) == 0) {
    prompt_pid = start_prompt(prompt, h.pid, answers, requests);
    close(answers[0]);
    close(requests[1]);
  }
  if (prompt_pid > 0) {
    FILE *out = fdopen(answers[1], "w");
    serve(&h, requests[0], out);
    if (out != NULL)
      fclose(out);
  }
  release(&h); /* (the prompt is gone, whatever it asked) */
  int status;
  while (prompt_pid > 0 && waitpid(prompt_pid, &status, 0) < 0 &&
         errno == EINTR)
    ;
  while (!h.ended && waitpid(h.pid, &h.status, 0) < 0 && errno == EINTR)
    ;
  free(settings);
  return exit_status(h.status);
}
