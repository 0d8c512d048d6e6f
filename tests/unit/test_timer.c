/*
 * The timing wheel: a timer fires at exactly its tick, never one early, once,
 * in expiry order across cascades; callbacks may arm and cancel anything;
 * overdue arms fire at the next run; big jumps of now are cheap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "core/compiler.h"
#include "core/timer.h"

/* ---- helpers ------------------------------------------------------------ */

struct probe {
	struct ust_timer t;
	struct ust_timer_wheel *w;
	unsigned fired;
	uint64_t fired_at;           /* w->now - 1 inside the callback: the tick run */
	uint64_t period;             /* periodic: re-arm at expires + period */
	uint64_t until;              /* periodic: stop after this tick */
	struct probe **victims;      /* cancel these from the callback */
	unsigned nvictims;
	unsigned cancels_true;       /* how many of those cancels returned true */
	uint64_t *log;               /* ticks fired, in order */
	unsigned *nlog;
};

static void probe_fn(struct ust_timer *t)
{
	struct probe *p = container_of(t, struct probe, t);
	unsigned i;

	assert_false(ust_timer_pending(t));
	p->fired++;
	p->fired_at = p->w->now - 1;
	if (p->log)
		p->log[(*p->nlog)++] = p->fired_at;
	for (i = 0; i < p->nvictims; i++)
		if (ust_timer_cancel(p->w, &p->victims[i]->t))
			p->cancels_true++;
	if (p->period && t->expires + p->period <= p->until)
		ust_timer_arm(p->w, t, t->expires + p->period);
}

static void probe_init(struct probe *p, struct ust_timer_wheel *w)
{
	memset(p, 0, sizeof(*p));
	p->w = w;
	ust_timer_init(&p->t, probe_fn);
}

/* splitmix64: a private, seeded generator so this test does not depend on random.c. */
static uint64_t sm64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* ---- exact ticks ---------------------------------------------------------- */

static const uint64_t delays[] = {
	1, 2, 3, 254, 255, 256, 257, 511, 512, 513,
	(1ULL << 14) - 1, 1ULL << 14, (1ULL << 14) + 1,
	(1ULL << 20) - 1, 1ULL << 20, (1ULL << 20) + 1,
	(1ULL << 26) - 1, 1ULL << 26, (1ULL << 26) + 1,
	(1ULL << 32) - 1, 1ULL << 32, (1ULL << 32) + 1,
	(1ULL << 33) + 12345, (1ULL << 38) + 7,
};
static const uint64_t starts[] = { 0, 1, 100, 255, 256, 16383, 16384, 12345678, (1ULL << 32) - 3 };

/* Armed at start + d: nothing at expires - 1, fires at expires, exactly once. */
static void test_timer_fires_at_exact_tick_not_one_early(void **state)
{
	size_t si, di;

	(void)state;
	for (si = 0; si < UST_ARRAY_SIZE(starts); si++) {
		for (di = 0; di < UST_ARRAY_SIZE(delays); di++) {
			struct ust_timer_wheel w;
			struct probe p;
			uint64_t e = starts[si] + delays[di];

			ust_timer_wheel_init(&w, starts[si]);
			probe_init(&p, &w);
			ust_timer_arm(&w, &p.t, e);
			assert_true(ust_timer_pending(&p.t));
			assert_int_equal(w.pending, 1);
			/* a bound <= expires, and never a tick already run */
			assert_true(ust_timer_wheel_next(&w) <= e);
			assert_true(ust_timer_wheel_next(&w) >= w.now);
			assert_int_equal(ust_timer_wheel_run(&w, e - 1), 0);
			assert_int_equal(p.fired, 0);
			assert_int_equal(w.now, e);
			assert_int_equal(ust_timer_wheel_next(&w), e);
			assert_int_equal(ust_timer_wheel_run(&w, e), 1);
			assert_int_equal(p.fired, 1);
			assert_int_equal(p.fired_at, e);
			assert_int_equal(w.pending, 0);
			assert_false(ust_timer_pending(&p.t));
			assert_int_equal(ust_timer_wheel_run(&w, e + (1ULL << 34)), 0);
			assert_int_equal(p.fired, 1);
			assert_int_equal(ust_timer_wheel_next(&w), UST_TIMER_NEVER);
		}
	}
}

/* The same, approached in steps (half way, then tick by tick over the last 3),
 * so the cascades happen across several runs. */
