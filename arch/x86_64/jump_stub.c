/*
 * jump_stub.c - the x86-64 pieces of library-call stubs (lib/code/
 * plt_stubs.c): the relocation type of a PLT slot, and a stub that
 * jumps to a fixed address, led by a 5-byte no-op so that a hook's jump
 * replaces one whole instruction that needs no relocation.
 */
#include <string.h>

#include "internal/arch.h"

const unsigned snare_arch_jump_slot_relocation = 7; /* R_X86_64_JUMP_SLOT */

size_t snare_arch_jump_stub(uint8_t out[SNARE_ARCH_JUMP_STUB_SIZE],
                            uint64_t target) {
  static const uint8_t code[] = {
      0x0f, 0x1f, 0x44, 0x00, 0x00,       /* nopl 0(%rax,%rax) */
      0xff, 0x25, 0x00, 0x00, 0x00, 0x00, /* jmp *0(%rip): the next word */
  };
  memcpy(out, code, sizeof code);
  memcpy(out + sizeof code, &target, sizeof target);
  return sizeof code + sizeof target;
}
