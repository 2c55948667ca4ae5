/*
 * plt_names.h - names for an object's PLT entries as gdb gives them
 * (`getenv@plt`: BFD's synthetic symbols), so that a stop, a frame or an
 * instruction in a stub is named and `break getenv@plt` resolves.
 * Implemented in lib/code/plt_names.c with libelf.
 */
#ifndef SNARE_CODE_PLT_NAMES_H
#define SNARE_CODE_PLT_NAMES_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal/hidden.h"
#include "snare.h"

typedef struct snare_plt_name {
  char *name;       /* "symbol@plt", malloc'd; "*ABS*+0x<addend>@plt" for
                       a slot bound to no symbol (IRELATIVE) */
  uint64_t address; /* link-time address of the entry */
  uint64_t size;
  bool got_slot; /* not an entry but the GOT word of one ("getenv@got.plt") */
} snare_plt_name;

/*
 * The named entries of the .plt, .plt.sec and .plt.got sections of elf:
 * each entry jumping through a GOT slot that a dynamic relocation binds
 * is named after the relocation's symbol (and addend), as BFD names it;
 * and the GOT words that .rela.plt binds to a symbol, as gdb names them
 * ("getenv@got.plt", where `x/i` of a stub shows its jump's target).
 * *out (to snare_plt_names_free) may be empty; only NO_MEMORY fails.
 */
SNARE_HIDDEN snare_status snare_plt_names_read(Elf *elf, snare_plt_name **out,
                                               size_t *count);

SNARE_HIDDEN void snare_plt_names_free(snare_plt_name *names, size_t count);

#endif
