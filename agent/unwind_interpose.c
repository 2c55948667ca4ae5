/*
 * unwind_interpose.c - the agent's wrappers of everything that walks or
 * switches the program's stacks, so that exit hooks stay invisible: a
 * hooked frame's return address is snare's exit stub, which no unwinder
 * can step through.
 *
 * Before a walk (C++ throw, rethrow and cleanup resume, forced unwinding,
 * _Unwind_Backtrace, backtrace(), libunwind) the real return addresses go
 * back into their slots; after it, or where a C++ exception is caught,
 * the frames still live catch their exits again and the ones unwound
 * end. ucontext switches tell snare which stack's frames run. Preloaded,
 * these definitions come before libgcc_s', libstdc++'s, libunwind's and
 * libc's; each forwards to the next definition.
 *
 * The snare C API comes from the snare.core module the agent's Lua state
 * loads (agent.c): until it is there, no hook exists and the wrappers
 * only forward. That module carries these wrappers too, for libraries a
 * Lua session opens (premake5.lua); under the agent, the agent's come
 * first and each layer hides only its own frame.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>
#include <unwind.h>

#include "snare.h"

#define EXPORT __attribute__((visibility("default")))

#define GCC_S "libgcc_s.so.1"
#define STDCXX "libstdc++.so.6"
#define LIBUNWIND "libunwind.so.8"
#define LIBC "libc.so.6"

/* The address of the calling function's return-address slot. */
#define OWN_RETURN_SLOT() ((uint64_t)(uintptr_t)__builtin_frame_address(0) + 8)

/* Frames a wrapper asks a backtrace for beyond the caller's, to drop its
   own; larger requests are passed on unchanged. */
#define BACKTRACE_MAX 512

/* The definition of `name` this one hides. A library opened without
   RTLD_GLOBAL (one snare.load opened pulled it in) is not searched after
   this object: it is asked directly. */
