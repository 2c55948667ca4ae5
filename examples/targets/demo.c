/* demo.c - the small library the tour (examples/tour.lua) debugs. */
#include <stdint.h>

#define DEMO_API __attribute__((noinline, visibility("default")))

DEMO_API int fib(int n)
{
  if (n < 2)
    return n;
  return fib(n - 1) + fib(n - 2);
}

DEMO_API int collatz_steps(uint64_t n)
{
  int steps = 0;
  while (n > 1) {
    n = (n % 2 == 0) ? n / 2 : 3 * n + 1;
    steps++;
  }
  return steps;
}

DEMO_API int crash(int *p)
{
  *p = 42;
  return *p;
}

DEMO_API int spin_forever(void)
{
  volatile int running = 1;
  while (running)
    ;
  return 0;
}
