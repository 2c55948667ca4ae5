/*
 * hook_fallback.c - the names of the reasons a hook is a trap, for
 * profiles that report how many functions fell back and why.
 */
#include "snare.h"

const char *snare_hook_fallback_name(snare_hook_fallback reason) {
  switch (reason) {
  case SNARE_HOOK_JUMP: return "none";
  case SNARE_HOOK_NO_EXTENT: return "function extent unknown";
  case SNARE_HOOK_TOO_SHORT: return "too short";
  case SNARE_HOOK_UNDECODABLE: return "undecodable";
  case SNARE_HOOK_UNRELOCATABLE: return "instruction cannot be relocated";
  case SNARE_HOOK_BRANCH_INTO_WINDOW: return "branch target in patched bytes";
  case SNARE_HOOK_LOOPS_TO_ENTRY: return "loops to entry";
  case SNARE_HOOK_ALTERNATE_ENTRY:
    return "alternate entry from another function";
  case SNARE_HOOK_UNSCANNED: return "module code unreadable";
  case SNARE_HOOK_SITE_IN_WINDOW: return "breakpoint in patched bytes";
  case SNARE_HOOK_NO_TRAMPOLINE_ROOM: return "no trampoline room";
  case SNARE_HOOK_JUMP_TABLE: return "indirect jump in the function";
  }
  return "unknown";
}
