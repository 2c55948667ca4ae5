/*
 * follow.c - `snare profile --follow-exec`: the image an exec() starts
 * runs with the agent and the same script too. The variables that carry
 * the agent in are taken out of the environment at start (the program's
 * children run without it); following puts them back into the
 * environment the exec passes, with the generation (how many execs deep)
 * one higher and the directory snare started in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"

static const char *const carried[] = {
    "SNARE_AGENT_SCRIPT", "SNARE_AGENT_ARGS",    "SNARE_AGENT_PATH",
    "SNARE_AGENT_CPATH",  "SNARE_AGENT_PRELOAD", "LD_PRELOAD",
    "SNARE_AGENT_FOLLOW", "SNARE_AGENT_AT_MAIN",
};
#define CARRIED_COUNT (sizeof carried / sizeof carried[0])

/* The carried variables as "NAME=value", then the start directory and
   the generation; NULL when not following. */
static char *saved[CARRIED_COUNT + 3];

static char *entry(const char *name, const char *value) {
  size_t n = strlen(name), m = strlen(value);
  char *text = malloc(n + m + 2);
  if (text != NULL) {
    memcpy(text, name, n);
    text[n] = '=';
    memcpy(text + n + 1, value, m + 1);
  }
  return text;
}

/* Takes the variables only a followed image is given. */
static char *take(const char *name) {
  const char *value = getenv(name);
  char *copy = value != NULL ? strdup(value) : NULL;
  unsetenv(name);
  return copy;
}

void agent_follow_start(void) {
  char *generation = take("SNARE_AGENT_GENERATION");
  char *start_dir = take("SNARE_AGENT_START_DIR");
  the_agent.generation = generation != NULL ? atoi(generation) : 0;
  the_agent.start_dir = start_dir != NULL ? start_dir : getcwd(NULL, 0);
  free(generation);
  const char *follow = getenv("SNARE_AGENT_FOLLOW");
  if (follow == NULL || strcmp(follow, "1") != 0 ||
      the_agent.start_dir == NULL) {
    unsetenv("SNARE_AGENT_FOLLOW");
    return;
  }
  for (size_t i = 0; i < CARRIED_COUNT; i++) {
    const char *value = getenv(carried[i]);
    saved[i] = entry(carried[i], value != NULL ? value : "");
  }
  saved[CARRIED_COUNT] = entry("SNARE_AGENT_START_DIR", the_agent.start_dir);
  char next[16];
  snprintf(next, sizeof next, "%d", the_agent.generation + 1);
  saved[CARRIED_COUNT + 1] = entry("SNARE_AGENT_GENERATION", next);
  unsetenv("SNARE_AGENT_FOLLOW");
}

/* Whether "NAME=..." sets one of the variables following replaces. */
static bool replaced(const char *assignment) {
  for (size_t i = 0; i < CARRIED_COUNT + 2; i++) {
    if (saved[i] == NULL)
      continue;
    size_t n = strcspn(saved[i], "=") + 1;
    if (strncmp(assignment, saved[i], n) == 0)
      return true;
  }
  return false;
}

char **agent_follow_env(char *const envp[]) {
  if (saved[0] == NULL || atomic_load(&the_agent.child))
    return NULL;
  size_t count = 0;
  while (envp != NULL && envp[count] != NULL)
    count++;
  char **env = malloc((count + CARRIED_COUNT + 3) * sizeof *env);
  if (env == NULL)
    return NULL;
  size_t n = 0;
  for (size_t i = 0; i < count; i++)
    if (!replaced(envp[i]))
      env[n++] = envp[i];
  for (size_t i = 0; i < CARRIED_COUNT + 2; i++)
    if (saved[i] != NULL)
      env[n++] = saved[i];
  env[n] = NULL;
  return env;
}
