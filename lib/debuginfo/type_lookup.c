/*
 * type_lookup.c - names at file scope: types by their C name and
 * variables with a static address, searched in every unit's top level;
 * and the prototype of the function at an address.
 */
#include <stdlib.h>
#include <string.h>

#include "private.h"
#include "type_info.h"

/*
 * A C++ name's qualifiers: "ns::box<ns::K>::item" is ns, box<ns::K>
 * and item ("::" inside template arguments does not split). Written into
 * buf, parts point into it; returns the number of parts, 0 when there
 * are more than cap or the name does not fit.
 */
enum { QUALIFIED_PARTS = 16 };

static size_t split_qualified(const char *name, char *buf, size_t size,
                              const char **parts, size_t cap)
{
  size_t len = strlen(name), n = 0;
  int depth = 0;
  if (len >= size)
    return 0;
  memcpy(buf, name, len + 1);
  parts[n++] = buf;
  for (size_t i = 0; i < len; i++) {
    if (buf[i] == '<' || buf[i] == '(')
      depth++;
    else if (buf[i] == '>' || buf[i] == ')')
      depth--;
    else if (depth == 0 && buf[i] == ':' && buf[i + 1] == ':') {
      if (n == cap)
        return 0;
      buf[i] = '\0';
      parts[n++] = buf + i + 2;
      i++;
    }
  }
  return n;
}

/* Whether die is a namespace, struct, class or union named `want`
   (an unnamed namespace is "(anonymous namespace)"). */
static bool scope_named(Dwarf_Die die, const char *want)
{
  Dwarf_Half tag = 0;
  char *name = NULL;
  dwarf_tag(die, &tag, NULL);
  if (tag != DW_TAG_namespace && tag != DW_TAG_structure_type &&
      tag != DW_TAG_class_type && tag != DW_TAG_union_type)
    return false;
  if (dwarf_diename(die, &name, NULL) != DW_DLV_OK)
    return tag == DW_TAG_namespace && strcmp(want, "(anonymous namespace)") == 0;
  return strcmp(name, want) == 0;
}

/* A walk of the DIEs in the scope a C++ name's qualifiers name: visit
   sees each child of every DIE the path reaches (a namespace may be
   opened in many places). */
typedef struct scoped_walk {
  const char *const *scopes;
  size_t count;
  di_top_visit visit;
  void *arg;
  bool go_on;
} scoped_walk;

static void walk_scope(const snare_debuginfo *di, Dwarf_Die scope,
                       scoped_walk *w, size_t depth)
{
  Dwarf_Die child = NULL;
  if (dwarf_child(scope, &child, NULL) != DW_DLV_OK)
    child = NULL;
  while (child && w->go_on) {
    if (depth + 1 == w->count)
      w->go_on = w->visit(di, child, w->arg);
    else if (scope_named(child, w->scopes[depth + 1]))
      walk_scope(di, child, w, depth + 1);
    child = di_next_sibling(di->dbg, child);
  }
  if (child)
    dwarf_dealloc_die(child);
}

static bool scoped_visit(const snare_debuginfo *di, Dwarf_Die die, void *p)
{
  scoped_walk *w = p;
  if (w->count == 0)
    return w->visit(di, die, w->arg);
  if (scope_named(die, w->scopes[0]))
    walk_scope(di, die, w, 0);
  return w->go_on;
}

/* Calls visit with the top-level DIEs a lookup of `name` may want (all
   of them for a NULL name): by the index over every unit, or walking a
   file's units. */
static void each_top(const snare_debuginfo *di, const char *file,
                     const char *name, di_top_visit visit, void *arg)
{
  if (file != NULL || name == NULL || !di_each_top_named(di, name, visit, arg))
    di_each_top_level(di, file, visit, arg);
}

/* As di_each_top_level, in the scope of qualified name `name`'s
   qualifiers (the top level for a plain name); *last is its last part, in
   buf. last_named: visit wants only the DIEs named *last (not, say, the
   enumerations holding an enumerator of that name). */
static bool each_in_scope(const snare_debuginfo *di, const char *file,
                          const char *name, bool last_named, char *buf,
                          size_t size, const char **last, di_top_visit visit,
                          void *arg)
{
  const char *parts[QUALIFIED_PARTS];
  size_t n = split_qualified(name, buf, size, parts, QUALIFIED_PARTS);
  if (n == 0)
    return false;
  *last = parts[n - 1];
  scoped_walk w = {.scopes = parts, .count = n - 1, .visit = visit,
                   .arg = arg, .go_on = true};
  each_top(di, file, n > 1 || last_named ? parts[0] : NULL, scoped_visit, &w);
  return true;
}