static void test_timer_fires_at_exact_tick_stepwise(void **state)
{
	size_t si, di;

	(void)state;
	for (si = 0; si < UST_ARRAY_SIZE(starts); si++) {
		for (di = 0; di < UST_ARRAY_SIZE(delays); di++) {
			struct ust_timer_wheel w;
			struct probe p;
			uint64_t s = starts[si], e = s + delays[di], now;

			ust_timer_wheel_init(&w, s);
			probe_init(&p, &w);
			ust_timer_arm(&w, &p.t, e);
			ust_timer_wheel_run(&w, s + delays[di] / 2);
			for (now = e >= s + 3 ? e - 3 : s; now < e; now++) {
				assert_int_equal(ust_timer_wheel_run(&w, now), 0);
				assert_true(ust_timer_wheel_next(&w) <= e);
				assert_true(ust_timer_wheel_next(&w) > now);
			}
			assert_int_equal(p.fired, 0);
			assert_int_equal(ust_timer_wheel_run(&w, e), 1);
			assert_int_equal(p.fired_at, e);
		}
	}
}

/* Ticks 0..4000 each get a timer; run tick by tick: one fires per tick, at it. */
static void test_timer_tick_by_tick_every_tick(void **state)
{
	enum { N = 4000 };
	struct ust_timer_wheel w;
	struct probe *p = calloc(N, sizeof(*p));
	uint64_t now;

	(void)state;
	assert_non_null(p);
	ust_timer_wheel_init(&w, 0);
	for (now = 0; now < N; now++) {
		probe_init(&p[now], &w);
		ust_timer_arm(&w, &p[now].t, now + 1);
	}
	for (now = 0; now <= N; now++) {
		assert_int_equal(ust_timer_wheel_run(&w, now), now == 0 ? 0 : 1);
		if (now)
			assert_int_equal(p[now - 1].fired_at, now);
	}
	assert_int_equal(w.pending, 0);
	free(p);
}

/* ---- arm, re-arm, cancel ---------------------------------------------------- */

static void test_timer_rearm_moves_it(void **state)
{
	struct ust_timer_wheel w;
	struct probe p;

	(void)state;
	ust_timer_wheel_init(&w, 0);
	probe_init(&p, &w);
	ust_timer_arm(&w, &p.t, 100);
	ust_timer_arm(&w, &p.t, 50);          /* earlier */
	assert_int_equal(w.pending, 1);
	assert_int_equal(ust_timer_wheel_next(&w), 50);
	assert_int_equal(ust_timer_wheel_run(&w, 49), 0);
	assert_int_equal(ust_timer_wheel_run(&w, 50), 1);
	assert_int_equal(p.fired_at, 50);
	assert_int_equal(ust_timer_wheel_run(&w, 200), 0);

	ust_timer_arm(&w, &p.t, 300);
	ust_timer_arm(&w, &p.t, 70000);       /* later, other level */
	ust_timer_arm(&w, &p.t, 5000);        /* back down */
	assert_int_equal(w.pending, 1);
	assert_int_equal(ust_timer_wheel_run(&w, 4999), 0);
	assert_int_equal(ust_timer_wheel_run(&w, 5000), 1);
	assert_int_equal(p.fired, 2);
	assert_int_equal(p.fired_at, 5000);
	assert_int_equal(ust_timer_wheel_run(&w, 100000), 0);
	assert_int_equal(ust_timer_wheel_next(&w), UST_TIMER_NEVER);
	assert_int_equal(w.pending, 0);
}

