/* watch_target.c - the program bench/watch.sh watches: `watch_target N`
   writes the global `watched` N times, a new value each time. */
#include <stdio.h>
#include <stdlib.h>

volatile long watched;

int main(int argc, char **argv)
{
  long n = argc > 1 ? atol(argv[1]) : 1000;
  for (long i = 0; i < n; i++)
    watched = i + 1;
  printf("%ld\n", watched);
  return 0;
}
