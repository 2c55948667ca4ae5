/* marks_test.c - marks: SNARE_MARK and USDT probes found in the fixture
   at -O0 and -O2, breakpoints on marks filtered by data and function,
   computed data, mark hooks with exact counts, semaphores, bad input. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>

#include "fixtures.h"
#include "snare.h"

static const char *const levels[2] = {"O0", "O2"};
static snare_library *library[2];

static void open_libraries(void) {
  for (int i = 0; i < 2; i++)
    cr_assert_eq(snare_library_open(fixture_path(levels[i], "marks"),
                                    &library[i]),
                 SNARE_OK);
}
static void close_libraries(void) {
  for (int i = 0; i < 2; i++)
    snare_library_close(library[i]);
}
TestSuite(marks, .init = open_libraries, .fini = close_libraries,
          .timeout = 30);

static uint64_t symbol(int level, const char *name) {
  return fixture_symbol(levels[level], "marks", name);
}

static long call1(uint64_t fn, long arg) {
  return ((long (*)(long))(uintptr_t)fn)(arg);
}

/* The library's marks, probes (USDT) or not. */
static size_t marks_of(int level, bool probes, snare_mark_info *out,
                       size_t cap) {
  int ids[64];
  size_t n = snare_library_marks(library[level], ids, 64), k = 0;
  for (size_t i = 0; i < n; i++) {
    snare_mark_info info;
    cr_assert_eq(snare_mark_lookup(ids[i], &info), SNARE_OK);
    if ((info.provider != NULL) == probes && k < cap)
      out[k++] = info;
  }
  return k;
}

static const snare_mark_info *probe(const snare_mark_info *list, size_t n,
                                    const char *name) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(list[i].name, name) == 0)
      return &list[i];
  cr_assert_fail("no probe %s", name);
  return NULL;
}

static const uint8_t nop5[5] = {0x0f, 0x1f, 0x44, 0x00, 0x00};

Test(marks, found_at_both_levels_on_their_nops) {
  for (int level = 0; level < 2; level++) {
    snare_mark_info m[16];
    size_t n = marks_of(level, false, m, 16);
    cr_assert_eq(n, 4, "%s: %zu SNARE_MARKs", levels[level], n);
    int loop = 0, entry = 0, leave = 0, memory = 0;
    for (size_t i = 0; i < n; i++) {
      /* unarmed: the program's own nop, nothing else */
      cr_assert_eq(memcmp((void *)(uintptr_t)m[i].address, nop5, 5), 0);
      cr_assert_eq(m[i].armed, 0);
      bool in_loop = m[i].function == symbol(level, "marks_loop");
      cr_assert(in_loop || m[i].function == symbol(level, "marks_memory"));
      if (m[i].data1.kind == SNARE_MARK_CONSTANT) {
        entry += m[i].data1.constant == SNARE_MARK_ENTER;
        leave += m[i].data1.constant == SNARE_MARK_LEAVE;
        loop += m[i].data1.constant == 7 && in_loop &&
                m[i].data2.kind != SNARE_MARK_CONSTANT;
      } else {
        /* "%rax" at -O0 (slot loaded first), "-8(%rsp)" at -O2 */
        memory += !in_loop && m[i].data2.kind == SNARE_MARK_CONSTANT &&
                  m[i].data2.constant == 2;
      }
    }
    cr_assert(loop == 1 && entry == 1 && leave == 1 && memory == 1);
    snare_mark_info p[8];
    cr_assert_eq(marks_of(level, true, p, 8), 2);
    const snare_mark_info *step = probe(p, 2, "step");
    const snare_mark_info *tick = probe(p, 2, "tick");
    cr_assert_str_eq(step->provider, "fixture");
    cr_assert_eq(step->arg_count, 2);
    cr_assert_eq(tick->arg_count, 1);
    cr_assert_eq(step->semaphore, symbol(level, "fixture_step_semaphore"));
    cr_assert_eq(tick->semaphore, symbol(level, "fixture_tick_semaphore"));
    cr_assert_eq(*(uint8_t *)(uintptr_t)tick->address, 0x90); /* sdt's nop */
    cr_assert_eq(tick->function, symbol(level, "marks_ticks"));
  }
}

