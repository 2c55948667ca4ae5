/*
 * registers.c - the debug registers of the process: which slot watches
 * what for whom, and on which threads each is armed. The controller
 * claims and releases slots; threads come and go on their own (an
 * attach, a detach), so both sides take one lock; fault handlers only
 * read a slot's cookie and owner, which are atomic.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "internal/os.h"
#include "watchpoints/watchpoints.h"

/* "SW" in the top bits tells snare's cookies from a program's own perf
   events; a generation per claim tells a late trap of a released slot. */
#define COOKIE_MAGIC (UINT64_C(0x5357) << 48)
#define COOKIE_MAGIC_MASK (UINT64_C(0xffff) << 48)

typedef struct slot {
  _Atomic(void *) owner; /* NULL: free */
  _Atomic uint64_t cookie;
  uint64_t addr;
  unsigned length;
  snare_watch_kind kind;
  int thread; /* 0: every known thread */
  bool armed;
} slot;

typedef struct known_thread {
  snare_thread *thread;
  int tid;
  int handle[SNARE_WATCH_REGISTERS]; /* -1: not armed there */
} known_thread;

static slot slots[SNARE_WATCH_REGISTERS];
static uint64_t generation;
static snare_os_lock *lock;
static known_thread *known;
static size_t known_count, known_capacity;

SNARE_AT_LOAD static void make_lock(void) {
  if (snare_os_lock_new(&lock) != SNARE_OK)
    snare_os_fatal("snare: no lock for the watchpoint registers");
}

size_t snare_watch_split(uint64_t addr, unsigned length, uint64_t *addrs,
                         unsigned *lengths, size_t cap) {
  size_t count = 0;
  uint64_t end = addr + length;
  while (addr < end) {
    unsigned size = 8;
    while (size > 1 && (addr % size != 0 || addr + size > end))
      size /= 2;
    if (count < cap) {
      addrs[count] = addr;
      lengths[count] = size;
    }
    count++;
    addr += size;
  }
  return count;
}

static bool concerns(const slot *s, const known_thread *k) {
  return s->thread == 0 || s->thread == k->thread->id;
}

static void disarm_on(known_thread *k, int index) {
  if (k->handle[index] >= 0) {
    snare_os_watch_close(k->handle[index]);
    k->handle[index] = -1;
  }
}

/* Under the lock. A thread that is gone without detaching is skipped. */
static snare_status arm_on(known_thread *k, int index, const char **why) {
  const slot *s = &slots[index];
  if (!s->armed || !concerns(s, k) || k->handle[index] >= 0)
    return SNARE_OK;
  snare_status status =
      snare_os_watch_open(k->tid, s->addr, s->length, s->kind,
                          atomic_load(&s->cookie), &k->handle[index], why);
  return status == SNARE_NOT_FOUND ? SNARE_OK : status;
}

static void disarm_everywhere(int index) {
  for (size_t i = 0; i < known_count; i++)
    disarm_on(&known[i], index);
}

static snare_status arm_everywhere(int index, const char **why) {
  for (size_t i = 0; i < known_count; i++) {
    snare_status status = arm_on(&known[i], index, why);
    if (status != SNARE_OK) {
      disarm_everywhere(index);
      return status;
    }
  }
  return SNARE_OK;
}

static size_t free_locked(void) {
  size_t n = 0;
  for (int i = 0; i < SNARE_WATCH_REGISTERS; i++)
    n += atomic_load(&slots[i].owner) == NULL;
  return n;
}

static void release_locked(snare_watch_registers *registers) {
  for (size_t i = 0; i < registers->count; i++) {
    int index = registers->slot[i];
    disarm_everywhere(index);
    slots[index].armed = false;
    atomic_store(&slots[index].cookie, 0);
    atomic_store(&slots[index].owner, NULL);
  }
  registers->count = 0;
}

