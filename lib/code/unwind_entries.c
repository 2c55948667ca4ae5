/*
 * unwind_entries.c - function ranges from an object's .eh_frame, read
 * with libdwarf (dwarf_get_fde_list_eh works on stripped objects: the
 * unwind table is kept by strip, since exceptions and backtraces need it).
 *
 * Whether an FDE starts a function is decided from its call-frame
 * instructions, not from the architecture: at a function's entry nothing
 * has been pushed yet, so the frame is exactly the one its CIE's initial
 * instructions describe, and the FDE's own instructions begin by
 * advancing past the entry. A piece entered by a jump inside another
 * frame (gcc's foo.cold, the PLT) restates the frame before advancing.
 */
#include <libdwarf/dwarf.h>
#include <libdwarf/libdwarf.h>
#include <stdlib.h>

#include "code/unwind_entries.h"
#include "debuginfo/debuginfo.h"
#include "internal/loader.h"

/* See lib/debuginfo/debuginfo.c: a handler keeps libdwarf from aborting
   on errors; failed calls mean "not there". */
static void ignore_error(Dwarf_Error err, Dwarf_Ptr arg) {
  (void)err;
  (void)arg;
}

/* The high two bits of a primary call-frame opcode; DW_CFA_advance_loc
   is primary opcode 1 in them. */
enum { PRIMARY_ADVANCE_LOC = 1 };

static bool advances(const Dwarf_Frame_Op *op) {
  if (op->fp_base_op == PRIMARY_ADVANCE_LOC)
    return true;
  return op->fp_base_op == 0 &&
         (op->fp_extended_op == DW_CFA_advance_loc1 ||
          op->fp_extended_op == DW_CFA_advance_loc2 ||
          op->fp_extended_op == DW_CFA_advance_loc4 ||
          op->fp_extended_op == DW_CFA_MIPS_advance_loc8);
}

typedef enum first_rule {
  RULES_NONE,     /* no rule before the first advance (or no rule) */
  RULES_CHANGED,  /* some rule changes at the initial location */
  RULES_UNREADABLE
} first_rule;

/* What the instructions do before their first advance; undefined_ra:
   whether they make the return address column undefined. */
static first_rule rules_before_advance(Dwarf_Debug dbg, Dwarf_Cie cie,
                                       Dwarf_Ptr bytes, Dwarf_Unsigned length,
                                       Dwarf_Half ra_column,
                                       bool *undefined_ra) {
  Dwarf_Frame_Op *ops = NULL;
  Dwarf_Signed n = 0;
  if (length == 0)
    return RULES_NONE;
  if (dwarf_expand_frame_instructions(cie, bytes, length, &ops, &n, NULL) !=
      DW_DLV_OK)
    return RULES_UNREADABLE;
  first_rule rule = RULES_NONE;
  for (Dwarf_Signed i = 0; i < n && !advances(&ops[i]); i++) {
    bool nop = ops[i].fp_base_op == 0 && ops[i].fp_extended_op == DW_CFA_nop;
    if (ops[i].fp_base_op == 0 && ops[i].fp_extended_op == DW_CFA_undefined &&
        ops[i].fp_register == ra_column)
      *undefined_ra = true;
    if (!nop)
      rule = RULES_CHANGED;
  }
  dwarf_dealloc(dbg, ops, DW_DLA_FRAME_BLOCK);
  return rule;
}

static bool starts_function(Dwarf_Debug dbg, Dwarf_Fde fde) {
  Dwarf_Cie cie = NULL;
  Dwarf_Ptr cie_bytes = NULL, fde_bytes = NULL;
  Dwarf_Unsigned cie_length = 0, fde_length = 0, bytes_in_cie = 0, caf = 0;
  Dwarf_Signed daf = 0;
  Dwarf_Small version = 0;
  Dwarf_Half ra_column = 0, offset_size = 0;
  char *augmentation = NULL;
  if (dwarf_get_cie_of_fde(fde, &cie, NULL) != DW_DLV_OK ||
      dwarf_get_cie_info_b(cie, &bytes_in_cie, &version, &augmentation, &caf,
                           &daf, &ra_column, &cie_bytes, &cie_length,
                           &offset_size, NULL) != DW_DLV_OK ||
      dwarf_get_fde_instr_bytes(fde, &fde_bytes, &fde_length, NULL) !=
          DW_DLV_OK)
    return false;
  bool undefined_ra = false;
  if (rules_before_advance(dbg, cie, cie_bytes, cie_length, ra_column,
                           &undefined_ra) == RULES_UNREADABLE)
    return false;
  return rules_before_advance(dbg, cie, fde_bytes, fde_length, ra_column,
                              &undefined_ra) == RULES_NONE &&
         !undefined_ra;
}

static int by_start(const void *a, const void *b) {
  const snare_unwind_range *x = a, *y = b;
  return (x->start > y->start) - (x->start < y->start);
}

snare_status snare_unwind_ranges_read(const char *path,
                                      snare_unwind_range **out,
                                      size_t *count) {
  *out = NULL;
  *count = 0;
  Dwarf_Debug dbg = NULL;
  Dwarf_Error err = NULL;
  /* out of the program's range; .debug_frame may be zstd's */
  int fd = snare_debuginfo_dwarf_file_open(path);
  if (fd < 0)
    return SNARE_OK;
  int rc = dwarf_init_b(fd, DW_DLC_READ, DW_GROUPNUMBER_ANY, ignore_error,
                        NULL, &dbg, &err);
  if (rc != DW_DLV_OK) {
    if (rc == DW_DLV_ERROR)
      dwarf_dealloc(NULL, err, DW_DLA_ERROR);
    snare_os_file_close(fd);
    return SNARE_OK;
  }
  Dwarf_Cie *cies = NULL;
  Dwarf_Fde *fdes = NULL;
  Dwarf_Signed cie_count = 0, fde_count = 0;
  snare_status status = SNARE_OK;
  if (dwarf_get_fde_list_eh(dbg, &cies, &cie_count, &fdes, &fde_count,
                            NULL) == DW_DLV_OK) {
    snare_unwind_range *ranges =
        malloc((fde_count > 0 ? (size_t)fde_count : 1) * sizeof *ranges);
    if (ranges == NULL)
      status = SNARE_NO_MEMORY;
    size_t n = 0;
    for (Dwarf_Signed i = 0; ranges != NULL && i < fde_count; i++) {
      Dwarf_Addr low = 0;
      Dwarf_Unsigned length = 0;
      if (dwarf_get_fde_range(fdes[i], &low, &length, NULL, NULL, NULL, NULL,
                              NULL, NULL) != DW_DLV_OK ||
          length == 0)
        continue;
      ranges[n++] = (snare_unwind_range){
          .start = low, .size = length, .entry = starts_function(dbg, fdes[i])};
    }
    if (ranges != NULL)
      qsort(ranges, n, sizeof *ranges, by_start);
    *out = ranges;
    *count = n;
    dwarf_fde_cie_list_dealloc(dbg, cies, cie_count, fdes, fde_count);
  }
  dwarf_finish(dbg, NULL);
  snare_os_file_close(fd);
  return status;
}
