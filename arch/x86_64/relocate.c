/*
 * relocate.c - the first instructions of a hooked function, moved into
 * its trampoline: where the jump may go (whole instructions, nothing of
 * the function branching into the bytes it replaces), and the moved code
 * itself. Branches are re-encoded for their new place: short forms
 * widened to rel32, or turned into a hop over an absolute jump when the
 * target is out of rel32 reach; branches from the window into the window
 * go to the moved copy. A call in the window (it must end the window)
 * pushes its original return address and jumps, so the callee,
 * backtraces and anything reading the stack see what they would without
 * snare.
 */
#include <string.h>

#include "decode.h"
#include "relocate.h"

#include "internal/arch.h"
#include "internal/hook_arch.h"

/* Every instruction is at least one byte and the last one starts before
   the jump's end. */
#define MAX_MOVED SNARE_ARCH_JUMP_SIZE
#define REL32_JUMP_SIZE 5
/* jmp qword [rip+0] followed by the 8-byte target. */
#define ABSOLUTE_JUMP_SIZE 14
#define REL32_JCC_SIZE 6
#define PUSH_RIP_SIZE 6 /* push qword [rip+disp32] */
#define FUNCTION_ALIGNMENT 16u

typedef enum move_kind {
  MOVE_COPY,        /* position-independent once RIP-relative is rebased */
  MOVE_JUMP,        /* jmp rel8/rel32 */
  MOVE_CONDITIONAL, /* jcc rel8/rel32 */
  MOVE_COUNTED,     /* loop, loope, loopne, jrcxz, jecxz: rel8 only */
  MOVE_CALL_OUT,    /* call rel32: being 5 bytes, it ends the window */
  MOVE_INDIRECT_CALL_OUT /* call r/m ending the window */
} move_kind;

typedef struct moved {
  ZydisDecodedInstruction insn;
  ZydisDecodedOperand operands[ZYDIS_MAX_OPERAND_COUNT];
  const uint8_t *bytes;
  uint64_t address;
  uint64_t target; /* of a relative branch or call */
  move_kind kind;
  size_t at; /* offset of its new code from the start of the moved code */
} moved;

typedef struct window_plan {
  uint64_t from;
  size_t length;
  size_t count;
  moved insns[MAX_MOVED];
} window_plan;

static bool uses_stack_pointer(const ZydisDecodedOperand *op) {
  return op->type == ZYDIS_OPERAND_TYPE_REGISTER
             ? op->reg.value == ZYDIS_REGISTER_RSP
             : op->type == ZYDIS_OPERAND_TYPE_MEMORY &&
                   (op->mem.base == ZYDIS_REGISTER_RSP ||
                    op->mem.index == ZYDIS_REGISTER_RSP);
}

static bool inside(const window_plan *p, uint64_t addr) {
  return addr >= p->from && addr - p->from < p->length;
}

/* How m must move; SNARE_HOOK_JUMP if it can. */
static snare_hook_fallback classify(moved *m, uint64_t window_end) {
  const ZydisDecodedInstruction *insn = &m->insn;
  bool relative = snare_x86_is_relative_branch(insn);
  bool returns_past = m->address + insn->length >= window_end;
  if (relative)
    m->target = snare_x86_relative_target(insn, m->address);
  m->kind = MOVE_COPY;
  switch (insn->meta.category) {
  case ZYDIS_CATEGORY_CALL:
    if (relative) {
      m->kind = MOVE_CALL_OUT;
      return SNARE_HOOK_JUMP;
    }
    /* A thread inside the callee while the jump is written would return
       into the jump's bytes. */
    if (!returns_past)
      return SNARE_HOOK_UNRELOCATABLE;
    /* push the return address, then jmp through the same operand: only
       if the push cannot change what the operand reads */
    if (insn->meta.branch_type == ZYDIS_BRANCH_TYPE_FAR ||
        uses_stack_pointer(&m->operands[0]))
      return SNARE_HOOK_UNRELOCATABLE;
    m->kind = MOVE_INDIRECT_CALL_OUT;
    return SNARE_HOOK_JUMP;
  case ZYDIS_CATEGORY_UNCOND_BR:
    if (relative)
      m->kind = MOVE_JUMP;
    return SNARE_HOOK_JUMP;
  case ZYDIS_CATEGORY_COND_BR:
    switch (insn->mnemonic) {
    case ZYDIS_MNEMONIC_LOOP:
    case ZYDIS_MNEMONIC_LOOPE:
    case ZYDIS_MNEMONIC_LOOPNE:
    case ZYDIS_MNEMONIC_JRCXZ:
    case ZYDIS_MNEMONIC_JECXZ: m->kind = MOVE_COUNTED; break;
    default: m->kind = MOVE_CONDITIONAL; break;
    }
    return relative ? SNARE_HOOK_JUMP : SNARE_HOOK_UNRELOCATABLE;
  default:
    /* xbegin and other relative non-branches */
    return relative ? SNARE_HOOK_UNRELOCATABLE : SNARE_HOOK_JUMP;
  }
}

