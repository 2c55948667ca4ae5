/*
 * scopes.c - the source frames an address stands for (inlined calls and
 * their host function) and the variables each scope declares.
 */
#include <stdlib.h>
#include <string.h>

#include "variables_private.h"

/* The block of the function or inlined call that owns block b. */
static long frame_block(const snare_debuginfo *di, long b)
{
  while (b >= 0 && di->blocks[b].kind == DI_BLOCK_LEXICAL)
    b = di->blocks[b].parent;
  return b;
}

size_t snare_debuginfo_frames_at(const snare_debuginfo *di, uint64_t addr,
                                 snare_debuginfo_frame *out, size_t cap)
{
  uint64_t link = addr - di->bias;
  di_need_address(di, link);
  di_pc_line pl = di_pc_line_find(di, link);
  snare_debuginfo_frame f = {.scope = di_block_at(di, link)};
  if (pl.subfile) {
    f.file = pl.subfile->path;
    f.line = pl.row->line;
  }
  size_t n = 0;
  for (;;) {
    long fb = frame_block(di, f.scope);
    const snare_function_info *fn =
        fb >= 0 ? &di->functions[di->blocks[fb].function].info : NULL;
    f.function = fn ? fn->name : NULL;
    f.function_linkage = fn ? fn->linkage_name : NULL;
    f.inlined = fn && fn->inlined;
    if (n < cap)
      out[n] = f;
    n++;
    if (!f.inlined)
      return n;
    /* The host frame is at the call site, in the scope around the call. */
    f = (snare_debuginfo_frame){.file = fn->call_file, .line = fn->call_line,
                                .scope = di->blocks[fb].parent};
  }
}

/* Whether block b is inner or equal to block outer. */
static bool within(const snare_debuginfo *di, long b, long outer)
{
  for (; b >= 0; b = di->blocks[b].parent)
    if (b == outer)
      return true;
  return false;
}

unsigned snare_debuginfo_inline_entries(const snare_debuginfo *di,
                                        uint64_t addr, const char **call_file,
                                        unsigned *call_line)
{
  uint64_t link = addr - di->bias;
  di_need_address(di, link);
  unsigned n = 0;
  long before = link > 0 ? di_block_at(di, link - 1) : -1;
  for (long b = di_block_at(di, link); b >= 0; b = di->blocks[b].parent) {
    const di_block *block = &di->blocks[b];
    if (block->kind == DI_BLOCK_FUNCTION)
      break;
    if (block->kind != DI_BLOCK_INLINED)
      continue;
    const di_function *fn = &di->functions[block->function];
    if (fn->first_low != link && within(di, before, b))
      break;
    n++;
    *call_file = fn->info.call_file;
    *call_line = fn->info.call_line;
  }
  return n;
}

static bool is_declaration(Dwarf_Die die)
{
  Dwarf_Bool yes = 0;
  return dwarf_hasattr(die, DW_AT_declaration, &yes, NULL) == DW_DLV_OK &&
         yes;
}

static bool has_code(Dwarf_Die die)
{
  Dwarf_Bool yes = 0;
  return (dwarf_hasattr(die, DW_AT_low_pc, &yes, NULL) == DW_DLV_OK && yes) ||
         (dwarf_hasattr(die, DW_AT_ranges, &yes, NULL) == DW_DLV_OK && yes);
}

/* The walk of one block's declarations. */
typedef struct block_walk {
  const snare_debuginfo *di;
  Dwarf_Die function;
  bool params;
  di_var_visit visit;
  void *arg;
  Dwarf_Off *claimed; /* abstract DIEs a concrete child stands for */
  size_t claimed_count, claimed_cap;
  size_t symbols; /* gdb's symbols of the block (see extra_symbols) */
} block_walk;

static bool claimed(const block_walk *w, Dwarf_Off off)
{
  for (size_t i = 0; i < w->claimed_count; i++)
    if (w->claimed[i] == off)
      return true;
  return false;
}

/* Whether child declares a variable of the walk: a parameter, or a
   local (a label whose code was optimised away counts, as gdb lists it
   with <optimized out>). */
static bool declares(const block_walk *w, Dwarf_Die child, Dwarf_Half tag)
{
  if (is_declaration(child))
    return false;
  if (w->params)
    return tag == DW_TAG_formal_parameter;
  return tag == DW_TAG_variable || (tag == DW_TAG_label && !has_code(child));
}

static bool has_attr(Dwarf_Die die, Dwarf_Half at)
{
  Dwarf_Bool yes = 0;
  return dwarf_hasattr(die, at, &yes, NULL) == DW_DLV_OK && yes;
}

static bool named(Dwarf_Die die)
{
  char *name = NULL;
  return dwarf_diename(die, &name, NULL) == DW_DLV_OK;
}

