/*
 * The stack's clock: real (CLOCK_MONOTONIC) or virtual (moved only by
 * ust_clock_advance, so tests see a 1 s retransmission after exactly 1 s with no
 * sleep). Readers never call this on the packet path: the stack reads it once
 * per event into core->now.
 */
#ifndef UST_CORE_CLOCK_H
#define UST_CORE_CLOCK_H

#include <stdint.h>
#include "ustack/stack.h"

struct ust_clock {
	enum ust_clock_mode mode;
	uint64_t virt_ns;
};

void ust_clock_init(struct ust_clock *c, enum ust_clock_mode mode, uint64_t start_ns);
uint64_t ust_clock_read(const struct ust_clock *c);
/* Virtual clock only; returns 0 or -EINVAL. */
int ust_clock_advance(struct ust_clock *c, uint64_t ns);
int ust_clock_set(struct ust_clock *c, uint64_t ns);

#endif
