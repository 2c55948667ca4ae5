/*
 * symbol_hash.c - the hash gdb files a C symbol under in a block's hash
 * table, which decides the order `info locals` lists a lexical block's
 * variables in (gdb iterates the table bucket by bucket).
 */
#include <string.h>

#include "variables_private.h"

static unsigned hash_next(unsigned hash, char c)
{
  unsigned char u = (unsigned char)c;
  if (u >= 'A' && u <= 'Z')
    u = (unsigned char)(u - 'A' + 'a');
  return hash * 67u + u - 113u;
}

/* The whole name, blanks skipped, up to a parenthesis. */
static unsigned whole_name_hash(const char *s)
{
  unsigned hash = 0;
  for (; *s && *s != '('; s++)
    if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r' && *s != '\f' &&
        *s != '\v')
      hash = hash_next(hash, *s);
  return hash;
}

/*
 * gdb hashes names as Ada encodes them (P1__P2__Pn<suffix> hashes as Pn,
 * "X" and "$" and "." start a suffix, "TKB" at the end is left out), for
 * every language; names led by '_' (but "_ada_") hash whole.
 */
unsigned di_symbol_hash(const char *name)
{
  const char *s = name;
  if (*s == '_') {
    if (strncmp(s, "_ada_", 5) != 0)
      return whole_name_hash(name);
    s += 5;
  }
  unsigned hash = 0;
  while (*s) {
    switch (*s) {
    case '$':
    case '.':
    case 'X':
      return s == name ? whole_name_hash(name) : hash;
    case ' ':
    case '(':
      return whole_name_hash(name);
    case '_':
      if (s[1] == '_' && s != name) {
        char c = s[2];
        if (c == 'B' && s[3] == '_') {
          for (s += 4; *s >= '0' && *s <= '9'; s++)
            ;
          continue;
        }
        if ((c < 'a' || c > 'z') && c != 'O')
          return hash;
        hash = 0;
        s += 2;
        continue;
      }
      break;
    case 'T':
      if (strcmp(s, "TKB") == 0)
        return hash;
      break;
    default:
      break;
    }
    hash = hash_next(hash, *s);
    s++;
  }
  return hash;
}
