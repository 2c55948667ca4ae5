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
#include "internal/arch.h"
#include "internal/os.h"

#define DEFAULT_RING_BYTES (1u << 20)
/* The longest event: a LEB128 of 64 bits (10 bytes) and a hook id. */
#define EVENT_MAX 16

enum { KIND_ENTRY, KIND_EXIT, KIND_MARKER };
enum { MARK_TIME, MARK_LOST };

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
};

#define RECORD_TLS _Thread_local __attribute__((tls_model("initial-exec")))
static RECORD_TLS snare_record_stream *mine;
static _Atomic(snare_record_stream *) streams;
static _Atomic bool recording;
static bool lossless;
static size_t ring_bytes = DEFAULT_RING_BYTES;

snare_status snare_record_begin(const snare_record_config *config) {
  size_t size = config != NULL && config->buffer_bytes != 0
                    ? config->buffer_bytes
                    : DEFAULT_RING_BYTES;
  if ((size & (size - 1)) != 0 || size < 4096)
    return SNARE_INVALID_ARGUMENT;
  ring_bytes = size;
  lossless = config != NULL && config->lossless;
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

void snare_record_event(bool exit, int hook, uint64_t now) {
  if (!atomic_load_explicit(&recording, memory_order_relaxed))
    return;
  snare_record_stream *stream = mine;
  if (stream == NULL) {
    snare_arch_call_saving_state(allocate_stream, NULL);
    stream = mine;
    if (stream == NULL)
      return;
  }
  uint8_t event[3 * EVENT_MAX];
  size_t n = 0;
  if (stream->resync) {
    if (stream->untold > 0) {
      n += put_number(event + n, (uint64_t)MARK_LOST << 2 | KIND_MARKER);
      n += put_number(event + n, stream->untold);
    }
    n += put_number(event + n, (uint64_t)MARK_TIME << 2 | KIND_MARKER);
    n += put_number(event + n, now);
    stream->last_ns = now;
  }
  uint64_t delta = now > stream->last_ns ? now - stream->last_ns : 0;
  n += put_number(event + n, delta << 2 | (exit ? KIND_EXIT : KIND_ENTRY));
  n += put_number(event + n, (uint64_t)(unsigned)hook);
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
  if (ring != NULL)
    snare_os_pages_free(ring, stream->size);
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