/* Calls fn(arg) in a session with a breakpoint on marks matching filter;
   records each stop's data2 (data1 in data1s) until the call exits. */
static size_t run_stopping(int level, const char *fn, long arg,
                           const snare_mark_filter *filter, int64_t *data1s,
                           int64_t *data2s, size_t cap, uint64_t *result) {
  snare_session *s;
  cr_assert_eq(snare_session_new(&s), SNARE_OK);
  int id;
  cr_assert_eq(snare_breakpoint_on_marks(s, filter, NULL, &id), SNARE_OK);
  snare_stop stop;
  uint64_t a = (uint64_t)arg;
  cr_assert_eq(snare_call(s, symbol(level, fn), 1, &a, &stop), SNARE_OK);
  size_t n = 0;
  while (stop.kind == SNARE_STOP_BREAKPOINT) {
    cr_assert(stop.at_mark);
    if (n < cap) {
      data1s[n] = stop.data1;
      data2s[n] = stop.data2;
    }
    n++;
    cr_assert_eq(snare_resume(s, SNARE_RESUME_CONTINUE, NULL, &stop),
                 SNARE_OK);
  }
  cr_assert_eq(stop.kind, SNARE_STOP_EXIT);
  *result = stop.return_value;
  cr_assert_eq(snare_mark_breakpoint_clear(id), SNARE_OK);
  cr_assert_eq(snare_mark_breakpoint_clear(id), SNARE_NOT_FOUND);
  snare_session_free(s);
  return n;
}

Test(marks, breakpoints_match_data1_and_computed_data2) {
  for (int level = 0; level < 2; level++) {
    int64_t d1[16], d2[16];
    uint64_t result;
    snare_mark_filter only7 = {.flags = SNARE_MARK_MATCH_DATA1, .data1 = 7};
    cr_assert_eq(run_stopping(level, "marks_loop", 10, &only7, d1, d2, 16,
                              &result),
                 10);
    for (int i = 0; i < 10; i++)
      cr_assert(d1[i] == 7 && d2[i] == i, "%s: stop %d: %ld %ld",
                levels[level], i, (long)d1[i], (long)d2[i]);
    cr_assert_eq(result, 45);
    snare_mark_filter third = {.flags = SNARE_MARK_MATCH_DATA1 |
                                        SNARE_MARK_MATCH_DATA2,
                               .data1 = 7, .data2 = 3};
    cr_assert_eq(run_stopping(level, "marks_loop", 10, &third, d1, d2, 16,
                              &result),
                 1);
    cr_assert(d1[0] == 7 && d2[0] == 3);
    snare_mark_filter leave = {.flags = SNARE_MARK_MATCH_DATA1,
                               .data1 = SNARE_MARK_LEAVE};
    cr_assert_eq(run_stopping(level, "marks_loop", 6, &leave, d1, d2, 16,
                              &result),
                 1);
    cr_assert_eq(d2[0], 15); /* the sum, from a register or the frame */
  }
}

Test(marks, breakpoints_match_function_and_data_in_memory) {
  for (int level = 0; level < 2; level++) {
    int64_t d1[4], d2[4];
    uint64_t result;
    snare_mark_filter in_memory = {.flags = SNARE_MARK_MATCH_FUNCTION,
                                   .function = symbol(level, "marks_memory")};
    cr_assert_eq(run_stopping(level, "marks_memory", -42, &in_memory, d1, d2,
                              4, &result),
                 1);
    cr_assert(d1[0] == -42 && d2[0] == 2);
    snare_mark_filter none = {.flags = SNARE_MARK_MATCH_DATA1, .data1 = 4321};
    cr_assert_eq(run_stopping(level, "marks_loop", 5, &none, d1, d2, 4,
                              &result),
                 0);
    cr_assert_eq(result, 10);
  }
}

typedef struct attached_run {
  snare_session *session;
  uint64_t fn;
  long result;
} attached_run;

static void *attached_body(void *raw) {
  attached_run *run = raw;
  int id;
  cr_assert_eq(snare_thread_attach(run->session, false, &id), SNARE_OK);
  run->result = call1(run->fn, 3);
  cr_assert_eq(snare_thread_detach(run->session), SNARE_OK);
  return NULL;
}

