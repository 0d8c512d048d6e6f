/* The stack clock: CLOCK_MONOTONIC, or a virtual counter that only tests move. */
#include <errno.h>
#include <time.h>
#include "core/clock.h"

void ust_clock_init(struct ust_clock *c, enum ust_clock_mode mode, uint64_t start_ns)
{
	c->mode = mode;
	c->virt_ns = start_ns;
}

uint64_t ust_clock_read(const struct ust_clock *c)
{
	struct timespec ts;

	if (c->mode == UST_CLOCK_VIRTUAL)
		return c->virt_ns;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int ust_clock_advance(struct ust_clock *c, uint64_t ns)
{
	if (c->mode != UST_CLOCK_VIRTUAL || c->virt_ns + ns < c->virt_ns)
		return -EINVAL;
	c->virt_ns += ns;
	return 0;
}

/* Virtual time never runs backwards: timers already run stay run. */
int ust_clock_set(struct ust_clock *c, uint64_t ns)
{
	if (c->mode != UST_CLOCK_VIRTUAL || ns < c->virt_ns)
		return -EINVAL;
	c->virt_ns = ns;
	return 0;
}
