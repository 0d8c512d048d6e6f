/*
 * The engine's clock and threads: stepping the stack's virtual clock one
 * stack event at a time, collecting what the stack sent (stamped with the
 * virtual time it left), and the worker threads that make system calls.
 *
 * Determinism: a worker woken by a step (a packet injected, a timer fired)
 * runs on its own; before the clock moves again the engine waits until every
 * worker has either finished its call or gone back to sleep in the stack
 * (pkt_run_settle). "Asleep" is read from the kernel's view of the thread
 * (/proc/self/task/TID/stat state S), as packetdrill's is_thread_sleeping()
 * does: nothing else holds the stack lock while the engine looks, so a
 * sleeping worker is one waiting on a stack condition that only the engine's
 * next step can satisfy.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "run.h"
#include "threadstate.h"
#include "ustack/ustack.h"

#define RUN_TICK_NS 1000000ULL          /* the stack's jiffy (core/timer.h) */
#define RUN_QUIET_LIMIT_NS (20ULL * 1000000000ULL)   /* real time */

int64_t pkt_run_now(const struct pkt_run *r)
{
	return (int64_t)((ust_stack_now(r->st) - r->base_ns) / 1000);
}

/* --- outbound queue ------------------------------------------------------ */

static int queue_push(struct pkt_run *r, const uint8_t *data, size_t len)
{
	struct pkt_run_out *o;

	if (r->qhead && r->qhead + r->qlen == r->qcap) {
		memmove(r->q, r->q + r->qhead, r->qlen * sizeof(*r->q));
		r->qhead = 0;
	}
	if (r->qhead + r->qlen == r->qcap) {
		size_t cap = r->qcap ? 2 * r->qcap : 16;
		struct pkt_run_out *q = realloc(r->q, cap * sizeof(*q));

		if (!q)
			return -ENOMEM;
		r->q = q;
		r->qcap = cap;
	}
	o = &r->q[r->qhead + r->qlen];
	o->data = malloc(len);
	if (!o->data)
		return -ENOMEM;
	memcpy(o->data, data, len);
	o->len = len;
	o->usecs = pkt_run_now(r);
	r->qlen++;
	return 0;
}

void pkt_run_queue_pop(struct pkt_run *r)
{
	if (!r->qlen)
		return;
	free(r->q[r->qhead].data);
	r->qhead++;
	r->qlen--;
	if (!r->qlen)
		r->qhead = 0;
}

/* Takes every packet waiting in the pipe. */
static int collect(struct pkt_run *r)
{
	char line[512];

	for (;;) {
		ssize_t n = ust_pipe_read(r->dev, r->rxbuf, sizeof(r->rxbuf));

		if (n < 0)
			return pkt_run_fail(r, "%s: reading the pipe: %s", r->script->path,
					    strerror(errno));
		if (n == 0)
			return 0;
		if (queue_push(r, r->rxbuf, (size_t)n))
			return pkt_run_fail(r, "%s: out of memory", r->script->path);
		if (r->opts.verbose) {
			pkt_print_ip(r->rxbuf, (size_t)n, line, sizeof(line));
			pkt_run_verbose(r, "%9.6f sent      %s", (double)pkt_run_now(r) / 1e6, line);
		}
	}
}

/* --- workers ------------------------------------------------------------- */

