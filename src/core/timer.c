/*
 * The hierarchical timing wheel of timer.h.
 *
 * Calls: ust_timer_arm / ust_timer_cancel -> unlink_timer + enqueue (O(1));
 * ust_timer_wheel_run -> fire_list(overdue), then loop { next_work -> cascade
 * at span starts -> fire_list(level-0 slot) } until the next work is past now.
 *
 * Invariant that makes the bitmaps enough: a level-k slot (k >= 1, slot width
 * g = 2^(8 + 6(k-1)) ticks) only ever holds timers of one span, the first span
 * starting at or after w->now whose number has the slot's low 6 bits. enqueue
 * keeps it (a timer d ticks away with g <= d < 64g lands in one of the next 64
 * spans); the run keeps it by cascading every non-empty slot when its span
 * starts and by jumping only over spans whose slots are empty. Level 0 holds
 * exactly the timers of ticks w->now .. w->now + 255, slot = tick & 255.
 *
 * A timer knows no slot number: cancel learns whether the slot emptied from
 * the node itself. If its pprev points into one of the wheel's head arrays it
 * was first in that slot, and the slot is empty once the node is gone.
 */
#include "core/timer.h"

#include <string.h>
#include "core/compiler.h"

#define L0_MASK ((uint64_t)UST_TW_L0_SIZE - 1)
#define LN_MASK ((uint64_t)UST_TW_LN_SIZE - 1)
#define L0_WORDS (UST_TW_L0_SIZE / 64)
/* Farther than this from w->now, a timer is parked at the end of the last level. */
#define TW_REACH_BITS (UST_TW_L0_BITS + (UST_TW_LEVELS - 1) * UST_TW_LN_BITS)
#define TW_REACH (1ULL << TW_REACH_BITS)

_Static_assert(UST_TW_LN_SIZE == 64, "a higher level's bitmap is one uint64_t");
_Static_assert(UST_TW_L0_SIZE % 64 == 0 && (L0_WORDS & (L0_WORDS - 1)) == 0,
	       "level 0 bitmap is a power-of-two number of words");

/* Width in bits of one slot of level k (1 .. UST_TW_LEVELS-1): 8, 14, 20, 26. */
static inline unsigned level_shift(unsigned k)
{
	return UST_TW_L0_BITS + (k - 1) * UST_TW_LN_BITS;
}

static inline uint64_t rotr64(uint64_t x, unsigned r)
{
	return r ? (x >> r) | (x << (64 - r)) : x;
}

static inline void add_to(struct ust_hlist_head *h, struct ust_timer *t)
{
	ust_hlist_add_head(h, &t->node);
}

/* Files t by t->expires relative to w->now. t must not be on any list. */
static void enqueue(struct ust_timer_wheel *w, struct ust_timer *t)
{
	uint64_t e = t->expires, d, span_start;
	unsigned k, slot;

	if (unlikely(e < w->now)) {
		/* The tick was already run: the next run fires it (timer.h). */
		add_to(&w->overdue, t);
		if (e < w->overdue_min)
			w->overdue_min = e;
		return;
	}
	d = e - w->now;
	if (d <= L0_MASK) {
		if (e < w->next_hint)
			w->next_hint = e;
		slot = (unsigned)(e & L0_MASK);
		add_to(&w->l0[slot], t);
		w->l0_map[slot >> 6] |= 1ULL << (slot & 63);
		return;
	}
	if (unlikely(d >= TW_REACH)) {
		/* Park in the last slot of reach; the cascade of that slot re-files
		 * it against the real expires. Ticks stay far below 2^64 - 2^32. */
		d = TW_REACH - 1;
		e = w->now + d;
	}
	/* d in [2^8, 2^32): level k covers d < 2^(8 + 6k). */
	k = (unsigned)(63 - __builtin_clzll(d) - UST_TW_L0_BITS) / UST_TW_LN_BITS + 1;
	/* The run's work for this slot is the cascade at the start of the
	 * span holding e (the park point for a parked timer). */
	span_start = (e >> level_shift(k)) << level_shift(k);
	if (span_start < w->next_hint)
		w->next_hint = span_start;
	slot = (unsigned)((e >> level_shift(k)) & LN_MASK);
	add_to(&w->ln[k - 1][slot], t);
	w->ln_map[k - 1] |= 1ULL << slot;
}

