/*
 * demangler.h - the C++ demangler the core asks the OS for (Linux:
 * os/linux/cxa_demangle.c, the C++ runtime's), so that the core links no
 * C++ library. lib/base/demangle.h is what the rest of lib/ uses.
 */
#ifndef SNARE_INTERNAL_DEMANGLER_H
#define SNARE_INTERNAL_DEMANGLER_H

#include "internal/hidden.h"

/*
 * The demangled form of a name in the Itanium C++ ABI's mangled form
 * ("_Z...", which the caller checks: the demangler also reads bare type
 * codes, so "i" would come back as "int"), to free(); NULL when the
 * demangler is unavailable or refuses the name.
 */
SNARE_HIDDEN char *snare_os_demangle(const char *mangled);

#endif
