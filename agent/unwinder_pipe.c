/*
 * unwinder_pipe.c - libunwind opens a pipe at its first use (it checks
 * that memory is readable by writing from it into the pipe) and keeps
 * that pipe for the life of the process. Taken at the lowest free
 * numbers, it would shift the number of every descriptor the program
 * opens afterwards. So the agent starts libunwind itself, once snare.core
 * is loaded, and its pipe2 moves the pipe made meanwhile, on that thread
 * only, to the top of the range (snare_descriptor_keep). Every other pipe
 * is the system's, untouched.
 */
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <unistd.h>

#include "agent.h"

static _Thread_local int (*keeping)(int); /* set while libunwind starts */

AGENT_INTERPOSE int pipe2(int fds[2], int flags) {
  int rc = real.pipe2(fds, flags);
  if (rc == 0 && keeping != NULL) {
    fds[0] = keeping(fds[0]);
    fds[1] = keeping(fds[1]);
  }
  return rc;
}

void agent_unwinder_start(void) {
  agent_real_resolve();
  keeping = (int (*)(int))agent_snare_function("snare_descriptor_keep");
  unw_context_t context;
  unw_cursor_t cursor;
  if (unw_getcontext(&context) == 0)
    unw_init_local(&cursor, &context);
  keeping = NULL;
}
