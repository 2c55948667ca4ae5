/*
 * driver.c - prints snare's answer for every line of a source file in the
 * normalised form run.sh also makes of gdb's `info line`:
 *   N code START END | N nocode ADDR | N none
 * and, with -b, the breakpoint locations of lines that have code:
 *   N break ADDR...
 * Usage: driver [-b] OBJECT FILE FIRST LAST   (link-time addresses)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/debuginfo.h"

static void info_line(snare_debuginfo *di, const char *file, unsigned line)
{
  snare_line_span span;
  unsigned before, after;
  if (snare_debuginfo_line_span(di, file, line, &span) == SNARE_OK) {
    if (span.start == span.end)
      printf("%u nocode 0x%" PRIx64 "\n", line, span.start);
    else
      printf("%u code 0x%" PRIx64 " 0x%" PRIx64 "\n", line, span.start,
             span.end);
  } else if (snare_debuginfo_line_nearest(di, file, line, &before, &after) ==
                 SNARE_OK &&
             after &&
             snare_debuginfo_line_span(di, file, after, &span) == SNARE_OK) {
    printf("%u nocode 0x%" PRIx64 "\n", line, span.start);
  } else {
    printf("%u none\n", line);
  }
}

static void break_line(snare_debuginfo *di, const char *file, unsigned line)
{
  uint64_t addrs[64];
  size_t n = 0;
  if (snare_debuginfo_line_addresses(di, file, line, addrs, 64, &n) !=
      SNARE_OK)
    return;
  printf("%u break", line);
  for (size_t i = 0; i < n && i < 64; i++)
    printf(" 0x%" PRIx64, addrs[i]);
  printf("\n");
}

int main(int argc, char **argv)
{
  int arg = 1;
  bool breaks = argc > 1 && strcmp(argv[1], "-b") == 0;
  arg += breaks;
  if (argc - arg != 4) {
    fprintf(stderr, "usage: %s [-b] OBJECT FILE FIRST LAST\n", argv[0]);
    return 2;
  }
  snare_debuginfo *di;
  snare_status st = snare_debuginfo_open(argv[arg], 0, &di);
  if (st != SNARE_OK) {
    fprintf(stderr, "%s: cannot read debug info (status %d)\n", argv[arg],
            (int)st);
    return 2;
  }
  unsigned first = (unsigned)atoi(argv[arg + 2]);
  unsigned last = (unsigned)atoi(argv[arg + 3]);
  for (unsigned line = first; line <= last; line++) {
    if (breaks)
      break_line(di, argv[arg + 1], line);
    else
      info_line(di, argv[arg + 1], line);
  }
  snare_debuginfo_close(di);
  return 0;
}