static bool is_declaration(Dwarf_Die die)
{
  Dwarf_Bool yes = 0;
  return dwarf_hasattr(die, DW_AT_declaration, &yes, NULL) == DW_DLV_OK &&
         yes;
}

static snare_type type_here(const snare_debuginfo *di, Dwarf_Die die)
{
  return (snare_type){.owner = di, .die = di_die_key(di->dbg, die)};
}

typedef struct type_search {
  Dwarf_Half tag; /* 0: a typedef or base type */
  const char *name;
  snare_type found;
  bool complete;
} type_search;

static bool type_visit(const snare_debuginfo *di, Dwarf_Die die, void *p)
{
  type_search *s = p;
  Dwarf_Half tag = 0;
  char *name = NULL;
  dwarf_tag(die, &tag, NULL);
  bool wanted =
      s->tag ? tag == s->tag ||
                   (s->tag == DW_TAG_structure_type && tag == DW_TAG_class_type)
             : tag == DW_TAG_typedef || tag == DW_TAG_base_type ||
                   ((tag == DW_TAG_structure_type || tag == DW_TAG_class_type ||
                     tag == DW_TAG_union_type ||
                     tag == DW_TAG_enumeration_type) &&
                    di_in_cplus_unit(di, die)); /* C++ needs no tag */
  if (!wanted || dwarf_diename(die, &name, NULL) != DW_DLV_OK ||
      strcmp(name, s->name) != 0)
    return true;
  bool complete = !is_declaration(die);
  if (s->found.owner == NULL || (complete && !s->complete)) {
    s->found = type_here(di, die);
    s->complete = complete;
  }
  return !complete;
}

static const struct {
  const char *keyword;
  Dwarf_Half tag;
} tags[] = {{"struct ", DW_TAG_structure_type},
            {"union ", DW_TAG_union_type},
            {"enum ", DW_TAG_enumeration_type}};

static snare_status type_find(const snare_debuginfo *di, const char *name,
                              snare_type *out)
{
  type_search s = {.name = name};
  for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++) {
    size_t n = strlen(tags[i].keyword);
    if (strncmp(name, tags[i].keyword, n) == 0) {
      s.tag = tags[i].tag;
      s.name = name + n;
    }
  }
  /* gdb reads main's unit as it loads a program (for its language) and
     looks a name up in the units it has read before the others: a class
     gcc writes into each unit with the member templates that unit
     instantiates (Json::Value's as<float>) is main's unit's there */
  snare_function_info main_fn;
  snare_unit_info main_unit;
  const char *wanted = s.name; /* (the walk sets s.name to its last part) */
  char buf[512];
  if (snare_debuginfo_function(di, "main", &main_fn) == SNARE_OK &&
      !main_fn.inlined &&
      snare_debuginfo_unit_at(di, main_fn.entry, &main_unit) == SNARE_OK &&
      main_unit.name)
    each_in_scope(di, main_unit.name, wanted, true, buf, sizeof buf, &s.name,
                  type_visit, &s);
  if (!s.complete &&
      !each_in_scope(di, NULL, wanted, true, buf, sizeof buf, &s.name,
                     type_visit, &s))
    return SNARE_NOT_FOUND;
  if (s.found.owner == NULL)
    return SNARE_NOT_FOUND;
  *out = s.found;
  return SNARE_OK;
}

snare_status snare_debuginfo_type_find(const snare_debuginfo *di,
                                       const char *name, snare_type *out)
{
  di_memo_answer kept;
  if (!di_memo_find(di, DI_MEMO_TYPE, NULL, name, &kept)) {
    kept = (di_memo_answer){.status = SNARE_NOT_FOUND};
    kept.status = type_find(di, name, &kept.type);
    di_memo_keep(di, DI_MEMO_TYPE, NULL, name, &kept);
  }
  if (kept.status == SNARE_OK)
    *out = kept.type;
  return kept.status;
}

typedef struct global_search {
  const char *name;
  const char *qualified; /* the whole name asked for */
  snare_type type;
  uint64_t address;
  bool found;
} global_search;

