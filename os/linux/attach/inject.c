/*
 * inject.c - calling a function inside another process (snare attach
 * loads its agent with the process's own dlopen).
 *
 * Every thread is seized and interrupted (PTRACE_SEIZE, PTRACE_INTERRUPT)
 * so that each one's thread pointer can be read; one is borrowed and the
 * others go on at once (a call that needed a lock one of them holds
 * would otherwise wait forever). The borrowed thread's registers, vector
 * state and the stack bytes the calls use (below its red zone) are
 * saved; each call sets the registers of the System V ABI, a return
 * address of 0 on the stack and orig_rax = -1 (so that the kernel does
 * not restart the system call the thread was stopped in over the call),
 * and runs until the return faults at address 0. Then everything saved
 * is put back, orig_rax and rax included: when the thread leaves the
 * stop, the kernel restarts its interrupted system call exactly as it
 * would have after the interrupt alone (-ERESTARTSYS, -ERESTARTNOHAND,
 * -ERESTART_RESTARTBLOCK). Signals that arrive for the borrowed thread
 * during a call are delivered to it there.
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"

#define CALL_TIMEOUT_S 20

static bool fail(injection *in, const char *fmt, const char *detail) {
  snprintf(in->error, sizeof in->error, fmt, detail);
  return false;
}

static bool known(const injection *in, pid_t tid) {
  for (size_t i = 0; i < in->count; i++)
    if (in->threads[i].tid == tid)
      return true;
  return false;
}

/* Seizes the threads of /proc/PID/task not seized yet; how many. */
static size_t seize_new(injection *in) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", (int)in->pid);
  DIR *dir = opendir(path);
  if (dir == NULL)
    return 0;
  size_t added = 0;
  for (struct dirent *e; (e = readdir(dir)) != NULL;) {
    pid_t tid = (pid_t)atoi(e->d_name);
    if (tid <= 0 || known(in, tid))
      continue;
    if (ptrace(PTRACE_SEIZE, tid, NULL, NULL) != 0)
      continue; /* it ended meanwhile */
    ptrace(PTRACE_INTERRUPT, tid, NULL, NULL);
    inject_thread *grown =
        realloc(in->threads, (in->count + 1) * sizeof *grown);
    if (grown == NULL)
      break;
    in->threads = grown;
    in->threads[in->count++] = (inject_thread){.tid = tid};
    added++;
  }
  closedir(dir);
  return added;
}

/* Waits for tid's interrupt stop; a signal-delivery stop on the way is
   remembered and the signal given back when the thread is let go. */
