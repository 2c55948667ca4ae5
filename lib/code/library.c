/*
 * library.c - shared objects opened by path, their symbols, and the list
 * of those currently open.
 *
 * The list has no lock: like the rest of the controller API, opening,
 * closing and looking up libraries happen on the controller thread only
 * (lib/ cannot name the OS's locks, and the contract makes one needless).
 */
#include <stdlib.h>
#include <string.h>

#include "code/code.h"
#include "code/elf_symbols.h"
#include "code/library.h"
#include "debuginfo/debuginfo.h"
#include "internal/loader.h"
#include "snare.h"

struct snare_library {
  void *handle;   /* the OS loader's */
  char *path;     /* as given to snare_library_open */
  uint64_t base;  /* load bias */
  uint64_t start; /* mapped extent, for clearing breakpoints on close */
  uint64_t size;
  uint64_t code_start, code_size; /* its executable segments */
  snare_elf_symbols symbols;
  const char *file; /* the file the loader mapped; the loader's */
  snare_debuginfo *debuginfo; /* read on first use */
  snare_status debuginfo_status; /* of that read; OK until tried */
  bool debuginfo_tried;
};

static snare_library **open_libraries;
static size_t open_count, open_capacity;

/* Why the last snare_library_open on this thread failed. */
static _Thread_local char last_error[512];

static snare_status failed(snare_status status, const char *message) {
  strncpy(last_error, message, sizeof last_error - 1);
  return status;
}

/* Makes room for one more entry in open_libraries. */
static bool reserve_entry(void) {
  if (open_count < open_capacity)
    return true;
  size_t capacity = open_capacity ? open_capacity * 2 : 8;
  snare_library **grown =
      realloc(open_libraries, capacity * sizeof *open_libraries);
  if (grown == NULL)
    return false;
  open_libraries = grown;
  open_capacity = capacity;
  return true;
}

static void forget(const snare_library *lib) {
  for (size_t i = 0; i < open_count; i++) {
    if (open_libraries[i] == lib) {
      open_libraries[i] = open_libraries[--open_count];
      break;
    }
  }
  if (open_count == 0) {
    free(open_libraries);
    open_libraries = NULL;
    open_capacity = 0;
  }
}

/* Frees what snare owns of lib; the OS handle is the caller's business. */
static void destroy(snare_library *lib) {
  snare_debuginfo_close(lib->debuginfo);
  snare_elf_symbols_free(&lib->symbols);
  free(lib->path);
  free(lib);
}

static bool handle_shared(const snare_library *lib);

static void close_handle(void *handle) {
  if (handle != NULL) /* else described, never loaded by us */
    snare_os_library_close(handle);
}

/*
 * Takes over an object the OS loader opened as `handle` (path: the name
 * to report), reading its symbols; on failure closes the handle. A NULL
 * handle: the object the loader mapped at `bias`, not opened.
 */
static snare_status adopt(const char *path, void *handle, uint64_t bias,
                          snare_library **out) {
  snare_library *lib = calloc(1, sizeof *lib);
  if (lib == NULL || !reserve_entry() || (lib->path = strdup(path)) == NULL) {
    free(lib);
    close_handle(handle);
    return failed(SNARE_NO_MEMORY, "out of memory");
  }
  lib->handle = handle;
  snare_os_loaded where;
  snare_status status = handle != NULL
                            ? snare_os_library_locate(lib->handle, &where)
                            : snare_os_loaded_locate(path, bias, &where);
  if (status != SNARE_OK)
    failed(status, "the loader does not say where the object was mapped");
  else if ((status = snare_elf_symbols_read(where.file, where.base,
                                            &lib->symbols)) != SNARE_OK)
    failed(status, "out of memory reading the symbol tables");
  if (status != SNARE_OK) {
    close_handle(lib->handle);
    destroy(lib);
    return status;
  }
  lib->base = where.base;
  lib->file = where.file;
  lib->start = where.start;
  lib->size = where.size;
  lib->code_start = where.code_start;
  lib->code_size = where.code_size;
  open_libraries[open_count++] = lib;
  if (!handle_shared(lib)) /* else its marks are registered already */
    snare_code_library_opened(where.file, where.base);
  *out = lib;
  return SNARE_OK;
}

snare_status snare_library_open(const char *path, snare_library **out) {
  if (path == NULL || out == NULL)
    return failed(SNARE_INVALID_ARGUMENT, "no path or no result pointer");
  void *handle;
  snare_status status =
      snare_os_library_open(path, &handle, last_error, sizeof last_error);
  return status == SNARE_OK ? adopt(path, handle, 0, out) : status;
}

snare_status snare_library_describe(const char *path, uint64_t bias,
                                    snare_library **out) {
  if (path == NULL || out == NULL)
    return failed(SNARE_INVALID_ARGUMENT, "no path or no result pointer");
  return adopt(path, NULL, bias, out);
}

snare_status snare_library_open_program(snare_library **out) {
  if (out == NULL)
    return failed(SNARE_INVALID_ARGUMENT, "no result pointer");
  void *handle;
  const char *file;
  snare_status status = snare_os_program_open(&handle, &file, last_error,
                                              sizeof last_error);
  return status == SNARE_OK ? adopt(file, handle, 0, out) : status;
}

/* True if another open snare_library holds the same loader handle, so
   closing lib will not unmap the object. */
static bool handle_shared(const snare_library *lib) {
  for (size_t i = 0; i < open_count; i++)
    if (open_libraries[i] != lib && lib->handle != NULL &&
        open_libraries[i]->handle == lib->handle)
      return true;
  return false;
}

