/*
 * hook_placement.c - where a function hook's jump may go: the
 * architecture's analysis of the function's own bytes, then what the rest
 * of the module (its direct branches) and snare's own breakpoints allow.
 * Controller side, under the global lock.
 */
#include "code/code.h"
#include "hooks/branch_targets.h"
#include "hooks/hooks.h"
#include "traps/traps.h"

size_t snare_hook_padding_after(uint64_t end) {
  size_t n = 0;
  uint64_t start, size;
  while (n < SNARE_ARCH_MAX_INSTRUCTION &&
         !snare_code_function_containing(end + n, &start, &size, NULL))
    n++;
  return n;
}

snare_hook_fallback snare_hook_place_jump(snare_hook_record *hook,
                                          const uint8_t *code, uint64_t size,
                                          size_t padding,
                                          snare_hook_window *window) {
  snare_arch_hook_prologue(hook->function, code, (size_t)size, padding,
                           window);
  hook->loops_to_entry = window->loops_to_entry;
  if (window->refusal != SNARE_HOOK_JUMP)
    return window->refusal;
  uint64_t from = hook->function + window->offset;
  bool entered = false;
  if (snare_branch_targets_entering(hook->function, size, from + 1,
                                    from + window->length,
                                    &entered) != SNARE_OK)
    return SNARE_HOOK_UNSCANNED;
  if (entered)
    return SNARE_HOOK_ALTERNATE_ENTRY;
  if (snare_sites_any_in(hook->function, window->offset + window->length))
    return SNARE_HOOK_SITE_IN_WINDOW;
  return window->length <= sizeof hook->original ? SNARE_HOOK_JUMP
                                                 : SNARE_HOOK_UNRELOCATABLE;
}
