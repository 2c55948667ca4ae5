/*
 * recording_lua.c - reading a thread's stream of a `snare record`
 * directory (TID.dat; snare.h describes the encoding), with uftrace's
 * filters applied on the way: -F (only these functions and what they
 * call), -N (not these, nor what they call), -H (not these, but what
 * they call, in their place), -D (depth, counted from the
 * outermost -F function), -t (only calls that took at least this long),
 * -T's triggers (trace_on and trace_off at a function's entry, finish at
 * its exit) and a time range (calls entered in it).
 *
 *   core.recording_open(path, {only=set, hide=set, conceal=set, depth=,
 *                              threshold=, on=set, off=set, finish=set,
 *                              from=, to=})
 *     -> reader
 *   reader:next() -> kind, id, depth, time_ns[, args | duration_ns[,
 *     return value] | lost]
 *   reader:unended() -> whether the last exit next() gave closed a call
 *     still running at the stream's end
 *     kind "entry" (args: the values recorded with it, {n=, ...,
 *     strings = {[i] = string, or false: unreadable}, floats = {raw
 *     64-bit values of xmm0...}}), "exit" (with the
 *     duration, and rax when recorded, then the string it points to
 *     when read, false if unreadable) or "lost" (a count); nil at the
 *     end
 *   reader:profile() -> {[id] = {calls=, total_ns=, self_ns=, sum_ns=,
 *     min_ns=, max_ns=}}, events, lost (total_ns: the outermost calls of
 *     a recursion only; sum_ns: of every call): the calls the filters keep, aggregated
 *     here (a recording may hold hundreds of millions of events)
 *
 * Sets map hook ids (from symbols.txt) to true. A call still running at
 * the end of the stream (the process exited inside it) ends at the
 * stream's last time. An exit whose entry was lost is skipped; one that
 * names a frame deeper than the top ends the frames above it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snare_lua.h"

#define READER_TYPE "snare.recording_reader"
#define READ_CHUNK (1u << 20)

enum { KIND_ENTRY, KIND_EXIT, KIND_MARKER, KIND_ENTRY_VALUES };
enum { MARK_TIME, MARK_LOST, MARK_RETURN, MARK_RETURN_STRING, MARK_FLOATS };

#define ARGS_MAX 8
#define STRING_MAX 64

/* The values an entry carried. */
typedef struct rargs {
  unsigned count;
  uint64_t value[ARGS_MAX];
  unsigned float_count;
  uint64_t float_value[ARGS_MAX]; /* raw bits of xmm0... */
  int string_length[ARGS_MAX]; /* -1: no string; -2: unreadable */
  char string[ARGS_MAX][STRING_MAX];
} rargs;
enum { OUT_ENTRY, OUT_EXIT, OUT_LOST };

typedef struct rframe {
  uint32_t id;
  uint64_t start, children_ns;
  bool visible;   /* the filters keep it */
  bool announced; /* its entry went out (-t holds entries back) */
  bool in_filter; /* an -F function is this or below it */
  bool hidden;    /* an -N function is this or below it */
  uint32_t depth; /* shown depth: visible frames below it */
  uint32_t below; /* visible frames up to and including it */
  uint32_t limit; /* shown depths allowed (-D), from the nearest -F */
  rargs *args;    /* owned until its entry goes out */
} rframe;

typedef struct rout {
  int kind;
  uint32_t id, depth;
  uint64_t time, value; /* duration of an exit, count of a loss */
  rargs *args;          /* an entry's, owned */
  bool returned;        /* an exit's return value is known */
  bool unended;         /* an exit the stream never had: its call was
                           still running when the stream ended */
  uint64_t return_value;
  int string_length;    /* of the string it points to; -1: none read,
                           -2: unreadable */
  char string[STRING_MAX];
} rout;

