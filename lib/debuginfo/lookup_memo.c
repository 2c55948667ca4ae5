/*
 * lookup_memo.c - the answers of the lookups by name that walk every
 * unit's top level (type_lookup.c: types, and variables with a static
 * address), kept per handle for the next time the name is asked.
 *
 * Why: printing a C++ object reads each static member of its class by
 * name, and each read walked all of the object's units. jsoncpp's
 * Json::Value has eleven static members, so one `p` of a std::map of
 * four values walked jsoncpp_test's units about 400 times: 6 s, where
 * gdb takes 0.3 s for the whole session. The DWARF does not change while
 * the handle is open, so an answer (a miss included) stays right.
 */
#include <stdlib.h>
#include <string.h>

#include "private.h"

typedef struct memo_entry {
  di_memo_kind kind;
  char *file; /* NULL: every unit */
  char *name;
  di_memo_answer answer;
} memo_entry;

/* Open addressing over entries; slots hold entry index + 1 (0: empty). */
struct di_memo {
  memo_entry *entries;
  size_t count, cap;
  size_t *slots;
  size_t slot_count; /* a power of two, at least twice count */
};

static size_t hash_text(size_t h, const char *s)
{
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211u;
  return (h ^ 0xff) * 1099511628211u; /* "a"+"b" and "ab" differ */
}

static size_t hash_key(di_memo_kind kind, const char *file, const char *name)
{
  size_t h = ((size_t)14695981039346656037u ^ (size_t)kind) * 1099511628211u;
  if (file)
    h = hash_text(h, file);
  return hash_text(h, name);
}

static bool same_key(const memo_entry *e, di_memo_kind kind,
                     const char *file, const char *name)
{
  return e->kind == kind && strcmp(e->name, name) == 0 &&
         (e->file == NULL ? file == NULL
                          : file != NULL && strcmp(e->file, file) == 0);
}

/* The slot holding the key, or the empty slot where it would go. */
static size_t *slot_of(const struct di_memo *m, di_memo_kind kind,
                       const char *file, const char *name)
{
  size_t mask = m->slot_count - 1;
  for (size_t i = hash_key(kind, file, name) & mask;; i = (i + 1) & mask) {
    size_t *slot = &m->slots[i];
    if (*slot == 0 || same_key(&m->entries[*slot - 1], kind, file, name))
      return slot;
  }
}

bool di_memo_find(const snare_debuginfo *di, di_memo_kind kind,
                  const char *file, const char *name, di_memo_answer *out)
{
  const struct di_memo *m = di->memo;
  if (m == NULL || m->slot_count == 0)
    return false;
  size_t *slot = slot_of(m, kind, file, name);
  if (*slot == 0)
    return false;
  *out = m->entries[*slot - 1].answer;
  return true;
}

static bool grow_slots(struct di_memo *m)
{
  size_t count = m->slot_count ? m->slot_count * 2 : 64;
  size_t *slots = calloc(count, sizeof *slots);
  if (!slots)
    return false;
  free(m->slots);
  m->slots = slots;
  m->slot_count = count;
  for (size_t i = 0; i < m->count; i++) {
    const memo_entry *e = &m->entries[i];
    *slot_of(m, e->kind, e->file, e->name) = i + 1;
  }
  return true;
}

void di_memo_keep(const snare_debuginfo *cdi, di_memo_kind kind,
                  const char *file, const char *name,
                  const di_memo_answer *answer)
{
  snare_debuginfo *di = (snare_debuginfo *)cdi; /* a cache of answers */
  if (answer->status != SNARE_OK && answer->status != SNARE_NOT_FOUND)
    return; /* (out of memory, say: the next lookup may succeed) */
  if (!di->memo && !(di->memo = calloc(1, sizeof *di->memo)))
    return;
  struct di_memo *m = di->memo;
  if ((m->count + 1) * 2 > m->slot_count && !grow_slots(m))
    return;
  if (*slot_of(m, kind, file, name) != 0 ||
      !di_reserve((void **)&m->entries, &m->cap, m->count, sizeof *m->entries))
    return;
  memo_entry e = {.kind = kind, .answer = *answer, .name = strdup(name),
                  .file = file ? strdup(file) : NULL};
  if (!e.name || (file && !e.file)) {
    free(e.name);
    free(e.file);
    return; /* not kept: the next lookup walks again */
  }
  m->entries[m->count++] = e;
  *slot_of(m, kind, file, name) = m->count;
}

void di_free_memo(snare_debuginfo *di)
{
  struct di_memo *m = di->memo;
  if (!m)
    return;
  for (size_t i = 0; i < m->count; i++) {
    free(m->entries[i].name);
    free(m->entries[i].file);
  }
  free(m->entries);
  free(m->slots);
  free(m);
  di->memo = NULL;
}
