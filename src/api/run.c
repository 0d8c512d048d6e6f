/*
 * The event loop's sleep: a stack thread calls ust_stack_wait() then
 * ust_stack_poll(). It sleeps in poll(2) on every device fd, with a timeout
 * that ends at the stack's next timer (or delayed packet), so an idle stack
 * costs no CPU and a busy one never waits past its next event. The eventfd
 * of ust_stack_wakeup() (src/api/evloop.c) is in the set too, once made, so
 * another thread can end the sleep at once.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include "stack.h"

#define WAIT_FDS_ON_STACK 32

/* Milliseconds until the next event, rounded up; -1 when there is none. */
static int ms_to_next_event(struct ust_stack *st)
{
	uint64_t next, now, delta;

	if (ust_stack_core(st)->clock.mode != UST_CLOCK_REAL)
		return -1;   /* virtual time does not pass while we sleep */
	next = ust_stack_next_event(st);
	if (next == UINT64_MAX)
		return -1;
	now = ust_stack_now(st);
	if (next <= now)
		return 0;
	delta = (next - now + 999999) / 1000000;
	return delta > INT_MAX ? INT_MAX : (int)delta;
}

int ust_stack_wait(struct ust_stack *st, int max_ms)
{
	struct pollfd local[WAIT_FDS_ON_STACK + 1], *pfd = local;
	int fds[WAIT_FDS_ON_STACK];
	int n, timeout, next_ms, rc, wfd;

	if (!st) {
		errno = EINVAL;
		return -1;
	}
	next_ms = ms_to_next_event(st);
	timeout = max_ms;
	if (next_ms >= 0 && (timeout < 0 || next_ms < timeout))
		timeout = next_ms;
	n = ust_stack_fds(st, fds, WAIT_FDS_ON_STACK);
	if (n > WAIT_FDS_ON_STACK) {
		/* Many devices: size the set once for this call. */
		int *all = malloc(sizeof(*all) * (size_t)n);

		pfd = malloc(sizeof(*pfd) * (size_t)(n + 1));
		if (!all || !pfd) {
			free(all);
			free(pfd);
			errno = ENOMEM;
			return -1;
		}
		n = UST_MIN(n, ust_stack_fds(st, all, n));
		for (int i = 0; i < n; i++)
			pfd[i] = (struct pollfd){ .fd = all[i], .events = POLLIN };
		free(all);
	} else {
		for (int i = 0; i < n; i++)
			pfd[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
	}
	/* Made here if need be, so that a wake-up from another thread can never
	 * fall between its creation and this sleep. */
	wfd = ust_evloop_eventfd(st);
	if (wfd >= 0)
		pfd[n] = (struct pollfd){ .fd = wfd, .events = POLLIN };
	rc = poll(pfd, (nfds_t)(n + (wfd >= 0)), timeout);
	if (rc > 0 && wfd >= 0 && pfd[n].revents) {
		rc--;   /* a wake-up, not a device; ust_stack_poll drains it */
	}
	if (pfd != local)
		free(pfd);
	if (rc < 0 && errno == EINTR)
		return 0;
	return rc;
}
