/* attach.h - snare attach's helper (build/bin/snare_attach): what its
   files share. inject.c borrows a thread of another process with ptrace
   to call functions there; refuse.c says why a process cannot be
   attached; main.c is the conversation with the agent. */
#ifndef SNARE_LINUX_ATTACH_H
#define SNARE_LINUX_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

typedef struct inject_thread {
  pid_t tid;
  uint64_t pointer; /* its thread pointer (fs base): glibc's pthread_t */
  int pending;      /* a signal it stopped with, given back at detach */
} inject_thread;

#define INJECT_SCRATCH 4096

typedef struct injection {
  pid_t pid;
  inject_thread *threads;
  size_t count;
  pid_t borrowed; /* the thread that makes the calls */
  struct user_regs_struct saved;
  /* Its vector and x87 state (NT_X86_XSTATE). The kernel gives it back
     only whole (a PTRACE_SETREGSET of any other size is EFAULT), and
     with AMX's tile data it is about 11 KiB: room for every XSAVE
     component Intel has defined, several times over. */
  uint8_t xstate[65536];
  size_t xstate_size;
  uint64_t scratch;     /* below its red zone: strings for the calls */
  uint8_t scratch_saved[INJECT_SCRATCH];
  size_t scratch_used;
  int memory; /* /proc/PID/mem */
  char error[512];
} injection;

/* Seizes and interrupts every thread, notes each one's thread pointer,
   borrows one (preferably the main thread, stopped in a system call)
   and lets the others go on. False and in->error on failure (nothing is
   left traced). */
bool inject_begin(injection *in, pid_t pid);
/* Copies a string into the borrowed thread's scratch; its address. */
bool inject_string(injection *in, const char *text, uint64_t *address);
/* Reads a NUL-terminated string of the process (at most size-1 bytes). */
bool inject_read_string(injection *in, uint64_t address, char *out,
                        size_t size);
/* Calls fn(args...) on the borrowed thread; *result is its rax. */
bool inject_call(injection *in, uint64_t fn, const uint64_t *args,
                 size_t count, uint64_t *result);
/* Restores every register and byte it changed and lets the thread go:
   a system call it was stopped in is restarted as the kernel would
   have. */
bool inject_end(injection *in);

/* Address of `name` in the process's libc (its dynamic symbols), 0 if
   none (a static program, a libc without it). */
uint64_t inject_libc_symbol(pid_t pid, const char *name, char *why,
                            size_t why_size);

/* Why pid cannot be attached (ptrace_scope, another tracer, another
   user, setuid, gone): false and a message saying what to do. */
bool attach_allowed(pid_t pid, char *why, size_t why_size);

#endif
