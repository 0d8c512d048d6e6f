/*
 * epoll over the stack's sockets, after Linux's fs/eventpoll.c.
 *
 * An instance (struct ust_eventpoll) is a descriptor of the stack's table, so
 * epoll fds and socket fds share one number space as in a process. Each watched
 * descriptor has an entry (struct ust_epitem) on two lists: the instance's list
 * of entries, and the descriptor's watch list (fdtable's fdep[].watch, Linux's
 * file->f_ep), which is how a wake-up finds the entries without a search.
 *
 * Flow, as in Linux: tcp_wake -> sock_wake (socket.c) -> ep_sock_wake = the
 * ep_poll_callback of each entry: a ready entry goes on the instance's ready
 * list and one waiter is woken. ust_epoll_wait -> ep_send_events takes entries
 * off the ready list, polls each (ust_tcp_poll) and reports what is asked for;
 * a level-triggered entry goes back on the list, so the next wait polls it
 * again, and an edge-triggered one waits for the next wake-up. Nothing walks
 * all watched sockets.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include "socket/socket.h"
#include "stack.h"
#include "ustack/epoll.h"

/* The bits that are modes, not events (Linux's EP_PRIVATE_BITS). */
#define EP_PRIVATE_BITS (EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE)
/* What may go with EPOLLEXCLUSIVE (Linux's EPOLLEXCLUSIVE_OK_BITS). */
#define EPOLLEXCLUSIVE_OK_BITS (EPOLLIN | EPOLLOUT | EPOLLRDNORM | EPOLLRDBAND | EPOLLWRNORM | \
				EPOLLWRBAND | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE)
/* Linux's EP_MAX_EVENTS: the most a caller's array may claim to hold. */
#define EP_MAX_EVENTS (INT_MAX / (int)sizeof(struct epoll_event))

struct ust_eventpoll {
	struct ust_list rdllist;      /* ready entries: epitem.rdllink */
	struct ust_list items;        /* every entry: epitem.itemlink */
	pthread_cond_t wq;            /* ust_epoll_wait sleepers */
	uint32_t waiters;
	bool closed;                  /* ust_close came while a waiter slept */
};

struct ust_epitem {
	struct ust_hlist_node fllink; /* on the watched fd's watch list */
	struct ust_list rdllink;      /* on ep->rdllist while ready */
	struct ust_list itemlink;     /* on ep->items */
	struct ust_eventpoll *ep;
	struct ust_sock *sk;
	struct epoll_event event;
};

static bool ep_is_linked(const struct ust_epitem *epi)
{
	return ust_list_linked(&epi->rdllink);
}

/* Queues epi if what sk reports now is something it watches, and wakes one waiter. */
static void ep_poll_callback(struct ust_epitem *epi)
{
	struct ust_eventpoll *ep = epi->ep;

	/* A fired EPOLLONESHOT entry watches nothing until EPOLL_CTL_MOD. */
	if (!(epi->event.events & ~EP_PRIVATE_BITS))
		return;
	if (!((uint32_t)ust_tcp_poll(epi->sk) & epi->event.events))
		return;
	if (!ep_is_linked(epi))
		ust_list_add_tail(&ep->rdllist, &epi->rdllink);
	/* Linux's epoll_wait sleeps exclusive: one waiter per event. */
	if (ep->waiters)
		pthread_cond_signal(&ep->wq);
}

void ep_sock_wake(struct ust_sockets *s, struct ust_sock *sk)
{
	struct ust_hlist_head *watch;
	struct ust_hlist_node *pos;

	if (sk->fd < 0 || !(watch = ust_fd_watch(s, sk->fd)))
		return;
	ust_hlist_for_each(pos, watch)
		ep_poll_callback(container_of(pos, struct ust_epitem, fllink));
}

static void epi_free(struct ust_epitem *epi)
{
	ust_hlist_del(&epi->fllink);
	ust_list_del(&epi->rdllink);
	ust_list_del(&epi->itemlink);
	free(epi);
}

void eventpoll_release(struct ust_sockets *s, int fd)
{
	struct ust_hlist_head *watch = ust_fd_watch(s, fd);
	struct ust_hlist_node *pos, *tmp;

	if (!watch)
		return;
	ust_hlist_for_each_safe(pos, tmp, watch)
		epi_free(container_of(pos, struct ust_epitem, fllink));
}

static void ep_free(struct ust_eventpoll *ep)
{
	struct ust_list *pos, *tmp;

	ust_list_for_each_safe(pos, tmp, &ep->items)
		epi_free(ust_list_entry(pos, struct ust_epitem, itemlink));
	pthread_cond_destroy(&ep->wq);
	free(ep);
}

