/*
 * disassemble.c - one x86-64 instruction as Intel-syntax text, with
 * Zydis's decoder and formatter. Hex is lower-case and addresses are not
 * padded, as gdb shows them; relative branch targets come out absolute
 * because the run-time address is passed along.
 */
#include <Zydis/Zydis.h>

#include "internal/disassembler.h"

snare_status snare_arch_disassemble(uint64_t addr, const uint8_t *bytes,
                                    size_t avail, char *text, size_t cap,
                                    size_t *length) {
  ZydisDecoder decoder;
  ZydisFormatter formatter;
  ZydisDecodedInstruction insn;
  ZydisDecodedOperand operands[ZYDIS_MAX_OPERAND_COUNT];
  if (ZYAN_FAILED(ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64,
                                   ZYDIS_STACK_WIDTH_64)) ||
      ZYAN_FAILED(ZydisFormatterInit(&formatter, ZYDIS_FORMATTER_STYLE_INTEL)) ||
      ZYAN_FAILED(ZydisFormatterSetProperty(
          &formatter, ZYDIS_FORMATTER_PROP_HEX_UPPERCASE, ZYAN_FALSE)) ||
      ZYAN_FAILED(ZydisFormatterSetProperty(
          &formatter, ZYDIS_FORMATTER_PROP_ADDR_PADDING_ABSOLUTE,
          ZYDIS_PADDING_DISABLED)))
    return SNARE_UNSUPPORTED;
  if (ZYAN_FAILED(
          ZydisDecoderDecodeFull(&decoder, bytes, avail, &insn, operands)))
    return SNARE_UNDECODABLE;
  if (ZYAN_FAILED(ZydisFormatterFormatInstruction(
          &formatter, &insn, operands, insn.operand_count_visible, text, cap,
          addr, NULL)))
    return SNARE_UNSUPPORTED; /* only when text is too small */
  *length = insn.length;
  return SNARE_OK;
}
