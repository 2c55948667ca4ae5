/*
 * tail_calls.c - the chain search behind tail-call frames, by gdb 13's
 * rule (dwarf2/loc.c, call_site_find_chain): a depth-first walk from the
 * caller's call site through the tail call sites of every function it
 * reaches, each site at most once on a path; every path that arrives at
 * the callee is intersected with the others, keeping the sites they
 * share at the caller's end and at the callee's end.
 */
#include <stdlib.h>
#include <string.h>

#include "code/code.h"
#include "code/library.h"
#include "frames/tail_calls.h"

/* Bounds on a search: tail calls listed per function, and call sites
   visited in all (paths may share functions, so the walk can be long). */
#define SITES_PER_FUNCTION 64
#define SEARCH_BUDGET 4096

typedef struct search {
  const snare_call_graph *graph;
  uint64_t callee;
  uint64_t path[SNARE_TAIL_CALLS_MAX]; /* return pcs, the caller's first */
  size_t depth;
  uint64_t best[SNARE_TAIL_CALLS_MAX]; /* the first candidate */
  size_t length, callers, callees;     /* and what all candidates share */
  bool found, failed;
  unsigned budget;
} search;

static bool fail(search *s)
{
  s->failed = true;
  return false;
}

/* gdb's chain_candidate: false when the candidates share no site. */
static bool candidate(search *s)
{
  if (!s->found) {
    memcpy(s->best, s->path, s->depth * sizeof *s->path);
    s->length = s->callers = s->callees = s->depth;
    s->found = true;
    return true;
  }
  size_t callers = s->callers < s->depth ? s->callers : s->depth;
  for (size_t i = 0; i < callers; i++)
    if (s->best[i] != s->path[i])
      callers = i;
  size_t callees = s->callees < s->depth ? s->callees : s->depth;
  for (size_t i = 0; i < callees; i++)
    if (s->best[s->length - 1 - i] != s->path[s->depth - 1 - i])
      callees = i;
  s->callers = callers;
  s->callees = callees;
  return (callers > 0 || callees > 0) || fail(s);
}

static bool on_path(const search *s, uint64_t pc)
{
  for (size_t i = 0; i < s->depth; i++)
    if (s->path[i] == pc)
      return true;
  return false;
}

/* The functions site may call; false when that cannot be told. */
static bool targets_of(const search *s, const snare_call_site *site,
                       uint64_t *targets, size_t *n)
{
  if (site->target_name != NULL) {
    *n = 1;
    return s->graph->symbol(s->graph->ctx, site->target_name, targets);
  }
  *n = site->target_count;
  memcpy(targets, site->targets, *n * sizeof *targets);
  return *n > 0;
}

/* gdb's call_site_find_chain_2 from site (its return pc last on the
   path unless it is the caller's): false ends the whole search. */
static bool visit(search *s, const snare_call_site *site)
{
  uint64_t targets[SNARE_CALL_TARGETS_MAX];
  size_t n;
  if (s->budget-- == 0 || !targets_of(s, site, targets, &n))
    return fail(s);
  for (size_t t = 0; t < n; t++)
    if (targets[t] == s->callee)
      return candidate(s);
  snare_call_site *list = malloc(SITES_PER_FUNCTION * sizeof *list);
  bool go_on = list != NULL || fail(s);
  for (size_t t = 0; t < n && go_on; t++) {
    size_t count = 0;
    if (!s->graph->tail_calls(s->graph->ctx, targets[t], list,
                              SITES_PER_FUNCTION, &count) ||
        count > SITES_PER_FUNCTION) {
      go_on = fail(s);
      break;
    }
    for (size_t k = 0; k < count && go_on; k++) {
      if (on_path(s, list[k].return_pc))
        continue;
      if (s->depth == SNARE_TAIL_CALLS_MAX) {
        go_on = fail(s);
        break;
      }
      s->path[s->depth++] = list[k].return_pc;
      go_on = visit(s, &list[k]);
      s->depth--;
    }
  }
  free(list);
  return go_on;
}

