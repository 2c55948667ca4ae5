/*
 * call_sites.c - call site DIEs as gdb 13 reads them
 * (dwarf2/read.c, read_call_site_scope): where a call returns to
 * (DW_AT_call_return_pc, or DW_AT_low_pc on GCC's DW_TAG_GNU_call_site),
 * what it calls (DW_AT_call_origin, GCC's DW_AT_abstract_origin; an
 * indirect call's DW_AT_call_target needs registers, so it is not
 * followed), and which are tail calls of their function.
 */
#include "debuginfo/call_sites.h"
#include "private.h"

bool di_die_addr(Dwarf_Die die, Dwarf_Half at, Dwarf_Addr *out)
{
  Dwarf_Attribute attr;
  if (dwarf_attr(die, at, &attr, NULL) != DW_DLV_OK)
    return false;
  bool ok = dwarf_formaddr(attr, out, NULL) == DW_DLV_OK;
  dwarf_dealloc_attribute(attr);
  return ok;
}

static bool has(Dwarf_Die die, Dwarf_Half at)
{
  Dwarf_Bool yes = 0;
  return dwarf_hasattr(die, at, &yes, NULL) == DW_DLV_OK && yes;
}

/*
 * The DIE holding attribute at for die, as gdb's dwarf2_attr looks it
 * up: die itself, else the DIE its DW_AT_specification or
 * DW_AT_abstract_origin names, and so on. NULL when none has it; a DIE
 * other than die is the caller's to free.
 */
static Dwarf_Die holder(Dwarf_Debug dbg, Dwarf_Die die, Dwarf_Half at)
{
  Dwarf_Die d = die;
  for (int depth = 0; d && depth < 4; depth++) {
    if (has(d, at))
      return d;
    Dwarf_Die next = di_ref(dbg, d, DW_AT_specification);
    if (!next)
      next = di_ref(dbg, d, DW_AT_abstract_origin);
    if (d != die)
      dwarf_dealloc_die(d);
    d = next;
  }
  if (d && d != die)
    dwarf_dealloc_die(d);
  return NULL;
}

static void release(Dwarf_Die d, Dwarf_Die die)
{
  if (d && d != die)
    dwarf_dealloc_die(d);
}

static bool flag_true(Dwarf_Debug dbg, Dwarf_Die die, Dwarf_Half at)
{
  Dwarf_Die d = holder(dbg, die, at);
  Dwarf_Attribute attr;
  Dwarf_Bool flag = 0;
  if (d && dwarf_attr(d, at, &attr, NULL) == DW_DLV_OK) {
    if (dwarf_formflag(attr, &flag, NULL) != DW_DLV_OK)
      flag = 0;
    dwarf_dealloc_attribute(attr);
  }
  release(d, die);
  return flag != 0;
}

/* A string attribute as dwarf2_attr finds it (in the section's data,
   valid while the handle is open), or NULL. */
static const char *string_of(Dwarf_Debug dbg, Dwarf_Die die, Dwarf_Half at)
{
  Dwarf_Die d = holder(dbg, die, at);
  Dwarf_Attribute attr;
  char *s = NULL;
  if (d && dwarf_attr(d, at, &attr, NULL) == DW_DLV_OK) {
    if (dwarf_formstring(attr, &s, NULL) != DW_DLV_OK)
      s = NULL;
    dwarf_dealloc_attribute(attr);
  }
  release(d, die);
  return s;
}

static bool return_pc(Dwarf_Die site, Dwarf_Addr *pc)
{
  return di_die_addr(site, DW_AT_call_return_pc, pc) ||
         di_die_addr(site, DW_AT_low_pc, pc);
}

/* The unit holding the DIE at offset off (units are in section order). */
static size_t unit_of(const snare_debuginfo *di, Dwarf_Off off)
{
  size_t unit = 0;
  for (size_t i = 0; i < di->unit_count && di->units[i].offset <= off; i++)
    unit = i;
  return unit;
}

