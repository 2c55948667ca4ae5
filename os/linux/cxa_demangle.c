/*
 * cxa_demangle.c - the Linux side of snare_os_demangle: the C++ runtime's own
 * demangler, __cxa_demangle from libstdc++, found at run time.
 *
 * Looked up with dlopen rather than linked: the core and the programs it
 * is preloaded into stay free of libstdc++ unless they have C++ names,
 * and a C++ program already has it loaded (RTLD_NOLOAD finds that copy).
 * It is the demangler g++ itself pairs with, so it follows the ABI as the
 * compiler does.
 */
#include <dlfcn.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#include "internal/demangler.h"

typedef char *cxa_demangle_fn(const char *mangled, char *buffer,
                              size_t *length, int *status);

static const char runtime[] = "libstdc++.so.6";

/* Controller thread only, like every symbol table reader. */
static cxa_demangle_fn *demangler;
static bool looked_up;

static cxa_demangle_fn *find_demangler(void) {
  if (looked_up)
    return demangler;
  looked_up = true;
  void *lib = dlopen(runtime, RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
  if (lib == NULL)
    lib = dlopen(runtime, RTLD_NOW | RTLD_LOCAL);
  /* Kept open for the life of the process: names are demangled whenever
     a library is opened. */
  if (lib != NULL)
    *(void **)&demangler = dlsym(lib, "__cxa_demangle");
  return demangler;
}

char *snare_os_demangle(const char *mangled) {
  cxa_demangle_fn *demangle = find_demangler();
  if (demangle == NULL)
    return NULL;
  int status = 0;
  char *out = demangle(mangled, NULL, NULL, &status);
  if (status != 0) {
    free(out);
    return NULL;
  }
  return out;
}