static void test_timer_cancel_returns_whether_pending(void **state)
{
	static const uint64_t at[] = { 5, 300, 20000, 2000000, 100000000, 5000000000ULL };
	struct ust_timer_wheel w;
	struct probe p, q;
	size_t i;

	(void)state;
	ust_timer_wheel_init(&w, 0);
	probe_init(&p, &w);
	probe_init(&q, &w);
	assert_false(ust_timer_cancel(&w, &p.t));
	for (i = 0; i < UST_ARRAY_SIZE(at); i++) {
		ust_timer_arm(&w, &p.t, at[i]);
		assert_true(ust_timer_cancel(&w, &p.t));
		assert_false(ust_timer_cancel(&w, &p.t));
		assert_false(ust_timer_pending(&p.t));
		assert_int_equal(w.pending, 0);
		/* the slot emptied: its bit is gone too */
		assert_int_equal(ust_timer_wheel_next(&w), UST_TIMER_NEVER);
	}
	/* Two in one slot: cancelling either leaves the other findable. */
	ust_timer_arm(&w, &p.t, 40);
	ust_timer_arm(&w, &q.t, 40);
	assert_true(ust_timer_cancel(&w, &q.t));      /* q is first in the chain */
	assert_int_equal(ust_timer_wheel_next(&w), 40);
	ust_timer_arm(&w, &q.t, 40);
	assert_true(ust_timer_cancel(&w, &p.t));      /* p is second */
	assert_int_equal(ust_timer_wheel_next(&w), 40);
	assert_int_equal(ust_timer_wheel_run(&w, 1000000000ULL), 1);
	assert_int_equal(q.fired_at, 40);
	assert_int_equal(p.fired, 0);
	assert_false(ust_timer_cancel(&w, &q.t));     /* already fired */
	assert_int_equal(w.pending, 0);
}

/* A, B, C due at the same tick; whichever fires first cancels the other two,
 * which are then on the run's local chain. Exactly one fires. */
static void test_timer_cancel_from_callback_same_tick(void **state)
{
	struct ust_timer_wheel w;
	struct probe p[3];
	struct probe *others[3][2] = { { &p[1], &p[2] }, { &p[0], &p[2] }, { &p[0], &p[1] } };
	unsigned i, fired = 0, cancelled = 0;

	(void)state;
	ust_timer_wheel_init(&w, 0);
	for (i = 0; i < 3; i++) {
		probe_init(&p[i], &w);
		p[i].victims = others[i];
		p[i].nvictims = 2;
		ust_timer_arm(&w, &p[i].t, 777);
	}
	assert_int_equal(ust_timer_wheel_run(&w, 10000), 1);
	for (i = 0; i < 3; i++) {
		fired += p[i].fired;
		cancelled += p[i].cancels_true;
	}
	assert_int_equal(fired, 1);
	assert_int_equal(cancelled, 2);
	assert_int_equal(w.pending, 0);
}

/* A at 10 cancels B at 11 (same level-0 window), C at 10+300 (level 1) and D
 * at 2^30 (level 4); E at 12 is not touched and fires. */
static void test_timer_cancel_from_callback_later_slot(void **state)
{
	struct ust_timer_wheel w;
	struct probe a, b, c, d, e;
	struct probe *victims[] = { &b, &c, &d };

	(void)state;
	ust_timer_wheel_init(&w, 0);
	probe_init(&a, &w);
	probe_init(&b, &w);
	probe_init(&c, &w);
	probe_init(&d, &w);
	probe_init(&e, &w);
	a.victims = victims;
	a.nvictims = 3;
	ust_timer_arm(&w, &a.t, 10);
	ust_timer_arm(&w, &b.t, 11);
	ust_timer_arm(&w, &c.t, 310);
	ust_timer_arm(&w, &d.t, 1ULL << 30);
	ust_timer_arm(&w, &e.t, 12);
	assert_int_equal(w.pending, 5);
	assert_int_equal(ust_timer_wheel_run(&w, 1ULL << 31), 2);
	assert_int_equal(a.cancels_true, 3);
	assert_int_equal(a.fired_at, 10);
	assert_int_equal(e.fired_at, 12);
	assert_int_equal(b.fired + c.fired + d.fired, 0);
	assert_int_equal(w.pending, 0);
	assert_int_equal(ust_timer_wheel_next(&w), UST_TIMER_NEVER);
}

/* A callback cancels itself after re-arming: it does not fire again. */
static void self_rearm_then_cancel_fn(struct ust_timer *t)
{
	struct probe *p = container_of(t, struct probe, t);

	p->fired++;
	ust_timer_arm(p->w, t, t->expires + 5);
	assert_true(ust_timer_cancel(p->w, t));
	assert_false(ust_timer_cancel(p->w, t));
}

static void test_timer_callback_cancels_itself(void **state)
{
	struct ust_timer_wheel w;
	struct probe p;

	(void)state;
	ust_timer_wheel_init(&w, 0);
	probe_init(&p, &w);
	p.t.fn = self_rearm_then_cancel_fn;
	ust_timer_arm(&w, &p.t, 3);
	assert_int_equal(ust_timer_wheel_run(&w, 1000), 1);
	assert_int_equal(p.fired, 1);
	assert_int_equal(w.pending, 0);
}

