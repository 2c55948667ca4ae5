/*
 * usdt_fuzz.c - libFuzzer harness for the readers of the marks a shared
 * object declares (lib/marks/usdt.c: the `snare_marks` section and USDT
 * `.note.stapsdt` notes, with their operand texts parsed by
 * lib/marks/mark_value.c): a corrupted .so must give fewer marks, never a
 * crash, and every mark handed on must be well formed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "input_file.h"
#include "marks/marks.h"
#include "internal/os.h"

#define BIAS 0x7f0000000000ull

/* The mark table is not under test: this stand-in checks what the
   reader hands it instead of registering it. */
snare_status snare_marks_add_full(const snare_mark_info *info, int *id)
{
  if (!snare_mark_value_valid(&info->data1) ||
      !snare_mark_value_valid(&info->data2) ||
      info->arg_count > SNARE_MARK_MAX_ARGS ||
      (info->provider == NULL) != (info->name == NULL))
    abort();
  for (unsigned i = 0; i < info->arg_count; i++)
    if (!snare_mark_value_valid(&info->args[i]))
      abort();
  if (info->name != NULL && strlen(info->name) + strlen(info->provider) == 0)
    abort();
  *id = 1;
  return SNARE_OK;
}

/* Evaluating a mark's value reads memory; nothing is evaluated here. */
bool snare_os_memory_read(uint64_t addr, void *dst, size_t n)
{
  (void)addr;
  (void)dst;
  (void)n;
  return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  snare_usdt_library_opened(fuzz_input_file(data, size), BIAS);
  return 0;
}
