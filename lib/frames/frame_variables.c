/*
 * frame_variables.c - the public variable API: a frame index of a
 * stopped worker or of an attached thread parked at a stop (or frame 0
 * of a condition's frame) resolved to its
 * DWARF scope and registers, then read, listed or written.
 */
#include <stdlib.h>
#include <string.h>

#include "session/session.h"
#include "session/events.h"
#include "debuginfo/type_info.h"
#include "frames/stack.h"

/*
 * Runs the source frame `index` of context through fn. The frame array
 * lives only during the call. INVALID_ARGUMENT past the outermost frame,
 * NOT_FOUND for a frame without DWARF.
 */
#define ENTRY_CALLERS 4

typedef snare_status (*frame_fn)(const snare_stack_frame *f, void *context,
                                 void *arg);

static snare_status with_frame(void *context, size_t index, frame_fn fn,
                               void *arg)
{
  snare_stack_frame *frames;
  size_t n;
  /* Each physical frame yields at least one source frame; the callers
     beyond are where values at entry are found (a caller's value may be
     its own entry value: a few levels are followed). */
  snare_status st =
      snare_stack_collect(context, index + 1 + ENTRY_CALLERS, &frames, &n);
  if (st != SNARE_OK)
    return st;
  if (index >= n)
    st = SNARE_INVALID_ARGUMENT;
  else if (frames[index].di == NULL || frames[index].scope < 0)
    st = SNARE_NOT_FOUND;
  else
    st = fn(&frames[index], context, arg);
  free(frames);
  return st;
}

/* The saved context of thread id (the stopped worker, or an attached
   thread parked with a frame); *frame, a frame index as its backtrace
   counts, becomes one over all its source frames. */
static snare_status parked_context(snare_session *session, int id,
                                   void **context, size_t *frame)
{
  if (session == NULL)
    return SNARE_INVALID_ARGUMENT;
  snare_status st;
  const snare_thread *thread = snare_thread_parked(session, id, &st);
  if (thread == NULL)
    return st;
  *context = thread->context;
  *frame += snare_stack_hidden(thread);
  return SNARE_OK;
}

/* The session's worker: the thread id the session functions act on. */
static int worker_id(const snare_session *session)
{
  return session != NULL ? session->worker.id : 0;
}

typedef struct list_arg {
  snare_variable_info *vars;
  size_t cap;
  size_t *count;
} list_arg;

static snare_status list_fn(const snare_stack_frame *f, void *context,
                            void *p)
{
  (void)context;
  list_arg *a = p;
  return snare_debuginfo_variables(f->di, f->scope, a->vars, a->cap, a->count);
}

snare_status snare_thread_variable_list(snare_session *session, int id,
                                        size_t frame,
                                        snare_variable_info *vars, size_t cap,
                                        size_t *count)
{
  void *context = NULL;
  snare_status st = parked_context(session, id, &context, &frame);
  if (st != SNARE_OK)
    return st;
  if (count == NULL || (cap > 0 && vars == NULL))
    return SNARE_INVALID_ARGUMENT;
  list_arg a = {vars, cap, count};
  return with_frame(context, frame, list_fn, &a);
}

snare_status snare_variable_list(snare_session *session, size_t frame,
                                 snare_variable_info *vars, size_t cap,
                                 size_t *count)
{
  return snare_thread_variable_list(session, worker_id(session), frame, vars,
                                    cap, count);
}

typedef struct read_arg {
  const char *name; /* unless listed */
  const snare_value_options *opts;
  snare_value **out;
  size_t index; /* if listed: the variable `index` of the list */
  bool listed;
} read_arg;

static snare_status read_fn(const snare_stack_frame *f, void *context,
                            void *p)
{
  (void)context;
  read_arg *a = p;
  if (a->listed)
    return snare_debuginfo_variable_read_listed(f->di, f->scope, &f->state,
                                                a->index, a->opts, a->out);
  return snare_debuginfo_variable_read(f->di, f->scope, &f->state, a->name,
                                       a->opts, a->out);
}

/* Reads the variable a names (or lists) in frame `frame` of thread id. */
static snare_status read_variable(snare_session *session, int id,
                                  size_t frame, read_arg *a)
{
  void *context = NULL;
  snare_status st = parked_context(session, id, &context, &frame);
  if (st != SNARE_OK)
    return st;
  if (a->out == NULL || (!a->listed && a->name == NULL))
    return SNARE_INVALID_ARGUMENT;
  return with_frame(context, frame, read_fn, a);
}

snare_status snare_thread_variable_read(snare_session *session, int id,
                                        size_t frame, const char *name,
                                        const snare_value_options *opts,
                                        snare_value **out)
{
  read_arg a = {.name = name, .opts = opts, .out = out};
  return read_variable(session, id, frame, &a);
}

snare_status snare_thread_variable_read_listed(snare_session *session, int id,
                                               size_t frame, size_t index,
                                               const snare_value_options *opts,
                                               snare_value **out)
{
  read_arg a = {.opts = opts, .out = out, .index = index, .listed = true};
  return read_variable(session, id, frame, &a);
}

snare_status snare_variable_read_listed(snare_session *session, size_t frame,
                                        size_t index,
                                        const snare_value_options *opts,
                                        snare_value **out)
{
  return snare_thread_variable_read_listed(session, worker_id(session), frame,
                                           index, opts, out);
}

snare_status snare_variable_read(snare_session *session, size_t frame,
                                 const char *name,
                                 const snare_value_options *opts,
                                 snare_value **out)
{
  return snare_thread_variable_read(session, worker_id(session), frame, name,
                                    opts, out);
}

