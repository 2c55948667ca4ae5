/*
 * sites.c - patch sites: the addresses where snare's trap replaces the
 * first byte of an instruction, each with an out-of-line slot holding the
 * relocated instruction, in a table fault handlers search without locks.
 * Every change happens on a controller under the global lock.
 */
#include <stdlib.h>
#include <string.h>

#include "code/code.h"
#include "code/library.h"
#include "traps/traps.h"

_Atomic int snare_dispatch_depth;

/* ---- retirement: free only when no handler can hold the pointer ---- */

typedef struct retired {
  struct retired *next;
  void *ptr;
} retired;

static retired *retired_list;

void snare_retire(void *ptr) {
  if (ptr == NULL)
    return;
  retired *node = malloc(sizeof *node);
  if (node == NULL)
    return; /* leaking one object beats freeing it under a reader */
  node->ptr = ptr;
  node->next = retired_list;
  retired_list = node;
}

static void free_retired(void) {
  while (retired_list != NULL) {
    retired *node = retired_list;
    retired_list = node->next;
    free(node->ptr);
    free(node);
  }
}

void snare_reclaim(void) {
  if (atomic_load(&snare_dispatch_depth) == 0)
    free_retired();
}

/* ---- slots: out-of-line code near the code it came from ---- */

#define SLAB_SIZE (64u * 1024u)
#define SLOTS_PER_SLAB (SLAB_SIZE / SNARE_ARCH_SLOT_SIZE)
#define MAX_SLABS 64
/* A freed slot may still hold a thread for a few instructions; reuse it
   only after this many later frees. The slabs are never unmapped (at
   most MAX_SLABS, in practice the few a session's breakpoints needed,
   kept for the process's life and reused by later sessions): unmapping
   one would need proof that no thread is in it or about to enter it. */
#define QUARANTINE 4096

typedef struct slab {
  uint64_t base;
  size_t next_unused;
  _Atomic(snare_site *) owner[SLOTS_PER_SLAB];
} slab;

static slab *slabs[MAX_SLABS];
static _Atomic int slab_count;
static uint64_t free_slots[MAX_SLABS * SLOTS_PER_SLAB];
static size_t free_slot_count;
static uint64_t quarantine[QUARANTINE];
static size_t quarantine_head, quarantine_count;

static bool within_reach(uint64_t a, uint64_t b) {
  uint64_t distance = a > b ? a - b : b - a;
  return distance < (1ull << 31) - SLAB_SIZE;
}

static slab *slab_of(uint64_t pc) {
  int count = atomic_load(&slab_count);
  for (int i = 0; i < count; i++)
    if (pc >= slabs[i]->base && pc < slabs[i]->base + SLAB_SIZE)
      return slabs[i];
  return NULL;
}

static _Atomic(snare_site *) *owner_of(uint64_t slot) {
  slab *s = slab_of(slot);
  return s ? &s->owner[(slot - s->base) / SNARE_ARCH_SLOT_SIZE] : NULL;
}

static uint64_t slot_take(uint64_t near) {
  for (size_t i = 0; i < free_slot_count; i++)
    if (within_reach(free_slots[i], near)) {
      uint64_t slot = free_slots[i];
      free_slots[i] = free_slots[--free_slot_count];
      return slot;
    }
  int count = atomic_load(&slab_count);
  for (int i = 0; i < count; i++)
    if (slabs[i]->next_unused < SLOTS_PER_SLAB &&
        within_reach(slabs[i]->base, near))
      return slabs[i]->base +
             SNARE_ARCH_SLOT_SIZE * slabs[i]->next_unused++;
  if (count == MAX_SLABS)
    return 0;
  slab *fresh = calloc(1, sizeof *fresh);
  if (fresh == NULL)
    return 0;
  fresh->base = snare_os_code_alloc_near(near, SLAB_SIZE);
  if (fresh->base == 0) {
    free(fresh);
    return 0;
  }
  slabs[count] = fresh;
  atomic_store(&slab_count, count + 1);
  return fresh->base + SNARE_ARCH_SLOT_SIZE * fresh->next_unused++;
}

