/*
 * stack.c - backtraces: physical frames from the architecture's unwinder,
 * each expanded into inlined calls and named from the DWARF of the open
 * library that maps it, or from ELF symbols.
 */
#include <stdlib.h>
#include <string.h>

#include "code/code.h"
#include "session/session.h"
#include "session/events.h"
#include "code/library.h"
#include "frames/stack.h"
#include "frames/tail_calls.h"
#include "internal/unwind.h"

static void fill_state(const void *context, const snare_unwind_frame *u,
                       size_t physical, snare_frame_state *fs)
{
  memset(fs, 0, sizeof *fs);
  /* A return address is after the call; its line is the call's. */
  fs->pc = physical == 0 ? u->pc : u->pc - 1;
  fs->cfa = u->cfa;
  memcpy(fs->regs, u->regs, sizeof fs->regs);
  fs->valid = u->valid;
  fs->no_self_tail_call = snare_no_self_tail_call;
  if (physical == 0)
    for (unsigned x = 0; x < 16; x++)
      if (snare_arch_vector_get(context, x, fs->xmm[x]))
        fs->xmm_valid |= 1u << x;
}

/* The source frames of one physical frame; returns how many were added. */
static size_t expand(const snare_unwind_frame *u, const snare_frame_state *fs,
                     size_t physical, snare_stack_frame *out)
{
  snare_library *lib = snare_library_mapping(fs->pc);
  const snare_debuginfo *di = NULL;
  if (lib != NULL)
    snare_library_debuginfo(lib, &di);
  snare_debuginfo_frame src[SNARE_INLINE_DEPTH_MAX];
  size_t n = 1;
  if (di != NULL) {
    n = snare_debuginfo_frames_at(di, fs->pc, src, SNARE_INLINE_DEPTH_MAX);
    if (n > SNARE_INLINE_DEPTH_MAX)
      n = SNARE_INLINE_DEPTH_MAX;
  } else {
    src[0] = (snare_debuginfo_frame){.scope = -1};
  }
  for (size_t i = 0; i < n; i++) {
    snare_stack_frame *f = &out[i];
    *f = (snare_stack_frame){.state = *fs, .di = di, .scope = src[i].scope,
                             .physical = physical};
    memcpy(f->saved_at, u->saved_at, sizeof f->saved_at);
    f->pub = (snare_backtrace_frame){.pc = u->pc, .sp = u->sp, .cfa = u->cfa,
                                     .function = src[i].function,
                                     .file = src[i].file,
                                     .line = src[i].line,
                                     .inlined = src[i].inlined};
    uint64_t start, size;
    if (f->pub.function == NULL) /* ELF symbols, or registered JIT code */
      snare_code_function_containing(fs->pc, &start, &size, &f->pub.function);
    snare_line_info line;
    snare_status in_region;
    if (di == NULL && snare_code_line_at(fs->pc, &line, &in_region) &&
        in_region == SNARE_OK) { /* a JIT region's line map */
      f->pub.file = line.file;
      f->pub.line = line.line;
    }
  }
  return n;
}

/*
 * The tail-call frames between physical frame i and its caller (gdb's
 * dwarf2_tailcall_sniffer_first); returns how many were added. Each has
 * the registers the callee's unwinding gives its caller (rsp the callee's
 * cfa, as gdb's, not the one the jump left), but the pc of its tail call
 * site; its source frame is the innermost one at that site. A tail-call
 * frame has no real frame of its own: a
 * register the unwinding does not restore (a call-clobbered one) is the
 * callee's, where that is known (gdb's dwarf2_tailcall_prev_register_first
 * leaves them to the callee's unwinder, which takes them as unchanged), as
 * the tail call site's parameters (DW_OP_breg5 of a jump with rdi set)
 * need.
 */
static size_t add_tail_calls(const void *context, const snare_unwind_frame *u,
                             size_t i, snare_stack_frame *out)
{
  uint64_t sites[SNARE_TAIL_CALLS_MAX];
  uint64_t callee_pc = i == 0 ? u[i].pc : u[i].pc - 1;
  size_t n = snare_tail_call_frames(u[i + 1].pc, callee_pc, sites);
  for (size_t k = 0; k < n; k++) {
    snare_frame_state fs;
    fill_state(context, &u[i + 1], i + 1, &fs);
    for (unsigned r = 0; r < SNARE_REG_COUNT; r++)
      if (!(fs.valid & 1u << r) && (u[i].valid & 1u << r)) {
        fs.regs[r] = u[i].regs[r];
        fs.valid |= 1u << r;
      }
    fs.pc = sites[k] - 1;
    fs.cfa = u[i].cfa;
    fs.regs[SNARE_REG_RIP] = sites[k];
    fs.regs[SNARE_REG_RSP] = u[i].cfa;
    fs.valid |= 1u << SNARE_REG_RIP | 1u << SNARE_REG_RSP;
    snare_unwind_frame site = {.pc = sites[k], .sp = u[i].cfa,
                               .cfa = u[i].cfa};
    snare_stack_frame *f = &out[k];
    expand(&site, &fs, i, f); /* the innermost source frame only */
    f->pub.inlined = false;
    f->pub.tail_call = true;
  }
  return n;
}