/* Unlinks a pending t and clears its slot's bit if the slot became empty. */
static void unlink_timer(struct ust_timer_wheel *w, struct ust_timer *t)
{
	uintptr_t pp = (uintptr_t)t->node.pprev;
	uintptr_t off;
	size_t i;

	ust_hlist_del(&t->node);
	/* pprev pointed at a head (t was first) and the head is now empty? */
	off = pp - (uintptr_t)w->l0;
	if (off < sizeof(w->l0)) {
		i = off / sizeof(w->l0[0]);
		if (!w->l0[i].first)
			w->l0_map[i >> 6] &= ~(1ULL << (i & 63));
		return;
	}
	off = pp - (uintptr_t)w->ln;
	if (off < sizeof(w->ln)) {
		i = off / sizeof(w->ln[0][0]);
		if (!w->ln[i / UST_TW_LN_SIZE][i % UST_TW_LN_SIZE].first)
			w->ln_map[i / UST_TW_LN_SIZE] &= ~(1ULL << (i % UST_TW_LN_SIZE));
	}
	/* Otherwise it was on the overdue list or a run's local list: no bit. */
}

/* Moves the chain of h onto *local (a head on the caller's stack). */
static inline void detach_chain(struct ust_hlist_head *h, struct ust_hlist_head *local)
{
	local->first = h->first;
	h->first = NULL;
	if (local->first)
		local->first->pprev = &local->first;
}

/* First set bit of the level-0 bitmap at or after pos, wrapping; -1 if none. */
static int l0_find(const uint64_t *map, unsigned pos)
{
	unsigned wi = pos >> 6;
	uint64_t m = map[wi] & (~0ULL << (pos & 63));
	unsigned n;

	for (n = 0; n <= L0_WORDS; n++) {
		if (m)
			return (int)(((wi & (L0_WORDS - 1)) << 6) | (unsigned)__builtin_ctzll(m));
		wi++;
		m = map[wi & (L0_WORDS - 1)];
	}
	return -1;
}

/*
 * The first tick >= w->now at which the run has work: a non-empty level-0
 * slot, or the start of the span of a non-empty higher slot (to cascade).
 */
static uint64_t next_work(const struct ust_timer_wheel *w)
{
	uint64_t c = w->now, best = UST_TIMER_NEVER;
	unsigned pos = (unsigned)(c & L0_MASK);
	unsigned k;
	int i;

	i = l0_find(w->l0_map, pos);
	if (i >= 0)
		best = c + (((uint64_t)i - pos) & L0_MASK);
	for (k = 1; k < UST_TW_LEVELS; k++) {
		uint64_t m = w->ln_map[k - 1], span, tick;
		unsigned sh;

		if (!m)
			continue;
		sh = level_shift(k);
		/* First span starting at or after c; its slot is where the
		 * search for the next non-empty slot of this level begins. */
		span = (c >> sh) + ((c & ((1ULL << sh) - 1)) != 0);
		m = rotr64(m, (unsigned)(span & LN_MASK));
		tick = (span + (unsigned)__builtin_ctzll(m)) << sh;
		if (tick < best)
			best = tick;
	}
	return best;
}

