/*
 * site_batch.c - a thread's batch of code writes (snare_batch_begin/end):
 * the out-of-line slots and traps of the sites it arms are written at
 * the batch's end, all slots first, then all traps, each group with one
 * write per page. A write of /proc/self/mem costs microseconds whatever
 * its length, and thousands of breakpoints share a few dozen pages.
 *
 * Only what arms a new trap waits: a site's other writes (a trap taken
 * away, jumps, rewritten code) and every write of another thread flush
 * the batch first (sites.c), since the fault handler reads a trap byte
 * with no site as the program's own, and a jump's world stop must not
 * allocate. Under the global lock.
 */
#include <stdlib.h>
#include <string.h>

#include "traps/traps.h"

typedef struct pending_slot {
  uint64_t addr;
  size_t n;
  uint8_t code[SNARE_ARCH_SLOT_SIZE];
} pending_slot;

static struct {
  int depth;
  uintptr_t owner;
  pending_slot *slots;
  size_t slot_count, slot_capacity;
  uint64_t *traps;
  size_t trap_count, trap_capacity;
  bool failed; /* a flush failed since the batch began */
} batch;

bool snare_sites_batch_defers(void) {
  return batch.depth > 0 && batch.owner == snare_os_thread_self();
}

/* Room for one more item of size `size` in *items; false if none. */
static bool grow(void **items, size_t count, size_t *capacity, size_t size) {
  if (count < *capacity)
    return true;
  size_t wanted = *capacity ? *capacity * 2 : 256;
  void *grown = realloc(*items, wanted * size);
  if (grown == NULL)
    return false;
  *items = grown;
  *capacity = wanted;
  return true;
}

bool snare_sites_batch_slot(uint64_t slot, const uint8_t *code, size_t n) {
  if (n > SNARE_ARCH_SLOT_SIZE ||
      !grow((void **)&batch.slots, batch.slot_count, &batch.slot_capacity,
            sizeof *batch.slots))
    return false;
  pending_slot *p = &batch.slots[batch.slot_count++];
  p->addr = slot;
  p->n = n;
  memcpy(p->code, code, n);
  return true;
}

bool snare_sites_batch_trap(uint64_t addr) {
  if (!grow((void **)&batch.traps, batch.trap_count, &batch.trap_capacity,
            sizeof *batch.traps))
    return false;
  batch.traps[batch.trap_count++] = addr;
  return true;
}

/* Writes the pending slots, then, if they all were written, the traps
   that lead to them. */
bool snare_sites_batch_flush(void) {
  size_t count = batch.slot_count > batch.trap_count ? batch.slot_count
                                                     : batch.trap_count;
  if (count == 0)
    return true;
  snare_os_code_piece *pieces = malloc(count * sizeof *pieces);
  bool ok = pieces != NULL;
  for (size_t i = 0; ok && i < batch.slot_count; i++)
    pieces[i] = (snare_os_code_piece){.addr = batch.slots[i].addr,
                                      .bytes = batch.slots[i].code,
                                      .n = batch.slots[i].n};
  ok = ok && snare_os_code_write_pieces(pieces, batch.slot_count);
  for (size_t i = 0; ok && i < batch.trap_count; i++)
    pieces[i] = (snare_os_code_piece){.addr = batch.traps[i],
                                      .bytes = snare_arch_trap_instruction,
                                      .n = snare_arch_trap_size};
  ok = ok && snare_os_code_write_pieces(pieces, batch.trap_count);
  free(pieces);
  batch.slot_count = batch.trap_count = 0;
  batch.failed = batch.failed || !ok;
  return ok;
}

snare_status snare_batch_begin(void) {
  snare_os_global_lock();
  snare_status status = SNARE_OK;
  if (batch.depth == 0) {
    batch.owner = snare_os_thread_self();
    batch.failed = false;
  }
  else if (batch.owner != snare_os_thread_self())
    status = SNARE_WRONG_STATE;
  if (status == SNARE_OK)
    batch.depth++;
  snare_os_global_unlock();
  return status;
}

snare_status snare_batch_end(void) {
  snare_os_global_lock();
  snare_status status = SNARE_OK;
  if (!snare_sites_batch_defers())
    status = SNARE_WRONG_STATE;
  else if (--batch.depth == 0 && (!snare_sites_batch_flush() || batch.failed))
    status = SNARE_SYSTEM;
  if (batch.depth == 0) {
    free(batch.slots);
    free(batch.traps);
    batch.slots = NULL;
    batch.traps = NULL;
    batch.slot_capacity = batch.trap_capacity = 0;
  }
  snare_os_global_unlock();
  return status;
}
