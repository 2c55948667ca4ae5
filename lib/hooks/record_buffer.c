/*
 * record_buffer.c - per-thread recording streams: the byte rings that
 * recording hooks append their entries and exits to (snare.h describes
 * the encoding) and a writer thread drains to disk. One producer (the
 * thread) and one consumer (the writer) per ring, so publishing a write
 * is one release store of `head` and freeing room one of `tail`: no
 * lock on the hot path. Streams are pushed onto a lock-free list, never
 * unlinked, so the writer may walk it while threads start. Runs between
 * a hooked function and its caller: no vector code (general_regs_only.h).
 */
#include "internal/general_regs_only.h"

#include "hooks/hooks.h"
#include "hooks/record_held.h"
#include "internal/arch.h"
#include "internal/os.h"

#define DEFAULT_RING_BYTES (1u << 20)
/* The longest plain event: a LEB128 of 64 bits (10 bytes) and a hook id. */
#define EVENT_MAX 16
#define STRING_MAX 64
#define ARGS_MAX 8 /* six registers, then two words of the stack */
/* Markers before it, the event, its values and strings, its
   floating-point values. */
#define RECORD_MAX \
  (3 * EVENT_MAX + 2 + ARGS_MAX * (10 + 2 + STRING_MAX) + 2 + ARGS_MAX * 10)

/* The hooks' shadow stack is at most this deep (hook_dispatch.c), so
   is the record-time filters' stack of a stream. */
#define FILTER_FRAMES 1024
#define NO_LIMIT UINT16_MAX

enum { KIND_ENTRY, KIND_EXIT, KIND_MARKER, KIND_ENTRY_VALUES };

/* A call of a stream, as the record-time filters see it; the rules are
   uftrace's, as the readers apply them too (bindings/recording_lua.c). */
typedef struct filter_frame {
  uint16_t below;  /* calls passed up to and including this one */
  uint16_t limit;  /* depths allowed below the nearest -F */
  bool passed;     /* by -F, -N and -D: recorded while recording is on */
  bool in_filter;  /* it or a caller is a SNARE_RECORD_ONLY function */
  bool hidden;     /* it or a caller is a SNARE_RECORD_HIDE function */
} filter_frame;
enum { MARK_TIME, MARK_LOST, MARK_RETURN, MARK_RETURN_STRING, MARK_FLOATS };

struct snare_record_stream {
  _Alignas(64) _Atomic uint64_t head; /* the thread's: bytes written */
  uint64_t last_ns;                   /* time of the thread's last event */
  bool resync;                        /* the next event carries its time */
  uint64_t untold;                    /* lost since the last event */
  _Atomic uint64_t lost;              /* lost in all */
  _Atomic uint64_t waits;
  _Alignas(64) _Atomic uint64_t tail; /* the writer's: bytes consumed */
  _Atomic bool ended;
  int pid, tid;
  char name[16];
  size_t size;                /* a power of two */
  uint8_t *_Atomic ring;      /* NULL once released */
  snare_record_stream *next;  /* older streams */
  unsigned frames;            /* with filters: calls open on the thread */
  filter_frame frame[FILTER_FRAMES];
  snare_record_held *held;    /* with a time filter: entries held back */
};

#define RECORD_TLS _Thread_local __attribute__((tls_model("initial-exec")))
static RECORD_TLS snare_record_stream *mine;
/* What the thread's last entry or exit decided, for its callback
   (snare_record_decided); depth 0 without filters: the hooks' own. */
static RECORD_TLS struct {
  bool recorded;
  unsigned depth; /* 1 + the depth, with filters */
} decided;
static _Atomic(snare_record_stream *) streams;
static _Atomic bool recording;
static bool lossless;
static size_t ring_bytes = DEFAULT_RING_BYTES;
static snare_record_config filters;
/* Off: between a trace_off trigger and a trace_on; finished: after a
   finish trigger. For every thread, as uftrace's. */
static _Atomic bool paused, finished;

snare_status snare_record_begin(const snare_record_config *config) {
  size_t size = config != NULL && config->buffer_bytes != 0
                    ? config->buffer_bytes
                    : DEFAULT_RING_BYTES;
  if ((size & (size - 1)) != 0 || size < 4096)
    return SNARE_INVALID_ARGUMENT;
  ring_bytes = size;
  lossless = config != NULL && config->lossless;
  filters = config != NULL ? *config : (snare_record_config){0};
  snare_os_cycle_clock_start();
  atomic_store(&paused, filters.disabled);
  atomic_store(&finished, false);
  atomic_store(&recording, true);
  return SNARE_OK;
}