static void slot_give_back(uint64_t slot, bool maybe_in_use) {
  if (!maybe_in_use) {
    free_slots[free_slot_count++] = slot;
    return;
  }
  if (quarantine_count == QUARANTINE) {
    free_slots[free_slot_count++] = quarantine[quarantine_head];
    quarantine_head = (quarantine_head + 1) % QUARANTINE;
    quarantine_count--;
  }
  quarantine[(quarantine_head + quarantine_count++) % QUARANTINE] = slot;
}

uint64_t snare_sites_step_slot(uint64_t near, snare_site *owner,
                               uint64_t old) {
  if (old != 0 && within_reach(old, near))
    return old;
  snare_sites_step_slot_release(old);
  uint64_t slot = slot_take(near);
  if (slot != 0)
    atomic_store(owner_of(slot), owner);
  return slot;
}

void snare_sites_step_slot_release(uint64_t slot) {
  if (slot == 0)
    return;
  atomic_store(owner_of(slot), NULL);
  slot_give_back(slot, true);
}

/* ---- the site table: open addressing, replaced whole to grow ---- */

#define TOMBSTONE ((snare_site *)(uintptr_t)1)

typedef struct site_table {
  size_t capacity; /* power of two */
  size_t used;     /* live entries plus tombstones */
  _Atomic(snare_site *) entries[];
} site_table;

static _Atomic(site_table *) table;

static size_t hash(uint64_t addr, size_t capacity) {
  return (size_t)((addr * 0x9E3779B97F4A7C15ull) >> 20) & (capacity - 1);
}

snare_site *snare_sites_find(uint64_t addr) {
  site_table *t = atomic_load(&table);
  if (t == NULL)
    return NULL;
  for (size_t i = hash(addr, t->capacity), n = 0; n < t->capacity;
       i = (i + 1) & (t->capacity - 1), n++) {
    snare_site *site = atomic_load(&t->entries[i]);
    if (site == NULL)
      return NULL;
    if (site != TOMBSTONE && site->address == addr)
      return site;
  }
  return NULL;
}

snare_site *snare_sites_find_slot(uint64_t pc) {
  _Atomic(snare_site *) *owner = owner_of(pc - pc % SNARE_ARCH_SLOT_SIZE);
  return owner ? atomic_load(owner) : NULL;
}

/* How many sites start at each address, counted by the address's low
   bits: the byte-by-byte lookups of a small range (each_site) skip the
   addresses where none can start, without the table's probes and their
   reads of site records (a tenth of setting a breakpoint). The low bits
   keep a range's counts together (one cache line for the 30 addresses
   around a new site, where a hash scattered them over the array) and
   two sites share a count only if they lie a multiple of 1 MiB apart,
   so a lookup near a site finds its neighbours' counts empty instead of
   probing for one address in six. A count that reaches the top stays
   there. */
#define ADDRESS_BUCKETS (1u << 20)
static _Atomic uint8_t sites_at[ADDRESS_BUCKETS];

static _Atomic uint8_t *sites_at_count(uint64_t addr) {
  return &sites_at[addr & (ADDRESS_BUCKETS - 1)];
}

static void sites_at_note(uint64_t addr, int delta) {
  _Atomic uint8_t *count = sites_at_count(addr);
  uint8_t now = atomic_load_explicit(count, memory_order_relaxed);
  if (now != UINT8_MAX)
    atomic_store_explicit(count, (uint8_t)(now + delta),
                          memory_order_relaxed);
}

static void insert(site_table *t, snare_site *site) {
  size_t i = hash(site->address, t->capacity);
  while (atomic_load(&t->entries[i]) != NULL)
    i = (i + 1) & (t->capacity - 1);
  atomic_store(&t->entries[i], site);
  t->used++;
}

static site_table *table_new(size_t capacity) {
  site_table *t = calloc(1, sizeof *t + capacity * sizeof t->entries[0]);
  if (t != NULL)
    t->capacity = capacity;
  return t;
}

