/*
 * unwind.c - x86-64 stack walking with libunwind, from a saved
 * ucontext_t. libunwind's local unw_context_t is a ucontext_t on this
 * platform, and the stack being walked is in this process, so a parked
 * worker's stack can be read from the controller.
 */
#include <stdatomic.h>
#include <string.h>
#include <ucontext.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "internal/arch.h"
#include "internal/loader.h"
#include "internal/os.h"
#include "internal/unwind.h"

/* libunwind's number of each snare register it can recover. */
static const struct {
  snare_register reg;
  int unw;
} callee_saved[] = {
    {SNARE_REG_RBX, UNW_X86_64_RBX}, {SNARE_REG_RBP, UNW_X86_64_RBP},
    {SNARE_REG_R12, UNW_X86_64_R12}, {SNARE_REG_R13, UNW_X86_64_R13},
    {SNARE_REG_R14, UNW_X86_64_R14}, {SNARE_REG_R15, UNW_X86_64_R15},
};

/* Registers read from the context copy libunwind started from (frame 0,
   or a frame the frame-pointer fallback restarted at) were not saved by
   any frame: only memory outside the copy is a save slot. */
static void read_frame(unw_cursor_t *cursor, snare_unwind_frame *f,
                       const ucontext_t *copy) {
  unw_word_t v = 0;
  uintptr_t copy_start = (uintptr_t)copy, copy_end = copy_start + sizeof *copy;
  for (size_t i = 0; i < sizeof callee_saved / sizeof *callee_saved; i++) {
    if (unw_get_reg(cursor, callee_saved[i].unw, &v) == 0) {
      f->regs[callee_saved[i].reg] = v;
      f->valid |= 1u << callee_saved[i].reg;
    }
    unw_save_loc_t loc;
    if (unw_get_save_loc(cursor, callee_saved[i].unw, &loc) == 0 &&
        loc.type == UNW_SLT_MEMORY &&
        (loc.u.addr < copy_start || loc.u.addr >= copy_end))
      f->saved_at[callee_saved[i].reg] = loc.u.addr;
  }
  unw_get_reg(cursor, UNW_REG_IP, &v);
  f->pc = f->regs[SNARE_REG_RIP] = v;
  unw_get_reg(cursor, UNW_REG_SP, &v);
  f->sp = f->regs[SNARE_REG_RSP] = v;
  f->valid |= 1u << SNARE_REG_RIP | 1u << SNARE_REG_RSP;
}

/* ---- Frame-pointer fallback for code without CFI (issue 4) ----------
 * Generated code (registered JIT regions) has no unwind information, so
 * libunwind cannot step out of it. Such frames are walked by the
 * conventional `push rbp; mov rbp, rsp` frame chain instead, and
 * libunwind resumes from the caller. In the innermost frame the prologue
 * may not have run yet: at a function's entry, `push rbp` or `ret` the
 * return address is at [rsp], right after `push rbp` at [rsp+8]. */

/*
 * Whether a pc has unwind information, remembered by pc: asking
 * libunwind searches the loader's objects with every signal blocked (two
 * rt_sigprocmask), for each frame of each stack, so a `next` made a
 * score of them. An entry is the pc with bit 62 set (known) and bit 63
 * (has information); user pcs are below 2^47. Emptied when the loader's
 * objects change (forget_stale_unwind_info): only then may the code at
 * a pc gain or lose information.
 */
#define KNOWN_PCS 256
static _Atomic uint64_t known_pcs[KNOWN_PCS];

static _Atomic uint64_t *known_slot(uint64_t pc) {
  return &known_pcs[(pc * 0x9E3779B97F4A7C15ull) >> 56];
}

static void forget_known_pcs(void) {
  for (size_t i = 0; i < KNOWN_PCS; i++)
    atomic_store_explicit(&known_pcs[i], 0, memory_order_relaxed);
}

/* Without information libunwind still answers, with a made-up one-byte
   procedure of the dynamic format and nothing behind it. */
static bool has_unwind_info(unw_cursor_t *cursor) {
  const uint64_t known = 1ull << 62, has = 1ull << 63;
  unw_word_t pc = 0;
  unw_get_reg(cursor, UNW_REG_IP, &pc);
  _Atomic uint64_t *slot = known_slot(pc);
  uint64_t entry = atomic_load_explicit(slot, memory_order_relaxed);
  if (pc < known && (entry & ~has) == (pc | known))
    return (entry & has) != 0;
  unw_proc_info_t info;
  bool answer =
      unw_get_proc_info(cursor, &info) == 0 &&
      (info.format != UNW_INFO_FORMAT_DYNAMIC || info.unwind_info != NULL);
  if (pc < known)
    atomic_store_explicit(slot, pc | known | (answer ? has : 0),
                          memory_order_relaxed);
  return answer;
}

static bool read_word(uint64_t addr, uint64_t *out) {
  return snare_os_memory_read(addr, out, sizeof *out);
}

