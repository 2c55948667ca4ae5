/*
 * input_file.h - what the libFuzzer harnesses share: the parsers under
 * test read files by path, so each input is written to a file first.
 */
#ifndef SNARE_FUZZ_INPUT_FILE_H
#define SNARE_FUZZ_INPUT_FILE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Replaces the contents of this process's scratch file with data[0..size)
 * and returns its path (static storage, the same for the whole run; the
 * file is removed at exit). Aborts if the file cannot be written: the
 * harness cannot test anything then.
 */
const char *fuzz_input_file(const uint8_t *data, size_t size);

#endif