/* Makes room for one more entry, rehashing into a fresh table. */
static bool reserve(void) {
  site_table *old = atomic_load(&table);
  if (old != NULL && (old->used + 1) * 2 <= old->capacity)
    return true;
  size_t live = 0;
  if (old != NULL)
    for (size_t i = 0; i < old->capacity; i++) {
      snare_site *site = atomic_load(&old->entries[i]);
      live += site != NULL && site != TOMBSTONE;
    }
  size_t capacity = 64;
  while (capacity < (live + 1) * 4)
    capacity *= 2;
  site_table *fresh = table_new(capacity);
  if (fresh == NULL)
    return false;
  if (old != NULL)
    for (size_t i = 0; i < old->capacity; i++) {
      snare_site *site = atomic_load(&old->entries[i]);
      if (site != NULL && site != TOMBSTONE)
        insert(fresh, site);
    }
  atomic_store(&table, fresh);
  snare_retire(old);
  return true;
}

/* A site enters the table (not a rehash). */
static void table_add(snare_site *site) {
  insert(atomic_load(&table), site);
  sites_at_note(site->address, +1);
}

static void remove_entry(snare_site *site) {
  sites_at_note(site->address, -1);
  site_table *t = atomic_load(&table);
  for (size_t i = hash(site->address, t->capacity);;
       i = (i + 1) & (t->capacity - 1))
    if (atomic_load(&t->entries[i]) == site) {
      atomic_store(&t->entries[i], TOMBSTONE);
      return;
    }
}

/* Every write but the arming of a new site's slot and trap: after what
   a batch holds back (site_batch.c). */
static bool write_now(uint64_t addr, const uint8_t *bytes, size_t n) {
  snare_sites_batch_flush();
  return snare_os_code_write(addr, bytes, n);
}

static void show_original(uint64_t addr, uint8_t *dst, size_t n);

/* Reads up to a whole instruction's worth of bytes, stopping at the end
   of readable memory; returns how many. An open library's code stays
   mapped and readable until it closes (under the global lock, held
   here): its bytes are read without the system call of a guarded read,
   which cost a third of setting a breakpoint. */
size_t snare_sites_read_instruction(uint64_t addr, uint8_t *dst) {
  uint64_t start, size;
  if (snare_library_code_containing(addr, &start, &size) &&
      start + size - addr >= SNARE_ARCH_MAX_INSTRUCTION &&
      snare_os_memory_read_fast(addr, dst, SNARE_ARCH_MAX_INSTRUCTION)) {
    show_original(addr, dst, SNARE_ARCH_MAX_INSTRUCTION);
    return SNARE_ARCH_MAX_INSTRUCTION;
  }
  for (size_t n = SNARE_ARCH_MAX_INSTRUCTION; n > 0; n--)
    if (snare_sites_read_original(addr, dst, n))
      return n;
  return 0;
}

static bool patch_still_there(snare_site *site);

static snare_status plan_into(snare_site *site) {
  size_t n = snare_sites_read_instruction(site->address, site->original);
  if (n == 0)
    return SNARE_BAD_ADDRESS;
  snare_status status = snare_arch_displaced_plan(
      site->address, site->original, n, site->plan.slot, &site->plan);
  if (status != SNARE_OK)
    return status;
  if (site->plan.kind != SNARE_DISPLACED_COPY ||
      (snare_sites_batch_defers() &&
       snare_sites_batch_slot(site->plan.slot, site->plan.code,
                              site->plan.code_length)))
    return SNARE_OK;
  if (!write_now(site->plan.slot, site->plan.code, site->plan.code_length))
    return SNARE_SYSTEM;
  return SNARE_OK;
}

/* A breakpoint's jump covering addr past its first byte goes back to a
   trap: a new site there would write into the jump. */
static void each_site(uint64_t start, uint64_t end,
                      void (*fn)(snare_site *, void *), void *arg);
static uint64_t reach_back(uint64_t addr);

