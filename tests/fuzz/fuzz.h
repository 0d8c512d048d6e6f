/*
 * The entry point every tests/fuzz/fuzz_*.c target defines: libFuzzer calls it
 * in a USTACK_FUZZ build, standalone.c calls it in an ordinary one. A target
 * aborts on any inconsistency it finds; it never prints on success.
 */
#ifndef UST_TESTS_FUZZ_H
#define UST_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
