/*
 * demangle.c - the lookup form of a demangled C++ function name: what a
 * person types to name the function (`break ns::Shape::area`), which is
 * also what reports show, as uftrace and gdb's breakpoints do.
 *
 * The demangler's output is "[return type ]qualified-name(params)[ quals]
 * [ [clone .suffix]]"; only function templates carry a return type.
 */
#include <stdlib.h>
#include <string.h>

#include "base/demangle.h"
#include "snare.h"
#include "internal/demangler.h"

bool snare_is_mangled(const char *name) {
  return name != NULL && name[0] == '_' && name[1] == 'Z';
}

/* Index of the '(' opening the parameter list closed at s[close]. */
static size_t matching_open(const char *s, size_t close) {
  int depth = 0;
  for (size_t i = close + 1; i-- > 0;) {
    if (s[i] == ')')
      depth++;
    else if (s[i] == '(' && --depth == 0)
      return i;
  }
  return 0;
}

static bool starts_word(const char *s, size_t i, const char *word) {
  return strncmp(s + i, word, strlen(word)) == 0 &&
         (i == 0 || s[i - 1] == ' ' || s[i - 1] == ':');
}

/*
 * Where the name starts in s[0, end): after the last space outside
 * brackets (the end of a template's return type), but never inside an
 * operator's name ("operator new", "operator<") nor after the "thunk to"
 * of a thunk's description, which stays part of its name.
 */
static size_t name_start(const char *s, size_t end) {
  if (strstr(s, " thunk to ") != NULL)
    return 0;
  size_t start = 0;
  int depth = 0;
  for (size_t i = 0; i < end; i++) {
    if (depth == 0 && starts_word(s, i, "operator"))
      break;
    if (s[i] == '<' || s[i] == '(' || s[i] == '[')
      depth++;
    else if ((s[i] == '>' || s[i] == ')' || s[i] == ']') && depth > 0)
      depth--;
    else if (s[i] == ' ' && depth == 0)
      start = i + 1;
  }
  return start;
}

char *snare_demangled_qualified(const char *demangled) {
  const char *close = strrchr(demangled, ')');
  if (close == NULL) /* not a function: "vtable for ns::Shape" */
    return strdup(demangled);
  size_t open = matching_open(demangled, (size_t)(close - demangled));
  if (open == 0)
    return strdup(demangled);
  size_t start = name_start(demangled, open);
  /* GCC's clones (.constprop.0, .cold) are functions of their own. */
  const char *clone = strstr(close, " [clone ");
  size_t name_len = open - start, clone_len = clone ? strlen(clone) : 0;
  char *out = malloc(name_len + clone_len + 1);
  if (out == NULL)
    return NULL;
  memcpy(out, demangled + start, name_len);
  memcpy(out + name_len, clone ? clone : "", clone_len);
  out[name_len + clone_len] = '\0';
  return out;
}

char *snare_demangle(const char *name) {
  return snare_is_mangled(name) ? snare_os_demangle(name) : NULL;
}

/* `form` of name's demangled text, or NULL (not mangled, no memory). */
static char *demangled_form(const char *name, char *(*form)(const char *)) {
  char *full = snare_demangle(name);
  if (full == NULL)
    return NULL;
  char *shaped = form(full);
  free(full);
  return shaped;
}

char *snare_demangle_qualified(const char *name) {
  return demangled_form(name, snare_demangled_qualified);
}

char *snare_symbol_demangle(const char *name) {
  return snare_demangle_qualified(name);
}

char *snare_symbol_demangle_full(const char *name) {
  return snare_demangle(name);
}

char *snare_demangled_signature(const char *demangled) {
  const char *close = strrchr(demangled, ')');
  size_t open = close ? matching_open(demangled, (size_t)(close - demangled))
                      : 0;
  return strdup(demangled + (open ? name_start(demangled, open) : 0));
}

char *snare_symbol_signature(const char *name) {
  return demangled_form(name, snare_demangled_signature);
}