typedef struct jump_over {
  uint64_t addr;
  snare_site *site;
} jump_over;

static void covers_past_start(snare_site *site, void *arg) {
  jump_over *over = arg;
  if (site->address < over->addr &&
      site->jump_length > over->addr - site->address)
    over->site = site;
}

static snare_status unjump_over(uint64_t addr) {
  jump_over over = {addr, NULL};
  each_site(reach_back(addr), addr, covers_past_start, &over);
  return over.site != NULL ? snare_sites_unjump(over.site) : SNARE_OK;
}

snare_status snare_sites_acquire(uint64_t addr, snare_site **out) {
  snare_site *site = snare_sites_find(addr);
  if (site != NULL && (site->patched || site->jump_length != 0))
    patch_still_there(site);
  if (site != NULL && site->gone) {
    /* Code mapped again where a site's code went: its instruction is
       read anew, and its trap written again by its next update. */
    snare_status replanned = plan_into(site);
    if (replanned != SNARE_OK)
      return replanned;
    site->gone = false;
  }
  if (site != NULL) {
    *out = site;
    return SNARE_OK;
  }
  snare_status covered = unjump_over(addr);
  if (covered != SNARE_OK)
    return covered;
  site = calloc(1, sizeof *site);
  if (site == NULL)
    return SNARE_NO_MEMORY;
  site->address = addr;
  site->plan.slot = slot_take(addr);
  snare_status status = site->plan.slot ? plan_into(site) : SNARE_UNSUPPORTED;
  if (status == SNARE_OK && !reserve())
    status = SNARE_NO_MEMORY;
  if (status != SNARE_OK) {
    if (site->plan.slot)
      slot_give_back(site->plan.slot, false);
    free(site);
    return status;
  }
  atomic_store(owner_of(site->plan.slot), site);
  table_add(site);
  *out = site;
  return SNARE_OK;
}

static bool wants_trap(const snare_site *site,
                       const snare_site_breakpoints *list) {
  if (site->hook != NULL || atomic_load(&site->mark_traps) != NULL)
    return true;
  for (size_t i = 0; list != NULL && i < list->count; i++)
    if (atomic_load(&list->items[i]->enabled))
      return true;
  return false;
}

static bool any_enabled(const snare_site_breakpoints *list) {
  for (size_t i = 0; list != NULL && i < list->count; i++)
    if (atomic_load(&list->items[i]->enabled))
      return true;
  return false;
}

/* Forgets what snare wrote at the site without writing: its code was
   unmapped. */
static void forget_site(snare_site *site, void *arg) {
  (void)arg;
  site->gone = true;
  site->patched = false;
  site->jump_length = 0;
}

void snare_sites_forget(uint64_t addr, uint64_t n) {
  snare_sites_batch_flush(); /* a trap queued there is written, then forgotten */
  each_site(addr, addr + n, forget_site, NULL);
}

/* Whether the patch at the site (its trap, or its jump) is still in
   memory, before it is taken away: the code may have been unmapped
   under it by a dlclose snare did not hear of, and another mapping put
   there since, whose bytes a restore would overwrite. A site whose patch
   is not there is forgotten. */
static bool patch_still_there(snare_site *site) {
  size_t n = site->jump_length ? site->jump_length : snare_arch_trap_size;
  const uint8_t *ours =
      site->jump_length ? site->jump_bytes : snare_arch_trap_instruction;
  uint8_t now[SNARE_JUMP_WINDOW_MAX];
  snare_sites_batch_flush(); /* a trap the batch holds back is written */
  if (snare_os_memory_read_fast(site->address, now, n) &&
      memcmp(now, ours, n) == 0)
    return true;
  forget_site(site, NULL);
  return false;
}

