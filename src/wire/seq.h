/*
 * TCP sequence number comparisons, modulo 2^32 (RFC 9293 3.4), the only place they
 * live. Two numbers compare by the sign of their 32-bit difference, as Linux's
 * before()/after()/between() do, so the answer stays right across wraparound as
 * long as the two are less than 2^31 apart.
 */
#ifndef UST_WIRE_SEQ_H
#define UST_WIRE_SEQ_H

#include <stdbool.h>
#include <stdint.h>

/* a comes strictly before b. */
static inline bool before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/* a comes strictly after b. */
static inline bool after(uint32_t a, uint32_t b)
{
	return before(b, a);
}

/* lo <= x <= hi, both ends included, measured from lo. */
static inline bool between(uint32_t x, uint32_t lo, uint32_t hi)
{
	return hi - lo >= x - lo;
}

#endif
