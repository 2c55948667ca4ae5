/*
 * recorder.c - the writer of `snare record`: a thread of the agent that
 * drains every recording stream (lib/hooks/record_buffer.c) into a file
 * of its own in the recording directory, TID.dat, while the program runs,
 * and lists each thread in task.txt when its stream is complete:
 *
 *   TID PID FILE BYTES LOST WAITS NAME
 *
 * A lossless recording's threads wait for it when their ring is full, so
 * it must never wait for them: it takes no lock of the program's and
 * never calls malloc (a program may define its own, hooked and waiting),
 * only system calls on memory it mapped itself. A fork's child starts a
 * writer of its own for its streams, and stops it when it ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

#define IDLE_NS 1000000L /* between drains that found little */
#define BUSY_BYTES 65536 /* a drain that moved this much goes on at once */
#define MAX_STREAMS 65536

typedef struct stream_file {
  snare_record_stream *stream;
  int fd; /* -1 until the first bytes */
  bool done;
  bool failed; /* a write failed: the rest is dropped, counted */
  uint64_t bytes;
  uint64_t unwritten;
  char name[32]; /* of the file, in the directory */
} stream_file;

static struct {
  void (*record_end)(void);
  snare_status (*record_begin)(const snare_record_config *);
  snare_record_stream *(*next)(snare_record_stream *);
  void (*info)(snare_record_stream *, snare_record_stream_info *);
  size_t (*peek)(snare_record_stream *, const uint8_t **, size_t *,
                 const uint8_t **, size_t *);
  void (*consume)(snare_record_stream *, size_t);
  void (*release)(snare_record_stream *);
  void (*forked_child)(void);
  void (*ignore_thread)(void);
} core;

static char directory[4096];
static int directory_fd = -1;
static int task_fd = -1;
static stream_file *files; /* mmap'd, MAX_STREAMS */
static size_t file_count;
static pthread_t writer;
static atomic_bool writer_running;
static atomic_bool stopping;
static atomic_bool at_fork_registered;
static uint64_t total_bytes, total_lost, total_unwritten;

static stream_file *file_of(snare_record_stream *stream) {
  for (size_t i = file_count; i-- > 0;)
    if (files[i].stream == stream)
      return &files[i];
  if (file_count == MAX_STREAMS)
    return NULL;
  stream_file *f = &files[file_count++];
  *f = (stream_file){.stream = stream, .fd = -1};
  return f;
}

/* TID.dat, or TID.N.dat when a thread before it had the same id. */
static int open_stream_file(int tid, char *name, size_t cap) {
  for (int n = 1; n < 1000; n++) {
    if (n == 1)
      snprintf(name, cap, "%d.dat", tid);
    else
      snprintf(name, cap, "%d.%d.dat", tid, n);
    int fd = openat(directory_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                    0644);
    if (fd >= 0 || errno != EEXIST)
      return fd;
  }
  return -1;
}

static bool write_all(int fd, const uint8_t *data, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    data += n;
    size -= (size_t)n;
  }
  return true;
}

static const uint8_t magic[8] = {'S', 'N', 'R', 'E', 'C', '1', '\n', 0};

static void put(stream_file *f, const uint8_t *data, size_t size,
                int tid) {
  if (size == 0)
    return;
  if (f->fd < 0 && !f->failed) {
    f->fd = open_stream_file(tid, f->name, sizeof f->name);
    f->failed = f->fd < 0 || !write_all(f->fd, magic, sizeof magic);
  }
  if (!f->failed && write_all(f->fd, data, size))
    f->bytes += size;
  else {
    f->failed = true;
    f->unwritten += size;
  }
}

/* The thread's name now, from /proc while it lives, else as it was when
   its stream ended. */