snare_status snare_sites_update(snare_site *site, snare_site_breakpoints *list) {
  /* A jump serves breakpoints only: hooks and mark hooks trap. */
  if (site->jump_length != 0 &&
      (site->hook != NULL || atomic_load(&site->mark_traps) != NULL ||
       !any_enabled(list))) {
    snare_status status = snare_sites_unjump(site);
    if (status != SNARE_OK)
      return status;
  }
  bool want_trap = site->jump_length == 0 && wants_trap(site, list);
  if (site->patched && !want_trap && !site->gone)
    patch_still_there(site);
  if (site->jump_length == 0 && want_trap != site->patched && !site->gone) {
    const uint8_t *bytes = want_trap ? snare_arch_trap_instruction
                                     : site->original;
    bool deferred = want_trap && snare_sites_batch_defers() &&
                    snare_sites_batch_trap(site->address);
    if (!deferred && !write_now(site->address, bytes, snare_arch_trap_size))
      return SNARE_SYSTEM;
    site->patched = want_trap;
    site->trapped = site->trapped || want_trap;
  }
  snare_site_breakpoints *old = atomic_exchange(&site->breakpoints, list);
  if (old != list)
    snare_retire(old);
  if ((list == NULL || list->count == 0) && site->hook == NULL &&
      atomic_load(&site->mark_traps) == NULL) {
    remove_entry(site);
    atomic_store(owner_of(site->plan.slot), NULL);
    slot_give_back(site->plan.slot, true);
    snare_retire(atomic_exchange(&site->breakpoints, NULL));
    snare_retire(site);
  }
  return SNARE_OK;
}

/* Runs on each stopped thread, in its handler. */
static void move_out(void *context, void *arg) {
  const snare_moved_code *moved = arg;
  uint64_t offset = snare_arch_register_get(context, SNARE_REG_RIP) -
                    moved->from;
  if (offset > 0 && offset < moved->length && moved->to[offset] != 0)
    snare_arch_register_set(context, SNARE_REG_RIP, moved->to[offset]);
}

/* Whether a thread can be stopped past the first instruction. */
static bool has_interior(const snare_moved_code *moved) {
  for (size_t k = 1; moved != NULL && k < moved->length; k++)
    if (moved->to[k] != 0)
      return true;
  return false;
}

snare_status snare_sites_write_jump(uint64_t addr, const uint8_t *bytes,
                                    size_t n, uint64_t redirect,
                                    const snare_moved_code *moved) {
  if (snare_sites_any_in(addr, n) || n < snare_arch_trap_size)
    return SNARE_EXISTS;
  snare_site *site = calloc(1, sizeof *site);
  if (site == NULL)
    return SNARE_NO_MEMORY;
  if (!reserve()) {
    free(site);
    return SNARE_NO_MEMORY;
  }
  site->address = addr;
  site->redirect = redirect;
  table_add(site);
  snare_sites_batch_flush(); /* nothing may allocate while stopped */
  bool stopped = has_interior(moved) &&
                 snare_os_world_stop(move_out, (void *)moved);
  bool ok = write_now(addr, snare_arch_trap_instruction,
                                snare_arch_trap_size) &&
            write_now(addr + snare_arch_trap_size,
                                bytes + snare_arch_trap_size,
                                n - snare_arch_trap_size) &&
            write_now(addr, bytes, snare_arch_trap_size);
  if (stopped)
    snare_os_world_resume();
  remove_entry(site);
  snare_retire(site);
  return ok ? SNARE_OK : SNARE_SYSTEM;
}

