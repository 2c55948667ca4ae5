/*
 * condition_program.c - snare_condition_program_run: a C condition
 * lowered to a stack program (snare.h, "Native condition programs"),
 * run on the thread that hit the breakpoint. Every step works on 64-bit
 * words; the program carries the conversions C's types call for, so
 * the evaluator knows widths only where an operation needs them (a
 * load, a wrap, a shift, a division). Memory is read fault-safe, with
 * no system call when it is readable; nothing allocates.
 */
#include <string.h>

#include "frames/condition_program.h"
#include "internal/os.h"

static const char *const op_names[] = {
#define SNARE_CONDITION_OP_NAME(code) #code,
    SNARE_CONDITION_OP_LIST(SNARE_CONDITION_OP_NAME)
#undef SNARE_CONDITION_OP_NAME
};

const char *snare_condition_op_name(int op) {
  return op >= 0 && op < SNARE_CONDITION_OP_COUNT ? op_names[op] : NULL;
}

/* v as a value of size bytes: sign- or zero-extended from its low bytes. */
static uint64_t wrap(uint64_t v, unsigned size, bool is_signed) {
  if (size == 0 || size >= 8)
    return v;
  unsigned shift = 64 - 8 * size;
  return is_signed ? (uint64_t)((int64_t)(v << shift) >> shift)
                   : (v << shift) >> shift;
}

/* C's truncating quotient or remainder; the most negative number over
   -1 gives itself (remainder 0), as the Lua evaluator's divide. */
static uint64_t divide(uint64_t a, uint64_t b, bool is_signed,
                       bool remainder) {
  if (is_signed) {
    int64_t x = (int64_t)a, y = (int64_t)b;
    if (x == INT64_MIN && y == -1)
      return remainder ? 0 : a;
    return (uint64_t)(remainder ? x % y : x / y);
  }
  return remainder ? a % b : a / b;
}

static uint64_t shift(uint64_t x, uint64_t count, const snare_condition_step *s,
                      bool left) {
  unsigned bits = s->size == 0 || s->size > 8 ? 64 : 8u * s->size;
  int64_t n = (int64_t)count;
  if (n < 0 || n >= (int64_t)bits)
    return 0;
  if (left)
    return wrap(x << n, s->size, s->is_signed);
  if (s->is_signed)
    return (uint64_t)((int64_t)x >> n);
  return wrap(x, s->size, false) >> n;
}

static bool less(uint64_t a, uint64_t b, bool is_signed) {
  return is_signed ? (int64_t)a < (int64_t)b : a < b;
}

/* The binary operators: pop b, then a, push a OP b. False: a division
   by zero. */
static bool binary(const snare_condition_step *s, uint64_t a, uint64_t b,
                   uint64_t *out) {
  switch (s->op) {
  case SNARE_CONDITION_ADD: *out = a + b; break;
  case SNARE_CONDITION_SUBTRACT: *out = a - b; break;
  case SNARE_CONDITION_MULTIPLY: *out = a * b; break;
  case SNARE_CONDITION_DIVIDE:
  case SNARE_CONDITION_REMAINDER:
    if (b == 0)
      return false;
    *out = divide(a, b, s->is_signed, s->op == SNARE_CONDITION_REMAINDER);
    break;
  case SNARE_CONDITION_SHIFT_LEFT: *out = shift(a, b, s, true); break;
  case SNARE_CONDITION_SHIFT_RIGHT: *out = shift(a, b, s, false); break;
  case SNARE_CONDITION_AND: *out = a & b; break;
  case SNARE_CONDITION_OR: *out = a | b; break;
  case SNARE_CONDITION_XOR: *out = a ^ b; break;
  case SNARE_CONDITION_EQUAL: *out = a == b; break;
  case SNARE_CONDITION_NOT_EQUAL: *out = a != b; break;
  case SNARE_CONDITION_LESS: *out = less(a, b, s->is_signed); break;
  case SNARE_CONDITION_LESS_EQUAL: *out = !less(b, a, s->is_signed); break;
  case SNARE_CONDITION_GREATER: *out = less(b, a, s->is_signed); break;
  default: *out = !less(a, b, s->is_signed); break; /* GREATER_EQUAL */
  }
  return true;
}

bool snare_condition_word(const snare_value *v, uint64_t *out) {
  if (v->kind == SNARE_VALUE_FLOAT)
    return false;
  *out = v->kind == SNARE_VALUE_SIGNED ? (uint64_t)v->i : v->u;
  return true;
}

/* The public reader: a name's compiled read in the frame. */
static snare_status frame_variable(void *frame, const char *name,
                                   size_t index, uint64_t *out) {
  (void)index;
  snare_value v;
  return frame != NULL &&
                 snare_frame_variable_scalar(frame, name, &v) == SNARE_OK &&
                 snare_condition_word(&v, out)
             ? SNARE_OK
             : SNARE_UNSUPPORTED;
}

static snare_status load(uint64_t addr, const snare_condition_step *s,
                         uint64_t *out, uint64_t *fault_address) {
  unsigned size = s->size;
  uint64_t raw = 0; /* little-endian: the low bytes */
  if (!snare_os_memory_read_fast(addr, &raw, size)) {
    if (fault_address != NULL)
      *fault_address = addr;
    return SNARE_BAD_ADDRESS;
  }
  *out = wrap(raw, size, s->is_signed);
  return SNARE_OK;
}

/* Whether op pops two operands and pushes one. */
static bool is_binary(int op) {
  return op >= SNARE_CONDITION_ADD && op <= SNARE_CONDITION_GREATER_EQUAL;
}

/* Records depth as the stack's depth on entering step `to`: false when
   another way in had another. */
static bool arrive(int *depth_at, size_t to, int depth) {
  if (depth_at[to] >= 0 && depth_at[to] != depth)
    return false;
  depth_at[to] = depth;
  return true;
}