void snare_record_end(void) { atomic_store(&recording, false); }

/* Runs through snare_arch_call_saving_state: mmap is library code. */
static void allocate_stream(void *unused) {
  (void)unused;
  snare_record_stream *stream = snare_os_pages_alloc(sizeof *stream);
  if (stream == NULL)
    return;
  uint8_t *ring = snare_os_pages_alloc(ring_bytes);
  if (ring == NULL) {
    snare_os_pages_free(stream, sizeof *stream);
    return;
  }
  stream->size = ring_bytes;
  atomic_store(&stream->ring, ring);
  stream->pid = snare_os_process_id();
  stream->tid = snare_os_thread_tid();
  snare_os_thread_name(stream->name);
  stream->resync = true;
  snare_record_stream *head = atomic_load(&streams);
  do
    stream->next = head;
  while (!atomic_compare_exchange_weak(&streams, &head, stream));
  mine = stream;
}

/* Room for `n` more bytes, waited for in lossless mode while the writer
   runs; false when the event must be dropped. */
static bool room_for(snare_record_stream *stream, size_t n) {
  uint64_t head = atomic_load_explicit(&stream->head, memory_order_relaxed);
  bool waited = false;
  for (;;) {
    uint64_t tail = atomic_load_explicit(&stream->tail, memory_order_acquire);
    if (head + n - tail <= stream->size)
      return true;
    if (!lossless || !atomic_load_explicit(&recording, memory_order_relaxed))
      return false;
    if (!waited)
      atomic_fetch_add_explicit(&stream->waits, 1, memory_order_relaxed);
    waited = true;
    snare_os_pause_briefly();
  }
}

static size_t put_number(uint8_t *out, uint64_t value) {
  size_t n = 0;
  while (value >= 0x80) {
    out[n++] = (uint8_t)(value | 0x80);
    value >>= 7;
  }
  out[n++] = (uint8_t)value;
  return n;
}

static void publish(snare_record_stream *stream, const uint8_t *bytes,
                    size_t n) {
  uint64_t head = atomic_load_explicit(&stream->head, memory_order_relaxed);
  uint8_t *ring = atomic_load_explicit(&stream->ring, memory_order_relaxed);
  size_t mask = stream->size - 1;
  for (size_t i = 0; i < n; i++)
    ring[(head + i) & mask] = bytes[i];
  atomic_store_explicit(&stream->head, head + n, memory_order_release);
}

/* A string argument, read through snare_arch_call_saving_state (the
   guarded read is library code): up to the end of its page first, so
   that a short string before an unmapped page reads. */
typedef struct string_read {
  uint64_t address;
  uint8_t bytes[STRING_MAX];
  size_t length;
  bool readable;
} string_read;

static void read_string(void *arg) {
  string_read *read = arg;
  uint64_t page = 4096;
  size_t first = (size_t)(page - (read->address & (page - 1)));
  size_t want = first < STRING_MAX ? first : STRING_MAX;
  read->length = 0;
  read->readable = snare_os_memory_read(read->address, read->bytes, want);
  if (!read->readable)
    return;
  size_t n = 0;
  while (n < want && read->bytes[n] != 0)
    n++;
  if (n == want && want < STRING_MAX &&
      snare_os_memory_read(read->address + want, read->bytes + want,
                           STRING_MAX - want))
    while (n < STRING_MAX && read->bytes[n] != 0)
      n++;
  read->length = n;
}

/* The stream of the calling thread, made at its first event; NULL when
   not recording or out of memory. */
static snare_record_stream *stream_here(void) {
  if (!atomic_load_explicit(&recording, memory_order_relaxed))
    return NULL;
  if (mine == NULL)
    snare_arch_call_saving_state(allocate_stream, NULL);
  return mine;
}

/* What every event starts with: the losses and the absolute time after
   a resync, then V = delta << 2 | kind. */
