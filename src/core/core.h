/*
 * struct ust_core: what every layer of one stack shares, as Linux's struct net
 * is reached from every socket: the clock, the timers, the packet pool, the
 * random state and secrets, the settings (sysctls) and the counters. There is no global state: each
 * stack has its own core, and two stacks in one process never touch each
 * other's.
 */
#ifndef UST_CORE_CORE_H
#define UST_CORE_CORE_H

#include <stdint.h>
#include "core/clock.h"
#include "core/pktbuf.h"
#include "core/random.h"
#include "core/snmp.h"
#include "core/sysctl.h"
#include "core/timer.h"
#include "core/trace.h"

struct ust_core {
	uint64_t now;                 /* ns; read from the clock once per event */
	struct ust_clock clock;
	struct ust_timer_wheel timers;
	struct ust_pktpool pool;
	struct ust_rng rng;
	struct ust_secrets secrets;
	struct ust_mib mib;
	struct ust_sysctl sysctl;
	struct ust_trace trace;
	char name[16];
};

/* Reads the clock into core->now; call at the start of each event. */
static inline uint64_t ust_core_update_now(struct ust_core *c)
{
	c->now = ust_clock_read(&c->clock);
	return c->now;
}

/* The current tick (Linux's jiffies at HZ=1000). */
static inline uint64_t ust_jiffies(const struct ust_core *c) { return c->now / UST_TICK_NS; }

/* Arms t to fire `delay_ms` ticks from now. */
static inline void ust_core_timer_arm_ms(struct ust_core *c, struct ust_timer *t, uint64_t delay_ms)
{
	ust_timer_arm(&c->timers, t, ust_jiffies(c) + delay_ms);
}

#endif