static void *worker_main(void *arg)
{
	struct pkt_run_worker *w = arg;
	struct pkt_run_call *c;

	pthread_mutex_lock(&w->mu);
	w->tid = (pid_t)syscall(SYS_gettid);
	pthread_cond_broadcast(&w->cv);
	for (;;) {
		while (w->state == RUN_W_IDLE || w->state == RUN_W_DONE)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->state == RUN_W_EXIT)
			break;
		c = w->call;
		w->state = RUN_W_RUNNING;
		pthread_mutex_unlock(&w->mu);
		pkt_run_call_invoke(w->st, c);
		pthread_mutex_lock(&w->mu);
		w->state = RUN_W_DONE;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int pkt_run_worker_start(struct pkt_run_worker *w, struct ust_stack *st)
{
	w->st = st;
	w->state = RUN_W_IDLE;
	w->tid = 0;
	if (pthread_mutex_init(&w->mu, NULL))
		return -ENOMEM;
	if (pthread_cond_init(&w->cv, NULL)) {
		pthread_mutex_destroy(&w->mu);
		return -ENOMEM;
	}
	if (pthread_create(&w->thread, NULL, worker_main, w)) {
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		return -EAGAIN;
	}
	w->started = true;
	pthread_mutex_lock(&w->mu);
	while (!w->tid)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

/* Only for a worker that is not in a call (the engine checks). */
void pkt_run_worker_stop(struct pkt_run_worker *w)
{
	if (!w->started)
		return;
	pthread_mutex_lock(&w->mu);
	w->state = RUN_W_EXIT;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	w->started = false;
}

void pkt_run_worker_submit(struct pkt_run_worker *w, struct pkt_run_call *c)
{
	pthread_mutex_lock(&w->mu);
	w->call = c;
	w->state = RUN_W_QUEUED;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void pkt_run_worker_reset(struct pkt_run_worker *w)
{
	pthread_mutex_lock(&w->mu);
	if (w->state == RUN_W_DONE) {
		w->state = RUN_W_IDLE;
		w->call = NULL;
	}
	pthread_mutex_unlock(&w->mu);
}

static enum pkt_run_wstate worker_state(struct pkt_run_worker *w)
{
	enum pkt_run_wstate s;

	pthread_mutex_lock(&w->mu);
	s = w->state;
	pthread_mutex_unlock(&w->mu);
	return s;
}

/* Asleep counts only when seen twice, around a yield, with the call still
 * running: a thread caught for an instant on a lock does not pass. */
enum pkt_run_wstate pkt_run_worker_poll(struct pkt_run_worker *w, bool *asleep)
{
	enum pkt_run_wstate s;

	*asleep = false;
	if (!w->started)
		return RUN_W_IDLE;
	s = worker_state(w);
	if (s != RUN_W_RUNNING || !(pkt_thread_state(w->tid) == PKT_THREAD_SLEEPING))
		return s;
	sched_yield();
	if (!(pkt_thread_state(w->tid) == PKT_THREAD_SLEEPING))
		return s;
	s = worker_state(w);
	*asleep = s == RUN_W_RUNNING;
	return s;
}

static bool worker_busy(struct pkt_run_worker *w)
{
	bool asleep;
	enum pkt_run_wstate s = pkt_run_worker_poll(w, &asleep);

	return s == RUN_W_QUEUED || (s == RUN_W_RUNNING && !asleep);
}

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Waits until no worker is queued or running awake. */
static int wait_quiet(struct pkt_run *r)
{
	uint64_t start = 0;
	struct timespec pause = { 0, 20000 };

	for (unsigned int spins = 0;; spins++) {
		if (!worker_busy(&r->plain) && !worker_busy(&r->blocking))
			return 0;
		if (spins < 200) {
			sched_yield();
			continue;
		}
		if (!start)
			start = real_ns();
		else if (real_ns() - start > RUN_QUIET_LIMIT_NS)
			return pkt_run_fail(r, "%s: a system call neither returned nor slept "
					    "for %llu s of real time (is the stack spinning?)",
					    r->script->path,
					    (unsigned long long)(RUN_QUIET_LIMIT_NS / 1000000000ULL));
		nanosleep(&pause, NULL);
	}
}

/* --- settling and stepping ------------------------------------------------ */

int pkt_run_settle(struct pkt_run *r)
{
	struct pkt_run_call *c;
	bool asleep;
	int ret;

	if (wait_quiet(r) || collect(r))
		return -1;
	if (!r->pending || pkt_run_worker_poll(&r->blocking, &asleep) != RUN_W_DONE)
		return r->failed ? -1 : 0;
	c = r->pending;
	r->pending = NULL;
	pkt_run_worker_reset(&r->blocking);
	c->done_usecs = pkt_run_now(r);
	ret = pkt_run_call_finish(r, c);
	pkt_run_call_free(c);
	return ret;
}

int pkt_run_step(struct pkt_run *r, int64_t limit_usecs)
{
	uint64_t now = ust_stack_now(r->st);
	uint64_t next = ust_stack_next_event(r->st);
	uint64_t limit = r->base_ns + (uint64_t)limit_usecs * 1000;

	/* The timer wheel's bound may read <= now until it cascades: a tick
	 * forward always makes progress (ust_stack_advance does the same). */
	if (next <= now)
		next = now + RUN_TICK_NS;
	if (next > limit)
		next = limit;
	if (next > now && ust_stack_advance(r->st, next - now))
		return pkt_run_fail(r, "%s: ust_stack_advance: %s", r->script->path,
				    strerror(errno));
	return pkt_run_settle(r);
}

int pkt_run_advance_to(struct pkt_run *r, int64_t usecs)
{
	while (pkt_run_now(r) < usecs)
		if (pkt_run_step(r, usecs))
			return -1;
	return 0;
}