Test(marks, events_of_attached_threads_carry_the_data) {
  snare_session *s;
  cr_assert_eq(snare_session_new(&s), SNARE_OK);
  snare_mark_filter loop = {.flags = SNARE_MARK_MATCH_DATA1, .data1 = 7};
  int id;
  cr_assert_eq(snare_breakpoint_on_marks(s, &loop, NULL, &id), SNARE_OK);
  attached_run run = {s, symbol(1, "marks_loop"), 0};
  pthread_t thread;
  cr_assert_eq(pthread_create(&thread, NULL, attached_body, &run), 0);
  snare_event ev = {0};
  cr_assert_eq(snare_wait_event(s, 10000, &ev), SNARE_OK);
  cr_assert_eq(ev.type, SNARE_EVENT_ATTACH);
  for (int i = 0; i < 3; i++) {
    cr_assert_eq(snare_wait_event(s, 10000, &ev), SNARE_OK);
    cr_assert_eq(ev.type, SNARE_EVENT_HARD_BREAKPOINT);
    cr_assert(ev.data1 == 7 && ev.data2 == i, "event %d: %ld %ld", i,
              (long)ev.data1, (long)ev.data2);
    cr_assert_eq(ev.function, symbol(1, "marks_loop"));
    cr_assert_eq(snare_thread_resume(s, ev.thread, SNARE_RESUME_CONTINUE,
                                     NULL),
                 SNARE_OK);
  }
  cr_assert_eq(snare_wait_event(s, 10000, &ev), SNARE_OK);
  cr_assert_eq(ev.type, SNARE_EVENT_DETACH);
  pthread_join(thread, NULL);
  cr_assert_eq(run.result, 3);
  snare_event_free(&ev);
  cr_assert_eq(snare_mark_breakpoint_clear(id), SNARE_OK);
  snare_session_free(s);
}

typedef struct tally {
  uint64_t hits;
  int64_t sum1, sum2;
  int64_t args[16];
} tally;

static void count_hit(const snare_mark_hit *hit, snare_frame *frame,
                      void *data) {
  (void)frame;
  tally *t = data;
  t->hits++;
  t->sum1 += hit->data1;
  t->sum2 += hit->data2;
}

Test(marks, hooks_count_exact_hits_on_any_thread) {
  for (int level = 0; level < 2; level++) {
    tally t = {0};
    snare_mark_filter loop = {.flags = SNARE_MARK_MATCH_DATA1, .data1 = 7};
    int id;
    cr_assert_eq(snare_mark_hook(&loop, count_hit, &t, NULL, &id), SNARE_OK);
    cr_assert_eq(call1(symbol(level, "marks_loop"), 100), 4950);
    cr_assert_eq(t.hits, 100);
    cr_assert_eq(t.sum1, 700);
    cr_assert_eq(t.sum2, 4950);
    uint64_t hits;
    cr_assert_eq(snare_mark_hook_hits(id, &hits), SNARE_OK);
    cr_assert_eq(hits, 100);
    cr_assert_eq(snare_mark_hook_remove(id), SNARE_OK);
    cr_assert_eq(snare_mark_hook_remove(id), SNARE_NOT_FOUND);
    snare_mark_filter all = {0};
    cr_assert_eq(snare_mark_hook(&all, NULL, NULL, NULL, &id), SNARE_OK);
    cr_assert_eq(call1(symbol(level, "marks_loop"), 5), 10);
    cr_assert_eq(snare_mark_hook_hits(id, &hits), SNARE_OK);
    cr_assert_eq(hits, 12); /* entry, 5 loop marks, leave, 5 step probes */
    cr_assert_eq(snare_mark_hook_remove(id), SNARE_OK);
  }
}

static void probe_args(const snare_mark_hit *hit, snare_frame *frame,
                       void *data) {
  tally *t = data;
  snare_mark_info info;
  cr_assert_eq(snare_mark_lookup(hit->mark, &info), SNARE_OK);
  int64_t v;
  cr_assert_eq(snare_mark_value_eval(frame, &info.args[0], &v), SNARE_OK);
  if (t->hits < 16)
    t->args[t->hits] = v;
  t->hits++;
}

