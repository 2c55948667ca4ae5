/*
 * demangle.h - C++ symbol names as people write them: the OS's demangler
 * (lib/internal/demangler.h) on mangled names only, and the lookup form
 * derived from its output. Implemented in lib/base/demangle.c.
 */
#ifndef SNARE_BASE_DEMANGLE_H
#define SNARE_BASE_DEMANGLE_H

#include <stdbool.h>

#include "internal/hidden.h"

/* True when name is in the Itanium C++ ABI's mangled form ("_Z..."). */
SNARE_HIDDEN bool snare_is_mangled(const char *name);

/*
 * The demangled form of a mangled name ("geo::Shape::area() const"), to
 * free(); NULL when it is not mangled, the demangler is unavailable or
 * it refuses the name.
 */
SNARE_HIDDEN char *snare_demangle(const char *name);

/*
 * The qualified name of a demangled function, without return type,
 * parameters and qualifiers ("int geo::twice<int>(int)" ->
 * "geo::twice<int>"), to free(); NULL on no memory.
 */
SNARE_HIDDEN char *snare_demangled_qualified(const char *demangled);

/*
 * A demangled function's signature: its text without a template's return
 * type ("int geo::twice<int>(int)" -> "geo::twice<int>(int)"), to free();
 * NULL on no memory.
 */
SNARE_HIDDEN char *snare_demangled_signature(const char *demangled);

/* snare_demangled_qualified of snare_demangle(name), or NULL. */
SNARE_HIDDEN char *snare_demangle_qualified(const char *name);

#endif
