/*
 * Timers: a hierarchical timing wheel, O(1) to arm, modify and cancel.
 *
 * Time is counted in ticks of 1 ms, Linux's jiffy at HZ=1000; every TCP timer
 * (RTO 1 s, TCP_TIMEOUT_MIN 2 ticks, delayed ACK 40-200 ms) is a whole number of
 * them. A timer fires at the first ust_timer_wheel_run() whose now >= expires,
 * never earlier, and in expiry order across slots.
 *
 * A timer is embedded in the object it serves (socket, request sock, device);
 * the wheel never allocates. The callback may re-arm or cancel any timer,
 * including itself and timers due in the same run.
 *
 * Layout: level 0 has 256 slots of 1 tick, levels 1..4 have 64 slots each
 * covering 256*64^(n-1) ticks a slot; timers further than 2^32 ticks away wait
 * in the last level and are re-filed when reached. A bitmap per level finds the
 * next non-empty slot without walking empty ones.
 *
 * Where a timer sits is decided against w->now when it is armed: d = expires -
 * w->now below 2^8 goes to level 0 (slot expires & 255, exact), below 2^14 to
 * level 1, 2^20 level 2, 2^26 level 3, 2^32 level 4 (slot = the expires bits of
 * that level). A higher-level slot is cascaded (its timers re-filed one level
 * down or more) when the run reaches the first tick of the span it covers, so a
 * timer always lands in level 0 before its tick is run.
 *
 * Running (ust_timer_wheel_run):
 *  - The run visits only ticks that have work: the bitmaps give the next
 *    non-empty level-0 slot and the next non-empty higher slot to cascade, so
 *    jumping now by an hour costs the timers due in it, not 3.6 million ticks.
 *  - While tick T's callbacks run, w->now == T + 1 (tick T is being run), so
 *    `w->now - 1` is the tick a callback is fired for; it equals t->expires for
 *    every timer armed for a tick not yet run when it was armed.
 *  - Overdue arms: a timer armed for a tick already run (expires < w->now, e.g.
 *    a re-arm for "now" from a callback, or a tick in the past) is put on an
 *    overdue list and fires at the start of the NEXT ust_timer_wheel_run() call,
 *    before that run's other timers, never in the run that armed it. A callback
 *    that keeps re-arming itself into the past therefore fires once per run and
 *    cannot loop. (Linux would run it at its next jiffy inside the same
 *    __run_timers when jiffies has already moved on; we stop at the run.)
 *    Among themselves overdue timers fire in no particular order.
 *  - A timer armed from a callback for a tick still to run (> T) and <= the
 *    run's now fires in this same run, in its place in the order.
 *  - Order: timers fire in non-decreasing expires within a run (overdue timers
 *    first); equal expiries in any order.
 *  - The run is not re-entrant: do not call ust_timer_wheel_run from a callback.
 */
#ifndef UST_CORE_TIMER_H
#define UST_CORE_TIMER_H

#include <stdbool.h>
#include <stdint.h>
#include "core/list.h"

#define UST_TICK_NS 1000000ULL
#define UST_TIMER_NEVER UINT64_MAX

#define UST_TW_L0_BITS 8
#define UST_TW_LN_BITS 6
#define UST_TW_LEVELS 5
#define UST_TW_L0_SIZE (1u << UST_TW_L0_BITS)
#define UST_TW_LN_SIZE (1u << UST_TW_LN_BITS)

struct ust_timer;
typedef void (*ust_timer_fn)(struct ust_timer *t);

struct ust_timer {
	struct ust_hlist_node node;  /* pprev == NULL <=> not pending */
	uint64_t expires;            /* tick */
	ust_timer_fn fn;
};

struct ust_timer_wheel {
	uint64_t now;                /* every tick < now has been run */
	uint64_t pending;            /* timers armed */
	struct ust_hlist_head l0[UST_TW_L0_SIZE];
	struct ust_hlist_head ln[UST_TW_LEVELS - 1][UST_TW_LN_SIZE];
	uint64_t l0_map[UST_TW_L0_SIZE / 64];
	uint64_t ln_map[UST_TW_LEVELS - 1];
	struct ust_hlist_head overdue; /* armed for a tick < now: fire at the next run */
	uint64_t overdue_min;        /* <= the smallest expires on overdue */
	/* <= next_work(w) (the first tick at which the run has work), kept by
	 * enqueue (min with the expiry) and made exact by each run: a run for a
	 * now below it, with nothing overdue, has nothing to do and returns
	 * after two compares. Cancels leave it low, which is only a bound. */
	uint64_t next_hint;
};

void ust_timer_init(struct ust_timer *t, ust_timer_fn fn);
static inline bool ust_timer_pending(const struct ust_timer *t) { return t->node.pprev != NULL; }

void ust_timer_wheel_init(struct ust_timer_wheel *w, uint64_t now_tick);
/* Arms t to fire at tick `expires` (re-arms if already pending). A tick already
 * run (expires < w->now) fires at the start of the next run. */
void ust_timer_arm(struct ust_timer_wheel *w, struct ust_timer *t, uint64_t expires);
/* Returns true if t was pending. Safe on a timer that is not. */
bool ust_timer_cancel(struct ust_timer_wheel *w, struct ust_timer *t);
/* The idle case of ust_timer_wheel_run, inline for the event loop: true when
 * nothing is overdue and nothing can be due up to now_tick (now_tick <
 * next_hint); the run is then done (w->now moved past now_tick). False: call
 * ust_timer_wheel_run. */
static inline bool ust_timer_wheel_idle(struct ust_timer_wheel *w, uint64_t now_tick)
{
	if (w->overdue.first || now_tick >= w->next_hint)
		return false;
	/* Every tick in [w->now, now_tick] is empty: what the run would do. */
	if (w->now <= now_tick)
		w->now = now_tick + 1;
	return true;
}
/* Runs every timer due at or before now_tick; returns how many fired. A now_tick
 * below w->now runs only the overdue timers. */
unsigned ust_timer_wheel_run(struct ust_timer_wheel *w, uint64_t now_tick);
/* The earliest tick at which a pending timer is due, or UST_TIMER_NEVER. Exact
 * when that timer is in level 0; when a higher-level slot must be cascaded
 * first, the first tick of that slot, a lower bound (<= every expiry in it):
 * run at that tick and ask again. A value below w->now means timers are
 * overdue (run now). Costs a few bitmap scans, no walk of slots. */
uint64_t ust_timer_wheel_next(const struct ust_timer_wheel *w);

#endif
