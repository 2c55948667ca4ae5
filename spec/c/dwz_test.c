/*
 * dwz_test.c - DWARF compressed by dwz's multifile mode: the alternate
 * file found from .gnu_debugaltlink (by its path, else by build ID under
 * the debug-file directory, and only with the build ID the link names),
 * names read through DW_FORM_GNU_strp_alt and types through
 * DW_FORM_GNU_ref_alt. The programs are spec/fixtures/dwz's, built and
 * compressed here (skipped without dwz).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debuginfo/debuginfo.h"
#include "debuginfo/type_info.h"

static char dir[] = "/tmp/snare_dwz_XXXXXX";

static void sh(const char *command)
{
  cr_assert_eq(system(command), 0, "%s", command);
}

/* The two programs, compressed together into DIR/common.debug. */
static void build_pair(void)
{
  if (system("command -v dwz >/dev/null 2>&1") != 0)
    cr_skip_test("no dwz (apt-get install dwz)");
  cr_assert_not_null(mkdtemp(dir));
  char command[2048];
  for (int i = 0; i < 2; i++) {
    const char *name = i ? "orders" : "inventory";
    snprintf(command, sizeof command,
             "gcc -g -O0 -o %s/%s spec/fixtures/dwz/%s.c "
             "spec/fixtures/dwz/parts.c",
             dir, name, name);
    sh(command);
  }
  snprintf(command, sizeof command,
           "dwz -m %s/common.debug -M %s/common.debug %s/inventory %s/orders",
           dir, dir, dir, dir);
  sh(command);
}

static void remove_pair(void)
{
  char command[600];
  snprintf(command, sizeof command, "rm -rf '%s'", dir);
  system(command);
  snare_debug_file_directory_set(NULL);
}

static snare_debuginfo *open_inventory(void)
{
  char path[600];
  snprintf(path, sizeof path, "%s/inventory", dir);
  snare_debuginfo *di = NULL;
  cr_assert_eq(snare_debuginfo_open(path, 0, &di), SNARE_OK, "%s", path);
  return di;
}

static snare_type_info described(snare_type t)
{
  snare_type_info info;
  cr_assert_eq(snare_type_describe(t, &info), SNARE_OK);
  return info;
}

TestSuite(dwz, .init = build_pair, .fini = remove_pair);

Test(dwz, reads_names_and_types_from_the_alternate_file)
{
  snare_debuginfo *di = open_inventory();
  char alt[600];
  snprintf(alt, sizeof alt, "%s/common.debug", dir);
  cr_assert_str_eq(snare_debuginfo_alt_file(di), alt);
  /* struct shelf is in the alternate file, its name a strp_alt there;
     the variable's DW_AT_type a ref_alt */
  snare_type type;
  uint64_t address = 0;
  cr_assert_eq(snare_debuginfo_global(di, "inventory_shelf", &type, &address),
               SNARE_OK);
  cr_assert_neq(address, 0);
  snare_type_info shelf = described(type);
  cr_assert_eq(shelf.kind, SNARE_TYPE_STRUCT);
  cr_assert_str_eq(shelf.name, "shelf");
  cr_assert_eq(shelf.size, 24);
  cr_assert_eq(shelf.children, 3);
  snare_type_member on_add;
  cr_assert_eq(snare_type_member_at(type, 2, &on_add), SNARE_OK);
  cr_assert_str_eq(on_add.name, "on_add");
  cr_assert_eq(on_add.offset, 16);
  snare_type_info visit = described(on_add.type);
  cr_assert_eq(visit.kind, SNARE_TYPE_TYPEDEF);
  cr_assert_str_eq(visit.name, "part_visit");
  /* a type by name, found in the partial unit the program imports */
  snare_type part;
  cr_assert_eq(snare_debuginfo_type_find(di, "struct part", &part), SNARE_OK);
  snare_type_info info = described(part);
  cr_assert_eq(info.kind, SNARE_TYPE_STRUCT);
  cr_assert_eq(info.size, 64);
  /* a function's parameters: names and types through the alternate file */
  snare_function_info fn;
  cr_assert_eq(snare_debuginfo_function(di, "shelf_area", &fn), SNARE_OK);
  cr_assert_eq(fn.param_count, 2);
  cr_assert_str_eq(fn.params[1], "unit");
  snare_debuginfo_close(di);
}

Test(dwz, finds_the_alternate_file_by_build_id)
{
  char command[2048];
  /* moved away from the path the link names, to where its build ID
     says under a debug-file directory */
  snprintf(command, sizeof command,
           "cd %s && id=$(readelf -n common.debug | sed -n "
           "'s/.*Build ID: //p') && mkdir -p debug/.build-id/${id%%${id#??}} "
           "&& mv common.debug debug/.build-id/${id%%${id#??}}/${id#??}.debug",
           dir);
  sh(command);
  char path[600];
  snprintf(path, sizeof path, "%s/inventory", dir);
  snare_debuginfo *di = NULL;
  cr_assert_eq(snare_debuginfo_open(path, 0, &di), SNARE_NOT_FOUND);
  snprintf(command, sizeof command, "/nowhere:%s/debug", dir);
  cr_assert_eq(snare_debug_file_directory_set(command), SNARE_OK);
  di = open_inventory();
  cr_assert_not_null(snare_debuginfo_alt_file(di));
  cr_assert(strstr(snare_debuginfo_alt_file(di), "/debug/.build-id/"));
  snare_type part;
  cr_assert_eq(snare_debuginfo_type_find(di, "struct part", &part), SNARE_OK);
  snare_debuginfo_close(di);
}

Test(dwz, refuses_an_alternate_file_of_another_build_id)
{
  char command[2048];
  /* another program's DWARF where the link points */
  snprintf(command, sizeof command,
           "gcc -g -O0 -o %s/common.debug spec/fixtures/dwz/parts.c -c", dir);
  sh(command);
  /* no DWARF then, as in gdb ("could not find '.gnu_debugaltlink' file"),
     rather than shared names and types read as missing */
  char path[600];
  snprintf(path, sizeof path, "%s/inventory", dir);
  snare_debuginfo *di = NULL;
  cr_assert_eq(snare_debuginfo_open(path, 0, &di), SNARE_NOT_FOUND);
  cr_assert_null(di);
}