void ep_close(struct ust_sockets *s, int fd, struct ust_eventpoll *ep)
{
	struct ust_list *pos, *tmp;

	ust_fd_release(s, fd);
	if (!ep->waiters) {
		ep_free(ep);
		return;
	}
	/* A waiter still holds it (Linux: the file reference of the blocked
	 * epoll_wait); it goes empty now and the last waiter frees it. */
	ust_list_for_each_safe(pos, tmp, &ep->items)
		epi_free(ust_list_entry(pos, struct ust_epitem, itemlink));
	ep->closed = true;
}

uint32_t ep_waiters(struct ust_sockets *s, int epfd)
{
	struct ust_eventpoll *ep = ust_fd_get_ep(s, epfd);

	return ep ? ep->waiters : 0;
}

void ep_destroy_all(struct ust_sockets *s)
{
	if (!s->fdep)
		return;
	for (uint32_t idx = 0; idx < s->nfds; idx++)
		if (s->fdep[idx].ep)
			ep_free(s->fdep[idx].ep);
	free(s->fdep);
	s->fdep = NULL;
}

/* --- the calls --------------------------------------------------------------- */

int ust_epoll_create1(struct ust_stack *st, int flags)
{
	struct ust_sockets *s;
	struct ust_eventpoll *ep;
	int fd;

	if (flags & ~EPOLL_CLOEXEC) {
		errno = EINVAL;
		return -1;
	}
	ep = calloc(1, sizeof(*ep));
	if (!ep) {
		errno = ENOMEM;
		return -1;
	}
	ust_list_init(&ep->rdllist);
	ust_list_init(&ep->items);
	pthread_cond_init(&ep->wq, NULL);
	s = ust_sockets_enter(st);
	fd = ust_fd_alloc_ep(s, ep);
	if (fd < 0) {
		pthread_cond_destroy(&ep->wq);
		free(ep);
	}
	return ust_sockets_leave(s, fd);
}

int ust_epoll_create(struct ust_stack *st, int size)
{
	if (size <= 0) {
		errno = EINVAL;
		return -1;
	}
	return ust_epoll_create1(st, 0);
}

static struct ust_epitem *ep_find(struct ust_sockets *s, struct ust_eventpoll *ep, int fd)
{
	struct ust_hlist_node *pos;

	/* The watch list holds one entry per instance watching fd: short. */
	ust_hlist_for_each(pos, ust_fd_watch(s, fd)) {
		struct ust_epitem *epi = container_of(pos, struct ust_epitem, fllink);

		if (epi->ep == ep)
			return epi;
	}
	return NULL;
}

/* Queues epi if already ready, as ep_insert and ep_modify do. */
static void ep_check_now(struct ust_epitem *epi)
{
	ep_poll_callback(epi);
}

static int ep_insert(struct ust_sockets *s, struct ust_eventpoll *ep, int fd, struct ust_sock *sk,
		     const struct epoll_event *event)
{
	struct ust_epitem *epi = calloc(1, sizeof(*epi));

	if (!epi)
		return -ENOMEM;
	epi->ep = ep;
	epi->sk = sk;
	epi->event = *event;
	ust_list_init(&epi->rdllink);
	ust_list_add_tail(&ep->items, &epi->itemlink);
	ust_hlist_add_head(ust_fd_watch(s, fd), &epi->fllink);
	ep_check_now(epi);
	return 0;
}

/* do_epoll_ctl's checks, in Linux's order. */
static int ep_ctl_check(struct ust_sockets *s, int epfd, int op, int fd, const struct epoll_event *event,
			struct ust_eventpoll **epp, struct ust_sock **skp)
{
	bool has_event = op != EPOLL_CTL_DEL;
	struct ust_eventpoll *ep;

	if (has_event && !event)
		return -EFAULT;
	ep = ust_fd_get_ep(s, epfd);
	if (!ep && !ust_fd_get(s, epfd))
		return -EBADF;
	*skp = ust_fd_get(s, fd);
	if (!*skp && !ust_fd_get_ep(s, fd))
		return -EBADF;
	if (fd == epfd || !ep)
		return -EINVAL;
	if (!*skp)
		return -EPERM;   /* an epoll fd: nesting is not supported here */
	if (has_event && (event->events & EPOLLEXCLUSIVE)) {
		if (op == EPOLL_CTL_MOD)
			return -EINVAL;
		if (op == EPOLL_CTL_ADD && (event->events & ~EPOLLEXCLUSIVE_OK_BITS))
			return -EINVAL;
	}
	*epp = ep;
	return 0;
}

static int ep_ctl(struct ust_sockets *s, int epfd, int op, int fd, const struct epoll_event *event)
{
	struct ust_eventpoll *ep;
	struct ust_sock *sk;
	struct ust_epitem *epi;
	int err = ep_ctl_check(s, epfd, op, fd, event, &ep, &sk);

	if (err)
		return err;
	epi = ep_find(s, ep, fd);
	switch (op) {
	case EPOLL_CTL_ADD: {
		struct epoll_event ev = *event;

		if (epi)
			return -EEXIST;
		ev.events |= EPOLLERR | EPOLLHUP;
		return ep_insert(s, ep, fd, sk, &ev);
	}
	case EPOLL_CTL_MOD:
		if (!epi)
			return -ENOENT;
		if (epi->event.events & EPOLLEXCLUSIVE)
			return -EINVAL;
		epi->event.events = event->events | EPOLLERR | EPOLLHUP;
		epi->event.data = event->data;
		ep_check_now(epi);
		return 0;
	case EPOLL_CTL_DEL:
		if (!epi)
			return -ENOENT;
		epi_free(epi);
		return 0;
	default:
		return -EINVAL;
	}
}

