/*
 * branch_scan.c - every direct branch and call of a stretch of code, by a
 * linear sweep: how hooks learn that other code (gcc's foo.cold parts,
 * functions sharing a tail) jumps into a function's first bytes. The
 * decoder runs in its minimal mode, which still reports lengths and
 * relative immediates, for speed over whole libraries.
 */
#include "decode.h"

#include "internal/hook_arch.h"

bool snare_arch_direct_branches(uint64_t addr, const uint8_t *code,
                                size_t size,
                                void (*found)(uint64_t from, uint64_t to,
                                              void *arg),
                                void *arg) {
  ZydisDecoder decoder;
  if (ZYAN_FAILED(ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64,
                                   ZYDIS_STACK_WIDTH_64)) ||
      ZYAN_FAILED(ZydisDecoderEnableMode(&decoder, ZYDIS_DECODER_MODE_MINIMAL,
                                         ZYAN_TRUE)))
    return false;
  for (size_t at = 0; at < size;) {
    ZydisDecodedInstruction insn;
    if (ZYAN_FAILED(ZydisDecoderDecodeInstruction(&decoder, NULL, code + at,
                                                  size - at, &insn))) {
      at++; /* padding or data: resynchronise on the next byte */
      continue;
    }
    if (snare_x86_is_relative_branch(&insn))
      found(addr + at, snare_x86_relative_target(&insn, addr + at), arg);
    at += insn.length;
  }
  return true;
}