static size_t put_head(snare_record_stream *stream, uint8_t *out,
                       uint64_t now, unsigned kind) {
  size_t n = 0;
  if (stream->resync) {
    if (stream->untold > 0) {
      n += put_number(out + n, (uint64_t)MARK_LOST << 2 | KIND_MARKER);
      n += put_number(out + n, stream->untold);
    }
    n += put_number(out + n, (uint64_t)MARK_TIME << 2 | KIND_MARKER);
    n += put_number(out + n, now);
    stream->last_ns = now;
  }
  uint64_t delta = now > stream->last_ns ? now - stream->last_ns : 0;
  n += put_number(out + n, delta << 2 | kind);
  return n;
}

/* Publishes an event of n bytes at `now`, or counts it lost. */
static void commit(snare_record_stream *stream, const uint8_t *event,
                   size_t n, uint64_t now) {
  if (!room_for(stream, n)) {
    atomic_fetch_add_explicit(&stream->lost, 1, memory_order_relaxed);
    stream->untold++;
    stream->resync = true;
    return;
  }
  stream->untold = 0;
  stream->resync = false;
  stream->last_ns = now;
  publish(stream, event, n);
}

static void allocate_held(void *arg) {
  snare_record_stream *stream = arg;
  stream->held = snare_record_held_new();
}

/* Where the time filter holds the stream's entries back; NULL without
   one (or memory for it: its entries are then written at once). */
static snare_record_held *held_of(snare_record_stream *stream) {
  if (filters.min_duration_ns == 0)
    return NULL;
  if (stream->held == NULL)
    snare_arch_call_saving_state(allocate_held, stream);
  return stream->held;
}

/* Writes an entry the time filter held back (record_held.h). */
static void write_held(void *data, const uint8_t *before, size_t before_n,
                       unsigned kind, uint64_t time, const uint8_t *after,
                       size_t after_n) {
  snare_record_stream *stream = data;
  uint8_t event[RECORD_MAX];
  size_t n = 0;
  for (size_t i = 0; i < before_n; i++)
    event[n++] = before[i];
  n += put_head(stream, event + n, time, kind);
  for (size_t i = 0; i < after_n; i++)
    event[n++] = after[i];
  commit(stream, event, n, time);
}

/* Applies the filters to an entry of hook: whether it is recorded, and
   whether its frame was kept (else its exit needs nothing). */
static bool filter_entry(snare_record_stream *stream,
                         const snare_hook_record *hook, bool may_skip_exit,
                         bool *kept) {
  unsigned flags = hook->options.record_filter;
  if (flags & SNARE_RECORD_TRACE_ON)
    atomic_store_explicit(&paused, false, memory_order_relaxed);
  if (flags & SNARE_RECORD_TRACE_OFF)
    atomic_store_explicit(&paused, true, memory_order_relaxed);
  const filter_frame *parent =
      stream->frames > 0 && stream->frames <= FILTER_FRAMES
          ? &stream->frame[stream->frames - 1]
          : NULL;
  bool only = (flags & SNARE_RECORD_ONLY) != 0;
  filter_frame f = {
      .in_filter = !filters.only || only || (parent && parent->in_filter),
      .hidden = (flags & SNARE_RECORD_HIDE) || (parent && parent->hidden),
  };
  unsigned depth = parent ? parent->below : 0;
  unsigned limit = filters.max_depth ? depth + filters.max_depth : NO_LIMIT;
  if (!only && parent)
    limit = parent->limit;
  else if (only && parent && parent->in_filter && parent->limit > limit)
    limit = parent->limit;
  f.limit = (uint16_t)(limit < NO_LIMIT ? limit : NO_LIMIT);
  /* A paused recording still counts depths (uftrace's does). */
  f.passed = f.in_filter && !f.hidden && depth < f.limit &&
             !(flags & SNARE_RECORD_CONCEAL);
  f.below = (uint16_t)(depth + (f.passed ? 1 : 0));
  bool recorded = f.passed &&
                  !atomic_load_explicit(&paused, memory_order_relaxed) &&
                  !atomic_load_explicit(&finished, memory_order_relaxed);
  if (flags & SNARE_RECORD_FINISH)
    atomic_store_explicit(&finished, true, memory_order_relaxed);
  /* A call the filters do not pass, that sets no filter state of its
     callees, is as if it were not there for them. */
  *kept = !may_skip_exit || f.passed ||
          (flags & (SNARE_RECORD_ONLY | SNARE_RECORD_HIDE)) != 0;
  if (*kept) {
    if (stream->frames < FILTER_FRAMES)
      stream->frame[stream->frames] = f;
    stream->frames++;
  }
  return recorded;
}

