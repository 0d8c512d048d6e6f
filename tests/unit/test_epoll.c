/*
 * ust_epoll_*: Linux's errno for each misuse, level- and edge-triggered
 * reports, EPOLLONESHOT, EPOLLRDHUP/EPOLLHUP, removal on close, maxevents,
 * and blocking waits on the stack's clock. Two virtual-clock stacks joined by
 * a memlink carry a real connection; each check names the mask it expects.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "socket/socket.h"
#include "stack.h"
#include "ustack/ustack.h"
#include "vstack.h"

#define MS 1000000ULL

struct conn {
	struct ust_stack *c, *s;
	int lfd, cfd, sfd;     /* listener and both ends of one connection */
	int ep;                /* an epoll instance on the server stack */
};

static void drive(struct conn *k, unsigned ms)
{
	for (unsigned i = 0; i < ms; i++) {
		ust_stack_advance(k->c, MS);
		ust_stack_advance(k->s, MS);
	}
}

static void conn_init(struct conn *k, bool accept_it)
{
	struct ust_netdev *dc, *ds;
	struct sockaddr_in srv = { .sin_family = AF_INET, .sin_port = htons(80) };

	k->c = vstack("client", 1);
	k->s = vstack("server", 2);
	assert_int_equal(ust_memlink_create(k->c, k->s, NULL, &dc, &ds), 0);
	assert_int_equal(ust_addr_add(k->c, dc, inet_addr("192.0.2.1"), 24), 0);
	assert_int_equal(ust_addr_add(k->s, ds, inet_addr("192.0.2.2"), 24), 0);
	srv.sin_addr.s_addr = inet_addr("192.0.2.2");
	k->lfd = ust_socket(k->s, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_int_equal(ust_bind(k->s, k->lfd, (struct sockaddr *)&srv, sizeof(srv)), 0);
	assert_int_equal(ust_listen(k->s, k->lfd, 8), 0);
	k->ep = ust_epoll_create1(k->s, 0);
	assert_true(k->ep >= 0);
	k->cfd = ust_socket(k->c, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_int_equal(ust_connect(k->c, k->cfd, (struct sockaddr *)&srv, sizeof(srv)), -1);
	assert_int_equal(errno, EINPROGRESS);
	drive(k, 5);
	k->sfd = -1;
	if (accept_it) {
		k->sfd = ust_accept4(k->s, k->lfd, NULL, NULL, SOCK_NONBLOCK);
		assert_true(k->sfd >= 0);
	}
}

static void conn_free(struct conn *k)
{
	ust_stack_free(k->c);
	ust_stack_free(k->s);
}

static int add(struct conn *k, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	return ust_epoll_ctl(k->s, k->ep, EPOLL_CTL_ADD, fd, &ev);
}

static void client_send(struct conn *k, const char *text)
{
	assert_int_equal(ust_write(k->c, k->cfd, text, strlen(text)), (ssize_t)strlen(text));
	drive(k, 5);
}

/* One wait with timeout 0 that must report exactly (events, data), or nothing. */
static void expect_one(struct conn *k, uint32_t events, uint64_t data)
{
	struct epoll_event evs[4];

	memset(evs, 0, sizeof(evs));
	assert_int_equal(ust_epoll_wait(k->s, k->ep, evs, 4, 0), 1);
	assert_int_equal(evs[0].events, events);
	assert_int_equal(evs[0].data.u64, data);
}

static void expect_none(struct conn *k)
{
	struct epoll_event evs[4];

	assert_int_equal(ust_epoll_wait(k->s, k->ep, evs, 4, 0), 0);
}

static void expect_err(int ret, int err)
{
	assert_int_equal(ret, -1);
	assert_int_equal(errno, err);
}

/* --- misuse: do_epoll_ctl's and epoll_wait's errno values ---------------------- */

static void test_create_flags_and_size(void **state)
{
	struct ust_stack *st = vstack("s", 1);
	int a, b, sfd;

	(void)state;
	expect_err(ust_epoll_create1(st, 1), EINVAL);
	expect_err(ust_epoll_create1(st, EPOLL_CLOEXEC | 2), EINVAL);
	expect_err(ust_epoll_create(st, 0), EINVAL);
	expect_err(ust_epoll_create(st, -1), EINVAL);
	/* epoll and socket descriptors share one numbering, lowest free first. */
	a = ust_epoll_create1(st, EPOLL_CLOEXEC);
	assert_int_equal(a, 3);
	sfd = ust_socket(st, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(sfd, 4);
	b = ust_epoll_create(st, 1);
	assert_int_equal(b, 5);
	assert_int_equal(ust_close(st, a), 0);
	expect_err(ust_close(st, a), EBADF);
	assert_int_equal(ust_socket(st, AF_INET, SOCK_STREAM, 0), 3);
	ust_stack_free(st);   /* b is freed with the stack */
}

static void test_ctl_errors(void **state)
{
	struct conn k;
	struct epoll_event ev = { .events = EPOLLIN };
	int other;

	(void)state;
	conn_init(&k, true);
	other = ust_epoll_create1(k.s, 0);
	expect_err(ust_epoll_ctl(k.s, k.ep, EPOLL_CTL_ADD, k.sfd, NULL), EFAULT);
	expect_err(ust_epoll_ctl(k.s, 99, EPOLL_CTL_ADD, k.sfd, &ev), EBADF);
	expect_err(ust_epoll_ctl(k.s, k.ep, EPOLL_CTL_ADD, 99, &ev), EBADF);
	expect_err(ust_epoll_ctl(k.s, k.ep, EPOLL_CTL_ADD, -1, &ev), EBADF);
	/* epfd is a socket; fd is epfd itself */
	expect_err(ust_epoll_ctl(k.s, k.sfd, EPOLL_CTL_ADD, k.lfd, &ev), EINVAL);
	expect_err(ust_epoll_ctl(k.s, k.ep, EPOLL_CTL_ADD, k.ep, &ev), EINVAL);
	/* another epoll instance: not pollable here */
	expect_err(ust_epoll_ctl(k.s, k.ep, EPOLL_CTL_ADD, other, &ev), EPERM);
	expect_err(ust_epoll_ctl(k.s, k.ep, 0, k.sfd, &ev), EINVAL);
	expect_err(ust_epoll_ctl(k.s, k.ep, 4, k.sfd, &ev), EINVAL);
	expect_err(ust_epoll_ctl(k.s, k.ep, EPOLL_CTL_MOD, k.sfd, &ev), ENOENT);
	expect_err(ust_epoll_ctl(k.s, k.ep, EPOLL_CTL_DEL, k.sfd, NULL), ENOENT);
	/* EPOLLEXCLUSIVE: ADD only, and not with ONESHOT or RDHUP */
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	expect_err(ust_epoll_ctl(k.s, k.ep, EPOLL_CTL_MOD, k.sfd, &ev), EINVAL);
	ev.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT;
	expect_err(ust_epoll_ctl(k.s, k.ep, EPOLL_CTL_ADD, k.sfd, &ev), EINVAL);
	ev.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLRDHUP;
	expect_err(ust_epoll_ctl(k.s, k.ep, EPOLL_CTL_ADD, k.sfd, &ev), EINVAL);
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	assert_int_equal(ust_epoll_ctl(k.s, k.ep, EPOLL_CTL_ADD, k.sfd, &ev), 0);
	/* an exclusive entry cannot be modified, even without the flag */
	ev.events = EPOLLIN;
	expect_err(ust_epoll_ctl(k.s, k.ep, EPOLL_CTL_MOD, k.sfd, &ev), EINVAL);
	expect_err(ust_epoll_ctl(k.s, k.ep, EPOLL_CTL_ADD, k.sfd, &ev), EEXIST);
	/* DEL takes a NULL event (since Linux 2.6.9) */
	assert_int_equal(ust_epoll_ctl(k.s, k.ep, EPOLL_CTL_DEL, k.sfd, NULL), 0);
	assert_int_equal(ust_epoll_ctl(k.s, k.ep, EPOLL_CTL_ADD, k.sfd, &ev), 0);
	/* the same socket in two instances */
	assert_int_equal(ust_epoll_ctl(k.s, other, EPOLL_CTL_ADD, k.sfd, &ev), 0);
	conn_free(&k);
}

static void test_wait_errors_and_socket_calls_on_epfd(void **state)
{
	struct conn k;
	struct epoll_event evs[2];
	struct sockaddr_in a = { .sin_family = AF_INET };

	(void)state;
	conn_init(&k, true);
	expect_err(ust_epoll_wait(k.s, k.ep, evs, 0, 0), EINVAL);
	expect_err(ust_epoll_wait(k.s, k.ep, evs, -1, 0), EINVAL);
	expect_err(ust_epoll_wait(k.s, k.ep, evs, INT32_MAX, 0), EINVAL);
	/* NULL events: nothing to copy, so no EFAULT yet */
	assert_int_equal(ust_epoll_wait(k.s, k.ep, NULL, 2, 0), 0);
	assert_int_equal(add(&k, k.sfd, EPOLLIN, 1), 0);
	client_send(&k, "x");
	expect_err(ust_epoll_wait(k.s, k.ep, NULL, 2, 0), EFAULT);
	expect_one(&k, EPOLLIN, 1);       /* the event stayed queued */
	expect_err(ust_epoll_wait(k.s, 99, evs, 2, 0), EBADF);
	expect_err(ust_epoll_wait(k.s, k.sfd, evs, 2, 0), EINVAL);
	/* socket calls on an epoll descriptor: ENOTSOCK, as Linux's sockfd_lookup */
	expect_err(ust_bind(k.s, k.ep, (struct sockaddr *)&a, sizeof(a)), ENOTSOCK);
	expect_err(ust_listen(k.s, k.ep, 1), ENOTSOCK);
	expect_err(ust_shutdown(k.s, k.ep, SHUT_RDWR), ENOTSOCK);
	assert_int_equal(ust_close(k.s, k.ep), 0);
	expect_err(ust_epoll_wait(k.s, k.ep, evs, 2, 0), EBADF);
	conn_free(&k);
}

/* --- reports ------------------------------------------------------------------ */

static void test_level_triggered_until_read(void **state)
{
	struct conn k;
	char buf[16];

	(void)state;
	conn_init(&k, true);
	assert_int_equal(add(&k, k.sfd, EPOLLIN, 7), 0);
	expect_none(&k);
	client_send(&k, "hello");
	expect_one(&k, EPOLLIN, 7);
	expect_one(&k, EPOLLIN, 7);       /* still unread: reported again */
	assert_int_equal(ust_read(k.s, k.sfd, buf, sizeof(buf)), 5);
	expect_none(&k);
	conn_free(&k);
}

static void test_edge_triggered_once_per_arrival(void **state)
{
	struct conn k;
	char buf[16];

	(void)state;
	conn_init(&k, true);
	assert_int_equal(add(&k, k.sfd, EPOLLIN | EPOLLET, 9), 0);
	expect_none(&k);
	client_send(&k, "one");
	expect_one(&k, EPOLLIN, 9);
	expect_none(&k);                  /* unread, but no new wake-up */
	client_send(&k, "two");
	expect_one(&k, EPOLLIN, 9);       /* new data: reported again (Linux's ET) */
	expect_none(&k);
	assert_int_equal(ust_read(k.s, k.sfd, buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "onetwo", 6);
	expect_none(&k);
	conn_free(&k);
}

static void test_oneshot_disarms_until_mod(void **state)
{
	struct conn k;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.u64 = 3 };

	(void)state;
	conn_init(&k, true);
	assert_int_equal(ust_epoll_ctl(k.s, k.ep, EPOLL_CTL_ADD, k.sfd, &ev), 0);
	client_send(&k, "a");
	expect_one(&k, EPOLLIN, 3);
	expect_none(&k);
	client_send(&k, "b");
	expect_none(&k);                  /* disarmed: new data is not reported */
	ev.data.u64 = 4;
	assert_int_equal(ust_epoll_ctl(k.s, k.ep, EPOLL_CTL_MOD, k.sfd, &ev), 0);
	expect_one(&k, EPOLLIN, 4);       /* re-armed, and ready at once */
	expect_none(&k);
	conn_free(&k);
}

static void test_listener_and_connect_completion(void **state)
{
	struct conn k;
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLET, .data.u64 = 11 };
	struct epoll_event evs[4];
	int cep;

	(void)state;
	conn_init(&k, false);
	/* the accept queue holds the child: the listener is readable */
	assert_int_equal(add(&k, k.lfd, EPOLLIN, 1), 0);
	expect_one(&k, EPOLLIN, 1);
	k.sfd = ust_accept(k.s, k.lfd, NULL, NULL);
	assert_true(k.sfd >= 0);
	expect_none(&k);
	/* a non-blocking connect is writable once established */
	cep = ust_epoll_create1(k.c, 0);
	k.cfd = ust_socket(k.c, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_int_equal(ust_epoll_ctl(k.c, cep, EPOLL_CTL_ADD, k.cfd, &ev), 0);
	assert_int_equal(ust_epoll_wait(k.c, cep, evs, 4, 0), 1);   /* CLOSE */
	assert_int_equal(evs[0].events, EPOLLOUT | EPOLLHUP);
	{
		struct sockaddr_in srv = { .sin_family = AF_INET, .sin_port = htons(80) };

		srv.sin_addr.s_addr = inet_addr("192.0.2.2");
		expect_err(ust_connect(k.c, k.cfd, (struct sockaddr *)&srv, sizeof(srv)), EINPROGRESS);
	}
	assert_int_equal(ust_epoll_wait(k.c, cep, evs, 4, 0), 0);   /* SYN_SENT */
	drive(&k, 5);
	assert_int_equal(ust_epoll_wait(k.c, cep, evs, 4, 0), 1);
	assert_int_equal(evs[0].events, EPOLLOUT);
	assert_int_equal(evs[0].data.u64, 11);
	assert_int_equal(ust_epoll_wait(k.c, cep, evs, 4, 0), 0);
	conn_free(&k);
}

static void test_rdhup_then_hup(void **state)
{
	struct conn k;

	(void)state;
	conn_init(&k, true);
	assert_int_equal(add(&k, k.sfd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, 5), 0);
	expect_one(&k, EPOLLOUT, 5);      /* established: writable at ADD */
	expect_none(&k);
	assert_int_equal(ust_shutdown(k.c, k.cfd, SHUT_WR), 0);
	drive(&k, 5);
	expect_one(&k, EPOLLIN | EPOLLOUT | EPOLLRDHUP, 5);
	/* our own shutdown too: both directions gone, EPOLLHUP unasked */
	assert_int_equal(ust_shutdown(k.s, k.sfd, SHUT_WR), 0);
	expect_one(&k, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLHUP, 5);
	conn_free(&k);
}

static void test_close_removes_from_every_set(void **state)
{
	struct conn k;
	int other, fd;

	(void)state;
	conn_init(&k, true);
	other = ust_epoll_create1(k.s, 0);
	assert_int_equal(add(&k, k.sfd, EPOLLIN, 1), 0);
	{
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 2 };

		assert_int_equal(ust_epoll_ctl(k.s, other, EPOLL_CTL_ADD, k.sfd, &ev), 0);
	}
	client_send(&k, "x");
	fd = k.sfd;
	assert_int_equal(ust_close(k.s, k.sfd), 0);     /* ready, then closed */
	expect_none(&k);
	{
		struct epoll_event evs[2];

		assert_int_equal(ust_epoll_wait(k.s, other, evs, 2, 0), 0);
	}
	/* the number comes back for a new socket, which is not in the set */
	assert_int_equal(ust_socket(k.s, AF_INET, SOCK_STREAM, 0), fd);
	expect_err(ust_epoll_ctl(k.s, k.ep, EPOLL_CTL_DEL, fd, NULL), ENOENT);
	assert_int_equal(add(&k, fd, EPOLLIN, 1), 0);
	conn_free(&k);
}

/* Three ready sockets, maxevents 2: two now, then the third first in line. */
static void test_maxevents_keeps_the_rest(void **state)
{
	struct conn k;
	struct epoll_event evs[4];
	int fds[3];

	(void)state;
	conn_init(&k, true);
	ust_close(k.s, k.sfd);
	for (int i = 0; i < 3; i++) {
		fds[i] = ust_socket(k.s, AF_INET, SOCK_STREAM, 0);
		/* a fresh socket is in CLOSE: EPOLLOUT | EPOLLHUP */
		assert_int_equal(add(&k, fds[i], EPOLLOUT | EPOLLET, (uint64_t)i), 0);
	}
	assert_int_equal(ust_epoll_wait(k.s, k.ep, evs, 2, 0), 2);
	assert_int_equal(evs[0].data.u64, 0);
	assert_int_equal(evs[1].data.u64, 1);
	assert_int_equal(evs[0].events, EPOLLOUT | EPOLLHUP);
	assert_int_equal(ust_epoll_wait(k.s, k.ep, evs, 2, 0), 1);
	assert_int_equal(evs[0].data.u64, 2);
	assert_int_equal(ust_epoll_wait(k.s, k.ep, evs, 2, 0), 0);
	conn_free(&k);
}

/* --- blocking waits ----------------------------------------------------------- */

struct waiter {
	struct conn *k;
	int timeout, ret, err;
	struct epoll_event ev;
	volatile int done;
};

static void *do_wait(void *arg)
{
	struct waiter *w = arg;

	w->ret = ust_epoll_wait(w->k->s, w->k->ep, &w->ev, 1, w->timeout);
	w->err = errno;
	w->done = 1;
	return NULL;
}

static bool asleep(struct conn *k)
{
	uint32_t n;

	ust_stack_lock(k->s);
	n = ep_waiters(ust_stack_sockets(k->s), k->ep);
	ust_stack_unlock(k->s);
	return n > 0;
}

/* Waits (real time, up to 10 s) until the waiter sleeps in ust_epoll_wait.
 * Only then may the virtual clock move: a thread the scheduler starts late
 * would otherwise find its timeout already passed, or sleep with nobody
 * left to drive the clock. */
static void wait_asleep(struct conn *k)
{
	for (int i = 0; i < 100000 && !asleep(k); i++)
		usleep(100);
	assert_true(asleep(k));
}

static void test_blocking_wait_woken_by_data(void **state)
{
	struct conn k;
	struct waiter w = { .k = &k, .timeout = -1 };
	pthread_t t;

	(void)state;
	conn_init(&k, true);
	assert_int_equal(add(&k, k.sfd, EPOLLIN, 42), 0);
	assert_int_equal(pthread_create(&t, NULL, do_wait, &w), 0);
	wait_asleep(&k);
	for (int i = 0; i < 200 && !w.done; i++) {
		drive(&k, 1);
		sched_yield();
	}
	assert_int_equal(w.done, 0);      /* 200 ms of nothing: still asleep */
	assert_int_equal(ust_write(k.c, k.cfd, "z", 1), 1);
	for (int i = 0; i < 5000 && !w.done; i++) {
		drive(&k, 1);
		sched_yield();
	}
	pthread_join(t, NULL);
	assert_int_equal(w.ret, 1);
	assert_int_equal(w.ev.events, EPOLLIN);
	assert_int_equal(w.ev.data.u64, 42);
	conn_free(&k);
}

static void test_blocking_wait_times_out_on_stack_clock(void **state)
{
	struct conn k;
	struct waiter w = { .k = &k, .timeout = 300 };
	pthread_t t;
	uint64_t start;

	(void)state;
	conn_init(&k, true);
	assert_int_equal(add(&k, k.sfd, EPOLLIN, 1), 0);
	start = ust_stack_now(k.s);
	assert_int_equal(pthread_create(&t, NULL, do_wait, &w), 0);
	wait_asleep(&k);
	for (int i = 0; i < 5000 && !w.done; i++) {
		drive(&k, 1);
		sched_yield();
	}
	pthread_join(t, NULL);
	assert_int_equal(w.ret, 0);
	assert_true(ust_stack_now(k.s) - start >= 300 * MS);
	conn_free(&k);
}

/* close() of an instance a thread waits on: the waiter keeps it (as its file
 * reference does in Linux), finds it empty, and returns at its timeout; the
 * last one out frees it. */
static void test_close_epfd_while_waiting(void **state)
{
	struct conn k;
	struct waiter w = { .k = &k, .timeout = 200 };
	pthread_t t;
	uint64_t start;

	(void)state;
	conn_init(&k, true);
	assert_int_equal(add(&k, k.sfd, EPOLLIN, 1), 0);
	start = ust_stack_now(k.s);
	assert_int_equal(pthread_create(&t, NULL, do_wait, &w), 0);
	wait_asleep(&k);
	assert_int_equal(ust_close(k.s, k.ep), 0);
	expect_err(ust_close(k.s, k.ep), EBADF);
	client_send(&k, "late");       /* no longer watched: does not end the wait */
	for (int i = 0; i < 5000 && !w.done; i++) {
		drive(&k, 1);
		sched_yield();
	}
	pthread_join(t, NULL);
	assert_int_equal(w.ret, 0);
	assert_true(ust_stack_now(k.s) - start >= 200 * MS);
	conn_free(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_flags_and_size),
		cmocka_unit_test(test_ctl_errors),
		cmocka_unit_test(test_wait_errors_and_socket_calls_on_epfd),
		cmocka_unit_test(test_level_triggered_until_read),
		cmocka_unit_test(test_edge_triggered_once_per_arrival),
		cmocka_unit_test(test_oneshot_disarms_until_mod),
		cmocka_unit_test(test_listener_and_connect_completion),
		cmocka_unit_test(test_rdhup_then_hup),
		cmocka_unit_test(test_close_removes_from_every_set),
		cmocka_unit_test(test_maxevents_keeps_the_rest),
		cmocka_unit_test(test_blocking_wait_woken_by_data),
		cmocka_unit_test(test_blocking_wait_times_out_on_stack_clock),
		cmocka_unit_test(test_close_epfd_while_waiting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