/* Index of the window instruction at addr, or -1. */
static int instruction_at(const window_plan *p, uint64_t addr) {
  for (size_t i = 0; i < p->count; i++)
    if (p->insns[i].address == addr)
      return (int)i;
  return -1;
}

static bool is_padding(const ZydisDecodedInstruction *insn) {
  return insn->mnemonic == ZYDIS_MNEMONIC_NOP ||
         insn->mnemonic == ZYDIS_MNEMONIC_INT3;
}

/*
 * Decodes whole instructions at from (avail bytes of the function left,
 * then `padding` bytes that may be alignment padding) until they cover a
 * jump, and checks each can move and that branches among them land on
 * instruction starts. The window may reach into the padding only over
 * nop and int3 instructions, which nothing runs.
 */
static snare_hook_fallback plan_window(window_plan *p, uint64_t from,
                                       const uint8_t *bytes, size_t avail,
                                       size_t padding) {
  p->from = from;
  p->count = 0;
  size_t covered = 0;
  while (covered < SNARE_ARCH_JUMP_SIZE) {
    size_t left = avail + padding - covered;
    if (covered >= avail + padding)
      return SNARE_HOOK_TOO_SHORT;
    moved *m = &p->insns[p->count++];
    m->bytes = bytes + covered;
    m->address = from + covered;
    if (!snare_x86_decode(m->bytes, left, &m->insn, m->operands))
      return left < SNARE_ARCH_MAX_INSTRUCTION
                 ? SNARE_HOOK_TOO_SHORT /* runs past the function's end */
                 : SNARE_HOOK_UNDECODABLE;
    bool in_padding = covered >= avail;
    covered += m->insn.length;
    if (in_padding ? !is_padding(&m->insn) : covered > avail)
      return SNARE_HOOK_TOO_SHORT;
  }
  p->length = covered;
  for (size_t i = 0; i < p->count; i++) {
    moved *m = &p->insns[i];
    snare_hook_fallback why = classify(m, from + covered);
    if (why != SNARE_HOOK_JUMP)
      return why;
    bool branch = m->kind != MOVE_COPY;
    if (branch && inside(p, m->target)) {
      if (m->kind == MOVE_CALL_OUT)
        return SNARE_HOOK_UNRELOCATABLE; /* it would push a copy's address */
      if (instruction_at(p, m->target) < 0)
        return SNARE_HOOK_BRANCH_INTO_WINDOW;
    }
  }
  return SNARE_HOOK_JUMP;
}

/* ---- the moved code ---- */

static bool within_rel32(uint64_t target, uint64_t base) {
  uint64_t distance = target > base ? target - base : base - target;
  return distance < (1ull << 31) - SNARE_ARCH_TRAMPOLINE_SIZE;
}

/* Where a branch of the window goes now: the copy, if it stays inside. */
static uint64_t destination(const window_plan *p, uint64_t target,
                            uint64_t base) {
  int i = instruction_at(p, target);
  return i >= 0 ? base + p->insns[i].at : target;
}

static size_t jump_size(uint64_t target, uint64_t base) {
  return within_rel32(target, base) ? REL32_JUMP_SIZE : ABSOLUTE_JUMP_SIZE;
}

/* Bytes m's new code takes, when the moved code starts at base. A branch
   to an instruction of the window goes to its copy, always within rel32
   (the copy's own offsets are not laid out yet when this is asked). */
static size_t moved_size(const window_plan *p, const moved *m, uint64_t base) {
  bool to_copy = m->kind != MOVE_COPY && instruction_at(p, m->target) >= 0;
  uint64_t to = m->kind == MOVE_COPY || to_copy ? base
                                                : destination(p, m->target, base);
  bool near = within_rel32(to, base);
  switch (m->kind) {
  case MOVE_COPY: return m->insn.length;
  case MOVE_JUMP: return jump_size(to, base);
  case MOVE_CONDITIONAL: return near ? REL32_JCC_SIZE : 2 + ABSOLUTE_JUMP_SIZE;
  case MOVE_COUNTED: return m->insn.length + 2 + jump_size(to, base);
  case MOVE_CALL_OUT: return PUSH_RIP_SIZE + jump_size(to, base) + 8;
  case MOVE_INDIRECT_CALL_OUT: return PUSH_RIP_SIZE + m->insn.length + 8;
  }
  return 0;
}

typedef struct cursor {
  uint8_t *start, *next;
  uint64_t base; /* address of start */
} cursor;

