/*
 * record_held.c - entries held back by a recording's time filter (see
 * record_held.h). The open calls of a thread form a stack; those at the
 * bottom are written, the rest are held with their bytes, which lie one
 * after another in an arena from the first one held: a pop frees the
 * last, a write frees them all. Runs between a hooked function and its
 * caller: no vector code, no library calls.
 */
#include "internal/general_regs_only.h"

#include <stdbool.h>

#include "hooks/record_held.h"
#include "internal/os.h"

/* As deep as the hooks' shadow stack (hook_dispatch.c); deeper calls
   are written at once. */
#define HELD_FRAMES 1024
#define HELD_BYTES (256u << 10)

typedef struct held_entry {
  uint64_t time;
  uint32_t offset;   /* of its bytes in the arena: before, then after */
  uint16_t before_n, after_n;
  uint8_t kind;
} held_entry;

struct snare_record_held {
  unsigned open;    /* calls open on the thread (some maybe not kept) */
  unsigned written; /* the bottom ones, whose entries are written */
  held_entry entry[HELD_FRAMES];
  uint8_t bytes[HELD_BYTES];
};

snare_record_held *snare_record_held_new(void) {
  return snare_os_pages_alloc(sizeof(snare_record_held));
}

void snare_record_held_free(snare_record_held *held) {
  if (held != NULL)
    snare_os_pages_free(held, sizeof *held);
}

/* Writes every entry held, oldest first. */
static void write_all(snare_record_held *held, snare_record_held_write write,
                      void *data) {
  unsigned kept = held->open < HELD_FRAMES ? held->open : HELD_FRAMES;
  for (unsigned i = held->written; i < kept; i++) {
    const held_entry *e = &held->entry[i];
    const uint8_t *bytes = held->bytes + e->offset;
    write(data, bytes, e->before_n, e->kind, e->time, bytes + e->before_n,
          e->after_n);
  }
  if (held->written < kept)
    held->written = kept;
}

void snare_record_held_enter(snare_record_held *held, const uint8_t *before,
                             size_t before_n, unsigned kind, uint64_t time,
                             const uint8_t *after, size_t after_n,
                             snare_record_held_write write, void *data) {
  unsigned at = held->open++;
  uint32_t offset = 0;
  if (at < HELD_FRAMES && at > held->written) {
    const held_entry *below = &held->entry[at - 1];
    offset = below->offset + below->before_n + below->after_n;
  }
  if (at >= HELD_FRAMES || offset + before_n + after_n > HELD_BYTES) {
    /* No room: it and its callers are written now. */
    held->open--;
    write_all(held, write, data);
    held->open++;
    write(data, before, before_n, kind, time, after, after_n);
    if (at < HELD_FRAMES) {
      held->entry[at].time = time;
      held->written = at + 1;
    }
    return;
  }
  held_entry *e = &held->entry[at];
  *e = (held_entry){time, offset, (uint16_t)before_n, (uint16_t)after_n,
                    (uint8_t)kind};
  for (size_t i = 0; i < before_n; i++)
    held->bytes[offset + i] = before[i];
  for (size_t i = 0; i < after_n; i++)
    held->bytes[offset + before_n + i] = after[i];
}

bool snare_record_held_exit(snare_record_held *held, uint64_t time,
                            uint64_t min_ns, snare_record_held_write write,
                            void *data) {
  if (held->open == 0)
    return true; /* entered before the recording began */
  unsigned at = held->open - 1;
  if (at < HELD_FRAMES && at >= held->written &&
      time - held->entry[at].time <= min_ns) {
    held->open--;
    return false;
  }
  write_all(held, write, data);
  held->open--;
  if (held->written > held->open)
    held->written = held->open;
  return true;
}
