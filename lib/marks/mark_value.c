/*
 * mark_value.c - a mark's data and a probe's arguments: parsed from the
 * operand text compilers write (AT&T syntax, as <sys/sdt.h> records it)
 * and evaluated in a trapped context.
 */
#include <stdlib.h>
#include <string.h>

#include "marks/marks.h"

/* Sub-registers by name: 32-, 16- and 8-bit views of the 64-bit ones. */
static const struct {
  const char *name;
  snare_register reg;
  int width;
} narrow[] = {
    {"eax", SNARE_REG_RAX, 4}, {"ebx", SNARE_REG_RBX, 4},
    {"ecx", SNARE_REG_RCX, 4}, {"edx", SNARE_REG_RDX, 4},
    {"esi", SNARE_REG_RSI, 4}, {"edi", SNARE_REG_RDI, 4},
    {"ebp", SNARE_REG_RBP, 4}, {"esp", SNARE_REG_RSP, 4},
    {"ax", SNARE_REG_RAX, 2},  {"bx", SNARE_REG_RBX, 2},
    {"cx", SNARE_REG_RCX, 2},  {"dx", SNARE_REG_RDX, 2},
    {"si", SNARE_REG_RSI, 2},  {"di", SNARE_REG_RDI, 2},
    {"bp", SNARE_REG_RBP, 2},  {"sp", SNARE_REG_RSP, 2},
    {"al", SNARE_REG_RAX, 1},  {"bl", SNARE_REG_RBX, 1},
    {"cl", SNARE_REG_RCX, 1},  {"dl", SNARE_REG_RDX, 1},
    {"sil", SNARE_REG_RSI, 1}, {"dil", SNARE_REG_RDI, 1},
    {"bpl", SNARE_REG_RBP, 1}, {"spl", SNARE_REG_RSP, 1},
};

/* r8..r15 with an optional d/w/b suffix. */
static bool numbered(const char *name, snare_register *reg, int *width) {
  char *end;
  if (name[0] != 'r' || name[1] < '0' || name[1] > '9')
    return false;
  long n = strtol(name + 1, &end, 10);
  if (n < 8 || n > 15)
    return false;
  *width = *end == 'd' ? 4 : *end == 'w' ? 2 : *end == 'b' ? 1 : 0;
  if ((*width != 0 && end[1] != '\0') || (*width == 0 && *end != '\0'))
    return false;
  *reg = (snare_register)(SNARE_REG_R8 + (n - 8));
  return true;
}

/* Parses "%name" (the text after '%'), giving its natural width. */
static bool register_named(const char *name, snare_register *reg,
                           int *width) {
  if (numbered(name, reg, width))
    return true;
  for (size_t i = 0; i < sizeof narrow / sizeof narrow[0]; i++)
    if (strcmp(narrow[i].name, name) == 0) {
      *reg = narrow[i].reg;
      *width = narrow[i].width;
      return true;
    }
  *width = 0;
  return snare_register_lookup(name, reg) == SNARE_OK &&
         *reg != SNARE_REG_EFLAGS;
}

static bool parse_integer(const char *text, const char *stop, int64_t *out) {
  char *end;
  if (text == stop)
    return false;
  long long v = strtoll(text, &end, 0);
  *out = v;
  return end == stop;
}

/* "N@" before an operand: its size in bytes, negative when signed. */
static const char *size_prefix(const char *text, int *width, bool *given) {
  const char *at = strchr(text, '@');
  *given = false;
  if (at == NULL)
    return text;
  int64_t n;
  if (!parse_integer(text, at, &n) ||
      !(n == 1 || n == 2 || n == 4 || n == 8 || n == -1 || n == -2 ||
        n == -4 || n == -8))
    return NULL;
  *width = (n == 8 || n == -8) ? 0 : (int)n;
  *given = true;
  return at + 1;
}

snare_status snare_mark_value_parse(const char *text, snare_mark_value *out) {
  if (text == NULL || out == NULL)
    return SNARE_INVALID_ARGUMENT;
  snare_mark_value v = {0};
  bool sized;
  const char *op = size_prefix(text, &v.width, &sized);
  if (op == NULL)
    return SNARE_INVALID_ARGUMENT;
  size_t len = strlen(op);
  int natural = 0;
  if (op[0] == '$') {
    v.kind = SNARE_MARK_CONSTANT;
    v.width = 0;
    if (!parse_integer(op + 1, op + len, &v.constant))
      return SNARE_INVALID_ARGUMENT;
  } else if (op[0] == '%') {
    v.kind = SNARE_MARK_REGISTER;
    if (!register_named(op + 1, &v.reg, &natural))
      return SNARE_INVALID_ARGUMENT;
    if (!sized)
      v.width = natural;
  } else {
    const char *open = strchr(op, '(');
    char name[8];
    size_t n = open ? len - (size_t)(open - op) : 0;
    if (open == NULL || n < 4 || n - 3 >= sizeof name || open[1] != '%' ||
        op[len - 1] != ')')
      return SNARE_INVALID_ARGUMENT; /* also base+index*scale forms */
    memcpy(name, open + 2, n - 3);
    name[n - 3] = '\0';
    v.kind = SNARE_MARK_MEMORY;
    if ((open != op && !parse_integer(op, open, &v.offset)) ||
        !register_named(name, &v.reg, &natural) || natural != 0 ||
        v.reg == SNARE_REG_RIP) /* symbol(%rip): needs the symbol table */
      return SNARE_INVALID_ARGUMENT;
  }
  *out = v;
  return SNARE_OK;
}

bool snare_mark_value_valid(const snare_mark_value *value) {
  int w = value->width < 0 ? -value->width : value->width;
  if (w != 0 && w != 1 && w != 2 && w != 4 && w != 8)
    return false;
  switch (value->kind) {
  case SNARE_MARK_CONSTANT: return true;
  case SNARE_MARK_REGISTER:
  case SNARE_MARK_MEMORY: return (unsigned)value->reg < SNARE_REG_COUNT;
  }
  return false;
}

static int64_t narrowed(uint64_t raw, int width) {
  int w = width < 0 ? -width : width;
  if (w == 0 || w == 8)
    return (int64_t)raw;
  unsigned bits = 8u * (unsigned)w;
  uint64_t low = raw & ((1ull << bits) - 1);
  if (width > 0 || !(low >> (bits - 1)))
    return (int64_t)low;
  return (int64_t)(low | ~((1ull << bits) - 1));
}

bool snare_mark_value_at(const snare_mark_value *value, const void *context,
                         int64_t *out) {
  if (value->kind == SNARE_MARK_CONSTANT) {
    *out = value->constant;
    return true;
  }
  uint64_t raw = snare_arch_register_get(context, value->reg);
  if (value->kind == SNARE_MARK_MEMORY) {
    int w = value->width < 0 ? -value->width : value->width;
    uint64_t word = 0; /* little-endian: the low bytes come first */
    if (!snare_os_memory_read(raw + (uint64_t)value->offset, &word,
                              w ? (size_t)w : sizeof word))
      return false;
    raw = word;
  }
  *out = narrowed(raw, value->width);
  return true;
}

snare_status snare_mark_value_eval(const snare_frame *frame,
                                   const snare_mark_value *value,
                                   int64_t *out) {
  if (frame == NULL || value == NULL || out == NULL ||
      !snare_mark_value_valid(value))
    return SNARE_INVALID_ARGUMENT;
  return snare_mark_value_at(value, frame->context, out) ? SNARE_OK
                                                         : SNARE_BAD_ADDRESS;
}
