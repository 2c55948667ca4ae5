/*
 * driver.c - prints snare's answer for every line of a source file in the
 * normalised form run.sh also makes of gdb's `info line`:
 *   N code START END | N nocode ADDR | N none
 * and, with -b, the breakpoint locations of lines that have code:
 *   N break ADDR...
 * or, with -f, those of functions (gdb's `break NAME`), for known names:
 *   NAME func ADDR...
 * Usage: driver [-b] OBJECT FILE FIRST LAST   (link-time addresses)
 *        driver -f OBJECT NAME...
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debuginfo/debuginfo.h"

static void info_line(snare_debuginfo *di, const char *file, unsigned line)
{
  snare_line_span span;
  unsigned before, after;
  if (snare_debuginfo_line_span(di, file, line, &span) == SNARE_OK) {
    if (!span.in_range) /* no statement at the line or after it */
      printf("%u none\n", line);
    else if (span.start == span.end)
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

static void print_addresses(const uint64_t *addrs, size_t n, size_t cap)
{
  for (size_t i = 0; i < n && i < cap; i++)
    printf(" 0x%" PRIx64, addrs[i]);
  printf("\n");
}

static void break_line(snare_debuginfo *di, const char *file, unsigned line)
{
  uint64_t addrs[1024];
  size_t n = 0;
  if (snare_debuginfo_line_addresses(di, file, line, addrs, 1024, &n) !=
      SNARE_OK)
    return;
  printf("%u break", line);
  print_addresses(addrs, n, 1024);
}

static void break_function(snare_debuginfo *di, const char *name)
{
  uint64_t addrs[1024];
  size_t n = 0;
  if (snare_debuginfo_function_addresses(di, name, addrs, 1024, &n) !=
      SNARE_OK)
    return;
  printf("%s func", name);
  print_addresses(addrs, n, 1024);
}

static snare_debuginfo *open_object(const char *path)
{
  snare_debuginfo *di = NULL;
  snare_status st = snare_debuginfo_open(path, 0, &di);
  if (st != SNARE_OK)
    fprintf(stderr, "%s: cannot read debug info (status %d)\n", path,
            (int)st);
  return di;
}

/* driver -f OBJECT NAME... */
static int functions(int argc, char **argv)
{
  snare_debuginfo *di = open_object(argv[2]);
  if (di == NULL)
    return 2;
  for (int i = 3; i < argc; i++)
    break_function(di, argv[i]);
  snare_debuginfo_close(di);
  return 0;
}

int main(int argc, char **argv)
{
  if (argc > 2 && strcmp(argv[1], "-f") == 0)
    return functions(argc, argv);
  int arg = 1;
  bool breaks = argc > 1 && strcmp(argv[1], "-b") == 0;
  arg += breaks;
  if (argc - arg != 4) {
    fprintf(stderr, "usage: %s [-b] OBJECT FILE FIRST LAST\n", argv[0]);
    return 2;
  }
  snare_debuginfo *di = open_object(argv[arg]);
  if (di == NULL)
    return 2;
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