bool snare_condition_program_valid(const snare_condition_program *p) {
  if (p == NULL || p->step_count > SNARE_CONDITION_STEPS ||
      p->name_count > SNARE_CONDITION_NAMES)
    return false;
  /* jumps go forward only, so one pass in order sees every way into a
     step before the step: its depth is then known, or it is unreachable */
  int depth_at[SNARE_CONDITION_STEPS + 1];
  for (size_t i = 0; i <= p->step_count; i++)
    depth_at[i] = -1;
  depth_at[0] = 0;
  for (size_t at = 0; at < p->step_count; at++) {
    int depth = depth_at[at];
    if (depth < 0)
      continue; /* never run */
    const snare_condition_step *s = &p->steps[at];
    int op = s->op, after;
    switch (op) {
    case SNARE_CONDITION_VARIABLE:
      if (s->operand < 0 || (uint64_t)s->operand >= p->name_count)
        return false;
      /* fall through */
    case SNARE_CONDITION_CONSTANT:
      after = depth + 1;
      if (after > SNARE_CONDITION_STACK)
        return false;
      break;
    case SNARE_CONDITION_LOAD:
      if (s->size != 1 && s->size != 2 && s->size != 4 && s->size != 8)
        return false;
      /* fall through */
    case SNARE_CONDITION_WRAP:
    case SNARE_CONDITION_TRUTH:
    case SNARE_CONDITION_NOT:
    case SNARE_CONDITION_NEGATE:
    case SNARE_CONDITION_COMPLEMENT:
      if (depth < 1)
        return false;
      after = depth;
      break;
    case SNARE_CONDITION_AND_THEN:
    case SNARE_CONDITION_OR_ELSE:
    case SNARE_CONDITION_JUMP_IF_ZERO:
    case SNARE_CONDITION_JUMP: {
      bool pops = op != SNARE_CONDITION_JUMP;
      if (depth < (int)pops || s->operand < 0 ||
          (uint64_t)s->operand > p->step_count - at - 1)
        return false;
      /* taken: && and || push their answer in place of the operand */
      int taken = op == SNARE_CONDITION_JUMP_IF_ZERO ? depth - 1 : depth;
      if (!arrive(depth_at, at + 1 + (size_t)s->operand, taken))
        return false;
      if (op == SNARE_CONDITION_JUMP)
        continue; /* the next step only by a jump to it */
      after = depth - 1;
      break;
    }
    default:
      if (!is_binary(op) || depth < 2)
        return false;
      after = depth - 1;
      break;
    }
    if (!arrive(depth_at, at + 1, after))
      return false;
  }
  return depth_at[p->step_count] == 1;
}

snare_status snare_condition_program_run(const snare_condition_program *p,
                                         const snare_frame *frame,
                                         uint64_t *result,
                                         uint64_t *fault_address) {
  if (!snare_condition_program_valid(p) || result == NULL)
    return SNARE_INVALID_ARGUMENT;
  return snare_condition_program_eval(p, frame_variable, (void *)frame, result,
                                      fault_address);
}

/* Each step as snare_condition_program_valid checked it: a stack deep
   enough, names and jumps in range, a load's size. */
snare_status snare_condition_program_eval(const snare_condition_program *p,
                                          snare_condition_reader read,
                                          void *reader_data, uint64_t *result,
                                          uint64_t *fault_address) {
  uint64_t stack[SNARE_CONDITION_STACK];
  size_t depth = 0;
  for (size_t at = 0; at < p->step_count; at++) {
    const snare_condition_step *s = &p->steps[at];
    uint64_t *end = stack + depth; /* the top is end[-1] */
    snare_status st = SNARE_OK;
    switch ((snare_condition_op)s->op) {
    case SNARE_CONDITION_CONSTANT: stack[depth++] = (uint64_t)s->operand; break;
    case SNARE_CONDITION_VARIABLE:
      st = read(reader_data, p->names[s->operand], (size_t)s->operand,
                &stack[depth++]);
      break;
    case SNARE_CONDITION_LOAD:
      st = load(end[-1], s, &end[-1], fault_address);
      break;
    case SNARE_CONDITION_WRAP:
      end[-1] = wrap(end[-1], s->size, s->is_signed);
      break;
    case SNARE_CONDITION_TRUTH: end[-1] = end[-1] != 0; break;
    case SNARE_CONDITION_NOT: end[-1] = end[-1] == 0; break;
    case SNARE_CONDITION_NEGATE: end[-1] = 0 - end[-1]; break;
    case SNARE_CONDITION_COMPLEMENT: end[-1] = ~end[-1]; break;
    case SNARE_CONDITION_AND_THEN:
    case SNARE_CONDITION_OR_ELSE:
    case SNARE_CONDITION_JUMP_IF_ZERO:
    case SNARE_CONDITION_JUMP: {
      snare_condition_op op = s->op;
      bool decided = op == SNARE_CONDITION_JUMP ||
                     (op == SNARE_CONDITION_OR_ELSE ? end[-1] != 0
                                                    : end[-1] == 0);
      if (op != SNARE_CONDITION_JUMP)
        depth--;
      if (!decided)
        break;
      if (op == SNARE_CONDITION_AND_THEN || op == SNARE_CONDITION_OR_ELSE)
        stack[depth++] = op == SNARE_CONDITION_OR_ELSE;
      at += (size_t)s->operand;
      break;
    }
    default: /* binary */
      depth--;
      if (!binary(s, end[-2], end[-1], &end[-2]))
        return SNARE_INVALID_ARGUMENT; /* a division by zero */
      break;
    }
    if (st != SNARE_OK)
      return st;
  }
  *result = stack[0];
  return SNARE_OK;
}
