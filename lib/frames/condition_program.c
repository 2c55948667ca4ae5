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
  if (size != 1 && size != 2 && size != 4 && size != 8)
    return SNARE_INVALID_ARGUMENT;
  uint64_t raw = 0; /* little-endian: the low bytes */
  if (!snare_os_memory_read_fast(addr, &raw, size)) {
    if (fault_address != NULL)
      *fault_address = addr;
    return SNARE_BAD_ADDRESS;
  }
  *out = wrap(raw, size, s->is_signed);
  return SNARE_OK;
}

snare_status snare_condition_program_run(const snare_condition_program *p,
                                         const snare_frame *frame,
                                         uint64_t *result,
                                         uint64_t *fault_address) {
  return snare_condition_program_eval(p, frame_variable, (void *)frame, result,
                                      fault_address);
}

snare_status snare_condition_program_eval(const snare_condition_program *p,
                                          snare_condition_reader read,
                                          void *reader_data, uint64_t *result,
                                          uint64_t *fault_address) {
  if (p == NULL || result == NULL || p->step_count > SNARE_CONDITION_STEPS ||
      p->name_count > SNARE_CONDITION_NAMES)
    return SNARE_INVALID_ARGUMENT;
  uint64_t stack[SNARE_CONDITION_STACK];
  size_t depth = 0;
  for (size_t at = 0; at < p->step_count; at++) {
    const snare_condition_step *s = &p->steps[at];
    snare_condition_op op = s->op;
    size_t pops = op >= SNARE_CONDITION_ADD && op <= SNARE_CONDITION_GREATER_EQUAL
                      ? 2
                  : op == SNARE_CONDITION_CONSTANT ||
                          op == SNARE_CONDITION_VARIABLE ||
                          op == SNARE_CONDITION_JUMP
                      ? 0
                      : 1;
    if (depth < pops || (pops == 0 && op != SNARE_CONDITION_JUMP &&
                         depth == SNARE_CONDITION_STACK))
      return SNARE_INVALID_ARGUMENT;
    uint64_t *top = &stack[depth - pops]; /* the first operand */
    snare_status st = SNARE_OK;
    switch (op) {
    case SNARE_CONDITION_CONSTANT: stack[depth++] = (uint64_t)s->operand; break;
    case SNARE_CONDITION_VARIABLE:
      if (s->operand < 0 || (size_t)s->operand >= p->name_count)
        return SNARE_INVALID_ARGUMENT;
      st = read(reader_data, p->names[s->operand], (size_t)s->operand,
                &stack[depth++]);
      break;
    case SNARE_CONDITION_LOAD: st = load(*top, s, top, fault_address); break;
    case SNARE_CONDITION_WRAP: *top = wrap(*top, s->size, s->is_signed); break;
    case SNARE_CONDITION_TRUTH: *top = *top != 0; break;
    case SNARE_CONDITION_NOT: *top = *top == 0; break;
    case SNARE_CONDITION_NEGATE: *top = 0 - *top; break;
    case SNARE_CONDITION_COMPLEMENT: *top = ~*top; break;
    case SNARE_CONDITION_AND_THEN:
    case SNARE_CONDITION_OR_ELSE:
    case SNARE_CONDITION_JUMP_IF_ZERO:
    case SNARE_CONDITION_JUMP: {
      bool decided = op == SNARE_CONDITION_JUMP ||
                     (op == SNARE_CONDITION_OR_ELSE ? *top != 0 : *top == 0);
      if (op != SNARE_CONDITION_JUMP)
        depth--;
      if (!decided)
        break;
      if (s->operand < 0 || (uint64_t)s->operand > p->step_count - at - 1)
        return SNARE_INVALID_ARGUMENT;
      if (op == SNARE_CONDITION_AND_THEN || op == SNARE_CONDITION_OR_ELSE)
        stack[depth++] = op == SNARE_CONDITION_OR_ELSE;
      at += (size_t)s->operand;
      break;
    }
    default:
      if (op > SNARE_CONDITION_GREATER_EQUAL)
        return SNARE_INVALID_ARGUMENT;
      depth--;
      if (!binary(s, top[0], top[1], top))
        return SNARE_INVALID_ARGUMENT;
      break;
    }
    if (st != SNARE_OK)
      return st;
  }
  if (depth != 1)
    return SNARE_INVALID_ARGUMENT;
  *result = stack[0];
  return SNARE_OK;
}
