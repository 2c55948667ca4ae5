/* plt_names_test.c - PLT entries named as gdb names them ("getenv@plt"):
   which GOT slot an entry jumps through, and the names an opened
   library answers to by name and by address. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "internal/arch.h"
#include "snare.h"

Test(plt_entry_slot, reads_the_slot_of_each_entry_kind) {
  uint64_t slot = 0;
  /* lazy .plt: jmp *0x2fe2(%rip); push $0; jmp PLT0 */
  static const uint8_t lazy[16] = {0xff, 0x25, 0xe2, 0x2f, 0x00, 0x00,
                                   0x68, 0x00, 0x00, 0x00, 0x00, 0xe9,
                                   0xe0, 0xff, 0xff, 0xff};
  cr_assert(snare_arch_plt_entry_slot(lazy, sizeof lazy, 0x1030, &slot));
  cr_expect_eq(slot, 0x1030 + 6 + 0x2fe2);
  /* IBT .plt.sec: endbr64; bnd jmp *0x2f75(%rip); nopl */
  static const uint8_t sec[16] = {0xf3, 0x0f, 0x1e, 0xfa, 0xf2, 0xff,
                                  0x25, 0x75, 0x2f, 0x00, 0x00, 0x0f,
                                  0x1f, 0x44, 0x00, 0x00};
  cr_assert(snare_arch_plt_entry_slot(sec, sizeof sec, 0x1060, &slot));
  cr_expect_eq(slot, 0x1060 + 11 + 0x2f75);
  /* IBT lazy .plt: endbr64; push $0; bnd jmp PLT0: no slot of its own */
  static const uint8_t ibt_lazy[16] = {0xf3, 0x0f, 0x1e, 0xfa, 0x68, 0x00,
                                       0x00, 0x00, 0x00, 0xf2, 0xe9, 0xe1,
                                       0xff, 0xff, 0xff, 0x90};
  cr_expect_not(
      snare_arch_plt_entry_slot(ibt_lazy, sizeof ibt_lazy, 0x1030, &slot));
}

/* The target of the direct jump that starts the function at addr. */
static uint64_t jump_target(uint64_t addr) {
  char text[96];
  size_t length;
  cr_assert_eq(snare_disassemble(addr, SNARE_DISASSEMBLY_INTEL, text, sizeof text, &length), SNARE_OK);
  uint64_t target = 0;
  cr_assert_eq(sscanf(text, "jmp 0x%" SCNx64, &target), 1, "%s", text);
  return target;
}

Test(plt_names, an_entry_answers_to_its_name_and_address) {
  snare_library *lib = NULL;
  cr_assert_eq(snare_library_open(fixture_path("O2", "tail_calls"), &lib),
               SNARE_OK);
  snare_symbol tail, stub, at;
  cr_assert_eq(snare_library_symbol(lib, "tail_getenv", &tail), SNARE_OK);
  /* at -O2 tail_getenv is `jmp getenv@plt` */
  uint64_t entry = jump_target(tail.address);
  cr_assert_eq(snare_library_symbol(lib, "getenv@plt", &stub), SNARE_OK);
  cr_expect_eq(stub.address, entry);
  cr_expect(stub.is_function);
  cr_assert_eq(snare_library_symbol_at(lib, entry + 4, &at), SNARE_OK);
  cr_expect_str_eq(at.name, "getenv@plt");
  /* a .plt.got entry (a GLOB_DAT slot) is named too */
  cr_expect_eq(snare_library_symbol(lib, "__cxa_finalize@plt", &stub),
               SNARE_OK);
  /* stubs are no functions to hook */
  size_t n = snare_library_functions(lib, NULL, 0);
  snare_symbol *functions = calloc(n, sizeof *functions);
  cr_assert_eq(snare_library_functions(lib, functions, n), n);
  for (size_t i = 0; i < n; i++)
    cr_expect_null(strstr(functions[i].name, "@plt"), "%s listed",
                   functions[i].name);
  free(functions);
  snare_library_close(lib);
}
