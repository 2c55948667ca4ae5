/* fixtures.h - loading the fixture libraries the tests debug. */
#ifndef SNARE_SPEC_FIXTURES_H
#define SNARE_SPEC_FIXTURES_H

#include <stdint.h>

/* Address of `symbol` in build/fixtures/<level>/lib<name>.so, loaded with
   dlopen for the life of the test process; aborts the test if missing. */
uint64_t fixture_symbol(const char *level, const char *name,
                        const char *symbol);
/* Path of that library (static buffer). */
const char *fixture_path(const char *level, const char *name);
/* Number of threads of this process, from /proc/self/task. */
int fixture_thread_count(void);
/* Number of open file descriptors, from /proc/self/fd. */
int fixture_fd_count(void);

#endif
