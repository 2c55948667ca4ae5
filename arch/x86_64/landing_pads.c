/*
 * landing_pads.c - whether code at a pc has exception landing pads: the
 * unwinder sends a thrown exception to addresses inside the function
 * that no branch names, so the bytes a jump replaces there cannot be
 * proven free of them. libunwind finds the function's FDE and its
 * language-specific data (LSDA), which lists the landing pads.
 */
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "internal/unwind.h"

bool snare_arch_has_landing_pads(uint64_t pc) {
  unw_proc_info_t info;
  if (unw_get_proc_info_by_ip(unw_local_addr_space, (unw_word_t)pc, &info,
                              NULL) != 0)
    return false; /* no FDE: nothing can unwind into it */
  return info.lsda != 0;
}