bool di_static_address(Dwarf_Die die, uint64_t *out)
{
  Dwarf_Attribute attr;
  Dwarf_Loc_Head_c head = NULL;
  Dwarf_Unsigned count = 0;
  bool ok = false;
  if (dwarf_attr(die, DW_AT_location, &attr, NULL) != DW_DLV_OK)
    return false;
  if (dwarf_get_loclist_c(attr, &head, &count, NULL) == DW_DLV_OK &&
      count == 1) {
    Dwarf_Small lle = 0, source = 0, op = 0;
    Dwarf_Unsigned raw_low, raw_high, ops = 0, expr_off, desc_off;
    Dwarf_Unsigned o1 = 0, o2, o3, branch;
    Dwarf_Bool unavailable = 0;
    Dwarf_Addr low = 0, high = 0;
    Dwarf_Locdesc_c desc = NULL;
    ok = dwarf_get_locdesc_entry_d(head, 0, &lle, &raw_low, &raw_high,
                                   &unavailable, &low, &high, &ops, &desc,
                                   &source, &expr_off, &desc_off,
                                   NULL) == DW_DLV_OK &&
         ops == 1 &&
         dwarf_get_location_op_value_c(desc, 0, &op, &o1, &o2, &o3, &branch,
                                       NULL) == DW_DLV_OK;
    /* DWARF 5's index into the unit's .debug_addr (clang's statics and
       globals; gcc writes DW_OP_addr) */
    bool indexed = op == DW_OP_addrx || op == DW_OP_GNU_addr_index;
    Dwarf_Addr entry = 0;
    if (ok && indexed)
      ok = dwarf_debug_addr_index_to_addr(die, o1, &entry, NULL) ==
           DW_DLV_OK;
    ok = ok && (indexed || op == DW_OP_addr);
    *out = indexed ? entry : o1;
  }
  if (head)
    dwarf_loc_head_c_dealloc(head);
  dwarf_dealloc_attribute(attr);
  return ok;
}

static bool global_visit(const snare_debuginfo *di, Dwarf_Die die, void *p)
{
  global_search *s = p;
  Dwarf_Half tag = 0;
  dwarf_tag(die, &tag, NULL);
  if (tag != DW_TAG_variable)
    return true;
  /* a definition apart from its declaration names it through
     DW_AT_specification */
  Dwarf_Die spec = di_ref(di->dbg, die, DW_AT_specification);
  Dwarf_Die named = spec ? spec : die;
  char *name = NULL;
  uint64_t link = 0;
  if (dwarf_diename(named, &name, NULL) == DW_DLV_OK &&
      strcmp(name, s->name) == 0 && di_static_address(die, &link)) {
    Dwarf_Die type = di_ref(di->dbg, named, DW_AT_type);
    if (type) {
      s->type = type_here(di, type);
      dwarf_dealloc_die(type);
    }
    s->address = link + di->bias;
    s->found = true;
  }
  if (spec)
    dwarf_dealloc_die(spec);
  return !s->found;
}

/* A top-level definition of a static member (DW_AT_specification to its
   declaration in the class) of the qualified name s->qualified. */
static bool member_definition_visit(const snare_debuginfo *di, Dwarf_Die die,
                                    void *p)
{
  global_search *s = p;
  Dwarf_Half tag = 0;
  dwarf_tag(die, &tag, NULL);
  Dwarf_Die spec = tag == DW_TAG_variable
                       ? di_ref(di->dbg, die, DW_AT_specification)
                       : NULL;
  if (spec == NULL)
    return true;
  char *name = NULL;
  char scope[512];
  size_t n = strlen(s->qualified) - strlen(s->name);
  uint64_t link = 0;
  if (dwarf_diename(spec, &name, NULL) == DW_DLV_OK &&
      strcmp(name, s->name) == 0 &&
      snare_type_scope(type_here(di, spec), scope, sizeof scope) ==
          SNARE_OK &&
      n >= 2 && strlen(scope) == n - 2 &&
      strncmp(scope, s->qualified, n - 2) == 0 &&
      di_static_address(die, &link)) {
    Dwarf_Die type = di_ref(di->dbg, spec, DW_AT_type);
    if (type) {
      s->type = type_here(di, type);
      dwarf_dealloc_die(type);
    }
    s->address = link + di->bias;
    s->found = true;
  }
  dwarf_dealloc_die(spec);
  return !s->found;
}

/* The definition of static member `name` ("ns::K::count") apart from its
   class: at the top level (gcc's), or in a namespace around the class
   (clang's), the innermost first. */
