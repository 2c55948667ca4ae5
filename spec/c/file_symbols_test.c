/*
 * file_symbols_test.c - snare_library_file_symbols: the variables and
 * named types of file scope of a fixture's DWARF, with the block, file
 * and line gdb's info variables and info types show them under
 * (spec/fixtures/expressions.c; the whole listings are compared with
 * gdb's in spec/file_symbols_gdb_spec.lua).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "fixtures.h"
#include "snare.h"

static const snare_file_symbol *find(const snare_file_symbol *symbols,
                                     size_t count, snare_file_symbol_kind kind,
                                     const char *name)
{
  for (size_t i = 0; i < count; i++)
    if (symbols[i].kind == kind && strcmp(symbols[i].name, name) == 0)
      return &symbols[i];
  return NULL;
}

static bool ends_with(const char *s, const char *tail)
{
  size_t n = strlen(s), k = strlen(tail);
  return n >= k && strcmp(s + n - k, tail) == 0;
}

Test(file_symbols, variables_and_types_as_gdb_keeps_them)
{
  static const char *const levels[] = {"O0", "O2"};
  for (size_t l = 0; l < 2; l++) {
    snare_library *lib = NULL;
    cr_assert_eq(snare_library_open(fixture_path(levels[l], "expressions"),
                                    &lib),
                 SNARE_OK);
    const snare_file_symbol *symbols = NULL;
    size_t count = 0;
    cr_assert_eq(snare_library_file_symbols(lib, &symbols, &count), SNARE_OK);
    cr_assert_gt(count, 30);

    const snare_file_symbol *global =
        find(symbols, count, SNARE_FILE_VARIABLE, "expr_counter");
    cr_assert_not_null(global, "%s: expr_counter", levels[l]);
    cr_assert(global->global);
    cr_assert_eq(global->line, 58);
    cr_assert(ends_with(global->file, "spec/fixtures/expressions.c"),
              "%s", global->file);
    snare_type_info info;
    cr_assert_eq(snare_type_describe(global->type, &info), SNARE_OK);
    cr_assert_eq(info.kind, SNARE_TYPE_SIGNED);

    const snare_file_symbol *file_static =
        find(symbols, count, SNARE_FILE_VARIABLE, "expr_hidden");
    cr_assert_not_null(file_static);
    cr_assert_not(file_static->global, "a static is in the static block");

    const snare_file_symbol *array =
        find(symbols, count, SNARE_FILE_VARIABLE, "expr_runs");
    cr_assert_not_null(array);
    cr_assert_eq(snare_type_describe(array->type, &info), SNARE_OK);
    cr_assert_eq(info.kind, SNARE_TYPE_ARRAY);
    cr_assert_eq(info.count, 600);

    const snare_file_symbol *aggregate =
        find(symbols, count, SNARE_FILE_TYPE, "point");
    cr_assert_not_null(aggregate);
    cr_assert_eq(aggregate->line, 15);
    cr_assert_not(aggregate->global, "C's structs are in the static block");
    cr_assert_eq(snare_type_describe(aggregate->type, &info), SNARE_OK);
    cr_assert_eq(info.kind, SNARE_TYPE_STRUCT);

    const snare_file_symbol *alias =
        find(symbols, count, SNARE_FILE_TYPE, "size_t");
    cr_assert_not_null(alias);
    cr_assert_str_eq(alias->file,
                     "/usr/lib/gcc/x86_64-linux-gnu/12/include/stddef.h");

    const snare_file_symbol *base =
        find(symbols, count, SNARE_FILE_TYPE, "int");
    cr_assert_not_null(base);
    cr_assert_eq(base->line, 0, "base types have no line");
    cr_assert_str_eq(base->file, global->file, "the unit's own file");
    cr_assert_null(base->codeless_file, "the unit has code");

    /* a function's locals are not of file scope, nor are members */
    cr_assert_null(find(symbols, count, SNARE_FILE_VARIABLE, "local"));
    cr_assert_null(find(symbols, count, SNARE_FILE_VARIABLE, "total"));
    cr_assert_null(find(symbols, count, SNARE_FILE_VARIABLE, "weights"));
    const snare_file_symbol *again = NULL;
    size_t again_count = 0;
    cr_assert_eq(snare_library_file_symbols(lib, &again, &again_count),
                 SNARE_OK);
    cr_assert_eq(again, symbols, "read once, then kept");
    cr_assert_eq(again_count, count);
    snare_library_close(lib);
  }
}

Test(file_symbols, arguments_are_checked)
{
  const snare_file_symbol *symbols = NULL;
  size_t count = 0;
  cr_assert_eq(snare_library_file_symbols(NULL, &symbols, &count),
               SNARE_INVALID_ARGUMENT);
  snare_library *lib = NULL;
  cr_assert_eq(snare_library_open(fixture_path("O0", "expressions"), &lib),
               SNARE_OK);
  cr_assert_eq(snare_library_file_symbols(lib, NULL, &count),
               SNARE_INVALID_ARGUMENT);
  const char *path = NULL;
  cr_assert_eq(snare_library_debug_file(lib, &path), SNARE_OK);
  cr_assert(ends_with(path, "/O0/libexpressions.so"), "%s", path);
  snare_library_close(lib);
}
