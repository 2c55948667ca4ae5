/*
 * functions.c - queries over functions and the blocks that own code.
 */
#include <stdlib.h>
#include <string.h>

#include "private.h"

static bool block_contains(const di_block *b, uint64_t addr)
{
  for (size_t i = 0; i < b->range_count; i++)
    if (addr >= b->ranges[i].low && addr < b->ranges[i].high)
      return true;
  return false;
}

long di_block_at(const snare_debuginfo *di, uint64_t addr)
{
  long best = -1;
  size_t first, end;
  if (!di_block_span(di, addr, &first, &end))
    return -1;
  for (size_t i = first; i < end; i++) {
    const di_block *b = &di->blocks[i];
    if ((best < 0 || b->depth > di->blocks[best].depth) &&
        block_contains(b, addr))
      best = (long)i;
  }
  return best;
}

const di_function *di_function_at(const snare_debuginfo *di, uint64_t addr)
{
  long b = di_block_at(di, addr);
  while (b >= 0 && di->blocks[b].kind == DI_BLOCK_LEXICAL)
    b = di->blocks[b].parent;
  return b >= 0 ? &di->functions[di->blocks[b].function] : NULL;
}

/* The end of the balanced template argument list opening at p. */
static const char *template_end(const char *p)
{
  int depth = 0;
  for (; *p; p++) {
    depth += *p == '<';
    depth -= *p == '>';
    if (depth == 0)
      return p + 1;
  }
  return NULL;
}

/* full equals query but for the ABI tags ("[abi:cxx11]") and template
   arguments ("sum<int>" for "sum") the query may leave out, as gdb
   compares C++ names. */
static bool equal_but_tags(const char *full, const char *query)
{
  while (*full || *query) {
    bool tag = strncmp(full, "[abi:", 5) == 0 && *query != '[';
    bool args = *full == '<' && *query != '<';
    if (tag || args) {
      full = tag ? strchr(full, ']') : template_end(full);
      if (!full) /* unterminated */
        return false;
      full += tag;
      continue;
    }
    if (*full++ != *query++)
      return false;
  }
  return true;
}

/*
 * gdb's wild matching of C++ names: "get" and "Value::get" name
 * "Json::Value::get", the query matching whole trailing components
 * (not a "::" inside template arguments or a parameter list).
 */
static bool name_matches(const char *full, const char *query)
{
  if (equal_but_tags(full, query))
    return true;
  int depth = 0;
  for (const char *p = full; *p; p++) {
    if (*p == '<' || *p == '(')
      depth++;
    else if ((*p == '>' || *p == ')') && depth > 0)
      depth--;
    else if (depth == 0 && p[0] == ':' && p[1] == ':' &&
             equal_but_tags(p + 2, query))
      return true;
  }
  return false;
}

/* Whether a C++ function of mangled name `linkage` is the one `query`
   names with its parameters, as gdb's `break 'ns::twice(int)'`: its
   signature ("ns::twice(int)", "ns::K::get() const"), whole or from a
   scope on ("twice(int)"). */
static bool signature_matches(const char *linkage, const char *query)
{
  char *signature = snare_symbol_signature(linkage);
  if (signature == NULL)
    return false;
  size_t n = strlen(signature), m = strlen(query);
  bool same = strcmp(signature, query) == 0 ||
              (n > m + 2 && strcmp(signature + n - m, query) == 0 &&
               strncmp(signature + n - m - 2, "::", 2) == 0);
  free(signature);
  return same;
}

/* A function answers to its name and to its other (linkage) name; to the
   DW_AT_name of a C function renamed in assembly only out of line, as
   gdb's `break atoi` finds libc's atoi by its ELF symbol alone, not the
   copies of "__GI_atoi" inlined elsewhere; a C++ function also to its
   signature. */
static bool named(const di_function *fn, const char *name)
{
  return (fn->name && name_matches(fn->name, name)) ||
         (fn->linkage && strcmp(fn->linkage, name) == 0 &&
          !(fn->source_alias && fn->info.inlined)) ||
         (fn->info.linkage_name && strchr(name, '(') != NULL &&
          signature_matches(fn->info.linkage_name, name));
}

