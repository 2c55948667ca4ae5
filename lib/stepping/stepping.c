/*
 * stepping.c - source-level line steps (gdb's step and next): single
 * steps inside a line, calls run at full speed to their return address
 * (lib/stepping/step_calls.c), stops where a new statement starts. The decisions
 * follow gdb's process_event_stop_test, so both stop on the same lines.
 */
#include <string.h>

#include "code/code.h"
#include "code/library.h"
#include "debuginfo/variables.h"
#include "internal/disassembler.h"
#include "session/breakpoints.h"
#include "stepping/stepping.h"
#include "traps/traps.h"

/* At most this many jumps of a PLT stub are followed to the real callee. */
#define MAX_STUB_JUMPS 4
/* At most this many instructions of the dynamic linker's resolver are
   stepped before its call of the lookup (glibc's take some 40). */
#define MAX_RESOLVER_STEPS 256

/* A source frame as gdb identifies one: the physical frame's CFA, how
   many inlined calls deep it is, its function, and the out-of-line
   function hosting it (function NULL: no DWARF function there). */
typedef struct shown_frame {
  uint64_t cfa;
  unsigned depth;
  const char *function;
  const char *host;
} shown_frame;

/* What gdb calls the step info: the range being stepped, the line it
   belongs to (0: any statement start stops) and the frame. */
typedef struct stepper {
  const snare_step_subject *subject;
  snare_step_mode mode;
  const snare_step_policy *policy;
  uint64_t range_start, range_end;
  const char *file;
  unsigned line;
  uint64_t cfa;
  uint64_t pc, sp; /* where the stepped thread is now */
  unsigned depth;  /* inlined calls around the stepped frame's code */
  unsigned hidden; /* inlined calls the stop hides (gdb's call site stop) */
  /* gdb's step frame: shown where the step began, or where it last
     passed the middle of a line (set_step_info) */
  shown_frame frame;
  const char *start_host; /* the function the step began in */
  uint64_t start_cfa;     /* and the CFA of its real frame */
} stepper;

/* Outcome of one decision. */
typedef enum verdict { KEEP_GOING, STOP_HERE, ENDED_BY_STOP } verdict;

static const snare_debuginfo *debuginfo_at(uint64_t pc) {
  snare_library *lib = snare_library_mapping(pc);
  const snare_debuginfo *di = NULL;
  if (lib == NULL || snare_library_debuginfo(lib, &di) != SNARE_OK)
    return NULL;
  return di;
}

/* How many inlined calls the code at pc is inside, in its function. */
static unsigned inline_depth(uint64_t pc) {
  const snare_debuginfo *di = debuginfo_at(pc);
  size_t n = di ? snare_debuginfo_frames_at(di, pc, NULL, 0) : 1;
  return n > 0 ? (unsigned)n - 1 : 0;
}

/* How many inlined calls begin at pc (see snare_debuginfo_inline_entries). */
static unsigned inline_entries(uint64_t pc, const char **file,
                               unsigned *line) {
  const snare_debuginfo *di = debuginfo_at(pc);
  *file = NULL;
  *line = 0;
  return di ? snare_debuginfo_inline_entries(di, pc, file, line) : 0;
}