int ust_epoll_ctl(struct ust_stack *st, int epfd, int op, int fd, struct epoll_event *event)
{
	struct ust_sockets *s = ust_sockets_enter(st);

	return ust_sockets_leave(s, ep_ctl(s, epfd, op, fd, event));
}

/* Moves every node of from to the front of to, leaving from empty. */
static void list_splice_init(struct ust_list *from, struct ust_list *to)
{
	if (ust_list_empty(from))
		return;
	from->prev->next = to->next;
	to->next->prev = from->prev;
	to->next = from->next;
	from->next->prev = to;
	ust_list_init(from);
}

/* Linux's ep_send_events: report up to maxevents ready entries; -EFAULT
 * when there is one to report and nowhere to put it. */
static int ep_send_events(struct ust_eventpoll *ep, struct epoll_event *events, int maxevents)
{
	struct ust_list txlist;
	int n = 0;

	ust_list_init(&txlist);
	list_splice_init(&ep->rdllist, &txlist);
	while (n < maxevents && !ust_list_empty(&txlist)) {
		struct ust_epitem *epi = ust_list_first(&txlist, struct ust_epitem, rdllink);
		uint32_t revents;

		ust_list_del(&epi->rdllink);
		revents = (uint32_t)ust_tcp_poll(epi->sk) & epi->event.events;
		if (!revents)
			continue;
		if (!events) {
			/* Linux checks the array only when copying an event into it;
			 * the event stays queued for a later call. */
			ust_list_add_head(&txlist, &epi->rdllink);
			n = n ? n : -EFAULT;
			break;
		}
		events[n].events = revents;
		events[n].data = epi->event.data;
		n++;
		if (epi->event.events & EPOLLONESHOT)
			epi->event.events &= EP_PRIVATE_BITS;
		else if (!(epi->event.events & EPOLLET))
			ust_list_add_tail(&ep->rdllist, &epi->rdllink);
	}
	/* What was not looked at stays first in line. */
	list_splice_init(&txlist, &ep->rdllist);
	return n;
}

struct ep_timeout {
	struct ust_timer timer;
	pthread_cond_t *cv;
	bool fired;
};

static void ep_timeout_fire(struct ust_timer *t)
{
	struct ep_timeout *et = container_of(t, struct ep_timeout, timer);

	et->fired = true;
	pthread_cond_broadcast(et->cv);
}

/* Linux's ep_poll, sleeping on the stack's clock as ust_poll does. */
static int ep_poll(struct ust_sockets *s, struct ust_eventpoll *ep, struct epoll_event *events,
		   int maxevents, int timeout_ms)
{
	struct ust_core *core = s->tcp->core;
	struct ep_timeout et = { .cv = &ep->wq };
	int n = ep_send_events(ep, events, maxevents);

	if (n || timeout_ms == 0)
		return n;
	if (timeout_ms > 0) {
		ust_timer_init(&et.timer, ep_timeout_fire);
		ust_timer_arm(&core->timers, &et.timer, ust_jiffies(core) + (uint64_t)timeout_ms);
	}
	if (s->evloop)
		ust_evloop_check(s->evloop);   /* the timeout may be the stack's next event */
	ep->waiters++;
	while (!(n = ep_send_events(ep, events, maxevents)) && !et.fired)
		pthread_cond_wait(&ep->wq, s->lock);
	ep->waiters--;
	if (timeout_ms > 0)
		ust_timer_cancel(&core->timers, &et.timer);
	if (n && ep->waiters && !ust_list_empty(&ep->rdllist))
		pthread_cond_signal(&ep->wq);   /* more left: pass the wake on */
	return n;
}

int ust_epoll_wait(struct ust_stack *st, int epfd, struct epoll_event *events, int maxevents,
		   int timeout_ms)
{
	struct ust_sockets *s;
	struct ust_eventpoll *ep;
	int n;

	if (maxevents <= 0 || maxevents > EP_MAX_EVENTS) {
		errno = EINVAL;
		return -1;
	}
	s = ust_sockets_enter(st);
	ep = ust_fd_get_ep(s, epfd);
	if (!ep)
		return ust_sockets_leave(s, ust_fd_get(s, epfd) ? -EINVAL : -EBADF);
	n = ep_poll(s, ep, events, maxevents, timeout_ms);
	if (ep->closed && !ep->waiters)
		ep_free(ep);
	return ust_sockets_leave(s, n);
}