/* ---- periodic and re-arm semantics ----------------------------------------- */

/* Re-arming at expires + period fires at exactly k * period, in one run that
 * jumps over all of them, and in tick-by-tick runs alike. */
static void test_timer_self_rearm_periodic_exact_ticks(void **state)
{
	static const uint64_t periods[] = { 1, 7, 255, 256, 257, 1000, 16384, 100003 };
	size_t i;

	(void)state;
	for (i = 0; i < UST_ARRAY_SIZE(periods); i++) {
		struct ust_timer_wheel w;
		struct probe p;
		uint64_t log[4200];
		unsigned nlog = 0, k, expect;
		uint64_t until = periods[i] * 4000, now;

		ust_timer_wheel_init(&w, 0);
		probe_init(&p, &w);
		p.period = periods[i];
		p.until = until;
		p.log = log;
		p.nlog = &nlog;
		ust_timer_arm(&w, &p.t, periods[i]);
		expect = 4000;
		assert_int_equal(ust_timer_wheel_run(&w, until + 5), expect);
		assert_int_equal(nlog, expect);
		for (k = 0; k < nlog; k++)
			assert_int_equal(log[k], (uint64_t)(k + 1) * periods[i]);
		assert_int_equal(w.pending, 0);

		if (periods[i] > 1000)
			continue;
		/* tick by tick */
		nlog = 0;
		ust_timer_wheel_init(&w, 0);
		probe_init(&p, &w);
		p.period = periods[i];
		p.until = until;
		p.log = log;
		p.nlog = &nlog;
		ust_timer_arm(&w, &p.t, periods[i]);
		for (now = 0; now <= until + 5; now++) {
			unsigned n = ust_timer_wheel_run(&w, now);

			assert_int_equal(n, (now && now % periods[i] == 0 && now <= until) ? 1 : 0);
		}
		assert_int_equal(nlog, expect);
	}
}

/* A callback at tick T arming for T + 256 reuses T's slot: fires at T + 256. */
static void rearm_256_fn(struct ust_timer *t)
{
	struct probe *p = container_of(t, struct probe, t);

	p->log[(*p->nlog)++] = p->w->now - 1;
	if (*p->nlog < 4)
		ust_timer_arm(p->w, t, p->w->now - 1 + 256);
}

static void test_timer_rearm_into_own_slot_next_lap(void **state)
{
	struct ust_timer_wheel w;
	struct probe p;
	uint64_t log[8];
	unsigned nlog = 0;

	(void)state;
	ust_timer_wheel_init(&w, 0);
	probe_init(&p, &w);
	p.t.fn = rearm_256_fn;
	p.log = log;
	p.nlog = &nlog;
	ust_timer_arm(&w, &p.t, 10);
	assert_int_equal(ust_timer_wheel_run(&w, 10 + 256 * 2), 3);
	assert_int_equal(log[0], 10);
	assert_int_equal(log[1], 266);
	assert_int_equal(log[2], 522);
	assert_int_equal(ust_timer_wheel_run(&w, 777), 0);
	assert_int_equal(ust_timer_wheel_run(&w, 778), 1);
	assert_int_equal(log[3], 778);
}

/* Re-arming for the tick being run (or earlier) from a callback: not in this
 * run, at the start of the next one, whatever its now. No loop. */
static void rearm_past_fn(struct ust_timer *t)
{
	struct probe *p = container_of(t, struct probe, t);

	p->fired++;
	p->fired_at = p->w->now - 1;
	if (p->fired < 5)
		ust_timer_arm(p->w, t, p->fired & 1 ? p->w->now - 1 : 3);
}