static bool wait_stopped(inject_thread *t) {
  for (;;) {
    int status;
    if (waitpid(t->tid, &status, __WALL) < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    if (!WIFSTOPPED(status))
      return false; /* it ended */
    if ((status >> 16) == PTRACE_EVENT_STOP)
      return true;
    t->pending = WSTOPSIG(status);
    /* Held until detach: the stop that follows is the interrupt's. */
    ptrace(PTRACE_CONT, t->tid, NULL, NULL);
  }
}

static void let_go(inject_thread *t) {
  ptrace(PTRACE_DETACH, t->tid, NULL, (void *)(intptr_t)t->pending);
}

/* Prefers the main thread stopped in a system call, then any thread in
   one (neither holds a lock of libc's in the middle of its work), then
   the main thread. */
static size_t pick(injection *in, const struct user_regs_struct *regs) {
  size_t main = 0;
  for (size_t i = 0; i < in->count; i++)
    if (in->threads[i].tid == in->pid)
      main = i;
  if ((long long)regs[main].orig_rax >= 0 && in->threads[main].pending == 0)
    return main;
  for (size_t i = 0; i < in->count; i++)
    if ((long long)regs[i].orig_rax >= 0 && in->threads[i].pending == 0)
      return i;
  return main;
}

static bool read_memory(injection *in, uint64_t address, void *out,
                        size_t size) {
  return pread(in->memory, out, size, (off_t)address) == (ssize_t)size;
}

static bool write_memory(injection *in, uint64_t address, const void *data,
                         size_t size) {
  return pwrite(in->memory, data, size, (off_t)address) == (ssize_t)size;
}

bool inject_begin(injection *in, pid_t pid) {
  memset(in, 0, sizeof *in);
  in->pid = pid;
  in->memory = -1;
  while (seize_new(in) > 0)
    ; /* threads started while we seized */
  if (in->count == 0)
    return fail(in, "cannot trace process %s", "(ptrace refused)");
  struct user_regs_struct *regs = calloc(in->count, sizeof *regs);
  size_t stopped = 0;
  for (size_t i = 0; i < in->count; i++)
    if (wait_stopped(&in->threads[i]) &&
        ptrace(PTRACE_GETREGS, in->threads[i].tid, NULL, &regs[i]) == 0) {
      in->threads[i].pointer = regs[i].fs_base;
      stopped++;
    } else {
      in->threads[i].tid = -in->threads[i].tid; /* gone */
    }
  if (stopped == 0) {
    free(regs);
    return fail(in, "the process ended %s", "while snare stopped it");
  }
  size_t chosen = pick(in, regs);
  if (in->threads[chosen].tid < 0)
    for (chosen = 0; in->threads[chosen].tid < 0; chosen++)
      ;
  in->borrowed = in->threads[chosen].tid;
  in->saved = regs[chosen];
  free(regs);
  for (size_t i = 0; i < in->count; i++)
    if (i != chosen && in->threads[i].tid > 0)
      let_go(&in->threads[i]);
  struct iovec iov = {in->xstate, sizeof in->xstate};
  /* (a full buffer may have cut the state short) */
  if (ptrace(PTRACE_GETREGSET, in->borrowed, (void *)NT_X86_XSTATE, &iov) !=
          0 ||
      iov.iov_len >= sizeof in->xstate) {
    fail(in, "cannot read a thread's vector registers%s", "");
    inject_end(in);
    return false;
  }
  in->xstate_size = iov.iov_len;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
  in->memory = open(path, O_RDWR | O_CLOEXEC);
  /* The red zone (128 bytes) below the stack pointer is the thread's;
     the scratch lies below that, 16-byte aligned. */
  in->scratch = ((in->saved.rsp - 256) & ~(uint64_t)15) - INJECT_SCRATCH;
  if (in->memory < 0 ||
      !read_memory(in, in->scratch, in->scratch_saved, INJECT_SCRATCH)) {
    fail(in, "cannot read the stack of thread %s", "");
    inject_end(in);
    return false;
  }
  return true;
}

bool inject_string(injection *in, const char *text, uint64_t *address) {
  size_t size = strlen(text) + 1;
  if (in->scratch_used + size > INJECT_SCRATCH - 64)
    return fail(in, "string too long: %s", text);
  *address = in->scratch + 64 + in->scratch_used;
  in->scratch_used += (size + 15) & ~(size_t)15;
  return write_memory(in, *address, text, size) ||
         fail(in, "cannot write to the process's stack%s", "");
}

bool inject_read_string(injection *in, uint64_t address, char *out,
                        size_t size) {
  size_t n = 0;
  for (; n + 1 < size; n++)
    if (!read_memory(in, address + n, &out[n], 1) || out[n] == '\0')
      break;
  out[n] = '\0';
  return n > 0;
}

static volatile sig_atomic_t timed_out;
static void on_alarm(int sig) { (void)sig; timed_out = 1; }

bool inject_call(injection *in, uint64_t fn, const uint64_t *args,
                 size_t count, uint64_t *result) {
  struct user_regs_struct regs = in->saved;
  unsigned long long *slots[] = {&regs.rdi, &regs.rsi, &regs.rdx,
                                 &regs.rcx, &regs.r8,  &regs.r9};
  for (size_t i = 0; i < count && i < 6; i++)
    *slots[i] = args[i];
  regs.rip = fn;
  regs.rax = 0;
  regs.orig_rax = (unsigned long long)-1; /* no restart over the call */
  /* At entry rsp % 16 == 8, as after a call; the return goes to 0. */
  uint64_t sp = in->scratch - 8;
  uint64_t zero = 0;
  regs.rsp = sp;
  if (!write_memory(in, sp, &zero, sizeof zero) ||
      ptrace(PTRACE_SETREGS, in->borrowed, NULL, &regs) != 0 ||
      ptrace(PTRACE_CONT, in->borrowed, NULL, NULL) != 0)
    return fail(in, "cannot start the call%s", "");
  struct sigaction alarm_action = {.sa_handler = on_alarm}, old;
  sigaction(SIGALRM, &alarm_action, &old);
  timed_out = 0;
  alarm(CALL_TIMEOUT_S);
  bool ok = false;
  for (;;) {
    int status;
    if (waitpid(in->borrowed, &status, __WALL) < 0) {
      if (errno == EINTR && !timed_out)
        continue;
      fail(in, "the call did not return%s", timed_out ? " in time" : "");
      break;
    }
    if (!WIFSTOPPED(status)) {
      fail(in, "the process ended during the call%s", "");
      break;
    }
    int sig = WSTOPSIG(status);
    if ((status >> 16) == PTRACE_EVENT_STOP) {
      ptrace(PTRACE_CONT, in->borrowed, NULL, NULL);
      continue;
    }
    if (sig == SIGSEGV &&
        ptrace(PTRACE_GETREGS, in->borrowed, NULL, &regs) == 0 &&
        regs.rip == 0) {
      *result = regs.rax;
      ok = true;
      break;
    }
    /* The thread's own signal: delivered there, as it would have been. */
    ptrace(PTRACE_CONT, in->borrowed, NULL, (void *)(intptr_t)sig);
  }
  alarm(0);
  sigaction(SIGALRM, &old, NULL);
  return ok;
}

bool inject_end(injection *in) {
  bool ok = true;
  if (in->memory >= 0) {
    ok = write_memory(in, in->scratch, in->scratch_saved, INJECT_SCRATCH);
    close(in->memory);
    in->memory = -1;
  }
  if (in->xstate_size > 0) {
    struct iovec iov = {in->xstate, in->xstate_size};
    ok = ptrace(PTRACE_SETREGSET, in->borrowed, (void *)NT_X86_XSTATE,
                &iov) == 0 && ok;
  }
  ok = ptrace(PTRACE_SETREGS, in->borrowed, NULL, &in->saved) == 0 && ok;
  for (size_t i = 0; i < in->count; i++)
    if (in->threads[i].tid == in->borrowed)
      let_go(&in->threads[i]);
  free(in->threads);
  in->threads = NULL;
  return ok;
}

/* ---- libc's symbols in the other process ---- */

/* The lowest mapping of the process's libc: its load address and path. */
static bool find_libc(pid_t pid, uint64_t *base, char *path, size_t size) {
  char maps[64];
  snprintf(maps, sizeof maps, "/proc/%d/maps", (int)pid);
  FILE *f = fopen(maps, "r");
  if (f == NULL)
    return false;
  char line[4096];
  bool found = false;
  while (!found && fgets(line, sizeof line, f) != NULL) {
    unsigned long long start, offset;
    char file[4096] = "";
    if (sscanf(line, "%llx-%*x %*s %llx %*s %*s %4095s", &start, &offset,
               file) < 2)
      continue;
    const char *name = strrchr(file, '/');
    name = name != NULL ? name + 1 : file;
    if (offset == 0 && (strcmp(name, "libc.so.6") == 0 ||
                        strncmp(name, "libc-2.", 7) == 0)) {
      *base = start;
      snprintf(path, size, "%s", file);
      found = true;
    }
  }
  fclose(f);
  return found;
}

static uint64_t dynamic_symbol(Elf *elf, const char *name) {
  for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn)) != NULL;) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == NULL || shdr.sh_type != SHT_DYNSYM)
      continue;
    Elf_Data *data = elf_getdata(scn, NULL);
    size_t count = shdr.sh_entsize ? shdr.sh_size / shdr.sh_entsize : 0;
    for (size_t i = 0; data != NULL && i < count; i++) {
      GElf_Sym sym;
      if (gelf_getsym(data, (int)i, &sym) == NULL ||
          sym.st_shndx == SHN_UNDEF || GELF_ST_TYPE(sym.st_info) != STT_FUNC)
        continue;
      const char *s = elf_strptr(elf, shdr.sh_link, sym.st_name);
      if (s != NULL && strcmp(s, name) == 0)
        return sym.st_value;
    }
  }
  return 0;
}

