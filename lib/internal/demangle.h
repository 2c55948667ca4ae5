/*
 * demangle.h - C++ symbol names as people write them. The demangler
 * itself is the OS's (os/linux/cxa_demangle.c: the C++ runtime's), so the core
 * links no C++ library; lib/demangle.c derives the lookup form from its
 * output.
 */
#ifndef SNARE_INTERNAL_DEMANGLE_H
#define SNARE_INTERNAL_DEMANGLE_H

#include <stdbool.h>

#include "internal/hidden.h"

/* True when name is in the Itanium C++ ABI's mangled form ("_Z..."). */
SNARE_HIDDEN bool snare_is_mangled(const char *name);

/*
 * The demangled form of a mangled name ("ns::Shape::area() const"), to
 * free(); NULL when it is not mangled, the demangler is unavailable or
 * it refuses the name.
 */
SNARE_HIDDEN char *snare_os_demangle(const char *mangled);

/*
 * The qualified name of a demangled function, without return type,
 * parameters and qualifiers ("int ns::add<int>(int, int)" ->
 * "ns::add<int>"), to free(); NULL on no memory.
 */
SNARE_HIDDEN char *snare_demangled_qualified(const char *demangled);

/* snare_demangled_qualified of the demangled form of mangled, or NULL. */
SNARE_HIDDEN char *snare_demangle_qualified(const char *mangled);

#endif