static uint64_t pc(const cursor *c) {
  return c->base + (uint64_t)(c->next - c->start);
}

static void put(cursor *c, const void *bytes, size_t n) {
  memcpy(c->next, bytes, n);
  c->next += n;
}

static void put_byte(cursor *c, uint8_t b) { put(c, &b, 1); }

static void put_u64(cursor *c, uint64_t v) { put(c, &v, sizeof v); }

/* The rel32 of a branch whose last byte is written next, to target. */
static void put_rel32(cursor *c, uint64_t target) {
  int32_t rel = (int32_t)(target - (pc(c) + 4));
  put(c, &rel, sizeof rel);
}

static void put_jump(cursor *c, uint64_t target) {
  if (within_rel32(target, c->base)) {
    put_byte(c, 0xE9);
    put_rel32(c, target);
  } else {
    put(c, "\xFF\x25\x00\x00\x00\x00", 6); /* jmp [rip+0] */
    put_u64(c, target);
  }
}

/* push qword [rip+skip]: the word `skip` bytes after this instruction. */
static void put_push_rip(cursor *c, uint32_t skip) {
  put(c, "\xFF\x35", 2);
  put(c, &skip, sizeof skip);
}

static bool put_moved(cursor *c, const window_plan *p, const moved *m) {
  const ZydisDecodedInstruction *insn = &m->insn;
  uint64_t to = m->kind == MOVE_COPY ? 0 : destination(p, m->target, c->base);
  bool near = within_rel32(to, c->base);
  uint8_t cc = insn->opcode & 0x0F; /* 7x and 0F 8x share the cc nibble */
  uint64_t back = m->address + insn->length;
  switch (m->kind) {
  case MOVE_COPY:
    if (!snare_x86_rebase(insn, m->operands, m->bytes, m->address, pc(c),
                          c->next))
      return false;
    c->next += insn->length;
    return true;
  case MOVE_JUMP:
    put_jump(c, to);
    return true;
  case MOVE_CONDITIONAL:
    if (near) {
      put_byte(c, 0x0F);
      put_byte(c, (uint8_t)(0x80 | cc));
      put_rel32(c, to);
    } else { /* the opposite condition hops over an absolute jump */
      put_byte(c, (uint8_t)(0x70 | (cc ^ 1)));
      put_byte(c, ABSOLUTE_JUMP_SIZE);
      put_jump(c, to);
    }
    return true;
  case MOVE_COUNTED: /* loop taken; jmp short not_taken; taken: jmp to */
    put(c, m->bytes, insn->length);
    c->next[-1] = 2;
    put_byte(c, 0xEB);
    put_byte(c, (uint8_t)jump_size(to, c->base));
    put_jump(c, to);
    return true;
  case MOVE_CALL_OUT:
    put_push_rip(c, (uint32_t)jump_size(to, c->base));
    put_jump(c, to);
    put_u64(c, back);
    return true;
  case MOVE_INDIRECT_CALL_OUT: /* push back; jmp through the operand */
    put_push_rip(c, insn->length);
    if (!snare_x86_rebase(insn, m->operands, m->bytes, m->address, pc(c),
                          c->next))
      return false;
    c->next[insn->raw.modrm.offset] =
        (uint8_t)((c->next[insn->raw.modrm.offset] & ~0x38) | (4 << 3));
    c->next += insn->length; /* FF /2 became FF /4 */
    put_u64(c, back);
    return true;
  }
  return false;
}

size_t snare_x86_relocate(uint8_t *buf, size_t cap, uint64_t at,
                          uint64_t from, const uint8_t *original,
                          size_t length, size_t *placed) {
  window_plan p;
  if (plan_window(&p, from, original, length, 0) != SNARE_HOOK_JUMP ||
      p.length != length)
    return 0;
  /* Lay out first: branches inside the window go forward too. */
  size_t total = 0;
  for (size_t i = 0; i < p.count; i++) {
    p.insns[i].at = total;
    total += moved_size(&p, &p.insns[i], at);
  }
  total += jump_size(from + length, at);
  if (total > cap)
    return 0;
  for (size_t k = 0; placed != NULL && k < length; k++)
    placed[k] = SIZE_MAX;
  for (size_t i = 0; placed != NULL && i < p.count; i++)
    placed[p.insns[i].address - from] = p.insns[i].at;
  cursor c = {buf, buf, at};
  for (size_t i = 0; i < p.count; i++)
    if (!put_moved(&c, &p, &p.insns[i]))
      return 0;
  put_jump(&c, from + length);
  return total;
}

/* ---- where the jump may go ---- */

/* Bytes of an entry marker that must stay at the function's address:
   endbr64, where indirect branches land under CET. */
