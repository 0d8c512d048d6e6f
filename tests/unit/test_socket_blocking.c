/*
 * Blocking socket calls (API-9, API-14): several application threads block in
 * connect() and accept() on two stacks joined by a memlink while the main
 * thread drives both stacks' virtual clocks. The stack lock serialises them;
 * each sleeper is woken from the stack's thread, as inet_wait_for_connect and
 * inet_csk_wait_for_connect are.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <sched.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>
#include <cmocka.h>
#include "socket/socket.h"
#include "stack.h"
#include "ustack/ustack.h"
#include "vstack.h"

#define MS 1000000ULL
#define NTHREADS 4

struct pair {
	struct ust_stack *c, *s;
	struct ust_netdev *dc, *ds;
	struct sockaddr_in srv;
	int lfd;
};

static void pair_init(struct pair *p, int listen_backlog)
{
	struct ust_memlink_config lc;

	p->c = vstack("client", 1);
	p->s = vstack("server", 2);
	ust_memlink_config_init(&lc);
	lc.framing = UST_FRAMING_IP;
	lc.delay_ns = 1 * MS;
	assert_int_equal(ust_memlink_create(p->c, p->s, &lc, &p->dc, &p->ds), 0);
	assert_int_equal(ust_addr_add(p->c, p->dc, inet_addr("192.0.2.1"), 24), 0);
	assert_int_equal(ust_addr_add(p->s, p->ds, inet_addr("192.0.2.2"), 24), 0);
	memset(&p->srv, 0, sizeof(p->srv));
	p->srv.sin_family = AF_INET;
	p->srv.sin_port = htons(8080);
	p->srv.sin_addr.s_addr = inet_addr("192.0.2.2");
	p->lfd = -1;
	if (listen_backlog >= 0) {
		p->lfd = ust_socket(p->s, AF_INET, SOCK_STREAM, 0);
		assert_int_equal(ust_bind(p->s, p->lfd, (struct sockaddr *)&p->srv, sizeof(p->srv)), 0);
		assert_int_equal(ust_listen(p->s, p->lfd, listen_backlog), 0);
	}
}

/* Moves both virtual clocks by `ms` in 1 ms steps (the threads get to run
 * between steps because every step takes and releases the stack locks). */
static void drive(struct pair *p, unsigned ms)
{
	for (unsigned i = 0; i < ms; i++) {
		ust_stack_advance(p->c, MS);
		ust_stack_advance(p->s, MS);
		sched_yield();
	}
}

struct call {
	struct pair *p;
	int fd;
	int ret;
	int err;
	volatile int done;
};

static void *do_connect(void *arg)
{
	struct call *c = arg;

	c->ret = ust_connect(c->p->c, c->fd, (struct sockaddr *)&c->p->srv, sizeof(c->p->srv));
	c->err = errno;
	c->done = 1;
	return NULL;
}

static void *do_accept(void *arg)
{
	struct call *c = arg;

	c->ret = ust_accept(c->p->s, c->fd, NULL, NULL);
	c->err = errno;
	c->done = 1;
	return NULL;
}

/* True once some call sleeps on the socket behind fd (read under the lock). */
static bool asleep_on(struct ust_stack *st, int fd)
{
	struct ust_sockets *s = ust_stack_sockets(st);
	struct ust_sock *sk;
	bool asleep;

	ust_stack_lock(st);
	sk = ust_fd_get(s, fd);
	asleep = sk && sk->sk_waiters > 0;
	ust_stack_unlock(st);
	return asleep;
}

/* Waits (real time, up to 10 s) until a call sleeps on fd. Every test lets a
 * thread's call go to sleep before it drives the virtual clock: a thread the
 * scheduler starts late must not find the clock already moved past its
 * timers, or stopped with nobody left to move it. */
static void wait_asleep(struct ust_stack *st, int fd)
{
	for (int i = 0; i < 100000 && !asleep_on(st, fd); i++)
		usleep(100);
	assert_true(asleep_on(st, fd));
}

/* Drives the clock until every call returned, at most max_ms of virtual time;
 * then waits for the woken threads to be scheduled, which needs no clock. */
static void wait_done(struct pair *p, struct call *calls, int n, unsigned max_ms)
{
	for (unsigned ms = 0; ms < max_ms; ms++) {
		int left = 0;

		for (int i = 0; i < n; i++)
			left += !calls[i].done;
		if (!left)
			return;
		drive(p, 1);
	}
}