/* The caller of f by the frame chain, into copy; false at the end. */
static bool frame_pointer_step(const snare_unwind_frame *f, bool innermost,
                               ucontext_t *copy) {
  uint64_t sp = f->regs[SNARE_REG_RSP], fp = f->regs[SNARE_REG_RBP];
  uint8_t before = 0, at[3] = {0};
  bool known = innermost && snare_unwind_code_read(f->pc, at, 1);
  uint64_t ret, caller_sp, caller_fp = fp;
  if (known && (at[0] == 0x55 || at[0] == 0xc3 || /* push rbp; ret */
                snare_unwind_function_entry(f->pc))) {
    caller_sp = sp + 8;
    if (!read_word(sp, &ret))
      return false;
  } else if (known && snare_unwind_code_read(f->pc - 1, &before, 1) &&
             snare_unwind_code_read(f->pc, at, 3) && before == 0x55 &&
             at[0] == 0x48 && at[1] == 0x89 && at[2] == 0xe5) {
    /* between push rbp and mov rbp, rsp */
    caller_sp = sp + 16;
    if (!read_word(sp, &caller_fp) || !read_word(sp + 8, &ret))
      return false;
  } else {
    caller_sp = fp + 16;
    if (fp < sp || (fp & 7) != 0 || !read_word(fp, &caller_fp) ||
        !read_word(fp + 8, &ret))
      return false;
  }
  if (ret == 0)
    return false;
  snare_arch_register_set(copy, SNARE_REG_RIP, ret);
  snare_arch_register_set(copy, SNARE_REG_RSP, caller_sp);
  snare_arch_register_set(copy, SNARE_REG_RBP, caller_fp);
  return true;
}

/* One step outward: libunwind's, or the frame chain where it has no
   information (then a fresh cursor from the caller's registers). */
static bool step(unw_cursor_t *cursor, const snare_unwind_frame *f,
                 bool innermost, ucontext_t *copy) {
  if (has_unwind_info(cursor))
    return unw_step(cursor) > 0;
  for (size_t i = 0; i < sizeof callee_saved / sizeof *callee_saved; i++)
    if (f->valid & (1u << callee_saved[i].reg))
      snare_arch_register_set(copy, callee_saved[i].reg,
                              f->regs[callee_saved[i].reg]);
  return frame_pointer_step(f, innermost, copy) &&
         unw_init_local2(cursor, (unw_context_t *)copy, 0) == 0;
}
/* ---- end of the frame-pointer fallback ---- */

/*
 * libunwind caches unwind info by address: a library closed and another
 * loaded at the same place would be unwound with stale CFI. Flushing it
 * only when the loader's objects changed keeps the cache useful: after
 * each flush every frame searched the loader's list again, blocking all
 * signals around each search (two rt_sigprocmask a frame).
 */
static _Atomic uint64_t unwound_generation;

static void forget_stale_unwind_info(void) {
  uint64_t now = snare_os_loaded_generation();
  if (now == 0 || atomic_exchange(&unwound_generation, now) != now) {
    unw_flush_cache(unw_local_addr_space, 0, 0);
    forget_known_pcs();
  }
}

/*
 * libunwind needs a context it may treat as its own; a copy keeps the
 * parked thread's (which a resume will restore) untouched. Frame 0 takes
 * every register from the context itself, since a stop may be anywhere
 * and caller-saved registers are live there.
 */
snare_status snare_arch_unwind(const void *context, snare_unwind_frame *frames,
                               size_t cap, size_t *count) {
  *count = 0;
  if (cap == 0)
    return SNARE_OK;
  ucontext_t copy;
  memcpy(&copy, context, sizeof copy);
  forget_stale_unwind_info();
  unw_cursor_t cursor;
  if (unw_init_local2(&cursor, (unw_context_t *)&copy,
                      UNW_INIT_SIGNAL_FRAME) != 0)
    return SNARE_UNSUPPORTED;
  size_t n = 0;
  do {
    snare_unwind_frame *f = &frames[n];
    memset(f, 0, sizeof *f);
    read_frame(&cursor, f, &copy);
    if (n == 0) {
      for (int r = 0; r < SNARE_REG_COUNT; r++)
        f->regs[r] = snare_arch_register_get(context, (snare_register)r);
      f->valid = (1u << SNARE_REG_COUNT) - 1;
    }
    if (f->pc == 0)
      break;
    n++;
    if (!step(&cursor, f, n == 1, &copy))
      break;
    /* The CFA is the sp the caller had before the call: on x86-64, the
       caller's sp once this frame returns. The outermost frame's is 0. */
    unw_word_t caller_sp = 0;
    unw_get_reg(&cursor, UNW_REG_SP, &caller_sp);
    f->cfa = caller_sp;
  } while (n < cap);
  *count = n;
  return SNARE_OK;
}
