/*
 * disassemble.c - one x86-64 instruction as Intel-syntax text, with Zydis.
 * Relative branch targets are formatted as absolute addresses because the
 * run-time address is passed along.
 */
#include <stdio.h>

#include <Zydis/Zydis.h>

#include "internal/disassembler.h"

snare_status snare_arch_disassemble(uint64_t addr, const uint8_t *bytes,
                                    size_t avail, char *text, size_t cap,
                                    size_t *length) {
  ZydisDisassembledInstruction insn;
  if (ZYAN_FAILED(ZydisDisassembleIntel(ZYDIS_MACHINE_MODE_LONG_64, addr,
                                        bytes, avail, &insn)))
    return SNARE_UNDECODABLE;
  snprintf(text, cap, "%s", insn.text);
  *length = insn.info.length;
  return SNARE_OK;
}
