/*
 * loader.h - what the core asks of the OS's dynamic loader. Implemented
 * per OS (os/linux/loader.c). Controller-thread only unless stated.
 */
#ifndef SNARE_INTERNAL_LOADER_H
#define SNARE_INTERNAL_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "internal/hidden.h"
#include "snare.h"

/* Where a loaded object sits in memory. */
typedef struct snare_os_loaded {
  uint64_t base;    /* load bias: run-time address minus link-time address */
  uint64_t start;   /* lowest address of its loadable segments */
  uint64_t size;    /* from start to the end of its highest segment */
  uint64_t code_start, code_size; /* the span of its executable segments */
  const char *file; /* file actually loaded; owned by the loader, valid
                       until the handle is closed */
} snare_os_loaded;

/*
 * Loads the shared object at path, resolving every symbol now and keeping
 * them out of the global namespace. On success stores an opaque handle in
 * *handle. On failure returns LOAD_FAILED and copies the loader's message
 * (truncated, always terminated) into error[0..error_size).
 */
SNARE_HIDDEN snare_status snare_os_library_open(const char *path, void **handle,
                                                char *error, size_t error_size);

/*
 * Opens the main program itself (already loaded, never loaded again):
 * a handle as snare_os_library_open's and the path of its file in *file
 * (static storage). LOAD_FAILED with a message as that one's.
 */
SNARE_HIDDEN snare_status snare_os_program_open(void **handle,
                                                const char **file, char *error,
                                                size_t error_size);

/* Drops one reference to a handle from snare_os_library_open or
   snare_os_program_open. */
SNARE_HIDDEN void snare_os_library_close(void *handle);

/* Fills *out for the loaded object named `name` (its link map's) at
   load bias `bias`; LOAD_FAILED if the loader has none. Takes no lock
   the loader holds while it adds an object. */
SNARE_HIDDEN snare_status snare_os_loaded_locate(const char *name,
                                                 uint64_t bias,
                                                 snare_os_loaded *out);

/* Fills *out for an open handle; LOAD_FAILED if the loader cannot say. */
SNARE_HIDDEN snare_status snare_os_library_locate(void *handle,
                                                  snare_os_loaded *out);

/*
 * The address the dynamic loader binds a reference to `name` (at
 * `version`, NULL for none) to, in the global scope, an IFUNC's
 * choice made; 0 if nothing defines it.
 */
SNARE_HIDDEN uint64_t snare_os_symbol_resolve(const char *name,
                                              const char *version);

/*
 * Opens a file read-only for a file-reading library such as libelf;
 * returns a descriptor, or -1. Close it with snare_os_file_close.
 */
SNARE_HIDDEN int snare_os_file_open(const char *path);
SNARE_HIDDEN void snare_os_file_close(int fd);
/* A copy of the open file fd in an anonymous file, read-write, for a
   library to rewrite (libelf); a descriptor kept as snare_os_file_open's
   are, or -1. Close it with snare_os_file_close. */
SNARE_HIDDEN int snare_os_file_scratch_copy(int fd);
/* snare_descriptor_keep (snare.h); snare_os_file_open's descriptors are
   kept so already. */
SNARE_HIDDEN int snare_os_descriptor_keep(int fd);

/* The canonical absolute path of an existing file (symbolic links
   resolved) in out; false when it does not exist or does not fit. */
SNARE_HIDDEN bool snare_os_file_real_path(const char *path, char *out,
                                          size_t cap);

/* The program's entry point (ELF e_entry, as loaded): entered by the
   kernel with no return address at rsp, so never called. */
SNARE_HIDDEN uint64_t snare_os_program_entry(void);

/* Changes whenever the loader maps or unmaps an object (a library
   opened or closed anywhere in the process); 0 when the loader cannot
   say. Any thread. */
SNARE_HIDDEN uint64_t snare_os_loaded_generation(void);

#endif
