/* attributes.c - reading DIE attributes and walking siblings the way
   every DWARF reader of snare needs them.

   Each helper takes a DIE that may be NULL (a reference that led nowhere
   in a corrupted unit) and answers "absent": libdwarf, handed a NULL DIE
   without a Dwarf_Error, has no Dwarf_Debug whose handler it could call
   and aborts the process. */
#include <string.h>

#include "private.h"

bool di_udata(Dwarf_Die die, Dwarf_Half at, Dwarf_Unsigned *out)
{
  Dwarf_Attribute attr;
  if (!die || dwarf_attr(die, at, &attr, NULL) != DW_DLV_OK)
    return false;
  bool ok = dwarf_formudata(attr, out, NULL) == DW_DLV_OK;
  Dwarf_Signed s = 0;
  /* gcc writes DW_FORM_implicit_const (and negative enumerator values),
     which only formsdata reads. */
  if (!ok && dwarf_formsdata(attr, &s, NULL) == DW_DLV_OK) {
    *out = (Dwarf_Unsigned)s;
    ok = true;
  }
  dwarf_dealloc_attribute(attr);
  return ok;
}

bool di_flag(Dwarf_Die die, Dwarf_Half at)
{
  Dwarf_Attribute attr;
  Dwarf_Bool value = 0;
  if (!die || dwarf_attr(die, at, &attr, NULL) != DW_DLV_OK)
    return false;
  if (dwarf_formflag(attr, &value, NULL) != DW_DLV_OK)
    value = 0;
  dwarf_dealloc_attribute(attr);
  return value != 0;
}

/*
 * dwz moves DIEs shared by several objects into an alternate file
 * (debuginfo.c ties it to the object's Dwarf_Debug). libdwarf 20210528
 * keeps no public link from a DIE to its Dwarf_Debug; each Dwarf_Debug
 * names its .debug_info section with a string of its own, which the DIE
 * reports, so the two pointers tell the files apart.
 */
Dwarf_Debug di_die_debug(Dwarf_Debug dbg, Dwarf_Die die)
{
  Dwarf_Debug alt = NULL;
  const char *own = NULL, *alt_name = NULL;
  if (!die || dwarf_get_tied_dbg(dbg, &alt, NULL) != DW_DLV_OK || !alt ||
      dwarf_get_die_section_name_b(die, &own, NULL) != DW_DLV_OK ||
      dwarf_get_die_section_name(alt, true, &alt_name, NULL) != DW_DLV_OK)
    return dbg;
  return own == alt_name ? alt : dbg;
}

Dwarf_Off di_die_key(Dwarf_Debug dbg, Dwarf_Die die)
{
  Dwarf_Off off = 0;
  if (!die || dwarf_dieoffset(die, &off, NULL) != DW_DLV_OK)
    return 0;
  return di_die_debug(dbg, die) == dbg ? off : off | DI_ALT_KEY;
}

Dwarf_Die di_key_die(Dwarf_Debug dbg, Dwarf_Off key)
{
  Dwarf_Debug in = dbg;
  Dwarf_Die die = NULL;
  if (key & DI_ALT_KEY) {
    in = NULL;
    if (dwarf_get_tied_dbg(dbg, &in, NULL) != DW_DLV_OK || !in)
      return NULL;
    key &= ~DI_ALT_KEY;
  }
  if (dwarf_offdie_b(in, key, true, &die, NULL) != DW_DLV_OK)
    return NULL;
  return die;
}

/* Whether a reference form points into the alternate file. */
static bool alt_form(Dwarf_Half form)
{
  return form == DW_FORM_GNU_ref_alt || form == DW_FORM_ref_sup4 ||
         form == DW_FORM_ref_sup8;
}

Dwarf_Die di_ref(Dwarf_Debug dbg, Dwarf_Die die, Dwarf_Half at)
{
  Dwarf_Attribute attr;
  Dwarf_Off off = 0;
  Dwarf_Half form = 0;
  Dwarf_Die target = NULL;
  if (!die || dwarf_attr(die, at, &attr, NULL) != DW_DLV_OK)
    return NULL;
  /* An offset counts in the file the DIE was read from, or, for dwz's
     forms, in the alternate file. */
  Dwarf_Off file = di_die_debug(dbg, die) == dbg ? 0 : DI_ALT_KEY;
  if (dwarf_whatform(attr, &form, NULL) == DW_DLV_OK && alt_form(form))
    file = DI_ALT_KEY;
  if (dwarf_global_formref(attr, &off, NULL) == DW_DLV_OK)
    target = di_key_die(dbg, off | file);
  dwarf_dealloc_attribute(attr);
  return target;
}

const char *di_string(Dwarf_Die die, Dwarf_Half at)
{
  Dwarf_Attribute attr;
  char *text = NULL;
  if (!die || dwarf_attr(die, at, &attr, NULL) != DW_DLV_OK)
    return NULL;
  if (dwarf_formstring(attr, &text, NULL) != DW_DLV_OK)
    text = NULL;
  dwarf_dealloc_attribute(attr);
  return text;
}

const char *di_comp_dir(Dwarf_Die cu) { return di_string(cu, DW_AT_comp_dir); }

/*
 * libdwarf joins a relative directory of the line table to the unit's
 * DW_AT_comp_dir; gdb does not when the compilation directory is itself
 * relative (glibc is built with -fdebug-prefix-map to "."): libc's
 * getenv.c is "./stdlib/getenv.c" in gdb, not "./stdlib/./stdlib/...".
 */
const char *di_file_name(const char *srcfile, const char *comp_dir)
{
  size_t n = comp_dir ? strlen(comp_dir) : 0;
  if (n && comp_dir[0] != '/' && strncmp(srcfile, comp_dir, n) == 0 &&
      srcfile[n] == '/')
    return srcfile + n + 1;
  return srcfile;
}

Dwarf_Die di_next_sibling(Dwarf_Debug dbg, Dwarf_Die child)
{
  Dwarf_Die next = NULL;
  if (!child)
    return NULL;
  if (dwarf_siblingof_b(di_die_debug(dbg, child), child, true, &next,
                        NULL) != DW_DLV_OK)
    next = NULL;
  /* A corrupted DW_AT_sibling may point back: a walk only moves forward,
     or it would never end. */
  Dwarf_Off at = 0, next_at = 0;
  if (next && (dwarf_dieoffset(child, &at, NULL) != DW_DLV_OK ||
               dwarf_dieoffset(next, &next_at, NULL) != DW_DLV_OK ||
               next_at <= at)) {
    dwarf_dealloc_die(next);
    next = NULL;
  }
  dwarf_dealloc_die(child);
  return next;
}
