/* hidden.h - marks internal symbols so the shared module exports only the
   public API and luaopen_*. */
#ifndef SNARE_INTERNAL_HIDDEN_H
#define SNARE_INTERNAL_HIDDEN_H
#define SNARE_HIDDEN __attribute__((visibility("hidden")))
#endif
