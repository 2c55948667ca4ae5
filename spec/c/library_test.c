/*
 * library_test.c - shared objects opened through snare: symbols by name
 * and by address agree with the dynamic loader, failures explain
 * themselves, and the code map knows the functions of open libraries.
 */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixtures.h"
#include "code/code.h"
#include "snare.h"

static const char *const levels[] = {"O0", "O2"};
#define LEVEL_COUNT (sizeof levels / sizeof levels[0])

static const char *fixture(const char *level) {
  return fixture_path(level, "loops");
}

static snare_library *open_fixture(const char *level) {
  snare_library *lib = NULL;
  snare_status status = snare_library_open(fixture(level), &lib);
  cr_assert_eq(status, SNARE_OK, "opening %s: %s", fixture(level),
               snare_library_error());
  cr_assert_not_null(lib);
  return lib;
}

Test(library, symbols_are_where_the_loader_put_them) {
  static const char *const names[] = {"count_to", "fib", "add6", "add8"};
  for (size_t l = 0; l < LEVEL_COUNT; l++) {
    snare_library *lib = open_fixture(levels[l]);
    void *handle = dlopen(fixture(levels[l]), RTLD_NOW | RTLD_NOLOAD);
    cr_assert_not_null(handle, "snare's open did not load %s", levels[l]);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
      snare_symbol sym;
      cr_assert_eq(snare_library_symbol(lib, names[i], &sym), SNARE_OK);
      cr_assert_str_eq(sym.name, names[i]);
      cr_assert(sym.is_function);
      cr_assert_gt(sym.size, 0);
      cr_assert_eq(sym.address, (uint64_t)(uintptr_t)dlsym(handle, names[i]),
                   "%s at %s", names[i], levels[l]);
    }
    Dl_info info;
    cr_assert(dladdr(dlsym(handle, "fib"), &info));
    cr_assert_eq(snare_library_base(lib), (uint64_t)(uintptr_t)info.dli_fbase);
    cr_assert_str_eq(snare_library_path(lib), fixture(levels[l]));
    dlclose(handle);
    snare_library_close(lib);
  }
}

Test(library, symbol_at_round_trips) {
  for (size_t l = 0; l < LEVEL_COUNT; l++) {
    snare_library *lib = open_fixture(levels[l]);
    snare_symbol fib, found;
    cr_assert_eq(snare_library_symbol(lib, "fib", &fib), SNARE_OK);
    uint64_t inside[] = {fib.address, fib.address + fib.size / 2,
                         fib.address + fib.size - 1};
    for (size_t i = 0; i < 3; i++) {
      cr_assert_eq(snare_library_symbol_at(lib, inside[i], &found), SNARE_OK);
      cr_assert_str_eq(found.name, "fib");
      cr_assert_eq(found.address, fib.address);
      cr_assert_eq(found.size, fib.size);
    }
    snare_status past =
        snare_library_symbol_at(lib, fib.address + fib.size, &found);
    cr_assert(past == SNARE_NOT_FOUND || strcmp(found.name, "fib") != 0);
    cr_assert_eq(snare_library_symbol_at(lib, 1, &found), SNARE_NOT_FOUND);
    snare_library_close(lib);
  }
}

Test(library, unknown_names_are_not_found) {
  snare_library *lib = open_fixture("O0");
  snare_symbol sym;
  cr_assert_eq(snare_library_symbol(lib, "no_such_function", &sym),
               SNARE_NOT_FOUND);
  cr_assert_eq(snare_library_symbol(lib, "", &sym), SNARE_NOT_FOUND);
  cr_assert_eq(snare_library_symbol(lib, NULL, &sym), SNARE_INVALID_ARGUMENT);
  snare_library_close(lib);
}

Test(library, a_missing_file_fails_with_the_loaders_message) {
  snare_library *lib = (snare_library *)&lib; /* must stay untouched */
  const char *path = "/nonexistent/libnothing.so";
  cr_assert_eq(snare_library_open(path, &lib), SNARE_LOAD_FAILED);
  cr_assert_eq(lib, (snare_library *)&lib);
  cr_assert_not_null(strstr(snare_library_error(), path), "message: %s",
                     snare_library_error());
}