/* The lowest p_vaddr of the file's PT_LOAD segments, which its load
   address corresponds to. */
static uint64_t first_load(Elf *elf) {
  size_t count;
  if (elf_getphdrnum(elf, &count) != 0)
    return 0;
  for (size_t i = 0; i < count; i++) {
    GElf_Phdr phdr;
    if (gelf_getphdr(elf, (int)i, &phdr) != NULL && phdr.p_type == PT_LOAD)
      return phdr.p_vaddr & ~(uint64_t)0xfff;
  }
  return 0;
}

uint64_t inject_libc_symbol(pid_t pid, const char *name, char *why,
                            size_t why_size) {
  uint64_t base;
  char path[4096], rooted[4200];
  if (!find_libc(pid, &base, path, sizeof path)) {
    snprintf(why, why_size, "it has no libc.so.6 mapped (a statically "
                            "linked program?): there is no dlopen to call");
    return 0;
  }
  /* Its libc as the process sees it (another mount namespace or root). */
  snprintf(rooted, sizeof rooted, "/proc/%d/root%s", (int)pid, path);
  elf_version(EV_CURRENT);
  int fd = open(rooted, O_RDONLY | O_CLOEXEC);
  Elf *elf = fd >= 0 ? elf_begin(fd, ELF_C_READ, NULL) : NULL;
  uint64_t value = elf != NULL ? dynamic_symbol(elf, name) : 0;
  uint64_t address = value != 0 ? base + value - first_load(elf) : 0;
  if (elf != NULL)
    elf_end(elf);
  if (fd >= 0)
    close(fd);
  if (address == 0)
    snprintf(why, why_size, "its libc (%s) has no %s (glibc before 2.34 "
                            "keeps it in libdl)", path, name);
  return address;
}