/* A callee with DW_AT_ranges: the start of each of its ranges, as gdb
   takes them all for the call's targets (a hot and a cold part). */
static void range_targets(const snare_debuginfo *di, Dwarf_Die callee,
                          snare_call_site *out)
{
  Dwarf_Die d = holder(di->dbg, callee, DW_AT_ranges);
  Dwarf_Off off = di_die_key(di->dbg, d);
  bool known = off != 0;
  release(d, callee);
  if (!known)
    return;
  di_need_unit(di, unit_of(di, off));
  for (size_t i = 0; i < di->function_count; i++) {
    const di_function *fn = &di->functions[i];
    if (fn->die != off || fn->info.inlined)
      continue;
    for (size_t r = 0; r < fn->info.range_count &&
                       out->target_count < SNARE_CALL_TARGETS_MAX; r++)
      out->targets[out->target_count++] = fn->ranges[r].low + di->bias;
    return;
  }
}

/* What site calls, as gdb resolves it without the caller's registers. */
static void read_target(const snare_debuginfo *di, Dwarf_Die site,
                        snare_call_site *out)
{
  Dwarf_Debug dbg = di->dbg;
  if (has(site, DW_AT_call_target) || has(site, DW_AT_GNU_call_site_target))
    return; /* computed from registers: an indirect call */
  Dwarf_Die callee = di_ref(dbg, site, DW_AT_call_origin);
  if (!callee)
    callee = di_ref(dbg, site, DW_AT_abstract_origin);
  if (!callee)
    return;
  Dwarf_Addr low = 0;
  Dwarf_Die d = holder(dbg, callee, DW_AT_specification);
  bool declaration = !d && flag_true(dbg, callee, DW_AT_declaration);
  release(d, callee);
  if (declaration) {
    /* defined elsewhere: the symbol of its linkage name */
    out->target_name = string_of(dbg, callee, DW_AT_linkage_name);
    if (!out->target_name)
      out->target_name = string_of(dbg, callee, DW_AT_MIPS_linkage_name);
    if (!out->target_name)
      out->target_name = string_of(dbg, callee, DW_AT_name);
  } else if ((d = holder(dbg, callee, DW_AT_ranges))) {
    release(d, callee);
    range_targets(di, callee, out);
  } else if ((d = holder(dbg, callee, DW_AT_low_pc))) {
    /* an abstract instance (DW_AT_inline) has no address: no target */
    if (di_die_addr(d, DW_AT_low_pc, &low))
      out->targets[out->target_count++] = low + di->bias;
    release(d, callee);
  }
  dwarf_dealloc_die(callee);
}

/* Visits the call sites below die (inside lexical blocks and inlined
   calls too) until visit says stop; returns that site (the caller frees
   it), or NULL. */
typedef bool (*site_visit)(Dwarf_Die site, void *arg);

static Dwarf_Die each_site(Dwarf_Debug dbg, Dwarf_Die die, site_visit visit,
                           void *arg, unsigned depth)
{
  Dwarf_Die child = NULL, found = NULL;
  if (depth > 64 || dwarf_child(die, &child, NULL) != DW_DLV_OK)
    return NULL;
  while (child && !found) {
    Dwarf_Half tag = 0;
    dwarf_tag(child, &tag, NULL);
    if ((tag == DW_TAG_call_site || tag == DW_TAG_GNU_call_site) &&
        visit(child, arg)) {
      found = child;
      child = NULL;
      break;
    }
    if (tag == DW_TAG_lexical_block || tag == DW_TAG_inlined_subroutine)
      found = each_site(dbg, child, visit, arg, depth + 1);
    child = di_next_sibling(dbg, child);
  }
  if (child)
    dwarf_dealloc_die(child);
  return found;
}

static bool returns_to(Dwarf_Die site, void *arg)
{
  Dwarf_Addr pc = 0;
  return return_pc(site, &pc) && pc == *(const uint64_t *)arg;
}

