/* hidden.h - marks internal symbols so the shared module exports only the
   public API and luaopen_*. */
#ifndef SNARE_INTERNAL_HIDDEN_H
#define SNARE_INTERNAL_HIDDEN_H
#define SNARE_HIDDEN __attribute__((visibility("hidden")))
/* Runs a function when the object holding it is loaded: how a higher part
   of the core registers with a lower one (lib/code/code.h's watchers), so
   that the lower part never names the higher. */
#define SNARE_AT_LOAD __attribute__((constructor))
#endif
