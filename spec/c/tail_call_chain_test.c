/*
 * tail_call_chain_test.c - gdb's chain search for tail-call frames
 * (snare_tail_call_chain, snare_tail_calls_never_reenter) on made-up
 * call graphs: a unique chain, a direct call, two paths that share
 * their ends or nothing, a cycle, and targets the search cannot follow.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "frames/tail_calls.h"

/* A function of the made-up program: its entry and its tail calls. */
typedef struct fake_function {
  uint64_t entry;
  snare_call_site tail_calls[4];
  size_t count;
  bool no_dwarf; /* known by its symbol only */
} fake_function;

typedef struct fake_program {
  snare_call_site caller_site; /* the one returning to RET */
  fake_function functions[8];
  size_t count;
} fake_program;

#define RET 0x9000

static bool site_at(void *ctx, uint64_t ret, snare_call_site *out)
{
  fake_program *p = ctx;
  if (p->caller_site.return_pc != ret)
    return false;
  *out = p->caller_site;
  return true;
}

static bool tail_calls(void *ctx, uint64_t entry, snare_call_site *out,
                       size_t cap, size_t *count)
{
  fake_program *p = ctx;
  for (size_t i = 0; i < p->count; i++) {
    const fake_function *f = &p->functions[i];
    if (f->entry != entry || f->no_dwarf)
      continue;
    *count = f->count;
    memcpy(out, f->tail_calls, (f->count < cap ? f->count : cap) * sizeof *out);
    return true;
  }
  return false;
}

static bool symbol(void *ctx, const char *name, uint64_t *addr)
{
  (void)ctx;
  if (strcmp(name, "known") != 0)
    return false;
  *addr = 0x5000;
  return true;
}

/* A call site returning to ret that calls the function at target. */
static snare_call_site calls(uint64_t ret, uint64_t target)
{
  return (snare_call_site){.return_pc = ret, .targets = {target},
                           .target_count = 1};
}

static size_t chain(fake_program *p, uint64_t callee, uint64_t *out)
{
  snare_call_graph g = {site_at, tail_calls, symbol, p};
  return snare_tail_call_chain(&g, RET, callee, out);
}

/* A (0x1000) -> B (0x2000) -> C (0x3000), both by tail calls. */
static fake_program straight(void)
{
  fake_program p = {.caller_site = calls(RET, 0x1000), .count = 3};
  p.functions[0] = (fake_function){.entry = 0x1000, .count = 1,
                                   .tail_calls = {calls(0x1010, 0x2000)}};
  p.functions[1] = (fake_function){.entry = 0x2000, .count = 1,
                                   .tail_calls = {calls(0x2010, 0x3000)}};
  p.functions[2] = (fake_function){.entry = 0x3000};
  return p;
}

Test(tail_call_chain, a_unique_chain_gives_every_site_innermost_first)
{
  fake_program p = straight();
  uint64_t out[SNARE_TAIL_CALLS_MAX];
  cr_assert_eq(chain(&p, 0x3000, out), 2);
  cr_assert_eq(out[0], 0x2010); /* B's jump into C: right above C */
  cr_assert_eq(out[1], 0x1010);
}

Test(tail_call_chain, a_direct_call_has_none)
{
  fake_program p = straight();
  uint64_t out[SNARE_TAIL_CALLS_MAX];
  cr_assert_eq(chain(&p, 0x1000, out), 0);
  p.caller_site = calls(RET + 1, 0x1000); /* no site returns to RET */
  cr_assert_eq(chain(&p, 0x3000, out), 0);
}

Test(tail_call_chain, two_paths_keep_the_sites_they_share)
{
  /* A -> B -> D and A -> C -> D: both start at A's sites, which differ,
     and end in different sites: nothing is shared. */
  fake_program p = {.caller_site = calls(RET, 0x1000), .count = 4};
  p.functions[0] = (fake_function){
      .entry = 0x1000, .count = 2,
      .tail_calls = {calls(0x1010, 0x2000), calls(0x1020, 0x3000)}};
  p.functions[1] = (fake_function){.entry = 0x2000, .count = 1,
                                   .tail_calls = {calls(0x2010, 0x4000)}};
  p.functions[2] = (fake_function){.entry = 0x3000, .count = 1,
                                   .tail_calls = {calls(0x3010, 0x4000)}};
  p.functions[3] = (fake_function){.entry = 0x4000};
  uint64_t out[SNARE_TAIL_CALLS_MAX];
  cr_assert_eq(chain(&p, 0x4000, out), 0);
  /* Both through E (0x5000) first: its site is shared at the caller's
     end, and D's jump into F at the callee's end. */
  p.caller_site = calls(RET, 0x5000);
  p.functions[4] = (fake_function){.entry = 0x5000, .count = 1,
                                   .tail_calls = {calls(0x5010, 0x1000)}};
  p.functions[3] = (fake_function){.entry = 0x4000, .count = 1,
                                   .tail_calls = {calls(0x4010, 0x6000)}};
  p.functions[5] = (fake_function){.entry = 0x6000};
  p.count = 6;
  /* E -> A -> (B | C) -> D -> F: the frames are D's and E's jumps, the
     ones between them unknown */
  cr_assert_eq(chain(&p, 0x6000, out), 2);
  cr_assert_eq(out[0], 0x4010); /* the callee's side first */
  cr_assert_eq(out[1], 0x5010);
}

Test(tail_call_chain, a_cycle_is_walked_once_per_path)
{
  fake_program p = straight();
  /* B may also jump back to A */
  p.functions[1].tail_calls[1] = calls(0x2020, 0x1000);
  p.functions[1].count = 2;
  uint64_t out[SNARE_TAIL_CALLS_MAX];
  cr_assert_eq(chain(&p, 0x3000, out), 2);
}

Test(tail_call_chain, a_target_it_cannot_follow_means_no_frames)
{
  fake_program p = straight();
  uint64_t out[SNARE_TAIL_CALLS_MAX];
  p.functions[0].tail_calls[1] = (snare_call_site){.return_pc = 0x1020};
  p.functions[0].count = 2; /* an indirect tail call beside B's */
  cr_assert_eq(chain(&p, 0x3000, out), 0);
  p.functions[0].tail_calls[1] =
      (snare_call_site){.return_pc = 0x1020, .target_name = "unknown"};
  cr_assert_eq(chain(&p, 0x3000, out), 0);
  p.functions[0].tail_calls[1] =
      (snare_call_site){.return_pc = 0x1020, .target_name = "known"};
  cr_assert_eq(chain(&p, 0x3000, out), 0); /* 0x5000 has no DWARF */
  p.functions[3] = (fake_function){.entry = 0x5000};
  p.count = 4;
  cr_assert_eq(chain(&p, 0x3000, out), 2); /* now a dead end */
}

Test(tail_call_chain, reentry_through_tail_calls_is_found)
{
  fake_program p = straight();
  snare_call_graph g = {site_at, tail_calls, symbol, &p};
  cr_assert(snare_tail_calls_never_reenter(&g, 0x1000));
  p.functions[2].tail_calls[0] = calls(0x3010, 0x1000); /* C -> A */
  p.functions[2].count = 1;
  cr_assert_not(snare_tail_calls_never_reenter(&g, 0x1000));
  p.functions[2].tail_calls[0] = (snare_call_site){.return_pc = 0x3010};
  cr_assert_not(snare_tail_calls_never_reenter(&g, 0x1000)); /* unknown */
  p.functions[2].count = 0;
  p.functions[1].tail_calls[0] = calls(0x2010, 0x7000); /* no DWARF */
  cr_assert_not(snare_tail_calls_never_reenter(&g, 0x1000));
}