Test(marks, probes_give_their_arguments_and_raise_semaphores) {
  for (int level = 0; level < 2; level++) {
    snare_mark_info p[8];
    marks_of(level, true, p, 8);
    const snare_mark_info *tick = probe(p, 2, "tick");
    volatile uint16_t *sem = (uint16_t *)(uintptr_t)tick->semaphore;
    cr_assert_eq(call1(symbol(level, "marks_ticks"), 5), 0);
    tally t = {0};
    snare_mark_filter f = {.flags = SNARE_MARK_MATCH_MARK, .mark = tick->id};
    int id;
    cr_assert_eq(snare_mark_hook(&f, probe_args, &t, NULL, &id), SNARE_OK);
    cr_assert_eq(*sem, 1);
    cr_assert_eq(call1(symbol(level, "marks_ticks"), 5), 5);
    cr_assert_eq(t.hits, 5);
    for (int i = 0; i < 5; i++)
      cr_assert_eq(t.args[i], i);
    cr_assert_eq(snare_mark_hook_remove(id), SNARE_OK);
    cr_assert_eq(*sem, 0);
    cr_assert_eq(*(uint8_t *)(uintptr_t)tick->address, 0x90);
    cr_assert_eq(call1(symbol(level, "marks_ticks"), 5), 0);
  }
}

Test(marks, jit_marks_with_register_data_are_armed_when_added) {
  uint64_t fn = symbol(1, "marks_memory");
  tally t = {0};
  snare_mark_filter f = {.flags = SNARE_MARK_MATCH_DATA2, .data2 = 9999};
  int hook, mark;
  cr_assert_eq(snare_mark_hook(&f, count_hit, &t, NULL, &hook), SNARE_OK);
  uint8_t before = *(uint8_t *)(uintptr_t)fn;
  snare_mark_value rdi = {.kind = SNARE_MARK_REGISTER, .reg = SNARE_REG_RDI};
  snare_mark_value tag = {.constant = 9999};
  cr_assert_eq(snare_mark_add(fn, rdi, tag, 0, &mark), SNARE_OK);
  snare_mark_info info;
  cr_assert_eq(snare_mark_lookup(mark, &info), SNARE_OK);
  cr_assert_eq(info.function, fn);
  cr_assert_eq(info.armed, 1);
  cr_assert_eq(call1(fn, 77), 77);
  cr_assert(t.hits == 1 && t.sum1 == 77 && t.sum2 == 9999);
  cr_assert_eq(snare_mark_remove(mark), SNARE_OK);
  cr_assert_eq(*(uint8_t *)(uintptr_t)fn, before);
  cr_assert_eq(call1(fn, 5), 5);
  cr_assert_eq(t.hits, 1);
  cr_assert_eq(snare_mark_hook_remove(hook), SNARE_OK);
}

Test(marks, bad_input_is_refused) {
  snare_mark_value ok = {0};
  snare_mark_value bad_reg = {.kind = SNARE_MARK_REGISTER, .reg = 99};
  snare_mark_value bad_width = {.kind = SNARE_MARK_MEMORY, .width = 3};
  uint64_t fn = symbol(0, "marks_loop");
  int id;
  cr_assert_eq(snare_mark_add(fn, bad_reg, ok, 0, &id),
               SNARE_INVALID_ARGUMENT);
  cr_assert_eq(snare_mark_add(fn, ok, bad_width, 0, &id),
               SNARE_INVALID_ARGUMENT);
  cr_assert_eq(snare_mark_add(symbol(0, "marks_memory") + 2, ok, ok, 0, &id),
               SNARE_INSIDE_INSTRUCTION); /* inside mov %rsp,%rbp (-O0) */
  static long data;
  cr_assert_eq(snare_mark_add((uint64_t)(uintptr_t)&data, ok, ok, 0, &id),
               SNARE_NOT_CODE);
  cr_assert_eq(snare_mark_remove(999999), SNARE_NOT_FOUND);
  snare_mark_info info;
  cr_assert_eq(snare_mark_lookup(999999, &info), SNARE_NOT_FOUND);
  cr_assert_eq(snare_mark_breakpoint_clear(999999), SNARE_NOT_FOUND);
  cr_assert_eq(snare_breakpoint_on_marks(NULL, &(snare_mark_filter){0}, NULL,
                                         &id),
               SNARE_INVALID_ARGUMENT);
  cr_assert_eq(snare_mark_hook(NULL, NULL, NULL, NULL, &id),
               SNARE_INVALID_ARGUMENT);
  snare_mark_value v;
  const char *refused[] = {"", "%xyz", "3@%eax", "foo(%rip)",
                           "(%rax,%rbx,4)", "$", "12"};
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
    cr_assert_eq(snare_mark_value_parse(refused[i], &v),
                 SNARE_INVALID_ARGUMENT, "%s", refused[i]);
  cr_assert_eq(snare_mark_value_parse("-4@-12(%rbp)", &v), SNARE_OK);
  cr_assert(v.kind == SNARE_MARK_MEMORY && v.reg == SNARE_REG_RBP &&
            v.offset == -12 && v.width == -4);
  cr_assert_eq(snare_mark_value_parse("2@%r9w", &v), SNARE_OK);
  cr_assert(v.kind == SNARE_MARK_REGISTER && v.reg == SNARE_REG_R9 &&
            v.width == 2);
  cr_assert_eq(snare_mark_value_parse("$-5", &v), SNARE_OK);
  cr_assert(v.kind == SNARE_MARK_CONSTANT && v.constant == -5);
}

