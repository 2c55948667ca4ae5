/*
 * driver.c - compares snare's text of every instruction with objdump's.
 * Reads `objdump -d -w --insn-width=15 [-M intel]` on stdin; decodes each
 * instruction line's bytes (and those of the next line, as in memory) at
 * its address in the flavor given and
 * compares the text with objdump's made into gdb's spelling: a branch
 * target or rip-relative comment "1139 <fib>" is gdb's "0x1139" (gdb then
 * adds the " <fib>", as snare's prompt does), trailing blanks dropped.
 * Lines objdump shows as "(bad)" are not instructions and are skipped.
 * Prints each differing line (up to -n N, default 20), then
 *   compared N differ M skipped K
 * and exits 1 if any differ.
 * Usage: driver att|intel [-n N] < objdump-output
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/disassembler.h"

typedef struct {
  unsigned long compared, differ, skipped, shown_cap;
} tally;

/* Decodes "f3 0f 1e fa" into bytes; returns how many. */
static size_t parse_bytes(const char *hex, uint8_t *bytes, size_t cap) {
  size_t n = 0;
  char *end;
  while (n < cap) {
    unsigned long byte = strtoul(hex, &end, 16);
    if (end == hex)
      break;
    bytes[n++] = (uint8_t)byte;
    hex = end;
  }
  return n;
}

/* objdump's text as gdb prints it (see the top), in place. */
static void gdb_spelling(char *text) {
  size_t n = strlen(text);
  while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\n'))
    text[--n] = '\0';
  char *symbol = n > 0 && text[n - 1] == '>' ? strrchr(text, '<') : NULL;
  if (symbol == NULL || symbol == text || symbol[-1] != ' ')
    return;
  symbol[-1] = '\0';
  /* the address before it: after the comment's "# " or the operands'
     padding; objdump writes it as bare hex */
  char *address = strrchr(text, ' ');
  if (address == NULL)
    return;
  address++;
  if (strspn(address, "0123456789abcdef") != strlen(address))
    return;
  memmove(address + 2, address, strlen(address) + 1);
  address[0] = '0';
  address[1] = 'x';
}

/* One instruction line of objdump's: its bytes, then those of the lines
   right after it (what a debugger reading memory sees after it). */
typedef struct {
  uint64_t addr;
  char hex[128];
  char expected[512];
  uint8_t bytes[32];
  size_t count; /* the instruction's own bytes */
  size_t avail; /* with those that follow */
} instruction_line;

/* Parses an instruction line into *out; false for any other line. */
static bool parse_line(char *line, instruction_line *out) {
  char *colon = strchr(line, ':');
  if (colon == NULL || colon[1] != '\t')
    return false;
  char *end;
  out->addr = strtoull(line, &end, 16);
  if (end != colon)
    return false;
  char *hex = colon + 2;
  char *tab = strchr(hex, '\t');
  if (tab == NULL)
    return false; /* bytes only: data, or an instruction's continuation */
  *tab = '\0';
  snprintf(out->hex, sizeof out->hex, "%s", hex);
  snprintf(out->expected, sizeof out->expected, "%s", tab + 1);
  gdb_spelling(out->expected);
  out->count = out->avail = parse_bytes(hex, out->bytes, 16);
  return true;
}

static void compare_instruction(const instruction_line *line,
                                snare_disassembly_flavor flavor, tally *t) {
  if (strstr(line->expected, "(bad)") != NULL || line->count == 0) {
    t->skipped++;
    return;
  }
  char text[256];
  size_t length = 0;
  size_t avail = line->avail < 15 ? line->avail : 15;
  snare_status status = snare_arch_disassemble(
      line->addr, flavor, line->bytes, avail, text, sizeof text, &length);
  if (status != SNARE_OK)
    snprintf(text, sizeof text, "(%s)", snare_status_name(status));
  else if (length != line->count)
    snprintf(text + strlen(text), sizeof text - strlen(text),
             "  (length %zu, objdump's %zu)", length, line->count);
  t->compared++;
  if (strcmp(text, line->expected) == 0)
    return;
  if (t->differ++ < t->shown_cap)
    printf("%" PRIx64 ":\t%s\n  objdump: %s\n  snare:   %s\n", line->addr,
           line->hex, line->expected, text);
}

int main(int argc, char **argv) {
  if (argc < 2 || (strcmp(argv[1], "att") != 0 &&
                   strcmp(argv[1], "intel") != 0)) {
    fprintf(stderr, "usage: %s att|intel [-n N] < objdump-output\n",
            argv[0]);
    return 2;
  }
  snare_disassembly_flavor flavor = strcmp(argv[1], "intel") == 0
                                        ? SNARE_DISASSEMBLY_INTEL
                                        : SNARE_DISASSEMBLY_ATT;
  tally t = {0, 0, 0, 20};
  if (argc == 4 && strcmp(argv[2], "-n") == 0)
    t.shown_cap = strtoul(argv[3], NULL, 10);
  /* each instruction is compared once the next line is read: its bytes
     follow it where the two are adjacent */
  static instruction_line lines[2];
  instruction_line *pending = NULL, *next = &lines[0];
  char text[1024];
  while (fgets(text, sizeof text, stdin)) {
    if (!parse_line(text, next))
      continue;
    if (pending) {
      if (next->addr == pending->addr + pending->count)
        for (size_t i = 0; i < next->count && pending->avail < 32; i++)
          pending->bytes[pending->avail++] = next->bytes[i];
      compare_instruction(pending, flavor, &t);
    }
    pending = next;
    next = next == &lines[0] ? &lines[1] : &lines[0];
  }
  if (pending)
    compare_instruction(pending, flavor, &t);
  printf("compared %lu differ %lu skipped %lu\n", t.compared, t.differ,
         t.skipped);
  return t.differ == 0 ? 0 : 1;
}