/*
 * The symbols other than the variables listed that gdb makes of child in
 * the table of the block declaring it (their count sizes the table, so
 * it orders the variables): an extern declaration, a label that owns
 * code, a named type, an enumeration's enumerators, a nested function.
 */
static size_t extra_symbols(Dwarf_Debug dbg, Dwarf_Die child, Dwarf_Half tag)
{
  switch (tag) {
  case DW_TAG_variable:
    return is_declaration(child) && has_attr(child, DW_AT_external) &&
           named(child);
  case DW_TAG_label:
    return has_code(child) && named(child);
  case DW_TAG_typedef:
    return named(child);
  case DW_TAG_subprogram:
    return has_code(child) && named(child);
  case DW_TAG_structure_type:
  case DW_TAG_union_type:
  case DW_TAG_class_type:
    return named(child) &&
           (!is_declaration(child) || has_attr(child, DW_AT_byte_size));
  case DW_TAG_enumeration_type: {
    size_t n = named(child) &&
               (!is_declaration(child) || has_attr(child, DW_AT_byte_size));
    Dwarf_Die e = NULL;
    if (dwarf_child(child, &e, NULL) != DW_DLV_OK)
      return n;
    while (e) {
      Dwarf_Half etag = 0;
      dwarf_tag(e, &etag, NULL);
      n += etag == DW_TAG_enumerator && named(e);
      e = di_next_sibling(dbg, e);
    }
    return n;
  }
  default:
    return 0;
  }
}

/*
 * Visits the variables declared by the children of die, and those of its
 * lexical blocks that own no code (gdb folds them into the enclosing
 * block). abstract: die is an abstract instance whose children no
 * concrete DIE stands for are visited (claimed ones are skipped).
 * Returns false when visit asked to stop.
 */
static bool walk_children(block_walk *w, Dwarf_Die die, bool abstract)
{
  Dwarf_Debug dbg = w->di->dbg;
  Dwarf_Die child = NULL;
  bool go_on = true;
  if (dwarf_child(die, &child, NULL) != DW_DLV_OK)
    child = NULL;
  while (child && go_on) {
    Dwarf_Half tag = 0;
    dwarf_tag(child, &tag, NULL);
    if (abstract && claimed(w, di_die_key(w->di->dbg, child))) {
      /* a concrete DIE stands for it */
    } else if (tag == DW_TAG_lexical_block && (abstract || !has_code(child))) {
      go_on = walk_children(w, child, abstract);
    } else if (declares(w, child, tag)) {
      di_var var = {.die = child, .function = w->function,
                    .is_param = w->params};
      var.origin = di_ref(dbg, child, DW_AT_abstract_origin);
      char *name = NULL;
      if (dwarf_diename(child, &name, NULL) == DW_DLV_OK ||
          (var.origin && dwarf_diename(var.origin, &name, NULL) == DW_DLV_OK)) {
        var.name = name;
        w->symbols++;
        go_on = w->visit(&var, w->arg);
      }
      if (var.origin)
        dwarf_dealloc_die(var.origin);
    } else if (!w->params) {
      w->symbols += extra_symbols(dbg, child, tag);
    }
    child = di_next_sibling(dbg, child);
  }
  if (child)
    dwarf_dealloc_die(child);
  return go_on;
}

/* Records the abstract DIEs the children of die (and of its lexical
   blocks, which stand for abstract blocks) say they are instances of. */
static void claim_origins(block_walk *w, Dwarf_Die die)
{
  Dwarf_Debug dbg = w->di->dbg;
  Dwarf_Die child = NULL;
  if (dwarf_child(die, &child, NULL) != DW_DLV_OK)
    return;
  while (child) {
    Dwarf_Die origin = di_ref(dbg, child, DW_AT_abstract_origin);
    if (origin) {
      if (di_reserve((void **)&w->claimed, &w->claimed_cap,
                     w->claimed_count, sizeof *w->claimed))
        w->claimed[w->claimed_count++] = di_die_key(dbg, origin);
      dwarf_dealloc_die(origin);
    }
    Dwarf_Half tag = 0;
    dwarf_tag(child, &tag, NULL);
    if (tag == DW_TAG_lexical_block && !has_code(child))
      claim_origins(w, child);
    child = di_next_sibling(dbg, child);
  }
}

static Dwarf_Half tag_of(Dwarf_Die die)
{
  Dwarf_Half tag = 0;
  dwarf_tag(die, &tag, NULL);
  return tag;
}

/*
 * gdb's shallow isomorphism test of a concrete DIE and its abstract
 * origin: both have children of the same tags, in the same order, the
 * call sites included. Only then does a concrete lexical block without
 * DW_AT_abstract_origin (clang emits them) stand for the abstract child
 * at its position: that child is claimed, and the abstract block's
 * variables are not inherited into the enclosing scope.
 */
