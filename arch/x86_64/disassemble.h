/*
 * disassemble.h - what the two syntaxes of x86-64 disassembly share.
 *
 * Both spell instructions as GNU binutils 2.40 (objdump, gdb 13) does,
 * from Zydis's decoded operands: disassemble.c decides which operands
 * binutils shows and in which (Intel) order, with their EVEX decorations
 * (write mask, rounding), lays the line out (prefixes, mnemonic padded to
 * 6 columns then a space, operands joined by ",", the rip-relative
 * comment) and spells registers, immediates and EVEX decorations;
 * disassemble_names.c names the mnemonic and disassemble_prefixes.c the
 * prefixes as both syntaxes do; disassemble_att.c and disassemble_intel.c
 * spell the mnemonic's suffixes and memory operands.
 */
#ifndef SNARE_ARCH_X86_64_DISASSEMBLE_H
#define SNARE_ARCH_X86_64_DISASSEMBLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <Zydis/Zydis.h>

#include "internal/hidden.h"

/* Text being written into a caller's buffer; used == cap once truncated. */
typedef struct {
  char *text;
  size_t cap;
  size_t used;
} snare_x86_text;

SNARE_HIDDEN void snare_x86_append(snare_x86_text *out, const char *format,
                                   ...) __attribute__((format(printf, 2, 3)));

/* One decoded instruction as binutils shows it. */
typedef struct {
  const ZydisDecodedInstruction *insn;
  const ZydisDecodedOperand *operands; /* Zydis's, hidden ones too */
  const uint8_t *bytes;                /* its insn->length bytes */
  uint64_t addr;                       /* where it runs */
  bool waits; /* an fwait (9b) before it makes one instruction with it */
  /* the operands binutils shows, destination first */
  const ZydisDecodedOperand *shown[ZYDIS_MAX_OPERAND_COUNT];
  unsigned count;
  ZydisRegister mask; /* EVEX write mask of shown[0]; NONE for k0 */
  bool zeroing;       /* ... with {z} */
  /* EVEX "rn-sae", "sae"... after shown[rounded]; NULL if none */
  const char *rounding;
  unsigned rounded;
  /* the mnemonic both syntaxes spell alike: GNU condition names, the
     pseudo-ops of predicates; true when it stands for the immediate */
  char name[32];
  bool pseudo_op;
} snare_x86_view;

/* How one syntax spells what the view holds. */
typedef struct {
  const char *register_sigil; /* "%" or "" */
  bool reversed;              /* sources first (AT&T) */
  const char *shift_count;    /* the 1 of d0/d1 shifts; NULL: unshown */
  bool branch_hints;          /* jcc's 2e/3e as ",pn"/",pt" (AT&T) */
  bool rounding_first;        /* "{rn-sae}," before the operand (AT&T),
                                 not "zmm2{rn-sae}" after it */
  /* appends the mnemonic (view->name and the syntax's own suffixes) */
  void (*mnemonic)(snare_x86_text *out, const snare_x86_view *view);
  const char *immediate_sigil; /* "$" or "" */
  const char *indirect_mark;   /* before an indirect branch's target */
  const char *port;            /* in's and out's dx; NULL: as a register */
  /* appends a memory operand (disassemble.c adds the EVEX decorations) */
  void (*memory)(snare_x86_text *out, const snare_x86_view *view,
                 const ZydisDecodedOperand *operand);
} snare_x86_syntax;

SNARE_HIDDEN extern const snare_x86_syntax snare_x86_att_syntax;
SNARE_HIDDEN extern const snare_x86_syntax snare_x86_intel_syntax;

/* Appends the prefixes binutils names before view's mnemonic, each
   followed by a space (disassemble_prefixes.c). */
SNARE_HIDDEN void snare_x86_append_prefixes(snare_x86_text *out,
                                            const snare_x86_view *view,
                                            const snare_x86_syntax *syntax);

/* If bytes start with a REX before another prefix, binutils' one-byte
   instruction of its own ("rex.WR"): appends its name, returns true. */
SNARE_HIDDEN bool snare_x86_append_lone_rex(snare_x86_text *out,
                                            const uint8_t *bytes,
                                            size_t avail);

/* Fills view->name and view->pseudo_op (disassemble_names.c). */
SNARE_HIDDEN void snare_x86_name(snare_x86_view *view);

/* True for the string instructions (movs, stos, ins, outs...), whose
   operands binutils shows and Zydis hides. */
SNARE_HIDDEN bool snare_x86_is_string(const ZydisDecodedInstruction *insn);

/* True for a far jmp, call or ret (ljmp, lcall, lret in AT&T). */
SNARE_HIDDEN bool snare_x86_is_far(const ZydisDecodedInstruction *insn);

/* True for call, jmp and jcc. */
SNARE_HIDDEN bool snare_x86_is_branch(const ZydisDecodedInstruction *insn);

/* A register in the syntax's sigil; the x87 stack's top is "st", or
   "st(0)" where the ModRM byte names it (`operand`, NULL if implicit). */
SNARE_HIDDEN void snare_x86_append_register(
    snare_x86_text *out, const snare_x86_syntax *syntax, ZydisRegister reg,
    const ZydisDecodedOperand *operand);

/* The index binutils shows for a memory operand: Zydis's, or "riz" (or
   "eiz") where a SIB byte names none but the base alone would need no SIB
   ("(%rax,%riz,1)"); NULL if none. *scale receives its scale. */
SNARE_HIDDEN const char *snare_x86_index(const snare_x86_view *view,
                                         const ZydisDecodedOperand *operand,
                                         unsigned *scale);

/* Whether binutils names operand's segment register ("%fs:0x28",
   "es:[rdi]"): fs and gs, and a string instruction's (Intel also names
   ds: of an absolute address). */
SNARE_HIDDEN bool snare_x86_shows_segment(const snare_x86_view *view,
                                          const ZydisDecodedOperand *operand);

#endif
