/* status.c - names of statuses, registers, stop kinds and reasons. */
#include <string.h>

#include "snare.h"

static const char *const status_names[] = {
#define NAME(code, message) #code,
    SNARE_STATUS_LIST(NAME)
#undef NAME
};

static const char *const status_messages[] = {
#define MESSAGE(code, message) message,
    SNARE_STATUS_LIST(MESSAGE)
#undef MESSAGE
};

static const char *const register_names[] = {
#define NAME(upper, lower) #lower,
    SNARE_REGISTER_LIST(NAME)
#undef NAME
};

static const char *const stop_kind_names[] = {
#define NAME(code, name) name,
    SNARE_STOP_KIND_LIST(NAME)
#undef NAME
};

static const char *const stop_reason_texts[] = {
#define TEXT(code, text) text,
    SNARE_STOP_REASON_LIST(TEXT)
#undef TEXT
};

const char *snare_status_name(snare_status status) {
  return (unsigned)status < SNARE_STATUS_COUNT ? status_names[status]
                                               : "UNKNOWN";
}

const char *snare_status_message(snare_status status) {
  return (unsigned)status < SNARE_STATUS_COUNT ? status_messages[status]
                                               : "unknown status";
}

const char *snare_register_name(snare_register reg) {
  return (unsigned)reg < SNARE_REG_COUNT ? register_names[reg] : NULL;
}

snare_status snare_register_lookup(const char *name, snare_register *out) {
  if (name == NULL || out == NULL)
    return SNARE_INVALID_ARGUMENT;
  if (strcmp(name, "pc") == 0) {
    *out = SNARE_REG_RIP;
    return SNARE_OK;
  }
  if (strcmp(name, "sp") == 0) {
    *out = SNARE_REG_RSP;
    return SNARE_OK;
  }
  for (int r = 0; r < SNARE_REG_COUNT; r++)
    if (strcmp(name, register_names[r]) == 0) {
      *out = (snare_register)r;
      return SNARE_OK;
    }
  return SNARE_NOT_FOUND;
}

const char *snare_stop_kind_name(snare_stop_kind kind) {
  return (unsigned)kind < SNARE_STOP_KIND_COUNT ? stop_kind_names[kind]
                                                : "unknown";
}

const char *snare_stop_reason_text(snare_stop_reason reason) {
  return (unsigned)reason < SNARE_STOP_REASON_COUNT
             ? stop_reason_texts[reason]
             : "unknown";
}
