/*
 * A stack on the virtual clock, for tests that drive time themselves
 * (ust_stack_advance) and need the same ISNs and ports on every run: the
 * seed fixes the stack's random choices.
 */
#ifndef UST_TEST_VSTACK_H
#define UST_TEST_VSTACK_H

#include <stdint.h>
#include "ustack/ustack.h"

static inline struct ust_stack *vstack(const char *name, uint64_t seed)
{
	struct ust_stack_config cfg;

	ust_stack_config_init(&cfg);
	cfg.name = name;
	cfg.clock = UST_CLOCK_VIRTUAL;
	cfg.seed = seed;
	return ust_stack_new(&cfg);
}

#endif
