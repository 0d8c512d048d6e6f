/*
 * epoll over a stack's sockets, with Linux's struct epoll_event, EPOLL*
 * constants (<sys/epoll.h>) and errno values. An epoll instance is a
 * descriptor of the stack, numbered with its sockets; ust_close() frees it,
 * and closing a socket removes it from every instance that watched it.
 *
 *   int ep = ust_epoll_create1(st, 0);
 *   struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.fd = fd };
 *   ust_epoll_ctl(st, ep, EPOLL_CTL_ADD, fd, &ev);
 *   n = ust_epoll_wait(st, ep, evs, 64, 1000);    1 s on the stack's clock
 *
 * Level-triggered by default; EPOLLET reports a socket once per wake-up (new
 * data, new space, a state change) as Linux does; EPOLLONESHOT disarms the
 * entry after one report until EPOLL_CTL_MOD. EPOLLERR and EPOLLHUP are always
 * watched. EPOLLPRI is accepted and never reported (no urgent data).
 *
 * Like every blocking call, ust_epoll_wait sleeps until the thread that drives
 * the stack (ust_stack_poll, or ust_stack_advance for a virtual clock) makes
 * progress; a timeout of 0 never sleeps, so a single-threaded program polls
 * the stack and then calls ust_epoll_wait(..., 0).
 *
 * Differences from Linux: an epoll descriptor cannot itself be watched (by
 * another epoll instance or ust_poll): EPOLL_CTL_ADD of one gives EPERM, as
 * for a file that cannot be polled. EPOLLEXCLUSIVE is checked as Linux checks
 * it but each instance wakes one waiter anyway. Closing an instance another
 * thread waits on empties it; that waiter returns at its timeout.
 */
#ifndef USTACK_EPOLL_H
#define USTACK_EPOLL_H

#include <sys/epoll.h>
#include "ustack/stack.h"

#ifdef __cplusplus
extern "C" {
#endif

/* flags: 0 or EPOLL_CLOEXEC (accepted, means nothing here); else EINVAL.
 * EMFILE when the descriptor table is full. */
UST_API int ust_epoll_create1(struct ust_stack *st, int flags);
/* size must be > 0 (EINVAL), and is otherwise ignored, as Linux ignores it. */
UST_API int ust_epoll_create(struct ust_stack *st, int size);
/* op: EPOLL_CTL_ADD, EPOLL_CTL_MOD, EPOLL_CTL_DEL. EBADF (epfd or fd not
 * open), EINVAL (epfd not an epoll descriptor, fd == epfd, bad op, misused
 * EPOLLEXCLUSIVE), EEXIST (ADD twice), ENOENT (MOD/DEL of an unwatched fd),
 * EPERM (fd is an epoll descriptor), EFAULT (event NULL for ADD/MOD), ENOMEM. */
UST_API int ust_epoll_ctl(struct ust_stack *st, int epfd, int op, int fd, struct epoll_event *event);
/* timeout_ms: -1 forever, 0 no sleep. Returns the number of events (0 on
 * timeout). EINVAL (maxevents <= 0 or too large, epfd not an epoll
 * descriptor), EBADF, and EFAULT when events is NULL and there is an event to
 * report (as Linux, which checks the array only when it copies into it). */
UST_API int ust_epoll_wait(struct ust_stack *st, int epfd, struct epoll_event *events, int maxevents,
			   int timeout_ms);

#ifdef __cplusplus
}
#endif
#endif