static void test_timer_rearm_for_past_fires_at_next_run(void **state)
{
	struct ust_timer_wheel w;
	struct probe p, late;

	(void)state;
	ust_timer_wheel_init(&w, 0);
	probe_init(&p, &w);
	probe_init(&late, &w);
	p.t.fn = rearm_past_fn;
	ust_timer_arm(&w, &p.t, 20);
	ust_timer_arm(&w, &late.t, 25);
	assert_int_equal(ust_timer_wheel_run(&w, 100), 2);   /* p once, late once */
	assert_int_equal(p.fired, 1);
	assert_int_equal(p.fired_at, 20);
	assert_true(ust_timer_pending(&p.t));
	assert_int_equal(w.pending, 1);
	/* overdue: next() says "before now" */
	assert_true(ust_timer_wheel_next(&w) < w.now);
	assert_int_equal(ust_timer_wheel_next(&w), 20);
	/* The next run fires it, even with the same (or an older) now. */
	assert_int_equal(ust_timer_wheel_run(&w, 100), 1);
	assert_int_equal(p.fired, 2);
	assert_int_equal(ust_timer_wheel_run(&w, 50), 1);
	assert_int_equal(p.fired, 3);
	assert_int_equal(w.now, 101);                       /* time did not go back */
	assert_int_equal(ust_timer_wheel_run(&w, 101), 1);
	assert_int_equal(ust_timer_wheel_run(&w, 102), 1);
	assert_int_equal(p.fired, 5);
	assert_int_equal(ust_timer_wheel_run(&w, 103), 0);
	assert_int_equal(w.pending, 0);
	assert_int_equal(ust_timer_wheel_next(&w), UST_TIMER_NEVER);

	/* Armed for the past from outside a run: the next run, first. */
	probe_init(&p, &w);
	ust_timer_arm(&w, &p.t, 5);
	ust_timer_arm(&w, &late.t, w.now);                  /* not yet run: level 0 */
	assert_int_equal(ust_timer_wheel_next(&w), 5);
	assert_int_equal(ust_timer_wheel_run(&w, w.now), 2);
	assert_int_equal(p.fired, 1);
	/* Overdue timers can be cancelled and re-armed too. */
	ust_timer_arm(&w, &p.t, 1);
	assert_true(ust_timer_cancel(&w, &p.t));
	assert_int_equal(ust_timer_wheel_next(&w), UST_TIMER_NEVER);
	ust_timer_arm(&w, &p.t, 1);
	ust_timer_arm(&w, &p.t, w.now + 10);                /* overdue -> wheel */
	assert_int_equal(ust_timer_wheel_next(&w), w.now + 10);
	assert_int_equal(w.pending, 1);
}

/* A callback arming another timer for a later tick within this run's now:
 * fires in this run, in order. */
static void chain_fn(struct ust_timer *t)
{
	struct probe *p = container_of(t, struct probe, t);

	p->fired++;
	p->fired_at = p->w->now - 1;
	p->log[(*p->nlog)++] = p->fired_at;
	if (p->victims)   /* reused as "the next timer to arm" */
		ust_timer_arm(p->w, &p->victims[0]->t, p->fired_at + p->period);
}

static void test_timer_arm_from_callback_fires_same_run_in_order(void **state)
{
	struct ust_timer_wheel w;
	struct probe a, b, c, other;
	struct probe *pb = &b, *pc = &c;
	uint64_t log[8];
	unsigned nlog = 0;

	(void)state;
	ust_timer_wheel_init(&w, 0);
	probe_init(&a, &w);
	probe_init(&b, &w);
	probe_init(&c, &w);
	probe_init(&other, &w);
	a.t.fn = b.t.fn = c.t.fn = other.t.fn = chain_fn;
	a.log = b.log = c.log = other.log = log;
	a.nlog = b.nlog = c.nlog = other.nlog = &nlog;
	a.victims = &pb;
	a.period = 1;            /* b at 101 */
	b.victims = &pc;
	b.period = 70000;        /* c at 70101, via level 2 */
	ust_timer_arm(&w, &a.t, 100);
	ust_timer_arm(&w, &other.t, 300);
	assert_int_equal(ust_timer_wheel_run(&w, 1000000), 4);
	assert_int_equal(nlog, 4);
	assert_int_equal(log[0], 100);
	assert_int_equal(log[1], 101);
	assert_int_equal(log[2], 300);
	assert_int_equal(log[3], 70101);
}

/* ---- order, next(), jumps --------------------------------------------------- */

struct ord {
	struct ust_timer t;
	struct ust_timer_wheel *w;
	uint64_t *last;
	unsigned *fired;
	int done;
};

static void ord_fn(struct ust_timer *t)
{
	struct ord *o = container_of(t, struct ord, t);
	uint64_t tick = o->w->now - 1;

	assert_int_equal(tick, t->expires);
	assert_true(tick >= *o->last);
	assert_false(o->done);
	*o->last = tick;
	o->done = 1;
	(*o->fired)++;
}

/* Expiries log-uniform over 1 .. 2^36 so every level and the parking are used;
 * one run over everything, then again in uneven steps. */
