/* tap/tun argument checks and ust_stack_wait, without touching a real device. */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "netdev/tap.h"
#include "stack.h"
#include "ustack/ustack.h"

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void test_names(void **state)
{
	(void)state;
	assert_int_equal(ust_tap_check_name(NULL), 0);
	assert_int_equal(ust_tap_check_name(""), 0);
	assert_int_equal(ust_tap_check_name("ustap0"), 0);
	assert_int_equal(ust_tap_check_name("abcdefghijklmno"), 0);         /* 15 */
	assert_int_equal(ust_tap_check_name("abcdefghijklmnop"), -EINVAL);  /* 16 */
	assert_int_equal(ust_tap_check_name("a/b"), -EINVAL);
	assert_int_equal(ust_tap_check_name("a b"), -EINVAL);
	assert_int_equal(ust_tap_check_name(".."), -EINVAL);
}

static void test_open_rejects_bad_arguments(void **state)
{
	struct ust_stack *st = ust_stack_new(NULL);
	struct ust_netdev *dev = NULL;

	(void)state;
	assert_non_null(st);
	errno = 0;
	assert_int_equal(ust_tap_open(st, "a-name-that-is-too-long", &dev), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(ust_tun_open(st, "bad/name", &dev), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(ust_tap_open(NULL, "x", &dev), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(ust_tap_open(st, "x", NULL), -1);
	assert_null(dev);
	assert_null(ust_tap_ifname(NULL));
	ust_stack_free(st);
}

/* No device with an fd and nothing pending: sleeps max_ms, no longer. */
static void test_wait_times_out(void **state)
{
	struct ust_stack *st = ust_stack_new(NULL);
	uint64_t t0;

	(void)state;
	assert_non_null(st);
	t0 = mono_ms();
	assert_int_equal(ust_stack_wait(st, 30), 0);
	assert_true(mono_ms() - t0 >= 25);
	assert_true(mono_ms() - t0 < 2000);
	ust_stack_free(st);
}

/* A pending SYN retransmission (1 s) bounds the sleep below a long max_ms. */
static void test_wait_wakes_for_timer(void **state)
{
	struct ust_stack *st = ust_stack_new(NULL);
	struct ust_netdev *dev;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(80) };
	uint64_t t0, next;
	int fd;

	(void)state;
	assert_non_null(st);
	assert_int_equal(ust_pipe_create(st, UST_FRAMING_IP, 0, &dev), 0);
	assert_int_equal(ust_addr_add(st, dev, htonl(0xc0000202), 24), 0);
	sa.sin_addr.s_addr = htonl(0xc0000201);
	fd = ust_socket(st, AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(ust_fcntl(st, fd, F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(ust_connect(st, fd, (struct sockaddr *)&sa, sizeof(sa)), -1);
	assert_int_equal(errno, EINPROGRESS);
	next = ust_stack_next_event(st);
	assert_true(next != UINT64_MAX);
	t0 = mono_ms();
	assert_int_equal(ust_stack_wait(st, 10000), 0);
	assert_true(mono_ms() - t0 < 5000);
	assert_true(ust_stack_now(st) + 1000000 >= next);   /* slept up to the timer */
	ust_stack_free(st);
}

/* Devices without an fd (pipe) give ust_stack_wait nothing to poll. */
static void test_wait_fds_accessor(void **state)
{
	struct ust_stack *st = ust_stack_new(NULL);
	struct ust_netdev *dev;
	int fds[4];

	(void)state;
	assert_non_null(st);
	assert_int_equal(ust_stack_fds(st, fds, 4), 0);
	assert_int_equal(ust_pipe_create(st, UST_FRAMING_ETH, 0, &dev), 0);
	assert_int_equal(ust_stack_fds(st, fds, 4), 0);
	ust_stack_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_open_rejects_bad_arguments),
		cmocka_unit_test(test_wait_times_out),
		cmocka_unit_test(test_wait_wakes_for_timer),
		cmocka_unit_test(test_wait_fds_accessor),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
