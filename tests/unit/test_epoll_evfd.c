/*
 * ust_stack_event_fd: the kernel descriptor an application puts in its own
 * event loop is readable exactly when the stack has work — ust_stack_wakeup()
 * was called, or a timer is due (armed by the stack, by a socket call, or by a
 * sleeping call's timeout) — and ust_stack_poll() makes it quiet again. Real
 * clock: the timers here are 100 ms and 1 s (the SYN's RTO).
 */
#define _GNU_SOURCE 1
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "ustack/ustack.h"

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, timeout_ms);
}

static struct ust_stack *rstack(void)
{
	struct ust_stack_config cfg;

	ust_stack_config_init(&cfg);
	cfg.seed = 5;
	return ust_stack_new(&cfg);
}

static void test_wakeup_makes_it_readable_and_poll_drains(void **state)
{
	struct ust_stack *st = rstack();
	int efd;

	(void)state;
	efd = ust_stack_event_fd(st);
	assert_true(efd >= 0);
	assert_int_equal(ust_stack_event_fd(st), efd);   /* one per stack */
	assert_int_equal(readable(efd, 0), 0);
	assert_int_equal(ust_stack_wakeup(st), 0);
	assert_int_equal(ust_stack_wakeup(st), 0);
	assert_int_equal(readable(efd, 0), 1);
	ust_stack_poll(st);
	assert_int_equal(readable(efd, 0), 0);
	ust_stack_free(st);
}

/* A non-blocking connect arms the SYN's 1 s timer from the caller's thread; the
 * descriptor turns readable when it is due, and the poll then retransmits. */
static void test_socket_call_timer_arms_it(void **state)
{
	struct ust_stack *st = rstack();
	struct ust_netdev *dev;
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(80) };
	uint64_t t0, dt;
	int efd, fd, wakeups;

	(void)state;
	assert_int_equal(ust_pipe_create(st, UST_FRAMING_IP, 1500, &dev), 0);
	assert_int_equal(ust_addr_add(st, dev, inet_addr("192.0.2.1"), 24), 0);
	efd = ust_stack_event_fd(st);
	assert_int_equal(readable(efd, 0), 0);
	dst.sin_addr.s_addr = inet_addr("192.0.2.2");
	fd = ust_socket(st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	t0 = mono_ms();
	assert_int_equal(ust_connect(st, fd, (struct sockaddr *)&dst, sizeof(dst)), -1);
	assert_int_equal(errno, EINPROGRESS);
	assert_int_equal(ust_pipe_pending(dev), 1);      /* the SYN */
	/* The wheel may name the first tick of a coarse slot (a lower bound),
	 * so a wake-up or two can come early; each poll re-arms it closer. */
	for (wakeups = 0; wakeups < 10 && ust_pipe_pending(dev) < 2; wakeups++) {
		assert_int_equal(readable(efd, 3000), 1);
		ust_stack_poll(st);
	}
	dt = mono_ms() - t0;
	assert_int_equal(ust_pipe_pending(dev), 2);      /* and its retransmission */
	assert_true(wakeups <= 3);
	assert_true(dt >= 999 && dt < 2500);
	assert_int_equal(readable(efd, 0), 0);          /* re-armed for the next one, 2 s on */
	ust_stack_free(st);
}

struct waiter {
	struct ust_stack *st;
	int ep, ret;
	volatile int done;
};

static void *do_epoll_wait(void *arg)
{
	struct waiter *w = arg;
	struct epoll_event ev;

	w->ret = ust_epoll_wait(w->st, w->ep, &ev, 1, 100);
	w->done = 1;
	return NULL;
}

/* A sleeping call's timeout is a stack timer too: the thread that drives the
 * stack through the descriptor sees it and ends the sleep on time. */
static void test_sleepers_timeout_arms_it(void **state)
{
	struct ust_stack *st = rstack();
	struct waiter w = { .st = st };
	pthread_t t;
	uint64_t t0, dt;
	int efd;

	(void)state;
	efd = ust_stack_event_fd(st);
	w.ep = ust_epoll_create1(st, 0);
	t0 = mono_ms();
	assert_int_equal(pthread_create(&t, NULL, do_epoll_wait, &w), 0);
	for (int i = 0; i < 50 && !w.done; i++) {
		if (readable(efd, 100) == 1)
			ust_stack_poll(st);
	}
	pthread_join(t, NULL);
	dt = mono_ms() - t0;
	assert_int_equal(w.ret, 0);
	assert_true(dt >= 99 && dt < 1500);
	ust_stack_free(st);
}

static void *do_wakeup(void *arg)
{
	usleep(50000);
	ust_stack_wakeup(arg);
	return NULL;
}

/* ust_stack_wait sleeps on the devices and the next timer, and also ends when
 * another thread calls ust_stack_wakeup. */
static void test_stack_wait_ends_on_wakeup(void **state)
{
	struct ust_stack *st = rstack();
	pthread_t t;
	uint64_t t0, dt;

	(void)state;
	assert_int_equal(ust_stack_wakeup(st), 0);       /* makes the eventfd */
	ust_stack_poll(st);
	t0 = mono_ms();
	assert_int_equal(pthread_create(&t, NULL, do_wakeup, st), 0);
	assert_int_equal(ust_stack_wait(st, 5000), 0);   /* no device was readable */
	dt = mono_ms() - t0;
	pthread_join(t, NULL);
	assert_true(dt >= 45 && dt < 2000);
	ust_stack_free(st);
}

static void test_bad_arguments(void **state)
{
	(void)state;
	errno = 0;
	assert_int_equal(ust_stack_event_fd(NULL), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(ust_stack_wakeup(NULL), -1);
	assert_int_equal(errno, EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wakeup_makes_it_readable_and_poll_drains),
		cmocka_unit_test(test_socket_call_timer_arms_it),
		cmocka_unit_test(test_sleepers_timeout_arms_it),
		cmocka_unit_test(test_stack_wait_ends_on_wakeup),
		cmocka_unit_test(test_bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