static void test_timer_order_across_cascades(void **state)
{
	enum { N = 20000 };
	struct ord *o = calloc(N, sizeof(*o));
	int pass;

	(void)state;
	assert_non_null(o);
	for (pass = 0; pass < 2; pass++) {
		struct ust_timer_wheel w;
		uint64_t seed = 12345 + (uint64_t)pass, last = 0, now = 0, max = 0;
		unsigned fired = 0, i;

		ust_timer_wheel_init(&w, 0);
		for (i = 0; i < N; i++) {
			uint64_t r = sm64(&seed);
			unsigned bits = (unsigned)(r % 36) + 1;
			uint64_t e = 1 + (sm64(&seed) & ((1ULL << bits) - 1));

			memset(&o[i], 0, sizeof(o[i]));
			ust_timer_init(&o[i].t, ord_fn);
			o[i].w = &w;
			o[i].last = &last;
			o[i].fired = &fired;
			ust_timer_arm(&w, &o[i].t, e);
			if (e > max)
				max = e;
		}
		assert_int_equal(w.pending, N);
		if (pass == 0) {
			assert_int_equal(ust_timer_wheel_run(&w, max), N);
		} else {
			while (w.pending) {
				uint64_t nx = ust_timer_wheel_next(&w);

				assert_true(nx >= w.now);
				/* sometimes exactly next(), sometimes a random bit past it */
				now = (sm64(&seed) & 1) ? nx : nx + (sm64(&seed) & 0xfffff);
				ust_timer_wheel_run(&w, now);
			}
		}
		assert_int_equal(fired, N);
		assert_int_equal(w.pending, 0);
		for (i = 0; i < N; i++)
			assert_true(o[i].done);
	}
	free(o);
}

/* next(): exact in level 0, a lower bound above; polling next() and running
 * at it reaches the exact tick in a few steps. */
static void test_timer_next_values(void **state)
{
	static const uint64_t at[] = { 1, 200, 255, 256, 300, 16384, 70000, 5000000,
				       (1ULL << 32) + 5, (1ULL << 35) + 99 };
	size_t i;

	(void)state;
	for (i = 0; i < UST_ARRAY_SIZE(at); i++) {
		struct ust_timer_wheel w;
		struct probe p;
		unsigned steps = 0;

		ust_timer_wheel_init(&w, 0);
		assert_int_equal(ust_timer_wheel_next(&w), UST_TIMER_NEVER);
		probe_init(&p, &w);
		ust_timer_arm(&w, &p.t, at[i]);
		if (at[i] < 256)
			assert_int_equal(ust_timer_wheel_next(&w), at[i]);
		while (!p.fired) {
			uint64_t nx = ust_timer_wheel_next(&w);

			assert_true(nx <= at[i]);
			assert_true(nx >= w.now);
			ust_timer_wheel_run(&w, nx);
			steps++;
			assert_true(steps <= 24);   /* ~8 re-parks for 2^35, then 5 levels */
		}
		assert_int_equal(p.fired_at, at[i]);
		assert_int_equal(ust_timer_wheel_next(&w), UST_TIMER_NEVER);
	}

	/* Specific bounds: from 0, a timer at 300 is in level 1's span 256..511. */
	{
		struct ust_timer_wheel w;
		struct probe p, q;

		ust_timer_wheel_init(&w, 0);
		probe_init(&p, &w);
		probe_init(&q, &w);
		ust_timer_arm(&w, &p.t, 300);
		assert_int_equal(ust_timer_wheel_next(&w), 256);
		ust_timer_arm(&w, &q.t, 200);                /* earlier, level 0: exact */
		assert_int_equal(ust_timer_wheel_next(&w), 200);
		assert_int_equal(ust_timer_wheel_run(&w, 200), 1);
		assert_int_equal(ust_timer_wheel_next(&w), 256);
		assert_int_equal(ust_timer_wheel_run(&w, 256), 0);  /* cascade only */
		assert_int_equal(ust_timer_wheel_next(&w), 300);    /* now exact */
		/* a wrapped level-0 slot (index below now & 255) */
		ust_timer_wheel_init(&w, 250);
		probe_init(&p, &w);
		ust_timer_arm(&w, &p.t, 260);
		assert_int_equal(ust_timer_wheel_next(&w), 260);
		assert_int_equal(ust_timer_wheel_run(&w, 259), 0);
		assert_int_equal(ust_timer_wheel_run(&w, 260), 1);
	}
}