static void member_definition(const snare_debuginfo *di, const char *file,
                              const char *name, global_search *s)
{
  char buf[512];
  const char *parts[QUALIFIED_PARTS];
  size_t n = split_qualified(name, buf, sizeof buf, parts, QUALIFIED_PARTS);
  for (size_t outer = n >= 2 ? n - 2 : 0; outer > 0 && !s->found; outer--) {
    scoped_walk w = {.scopes = parts, .count = outer,
                     .visit = member_definition_visit, .arg = s,
                     .go_on = true};
    each_top(di, file, parts[0], scoped_visit, &w);
  }
  if (!s->found)
    each_top(di, file, s->name, member_definition_visit, s);
}

snare_status snare_debuginfo_global(const snare_debuginfo *di,
                                    const char *name, snare_type *type,
                                    uint64_t *address)
{
  return snare_debuginfo_file_global(di, NULL, name, type, address);
}

static snare_status file_global(const snare_debuginfo *di, const char *file,
                                const char *name, snare_type *type,
                                uint64_t *address)
{
  global_search s = {.name = name, .qualified = name};
  char buf[512];
  if (!each_in_scope(di, file, name, true, buf, sizeof buf, &s.name,
                     global_visit, &s))
    return SNARE_NOT_FOUND;
  if (!s.found && s.name != name) /* a static member defined apart */
    member_definition(di, file, name, &s);
  if (!s.found)
    return SNARE_NOT_FOUND;
  *type = s.type;
  *address = s.address;
  return SNARE_OK;
}

typedef struct enumerator_search {
  const char *name;
  snare_type type;
  int64_t value;
  bool found;
} enumerator_search;

static bool enumerator_visit(const snare_debuginfo *di, Dwarf_Die die,
                             void *p)
{
  enumerator_search *s = p;
  Dwarf_Half tag = 0;
  Dwarf_Die child = NULL;
  dwarf_tag(die, &tag, NULL);
  if (tag != DW_TAG_enumeration_type ||
      dwarf_child(die, &child, NULL) != DW_DLV_OK)
    return true;
  while (child && !s->found) {
    char *name = NULL;
    Dwarf_Unsigned v = 0;
    if (dwarf_diename(child, &name, NULL) == DW_DLV_OK &&
        strcmp(name, s->name) == 0 &&
        di_udata(child, DW_AT_const_value, &v)) {
      s->type = type_here(di, die);
      s->value = (int64_t)v;
      s->found = true;
    }
    child = di_next_sibling(di->dbg, child);
  }
  if (child)
    dwarf_dealloc_die(child);
  return !s->found;
}

snare_status snare_debuginfo_enumerator(const snare_debuginfo *di,
                                        const char *name, snare_type *type,
                                        int64_t *value)
{
  enumerator_search s = {.name = name};
  char buf[512]; /* an unscoped enum's enumerators are its scope's: ns::red */
  if (!each_in_scope(di, NULL, name, false, buf, sizeof buf, &s.name,
                     enumerator_visit, &s) ||
      !s.found)
    return SNARE_NOT_FOUND;
  *type = s.type;
  *value = s.value;
  return SNARE_OK;
}

snare_status snare_debuginfo_function_type(const snare_debuginfo *di,
                                           uint64_t addr, snare_type *out)
{
  di_need_address(di, addr - di->bias);
  long b = di_block_at(di, addr - di->bias);
  while (b >= 0 && di->blocks[b].kind != DI_BLOCK_FUNCTION)
    b = di->blocks[b].parent;
  if (b < 0)
    return SNARE_NOT_FOUND;
  Dwarf_Die die = NULL;
  if (!(die = di_key_die(di->dbg, di->blocks[b].die)))
    return SNARE_NOT_FOUND;
  /* an out-of-line copy of an inline function declares it in its origin */
  Dwarf_Die origin = di_ref(di->dbg, die, DW_AT_abstract_origin);
  if (origin == NULL)
    origin = di_ref(di->dbg, die, DW_AT_specification);
  *out = type_here(di, origin ? origin : die);
  if (origin)
    dwarf_dealloc_die(origin);
  dwarf_dealloc_die(die);
  return SNARE_OK;
}

snare_status snare_debuginfo_file_global(const snare_debuginfo *di,
                                         const char *file, const char *name,
                                         snare_type *type, uint64_t *address)
{
  di_memo_answer kept;
  if (!di_memo_find(di, DI_MEMO_GLOBAL, file, name, &kept)) {
    kept = (di_memo_answer){.status = SNARE_NOT_FOUND};
    kept.status = file_global(di, file, name, &kept.type, &kept.address);
    di_memo_keep(di, DI_MEMO_GLOBAL, file, name, &kept);
  }
  if (kept.status == SNARE_OK) {
    *type = kept.type;
    *address = kept.address;
  }
  return kept.status;
}
