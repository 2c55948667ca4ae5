/*
 * driver.c - compares snare's text of every instruction with objdump's.
 * Reads `objdump -d -w --insn-width=15 [-M intel]` on stdin; decodes each
 * instruction line's bytes at its address in the flavor given and
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

static void compare_line(char *line, snare_disassembly_flavor flavor,
                         tally *t) {
  char *colon = strchr(line, ':');
  if (colon == NULL || colon[1] != '\t')
    return;
  char *end;
  uint64_t addr = strtoull(line, &end, 16);
  if (end != colon)
    return;
  char *hex = colon + 2;
  char *tab = strchr(hex, '\t');
  if (tab == NULL)
    return; /* bytes only: data, or an instruction's continuation */
  *tab = '\0';
  char *expected = tab + 1;
  uint8_t bytes[16];
  size_t count = parse_bytes(hex, bytes, sizeof bytes);
  gdb_spelling(expected);
  if (strstr(expected, "(bad)") != NULL || count == 0) {
    t->skipped++;
    return;
  }
  char text[256];
  size_t length = 0;
  snare_status status = snare_arch_disassemble(addr, flavor, bytes, count,
                                               text, sizeof text, &length);
  if (status != SNARE_OK)
    snprintf(text, sizeof text, "(%s)", snare_status_name(status));
  else if (length != count)
    snprintf(text + strlen(text), sizeof text - strlen(text),
             "  (length %zu, objdump's %zu)", length, count);
  t->compared++;
  if (strcmp(text, expected) == 0)
    return;
  if (t->differ++ < t->shown_cap)
    printf("%" PRIx64 ":\t%s\n  objdump: %s\n  snare:   %s\n", addr, hex,
           expected, text);
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
  char line[1024];
  while (fgets(line, sizeof line, stdin))
    compare_line(line, flavor, &t);
  printf("compared %lu differ %lu skipped %lu\n", t.compared, t.differ,
         t.skipped);
  return t.differ == 0 ? 0 : 1;
}