/* A periodic 10-minute timer and a one-hour timer, time advanced an hour at a
 * time for 1000 hours: each run visits only the ticks with work (tick by tick
 * this would be 3.6e9 iterations and the test would time out). */
static void test_timer_big_jumps_of_now(void **state)
{
	struct ust_timer_wheel w;
	struct probe periodic, hourly;
	const uint64_t hour = 3600ULL * 1000, ten_min = 600ULL * 1000;
	uint64_t now = 0;
	unsigned h, total = 0;

	(void)state;
	ust_timer_wheel_init(&w, 0);
	probe_init(&periodic, &w);
	probe_init(&hourly, &w);
	periodic.period = ten_min;
	periodic.until = UINT64_MAX / 2;
	ust_timer_arm(&w, &periodic.t, ten_min);
	for (h = 1; h <= 1000; h++) {
		ust_timer_arm(&w, &hourly.t, now + hour);
		now += hour;
		total += ust_timer_wheel_run(&w, now);
		assert_int_equal(periodic.fired, 6 * h);
		assert_int_equal(periodic.fired_at, now);
		assert_int_equal(hourly.fired, h);
		assert_int_equal(hourly.fired_at, now);
	}
	assert_int_equal(total, 7000);
	/* One giant jump of 2^40 ticks with nothing armed but the periodic one
	 * stopped: cheap as well. */
	ust_timer_cancel(&w, &periodic.t);
	ust_timer_arm(&w, &hourly.t, now + (1ULL << 39));
	assert_int_equal(ust_timer_wheel_run(&w, now + (1ULL << 40)), 1);
	assert_int_equal(hourly.fired_at, now + (1ULL << 39));
	assert_int_equal(ust_timer_wheel_run(&w, UST_TIMER_NEVER), 0);
}

/* ---- a million timers ------------------------------------------------------ */

struct mctx;

struct mitem {
	struct ust_timer t;
	struct mctx *ctx;
	uint64_t want;               /* the tick it must fire at, while armed */
	uint8_t armed;               /* mirror of ust_timer_pending() */
	uint8_t touched;             /* cancelled or re-armed after the first arm */
	uint16_t fired;
};

struct mctx {
	struct ust_timer_wheel w;
	struct mitem *items;
	unsigned n;
	uint64_t rng;
	uint64_t last;               /* last tick fired */
	uint64_t run_now;            /* now of the current run */
	uint64_t min_tick;           /* previous run's now + 1: nothing may fire below */
	uint64_t outstanding;        /* armed and not yet fired or cancelled */
	uint64_t fires;
};

static void mitem_fn(struct ust_timer *t)
{
	struct mitem *it = container_of(t, struct mitem, t);
	struct mctx *c = it->ctx;
	uint64_t tick = c->w.now - 1;
	uint64_t r;

	/* Exactly at its tick, never early, not late (first run covering it),
	 * in order, once per arm. Checked with plain ifs then one assert: the
	 * cmocka macros are slow at a million calls. */
	if (!it->armed || tick != it->want || tick > c->run_now || tick < c->min_tick ||
	    tick < c->last)
		fail_msg("timer %u: armed %d want %llu tick %llu run %llu min %llu last %llu",
			 (unsigned)(it - c->items), it->armed, (unsigned long long)it->want,
			 (unsigned long long)tick, (unsigned long long)c->run_now,
			 (unsigned long long)c->min_tick, (unsigned long long)c->last);
	c->last = tick;
	it->armed = 0;
	it->fired++;
	c->outstanding--;
	c->fires++;

	/* One callback in 8 cancels or re-arms a random timer (maybe itself,
	 * maybe one due this very tick). */
	r = sm64(&c->rng);
	if ((r & 7) == 0) {
		struct mitem *o = &c->items[(r >> 8) % c->n];

		o->touched = 1;
		if (r & 0x10) {
			bool was = ust_timer_cancel(&c->w, &o->t);

			if (was != (bool)o->armed)
				fail_msg("cancel returned %d, armed %d", was, o->armed);
			if (was)
				c->outstanding--;
			o->armed = 0;
		} else {
			uint64_t e = tick + 1 + ((r >> 40) % 200000);

			if (!o->armed)
				c->outstanding++;
			ust_timer_arm(&c->w, &o->t, e);
			o->armed = 1;
			o->want = e;
		}
	}
}

