/*
 * recloop.c - the workload of the C-condition benchmark (cond_expr.sh):
 * loop(n) calls visit_rec(&r) n times with r.len == 2, so a breakpoint
 * on visit_rec() with the condition `p->len > 3` is hit n times and never
 * stops. Built as librecloop.so for snare and into rec_target for gdb.
 */
struct rec {
  int len;
  const char *name;
};

static volatile int sink;

__attribute__((noinline)) void visit_rec(struct rec *p) { sink = p->len; }

int loop(int n)
{
  struct rec r = {2, "anvil"};
  for (int i = 0; i < n; i++)
    visit_rec(&r);
  return sink;
}

#ifdef REC_MAIN
#include <stdlib.h>
int main(int argc, char **argv)
{
  return loop(argc > 1 ? atoi(argv[1]) : 1000) != 2;
}
#endif