static bool same_string(const char *a, const char *b) {
  return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* gdb's frame identity, by the function of an inlined call (its block) */
static bool same_frame(const shown_frame *a, const shown_frame *b) {
  return a->cfa == b->cfa && a->depth == b->depth &&
         same_string(a->function, b->function);
}

/* The frame shown at the pc, with st->hidden inlined calls hidden. */
static shown_frame frame_shown(const stepper *st) {
  snare_debuginfo_frame frames[SNARE_INLINE_DEPTH_MAX];
  const snare_debuginfo *di = debuginfo_at(st->pc);
  size_t n = di ? snare_debuginfo_frames_at(di, st->pc, frames,
                                            SNARE_INLINE_DEPTH_MAX)
                : 0;
  size_t kept = n < SNARE_INLINE_DEPTH_MAX ? n : SNARE_INLINE_DEPTH_MAX;
  shown_frame shown = {st->cfa, 0, NULL, NULL};
  if (kept > st->hidden) {
    shown.depth = (unsigned)(n - 1 - st->hidden);
    shown.function = frames[st->hidden].function;
    shown.host = frames[kept - 1].function;
  }
  return shown;
}

static void refresh(stepper *st, const snare_line_info *li, bool keep_line) {
  st->range_start = li->start;
  st->range_end = li->end;
  if (!keep_line) {
    st->file = li->file;
    st->line = li->line;
    st->frame = frame_shown(st);
  }
}

static snare_status read_position(stepper *st) {
  const snare_step_subject *subject = st->subject;
  snare_status status = subject->register_get(subject, SNARE_REG_RIP, &st->pc);
  return status == SNARE_OK
             ? subject->register_get(subject, SNARE_REG_RSP, &st->sp)
             : status;
}

/* One instruction. *verdict is ENDED_BY_STOP when it stopped for
   anything but the step itself (a breakpoint, a signal, the exit), or
   when the step changed a watched value (a watchpoint ends a step, as in
   gdb). */
static snare_status judge_step(stepper *st, const snare_stop *stop,
                               verdict *v) {
  *v = stop->kind == SNARE_STOP_STEP && stop->watchpoint == 0 ? KEEP_GOING
                                                              : ENDED_BY_STOP;
  return *v == KEEP_GOING ? read_position(st) : SNARE_OK;
}

static snare_status step_one(stepper *st, snare_stop *stop, verdict *v) {
  snare_status status = st->subject->resume(
      st->subject, SNARE_RESUME_STEP_INSTRUCTION, NULL, stop);
  return status == SNARE_OK ? judge_step(st, stop, v) : status;
}

/* At most this many rows after the stepped one join its range. */
#define MAX_JOINED_ROWS 16

/*
 * Where the stepped range ends once the rows right after it that go on
 * with its line (a line the line table splits by column or view) join
 * it: decide() only moves the range on at each of them (the same line
 * and file, no inlined call entered or left, the same frame), so the
 * thread steps through them by itself. The stepper's own range stays
 * the row, so what it decides once the thread leaves is unchanged.
 */
static uint64_t joined_end(const stepper *st) {
  uint64_t end = st->range_end;
  if (st->line == 0 || st->file == NULL || st->hidden != 0)
    return end;
  for (int k = 0; k < MAX_JOINED_ROWS; k++) {
    snare_line_info li;
    const char *call_file;
    unsigned call_line;
    if (snare_line_at(end, &li) != SNARE_OK || li.start != end ||
        li.end <= end || li.line != st->line ||
        !same_string(li.file, st->file) ||
        inline_entries(end, &call_file, &call_line) != 0 ||
        inline_depth(end) != st->depth)
      break;
    end = li.end;
  }
  return end;
}

/*
 * step_one for step and next: the thread steps on by itself, in its
 * handler, while it stays in the range and frame being stepped and makes
 * no push (threads.h), the instructions after_step would only step past,
 * and for a next up to a call, which the loop of snare_step_run runs
 * over; so a line costs one hand-off, not one per instruction. *prev_pc and
 * *prev_sp: where the last instruction stepped began.
 */
static void arm_step_range(const stepper *st, uint64_t end) {
  snare_thread *thread = st->subject->thread;
  /* (an attached thread's slot serves its system calls alone: worker.c) */
  snare_worker_step_slot(thread, st->range_start);
  thread->step_range_start = st->range_start;
  thread->step_range_end = end;
  thread->step_sp_limit = st->cfa;
  thread->step_prev_pc = st->pc;
  thread->step_prev_sp = st->sp;
  thread->step_over_calls = st->mode == SNARE_STEP_OVER;
}

static void disarm_step_range(const stepper *st, uint64_t *prev_pc,
                              uint64_t *prev_sp) {
  snare_thread *thread = st->subject->thread;
  thread->step_range_end = 0;
  thread->step_over_calls = false;
  thread->step_return_target = 0;
  *prev_pc = thread->step_prev_pc;
  *prev_sp = thread->step_prev_sp;
}

static snare_status step_in_range(stepper *st, snare_stop *stop, verdict *v,
                                  uint64_t *prev_pc, uint64_t *prev_sp) {
  arm_step_range(st, joined_end(st));
  snare_status status = step_one(st, stop, v);
  disarm_step_range(st, prev_pc, prev_sp);
  return status;
}

/* True if the instruction at pc is a call; *ret: the address after it. */
static bool call_at(uint64_t pc, uint64_t *ret) {
  char text[96];
  size_t length;
  uint8_t bytes[SNARE_ARCH_MAX_INSTRUCTION];
  snare_os_global_lock();
  size_t n = snare_sites_read_instruction(pc, bytes);
  snare_os_global_unlock();
  if (n == 0 ||
      snare_arch_disassemble(pc, SNARE_DISASSEMBLY_INTEL, bytes, n, text,
                             sizeof text, &length) !=
          SNARE_OK ||
      strncmp(text, "call", 4) != 0)
    return false;
  *ret = pc + length;
  return true;
}

/* True if the last step (from prev_pc, prev_sp) made a call: the stack
   grew by the address right after a call instruction. */
static bool entered_call(const stepper *st, uint64_t prev_pc, uint64_t prev_sp,
                         uint64_t *ret) {
  uint64_t pushed;
  return st->sp == prev_sp - 8 &&
         snare_memory_read(st->sp, &pushed, sizeof pushed) == SNARE_OK &&
         call_at(prev_pc, ret) && pushed == *ret && st->pc != *ret;
}

/* True if pc is inside a function snare knows by its ELF symbol (or a
   registered code region): what gdb calls a function with a name. */
static bool named_code(uint64_t pc, uint64_t *start, uint64_t *size) {
  return snare_code_function_containing(pc, start, size, NULL);
}

/* Runs the call just entered to its return address, at this depth. */
static snare_status step_over(stepper *st, uint64_t ret, uint64_t sp_in_callee,
                              snare_stop *stop, verdict *v) {
  snare_step_target target = {ret, sp_in_callee + 8, 0, true};
  bool reached;
  snare_status status =
      snare_step_continue_to(st->subject, &target, 1, stop, &reached);
  if (status != SNARE_OK)
    return status;
  *v = reached ? KEEP_GOING : ENDED_BY_STOP;
  return reached ? read_position(st) : SNARE_OK;
}

/*
 * next over the call at the pc, returning to ret. Where ret lies in the
 * row being stepped or a row joined to it (joined_end: gcc starts a row
 * of the line at a call's return address), decide() would only go on
 * there: the thread then steps on from the return in its handler, as
 * step_in_range's does (threads.h: step_return_target), instead of
 * handing off once more, and *stepped_on says so, with *prev_pc and
 * *prev_sp for after_step. A next over `s += work(k);` hands off twice,
 * not three times (futex calls: 8, not 12).
 */
static snare_status next_over_call(stepper *st, uint64_t ret,
                                   snare_stop *stop, verdict *v,
                                   uint64_t *prev_pc, uint64_t *prev_sp,
                                   bool *stepped_on) {
  snare_thread *thread = st->subject->thread;
  *stepped_on = false;
  uint64_t end = joined_end(st);
  if (ret < st->range_start || ret >= end)
    return step_over(st, ret, st->sp - 8, stop, v);
  arm_step_range(st, end);
  thread->step_return_target = ret;
  thread->step_return_reached = false;
  snare_status status = step_over(st, ret, st->sp - 8, stop, v);
  disarm_step_range(st, prev_pc, prev_sp);
  *stepped_on = thread->step_return_reached;
  if (status != SNARE_OK || !*stepped_on)
    return status;
  st->hidden = 0; /* as decide() at ret */
  return judge_step(st, stop, v);
}

/*
 * A lazily bound PLT stub (its GOT slot not written yet) pushes its
 * relocation's index and jumps to the dynamic linker's resolver, which
 * calls the lookup (glibc's _dl_fixup, whose result in rax is the
 * function's address) and then jumps there with the stack as the stub
 * found it (stub_sp). Single steps to that call, runs it, and runs on to
 * the address; as gdb's "stepped into dynsym resolve code".
 */
static snare_status through_resolver(stepper *st, uint64_t stub_sp,
                                     snare_stop *stop, verdict *v) {
  for (int i = 0; i < MAX_RESOLVER_STEPS; i++) {
    uint64_t ret, target;
    snare_status status;
    if (!call_at(st->pc, &ret)) {
      status = step_one(st, stop, v);
      if (status != SNARE_OK || *v != KEEP_GOING)
        return status;
      continue;
    }
    status = step_over(st, ret, st->sp - 8, stop, v);
    if (status != SNARE_OK || *v != KEEP_GOING)
      return status;
    status = st->subject->register_get(st->subject, SNARE_REG_RAX, &target);

    if (status != SNARE_OK)
      return status;
    snare_step_target to = {target, stub_sp, 0, false};
    bool reached;
    status = snare_step_continue_to(st->subject, &to, 1, stop, &reached);
    if (status != SNARE_OK)
      return status;
    *v = reached ? KEEP_GOING : ENDED_BY_STOP;
    return reached ? read_position(st) : SNARE_OK;
  }
  return SNARE_OK;
}

/* The operands of Intel-syntax text when it is instruction `mnemonic`
   (binutils' spelling: "push   0x0", "bnd jmp QWORD PTR [rip+0x2fe2]");
   NULL when it is another. */
static const char *operands_of(const char *text, const char *mnemonic) {
  size_t n = strlen(mnemonic);
  if (strncmp(text, "bnd ", 4) == 0)
    text += 4;
  if (strncmp(text, mnemonic, n) != 0 || (text[n] != ' ' && text[n] != '\0'))
    return NULL;
  return text + n + strspn(text + n, " ");
}

/* Calls between objects (and at -O0 within one) go through a PLT stub,
   which only jumps once bound: follow it to the function the call really
   enters (through the resolver while it is not bound). */
static snare_status follow_stub(stepper *st, snare_stop *stop, verdict *v) {
  uint64_t stub_sp = st->sp;
  bool through_got = false; /* the last step jumped through memory */
  *v = KEEP_GOING;
  for (int i = 0; i < MAX_STUB_JUMPS; i++) {
    snare_line_info li;
    char text[96];
    size_t length;
    uint64_t start, size;
    if (snare_line_at(st->pc, &li) == SNARE_OK ||
        (named_code(st->pc, &start, &size) &&
         !snare_library_plt_entry_at(st->pc)) ||
        snare_disassemble(st->pc, SNARE_DISASSEMBLY_INTEL, text, sizeof text,
                          &length) != SNARE_OK)
      return SNARE_OK;
    /* an unbound GOT slot leads back into the PLT, to the push of the
       relocation's index */
    const char *pushed = operands_of(text, "push");
    const char *jumped = operands_of(text, "jmp");
    bool endbr = operands_of(text, "endbr64") != NULL;
    if (through_got && pushed && strncmp(pushed, "0x", 2) == 0)
      return through_resolver(st, stub_sp, stop, v);
    if (!endbr)
      through_got = jumped && strchr(jumped, '[') != NULL;
    if (!jumped && !endbr)
      return SNARE_OK;
    snare_status status = step_one(st, stop, v);
    if (status != SNARE_OK || *v != KEEP_GOING)
      return status;
  }
  return SNARE_OK;
}

/* While a policy answers, the session refuses to run (IN_CALLBACK). */
static int ask_stop(const stepper *st) {
  if (st->policy == NULL || st->policy->stop == NULL)
    return 1;
  snare_session *session = st->subject->session;
  atomic_store(&session->in_policy, true);
  int answer = st->policy->stop(session, st->policy->data);
  atomic_store(&session->in_policy, false);
  return answer;
}

static int ask_into(const stepper *st, const snare_function_info *fn,
                    const snare_line_info *first) {
  if (st->policy == NULL || st->policy->into == NULL)
    return 1;
  snare_step_function info = {fn->name, fn->entry, first->file, first->line};
  snare_session *session = st->subject->session;
  atomic_store(&session->in_policy, true);
  int answer = st->policy->into(&info, st->policy->data);
  atomic_store(&session->in_policy, false);
  return answer;
}

/*
 * A call was entered (sp_in_callee: the stack pointer right after it).
 * INTO a function with line information that the policy accepts: runs to
 * the end of its prologue, and *entered is set (a new frame and line,
 * where the stop policy has been asked). Otherwise: over it.
 */
static snare_status handle_call(stepper *st, uint64_t ret,
                                uint64_t sp_in_callee, snare_stop *stop,
                                verdict *v, bool *entered) {
  snare_function_info fn;
  snare_line_info first;
  snare_status status = SNARE_OK;
  *v = KEEP_GOING;
  *entered = false;
  if (st->mode == SNARE_STEP_INTO)
    status = follow_stub(st, stop, v);
  if (status != SNARE_OK || *v != KEEP_GOING)
    return status;
  bool enter = st->mode == SNARE_STEP_INTO && st->sp == sp_in_callee &&
               snare_function_at(st->pc, &fn) == SNARE_OK &&
               fn.entry == st->pc &&
               snare_line_at(fn.step_start, &first) == SNARE_OK;
  int answer = enter ? ask_into(st, &fn, &first) : 0;
  if (answer < 0) {
    *v = STOP_HERE;
    return SNARE_OK;
  }
  if (answer == 0)
    return step_over(st, ret, sp_in_callee, stop, v);
  *entered = true;
  if (st->pc != fn.step_start) {
    snare_step_target target = {fn.step_start, 0, 0, true};
    bool reached;
    status = snare_step_continue_to(st->subject, &target, 1, stop, &reached);
    if (status != SNARE_OK || !reached) {
      *v = ENDED_BY_STOP;
      return status;
    }
    if ((status = read_position(st)) != SNARE_OK)
      return status;
  }
  st->cfa = sp_in_callee + 8;
  const char *call_file;
  unsigned call_line;
  st->hidden = inline_entries(st->pc, &call_file, &call_line);
  st->depth = inline_depth(st->pc) - st->hidden;
  snare_line_info li;
  if (snare_line_at(st->pc, &li) != SNARE_OK)
    li = first;
  refresh(st, &li, false);
  *v = ask_stop(st) != 0 ? STOP_HERE : KEEP_GOING;
  return SNARE_OK;
}

/*
 * The pc is in code without line information that snare knows no name
 * for, reached by returning or jumping: as gdb's "stepped into
 * undebuggable function", run out of it to a caller that has some; with
 * none known, run on until the next stop (the entry's exit).
 */
static snare_status leave_lineless(stepper *st, snare_stop *stop, verdict *v) {
  uint64_t cfa, ret;
  snare_line_info li;
  snare_status status = snare_step_frame(st->subject, &cfa, &ret);
  if (status != SNARE_OK || ret == 0 || snare_line_at(ret, &li) != SNARE_OK) {
    *v = ENDED_BY_STOP;
    return st->subject->resume(st->subject, SNARE_RESUME_CONTINUE, NULL, stop);
  }
  snare_step_target target = {ret, cfa, 0, false};
  bool reached;
  status = snare_step_continue_to(st->subject, &target, 1, stop, &reached);
  if (status != SNARE_OK)
    return status;
  *v = reached ? KEEP_GOING : ENDED_BY_STOP;
  return reached ? read_position(st) : SNARE_OK;
}

/*
 * The pc left the stepped range for code without line information. A
 * jump there (a tail call: the stepped frame did not return) is no call
 * to gdb: `next` stops where it lands (`malloc@plt` after `jmp
 * malloc@plt`); `step` steps on through PLT stubs ("dynsym resolve
 * code") and stops in the function it reaches when that has a name, as
 * gdb's "no line number info" stop does (`malloc`). Code with no name
 * that step reaches, or code reached by a return, is run out of
 * (leave_lineless), and *returned is set. *v is STOP_HERE (stop in the named function),
 * ENDED_BY_STOP, or KEEP_GOING at a line: in a caller, or where the stub
 * led.
 */
static snare_status enter_lineless(stepper *st, bool *returned,
                                   snare_stop *stop, verdict *v) {
  *v = KEEP_GOING;
  if (!*returned && st->mode != SNARE_STEP_INTO) {
    /* gdb's next stops wherever a jump leaves it without lines, a PLT
       entry ("getenv@plt") or code with no name alike */
    if (ask_stop(st) != 0) {
      *v = STOP_HERE;
      return SNARE_OK;
    }
  } else if (!*returned) {
    snare_status status = follow_stub(st, stop, v);
    snare_line_info li;
    uint64_t start, size;
    if (status != SNARE_OK || *v != KEEP_GOING ||
        snare_line_at(st->pc, &li) == SNARE_OK)
      return status;
    if (named_code(st->pc, &start, &size) && ask_stop(st) != 0) {
      *v = STOP_HERE;
      return SNARE_OK;
    }
  }
  *returned = true;
  return leave_lineless(st, stop, v);
}

/*
 * gdb's decision at a pc reached by stepping (frame_changed: the stepped
 * frame returned). Stop at the start of a statement row of another line;
 * inside a row, or at a row that is no statement start, adopt its range
 * and keep going.
 */
static bool in_range(const stepper *st) {
  return st->pc >= st->range_start && st->pc < st->range_end;
}

static snare_status decide(stepper *st, bool frame_changed, verdict *v) {
  snare_line_info li;
  *v = KEEP_GOING;
  st->hidden = 0;
  if (!frame_changed && in_range(st))
    return SNARE_OK;
  if (snare_line_at(st->pc, &li) != SNARE_OK) {
    *v = STOP_HERE;
    return SNARE_OK;
  }
  /* gdb hides the inlined calls that begin at a stop: the frame shown is
     their caller, at the call site */
  const char *call_file;
  unsigned call_line;
  unsigned entered = inline_entries(st->pc, &call_file, &call_line);
  unsigned shown = inline_depth(st->pc) - entered;
  if (!frame_changed && entered > 0 && shown == st->depth) {
    /* an inlined call from the stepped frame: gdb stops at its call
       site when that is another line; on the line being stepped, step
       goes into it and next through it */
    bool same = call_line == st->line && same_string(call_file, st->file);
    if (st->mode == SNARE_STEP_OVER && same)
      return SNARE_OK;
    st->hidden = st->mode == SNARE_STEP_INTO && same ? entered - 1 : entered;
    if (ask_stop(st) != 0)
      *v = STOP_HERE;
    return SNARE_OK;
  }
  if (!frame_changed && shown > st->depth) {
    /* inside an inlined call of the stepped frame: next runs through it,
       step stops in it */
    if (st->mode == SNARE_STEP_INTO && ask_stop(st) != 0)
      *v = STOP_HERE;
    return SNARE_OK;
  }
  st->depth = shown; /* returned from inlined calls, or from the frame */
  st->hidden = entered;
  /* (gdb's frame change: out of the frame, or into another inlined
     call's frame than the one stepped, as out of one to its caller) */
  shown_frame now = frame_shown(st);
  frame_changed = frame_changed || !same_frame(&now, &st->frame);
  bool keep_line = false;
  if (st->pc == li.start &&
      (li.line != st->line || !same_string(li.file, st->file))) {
    if (!li.not_stmt) {
      int answer = ask_stop(st);
      if (answer != 0) {
        *v = STOP_HERE;
        return SNARE_OK;
      }
    } else if (!frame_changed) {
      keep_line = true;
    } else {
      li.line = 0; /* any later statement start stops */
    }
  }
  refresh(st, &li, keep_line);
  return SNARE_OK;
}

static snare_status left_range(stepper *st, bool returned, snare_stop *stop,
                               verdict *v);

/* After one instruction: a call, a return out of the frame, or a pc to
   judge. */
static snare_status after_step(stepper *st, uint64_t prev_pc,
                               uint64_t prev_sp, snare_stop *stop,
                               verdict *v) {
  uint64_t ret;
  if (entered_call(st, prev_pc, prev_sp, &ret)) {
    bool entered;
    snare_status status = handle_call(st, ret, st->sp, stop, v, &entered);
    if (status != SNARE_OK || *v != KEEP_GOING || entered)
      return status;
    return decide(st, false, v); /* back in this frame, after the call */
  }
  bool returned = st->sp >= st->cfa;
  if (!returned && in_range(st))
    return SNARE_OK; /* stepping a function without lines: still in it */
  return left_range(st, returned, stop, v);
}

/* The pc is out of the stepped range (returned: out of its frame too). */
static snare_status left_range(stepper *st, bool returned, snare_stop *stop,
                               verdict *v) {
  snare_line_info li;
  if (snare_line_at(st->pc, &li) != SNARE_OK) {
    snare_status status = enter_lineless(st, &returned, stop, v);
    if (status != SNARE_OK || *v != KEEP_GOING)
      return status;
  }
  if (returned) {
    snare_status status = snare_step_frame(st->subject, &st->cfa, NULL);
    if (status != SNARE_OK)
      return status;
  }
  return decide(st, returned, v);
}

/* The inlined calls the subject's stop hides, if it is still there. */
static unsigned hidden_at_start(const stepper *st) {
  const snare_stop *last = &st->subject->thread->stop;
  return last->pc == st->pc ? last->inline_hidden : 0;
}

/* Ends a step where it began: step into a hidden inlined call. That is
   gdb's "down" into the inlined frame, a frame of its own (another frame
   id), so the stop shows its frame line even where the inlined function
   has the name of its caller (glibc's _IO_ferror inlined into itself). */
static snare_status stop_in_place(const stepper *st, snare_stop *stop) {
  *stop = st->subject->thread->stop;
  snare_step_done(stop);
  stop->step_frame = SNARE_STEPPED_FRAME_CHANGED;
  return SNARE_OK;
}

/*
 * A step from a function without line information (a stop in `malloc`)
 * steps the whole function, as gdb's "single stepping until exit from
 * function ..., which has no line number information": its symbol's
 * range, no line, so the first statement start after it stops.
 */
static snare_status lineless_range(uint64_t pc, snare_line_info *li) {
  uint64_t start, size;
  if (!named_code(pc, &start, &size) || size == 0)
    return SNARE_NOT_FOUND;
  *li = (snare_line_info){.start = start, .end = start + size};
  return SNARE_OK;
}

/*
 * Sets up st at the subject's stop: the frame shown is the caller of the
 * hidden inlined calls, at its call line, stepping the range of the line
 * at pc. A finish out of an inlined frame steps over the rest of it: an
 * empty range in its caller, where any statement start stops.
 */
static snare_status start(stepper *st, snare_step_mode mode) {
  snare_line_info li;
  snare_status status = read_position(st);
  if (status == SNARE_OK && (status = snare_line_at(st->pc, &li)) != SNARE_OK &&
      lineless_range(st->pc, &li) == SNARE_OK)
    status = SNARE_OK;
  if (status == SNARE_OK)
    status = snare_step_frame(st->subject, &st->cfa, NULL);
  if (status != SNARE_OK)
    return status;
  unsigned hidden = hidden_at_start(st);
  unsigned depth = inline_depth(st->pc);
  st->depth = depth >= hidden ? depth - hidden : 0;
  st->hidden = hidden;
  refresh(st, &li, false);
  st->hidden = 0;
  st->start_host = st->frame.host;
  st->start_cfa = st->cfa;
  snare_line_info shown;
  if (hidden > 0 && snare_source_frame_at(st->pc, hidden, &shown) == SNARE_OK) {
    st->file = shown.file;
    st->line = shown.line;
  }
  if (mode == SNARE_STEP_OUT) {
    st->depth--;
    st->range_start = st->range_end = st->pc;
    st->file = NULL;
    st->line = 0;
  }
  return SNARE_OK;
}

/*
 * gdb shows a line step's stop by its source line alone when it is in
 * the step frame and in the function the step began in (print_stop_event);
 * a step that left an inlined call through the middle of its caller's
 * line has that caller as its step frame by then.
 */
static snare_stepped_frame stepped_frame(const stepper *st) {
  /* the CFA where the step ended: a step into a call (a recursion's
     included, the same function) stops in another frame than st's */
  stepper here = *st;
  if (read_position(&here) != SNARE_OK ||
      snare_step_frame(here.subject, &here.cfa, NULL) != SNARE_OK)
    return SNARE_STEPPED_FRAME_UNKNOWN;
  shown_frame now = frame_shown(&here);
  if (now.function == NULL || st->frame.function == NULL)
    return SNARE_STEPPED_FRAME_UNKNOWN;
  /* a real frame of its own (a call, a return) is a new frame, as
     gdb's frame ids say, whatever step info the step kept inside it */
  bool kept = same_frame(&now, &st->frame) && here.cfa == st->start_cfa &&
              same_string(now.host, st->start_host);
  return kept ? SNARE_STEPPED_FRAME_KEPT : SNARE_STEPPED_FRAME_CHANGED;
}

/* The inlined frames the subject shows at its stop (0: its function). */
static unsigned shown_depth(const snare_step_subject *subject) {
  stepper probe = {.subject = subject};
  if (read_position(&probe) != SNARE_OK)
    return 0;
  unsigned depth = inline_depth(probe.pc), hidden = hidden_at_start(&probe);
  return depth > hidden ? depth - hidden : 0;
}

snare_status snare_step_run(const snare_step_subject *subject,
                            snare_step_mode mode,
                            const snare_step_policy *policy, snare_stop *stop) {
  if (mode == SNARE_STEP_OUT && shown_depth(subject) == 0) {
    snare_status status = snare_step_finish(subject, stop);
    /* as gdb's (its finish breakpoint is no user's): the stop shows the
       caller of the inlined calls that begin at the return address */
    if (status == SNARE_OK && stop->reason == SNARE_REASON_STEP_DONE) {
      const char *file;
      unsigned line;
      stop->inline_hidden = subject->thread->stop.inline_hidden =
          inline_entries(stop->pc, &file, &line);
    }
    return status;
  }
  stepper st = {.subject = subject, .mode = mode, .policy = policy};
  snare_status status = read_position(&st);
  if (status != SNARE_OK)
    return status;
  unsigned hidden = hidden_at_start(&st);
  if (mode == SNARE_STEP_INTO && hidden > 0) {
    status = stop_in_place(&st, stop);
    stop->inline_hidden = subject->thread->stop.inline_hidden = hidden - 1;
    return status;
  }
  if ((status = start(&st, mode)) != SNARE_OK)
    return status;
  bool line_step = mode != SNARE_STEP_OUT;
  if (mode == SNARE_STEP_OUT)
    st.mode = SNARE_STEP_OVER;
  mode = st.mode;
  verdict v = KEEP_GOING;
  /* gdb's step from a PLT entry ("getenv@plt") goes on through it, and
     the resolver, as a jump into it would */
  if (mode == SNARE_STEP_INTO && snare_library_plt_entry_at(st.pc))
    status = left_range(&st, false, stop, &v);
  while (status == SNARE_OK && v == KEEP_GOING) {
    uint64_t prev_pc = st.pc, prev_sp = st.sp, ret;
    /* next runs a call from the call instruction itself, so that a
       breakpoint at the callee's first instruction is hit, as in gdb */
    if (mode == SNARE_STEP_OVER && call_at(st.pc, &ret)) {
      bool stepped_on;
      status = next_over_call(&st, ret, stop, &v, &prev_pc, &prev_sp,
                              &stepped_on);
      if (status == SNARE_OK && v == KEEP_GOING)
        status = stepped_on ? after_step(&st, prev_pc, prev_sp, stop, &v)
                            : decide(&st, false, &v);
      continue;
    }
    status = step_in_range(&st, stop, &v, &prev_pc, &prev_sp);
    if (status == SNARE_OK && v == KEEP_GOING)
      status = after_step(&st, prev_pc, prev_sp, stop, &v);
  }
  if (status == SNARE_OK && v == STOP_HERE) {
    snare_step_done(stop);
    st.hidden = snare_breakpoints_inline_shown(st.pc, st.hidden);
    stop->inline_hidden = subject->thread->stop.inline_hidden = st.hidden;
    if (line_step)
      stop->step_frame = stepped_frame(&st);
  }
  return status;
}