/*
 * Tells the code watchers (breakpoints, hooks, marks) to drop what lies
 * in the object's mapped range before unloading it, since their patches
 * would otherwise outlive the code. When the same object is also open through another snare_library
 * it stays mapped, so its breakpoints and hooks stay too.
 */
void snare_library_close(snare_library *lib) {
  if (lib == NULL)
    return;
  if (lib->handle != NULL && !handle_shared(lib)) /* its code goes */
    snare_code_removed(lib->start, lib->size);
  forget(lib);
  close_handle(lib->handle);
  destroy(lib);
}

void snare_library_unloaded(snare_library *lib) {
  if (lib == NULL || lib->handle != NULL) { /* ours stay mapped */
    snare_library_close(lib);
    return;
  }
  snare_code_unmapped(lib->start, lib->size);
  forget(lib);
  destroy(lib);
}

const char *snare_library_error(void) { return last_error; }

uint64_t snare_library_base(const snare_library *lib) {
  return lib != NULL ? lib->base : 0;
}

const char *snare_library_path(const snare_library *lib) {
  return lib != NULL ? lib->path : NULL;
}

bool snare_library_extent(const snare_library *lib, uint64_t *start,
                          uint64_t *size) {
  if (lib == NULL)
    return false;
  *start = lib->start;
  *size = lib->size;
  return true;
}

static void to_public(const snare_elf_symbol *symbol, snare_symbol *out) {
  *out = (snare_symbol){.name = symbol->name,
                        .address = symbol->address,
                        .size = symbol->size,
                        .is_function = symbol->is_function};
}

snare_status snare_library_symbol(const snare_library *lib, const char *name,
                                  snare_symbol *out) {
  if (lib == NULL || name == NULL || out == NULL)
    return SNARE_INVALID_ARGUMENT;
  const snare_elf_symbol *symbol = snare_elf_symbols_named(&lib->symbols, name);
  if (symbol == NULL)
    return SNARE_NOT_FOUND;
  to_public(symbol, out);
  return SNARE_OK;
}

snare_status snare_library_symbol_at(const snare_library *lib, uint64_t addr,
                                     snare_symbol *out) {
  if (lib == NULL || out == NULL)
    return SNARE_INVALID_ARGUMENT;
  const snare_elf_symbol *symbol =
      snare_elf_symbols_at(&lib->symbols, addr, false);
  if (symbol == NULL)
    return SNARE_NOT_FOUND;
  to_public(symbol, out);
  return SNARE_OK;
}

bool snare_library_function_containing(uint64_t addr, uint64_t *start,
                                       uint64_t *size, const char **name) {
  for (size_t i = 0; i < open_count; i++) {
    const snare_elf_symbol *symbol =
        snare_elf_symbols_at(&open_libraries[i]->symbols, addr, true);
    if (symbol != NULL) {
      *start = symbol->address;
      *size = symbol->size;
      if (name != NULL)
        *name = symbol->name;
      return true;
    }
  }
  return false;
}

bool snare_library_function_named(const char *name, uint64_t *addr) {
  const snare_elf_symbol *best = NULL;
  for (size_t i = 0; i < open_count && !(best && best->global); i++) {
    const snare_elf_symbol *symbol =
        snare_elf_symbols_named(&open_libraries[i]->symbols, name);
    if (symbol != NULL && symbol->is_function &&
        (best == NULL || (symbol->global && !best->global)))
      best = symbol;
  }
  if (best != NULL)
    *addr = best->address;
  return best != NULL;
}

bool snare_library_plt_entry_at(uint64_t addr) {
  for (size_t i = 0; i < open_count; i++) {
    const snare_elf_symbol *symbol =
        snare_elf_symbols_at(&open_libraries[i]->symbols, addr, true);
    if (symbol != NULL)
      return symbol->plt_entry;
  }
  return false;
}

/*
 * The library's DWARF, read on the first call and kept until it closes;
 * a failed read is remembered so it is not retried. Returns the status of
 * that read (NOT_FOUND without debug info).
 */
snare_status snare_library_debuginfo(snare_library *lib,
                                     const snare_debuginfo **out) {
  if (!lib->debuginfo_tried) {
    lib->debuginfo_tried = true;
    lib->debuginfo_status =
        snare_debuginfo_open(lib->file, lib->base, &lib->debuginfo);
  }
  *out = lib->debuginfo;
  return lib->debuginfo_status;
}

bool snare_library_code_containing(uint64_t addr, uint64_t *start,
                                   uint64_t *size) {
  for (size_t i = 0; i < open_count; i++) {
    const snare_library *lib = open_libraries[i];
    if (addr >= lib->code_start && addr - lib->code_start < lib->code_size) {
      *start = lib->code_start;
      *size = lib->code_size;
      return true;
    }
  }
  return false;
}

snare_library *snare_library_mapping(uint64_t addr) {
  for (size_t i = 0; i < open_count; i++) {
    snare_library *lib = open_libraries[i];
    if (addr >= lib->start && addr - lib->start < lib->size)
      return lib;
  }
  return NULL;
}

/* Aliases (one address, several names) are one function: listed once,
   under the name snare_elf_symbol_prefer picks, which by_address holds
   first at each address. */
size_t snare_library_functions(const snare_library *lib, snare_symbol *out,
                               size_t cap) {
  if (lib == NULL)
    return 0;
  size_t count = 0;
  const snare_elf_symbols *symbols = &lib->symbols;
  for (size_t i = 0; i < symbols->count; i++) {
    const snare_elf_symbol *sym = &symbols->by_address[i];
    if (!sym->is_function || !sym->entry ||
        (i > 0 && symbols->by_address[i - 1].address == sym->address &&
         symbols->by_address[i - 1].is_function))
      continue;
    if (out != NULL && count < cap)
      to_public(sym, &out[count]);
    count++;
  }
  return count;
}