static void current_name(const snare_record_stream_info *info, char *out,
                         size_t cap) {
  snprintf(out, cap, "%s", info->name);
  if (info->ended)
    return;
  char path[64];
  snprintf(path, sizeof path, "/proc/self/task/%d/comm", info->tid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  ssize_t n = read(fd, out, cap - 1);
  close(fd);
  if (n > 0) {
    out[n] = '\0';
    out[strcspn(out, "\n")] = '\0';
  }
}

/* Closes a complete stream's file and lists it; the ring of a thread
   that ended is freed (a live one may still be writing into it). */
static void finish(stream_file *f, const snare_record_stream_info *info,
                   bool ended) {
  char name[32], line[256];
  current_name(info, name, sizeof name);
  bool written = f->fd >= 0;
  if (written) {
    close(f->fd);
    f->fd = -1;
  }
  int len = snprintf(line, sizeof line, "%d %d %s %llu %llu %llu %s\n",
                     info->tid, info->pid, written ? f->name : "-",
                     (unsigned long long)f->bytes,
                     (unsigned long long)(info->lost + f->unwritten),
                     (unsigned long long)info->waits, name);
  if (task_fd >= 0 && len > 0)
    write_all(task_fd, (const uint8_t *)line, (size_t)len);
  total_bytes += f->bytes;
  total_lost += info->lost;
  total_unwritten += f->unwritten;
  f->done = true;
  if (ended)
    core.release(f->stream);
}

/* One pass over every stream; returns the bytes moved. `final`: the
   streams of live threads are complete too. */
static size_t drain(bool final) {
  int pid = getpid();
  size_t moved = 0;
  for (snare_record_stream *s = core.next(NULL); s != NULL; s = core.next(s)) {
    stream_file *f = file_of(s);
    if (f == NULL || f->done)
      continue;
    snare_record_stream_info info;
    core.info(s, &info); /* `ended` before the bytes: all are seen */
    if (info.pid != pid) { /* a parent's, in a fork's child */
      f->done = true;
      core.release(s);
      continue;
    }
    const uint8_t *first, *second;
    size_t first_size, second_size;
    size_t total = core.peek(s, &first, &first_size, &second, &second_size);
    put(f, first, first_size, info.tid);
    put(f, second, second_size, info.tid);
    core.consume(s, total);
    moved += total;
    if (info.ended || final)
      finish(f, &info, info.ended);
  }
  return moved;
}

static void *writer_main(void *unused) {
  (void)unused;
  agent_own_thread = true;
  core.ignore_thread();
  struct timespec idle = {0, IDLE_NS};
  for (;;) {
    bool last = atomic_load(&stopping);
    size_t moved = drain(last);
    if (last)
      return NULL;
    if (moved < BUSY_BYTES)
      nanosleep(&idle, NULL);
  }
}

static bool start_writer(void) {
  atomic_store(&stopping, false);
  if (agent_thread_start(&writer, writer_main, NULL) != 0)
    return false;
  atomic_store(&writer_running, true);
  return true;
}

static void stop_writer(void) {
  if (!atomic_exchange(&writer_running, false))
    return;
  core.record_end(); /* no thread waits for room any more */
  atomic_store(&stopping, true);
  pthread_join(writer, NULL);
}

/* The child of a fork records on, into files of its own (its tids are
   new), with a writer of its own. */
static void after_fork_child(void) {
  if (!atomic_load(&writer_running))
    return;
  core.forked_child();
  file_count = 0;
  start_writer();
}

void agent_recorder_child_end(void) { stop_writer(); }

static void find_core(void) {
  *(void **)&core.record_begin = agent_snare_function("snare_record_begin");
  *(void **)&core.record_end = agent_snare_function("snare_record_end");
  *(void **)&core.next = agent_snare_function("snare_record_stream_next");
  *(void **)&core.info = agent_snare_function("snare_record_stream_info_get");
  *(void **)&core.peek = agent_snare_function("snare_record_stream_peek");
  *(void **)&core.consume =
      agent_snare_function("snare_record_stream_consume");
  *(void **)&core.release =
      agent_snare_function("snare_record_stream_release");
  *(void **)&core.forked_child =
      agent_snare_function("snare_record_forked_child");
  *(void **)&core.ignore_thread =
      agent_snare_function("snare_hook_ignore_thread");
}

/* agent.record_start(dir, lossless, buffer_bytes[, filters[,
   min_duration_ns]]): recording hooks record from now on, and the writer
   drains their streams into dir (which exists). filters: {only=, depth=,
   disabled=} turns the record-time filters on (snare_record_config);
   min_duration_ns the time filter (-t). */
int agent_l_record_start(lua_State *L) {
  const char *dir = luaL_checkstring(L, 1);
  bool lossless = lua_toboolean(L, 2);
  lua_Integer bytes = luaL_optinteger(L, 3, 0);
  if (atomic_load(&writer_running))
    return luaL_error(L, "snare agent: record_start: already recording");
  find_core();
  snprintf(directory, sizeof directory, "%s", dir);
  directory_fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (directory_fd < 0)
    return luaL_error(L, "cannot open %s: %s", dir, strerror(errno));
  task_fd = openat(directory_fd, "task.txt",
                   O_WRONLY | O_CREAT | O_APPEND | O_TRUNC | O_CLOEXEC, 0644);
  if (task_fd < 0)
    return luaL_error(L, "cannot write %s/task.txt: %s", dir, strerror(errno));
  files = mmap(NULL, MAX_STREAMS * sizeof *files, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (files == MAP_FAILED)
    return luaL_error(L, "snare agent: record_start: out of memory");
  snare_record_config config = {.buffer_bytes = (size_t)bytes,
                                .lossless = lossless};
  if (lua_istable(L, 4)) {
    config.filters = true;
    lua_getfield(L, 4, "only");
    config.only = lua_toboolean(L, -1);
    lua_getfield(L, 4, "depth");
    config.max_depth = (unsigned)luaL_optinteger(L, -1, 0);
    lua_getfield(L, 4, "disabled");
    config.disabled = lua_toboolean(L, -1);
    lua_pop(L, 3);
  }
  config.min_duration_ns = (uint64_t)luaL_optinteger(L, 5, 0);
  if (core.record_begin(&config) != SNARE_OK)
    return luaL_error(L, "snare agent: bad buffer size %d (a power of two "
                         "of at least 4096 bytes)", (int)bytes);
  if (!atomic_exchange(&at_fork_registered, true))
    pthread_atfork(NULL, NULL, after_fork_child);
  if (!start_writer())
    return luaL_error(L, "snare agent: cannot start the writer thread");
  return 0;
}

/* What record_start opened and mapped: under snare attach the process
   lives on after the recording. */
static void release_files(void) {
  if (task_fd >= 0)
    close(task_fd);
  if (directory_fd >= 0)
    close(directory_fd);
  task_fd = directory_fd = -1;
  if (files != NULL && files != MAP_FAILED)
    munmap(files, MAX_STREAMS * sizeof *files);
  files = NULL;
  file_count = 0;
}

/* agent.record_stop() -> {bytes=, lost=, unwritten=}: recording ends,
   every stream is written out and listed in task.txt. */
int agent_l_record_stop(lua_State *L) {
  stop_writer();
  release_files();
  lua_createtable(L, 0, 3);
  lua_pushinteger(L, (lua_Integer)total_bytes);
  lua_setfield(L, -2, "bytes");
  lua_pushinteger(L, (lua_Integer)total_lost);
  lua_setfield(L, -2, "lost");
  lua_pushinteger(L, (lua_Integer)total_unwritten);
  lua_setfield(L, -2, "unwritten");
  return 1;
}