static void test_timer_million_random(void **state)
{
	enum { N = 1000000 };
	const uint64_t span = 10000000;   /* 10^7 ticks */
	struct mctx *c = calloc(1, sizeof(*c));
	unsigned i, runs = 0;
	uint64_t now = 0, total = 0, end;

	(void)state;
	assert_non_null(c);
	c->items = calloc(N, sizeof(*c->items));
	assert_non_null(c->items);
	c->n = N;
	c->rng = 0x5eed;
	ust_timer_wheel_init(&c->w, 0);
	for (i = 0; i < N; i++) {
		struct mitem *it = &c->items[i];
		uint64_t e = sm64(&c->rng) % span;

		if (i % 1000 == 999)   /* a few beyond 2^32: parked and re-filed */
			e = (1ULL << 32) + sm64(&c->rng) % (1ULL << 33);
		ust_timer_init(&it->t, mitem_fn);
		it->ctx = c;
		ust_timer_arm(&c->w, &it->t, e);
		it->want = e;
		it->armed = 1;
	}
	c->outstanding = N;
	/* Cancel 10 %, re-arm another 10 % (some twice). */
	for (i = 0; i < N / 5; i++) {
		struct mitem *it = &c->items[sm64(&c->rng) % N];

		it->touched = 1;
		if (i & 1) {
			assert_int_equal(ust_timer_cancel(&c->w, &it->t), it->armed);
			if (it->armed)
				c->outstanding--;
			it->armed = 0;
		} else {
			uint64_t e = sm64(&c->rng) % span;

			if (!it->armed)
				c->outstanding++;
			ust_timer_arm(&c->w, &it->t, e);
			it->want = e;
			it->armed = 1;
		}
	}
	assert_int_equal(c->w.pending, c->outstanding);

	/* Advance in uneven steps: mostly a few ticks, sometimes thousands. */
	end = span + 300000;
	c->min_tick = 0;
	while (now < end) {
		uint64_t r = sm64(&c->rng), step;

		if ((r & 3) != 0)
			step = 1 + (r >> 8) % 8;
		else if ((r & 0x1c) != 0)
			step = 1 + (r >> 8) % 2000;
		else
			step = 1 + (r >> 8) % 100000;
		now = UST_MIN(now + step, end);
		c->run_now = now;
		total += ust_timer_wheel_run(&c->w, now);
		c->min_tick = now + 1;
		runs++;
		if ((runs & 1023) == 0)
			assert_int_equal(c->w.pending, c->outstanding);
	}
	/* The parked ones: one jump to past 2^34. */
	c->run_now = 1ULL << 34;
	total += ust_timer_wheel_run(&c->w, 1ULL << 34);

	assert_int_equal(total, c->fires);
	assert_int_equal(c->outstanding, 0);
	assert_int_equal(c->w.pending, 0);
	assert_int_equal(ust_timer_wheel_next(&c->w), UST_TIMER_NEVER);
	for (i = 0; i < N; i++) {
		const struct mitem *it = &c->items[i];

		if (it->armed || ust_timer_pending(&it->t))
			fail_msg("timer %u still armed", i);
		if (!it->touched && it->fired != 1)
			fail_msg("untouched timer %u fired %u times", i, it->fired);
	}
	free(c->items);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timer_fires_at_exact_tick_not_one_early),
		cmocka_unit_test(test_timer_fires_at_exact_tick_stepwise),
		cmocka_unit_test(test_timer_tick_by_tick_every_tick),
		cmocka_unit_test(test_timer_rearm_moves_it),
		cmocka_unit_test(test_timer_cancel_returns_whether_pending),
		cmocka_unit_test(test_timer_cancel_from_callback_same_tick),
		cmocka_unit_test(test_timer_cancel_from_callback_later_slot),
		cmocka_unit_test(test_timer_callback_cancels_itself),
		cmocka_unit_test(test_timer_self_rearm_periodic_exact_ticks),
		cmocka_unit_test(test_timer_rearm_into_own_slot_next_lap),
		cmocka_unit_test(test_timer_rearm_for_past_fires_at_next_run),
		cmocka_unit_test(test_timer_arm_from_callback_fires_same_run_in_order),
		cmocka_unit_test(test_timer_order_across_cascades),
		cmocka_unit_test(test_timer_next_values),
		cmocka_unit_test(test_timer_big_jumps_of_now),
		cmocka_unit_test(test_timer_million_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
