/*
 * hookscale.c - workloads of the hook scaling benchmark (bench/hooks.sh),
 * built as a shared object for snare:
 *   scale_fan(n, k)     n calls spread round robin over the first k of
 *                       SCALE_FUNCTIONS distinct leaf functions (how the
 *                       cost of a hook grows with the number of hooks);
 *   scale_deep(n, d)    n calls of scale_down, nested d deep, and of a
 *                       leaf at each level (how the cost of a profile
 *                       hook grows with stack depth);
 *   scale_trapped(n, 1) n calls of scale_trap_leaf, whose own branch into
 *                       its first bytes keeps a jump out: a trap hook.
 */
#define SCALE_FUNCTIONS 10000

static volatile int sink;

/* Distinct bodies, so identical-code folding cannot merge the leaves. */
#define LEAF(n)                                                                \
  __attribute__((noinline)) int scale_leaf_##n(int i) { return sink += i ^ n; }
#define LEAF10(n)                                                              \
  LEAF(n##0) LEAF(n##1) LEAF(n##2) LEAF(n##3) LEAF(n##4) LEAF(n##5)            \
  LEAF(n##6) LEAF(n##7) LEAF(n##8) LEAF(n##9)
#define LEAF100(n)                                                             \
  LEAF10(n##0) LEAF10(n##1) LEAF10(n##2) LEAF10(n##3) LEAF10(n##4)             \
  LEAF10(n##5) LEAF10(n##6) LEAF10(n##7) LEAF10(n##8) LEAF10(n##9)
#define LEAF1000(n)                                                            \
  LEAF100(n##0) LEAF100(n##1) LEAF100(n##2) LEAF100(n##3) LEAF100(n##4)        \
  LEAF100(n##5) LEAF100(n##6) LEAF100(n##7) LEAF100(n##8) LEAF100(n##9)
LEAF1000(1) LEAF1000(2) LEAF1000(3) LEAF1000(4) LEAF1000(5)
LEAF1000(6) LEAF1000(7) LEAF1000(8) LEAF1000(9) LEAF1000(10)

#define REF(n) scale_leaf_##n,
#define REF10(n)                                                               \
  REF(n##0) REF(n##1) REF(n##2) REF(n##3) REF(n##4) REF(n##5) REF(n##6)        \
  REF(n##7) REF(n##8) REF(n##9)
#define REF100(n)                                                              \
  REF10(n##0) REF10(n##1) REF10(n##2) REF10(n##3) REF10(n##4) REF10(n##5)      \
  REF10(n##6) REF10(n##7) REF10(n##8) REF10(n##9)
#define REF1000(n)                                                             \
  REF100(n##0) REF100(n##1) REF100(n##2) REF100(n##3) REF100(n##4)             \
  REF100(n##5) REF100(n##6) REF100(n##7) REF100(n##8) REF100(n##9)
static int (*const leaves[SCALE_FUNCTIONS])(int) = {
    REF1000(1) REF1000(2) REF1000(3) REF1000(4) REF1000(5)
    REF1000(6) REF1000(7) REF1000(8) REF1000(9) REF1000(10)};

int scale_fan(int n, int k) {
  if (k < 1 || k > SCALE_FUNCTIONS)
    return -1;
  for (int i = 0, f = 0; i < n; i++, f = f + 1 == k ? 0 : f + 1)
    leaves[f](i);
  return sink;
}

/* Not a tail call: the compiler cannot turn the recursion into a loop.
   Each level also calls a leaf, which finds the d frames of scale_down
   (not its own) on the stack below it. */
__attribute__((noinline)) int scale_down(int d) {
  if (d > 1)
    scale_down(d - 1);
  scale_leaf_1000(d);
  return sink += d;
}

int scale_deep(int n, int d) {
  if (d < 1)
    return -1;
  for (int done = 0; done < n; done += 2 * d)
    scale_down(d);
  return sink;
}

/* A branch to byte 2 lies inside the bytes a jump would replace. */
int scale_trap_leaf(int i);
__asm__(".text\n"
        ".globl scale_trap_leaf\n"
        ".type scale_trap_leaf, @function\n"
        "scale_trap_leaf:\n"
        "  xor %eax, %eax\n"
        "1:\n"
        "  lea 1(%rdi), %eax\n"
        "  ret\n"
        "  jmp 1b\n"
        ".size scale_trap_leaf, .-scale_trap_leaf\n");

int scale_trapped(int n, int unused) {
  (void)unused;
  for (int i = 0; i < n; i++)
    sink += scale_trap_leaf(i);
  return sink;
}