/* Pops the frame of an exit; whether the exit is recorded. */
static bool filter_exit(snare_record_stream *stream) {
  if (stream->frames == 0)
    return false; /* entered before the recording began */
  unsigned at = --stream->frames;
  decided.depth = at < FILTER_FRAMES ? stream->frame[at].below : 0;
  return at < FILTER_FRAMES && stream->frame[at].passed &&
         !atomic_load_explicit(&paused, memory_order_relaxed) &&
         !atomic_load_explicit(&finished, memory_order_relaxed);
}

/* The first n floating-point arguments: from the trap's context, or the
   live registers. */
static void float_args(const void *context, uint64_t out[ARGS_MAX],
                       unsigned n) {
  if (context == NULL) {
    snare_arch_float_args_live(out);
    return;
  }
  for (unsigned i = 0; i < n; i++) {
    uint8_t vector[16] = {0};
    snare_arch_vector_get(context, i, vector);
    out[i] = 0;
    for (unsigned b = 0; b < 8; b++)
      out[i] |= (uint64_t)vector[b] << (8 * b);
  }
}

bool snare_record_entry(const snare_hook_record *hook, const uint64_t *args,
                        const uint64_t *slot, const void *context,
                        bool may_skip_exit) {
  snare_record_stream *stream = stream_here();
  decided.recorded = false;
  if (stream == NULL)
    return true;
  bool kept = true;
  if (filters.filters && !filter_entry(stream, hook, may_skip_exit, &kept))
    return kept;
  decided.recorded = true;
  decided.depth = filters.filters && stream->frames <= FILTER_FRAMES
                      ? stream->frame[stream->frames - 1].below
                      : 0;
  uint64_t now = snare_os_cycle_now_ns();
  unsigned count = args == NULL ? 0 : hook->options.record_args;
  if (count > ARGS_MAX)
    count = ARGS_MAX;
  unsigned floats = hook->options.record_float_args;
  if (floats > ARGS_MAX)
    floats = ARGS_MAX;
  uint8_t event[RECORD_MAX];
  size_t n = 0;
  if (floats > 0) {
    uint64_t values[ARGS_MAX];
    float_args(context, values, floats);
    n += put_number(event + n, (uint64_t)MARK_FLOATS << 2 | KIND_MARKER);
    n += put_number(event + n, floats);
    for (unsigned i = 0; i < floats; i++)
      n += put_number(event + n, values[i]);
  }
  unsigned kind = count > 0 || floats > 0 ? KIND_ENTRY_VALUES : KIND_ENTRY;
  /* A held entry gets its head when it is written. */
  size_t before_n = n;
  snare_record_held *held = held_of(stream);
  if (held == NULL)
    n += put_head(stream, event + n, now, kind);
  size_t after = n;
  n += put_number(event + n, (uint64_t)(unsigned)hook->id);
  if (count > 0 || floats > 0) {
    n += put_number(event + n, count);
    unsigned strings = 0;
    for (unsigned i = 0; i < count; i++) {
      /* The seventh argument on is the caller's, above the return
         address. */
      uint64_t value = i < 6 ? args[i] : slot != NULL ? slot[i - 5] : 0;
      n += put_number(event + n, value);
      strings += (hook->options.record_strings >> i) & 1;
    }
    n += put_number(event + n, strings);
    for (unsigned i = 0; i < count; i++) {
      if (((hook->options.record_strings >> i) & 1) == 0)
        continue;
      string_read read = {
          .address = i < 6 ? args[i] : slot != NULL ? slot[i - 5] : 0};
      if (read.address != 0)
        snare_arch_call_saving_state(read_string, &read);
      event[n++] = (uint8_t)i;
      event[n++] = (uint8_t)(read.readable ? read.length + 1 : 0);
      for (size_t k = 0; read.readable && k < read.length; k++)
        event[n++] = read.bytes[k];
    }
  }
  if (held != NULL)
    snare_record_held_enter(held, event, before_n, kind, now, event + after,
                            n - after, write_held, stream);
  else
    commit(stream, event, n, now);
  return kept;
}