Test(library, a_file_that_is_not_elf_fails_with_the_loaders_message) {
  char path[] = "/tmp/snare-garbage-XXXXXX";
  int fd = mkstemp(path);
  cr_assert_geq(fd, 0);
  cr_assert_eq(write(fd, "not an ELF file\n", 16), 16);
  close(fd);
  snare_library *lib = NULL;
  snare_status status = snare_library_open(path, &lib);
  unlink(path);
  cr_assert_eq(status, SNARE_LOAD_FAILED);
  cr_assert_null(lib);
  cr_assert_neq(snare_library_error()[0], '\0');
  cr_assert_not_null(strstr(snare_library_error(), path), "message: %s",
                     snare_library_error());
}

Test(library, bad_arguments_are_refused) {
  snare_library *lib = NULL;
  cr_assert_eq(snare_library_open(NULL, &lib), SNARE_INVALID_ARGUMENT);
  cr_assert_eq(snare_library_open(fixture("O0"), NULL), SNARE_INVALID_ARGUMENT);
  cr_assert_null(lib);
}

Test(library, close_accepts_null) { snare_library_close(NULL); }

Test(library, the_code_map_knows_functions_of_open_libraries) {
  snare_library *lib = open_fixture("O2");
  snare_symbol fib;
  cr_assert_eq(snare_library_symbol(lib, "fib", &fib), SNARE_OK);
  uint64_t start = 0, size = 0;
  const char *name = NULL;
  cr_assert(
      snare_code_function_containing(fib.address + 1, &start, &size, &name));
  cr_assert_eq(start, fib.address);
  cr_assert_eq(size, fib.size);
  cr_assert_str_eq(name, "fib");
  snare_library_close(lib);
  cr_assert_not(
      snare_code_function_containing(fib.address + 1, &start, &size, &name));
}

Test(library, the_same_object_opened_twice_survives_one_close) {
  snare_library *first = open_fixture("O0");
  snare_library *second = open_fixture("O0");
  snare_symbol sym;
  cr_assert_eq(snare_library_symbol(first, "count_to", &sym), SNARE_OK);
  snare_library_close(first);
  snare_symbol again;
  cr_assert_eq(snare_library_symbol(second, "count_to", &again), SNARE_OK);
  cr_assert_eq(again.address, sym.address);
  int (*count_to)(int) = (int (*)(int))(uintptr_t)again.address;
  cr_assert_eq(count_to(4), 10); /* still mapped */
  uint64_t start, size;
  cr_assert(snare_code_function_containing(again.address, &start, &size, NULL));
  snare_library_close(second);
}

/* libc has only .dynsym, aliases and versioned names: a name must lead
   where the loader's own lookup leads, or nowhere (memcpy@@GLIBC_2.14 is
   an IFUNC, which snare does not list, beside a hidden older version). */
Test(library, names_resolve_like_the_loader_in_libc) {
  snare_library *lib = NULL;
  cr_assert_eq(snare_library_open("libc.so.6", &lib), SNARE_OK, "%s",
               snare_library_error());
  void *handle = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
  cr_assert_not_null(handle);
  static const char *const names[] = {"malloc", "printf",  "environ",
                                      "memcpy", "memmove", "strlen"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    snare_symbol sym;
    if (snare_library_symbol(lib, names[i], &sym) == SNARE_OK)
      cr_assert_eq(sym.address, (uint64_t)(uintptr_t)dlsym(handle, names[i]),
                   "%s", names[i]);
  }
  snare_symbol sym;
  cr_assert_eq(snare_library_symbol(lib, "environ", &sym), SNARE_OK);
  cr_assert_not(sym.is_function);
  cr_assert_eq(snare_library_symbol(lib, "malloc", &sym), SNARE_OK);
  cr_assert(sym.is_function);
  dlclose(handle);
  snare_library_close(lib);
}

/* Breakpoints in a library go when it is unloaded, and not before: a
   second open of the same object keeps it mapped. */
Test(library, closing_the_last_open_clears_its_breakpoints) {
  snare_library *first = open_fixture("O0");
  snare_library *second = open_fixture("O0");
  snare_symbol fib;
  cr_assert_eq(snare_library_symbol(first, "fib", &fib), SNARE_OK);
  snare_session *session = NULL;
  cr_assert_eq(snare_session_new(&session), SNARE_OK);
  int id = 0;
  cr_assert_eq(snare_breakpoint_set(session, fib.address, NULL, &id), SNARE_OK);
  snare_breakpoint_info info;
  snare_library_close(first);
  cr_assert_eq(snare_breakpoint_info_get(session, id, &info), SNARE_OK);
  snare_library_close(second);
  cr_assert_eq(snare_breakpoint_info_get(session, id, &info), SNARE_NOT_FOUND);
  snare_session_free(session);
}
