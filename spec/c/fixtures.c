/* fixtures.c - see fixtures.h. */
#include "fixtures.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

const char *fixture_path(const char *level, const char *name) {
  static char path[4096];
  const char *root = getenv("SNARE_FIXTURES");
  snprintf(path, sizeof path, "%s/%s/lib%s.so", root ? root : "build/fixtures",
           level, name);
  return path;
}

uint64_t fixture_symbol(const char *level, const char *name,
                        const char *symbol) {
  void *handle = dlopen(fixture_path(level, name), RTLD_NOW);
  cr_assert_not_null(handle, "cannot load fixture: %s", dlerror());
  void *addr = dlsym(handle, symbol);
  cr_assert_not_null(addr, "no symbol %s in %s", symbol, name);
  return (uint64_t)(uintptr_t)addr;
}

static int count_entries(const char *dir) {
  DIR *d = opendir(dir);
  int n = 0;
  if (d == NULL)
    return -1;
  for (struct dirent *e; (e = readdir(d)) != NULL;)
    n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

int fixture_thread_count(void) { return count_entries("/proc/self/task"); }
int fixture_fd_count(void) { return count_entries("/proc/self/fd") - 1; }