/* Four threads block in connect(), four in accept(); all complete. */
static void test_blocking_connect_and_accept_from_threads(void **state)
{
	struct pair p;
	struct call conn[NTHREADS], acc[NTHREADS];
	pthread_t tc[NTHREADS], ta[NTHREADS];
	int seen[64] = { 0 };

	(void)state;
	pair_init(&p, 16);
	for (int i = 0; i < NTHREADS; i++) {
		acc[i] = (struct call){ .p = &p, .fd = p.lfd };
		conn[i] = (struct call){ .p = &p, .fd = ust_socket(p.c, AF_INET, SOCK_STREAM, 0) };
		assert_true(conn[i].fd >= 0);
		assert_int_equal(pthread_create(&ta[i], NULL, do_accept, &acc[i]), 0);
		assert_int_equal(pthread_create(&tc[i], NULL, do_connect, &conn[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++)
		wait_asleep(p.c, conn[i].fd);
	wait_done(&p, conn, NTHREADS, 5000);
	wait_done(&p, acc, NTHREADS, 5000);
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(tc[i], NULL);
		pthread_join(ta[i], NULL);
		assert_int_equal(conn[i].ret, 0);
		assert_true(acc[i].ret >= 3 && acc[i].ret < 64);
		assert_int_equal(seen[acc[i].ret], 0);   /* each child handed out once */
		seen[acc[i].ret] = 1;
	}
	ust_stack_free(p.c);
	ust_stack_free(p.s);
}

/* API-9: when SO_SNDTIMEO passes, a blocking connect() returns EINPROGRESS,
 * timed on the virtual clock, and the attempt goes on. The destination
 * (192.0.2.3) has no host, so nothing answers before the timeout. */
static void test_sndtimeo_returns_einprogress(void **state)
{
	struct pair p;
	struct timeval tv = { .tv_sec = 0, .tv_usec = 500000 };
	struct call c;
	pthread_t t;
	uint64_t start;

	(void)state;
	pair_init(&p, -1);
	p.srv.sin_addr.s_addr = inet_addr("192.0.2.3");
	c = (struct call){ .p = &p, .fd = ust_socket(p.c, AF_INET, SOCK_STREAM, 0) };
	assert_int_equal(ust_setsockopt(p.c, c.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), 0);
	start = ust_stack_now(p.c);
	assert_int_equal(pthread_create(&t, NULL, do_connect, &c), 0);
	wait_asleep(p.c, c.fd);
	/* Up to 1 ms before the timeout the call must still sleep; then the
	 * clock crosses 500 ms and stops, so the call can only end through its
	 * own timer (the SYN's next timeout is at 1 s), however late the thread
	 * is scheduled. */
	drive(&p, 499);
	assert_false(c.done);
	assert_true(asleep_on(p.c, c.fd));
	drive(&p, 2);
	for (int i = 0; i < 5000 && !c.done; i++)
		usleep(1000);
	assert_true(c.done);
	pthread_join(t, NULL);
	assert_int_equal(c.ret, -1);
	assert_int_equal(c.err, EINPROGRESS);
	assert_int_equal(ust_stack_now(p.c) - start, 501 * MS);
	/* The attempt goes on: still connecting. (Asked without blocking: a
	 * blocking connect() would wait again, as Linux's does.) */
	assert_int_equal(ust_fcntl(p.c, c.fd, F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(ust_connect(p.c, c.fd, (struct sockaddr *)&p.srv, sizeof(p.srv)), -1);
	assert_int_equal(errno, EALREADY);
	ust_stack_free(p.c);
	ust_stack_free(p.s);
}

/* API-14: SO_RCVTIMEO on a listener: accept() gives EAGAIN after it. */
static void test_rcvtimeo_accept_eagain(void **state)
{
	struct pair p;
	struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };
	struct call c;
	pthread_t t;

	(void)state;
	pair_init(&p, 4);
	assert_int_equal(ust_setsockopt(p.s, p.lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	c = (struct call){ .p = &p, .fd = p.lfd };
	assert_int_equal(pthread_create(&t, NULL, do_accept, &c), 0);
	wait_asleep(p.s, p.lfd);
	wait_done(&p, &c, 1, 2000);
	pthread_join(t, NULL);
	assert_int_equal(c.ret, -1);
	assert_int_equal(c.err, EAGAIN);
	ust_stack_free(p.c);
	ust_stack_free(p.s);
}

/* API-14: closing the listener while accept() sleeps wakes it with EINVAL. */
static void test_close_listener_wakes_accept(void **state)
{
	struct pair p;
	struct call c;
	pthread_t t;

	(void)state;
	pair_init(&p, 4);
	c = (struct call){ .p = &p, .fd = p.lfd };
	assert_int_equal(pthread_create(&t, NULL, do_accept, &c), 0);
	wait_asleep(p.s, p.lfd);
	assert_false(c.done);
	assert_int_equal(ust_shutdown(p.s, p.lfd, SHUT_RD), 0);
	wait_done(&p, &c, 1, 1000);
	pthread_join(t, NULL);
	assert_int_equal(c.ret, -1);
	assert_int_equal(c.err, EINVAL);
	ust_stack_free(p.c);
	ust_stack_free(p.s);
}

/* close() of a listener while accept() sleeps on it: as in Linux, the sleeping
 * call keeps the socket (and its listening) alive, so no deadlock and no
 * freed memory under it; the accept returns the next connection, and the
 * close completes when it does. */
static void test_close_while_accept_sleeps(void **state)
{
	struct pair p;
	struct call acc, conn;
	pthread_t ta, tc;

	(void)state;
	pair_init(&p, 4);
	acc = (struct call){ .p = &p, .fd = p.lfd };
	assert_int_equal(pthread_create(&ta, NULL, do_accept, &acc), 0);
	wait_asleep(p.s, p.lfd);        /* close only once accept() sleeps */
	assert_int_equal(ust_close(p.s, p.lfd), 0);
	assert_int_equal(ust_close(p.s, p.lfd), -1);      /* the descriptor is gone */
	assert_int_equal(errno, EBADF);
	conn = (struct call){ .p = &p, .fd = ust_socket(p.c, AF_INET, SOCK_STREAM, 0) };
	assert_int_equal(pthread_create(&tc, NULL, do_connect, &conn), 0);
	wait_asleep(p.c, conn.fd);
	wait_done(&p, &conn, 1, 2000);
	wait_done(&p, &acc, 1, 2000);
	pthread_join(tc, NULL);
	pthread_join(ta, NULL);
	assert_int_equal(conn.ret, 0);
	assert_true(acc.ret >= 3);
	ust_stack_free(p.c);
	ust_stack_free(p.s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocking_connect_and_accept_from_threads),
		cmocka_unit_test(test_sndtimeo_returns_einprogress),
		cmocka_unit_test(test_rcvtimeo_accept_eagain),
		cmocka_unit_test(test_close_listener_wakes_accept),
		cmocka_unit_test(test_close_while_accept_sleeps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
