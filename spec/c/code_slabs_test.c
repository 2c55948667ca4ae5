/*
 * code_slabs_test.c - snare's code writes in a forked child: the child's
 * out-of-line code (a slab shared with its writable view) and the
 * program's text are the child's own, so nothing the child writes
 * reaches its parent.
 */
#include <criterion/criterion.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../lib/internal/os.h"

__attribute__((noinline)) static int patched_in_child(int x) { return x + 1; }

static void code_write(uint64_t addr, uint8_t byte) {
  snare_os_global_lock();
  bool ok = snare_os_code_write(addr, &byte, 1);
  snare_os_global_unlock();
  cr_assert(ok);
}

/* Writes byte at addr in a forked child, which must see it there. */
static void in_child(uint64_t addr, uint8_t byte) {
  pid_t child = fork();
  cr_assert_geq(child, 0);
  if (child == 0) {
    code_write(addr, byte);
    _exit(*(volatile uint8_t *)(uintptr_t)addr == byte ? 0 : 1);
  }
  int status;
  cr_assert_eq(waitpid(child, &status, 0), child);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

Test(code_slabs, a_childs_slot_writes_stay_in_the_child) {
  uint64_t text = (uint64_t)(uintptr_t)&patched_in_child;
  snare_os_global_lock();
  uint64_t slab = snare_os_code_alloc_near(text, 64 * 1024);
  snare_os_global_unlock();
  cr_assert_neq(slab, 0);
  code_write(slab, 0xc3);
  in_child(slab, 0xcc);
  cr_assert_eq(*(volatile uint8_t *)(uintptr_t)slab, 0xc3,
               "the child's write reached the parent's slab");
  code_write(slab + 1, 0x90); /* still writable here */
  cr_assert_eq(*(volatile uint8_t *)(uintptr_t)(slab + 1), 0x90);
  snare_os_global_lock();
  snare_os_code_free(slab, 64 * 1024);
  snare_os_global_unlock();
}

Test(code_slabs, a_childs_text_writes_stay_in_the_child) {
  uint64_t text = (uint64_t)(uintptr_t)&patched_in_child;
  uint8_t original = *(volatile uint8_t *)(uintptr_t)text;
  code_write(text, original); /* the parent's descriptor is open */
  in_child(text, 0xcc);
  cr_assert_eq(*(volatile uint8_t *)(uintptr_t)text, original,
               "the child wrote its parent's text");
  cr_assert_eq(patched_in_child(1), 2);
}
