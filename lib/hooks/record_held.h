/*
 * record_held.h - the entries a time filter (snare_record_config's
 * min_duration_ns, uftrace record's -t) holds back: a call's entry is
 * written only once the call proves longer than the filter's time (its
 * exit, or a longer callee's, comes), so short calls leave nothing in
 * the recording. Per thread, used by record_buffer.c alone.
 */
#ifndef SNARE_HOOKS_RECORD_HELD_H
#define SNARE_HOOKS_RECORD_HELD_H

#include <stddef.h>
#include <stdint.h>

#include "internal/hidden.h"

typedef struct snare_record_held snare_record_held;

/* Writes an entry held back: its bytes before its head (markers of its
   own), its kind, its time and the bytes after the head. */
typedef void (*snare_record_held_write)(void *data, const uint8_t *before,
                                        size_t before_n, unsigned kind,
                                        uint64_t time, const uint8_t *after,
                                        size_t after_n);

/* Pages of their own (library code: through snare_arch_call_saving_state);
   NULL when out of memory. */
SNARE_HIDDEN snare_record_held *snare_record_held_new(void);
SNARE_HIDDEN void snare_record_held_free(snare_record_held *held);

/* An entry at `time`; written at once (through `write`, after every
   entry still held) where there is no room to hold it. */
SNARE_HIDDEN void snare_record_held_enter(snare_record_held *held,
                                          const uint8_t *before,
                                          size_t before_n, unsigned kind,
                                          uint64_t time, const uint8_t *after,
                                          size_t after_n,
                                          snare_record_held_write write,
                                          void *data);

/* The exit at `time` of the innermost open call: false when the call
   took at most `min_ns` and its entry was never written (both are left
   out); else its entry and its callers' are written, if not yet, and
   the exit is to be written. */
SNARE_HIDDEN bool snare_record_held_exit(snare_record_held *held,
                                         uint64_t time, uint64_t min_ns,
                                         snare_record_held_write write,
                                         void *data);

#endif
