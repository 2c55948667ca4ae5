/*
 * trace_buffer.c - the process-wide ring of hook entry/exit events.
 * Writers on any thread claim a slot with one atomic increment and publish
 * it with a sequence number; the reader takes what is published, in order,
 * and counts what was overwritten before it could. Hooks write it between
 * a hooked function and its caller: no vector code (general_regs_only.h).
 */
#include "internal/general_regs_only.h"

#include "hooks/hooks.h"
#include "internal/os.h"

#define TRACE_CAPACITY 65536u

typedef struct trace_slot {
  _Atomic uint64_t sequence; /* index + 1 once written */
  snare_trace_event event;
} trace_slot;

static trace_slot ring[TRACE_CAPACITY];
static _Atomic uint64_t next_write;
static uint64_t next_read; /* the reader's, under the global lock */

void snare_trace_push(const snare_trace_event *event) {
  uint64_t index = atomic_fetch_add(&next_write, 1);
  trace_slot *slot = &ring[index % TRACE_CAPACITY];
  atomic_store_explicit(&slot->sequence, 0, memory_order_relaxed);
  slot->event = *event;
  atomic_store_explicit(&slot->sequence, index + 1, memory_order_release);
}

snare_status snare_trace_read(snare_trace_event *out, size_t cap,
                              size_t *count, uint64_t *dropped) {
  if (count == NULL || (out == NULL && cap > 0))
    return SNARE_INVALID_ARGUMENT;
  snare_os_global_lock();
  uint64_t written = atomic_load(&next_write);
  uint64_t lost = 0;
  if (written - next_read > TRACE_CAPACITY) {
    lost = written - next_read - TRACE_CAPACITY;
    next_read = written - TRACE_CAPACITY;
  }
  size_t n = 0;
  while (n < cap && next_read < written) {
    trace_slot *slot = &ring[next_read % TRACE_CAPACITY];
    uint64_t sequence =
        atomic_load_explicit(&slot->sequence, memory_order_acquire);
    if (sequence != next_read + 1) {
      if (sequence > next_read + 1) { /* overwritten while we read */
        lost++;
        next_read++;
        continue;
      }
      break; /* claimed but not yet written */
    }
    out[n++] = slot->event;
    next_read++;
  }
  snare_os_global_unlock();
  *count = n;
  if (dropped != NULL)
    *dropped = lost;
  return SNARE_OK;
}
