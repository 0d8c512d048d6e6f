/*
 * bench_timer: the cost of the timing wheel per timer, over a million timers.
 *
 *   bench_timer [N]      (default N = 1000000)
 *
 * Cases (each a fresh wheel, delays drawn beforehand from a fixed seed so the
 * PRNG is not timed):
 *   arm, cancel       N timers armed, then all cancelled (the common TCP
 *                     path: a retransmit timer armed and cancelled by the ACK)
 *   re-arm            N pending timers each moved to a new expiry
 *   arm + fire        N timers armed, then the wheel run 1 ms at a time (or in
 *                     one jump) until all fired; the run cost is included
 *   idle tick         N timers pending far away, cost of one run() per tick
 * for delays: level 0 only (1..255 ms), a TCP mix (40 ms delayed ACK, 200 ms
 * min RTO, 1 s initial RTO, 60 s TIME_WAIT/FIN, 2 h keepalive), and uniform
 * over 0..10^7 ms.
 *
 * Prints ns per operation and, where the kernel lets this process count them
 * (perf_event_open, perf_event_paranoid), user-space instructions per
 * operation. There is no Linux counterpart to measure from user space, so no
 * ratio is printed. Not a test: nothing here asserts a time.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include "core/random.h"
#include "core/timer.h"

struct meter {
	int fd;                      /* instruction counter, or -1 */
	struct timespec t0;
	uint64_t i0;
};

static int open_instr_counter(void)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_HARDWARE;
	a.size = sizeof(a);
	a.config = PERF_COUNT_HW_INSTRUCTIONS;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	return (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
}

