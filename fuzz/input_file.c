/* input_file.c - the scratch file each fuzz input is written to. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "input_file.h"

static char path[64];
static int fd = -1;

static void remove_file(void)
{
  unlink(path);
}

const char *fuzz_input_file(const uint8_t *data, size_t size)
{
  if (fd < 0) {
    snprintf(path, sizeof path, "/tmp/snare-fuzz-%d-XXXXXX", (int)getpid());
    fd = mkstemp(path);
    if (fd < 0) {
      perror("fuzz_input_file: mkstemp");
      abort();
    }
    atexit(remove_file);
  }
  /* One file rewritten in place: libFuzzer runs millions of inputs. */
  if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size) {
    perror("fuzz_input_file: write");
    abort();
  }
  return path;
}
