/*
 * The stack as one kernel file descriptor (ust_stack_event_fd), for programs
 * with their own epoll/poll loop. It is a kernel epoll instance holding:
 *   - every device's fd (TAP/TUN): a frame is waiting;
 *   - a timerfd armed at the stack's next event (ust_stack_next_event): a timer
 *     or a delayed packet is due;
 *   - an eventfd written by ust_stack_wakeup(): another thread wants the loop.
 * ust_stack_poll() drains the timerfd and eventfd and re-arms the timerfd, so
 * the fd stays readable exactly while the stack has work.
 *
 * A socket call can arm a timer earlier than the one the timerfd waits for (a
 * connect's SYN timer on an idle stack). Socket calls end in
 * ust_evloop_check(), which compares the wheel's lower bound on its next
 * expiry with the one seen when the timerfd was armed: two loads when nothing
 * changed, a timerfd_settime when something moved earlier.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include "socket/socket.h"
#include "stack.h"

struct ust_evloop {
	struct ust_stack *st;
	int epfd, timerfd, eventfd;
	uint64_t armed_ns;            /* the timerfd's deadline; UINT64_MAX: disarmed */
	uint64_t seen_hint;           /* the wheel's next_hint when it was armed */
	atomic_bool woken;            /* the eventfd was written since the last drain */
};

static void evloop_arm(struct ust_evloop *evl)
{
	struct ust_core *core = ust_stack_core(evl->st);
	struct itimerspec its = { 0 };
	uint64_t next = ust_stack_next_event_locked(evl->st);

	evl->seen_hint = core->timers.next_hint;
	if (next != UINT64_MAX && core->clock.mode != UST_CLOCK_REAL)
		/* Virtual time moves only when the program moves it: due now or never. */
		next = next <= core->now ? 1 : UINT64_MAX;
	if (next == evl->armed_ns)
		return;
	evl->armed_ns = next;
	if (next != UINT64_MAX) {
		/* 0 would disarm: a deadline in the past is "now", which is 1 ns. */
		its.it_value.tv_sec = (time_t)(next / 1000000000ULL);
		its.it_value.tv_nsec = (long)(next % 1000000000ULL);
		if (!next)
			its.it_value.tv_nsec = 1;
	}
	(void)timerfd_settime(evl->timerfd, TFD_TIMER_ABSTIME, &its, NULL);
}

void ust_evloop_check(struct ust_evloop *evl)
{
	if (ust_stack_core(evl->st)->timers.next_hint < evl->seen_hint)
		evloop_arm(evl);
}

void ust_evloop_sync(struct ust_evloop *evl)
{
	uint64_t v;

	if (atomic_exchange(&evl->woken, false))
		(void)!read(evl->eventfd, &v, sizeof(v));
	if (evl->armed_ns <= ust_stack_core(evl->st)->now || evl->armed_ns == 1) {
		(void)!read(evl->timerfd, &v, sizeof(v));
		evl->armed_ns = UINT64_MAX;   /* fired: arm afresh */
	}
	evloop_arm(evl);
}

void ust_evloop_add_fd(struct ust_evloop *evl, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	(void)epoll_ctl(evl->epfd, EPOLL_CTL_ADD, fd, &ev);
}

void ust_evloop_free(struct ust_evloop *evl)
{
	if (!evl)
		return;
	close(evl->epfd);
	close(evl->timerfd);
	close(evl->eventfd);
	free(evl);
}

static int evloop_new(struct ust_stack *st, struct ust_evloop **out)
{
	struct ust_evloop *evl = calloc(1, sizeof(*evl));
	int fds[64], n;

	if (!evl)
		return -ENOMEM;
	evl->st = st;
	evl->armed_ns = UINT64_MAX;
	evl->seen_hint = 0;
	evl->epfd = epoll_create1(EPOLL_CLOEXEC);
	evl->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	evl->eventfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (evl->epfd < 0 || evl->timerfd < 0 || evl->eventfd < 0) {
		int err = errno;

		if (evl->epfd >= 0)
			close(evl->epfd);
		if (evl->timerfd >= 0)
			close(evl->timerfd);
		if (evl->eventfd >= 0)
			close(evl->eventfd);
		free(evl);
		return -err;
	}
	ust_evloop_add_fd(evl, evl->timerfd);
	ust_evloop_add_fd(evl, evl->eventfd);
	n = ust_stack_fds_locked(st, fds, 64);
	for (int i = 0; i < n && i < 64; i++)
		ust_evloop_add_fd(evl, fds[i]);
	evloop_arm(evl);
	*out = evl;
	return 0;
}

/* The stack's event loop state, made on first use; NULL with errno. */
static struct ust_evloop *evloop_get(struct ust_stack *st)
{
	struct ust_sockets *s = ust_stack_sockets(st);
	struct ust_evloop *evl;
	int err = 0;

	pthread_mutex_lock(s->lock);
	ust_core_update_now(ust_stack_core(st));
	if (!s->evloop)
		err = evloop_new(st, &s->evloop);
	evl = s->evloop;
	pthread_mutex_unlock(s->lock);
	if (err) {
		errno = -err;
		return NULL;
	}
	return evl;
}

int ust_stack_event_fd(struct ust_stack *st)
{
	struct ust_evloop *evl;

	if (!st) {
		errno = EINVAL;
		return -1;
	}
	evl = evloop_get(st);
	return evl ? evl->epfd : -1;
}

int ust_stack_wakeup(struct ust_stack *st)
{
	struct ust_evloop *evl;
	uint64_t one = 1;

	if (!st) {
		errno = EINVAL;
		return -1;
	}
	evl = evloop_get(st);
	if (!evl)
		return -1;
	atomic_store(&evl->woken, true);
	if (write(evl->eventfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return -1;
	return 0;
}

int ust_evloop_eventfd(struct ust_stack *st)
{
	struct ust_evloop *evl = evloop_get(st);

	return evl ? evl->eventfd : -1;
}