void snare_record_exit(const snare_hook_record *hook, bool returned,
                       uint64_t value) {
  snare_record_stream *stream = stream_here();
  decided.recorded = false;
  decided.depth = 0;
  if (stream == NULL || (filters.filters && !filter_exit(stream)))
    return;
  decided.recorded = true;
  uint64_t now = snare_os_cycle_now_ns();
  snare_record_held *held = held_of(stream);
  if (held != NULL && !snare_record_held_exit(held, now,
                                              filters.min_duration_ns,
                                              write_held, stream))
    return;
  uint8_t event[RECORD_MAX];
  size_t n = 0;
  if (returned && hook->options.record_return) {
    /* A return is caught by the exit stub: xmm0 is the function's. */
    if (hook->options.record_return_float)
      value = snare_arch_float_return_live();
    n += put_number(event + n, (uint64_t)MARK_RETURN << 2 | KIND_MARKER);
    n += put_number(event + n, value);
    if (hook->options.record_return_string) {
      string_read read = {.address = value};
      if (value != 0)
        snare_arch_call_saving_state(read_string, &read);
      n += put_number(event + n,
                      (uint64_t)MARK_RETURN_STRING << 2 | KIND_MARKER);
      event[n++] = (uint8_t)(read.readable ? read.length + 1 : 0);
      for (size_t k = 0; read.readable && k < read.length; k++)
        event[n++] = read.bytes[k];
    }
  }
  n += put_head(stream, event + n, now, KIND_EXIT);
  n += put_number(event + n, (uint64_t)(unsigned)hook->id);
  commit(stream, event, n, now);
}

bool snare_record_decided(unsigned depth, unsigned *record_depth) {
  *record_depth = decided.depth > 0 ? decided.depth - 1 : depth;
  return decided.recorded;
}

void snare_record_thread_ended(void) {
  snare_record_stream *stream = mine;
  if (stream == NULL)
    return;
  snare_os_thread_name(stream->name);
  mine = NULL;
  atomic_store_explicit(&stream->ended, true, memory_order_release);
}

snare_record_stream *snare_record_stream_next(snare_record_stream *after) {
  return after == NULL ? atomic_load(&streams) : after->next;
}

void snare_record_stream_info_get(snare_record_stream *stream,
                                  snare_record_stream_info *out) {
  out->pid = stream->pid;
  out->tid = stream->tid;
  for (size_t i = 0; i < sizeof out->name; i++)
    out->name[i] = stream->name[i];
  out->lost = atomic_load(&stream->lost);
  out->waits = atomic_load(&stream->waits);
  out->ended = atomic_load_explicit(&stream->ended, memory_order_acquire);
}

size_t snare_record_stream_peek(snare_record_stream *stream,
                                const uint8_t **first, size_t *first_size,
                                const uint8_t **second, size_t *second_size) {
  uint8_t *ring = atomic_load(&stream->ring);
  uint64_t tail = atomic_load_explicit(&stream->tail, memory_order_relaxed);
  uint64_t head = ring != NULL ? atomic_load_explicit(&stream->head,
                                                      memory_order_acquire)
                               : tail;
  size_t total = (size_t)(head - tail);
  size_t at = (size_t)(tail & (stream->size - 1));
  size_t run = stream->size - at < total ? stream->size - at : total;
  *first = ring + at;
  *first_size = run;
  *second = ring;
  *second_size = total - run;
  return total;
}

void snare_record_stream_consume(snare_record_stream *stream, size_t size) {
  atomic_fetch_add_explicit(&stream->tail, size, memory_order_release);
}

void snare_record_stream_release(snare_record_stream *stream) {
  uint8_t *ring = atomic_exchange(&stream->ring, NULL);
  if (ring != NULL) {
    snare_os_pages_free(ring, stream->size);
    snare_record_held_free(stream->held);
  }
}

void snare_record_forked_child(void) {
  for (snare_record_stream *s = atomic_load(&streams); s != NULL;
       s = s->next) {
    atomic_store(&s->tail, atomic_load(&s->head));
    if (s == mine) {
      s->pid = snare_os_process_id();
      s->tid = snare_os_thread_tid();
      s->resync = true;
      s->untold = 0;
      atomic_store(&s->lost, 0);
      atomic_store(&s->waits, 0);
    } else {
      atomic_store(&s->ended, true);
    }
  }
}
