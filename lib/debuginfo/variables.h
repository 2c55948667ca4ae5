/*
 * variables.h - scopes, frames and variables of one object's DWARF, for
 * backtraces and variable access (lib/frames/).
 * Implemented in lib/debuginfo/ (scopes.c, variables.c, location.c,
 * types.c). Addresses are run-time addresses. Like the rest of
 * debuginfo.h, a handle is used by one thread at a time: the controller,
 * or the trapped worker while the controller is blocked.
 */
#ifndef SNARE_INTERNAL_VARIABLES_H
#define SNARE_INTERNAL_VARIABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "debuginfo/debuginfo.h"
#include "internal/hidden.h"
#include "snare.h"

/* The machine state a location expression may use. */
typedef struct snare_frame_state {
  uint64_t pc;  /* the lookup address: pc, or pc-1 in a caller frame */
  uint64_t cfa;
  uint64_t regs[SNARE_REG_COUNT];
  uint32_t valid; /* bit (1u << reg): regs[reg] known */
  uint8_t xmm[16][16];
  uint32_t xmm_valid; /* bit (1u << n): xmm[n] known */
  /* The calling frame and its DWARF, for values at entry
     (DW_OP_entry_value); NULL when not known. */
  const struct snare_frame_state *caller;
  const snare_debuginfo *caller_di;
  /* Whether the function entered at (run-time) entry can never come
     back to itself through tail calls, which gdb asks before trusting a
     value at its entry; NULL: not asked. */
  bool (*no_self_tail_call)(uint64_t entry);
} snare_frame_state;

/* One source-level frame of a physical frame: an inlined call or the
   out-of-line function that hosts them. */
typedef struct snare_debuginfo_frame {
  const char *function; /* NULL when no DWARF function covers pc */
  const char *function_linkage; /* its mangled name, or NULL */
  const char *file;
  unsigned line;
  bool inlined;
  long scope; /* innermost scope of this frame; -1 for none */
} snare_debuginfo_frame;

/*
 * gdb's hidden inline frames: how many of the innermost inlined calls at
 * addr begin there (addr is their entry, or the address before it lies
 * outside them). A stop there shows their caller at the call site, which
 * *call_file and *call_line give (that of the outermost of them).
 */
SNARE_HIDDEN unsigned snare_debuginfo_inline_entries(const snare_debuginfo *di,
                                                     uint64_t addr,
                                                     const char **call_file,
                                                     unsigned *call_line);

/* How deep snare looks into inlined calls at one address. */
#define SNARE_INLINE_DEPTH_MAX 16

/*
 * The source frames at addr, innermost first (inlined calls, then their
 * host). Writes up to cap and returns how many there are; always at
 * least 1 (a frame without a function when DWARF has none).
 */
SNARE_HIDDEN size_t snare_debuginfo_frames_at(const snare_debuginfo *di,
                                              uint64_t addr,
                                              snare_debuginfo_frame *out,
                                              size_t cap);

/* Variables visible from scope, as snare_variable_list describes. */
SNARE_HIDDEN snare_status snare_debuginfo_variables(const snare_debuginfo *di,
                                                    long scope,
                                                    snare_variable_info *out,
                                                    size_t cap, size_t *count);

/* Reads `name` visible from scope in the frame fs; as snare_variable_read. */
SNARE_HIDDEN snare_status
snare_debuginfo_variable_read(const snare_debuginfo *di, long scope,
                              const snare_frame_state *fs, const char *name,
                              const snare_value_options *opts,
                              snare_value **out);

/* Reads the variable `index` of snare_debuginfo_variables' list. */
SNARE_HIDDEN snare_status snare_debuginfo_variable_read_listed(
    const snare_debuginfo *di, long scope, const snare_frame_state *fs,
    size_t index, const snare_value_options *opts, snare_value **out);
/* Locates the variable `index` of that list (one an inner one of its name
   shadows included); as snare_debuginfo_variable_locate. */
SNARE_HIDDEN snare_status snare_debuginfo_variable_locate_listed(
    const snare_debuginfo *di, long scope, const snare_frame_state *fs,
    size_t index, snare_variable_location *out);

/* Where a scalar variable lives, for writing it. */
typedef struct snare_variable_place {
  bool in_register; /* else in memory at address */
  snare_register reg;
  uint64_t address;
  size_t size;
  snare_value_kind kind; /* SIGNED, UNSIGNED, FLOAT, BOOL, POINTER, ENUM */
} snare_variable_place;

/*
 * The place of scalar `name`. NOT_FOUND; UNSUPPORTED for aggregates and
 * for variables not in one register or one memory location.
 */
SNARE_HIDDEN snare_status
snare_debuginfo_variable_place(const snare_debuginfo *di, long scope,
                               const snare_frame_state *fs, const char *name,
                               snare_variable_place *out);

#endif
