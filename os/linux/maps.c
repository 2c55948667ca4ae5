/*
 * maps.c - snare_os_range_executable (lib/internal/os.h) on Linux,
 * answered from /proc/self/maps, whose lines are sorted by address and
 * never overlap. It uses stdio, so it allocates: controller code only,
 * never a signal handler.
 */
#include <inttypes.h>
#include <stdio.h>

#include "internal/os.h"

/* A range may span several adjacent mappings (e.g. r-x then rwx). Size 0
   and ranges that wrap past the top of memory are not executable. */
bool snare_os_range_executable(uint64_t start, uint64_t size) {
  if (size == 0 || size - 1 > UINT64_MAX - start)
    return false;
  uint64_t last = start + (size - 1); /* inclusive, so the top page works */
  FILE *maps = fopen("/proc/self/maps", "re");
  if (maps == NULL)
    return false;
  /* Walk the mappings in order; `cursor` is the first byte not yet shown
     to be executable. A gap or a non-executable mapping covering it ends
     the walk. */
  uint64_t cursor = start;
  bool covered = false;
  uint64_t lo, hi;
  char perms[5];
  while (fscanf(maps, "%" SCNx64 "-%" SCNx64 " %4s%*[^\n]", &lo, &hi, perms) ==
         3) {
    if (hi <= cursor)
      continue;
    if (lo > cursor || perms[2] != 'x')
      break;
    if (hi - 1 >= last) {
      covered = true;
      break;
    }
    cursor = hi;
  }
  fclose(maps);
  return covered;
}