static void claim_by_position(block_walk *w, Dwarf_Die die, Dwarf_Die origin)
{
  Dwarf_Debug dbg = w->di->dbg;
  Dwarf_Die a = NULL, b = NULL;
  if (dwarf_child(die, &a, NULL) != DW_DLV_OK)
    a = NULL;
  if (dwarf_child(origin, &b, NULL) != DW_DLV_OK)
    b = NULL;
  while (a && b && tag_of(a) == tag_of(b)) {
    a = di_next_sibling(dbg, a);
    b = di_next_sibling(dbg, b);
  }
  bool isomorphic = a == NULL && b == NULL;
  if (a)
    dwarf_dealloc_die(a);
  if (b)
    dwarf_dealloc_die(b);
  if (!isomorphic || dwarf_child(die, &a, NULL) != DW_DLV_OK)
    return;
  if (dwarf_child(origin, &b, NULL) != DW_DLV_OK)
    b = NULL;
  while (a && b) {
    Dwarf_Bool has_origin = 0;
    if (tag_of(a) == DW_TAG_lexical_block &&
        (dwarf_hasattr(a, DW_AT_abstract_origin, &has_origin, NULL) !=
             DW_DLV_OK ||
         !has_origin) &&
        di_reserve((void **)&w->claimed, &w->claimed_cap, w->claimed_count,
                   sizeof *w->claimed))
      w->claimed[w->claimed_count++] = di_die_key(dbg, b);
    a = di_next_sibling(dbg, a);
    b = di_next_sibling(dbg, b);
  }
  if (a)
    dwarf_dealloc_die(a);
  if (b)
    dwarf_dealloc_die(b);
}

/*
 * Visits the variables (params: the formal parameters) the block whose
 * DIE is at off declares: its own, and, as gdb inherits them, those of
 * its abstract origin that no concrete DIE stands for (the compiler left
 * them out: optimised away). Returns false when visit asked to stop.
 */
static bool visit_children(const snare_debuginfo *di, Dwarf_Off off,
                           Dwarf_Die function, bool params,
                           di_var_visit visit, void *arg, size_t *symbols)
{
  Dwarf_Die die = NULL;
  if (!(die = di_key_die(di->dbg, off)))
    return true;
  block_walk w = {.di = di, .function = function, .params = params,
                  .visit = visit, .arg = arg};
  bool go_on = walk_children(&w, die, false);
  Dwarf_Die origin = di_ref(di->dbg, die, DW_AT_abstract_origin);
  if (go_on && origin) {
    claim_origins(&w, die);
    claim_by_position(&w, die, origin);
    go_on = walk_children(&w, origin, true);
  }
  if (origin)
    dwarf_dealloc_die(origin);
  free(w.claimed);
  dwarf_dealloc_die(die);
  if (symbols)
    *symbols = w.symbols;
  return go_on;
}

/* A variable of a lexical block, as collect_visit records it. */
typedef struct listed_var {
  Dwarf_Off die, origin; /* origin 0: none */
  const char *name;      /* in the section's data */
  unsigned bucket;
  size_t position;
} listed_var;

typedef struct collect_arg {
  Dwarf_Debug dbg;
  listed_var *vars;
  size_t count, cap;
  bool failed;
} collect_arg;

static bool collect_visit(const di_var *var, void *p)
{
  collect_arg *a = p;
  if (!di_reserve((void **)&a->vars, &a->cap, a->count, sizeof *a->vars)) {
    a->failed = true;
    return false;
  }
  a->vars[a->count] = (listed_var){
      .die = di_die_key(a->dbg, var->die),
      .origin = var->origin ? di_die_key(a->dbg, var->origin) : 0,
      .name = var->name,
      .position = a->count};
  a->count++;
  return true;
}

static int by_bucket(const void *pa, const void *pb)
{
  const listed_var *a = pa, *b = pb;
  if (a->bucket != b->bucket)
    return a->bucket < b->bucket ? -1 : 1;
  return a->position < b->position ? -1 : a->position > b->position;
}

/*
 * Visits the variables of a lexical block in gdb's order: gdb keeps a
 * block that is no function's in a hash table of symbols/5 + 1 buckets
 * and lists it bucket by bucket, each bucket in declaration order
 * (a function's or inlined call's block it keeps in declaration order).
 */
