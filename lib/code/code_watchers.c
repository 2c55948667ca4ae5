/*
 * code_watchers.c - how the parts above code (breakpoints, hooks, marks,
 * patch sites) learn that code went away (or was unmapped under them),
 * was rewritten, or arrived with a library, without code calling them: each registers a watcher when it
 * is loaded (SNARE_AT_LOAD), and code tells every watcher in turn.
 */
#include "code/code.h"

#define MAX_WATCHERS 8

static const snare_code_watcher *watchers[MAX_WATCHERS];
static size_t watcher_count;

void snare_code_watch(const snare_code_watcher *watcher) {
  if (watcher_count < MAX_WATCHERS) /* a fixed set of parts: never full */
    watchers[watcher_count++] = watcher;
}

void snare_code_removed(uint64_t start, uint64_t size) {
  for (size_t i = 0; i < watcher_count; i++)
    if (watchers[i]->removed != NULL)
      watchers[i]->removed(start, size);
}

void snare_code_unmapped(uint64_t start, uint64_t size) {
  for (size_t i = 0; i < watcher_count; i++)
    if (watchers[i]->unmapped != NULL)
      watchers[i]->unmapped(start, size);
  snare_code_removed(start, size);
}

void snare_code_rewritten(uint64_t start, uint64_t size) {
  for (size_t i = 0; i < watcher_count; i++)
    if (watchers[i]->rewritten != NULL)
      watchers[i]->rewritten(start, size);
}

void snare_code_library_opened(const char *file, uint64_t bias) {
  for (size_t i = 0; i < watcher_count; i++)
    if (watchers[i]->library_opened != NULL)
      watchers[i]->library_opened(file, bias);
}