snare_status snare_sites_jump(snare_site *site, const uint8_t *bytes,
                              size_t n, uint64_t trampoline,
                              const snare_moved_code *moved,
                              const void *record) {
  if (site->trapped || site->jump_length != 0 || n > SNARE_JUMP_WINDOW_MAX ||
      n < snare_arch_trap_size ||
      !snare_sites_read_original(site->address, site->jump_original, n))
    return SNARE_INVALID_ARGUMENT;
  site->redirect = trampoline;
  snare_sites_batch_flush(); /* nothing may allocate while stopped */
  /* Always stopped: other CPUs must not run the bytes while they change
     (see snare_sites_unjump), and threads inside are moved. */
  bool stopped = snare_os_world_stop(move_out, (void *)moved);
  bool ok = write_now(site->address, snare_arch_trap_instruction,
                                snare_arch_trap_size) &&
            write_now(site->address + snare_arch_trap_size,
                                bytes + snare_arch_trap_size,
                                n - snare_arch_trap_size) &&
            write_now(site->address, bytes, snare_arch_trap_size);
  if (stopped)
    snare_os_world_resume();
  if (ok) {
    site->jump_record = record;
    site->jump_length = n;
    memcpy(site->jump_bytes, bytes, n);
  } else { /* put the original bytes back, the first last */
    write_now(site->address + snare_arch_trap_size,
                        site->jump_original + snare_arch_trap_size,
                        n - snare_arch_trap_size);
    write_now(site->address, site->jump_original,
                        snare_arch_trap_size);
  }
  site->redirect = 0;
  return ok ? SNARE_OK : SNARE_SYSTEM;
}

/* No thread runs the jump's bytes past the first: they all go to the
   trampoline, whose relocated copy jumps back past them. The other
   threads are stopped meanwhile all the same, as while the jump was
   written: a thread running the bytes as they change (another CPU's
   prefetch) could see half of each, and the stop serialises them. */
snare_status snare_sites_unjump(snare_site *site) {
  size_t n = site->jump_length;
  if (n == 0 || !patch_still_there(site))
    return SNARE_OK;
  snare_moved_code nobody = {.from = site->address};
  snare_sites_batch_flush(); /* nothing may allocate while stopped */
  bool stopped = snare_os_world_stop(move_out, &nobody);
  bool ok = write_now(site->address, snare_arch_trap_instruction,
                                snare_arch_trap_size);
  if (ok) {
    site->patched = site->trapped = true;
    site->jump_length = 0;
    write_now(site->address + snare_arch_trap_size,
                        site->jump_original + snare_arch_trap_size,
                        n - snare_arch_trap_size);
  }
  if (stopped)
    snare_os_world_resume();
  return ok ? SNARE_OK : SNARE_SYSTEM;
}

snare_status snare_sites_mark(uint64_t addr, void *owner) {
  snare_site *site = calloc(1, sizeof *site);
  if (site == NULL || !reserve()) {
    free(site);
    return SNARE_NO_MEMORY;
  }
  site->address = addr;
  site->stop_of = owner;
  table_add(site);
  return SNARE_OK;
}

/* Calls fn on each site whose first byte lies in [start, end): a short
   range address by address (with thousands of sites, a walk of the whole
   table for each read of code made setting them quadratic). */
static void each_site(uint64_t start, uint64_t end,
                      void (*fn)(snare_site *, void *), void *arg) {
  if (end - start <= 64) {
    for (uint64_t addr = start; addr < end; addr++) {
      if (atomic_load_explicit(sites_at_count(addr), memory_order_relaxed) ==
          0)
        continue;
      snare_site *site = snare_sites_find(addr);
      if (site != NULL)
        fn(site, arg);
    }
    return;
  }
  site_table *t = atomic_load(&table);
  for (size_t i = 0; t != NULL && i < t->capacity; i++) {
    snare_site *site = atomic_load(&t->entries[i]);
    if (site != NULL && site != TOMBSTONE && site->address >= start &&
        site->address < end)
      fn(site, arg);
  }
}

typedef struct view {
  uint64_t addr;
  uint8_t *dst;
  size_t n;
} view;

static void unpatch_view(snare_site *site, void *arg) {
  view *v = arg;
  const uint8_t *under = site->jump_length ? site->jump_original
                         : site->patched   ? site->original
                                           : NULL;
  size_t n = site->jump_length ? site->jump_length : snare_arch_trap_size;
  for (size_t k = 0; under != NULL && k < n; k++) {
    uint64_t at = site->address + k;
    if (at >= v->addr && at < v->addr + v->n)
      v->dst[at - v->addr] = under[k];
  }
}

/* Where sites that may cover addr can start: a jump's bytes reach
   furthest. */