Test(marks, closing_a_library_removes_its_marks) {
  size_t before = snare_mark_list(NULL, 0);
  snare_library *extra;
  cr_assert_eq(snare_library_open(fixture_path("O0", "loops"), &extra),
               SNARE_OK);
  cr_assert_eq(snare_library_marks(extra, NULL, 0), 0);
  snare_library_close(extra);
  cr_assert_eq(snare_mark_list(NULL, 0), before);
  /* a second handle on an open object registers nothing twice */
  cr_assert_eq(snare_library_open(fixture_path("O0", "marks"), &extra),
               SNARE_OK);
  cr_assert_eq(snare_mark_list(NULL, 0), before);
  snare_library_close(extra);
  cr_assert_eq(snare_mark_list(NULL, 0), before);
}

static void double_rdi_check(const snare_mark_hit *hit, snare_frame *frame,
                             void *data) {
  (void)hit;
  tally *t = data;
  uint64_t pc, sp;
  snare_frame_register_get(frame, SNARE_REG_RIP, &pc);
  snare_frame_register_get(frame, SNARE_REG_RSP, &sp);
  t->sum1 = (long)pc;
  t->sum2 = (long)sp;
  t->hits++;
}

Test(marks, planted_marks_take_hooks_through_a_jump_not_a_trap) {
  for (int level = 0; level < 2; level++) {
    snare_mark_info marks[16];
    size_t n = marks_of(level, false, marks, 16);
    const snare_mark_info *enter = NULL;
    for (size_t i = 0; i < n; i++)
      if (marks[i].data1.kind == SNARE_MARK_CONSTANT &&
          marks[i].data1.constant == SNARE_MARK_ENTER)
        enter = &marks[i];
    cr_assert_not_null(enter);
    uint8_t *site = (uint8_t *)(uintptr_t)enter->address;
    cr_assert_eq(memcmp(site, nop5, 5), 0);
    tally t = {0};
    snare_mark_filter f = {.flags = SNARE_MARK_MATCH_DATA1,
                           .data1 = SNARE_MARK_ENTER};
    int id;
    cr_assert_eq(snare_mark_hook(&f, double_rdi_check, &t, NULL, &id),
                 SNARE_OK);
    cr_assert_eq(site[0], 0xE9, "a jump, not a trap, at level %d", level);
    cr_assert_eq(call1(symbol(level, "marks_loop"), 10), 45);
    cr_assert_eq(t.hits, 1);
    /* The hook saw the context of the mark itself. */
    cr_assert_eq((uint64_t)t.sum1, enter->address);
    cr_assert_neq(t.sum2, 0);
    cr_assert_eq(snare_mark_hook_remove(id), SNARE_OK);
    cr_assert_eq(memcmp(site, nop5, 5), 0);
    cr_assert_eq(call1(symbol(level, "marks_loop"), 10), 45);
    cr_assert_eq(t.hits, 1);
  }
}
