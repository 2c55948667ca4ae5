/* finish_inlined.c - `finish` out of inlined calls at -O2
   (spec/finish_inlined_spec.lua): gdb 13 runs to the line after the
   call and shows no "Value returned", since nothing was returned in a
   register; a real call's finish in the same run still shows one. */
#include <stdio.h>

static inline int square_noted(int x)
{
  int r = x * x;
  printf("square %d\n", r);
  return r + 1;
}

__attribute__((noinline)) int halve(int x)
{
  printf("halve %d\n", x);
  return x / 2;
}

int main(int argc, char **argv)
{
  (void)argv;
  int t = square_noted(argc + 2);
  printf("t %d\n", t);
  int h = halve(t + argc);
  printf("h %d\n", h);
  return 0;
}