static snare_status claim_locked(uint64_t addr, unsigned length,
                                 snare_watch_kind kind, int thread, void *owner,
                                 snare_watch_registers *out, const char **why) {
  uint64_t addrs[SNARE_WATCH_REGISTERS];
  unsigned lengths[SNARE_WATCH_REGISTERS];
  size_t pieces =
      snare_watch_split(addr, length, addrs, lengths, SNARE_WATCH_REGISTERS);
  if (pieces > free_locked())
    return SNARE_NO_DEBUG_REGISTER;
  /* Checked on this thread too: with no thread known yet (a worker not
     yet started) nothing else would try the address now. A trap while
     trying carries a cookie that names no slot: dropped. */
  for (size_t i = 0; i < pieces; i++) {
    snare_status status =
        snare_os_watch_check(addrs[i], lengths[i], kind, COOKIE_MAGIC);
    if (status != SNARE_OK)
      return status;
  }
  out->count = 0;
  for (int index = 0; index < SNARE_WATCH_REGISTERS && out->count < pieces;
       index++) {
    slot *s = &slots[index];
    if (atomic_load(&s->owner) != NULL)
      continue;
    s->addr = addrs[out->count];
    s->length = lengths[out->count];
    s->kind = kind;
    s->thread = thread;
    s->armed = true;
    atomic_store(&s->cookie,
                 COOKIE_MAGIC | (++generation << 8) | (uint64_t)index);
    atomic_store(&s->owner, owner);
    out->slot[out->count++] = index;
    snare_status status = arm_everywhere(index, why);
    if (status != SNARE_OK) {
      release_locked(out);
      return status;
    }
  }
  return SNARE_OK;
}

snare_status snare_watch_claim(uint64_t addr, unsigned length,
                               snare_watch_kind kind, int thread, void *owner,
                               snare_watch_registers *out, const char **why) {
  snare_status status = snare_os_watch_probe(why);
  if (status != SNARE_OK)
    return status;
  snare_os_lock_acquire(lock);
  status = claim_locked(addr, length, kind, thread, owner, out, why);
  snare_os_lock_release(lock);
  return status;
}

void snare_watch_release(snare_watch_registers *registers) {
  snare_os_lock_acquire(lock);
  release_locked(registers);
  snare_os_lock_release(lock);
}

snare_status snare_watch_arm(snare_watch_registers *registers, bool armed) {
  const char *why = NULL;
  snare_status status = SNARE_OK;
  snare_os_lock_acquire(lock);
  for (size_t i = 0; i < registers->count && status == SNARE_OK; i++) {
    int index = registers->slot[i];
    slots[index].armed = armed;
    if (armed)
      status = arm_everywhere(index, &why);
    else
      disarm_everywhere(index);
  }
  snare_os_lock_release(lock);
  return status;
}

bool snare_watch_cookie_is_ours(uint64_t cookie) {
  return (cookie & COOKIE_MAGIC_MASK) == COOKIE_MAGIC;
}

void *snare_watch_owner(uint64_t cookie) {
  slot *s = &slots[(cookie & 0xff) % SNARE_WATCH_REGISTERS];
  void *owner = atomic_load(&s->owner);
  return atomic_load(&s->cookie) == cookie ? owner : NULL;
}

void snare_watch_each_owner(void (*fn)(void *owner, void *arg), void *arg) {
  for (int index = 0; index < SNARE_WATCH_REGISTERS; index++) {
    void *owner = atomic_load(&slots[index].owner);
    bool first = owner != NULL;
    for (int before = 0; before < index && first; before++)
      first = atomic_load(&slots[before].owner) != owner;
    if (first)
      fn(owner, arg);
  }
}

void snare_watch_thread_started(snare_thread *thread) {
  snare_watch_thread_known(thread, snare_os_thread_tid());
}

void snare_watch_thread_known(snare_thread *thread, int tid) {
  snare_os_lock_acquire(lock);
  if (known_count == known_capacity) {
    size_t capacity = known_capacity ? known_capacity * 2 : 16;
    known_thread *grown = realloc(known, capacity * sizeof *grown);
    if (grown == NULL) { /* the thread just goes unwatched */
      snare_os_lock_release(lock);
      return;
    }
    known = grown;
    known_capacity = capacity;
  }
  known_thread *k = &known[known_count++];
  k->thread = thread;
  k->tid = tid;
  const char *why;
  for (int index = 0; index < SNARE_WATCH_REGISTERS; index++) {
    k->handle[index] = -1;
    arm_on(k, index, &why); /* a refusal leaves this thread unwatched */
  }
  snare_os_lock_release(lock);
}

void snare_watch_thread_ended(snare_thread *thread) {
  snare_os_lock_acquire(lock);
  for (size_t i = 0; i < known_count; i++)
    if (known[i].thread == thread) {
      for (int index = 0; index < SNARE_WATCH_REGISTERS; index++)
        disarm_on(&known[i], index);
      known[i] = known[--known_count];
      break;
    }
  snare_os_lock_release(lock);
}