/* At tick t (w->now == t), re-files every higher slot whose span starts at t. */
static void cascade(struct ust_timer_wheel *w, uint64_t t)
{
	unsigned k;

	for (k = UST_TW_LEVELS - 1; k >= 1; k--) {
		unsigned sh = level_shift(k), slot;
		struct ust_hlist_head local;
		struct ust_hlist_node *n, *next;

		if (t & ((1ULL << sh) - 1))
			continue;
		slot = (unsigned)((t >> sh) & LN_MASK);
		if (!(w->ln_map[k - 1] & (1ULL << slot)))
			continue;
		w->ln_map[k - 1] &= ~(1ULL << slot);
		detach_chain(&w->ln[k - 1][slot], &local);
		/* Each lands in a lower level (or back in the last one if parked
		 * and still out of reach), never in a slot cascaded at t. */
		for (n = local.first; n; n = next) {
			next = n->next;
			enqueue(w, container_of(n, struct ust_timer, node));
		}
	}
}

/*
 * Fires every timer on *h, detached first so callbacks can arm (into the
 * wheel, never onto this chain) and cancel (a timer still on the local chain
 * unlinks through its pprev) freely.
 */
static unsigned fire_list(struct ust_timer_wheel *w, struct ust_hlist_head *h)
{
	struct ust_hlist_head local;
	struct ust_hlist_node *n;
	unsigned fired = 0;

	detach_chain(h, &local);
	while ((n = local.first) != NULL) {
		struct ust_timer *t = container_of(n, struct ust_timer, node);

		ust_hlist_del(n);   /* not pending from here: fn may re-arm t */
		w->pending--;
		fired++;
		t->fn(t);
	}
	return fired;
}

void ust_timer_init(struct ust_timer *t, ust_timer_fn fn)
{
	ust_hlist_node_init(&t->node);
	t->expires = 0;
	t->fn = fn;
}

void ust_timer_wheel_init(struct ust_timer_wheel *w, uint64_t now_tick)
{
	memset(w, 0, sizeof(*w));
	w->now = now_tick;
	w->overdue_min = UST_TIMER_NEVER;
	w->next_hint = UST_TIMER_NEVER;
}

void ust_timer_arm(struct ust_timer_wheel *w, struct ust_timer *t, uint64_t expires)
{
	if (ust_timer_pending(t))
		unlink_timer(w, t);
	else
		w->pending++;
	t->expires = expires;
	enqueue(w, t);
}

bool ust_timer_cancel(struct ust_timer_wheel *w, struct ust_timer *t)
{
	if (!ust_timer_pending(t))
		return false;
	unlink_timer(w, t);
	w->pending--;
	return true;
}

unsigned ust_timer_wheel_run(struct ust_timer_wheel *w, uint64_t now_tick)
{
	unsigned fired = 0;

	if (likely(ust_timer_wheel_idle(w, now_tick)))
		return 0;
	if (w->overdue.first) {
		w->overdue_min = UST_TIMER_NEVER;
		fired += fire_list(w, &w->overdue);
	}
	if (unlikely(now_tick == UST_TIMER_NEVER))
		now_tick--;   /* w->now = now_tick + 1 must not wrap */
	for (;;) {
		uint64_t t = next_work(w);
		unsigned slot;

		if (t > now_tick) {
			w->next_hint = t;
			break;
		}
		/* Every tick in [w->now, t) has nothing to fire or cascade. */
		w->now = t;
		if ((t & L0_MASK) == 0)
			cascade(w, t);
		slot = (unsigned)(t & L0_MASK);
		/* Tick t is being run: arms for t or earlier are overdue. */
		w->now = t + 1;
		if (w->l0[slot].first) {
			w->l0_map[slot >> 6] &= ~(1ULL << (slot & 63));
			fired += fire_list(w, &w->l0[slot]);
		}
	}
	if (w->now <= now_tick)
		w->now = now_tick + 1;
	return fired;
}

uint64_t ust_timer_wheel_next(const struct ust_timer_wheel *w)
{
	uint64_t best = next_work(w);

	if (w->overdue.first && w->overdue_min < best)
		best = w->overdue_min;
	return best;
}