static uint64_t reach_back(uint64_t addr) {
  return addr >= SNARE_JUMP_WINDOW_MAX ? addr - SNARE_JUMP_WINDOW_MAX + 1 : 0;
}

typedef struct overlap {
  uint64_t addr;
  size_t n;
  bool any;
} overlap;

static void found(snare_site *site, void *arg) {
  overlap *o = arg;
  size_t covers = site->jump_length ? site->jump_length : 1;
  if (site->address >= o->addr || site->address + covers > o->addr)
    o->any = o->any || site->address < o->addr + o->n;
}

bool snare_sites_any_in(uint64_t addr, size_t n) {
  overlap o = {addr, n, false};
  each_site(reach_back(addr), addr + n, found, &o);
  return o.any;
}

/* Puts the program's bytes in place of snare's patches in dst, a copy
   of [addr, addr+n). */
static void show_original(uint64_t addr, uint8_t *dst, size_t n) {
  view v = {addr, dst, n};
  each_site(reach_back(addr), addr + n, unpatch_view, &v);
}

bool snare_sites_read_original(uint64_t addr, uint8_t *dst, size_t n) {
  if (!snare_os_memory_read(addr, dst, n))
    return false;
  show_original(addr, dst, n);
  return true;
}

static void repatch(snare_site *site, void *arg) {
  (void)arg;
  if (site->gone)
    return;
  if (site->jump_length != 0) {
    /* New bytes over the jump: its relocated copy is stale, the site
       goes back to a trap. */
    site->jump_length = 0;
    site->patched = site->trapped = true;
  }
  if (site->patched) {
    /* The write put new original bytes where the trap was. */
    site->patched = false;
    plan_into(site);
    if (write_now(site->address, snare_arch_trap_instruction,
                            snare_arch_trap_size))
      site->patched = true;
  } else {
    plan_into(site);
  }
}

void snare_sites_rewritten(uint64_t addr, size_t n) {
  /* An instruction starting up to MAX-1 bytes before addr may overlap. */
  uint64_t from = addr > SNARE_ARCH_MAX_INSTRUCTION
                      ? addr - SNARE_ARCH_MAX_INSTRUCTION + 1
                      : 0;
  each_site(from, addr + n, repatch, NULL);
}

void snare_sites_shutdown(void) {
  snare_sites_batch_flush();
  /* A handler that found the table before it went may still read it:
     retired like any snapshot, it is freed only when none dispatches (a
     handler starting later finds no table). */
  snare_retire(atomic_exchange(&table, NULL));
  /* The slabs stay, with their free and quarantined slots, for the next
     session: a thread may not have left its slot yet (one whose
     condition the free let go, one of no session that trapped just
     before the trap went, either preempted on the way). */
  snare_reclaim();
}

/* Code its owner rewrote (a JIT, snare_memory_write) keeps its traps,
   over the new bytes. */
static void rewritten(uint64_t start, uint64_t size) {
  snare_sites_rewritten(start, (size_t)size);
}

/* Unmapped code: every site there is forgotten before any of its users
   lets it go (code tells `unmapped` before `removed`). */
static void unmapped(uint64_t start, uint64_t size) {
  snare_os_global_lock();
  snare_sites_forget(start, size);
  snare_os_global_unlock();
}

SNARE_AT_LOAD static void watch_code(void) {
  static const snare_code_watcher watcher = {.rewritten = rewritten,
                                             .unmapped = unmapped};
  snare_code_watch(&watcher);
}

static int users; /* sessions, hooks and mark hooks; under the global lock */

void snare_traps_use(int delta) { users += delta; }

void snare_traps_release_if_unused(void) {
  if (users == 0) {
    snare_sites_shutdown();
    /* A thread that ran into a trap just removed may not have taken its
       signal yet: every thread passes a signal delivery before snare's
       handlers go. */
    if (snare_os_world_stop(NULL, NULL))
      snare_os_world_resume();
    snare_os_signals_restore();
    snare_os_code_writes_end();
  }
}