snare_status snare_frame_variable_read(const snare_frame *frame,
                                       const char *name,
                                       const snare_value_options *opts,
                                       snare_value **out)
{
  if (frame == NULL || name == NULL || out == NULL)
    return SNARE_INVALID_ARGUMENT;
  read_arg a = {.name = name, .opts = opts, .out = out};
  return with_frame(frame->context, 0, read_fn, &a);
}

typedef struct write_arg {
  const char *name;
  bool is_float;
  int64_t i;
  double f;
} write_arg;

/* The bytes of the new value in the variable's representation. */
static void encode(const write_arg *a, const snare_variable_place *p,
                   uint8_t bytes[8])
{
  memset(bytes, 0, 8);
  if (p->kind == SNARE_VALUE_FLOAT && p->size == 4) {
    float v = a->is_float ? (float)a->f : (float)a->i;
    memcpy(bytes, &v, 4);
  } else if (p->kind == SNARE_VALUE_FLOAT) {
    double v = a->is_float ? a->f : (double)a->i;
    memcpy(bytes, &v, 8);
  } else {
    int64_t v = a->is_float ? (int64_t)a->f : a->i;
    if (p->kind == SNARE_VALUE_BOOL)
      v = v != 0;
    memcpy(bytes, &v, 8); /* little-endian: the low bytes first */
  }
}

/*
 * Registers of caller frames were recovered from where their callees
 * saved them, and writing those save slots is not done here.
 */
static snare_status write_fn(const snare_stack_frame *f, void *context,
                             void *p)
{
  write_arg *a = p;
  snare_variable_place place;
  snare_status st = snare_debuginfo_variable_place(f->di, f->scope, &f->state,
                                                   a->name, &place);
  if (st != SNARE_OK)
    return st;
  uint8_t bytes[8];
  encode(a, &place, bytes);
  if (!place.in_register)
    return snare_memory_write(place.address, bytes, place.size);
  if (f->physical != 0 || f->pub.tail_call)
    return SNARE_UNSUPPORTED;
  uint64_t old = snare_arch_register_get(context, place.reg), v = 0;
  memcpy(&v, bytes, 8);
  if (place.size < 8) /* keep the bytes the variable does not occupy */
    v = (old & ~((UINT64_C(1) << (8 * place.size)) - 1)) |
        (v & ((UINT64_C(1) << (8 * place.size)) - 1));
  snare_arch_register_set(context, place.reg, v);
  return SNARE_OK;
}

static snare_status write_variable(snare_session *session, int id,
                                   size_t frame, write_arg *a)
{
  void *context = NULL;
  snare_status st = parked_context(session, id, &context, &frame);
  if (st == SNARE_OK && a->name == NULL)
    st = SNARE_INVALID_ARGUMENT;
  return st != SNARE_OK ? st : with_frame(context, frame, write_fn, a);
}

snare_status snare_thread_variable_write_int(snare_session *session, int id,
                                             size_t frame, const char *name,
                                             int64_t value)
{
  write_arg a = {.name = name, .i = value};
  return write_variable(session, id, frame, &a);
}

snare_status snare_thread_variable_write_float(snare_session *session,
                                               int id, size_t frame,
                                               const char *name, double value)
{
  write_arg a = {.name = name, .is_float = true, .f = value};
  return write_variable(session, id, frame, &a);
}

snare_status snare_variable_write_int(snare_session *session, size_t frame,
                                      const char *name, int64_t value)
{
  return snare_thread_variable_write_int(session, worker_id(session), frame,
                                         name, value);
}

snare_status snare_variable_write_float(snare_session *session, size_t frame,
                                        const char *name, double value)
{
  return snare_thread_variable_write_float(session, worker_id(session), frame,
                                           name, value);
}

typedef struct locate_arg {
  const char *name; /* NULL: the variable `index` of the list */
  snare_variable_location *out;
  size_t index;
} locate_arg;

static snare_status locate_fn(const snare_stack_frame *f, void *context,
                              void *p)
{
  (void)context;
  locate_arg *a = p;
  if (a->name == NULL)
    return snare_debuginfo_variable_locate_listed(f->di, f->scope, &f->state,
                                                  a->index, a->out);
  return snare_debuginfo_variable_locate(f->di, f->scope, &f->state, a->name,
                                         a->out);
}

snare_status snare_thread_variable_locate(snare_session *session, int id,
                                          size_t frame, const char *name,
                                          snare_variable_location *out)
{
  void *context = NULL;
  snare_status st = parked_context(session, id, &context, &frame);
  if (st != SNARE_OK)
    return st;
  if (name == NULL || out == NULL)
    return SNARE_INVALID_ARGUMENT;
  locate_arg a = {name, out, 0};
  return with_frame(context, frame, locate_fn, &a);
}

snare_status snare_thread_variable_locate_listed(snare_session *session,
                                                 int id, size_t frame,
                                                 size_t index,
                                                 snare_variable_location *out)
{
  void *context = NULL;
  snare_status st = parked_context(session, id, &context, &frame);
  if (st != SNARE_OK)
    return st;
  if (out == NULL)
    return SNARE_INVALID_ARGUMENT;
  locate_arg a = {NULL, out, index};
  return with_frame(context, frame, locate_fn, &a);
}

snare_status snare_variable_locate(snare_session *session, size_t frame,
                                   const char *name,
                                   snare_variable_location *out)
{
  return snare_thread_variable_locate(session, worker_id(session), frame,
                                      name, out);
}

snare_status snare_frame_variable_locate(const snare_frame *frame,
                                         const char *name,
                                         snare_variable_location *out)
{
  if (frame == NULL || name == NULL || out == NULL)
    return SNARE_INVALID_ARGUMENT;
  locate_arg a = {name, out, 0};
  return with_frame(frame->context, 0, locate_fn, &a);
}