static void *next(const char *name, const char *library,
                  _Atomic(void *) *cache) {
  void *fn = atomic_load_explicit(cache, memory_order_acquire);
  if (fn == NULL) {
    fn = dlsym(RTLD_NEXT, name);
    void *handle = fn == NULL ? dlopen(library, RTLD_NOW | RTLD_NOLOAD) : NULL;
    if (handle != NULL) {
      fn = dlsym(handle, name);
      dlclose(handle);
    }
    atomic_store_explicit(cache, fn, memory_order_release);
  }
  return fn;
}
/* `real`: that definition, of the function type `type`, from `library`. */
#define NEXT(type, name, library)                                              \
  static _Atomic(void *) next_##name;                                          \
  __typeof__(type) *real =                                                     \
      (__typeof__(type) *)next(#name, library, &next_##name)

typedef void (*frames_fn)(uint64_t);
typedef void (*switch_fn)(const void *, const void *);

static void *core(const char *name, _Atomic(void *) *cache) {
  void *fn = atomic_load_explicit(cache, memory_order_acquire);
  if (fn == NULL) {
    fn = dlsym(RTLD_DEFAULT, name);
    atomic_store_explicit(cache, fn, memory_order_release);
  }
  return fn;
}

static void reveal(uint64_t sp) {
  static _Atomic(void *) fn;
  frames_fn f = (frames_fn)core("snare_hook_frames_reveal", &fn);
  if (f != NULL)
    f(sp);
}

static void rearm(uint64_t sp) {
  static _Atomic(void *) fn;
  frames_fn f = (frames_fn)core("snare_hook_frames_rearm", &fn);
  if (f != NULL)
    f(sp);
}

static void stack_switch(const void *from, const void *to) {
  static _Atomic(void *) fn;
  switch_fn f = (switch_fn)core("snare_hook_stack_switch", &fn);
  if (f != NULL)
    f(from, to);
}

/* ---- C++ exceptions and forced unwinding (libgcc_s, libstdc++) ---- */

EXPORT _Unwind_Reason_Code
_Unwind_RaiseException(struct _Unwind_Exception *exception) {
  NEXT(_Unwind_Reason_Code(struct _Unwind_Exception *), _Unwind_RaiseException, GCC_S);
  reveal(OWN_RETURN_SLOT());
  return real(exception);
}

EXPORT void _Unwind_Resume(struct _Unwind_Exception *exception) {
  NEXT(void (struct _Unwind_Exception *), _Unwind_Resume, GCC_S);
  /* A catch inside a cleanup (a destructor's own try) armed them again. */
  reveal(OWN_RETURN_SLOT());
  real(exception);
  __builtin_unreachable();
}

EXPORT _Unwind_Reason_Code
_Unwind_Resume_or_Rethrow(struct _Unwind_Exception *exception) {
  NEXT(_Unwind_Reason_Code(struct _Unwind_Exception *), _Unwind_Resume_or_Rethrow, GCC_S);
  reveal(OWN_RETURN_SLOT());
  return real(exception);
}

EXPORT _Unwind_Reason_Code _Unwind_ForcedUnwind(struct _Unwind_Exception *e,
                                                _Unwind_Stop_Fn stop,
                                                void *arg) {
  NEXT(_Unwind_Reason_Code(struct _Unwind_Exception *, _Unwind_Stop_Fn,
                              void *), _Unwind_ForcedUnwind, GCC_S);
  reveal(OWN_RETURN_SLOT());
  return real(e, stop, arg);
}

EXPORT void *__cxa_begin_catch(void *exception) {
  NEXT(void *(void *), __cxa_begin_catch, STDCXX);
  rearm(OWN_RETURN_SLOT());
  return real(exception);
}


/* ---- stack walks that return ---- */

typedef struct skipping_trace {
  _Unwind_Trace_Fn fn;
  void *arg;
  bool skipped;
} skipping_trace;

/* The first frame the walk reports is this wrapper's: the program never
   saw it. */
static _Unwind_Reason_Code skip_first(struct _Unwind_Context *context,
                                      void *raw) {
  skipping_trace *trace = raw;
  if (!trace->skipped) {
    trace->skipped = true;
    return _URC_NO_REASON;
  }
  return trace->fn(context, trace->arg);
}

EXPORT _Unwind_Reason_Code _Unwind_Backtrace(_Unwind_Trace_Fn fn, void *arg) {
  NEXT(_Unwind_Reason_Code(_Unwind_Trace_Fn, void *), _Unwind_Backtrace, GCC_S);
  skipping_trace trace = {fn, arg, false};
  reveal(OWN_RETURN_SLOT());
  _Unwind_Reason_Code code = real(skip_first, &trace);
  rearm(OWN_RETURN_SLOT());
  return code;
}

/* backtrace(3) and unw_backtrace: the same walk with one more frame (the
   wrapper's, dropped; inlined so that there is only one). */
static inline __attribute__((always_inline)) int
walk_without_self(int (*real)(void **, int), void **buffer, int size,
                  uint64_t sp) {
  if (size <= 0 || size > BACKTRACE_MAX)
    return real(buffer, size);
  void *frames[BACKTRACE_MAX + 1];
  reveal(sp);
  int n = real(frames, size + 1);
  rearm(sp);
  if (n <= 1)
    return 0;
  memcpy(buffer, frames + 1, (size_t)(n - 1) * sizeof *frames);
  return n - 1;
}

EXPORT int backtrace(void **buffer, int size) {
  NEXT(int (void **, int), backtrace, LIBC);
  return walk_without_self(real, buffer, size, OWN_RETURN_SLOT());
}

EXPORT int unw_backtrace(void **buffer, int size) {
  NEXT(int (void **, int), unw_backtrace, LIBUNWIND);
  return walk_without_self(real, buffer, size, OWN_RETURN_SLOT());
}

/*
 * libunwind's cursor walk (unw_init_local, unw_step): frames are revealed
 * from the start and armed again when the walk reaches the end. snare.core
 * walks with libunwind too (it shows callers through hooked frames by
 * itself, in signal handlers): its own walks, called from the object this
 * file is part of, are passed on untouched.
 */
extern const char __ehdr_start[] __attribute__((visibility("hidden")));
extern const char __etext[] __attribute__((visibility("hidden")));

static bool from_this_object(const void *caller) {
  return (const char *)caller >= __ehdr_start &&
         (const char *)caller < __etext;
}

EXPORT int _ULx86_64_init_local(void *cursor, void *context) {
  NEXT(int (void *, void *), _ULx86_64_init_local, LIBUNWIND);
  if (!from_this_object(__builtin_return_address(0)))
    reveal(OWN_RETURN_SLOT());
  return real(cursor, context);
}

EXPORT int _ULx86_64_init_local2(void *cursor, void *context, int flag) {
  NEXT(int (void *, void *, int), _ULx86_64_init_local2, LIBUNWIND);
  if (!from_this_object(__builtin_return_address(0)))
    reveal(OWN_RETURN_SLOT());
  return real(cursor, context, flag);
}

EXPORT int _ULx86_64_step(void *cursor) {
  NEXT(int (void *), _ULx86_64_step, LIBUNWIND);
  int more = real(cursor);
  if (more <= 0 && !from_this_object(__builtin_return_address(0)))
    rearm(OWN_RETURN_SLOT());
  return more;
}

/* ---- stack switches ---- */

EXPORT int swapcontext(ucontext_t *from, const ucontext_t *to) {
  NEXT(int (ucontext_t *, const ucontext_t *), swapcontext, LIBC);
  stack_switch(from, to);
  int failed = real(from, to);
  /* Back in `from`, however control came here (another swapcontext, or
     a coroutine that returned to its uc_link). */
  stack_switch(NULL, from);
  return failed;
}

EXPORT int setcontext(const ucontext_t *to) {
  NEXT(int (const ucontext_t *), setcontext, LIBC);
  stack_switch(NULL, to);
  return real(to);
}
