/*
 * variables_private.h - what the files reading variables share within
 * lib/debuginfo/: finding a variable's DIE from a scope, evaluating its
 * location, and decoding its type into a snare_value.
 */
#ifndef SNARE_DEBUGINFO_VARIABLES_PRIVATE_H
#define SNARE_DEBUGINFO_VARIABLES_PRIVATE_H

#include "debuginfo/variables.h"
#include "private.h"

/* A variable found in a scope chain. DIEs are released by di_var_done. */
typedef struct di_var {
  Dwarf_Die die;      /* the concrete DIE: location, const value */
  Dwarf_Die origin;   /* its abstract origin (name, type), or NULL */
  Dwarf_Die function; /* the out-of-line subprogram: frame base */
  const char *name;
  bool is_param;
} di_var;

/*
 * Calls visit for each variable visible from scope, innermost block
 * first, parameters of the function in order before its locals; stops
 * when visit returns false. The di_var passed is valid during the call.
 */
typedef bool (*di_var_visit)(const di_var *var, void *arg);
void di_vars_each(const snare_debuginfo *di, long scope, di_var_visit visit,
                  void *arg) SNARE_HIDDEN;

/* Finds `name` from scope; on true the caller calls di_var_done. */
bool di_var_find(const snare_debuginfo *di, long scope, const char *name,
                 di_var *out) SNARE_HIDDEN;
/* The variable `index` of the list di_vars_each walks from scope (an
   outer one an inner one of its name shadows included). */
bool di_var_find_listed(const snare_debuginfo *di, long scope, size_t index,
                        di_var *out) SNARE_HIDDEN;
void di_var_done(const snare_debuginfo *di, di_var *var) SNARE_HIDDEN;

/* The hash gdb files a symbol named name under (symbol_hash.c). */
unsigned di_symbol_hash(const char *name) SNARE_HIDDEN;


/* Where a value is: one location, or pieces of several. */
typedef enum di_loc_kind {
  DI_LOC_MEMORY,   /* at address */
  DI_LOC_REGISTER, /* in a general register or xmm register */
  DI_LOC_VALUE,    /* computed: value (DW_OP_stack_value, implicit) */
  /* DW_OP_implicit_pointer: a pointer that has no value, to the object
     the DIE at address describes, value bytes into it */
  DI_LOC_IMPLICIT_POINTER,
  DI_LOC_OPTIMIZED_OUT
} di_loc_kind;

typedef struct di_piece {
  di_loc_kind kind;
  uint64_t address;
  int dwarf_reg; /* DWARF register number */
  uint64_t value;
  const uint8_t *bytes; /* DW_OP_implicit_value's block, else NULL */
  size_t size;          /* bytes; 0 for "the whole object" */
} di_piece;

#define DI_MAX_PIECES 8

typedef struct di_loc {
  di_piece pieces[DI_MAX_PIECES];
  size_t count; /* 1 unless the expression had DW_OP_piece */
} di_loc;

/*
 * Evaluates the location of var at fs->pc. Anything it cannot compute
 * (no location at pc, DW_OP_entry_value, an unknown register) gives a
 * single OPTIMIZED_OUT piece.
 */
void di_var_location(const snare_debuginfo *di, const di_var *var,
                     const snare_frame_state *fs, di_loc *out) SNARE_HIDDEN;

/* The value of parameter var at its function's entry (gdb's `var@entry`),
   or a single OPTIMIZED_OUT piece when the caller does not tell it. */
void di_var_entry_location(const snare_debuginfo *di, const di_var *var,
                           const snare_frame_state *fs,
                           di_loc *out) SNARE_HIDDEN;

/*
 * Copies size bytes of the located value into buf. False when a register
 * is unknown in this frame or memory unreadable (*unreadable then says
 * which).
 */
bool di_loc_read(const di_loc *loc, const snare_frame_state *fs, uint8_t *buf,
                 size_t size, bool *unreadable) SNARE_HIDDEN;

/* snare register for a DWARF x86-64 register number, or -1. */
int di_dwarf_register(int dwarf_reg) SNARE_HIDDEN;

/* Byte size of a type DIE (typedefs and qualifiers followed); 0 if unknown. */
size_t di_type_size(Dwarf_Debug dbg, Dwarf_Die type) SNARE_HIDDEN;

/*
 * Decodes size bytes at buf (which lived at address, 0 if not in memory)
 * as type into *out (whose name the caller has set); allocates strings
 * and children. depth counts levels left. False on no memory.
 */
bool di_value_decode(Dwarf_Debug dbg, Dwarf_Die type, const uint8_t *buf,
                     size_t size, uint64_t address,
                     const snare_value_options *opts, unsigned depth,
                     snare_value *out) SNARE_HIDDEN;

/* The value kind of a scalar type, or SNARE_VALUE_OTHER for the rest. */
snare_value_kind di_scalar_kind(Dwarf_Debug dbg, Dwarf_Die type) SNARE_HIDDEN;

#endif