static size_t entry_marker(const uint8_t *code, size_t size) {
  ZydisDecodedInstruction insn;
  ZydisDecodedOperand operands[ZYDIS_MAX_OPERAND_COUNT];
  return snare_x86_decode(code, size, &insn, operands) &&
                 insn.mnemonic == ZYDIS_MNEMONIC_ENDBR64
             ? insn.length
             : 0;
}

/*
 * Every direct branch of the function: into the window past its first
 * byte is refused (the jump's bytes would be run from the middle); a jump
 * to the entry (the function's address or the jump) is a loop to entry,
 * which the hook would count as a call. A recursive call is a call.
 */
static snare_hook_fallback check_branches(uint64_t fn, const uint8_t *code,
                                          size_t size, const window_plan *p,
                                          bool *loops_to_entry) {
  for (size_t at = 0; at < size;) {
    ZydisDecodedInstruction insn;
    ZydisDecodedOperand operands[ZYDIS_MAX_OPERAND_COUNT];
    if (!snare_x86_decode(code + at, size - at, &insn, operands))
      return SNARE_HOOK_UNDECODABLE; /* cannot prove the window is safe */
    if (snare_x86_is_relative_branch(&insn)) {
      uint64_t target = snare_x86_relative_target(&insn, fn + at);
      if (target == fn || target == p->from)
        *loops_to_entry |= insn.meta.category != ZYDIS_CATEGORY_CALL;
      else if (inside(p, target) && !inside(p, fn + at))
        return SNARE_HOOK_BRANCH_INTO_WINDOW;
    }
    at += insn.length;
  }
  return *loops_to_entry ? SNARE_HOOK_LOOPS_TO_ENTRY : SNARE_HOOK_JUMP;
}

/* Bytes of the padding after a function that compilers align functions
   past: gcc and clang start each at a multiple of 16 (.p2align 4). */
static size_t alignment_padding(uint64_t end, size_t readable) {
  size_t to_boundary = (size_t)(-end % FUNCTION_ALIGNMENT);
  return readable < to_boundary ? readable : to_boundary;
}

snare_status snare_arch_hook_prologue(uint64_t fn, const uint8_t *code,
                                      size_t size, size_t padding,
                                      snare_hook_window *out) {
  memset(out, 0, sizeof *out);
  out->offset = entry_marker(code, size);
  window_plan p;
  out->refusal = plan_window(&p, fn + out->offset, code + out->offset,
                             size - out->offset,
                             alignment_padding(fn + size, padding));
  if (out->refusal == SNARE_HOOK_JUMP) {
    out->length = p.length;
    out->refusal = check_branches(fn, code, size, &p, &out->loops_to_entry);
  }
  return out->refusal == SNARE_HOOK_JUMP ? SNARE_OK : SNARE_UNSUPPORTED;
}

/* An indirect jump of the function (through a register or memory, as a
   jump table's is); bytes that do not decode count as one. */
static bool jumps_indirectly(const uint8_t *code, size_t size) {
  for (size_t at = 0; at < size;) {
    ZydisDecodedInstruction insn;
    ZydisDecodedOperand operands[ZYDIS_MAX_OPERAND_COUNT];
    if (!snare_x86_decode(code + at, size - at, &insn, operands))
      return true;
    if (insn.meta.category == ZYDIS_CATEGORY_UNCOND_BR &&
        !snare_x86_is_relative_branch(&insn))
      return true;
    at += insn.length;
  }
  return false;
}

snare_status snare_arch_site_window(uint64_t fn, const uint8_t *code,
                                    size_t size, size_t offset,
                                    snare_hook_window *out) {
  memset(out, 0, sizeof *out);
  out->offset = offset;
  window_plan p;
  out->refusal = offset < size ? plan_window(&p, fn + offset, code + offset,
                                             size - offset, 0)
                               : SNARE_HOOK_TOO_SHORT;
  if (out->refusal == SNARE_HOOK_JUMP) {
    out->length = p.length;
    /* A branch to the site itself reaches the jump: the breakpoint is
       hit, as it would be at a trap. */
    bool to_entry = false;
    out->refusal = check_branches(fn, code, size, &p, &to_entry);
    if (out->refusal == SNARE_HOOK_LOOPS_TO_ENTRY)
      out->refusal = SNARE_HOOK_JUMP;
  }
  if (out->refusal == SNARE_HOOK_JUMP && jumps_indirectly(code, size))
    out->refusal = SNARE_HOOK_JUMP_TABLE;
  return out->refusal == SNARE_HOOK_JUMP ? SNARE_OK : SNARE_UNSUPPORTED;
}

size_t snare_arch_relocate(uint8_t *buf, size_t cap, uint64_t at,
                           uint64_t from, const uint8_t *original,
                           size_t length, size_t *placed) {
  return snare_x86_relocate(buf, cap, at, from, original, length, placed);
}