typedef struct reader {
  FILE *file;
  uint8_t *buffer;
  size_t have, at;
  bool eof;
  uint64_t clock;
  rframe *stack;
  size_t depth, stack_cap;
  rout *queue;
  size_t queue_head, queue_len, queue_cap;
  bool finished; /* the stream's end was reached and frames closed */
  bool finishing; /* a finish trigger's function returned */
  bool closing;   /* past the stream's end: the calls left end */
  bool last_unended; /* the last exit taken was such an end */
  bool tracing;   /* no trace_on trigger, or one was entered */
  /* filters */
  uint8_t *only, *hide, *on, *off, *finish; /* by id, NULL: none */
  size_t only_n, hide_n, on_n, off_n, finish_n;
  uint8_t *conceal; /* -H: the function itself, not what it calls */
  size_t conceal_n;
  uint64_t from, to; /* absolute ns; to == 0: no end */
  uint32_t max_depth; /* 0: no limit */
  uint64_t threshold;
  uint64_t events, lost;
  unsigned floats; /* floating-point values for the next entry */
  uint64_t float_value[ARGS_MAX];
  bool return_known; /* a return value marker came before the exit */
  uint64_t return_value;
  int return_length; /* as rout's string_length */
  char return_string[STRING_MAX];
} reader;

static reader *check_reader(lua_State *L) {
  return luaL_checkudata(L, 1, READER_TYPE);
}

static void reader_close(reader *r) {
  for (size_t i = 0; r->queue != NULL && i < r->queue_len; i++)
    free(r->queue[r->queue_head + i].args);
  for (size_t i = 0; r->stack != NULL && i < r->depth; i++)
    free(r->stack[i].args);
  r->queue_len = r->depth = 0;
  if (r->file != NULL)
    fclose(r->file);
  r->file = NULL;
  free(r->buffer);
  free(r->stack);
  free(r->queue);
  free(r->only);
  free(r->hide);
  free(r->on);
  free(r->off);
  free(r->finish);
  free(r->conceal);
  r->conceal = NULL;
  r->buffer = NULL;
  r->stack = NULL;
  r->queue = NULL;
  r->only = r->hide = r->on = r->off = r->finish = NULL;
}

static int reader_gc(lua_State *L) {
  reader_close(check_reader(L));
  return 0;
}

/* The next byte, or -1 at the end. */
static int next_byte(reader *r) {
  if (r->at == r->have) {
    if (r->eof || r->file == NULL)
      return -1;
    r->have = fread(r->buffer, 1, READ_CHUNK, r->file);
    r->at = 0;
    if (r->have < READ_CHUNK)
      r->eof = true;
    if (r->have == 0)
      return -1;
  }
  return r->buffer[r->at++];
}

static bool next_number(reader *r, uint64_t *out) {
  uint64_t value = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    int byte = next_byte(r);
    if (byte < 0)
      return false;
    value |= (uint64_t)(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *out = value;
      return true;
    }
  }
  return false;
}

static bool in_set(const uint8_t *set, size_t n, uint32_t id) {
  return set != NULL && id < n && set[id];
}

static void emit(lua_State *L, reader *r, rout out) {
  if (r->queue_head + r->queue_len == r->queue_cap) {
    if (r->queue_head > 0) {
      memmove(r->queue, r->queue + r->queue_head,
              r->queue_len * sizeof *r->queue);
      r->queue_head = 0;
    } else {
      size_t cap = r->queue_cap ? 2 * r->queue_cap : 64;
      rout *grown = realloc(r->queue, cap * sizeof *grown);
      if (grown == NULL)
        luaL_error(L, "snare.recording: out of memory");
      r->queue = grown;
      r->queue_cap = cap;
    }
  }
  r->queue[r->queue_head + r->queue_len++] = out;
}

/* A frame's entry goes out, with its values. */
static void emit_entry(lua_State *L, reader *r, rframe *f) {
  emit(L, r, (rout){.kind = OUT_ENTRY, .id = f->id, .depth = f->depth,
                    .time = f->start, .args = f->args});
  f->args = NULL;
  f->announced = true;
}

/* -t holds a visible frame's entry back until it is known to last long
   enough: a descendant that does, or its own exit. */
static void announce_pending(lua_State *L, reader *r) {
  for (size_t i = 0; i < r->depth; i++) {
    rframe *f = &r->stack[i];
    if (f->visible && !f->announced)
      emit_entry(L, r, f);
  }
}