static void export_info(const snare_debuginfo *di, const di_function *fn,
                        snare_function_info *out)
{
  *out = fn->info;
  out->entry += di->bias;
  out->after_prologue += di->bias;
  out->step_start += di->bias;
}

snare_status snare_debuginfo_function(const snare_debuginfo *di,
                                      const char *name,
                                      snare_function_info *out)
{
  if (!di || !name || !out)
    return SNARE_INVALID_ARGUMENT;
  di_need_name(di, name);
  const di_function *inlined = NULL;
  for (size_t i = 0; i < di->function_count; i++) {
    const di_function *fn = &di->functions[i];
    if (!named(fn, name))
      continue;
    if (!fn->info.inlined) {
      export_info(di, fn, out);
      return SNARE_OK;
    }
    if (!inlined)
      inlined = fn;
  }
  if (!inlined)
    return SNARE_NOT_FOUND;
  export_info(di, inlined, out);
  return SNARE_OK;
}

static int addr_cmp(const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* Whether fn, a function answering to a name, is one of source file
   `file` (NULL: any file) as gdb's FILE:FUNCTION takes it: a definition
   out of line (gdb looks in the file's static and global blocks, where
   no inlined copy is), of the file of the line its breakpoint place is
   on (a function of a header is the header's). The line's question may
   load units, which moves the function table: the function is given by
   its index. */
static bool in_file(const snare_debuginfo *di, size_t function,
                    const char *file)
{
  snare_line_info row;
  const di_function *fn = &di->functions[function];
  uint64_t place = fn->info.after_prologue + di->bias;
  return file == NULL ||
         (!fn->info.inlined &&
          snare_debuginfo_line_at(di, place, &row) == SNARE_OK &&
          di_file_matches(row.file, file));
}

snare_status snare_debuginfo_file_function_addresses(
    const snare_debuginfo *di, const char *file, const char *name,
    uint64_t *addrs, size_t cap, size_t *count)
{
  if (!di || !name || !count || (cap && !addrs))
    return SNARE_INVALID_ARGUMENT;
  di_need_name(di, name);
  uint64_t *pcs = NULL;
  size_t n = 0, pcs_cap = 0;
  for (size_t i = 0; i < di->function_count; i++) {
    if (!named(&di->functions[i], name) || !in_file(di, i, file))
      continue;
    const di_function *fn = &di->functions[i];
    if (!di_reserve((void **)&pcs, &pcs_cap, n, sizeof *pcs)) {
      free(pcs);
      return SNARE_NO_MEMORY;
    }
    /* an inlined call inside its caller's prologue breaks past it */
    pcs[n++] = fn->info.inlined ? di_past_prologue(di, fn->info.after_prologue)
                                : fn->info.after_prologue;
  }
  if (n == 0)
    return SNARE_NOT_FOUND;
  qsort(pcs, n, sizeof *pcs, addr_cmp);
  size_t unique = 0;
  for (size_t i = 0; i < n; i++)
    if (unique == 0 || pcs[unique - 1] != pcs[i])
      pcs[unique++] = pcs[i];
  for (size_t i = 0; i < unique && i < cap; i++)
    addrs[i] = pcs[i] + di->bias;
  *count = unique;
  free(pcs);
  return SNARE_OK;
}

snare_status snare_debuginfo_function_addresses(const snare_debuginfo *di,
                                                const char *name,
                                                uint64_t *addrs, size_t cap,
                                                size_t *count)
{
  return snare_debuginfo_file_function_addresses(di, NULL, name, addrs, cap,
                                                 count);
}

snare_status snare_debuginfo_function_at(const snare_debuginfo *di,
                                         uint64_t addr,
                                         snare_function_info *out)
{
  if (!di || !out)
    return SNARE_INVALID_ARGUMENT;
  di_need_address(di, addr - di->bias);
  const di_function *fn = di_function_at(di, addr - di->bias);
  if (!fn)
    return SNARE_NOT_FOUND;
  export_info(di, fn, out);
  return SNARE_OK;
}