Dwarf_Die di_call_site_returning(Dwarf_Debug dbg, Dwarf_Die function,
                                 uint64_t ret)
{
  return each_site(dbg, function, returns_to, &ret, 0);
}

/* The out-of-line function block holding link-time addr, or -1. */
static long host_block(const snare_debuginfo *di, uint64_t addr)
{
  di_need_address(di, addr);
  long b = di_block_at(di, addr);
  while (b >= 0 && di->blocks[b].kind != DI_BLOCK_FUNCTION)
    b = di->blocks[b].parent;
  return b;
}

static bool function_die(const snare_debuginfo *di, long b, Dwarf_Die *out)
{
  return b >= 0 && (*out = di_key_die(di->dbg, di->blocks[b].die)) != NULL;
}

snare_status snare_debuginfo_host_entry(const snare_debuginfo *di,
                                        uint64_t addr, uint64_t *entry)
{
  long b = host_block(di, addr - di->bias);
  if (b < 0)
    return SNARE_NOT_FOUND;
  *entry = di->functions[di->blocks[b].function].info.entry + di->bias;
  return SNARE_OK;
}

snare_status snare_debuginfo_call_site(const snare_debuginfo *di, uint64_t ret,
                                       snare_call_site *out)
{
  uint64_t link = ret - di->bias;
  Dwarf_Die fn = NULL;
  if (!function_die(di, host_block(di, link - 1), &fn))
    return SNARE_NOT_FOUND;
  Dwarf_Die site = di_call_site_returning(di->dbg, fn, link);
  dwarf_dealloc_die(fn);
  if (!site)
    return SNARE_NOT_FOUND;
  *out = (snare_call_site){.return_pc = ret};
  read_target(di, site, out);
  dwarf_dealloc_die(site);
  return SNARE_OK;
}

typedef struct tail_walk {
  const snare_debuginfo *di;
  snare_call_site *out;
  size_t cap, count;
} tail_walk;

static bool collect_tail_call(Dwarf_Die site, void *arg)
{
  tail_walk *w = arg;
  Dwarf_Debug dbg = w->di->dbg;
  Dwarf_Addr pc = 0;
  if ((!flag_true(dbg, site, DW_AT_call_tail_call) &&
       !flag_true(dbg, site, DW_AT_GNU_tail_call)) ||
      !return_pc(site, &pc))
    return false;
  if (w->count < w->cap) {
    snare_call_site *s = &w->out[w->count];
    *s = (snare_call_site){.return_pc = pc + w->di->bias};
    read_target(w->di, site, s);
  }
  w->count++;
  return false; /* all of them */
}

snare_status snare_debuginfo_tail_calls(const snare_debuginfo *di,
                                        uint64_t entry, snare_call_site *out,
                                        size_t cap, size_t *count)
{
  uint64_t link = entry - di->bias;
  long b = host_block(di, link);
  Dwarf_Die fn = NULL;
  if (b < 0 || di->functions[di->blocks[b].function].info.entry != link ||
      !function_die(di, b, &fn))
    return SNARE_NOT_FOUND;
  *count = 0;
  /* Only a function whose every (tail) call is described can tell that
     no other path leaves it by a jump. */
  Dwarf_Debug dbg = di->dbg;
  if (flag_true(dbg, fn, DW_AT_call_all_calls) ||
      flag_true(dbg, fn, DW_AT_GNU_all_call_sites) ||
      flag_true(dbg, fn, DW_AT_call_all_tail_calls) ||
      flag_true(dbg, fn, DW_AT_GNU_all_tail_call_sites)) {
    tail_walk w = {.di = di, .out = out, .cap = cap};
    each_site(dbg, fn, collect_tail_call, &w, 0);
    *count = w.count;
  }
  dwarf_dealloc_die(fn);
  return SNARE_OK;
}