/* Makes room for one physical frame's expansion in *frames. */
static bool reserve(snare_stack_frame **frames, size_t *cap, size_t n)
{
  /* a physical frame's source frames, then its tail-call frames (each
     expanded in place, the innermost kept) */
  const size_t most = 2 * SNARE_INLINE_DEPTH_MAX + SNARE_TAIL_CALLS_MAX;
  if (n + most <= *cap)
    return true;
  size_t grown = (*cap ? *cap : 8) * 2 + most;
  snare_stack_frame *p = realloc(*frames, grown * sizeof *p);
  if (p == NULL)
    return false;
  *frames = p;
  *cap = grown;
  return true;
}

snare_status snare_stack_collect(const void *context, size_t max_physical,
                                 snare_stack_frame **out, size_t *count)
{
  if (max_physical > SNARE_STACK_MAX_PHYSICAL)
    max_physical = SNARE_STACK_MAX_PHYSICAL;
  snare_unwind_frame *u = malloc(max_physical * sizeof *u);
  snare_stack_frame *frames = NULL;
  size_t physical = 0, n = 0, cap = 0;
  snare_status st = u ? snare_arch_unwind(context, u, max_physical, &physical)
                      : SNARE_NO_MEMORY;
  for (size_t i = 0; st == SNARE_OK && i < physical; i++) {
    snare_frame_state fs;
    fill_state(context, &u[i], i, &fs);
    if (!reserve(&frames, &cap, n))
      st = SNARE_NO_MEMORY;
    else
      n += expand(&u[i], &fs, i, &frames[n]);
    if (st == SNARE_OK && i + 1 < physical)
      n += add_tail_calls(context, u, i, &frames[n]);
  }
  free(u);
  if (st != SNARE_OK) {
    free(frames);
    return st;
  }
  /* Each frame's caller is the next tail-call frame or physical frame
     (the first of its source frames: they share one state). */
  for (size_t i = 0; i < n; i++) {
    size_t next = i + 1;
    while (next < n && frames[next].physical == frames[i].physical &&
           !frames[next].pub.tail_call)
      next++;
    frames[i].state.caller = next < n ? &frames[next].state : NULL;
    frames[i].state.caller_di = next < n ? frames[next].di : NULL;
  }
  *out = frames;
  *count = n;
  return SNARE_OK;
}

size_t snare_stack_hidden(const snare_thread *thread)
{
  uint64_t pc = snare_arch_register_get(thread->context, SNARE_REG_RIP);
  return thread->stop.pc == pc ? thread->stop.inline_hidden : 0;
}

/* The public frames of a parked thread, less the inlined calls its stop
   hides. */
static snare_status backtrace_of(const snare_thread *thread,
                                 snare_backtrace_frame *frames, size_t cap,
                                 size_t *count)
{
  snare_stack_frame *all;
  size_t n;
  snare_status st = snare_stack_collect(thread->context,
                                        SNARE_STACK_MAX_PHYSICAL, &all, &n);
  if (st != SNARE_OK)
    return st;
  size_t hidden = snare_stack_hidden(thread);
  if (hidden >= n)
    hidden = 0;
  for (size_t i = 0; i + hidden < n && i < cap; i++)
    frames[i] = all[i + hidden].pub;
  *count = n - hidden;
  free(all);
  return SNARE_OK;
}

snare_status snare_source_frame_at(uint64_t addr, unsigned outward,
                                   snare_line_info *out)
{
  snare_library *lib = snare_library_mapping(addr);
  const snare_debuginfo *di = NULL;
  if (out == NULL)
    return SNARE_INVALID_ARGUMENT;
  if (lib == NULL || snare_library_debuginfo(lib, &di) != SNARE_OK ||
      di == NULL)
    return SNARE_NOT_FOUND;
  snare_debuginfo_frame src[SNARE_INLINE_DEPTH_MAX];
  size_t n = snare_debuginfo_frames_at(di, addr, src, SNARE_INLINE_DEPTH_MAX);
  if (outward >= n || outward >= SNARE_INLINE_DEPTH_MAX)
    return SNARE_NOT_FOUND;
  *out = (snare_line_info){.file = src[outward].file,
                           .line = src[outward].line,
                           .function = src[outward].function,
                           .function_linkage = src[outward].function_linkage};
  return SNARE_OK;
}

snare_status snare_backtrace(snare_session *session,
                             snare_backtrace_frame *frames, size_t cap,
                             size_t *count)
{
  if (session == NULL || count == NULL || (cap > 0 && frames == NULL))
    return SNARE_INVALID_ARGUMENT;
  if (!snare_session_stopped(session))
    return SNARE_WRONG_STATE;
  return backtrace_of(&session->worker, frames, cap, count);
}

snare_status snare_thread_backtrace(snare_session *session, int id,
                                    snare_backtrace_frame *frames, size_t cap,
                                    size_t *count)
{
  if (session == NULL || count == NULL || (cap > 0 && frames == NULL))
    return SNARE_INVALID_ARGUMENT;
  snare_status st;
  snare_thread *thread = snare_thread_parked(session, id, &st);
  return thread != NULL ? backtrace_of(thread, frames, cap, count) : st;
}
