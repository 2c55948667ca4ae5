/*
 * loader.c - the Linux side of lib/internal/loader.h: glibc's dlopen
 * family, link maps and program headers.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal/loader.h"
#include "linux.h"

snare_status snare_os_library_open(const char *path, void **handle, char *error,
                                   size_t error_size) {
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (h == NULL) {
    const char *message = dlerror(); /* thread-local in glibc, read once */
    snprintf(error, error_size, "%s",
             message != NULL ? message : "dlopen failed");
    return SNARE_LOAD_FAILED;
  }
  *handle = h;
  return SNARE_OK;
}

/* The main program's file: its link map names it "". */
static char program_file[4096];

snare_status snare_os_program_open(void **handle, const char **file,
                                   char *error, size_t error_size) {
  ssize_t n = readlink("/proc/self/exe", program_file, sizeof program_file - 1);
  if (n <= 0) {
    snprintf(error, error_size, "cannot read /proc/self/exe");
    return SNARE_LOAD_FAILED;
  }
  program_file[n] = '\0';
  void *h = dlopen(NULL, RTLD_NOW);
  if (h == NULL) {
    const char *message = dlerror();
    snprintf(error, error_size, "%s",
             message != NULL ? message : "dlopen failed");
    return SNARE_LOAD_FAILED;
  }
  *handle = h;
  *file = program_file;
  return SNARE_OK;
}

void snare_os_library_close(void *handle) { dlclose(handle); }

/* dl_iterate_phdr visitor: finds the object whose bias and name match the
   link map, and measures the span of its PT_LOAD segments. */
typedef struct extent_search {
  uint64_t bias;
  const char *name;
  uint64_t start, end;
  uint64_t code_start, code_end;
  int found;
} extent_search;

static int visit_object(struct dl_phdr_info *info, size_t info_size,
                        void *data) {
  (void)info_size;
  extent_search *search = data;
  const char *name = info->dlpi_name != NULL ? info->dlpi_name : "";
  if (info->dlpi_addr != search->bias || strcmp(name, search->name) != 0)
    return 0;
  uint64_t start = UINT64_MAX, end = 0;
  uint64_t code_start = UINT64_MAX, code_end = 0;
  for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD)
      continue;
    uint64_t lo = info->dlpi_addr + ph->p_vaddr;
    if (lo < start)
      start = lo;
    if (lo + ph->p_memsz > end)
      end = lo + ph->p_memsz;
    if ((ph->p_flags & PF_X) && lo < code_start)
      code_start = lo;
    if ((ph->p_flags & PF_X) && lo + ph->p_memsz > code_end)
      code_end = lo + ph->p_memsz;
  }
  search->start = start;
  search->end = end;
  search->code_start = code_start < code_end ? code_start : 0;
  search->code_end = code_start < code_end ? code_end : 0;
  search->found = start < end;
  return 1;
}

/* (dl_iterate_phdr takes the loader's write lock, which a dlopen holds
   only while it links the object into the list, not at r_debug's
   breakpoint.) */
snare_status snare_os_loaded_locate(const char *name, uint64_t bias,
                                    snare_os_loaded *out) {
  extent_search search = {.bias = bias, .name = name};
  dl_iterate_phdr(visit_object, &search);
  if (!search.found)
    return SNARE_LOAD_FAILED;
  out->base = bias;
  out->start = search.start;
  out->size = search.end - search.start;
  out->code_start = search.code_start;
  out->code_size = search.code_end - search.code_start;
  out->file = name[0] != '\0' ? name : program_file;
  return SNARE_OK;
}

snare_status snare_os_library_locate(void *handle, snare_os_loaded *out) {
  struct link_map *map = NULL;
  if (dlinfo(handle, RTLD_DI_LINKMAP, &map) != 0 || map == NULL)
    return SNARE_LOAD_FAILED;
  return snare_os_loaded_locate(map->l_name, map->l_addr, out);
}

int snare_os_file_open(const char *path) {
  return snare_os_descriptor_keep(open(path, O_RDONLY | O_CLOEXEC));
}

void snare_os_file_close(int fd) { close(fd); }

int snare_os_file_scratch_copy(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0)
    return -1;
  int copy = snare_os_descriptor_keep(memfd_create("snare-copy", MFD_CLOEXEC));
  off_t from = 0;
  while (copy >= 0 && from < st.st_size) {
    ssize_t n = sendfile(copy, fd, &from, (size_t)(st.st_size - from));
    if (n <= 0 && !(n < 0 && errno == EINTR)) {
      close(copy);
      copy = -1;
    }
  }
  return copy;
}

bool snare_os_file_real_path(const char *path, char *out, size_t cap) {
  char *real = realpath(path, NULL);
  bool fits = real != NULL && strlen(real) < cap;
  if (fits)
    strcpy(out, real);
  free(real);
  return fits;
}

uint64_t snare_os_program_entry(void) { return getauxval(AT_ENTRY); }

/* dl_iterate_phdr visitor: the loader's counts of objects ever added and
   removed (both only grow), which every entry carries; one is enough. */
static int read_counts(struct dl_phdr_info *info, size_t size, void *data) {
  if (size < offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs)
    return 1; /* an old loader: *data stays 0, "unknown" */
  *(uint64_t *)data =
      (uint64_t)info->dlpi_adds + (uint64_t)info->dlpi_subs + 1;
  return 1;
}

uint64_t snare_os_loaded_generation(void) {
  uint64_t counts = 0;
  dl_iterate_phdr(read_counts, &counts);
  return counts;
}

uint64_t snare_os_symbol_resolve(const char *name, const char *version) {
  void *found = version != NULL ? dlvsym(RTLD_DEFAULT, name, version)
                                : dlsym(RTLD_DEFAULT, name);
  return (uint64_t)(uintptr_t)found;
}