static void push_frame(lua_State *L, reader *r, uint32_t id, uint64_t time,
                       rargs *args) {
  if (r->depth == r->stack_cap) {
    size_t cap = r->stack_cap ? 2 * r->stack_cap : 64;
    rframe *grown = realloc(r->stack, cap * sizeof *grown);
    if (grown == NULL) {
      free(args);
      luaL_error(L, "snare.recording: out of memory");
    }
    r->stack = grown;
    r->stack_cap = cap;
  }
  const rframe *parent = r->depth > 0 ? &r->stack[r->depth - 1] : NULL;
  rframe f = {.id = id, .start = time, .args = args};
  bool filtered = in_set(r->only, r->only_n, id);
  f.in_filter = r->only == NULL || filtered || (parent && parent->in_filter);
  f.hidden = in_set(r->hide, r->hide_n, id) || (parent && parent->hidden);
  f.depth = parent ? parent->below : 0;
  if (filtered || parent == NULL)
    f.limit = r->max_depth ? f.depth + r->max_depth : UINT32_MAX;
  else
    f.limit = parent->limit;
  if (filtered && parent && parent->in_filter && parent->limit > f.limit)
    f.limit = parent->limit;
  if (in_set(r->on, r->on_n, id))
    r->tracing = true;
  if (in_set(r->off, r->off_n, id))
    r->tracing = false;
  /* A -H function is not shown and takes no depth: its callees show at
     its depth, and -D counts as if it were not there (uftrace's). */
  f.visible = f.in_filter && !f.hidden && f.depth < f.limit && r->tracing &&
              time >= r->from && (r->to == 0 || time <= r->to) &&
              !in_set(r->conceal, r->conceal_n, id);
  f.below = f.depth + (f.visible ? 1 : 0);
  if (!f.visible) {
    free(f.args);
    f.args = NULL;
  }
  r->stack[r->depth++] = f;
  if (f.visible && r->threshold == 0)
    emit_entry(L, r, &r->stack[r->depth - 1]);
}

/* Ends the top frame at `time`; `returned`: it returned return_value. */
static void pop_frame(lua_State *L, reader *r, uint64_t time, bool returned,
                      uint64_t return_value) {
  rframe f = r->stack[--r->depth];
  uint64_t duration = time > f.start ? time - f.start : 0;
  if (r->depth > 0)
    r->stack[r->depth - 1].children_ns += duration;
  if (!f.visible || (!f.announced && duration < r->threshold)) {
    free(f.args);
    return;
  }
  if (!f.announced) {
    announce_pending(L, r); /* its ancestors go out first */
    emit_entry(L, r, &f);
  }
  rout out = {.kind = OUT_EXIT, .id = f.id, .depth = f.depth, .time = time,
              .value = duration, .returned = returned, .unended = r->closing,
              .return_value = return_value, .string_length = -1};
  if (returned && r->return_length != -1) {
    out.string_length = r->return_length;
    if (out.string_length > 0)
      memcpy(out.string, r->return_string, (size_t)out.string_length);
  }
  emit(L, r, out);
}

/* Ends the frames above the innermost one of `id`; false if none is. */
static bool unwind_to(lua_State *L, reader *r, uint32_t id) {
  size_t at = r->depth;
  while (at > 0 && r->stack[at - 1].id != id)
    at--;
  if (at == 0)
    return false;
  while (r->depth > at)
    pop_frame(L, r, r->clock, false, 0);
  return true;
}

/* An entry's values: count, registers, then strings; NULL at a broken
   end of the stream. */
static rargs *read_values(lua_State *L, reader *r) {
  uint64_t count, strings;
  if (!next_number(r, &count) || count > ARGS_MAX)
    return NULL;
  rargs *args = calloc(1, sizeof *args);
  if (args == NULL)
    luaL_error(L, "snare.recording: out of memory");
  args->count = (unsigned)count;
  for (unsigned i = 0; i < ARGS_MAX; i++)
    args->string_length[i] = -1;
  bool ok = true;
  for (unsigned i = 0; ok && i < count; i++)
    ok = next_number(r, &args->value[i]);
  ok = ok && next_number(r, &strings) && strings <= ARGS_MAX;
  for (uint64_t k = 0; ok && k < strings; k++) {
    int index = next_byte(r), length = next_byte(r);
    ok = index >= 0 && index < ARGS_MAX && length >= 0 &&
         length <= STRING_MAX + 1;
    if (!ok)
      break;
    args->string_length[index] = length - 1;
    if (length == 0)
      args->string_length[index] = -2;
    for (int j = 0; ok && j < length - 1; j++) {
      int byte = next_byte(r);
      ok = byte >= 0;
      args->string[index][j] = (char)byte;
    }
  }
  if (!ok) {
    free(args);
    return NULL;
  }
  return args;
}