size_t snare_tail_call_chain(const snare_call_graph *graph, uint64_t ret,
                             uint64_t callee, uint64_t *out)
{
  snare_call_site site;
  if (!graph->site_at(graph->ctx, ret, &site))
    return 0;
  search s = {.graph = graph, .callee = callee, .budget = SEARCH_BUDGET};
  visit(&s, &site);
  if (s.failed || !s.found)
    return 0;
  /* The frames below the caller are the callee's side of the chain,
     innermost first, then (unless that was all of it) the caller's. */
  size_t n = 0;
  for (size_t k = 0; k < s.callees; k++)
    out[n++] = s.best[s.length - 1 - k];
  if (s.callees != s.length)
    for (size_t k = 0; k < s.callers; k++)
      out[n++] = s.best[s.callers - 1 - k];
  return n;
}

/* How many functions a check visits at most. */
#define REENTRY_FUNCTIONS 256

bool snare_tail_calls_never_reenter(const snare_call_graph *graph,
                                    uint64_t entry)
{
  uint64_t seen[REENTRY_FUNCTIONS], todo[REENTRY_FUNCTIONS];
  size_t seen_count = 0, todo_count = 0;
  todo[todo_count++] = entry;
  snare_call_site *list = malloc(SITES_PER_FUNCTION * sizeof *list);
  bool never = list != NULL;
  search s = {.graph = graph};
  while (never && todo_count > 0) {
    size_t count = 0;
    never = graph->tail_calls(graph->ctx, todo[--todo_count], list,
                              SITES_PER_FUNCTION, &count) &&
            count <= SITES_PER_FUNCTION;
    for (size_t k = 0; never && k < count; k++) {
      uint64_t targets[SNARE_CALL_TARGETS_MAX];
      size_t n;
      never = targets_of(&s, &list[k], targets, &n);
      for (size_t t = 0; never && t < n; t++) {
        size_t i = 0;
        while (i < seen_count && seen[i] != targets[t])
          i++;
        never = targets[t] != entry &&
                (i < seen_count || seen_count < REENTRY_FUNCTIONS);
        if (never && i == seen_count) {
          seen[seen_count++] = targets[t];
          todo[todo_count++] = targets[t];
        }
      }
    }
  }
  free(list);
  return never;
}

static const snare_debuginfo *dwarf_of(uint64_t addr)
{
  snare_library *lib = snare_library_mapping(addr);
  const snare_debuginfo *di = NULL;
  if (lib != NULL)
    snare_library_debuginfo(lib, &di);
  return di;
}

static bool program_site_at(void *ctx, uint64_t ret, snare_call_site *out)
{
  (void)ctx;
  const snare_debuginfo *di = dwarf_of(ret - 1);
  return di != NULL && snare_debuginfo_call_site(di, ret, out) == SNARE_OK;
}

static bool program_tail_calls(void *ctx, uint64_t entry, snare_call_site *out,
                               size_t cap, size_t *count)
{
  (void)ctx;
  const snare_debuginfo *di = dwarf_of(entry);
  return di != NULL &&
         snare_debuginfo_tail_calls(di, entry, out, cap, count) == SNARE_OK;
}

static bool program_symbol(void *ctx, const char *name, uint64_t *addr)
{
  (void)ctx;
  return snare_library_function_named(name, addr);
}

/* gdb's get_pc_function_start: the entry of the function with DWARF
   holding pc, else the start of its ELF symbol. */
static bool function_start(uint64_t pc, uint64_t *entry)
{
  const snare_debuginfo *di = dwarf_of(pc);
  uint64_t size;
  if (di != NULL && snare_debuginfo_host_entry(di, pc, entry) == SNARE_OK)
    return true;
  return snare_code_function_containing(pc, entry, &size, NULL);
}

static const snare_call_graph program = {
    program_site_at, program_tail_calls, program_symbol, NULL};

bool snare_no_self_tail_call(uint64_t entry)
{
  return snare_tail_calls_never_reenter(&program, entry);
}

size_t snare_tail_call_frames(uint64_t ret, uint64_t pc, uint64_t *out)
{
  uint64_t callee;
  if (!function_start(pc, &callee))
    return 0;
  return snare_tail_call_chain(&program, ret, callee, out);
}