static bool visit_hashed(const snare_debuginfo *di, Dwarf_Off off,
                         Dwarf_Die function, di_var_visit visit, void *arg)
{
  collect_arg a = {.dbg = di->dbg};
  size_t symbols = 0;
  visit_children(di, off, function, false, collect_visit, &a, &symbols);
  if (a.failed) {
    free(a.vars);
    return visit_children(di, off, function, false, visit, arg, NULL);
  }
  unsigned buckets = (unsigned)(symbols / 5 + 1);
  for (size_t i = 0; i < a.count; i++)
    a.vars[i].bucket = di_symbol_hash(a.vars[i].name) % buckets;
  if (a.count > 1)
    qsort(a.vars, a.count, sizeof *a.vars, by_bucket);
  bool go_on = true;
  for (size_t i = 0; go_on && i < a.count; i++) {
    di_var var = {.function = function, .name = a.vars[i].name};
    if (!(var.die = di_key_die(di->dbg, a.vars[i].die)))
      continue;
    var.origin = a.vars[i].origin ? di_key_die(di->dbg, a.vars[i].origin)
                                  : NULL;
    go_on = visit(&var, arg);
    if (var.origin)
      dwarf_dealloc_die(var.origin);
    dwarf_dealloc_die(var.die);
  }
  free(a.vars);
  return go_on;
}

void di_vars_each(const snare_debuginfo *di, long scope, di_var_visit visit,
                  void *arg)
{
  long fb = frame_block(di, scope);
  long host = fb;
  while (host >= 0 && di->blocks[host].kind == DI_BLOCK_INLINED)
    host = frame_block(di, di->blocks[host].parent);
  Dwarf_Die function = NULL;
  if (fb < 0 || host < 0 ||
      !(function = di_key_die(di->dbg, di->blocks[host].die)))
    return;
  bool go_on =
      visit_children(di, di->blocks[fb].die, function, true, visit, arg, NULL);
  for (long b = scope; go_on && b >= 0; b = di->blocks[b].parent) {
    if (di->blocks[b].kind == DI_BLOCK_LEXICAL)
      go_on = visit_hashed(di, di->blocks[b].die, function, visit, arg);
    else
      go_on = visit_children(di, di->blocks[b].die, function, false, visit,
                             arg, NULL);
    if (b == fb)
      break;
  }
  dwarf_dealloc_die(function);
}

typedef struct find_arg {
  const snare_debuginfo *di;
  const char *name; /* NULL: the variable `index` of the walk */
  size_t index;
  di_var *out;
  bool found;
} find_arg;

/* Keeps the DIEs of the match: the walk releases its own. */
static bool find_visit(const di_var *var, void *p)
{
  find_arg *a = p;
  if (a->name ? strcmp(var->name, a->name) != 0 : a->index-- > 0)
    return true;
  Dwarf_Debug dbg = a->di->dbg;
  Dwarf_Off off = di_die_key(dbg, var->die);
  Dwarf_Off fn = di_die_key(dbg, var->function);
  *a->out = (di_var){.name = var->name, .is_param = var->is_param};
  a->out->die = di_key_die(dbg, off);
  a->out->function = di_key_die(dbg, fn);
  a->out->origin = di_ref(a->di->dbg, a->out->die, DW_AT_abstract_origin);
  a->found = a->out->die && a->out->function;
  if (!a->found)
    di_var_done(a->di, a->out);
  return false;
}

bool di_var_find(const snare_debuginfo *di, long scope, const char *name,
                 di_var *out)
{
  find_arg a = {.di = di, .name = name, .out = out};
  di_vars_each(di, scope, find_visit, &a);
  return a.found;
}

bool di_var_find_listed(const snare_debuginfo *di, long scope, size_t index,
                        di_var *out)
{
  find_arg a = {.di = di, .index = index, .out = out};
  di_vars_each(di, scope, find_visit, &a);
  return a.found;
}

void di_var_done(const snare_debuginfo *di, di_var *var)
{
  (void)di;
  if (var->die)
    dwarf_dealloc_die(var->die);
  if (var->origin)
    dwarf_dealloc_die(var->origin);
  if (var->function)
    dwarf_dealloc_die(var->function);
  *var = (di_var){0};
}

typedef struct list_arg {
  snare_variable_info *out;
  size_t cap, count;
} list_arg;

static bool list_visit(const di_var *var, void *p)
{
  list_arg *a = p;
  if (a->count < a->cap)
    a->out[a->count] = (snare_variable_info){var->name, var->is_param};
  a->count++;
  return true;
}

snare_status snare_debuginfo_variables(const snare_debuginfo *di, long scope,
                                       snare_variable_info *out, size_t cap,
                                       size_t *count)
{
  list_arg a = {.out = out, .cap = cap};
  if (scope < 0)
    return SNARE_NOT_FOUND;
  di_vars_each(di, scope, list_visit, &a);
  *count = a.count;
  return SNARE_OK;
}