/* Decodes one event of the stream; false at its end. */
static bool step(lua_State *L, reader *r) {
  uint64_t v;
  if (!next_number(r, &v))
    return false;
  uint64_t kind = v & 3, rest = v >> 2, id;
  if (kind == KIND_MARKER && rest == MARK_RETURN_STRING) {
    int length = next_byte(r);
    if (length < 0 || length > STRING_MAX + 1)
      return false;
    r->return_length = length == 0 ? -2 : length - 1;
    for (int j = 0; j < length - 1; j++) {
      int byte = next_byte(r);
      if (byte < 0)
        return false;
      r->return_string[j] = (char)byte;
    }
    return true;
  }
  if (kind == KIND_MARKER && rest == MARK_FLOATS) {
    uint64_t count;
    if (!next_number(r, &count) || count > ARGS_MAX)
      return false;
    r->floats = (unsigned)count;
    for (unsigned i = 0; i < r->floats; i++)
      if (!next_number(r, &r->float_value[i]))
        return false;
    return true;
  }
  if (kind == KIND_MARKER) {
    uint64_t operand;
    if (!next_number(r, &operand))
      return false;
    if (rest == MARK_TIME) {
      r->clock = operand;
    } else if (rest == MARK_LOST) {
      r->lost += operand;
      emit(L, r, (rout){.kind = OUT_LOST, .time = r->clock, .value = operand});
    } else if (rest == MARK_RETURN) {
      r->return_known = true;
      r->return_value = operand;
      r->return_length = -1;
    }
    return true;
  }
  if (!next_number(r, &id))
    return false;
  r->clock += rest;
  r->events++;
  if (kind == KIND_ENTRY || kind == KIND_ENTRY_VALUES) {
    rargs *args = NULL;
    if (kind == KIND_ENTRY_VALUES && (args = read_values(L, r)) == NULL)
      return false;
    if (args != NULL) {
      args->float_count = r->floats;
      memcpy(args->float_value, r->float_value, sizeof args->float_value);
    }
    r->floats = 0;
    push_frame(L, r, (uint32_t)id, r->clock, args);
    return true;
  }
  bool returned = r->return_known;
  r->return_known = false;
  if (unwind_to(L, r, (uint32_t)id)) {
    pop_frame(L, r, r->clock, returned, r->return_value);
    if (in_set(r->finish, r->finish_n, (uint32_t)id))
      r->finishing = true;
  }
  return !r->finishing;
}

/* Fills the queue; false when the stream has nothing more. */
static bool fill(lua_State *L, reader *r) {
  while (r->queue_len == 0) {
    if (r->finished)
      return false;
    if (!step(L, r)) {
      r->closing = true;
      while (r->depth > 0)
        pop_frame(L, r, r->clock, false, 0);
      r->finished = true;
    }
  }
  return true;
}