static uint64_t read_counter(int fd)
{
	uint64_t v = 0;

	if (fd < 0 || read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		return 0;
	return v;
}

static void meter_start(struct meter *m)
{
	m->i0 = read_counter(m->fd);
	clock_gettime(CLOCK_MONOTONIC, &m->t0);
}

static void meter_stop(struct meter *m, const char *what, const char *delays, uint64_t ops)
{
	struct timespec t1;
	uint64_t i1, ns;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	i1 = read_counter(m->fd);
	ns = (uint64_t)(t1.tv_sec - m->t0.tv_sec) * 1000000000ULL +
	     (uint64_t)(t1.tv_nsec - m->t0.tv_nsec);
	if (m->fd >= 0)
		printf("%-22s %-10s %10.1f ns/op %10.1f instr/op\n", what, delays,
		       (double)ns / (double)ops, (double)(i1 - m->i0) / (double)ops);
	else
		printf("%-22s %-10s %10.1f ns/op %10s instr/op\n", what, delays,
		       (double)ns / (double)ops, "n/a");
}

static void noop_fn(struct ust_timer *t)
{
	(void)t;
}

enum delay_kind { DELAY_L0, DELAY_TCP, DELAY_WIDE, DELAY_KINDS };
static const char *const delay_name[DELAY_KINDS] = { "1..255", "tcp-mix", "0..1e7" };

static uint64_t draw_delay(struct ust_rng *r, enum delay_kind k)
{
	static const uint64_t tcp[] = { 40, 200, 1000, 60000, 7200000 };

	switch (k) {
	case DELAY_L0:
		return 1 + ust_rng_below(r, 255);
	case DELAY_TCP:
		return tcp[ust_rng_below(r, 5)];
	default:
		return ust_rng_below(r, 10000000);
	}
}

static void bench_kind(struct ust_timer *t, uint64_t *d, uint64_t *d2, size_t n,
		       enum delay_kind k, struct meter *m)
{
	struct ust_timer_wheel *w = malloc(sizeof(*w));
	struct ust_rng r;
	uint64_t now = 1000, fired, maxd = 0, tick;
	size_t i;

	if (!w) {
		perror("malloc");
		exit(1);
	}
	ust_rng_seed(&r, 0x7157 + (uint64_t)k);
	for (i = 0; i < n; i++) {
		d[i] = draw_delay(&r, k);
		d2[i] = draw_delay(&r, k);
		if (d[i] > maxd)
			maxd = d[i];
		ust_timer_init(&t[i], noop_fn);
	}

	/* arm, then cancel */
	ust_timer_wheel_init(w, now);
	meter_start(m);
	for (i = 0; i < n; i++)
		ust_timer_arm(w, &t[i], now + d[i]);
	meter_stop(m, "arm", delay_name[k], n);
	meter_start(m);
	for (i = 0; i < n; i++)
		ust_timer_arm(w, &t[i], now + d2[i]);
	meter_stop(m, "re-arm (pending)", delay_name[k], n);
	meter_start(m);
	for (i = 0; i < n; i++)
		ust_timer_cancel(w, &t[i]);
	meter_stop(m, "cancel", delay_name[k], n);

	/* arm + cancel as one pair, timer by timer (hot in cache) */
	meter_start(m);
	for (i = 0; i < n; i++) {
		ust_timer_arm(w, &t[i], now + d[i]);
		ust_timer_cancel(w, &t[i]);
	}
	meter_stop(m, "arm+cancel pair", delay_name[k], n);

	/* arm + fire, run every tick (1 ms steps) up to the last expiry */
	for (i = 0; i < n; i++)
		ust_timer_arm(w, &t[i], now + d[i]);
	meter_start(m);
	fired = 0;
	for (tick = now; tick <= now + maxd; tick++)
		fired += ust_timer_wheel_run(w, tick);
	meter_stop(m, "fire, run per tick", delay_name[k], n);
	if (fired != n || w->pending)
		fprintf(stderr, "bench_timer: fired %" PRIu64 " of %zu\n", fired, n);
	now = w->now;

	/* arm + fire, one run jumping over everything */
	meter_start(m);
	for (i = 0; i < n; i++)
		ust_timer_arm(w, &t[i], now + d[i]);
	fired = ust_timer_wheel_run(w, now + maxd);
	meter_stop(m, "arm+fire, one jump", delay_name[k], n);
	if (fired != n || w->pending)
		fprintf(stderr, "bench_timer: fired %" PRIu64 " of %zu\n", fired, n);
	now = w->now;

	/* idle ticks: everything pending beyond the measured window */
	for (i = 0; i < n; i++)
		ust_timer_arm(w, &t[i], now + 20000000 + d[i]);
	meter_start(m);
	for (tick = now; tick < now + 1000000; tick++)
		ust_timer_wheel_run(w, tick);
	meter_stop(m, "idle run() per tick", delay_name[k], 1000000);
	for (i = 0; i < n; i++)
		ust_timer_cancel(w, &t[i]);
	free(w);
}

int main(int argc, char **argv)
{
	size_t n = 1000000;
	struct ust_timer *t;
	uint64_t *d, *d2;
	struct meter m;
	int k;

	if (argc > 1) {
		char *end;
		unsigned long long v = strtoull(argv[1], &end, 10);

		if (*end || v == 0 || v > 100000000ULL) {
			fprintf(stderr, "usage: %s [timers, 1..1e8]\n", argv[0]);
			return 2;
		}
		n = (size_t)v;
	}
	t = calloc(n, sizeof(*t));
	d = calloc(n, sizeof(*d));
	d2 = calloc(n, sizeof(*d2));
	if (!t || !d || !d2) {
		perror("calloc");
		return 1;
	}
	m.fd = open_instr_counter();
	if (m.fd >= 0)
		ioctl(m.fd, PERF_EVENT_IOC_ENABLE, 0);
	printf("bench_timer: %zu timers, sizeof(struct ust_timer) = %zu, wheel = %zu bytes%s\n",
	       n, sizeof(struct ust_timer), sizeof(struct ust_timer_wheel),
	       m.fd >= 0 ? "" : " (instruction counter unavailable)");
	for (k = 0; k < DELAY_KINDS; k++)
		bench_kind(t, d, d2, n, (enum delay_kind)k, &m);
	if (m.fd >= 0)
		close(m.fd);
	free(t);
	free(d);
	free(d2);
	return 0;
}
