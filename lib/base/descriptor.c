/* descriptor.c - snare's own descriptors out of the program's way. */
#include "internal/loader.h"
#include "snare.h"

int snare_descriptor_keep(int fd) { return snare_os_descriptor_keep(fd); }