/* {n = count, value1, ..., strings = {[i] = string or false}}. */
static void push_args(lua_State *L, const rargs *args) {
  lua_createtable(L, (int)args->count, 2);
  for (unsigned i = 0; i < args->count; i++) {
    lua_pushinteger(L, (lua_Integer)args->value[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_pushinteger(L, args->count);
  lua_setfield(L, -2, "n");
  lua_newtable(L);
  for (unsigned i = 0; i < args->count; i++) {
    if (args->string_length[i] == -1)
      continue;
    if (args->string_length[i] == -2)
      lua_pushboolean(L, false);
    else
      lua_pushlstring(L, args->string[i], (size_t)args->string_length[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, -2, "strings");
  lua_createtable(L, (int)args->float_count, 0);
  for (unsigned i = 0; i < args->float_count; i++) {
    lua_pushinteger(L, (lua_Integer)args->float_value[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, -2, "floats");
}

static rout take(reader *r) {
  rout out = r->queue[r->queue_head++];
  if (--r->queue_len == 0)
    r->queue_head = 0;
  r->last_unended = out.unended;
  return out;
}

/* reader:unended() -> true if the last event next() gave was the end of
   a call still running when the stream ended (the process exited inside
   it, or the recording stopped: uftrace shows such calls open). */
static int reader_unended(lua_State *L) {
  lua_pushboolean(L, check_reader(L)->last_unended);
  return 1;
}

static int reader_next(lua_State *L) {
  reader *r = check_reader(L);
  if (!fill(L, r))
    return 0;
  rout out = take(r);
  static const char *const kinds[] = {"entry", "exit", "lost"};
  lua_pushstring(L, kinds[out.kind]);
  lua_pushinteger(L, out.id);
  lua_pushinteger(L, out.depth);
  lua_pushinteger(L, (lua_Integer)out.time);
  if (out.kind == OUT_ENTRY) {
    if (out.args == NULL)
      return 4;
    push_args(L, out.args); /* may raise: */
    free(out.args);          /* lost then, never freed twice */
    return 5;
  }
  lua_pushinteger(L, (lua_Integer)out.value);
  if (!out.returned)
    return 5;
  lua_pushinteger(L, (lua_Integer)out.return_value);
  if (out.string_length == -1)
    return 6;
  if (out.string_length == -2)
    lua_pushboolean(L, false);
  else
    lua_pushlstring(L, out.string, (size_t)out.string_length);
  return 7;
}

typedef struct tally {
  uint64_t calls, total, self, min, max, sum;
  uint32_t active; /* frames of it open: only the outermost adds total */
} tally;

static tally *tally_of(lua_State *L, tally **all, size_t *n, uint32_t id) {
  if (id >= *n) {
    size_t cap = *n ? *n : 64;
    while (cap <= id)
      cap *= 2;
    tally *grown = realloc(*all, cap * sizeof *grown);
    if (grown == NULL)
      luaL_error(L, "snare.recording: out of memory");
    memset(grown + *n, 0, (cap - *n) * sizeof *grown);
    *all = grown;
    *n = cap;
  }
  return &(*all)[id];
}

/* Self time needs the frame's children, which the queue does not carry:
   the profile keeps a stack of its own of what went out. */
static int reader_profile(lua_State *L) {
  reader *r = check_reader(L);
  tally *all = NULL;
  size_t n = 0;
  struct open {
    uint32_t id;
    uint64_t children;
  } *open = NULL;
  size_t depth = 0, cap = 0;
  while (fill(L, r)) {
    rout out = take(r);
    free(out.args);
    if (out.kind == OUT_LOST)
      continue;
    tally *t = tally_of(L, &all, &n, out.id);
    if (out.kind == OUT_ENTRY) {
      if (depth == cap) {
        cap = cap ? 2 * cap : 64;
        void *grown = realloc(open, cap * sizeof *open);
        if (grown == NULL) {
          free(open);
          free(all);
          return luaL_error(L, "snare.recording: out of memory");
        }
        open = grown;
      }
      open[depth++] = (struct open){out.id, 0};
      t->calls++;
      t->active++;
      continue;
    }
    uint64_t children = depth > 0 ? open[--depth].children : 0;
    if (depth > 0)
      open[depth - 1].children += out.value;
    t->active--;
    if (t->active == 0)
      t->total += out.value;
    t->self += out.value > children ? out.value - children : 0;
    t->sum += out.value;
    if (t->min == 0 || out.value < t->min)
      t->min = out.value;
    if (out.value > t->max)
      t->max = out.value;
  }
  free(open);
  lua_newtable(L);
  for (size_t id = 0; id < n; id++) {
    if (all[id].calls == 0)
      continue;
    lua_createtable(L, 0, 6);
    lua_pushinteger(L, (lua_Integer)all[id].sum);
    lua_setfield(L, -2, "sum_ns");
    lua_pushinteger(L, (lua_Integer)all[id].calls);
    lua_setfield(L, -2, "calls");
    lua_pushinteger(L, (lua_Integer)all[id].total);
    lua_setfield(L, -2, "total_ns");
    lua_pushinteger(L, (lua_Integer)all[id].self);
    lua_setfield(L, -2, "self_ns");
    lua_pushinteger(L, (lua_Integer)all[id].min);
    lua_setfield(L, -2, "min_ns");
    lua_pushinteger(L, (lua_Integer)all[id].max);
    lua_setfield(L, -2, "max_ns");
    lua_rawseti(L, -2, (lua_Integer)id);
  }
  free(all);
  lua_pushinteger(L, (lua_Integer)r->events);
  lua_pushinteger(L, (lua_Integer)r->lost);
  return 3;
}

/* A set {[id] = true} of opts[field] as a byte per id. */
static uint8_t *id_set(lua_State *L, int opts, const char *field, size_t *n) {
  *n = 0;
  if (lua_getfield(L, opts, field) != LUA_TTABLE) {
    lua_pop(L, 1);
    return NULL;
  }
  lua_Integer most = 0;
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_Integer id = lua_tointeger(L, -2);
    if (id > most)
      most = id;
    lua_pop(L, 1);
  }
  uint8_t *set = calloc((size_t)most + 1, 1);
  if (set == NULL)
    luaL_error(L, "snare.recording: out of memory");
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_Integer id = lua_tointeger(L, -2);
    if (id >= 0 && lua_toboolean(L, -1))
      set[id] = 1;
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  *n = (size_t)most + 1;
  return set;
}

static const uint8_t magic[8] = {'S', 'N', 'R', 'E', 'C', '1', '\n', 0};

static int core_recording_open(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  if (!lua_isnoneornil(L, 2))
    luaL_checktype(L, 2, LUA_TTABLE);
  lua_settop(L, 2);
  reader *r = lua_newuserdatauv(L, sizeof *r, 0);
  memset(r, 0, sizeof *r);
  luaL_setmetatable(L, READER_TYPE);
  r->buffer = malloc(READ_CHUNK);
  if (r->buffer == NULL)
    return luaL_error(L, "snare.recording: out of memory");
  if (lua_istable(L, 2)) {
    r->only = id_set(L, 2, "only", &r->only_n);
    r->hide = id_set(L, 2, "hide", &r->hide_n);
    r->on = id_set(L, 2, "on", &r->on_n);
    r->off = id_set(L, 2, "off", &r->off_n);
    r->finish = id_set(L, 2, "finish", &r->finish_n);
    r->conceal = id_set(L, 2, "conceal", &r->conceal_n);
    lua_getfield(L, 2, "from");
    r->from = (uint64_t)luaL_optinteger(L, -1, 0);
    lua_getfield(L, 2, "to");
    r->to = (uint64_t)luaL_optinteger(L, -1, 0);
    lua_pop(L, 2);
    lua_getfield(L, 2, "depth");
    r->max_depth = (uint32_t)luaL_optinteger(L, -1, 0);
    lua_getfield(L, 2, "threshold");
    r->threshold = (uint64_t)luaL_optinteger(L, -1, 0);
    lua_pop(L, 2);
  }
  r->tracing = r->on == NULL;
  r->file = fopen(path, "rb");
  if (r->file == NULL) {
    lua_pushnil(L);
    lua_pushfstring(L, "cannot open %s: %s", path, strerror(errno));
    return 2;
  }
  uint8_t head[sizeof magic];
  if (fread(head, 1, sizeof head, r->file) != sizeof head ||
      memcmp(head, magic, sizeof magic) != 0) {
    reader_close(r);
    lua_pushnil(L);
    lua_pushfstring(L, "%s is not a snare recording stream", path);
    return 2;
  }
  return 1;
}

void snare_lua_open_recording(lua_State *L) {
  static const luaL_Reg methods[] = {
      {"next", reader_next}, {"profile", reader_profile},
      {"unended", reader_unended}, {NULL, NULL}};
  if (luaL_newmetatable(L, READER_TYPE)) {
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, reader_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);
  lua_pushcfunction(L, core_recording_open);
  lua_setfield(L, -2, "recording_open");
}
