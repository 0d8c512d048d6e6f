/*
 * The sender, queueing and sending (tcp_write.c, tcp_ack.c, tcp_cong.c, the
 * send side of io.c and POLLOUT): initial window and slow start, congestion
 * avoidance, the send buffer, Nagle/TCP_CORK/MSG_MORE, writev, MSS against a
 * small window, send errors, the FIN behind queued data, blocking writes.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <cmocka.h>
#include "tcp_send_fixture.h"

/* tcp_write_xmit: the initial window is 10 segments (TCP_INIT_CWND); the rest
 * waits in the queue. PSH only on the segment that ends the write. Each ACK
 * in slow start opens the window by what it acknowledged. */
static void test_initial_window_then_slow_start(void **state)
{
	static uint8_t buf[20 * MSS];
	struct conn c;
	struct seg s;

	(void)state;
	conn_open(&c, false, WIN);
	assert_int_equal(ust_send(c.f.st, c.fd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	for (uint32_t i = 0; i < 10; i++) {
		s = expect_data(&c, i * MSS, MSS);
		assert_int_equal(s.flags, UST_TCP_ACK);
	}
	assert_int_equal(drain(&c), 0);
	assert_int_equal(c.sk->packets_out, 10);
	peer_ack(&c, 5 * MSS, WIN);
	assert_int_equal(c.sk->snd_cwnd, 15);
	for (uint32_t i = 10; i < 20; i++)
		s = expect_data(&c, i * MSS, MSS);
	assert_int_equal(s.flags, UST_TCP_ACK | UST_TCP_PSH);
	assert_int_equal(drain(&c), 0);
	fx_free(&c.f);
}

/* Congestion avoidance: above ssthresh, one segment per window acknowledged. */
static void test_congestion_avoidance_adds_one_per_window(void **state)
{
	static uint8_t buf[40 * MSS];
	struct conn c;

	(void)state;
	conn_open(&c, false, WIN);
	c.sk->snd_ssthresh = 10;
	assert_int_equal(ust_send(c.f.st, c.fd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	assert_int_equal(drain(&c), 10);
	for (uint32_t i = 1; i <= 9; i++)
		peer_ack(&c, i * MSS, WIN);
	assert_int_equal(c.sk->snd_cwnd, 10);
	peer_ack(&c, 10 * MSS, WIN);
	assert_int_equal(c.sk->snd_cwnd, 11);
	fx_free(&c.f);
}

/* sk_sndbuf bounds the queue: tcp_sndbuf_expand made it 46080 bytes, as
 * Linux 6.18 (Reno) does for MSS 1000. A non-blocking write takes what
 * fits, then EAGAIN; POLLOUT returns once ACKs free a third of it. */
static void test_sndbuf_bounds_queue_eagain_and_pollout(void **state)
{
	static uint8_t buf[200000];
	struct conn c;
	int v;
	socklen_t len = sizeof(v);
	ssize_t n;

	(void)state;
	conn_open(&c, false, WIN);
	assert_int_equal(ust_getsockopt(c.f.st, c.fd, SOL_SOCKET, SO_SNDBUF, &v, &len), 0);
	assert_int_equal(v, 46080);
	n = ust_send(c.f.st, c.fd, buf, sizeof(buf), 0);
	assert_int_equal(n, 47000);   /* whole segments while below 46080: the last one overshoots */
	assert_int_equal(ust_send(c.f.st, c.fd, buf, 1, 0), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(ust_send(c.f.st, c.fd, buf, 1, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	assert_false(poll_mask(&c) & POLLOUT);
	assert_int_equal(drain(&c), 10);
	/* cwnd 20 is all in use again after this ACK: the buffer does not grow
	 * (tcp_should_expand_sndbuf) and a third of it is not free yet. */
	peer_ack(&c, 10 * MSS, WIN);
	assert_int_equal(drain(&c), 20);
	assert_false(poll_mask(&c) & POLLOUT);
	peer_ack(&c, 30 * MSS, WIN);
	assert_true(poll_mask(&c) & POLLOUT);
	assert_int_equal(ust_send(c.f.st, c.fd, buf, 10, 0), 10);
	fx_free(&c.f);
}

/* SO_SNDBUF doubles and locks: no growth with cwnd. */
static void test_so_sndbuf_locks_the_buffer(void **state)
{
	struct conn c;
	int v = 10000;
	socklen_t len = sizeof(v);

	(void)state;
	conn_open(&c, false, WIN);
	assert_int_equal(ust_setsockopt(c.f.st, c.fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)), 0);
	tcp_sndbuf_expand(c.sk);
	assert_int_equal(ust_getsockopt(c.f.st, c.fd, SOL_SOCKET, SO_SNDBUF, &v, &len), 0);
	assert_int_equal(v, 20000);
	fx_free(&c.f);
}

/* Nagle with Minshall's rule; TCP_CORK holds even the first small segment
 * until uncorked; MSG_MORE corks one write. */
static void test_nagle_and_cork(void **state)
{
	uint8_t buf[300] = { 0 };
	struct conn c;
	struct seg s;
	int one = 1, zero = 0;

	(void)state;
	conn_open(&c, false, WIN);
	assert_int_equal(ust_send(c.f.st, c.fd, buf, 100, 0), 100);
	s = expect_data(&c, 0, 100);
	assert_int_equal(s.flags, UST_TCP_ACK | UST_TCP_PSH);
	assert_int_equal(ust_send(c.f.st, c.fd, buf, 100, 0), 100);
	assert_int_equal(drain(&c), 0);             /* Nagle: 0..100 is unacknowledged */
	peer_ack(&c, 100, WIN);
	expect_data(&c, 100, 100);
	peer_ack(&c, 200, WIN);

	assert_int_equal(ust_setsockopt(c.f.st, c.fd, IPPROTO_TCP, TCP_CORK, &one, sizeof(one)), 0);
	assert_int_equal(ust_send(c.f.st, c.fd, buf, 50, 0), 50);
	assert_int_equal(ust_send(c.f.st, c.fd, buf, 50, 0), 50);
	assert_int_equal(drain(&c), 0);
	assert_int_equal(ust_setsockopt(c.f.st, c.fd, IPPROTO_TCP, TCP_CORK, &zero, sizeof(zero)), 0);
	expect_data(&c, 200, 100);
	peer_ack(&c, 300, WIN);

	assert_int_equal(ust_send(c.f.st, c.fd, buf, 30, MSG_MORE), 30);
	assert_int_equal(drain(&c), 0);
	assert_int_equal(ust_send(c.f.st, c.fd, buf, 30, 0), 30);
	expect_data(&c, 300, 60);
	fx_free(&c.f);
}

/* writev is one message: one segment, PSH at its end. */
static void test_writev_is_one_message(void **state)
{
	uint8_t a[100] = { 0 }, b[200] = { 0 };
	struct iovec iov[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	struct conn c;
	struct seg s;

	(void)state;
	conn_open(&c, false, WIN);
	assert_int_equal(ust_writev(c.f.st, c.fd, iov, 2), 300);
	s = expect_data(&c, 0, 300);
	assert_int_equal(s.flags, UST_TCP_ACK | UST_TCP_PSH);
	assert_int_equal(drain(&c), 0);
	fx_free(&c.f);
}

/* After a reset: the first write reports ECONNRESET, the next EPIPE. After
 * shutdown(SHUT_WR): EPIPE, and POLLOUT (a write would not block). */
static void test_send_errors_after_reset_and_shutdown(void **state)
{
	uint8_t buf[10] = { 0 };
	struct conn c;
	struct seg rst = { .sport = PORT, .dport = 8080, .seq = 1001, .flags = UST_TCP_RST, .win = 0 };

	(void)state;
	conn_open(&c, false, WIN);
	fx_send(&c.f, &rst);
	assert_int_equal(ust_send(c.f.st, c.fd, buf, 0, 0), -1);   /* even for no bytes */
	assert_int_equal(errno, ECONNRESET);
	assert_int_equal(ust_send(c.f.st, c.fd, buf, 10, 0), -1);
	assert_int_equal(errno, EPIPE);
	fx_free(&c.f);

	conn_open(&c, false, WIN);
	assert_int_equal(ust_shutdown(c.f.st, c.fd, SHUT_WR), 0);
	assert_int_equal(ust_send(c.f.st, c.fd, buf, 10, 0), -1);
	assert_int_equal(errno, EPIPE);
	assert_true(poll_mask(&c) & POLLOUT);
	fx_free(&c.f);
}

/* The FIN joins the queue: with data waiting for the window it goes on the
 * last segment, only when the window lets that out. */
static void test_fin_waits_behind_queued_data(void **state)
{
	static uint8_t buf[3 * MSS];
	struct conn c;
	struct seg s;

	(void)state;
	conn_open(&c, false, 16);                        /* 16 << 7 = 2048 bytes */
	assert_int_equal(ust_send(c.f.st, c.fd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	expect_data(&c, 0, MSS);
	expect_data(&c, MSS, MSS);
	assert_int_equal(ust_shutdown(c.f.st, c.fd, SHUT_WR), 0);
	assert_int_equal(drain(&c), 0);
	assert_int_equal(c.sk->sk_state, TCP_FIN_WAIT1);
	peer_ack(&c, MSS, 16);
	s = expect_data(&c, 2 * MSS, MSS);
	assert_int_equal(s.flags, UST_TCP_ACK | UST_TCP_PSH | UST_TCP_FIN);
	peer_ack(&c, 2 * MSS, 16);
	assert_int_equal(c.sk->sk_state, TCP_FIN_WAIT1);
	peer_ack(&c, 3 * MSS + 1, 16);
	assert_int_equal(c.sk->sk_state, TCP_FIN_WAIT2);
	fx_free(&c.f);
}

/* tcp_bound_to_half_wnd: a peer whose largest window is 1024 bytes gets
 * segments of 512, so two can be in flight. */
static void test_mss_bounded_by_half_the_window(void **state)
{
	static uint8_t buf[3 * MSS];
	struct conn c;

	(void)state;
	conn_open(&c, false, 8);                         /* 8 << 7 = 1024 bytes */
	assert_int_equal(ust_send(c.f.st, c.fd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	expect_data(&c, 0, 512);
	expect_data(&c, 512, 512);
	assert_int_equal(drain(&c), 0);
	fx_free(&c.f);
}

struct blocked_send {
	struct conn *c;
	size_t len;
	ssize_t ret;
	int err;
	volatile int done;
};

static void *blocked_send_fn(void *arg)
{
	struct blocked_send *b = arg;
	static uint8_t buf[200000];

	b->ret = ust_send(b->c->f.st, b->c->fd, buf, b->len, 0);
	b->err = errno;
	b->done = 1;
	return NULL;
}

/* Runs a blocking send in a thread while this one moves virtual time in
 * 1 ms steps; returns the virtual ms it took (bounded). */
static unsigned run_blocked_send(struct blocked_send *b, void (*at_ms)(struct conn *c, unsigned ms))
{
	pthread_t th;
	unsigned ms = 0;

	assert_int_equal(pthread_create(&th, NULL, blocked_send_fn, b), 0);
	/* Let it reach its wait before time moves. */
	for (unsigned i = 0; i < 2000 && !b->c->sk->sk_waiters && !b->done; i++)
		usleep(1000);
	while (!b->done && ms < 10000) {
		advance_ms(b->c, 1);
		ms++;
		if (at_ms)
			at_ms(b->c, ms);
		usleep(50);   /* room for a woken sender to take the lock */
	}
	pthread_join(th, NULL);
	return ms;
}

/* SO_SNDTIMEO: a blocking write that outgrows the buffer sleeps; when the
 * timeout passes with nothing acknowledged it returns what it took, or
 * EAGAIN if it took nothing. (The driving loop keeps moving time while the
 * woken thread gets the lock, so the measured time may run over.) */
static void test_blocking_send_times_out_with_partial_count(void **state)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = 500000 };
	struct blocked_send b = { .len = 100000 };
	struct conn c;
	unsigned ms;

	(void)state;
	conn_open(&c, false, WIN);
	b.c = &c;
	assert_int_equal(ust_fcntl(c.f.st, c.fd, F_SETFL, 0), 0);
	assert_int_equal(ust_setsockopt(c.f.st, c.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), 0);
	ms = run_blocked_send(&b, NULL);
	assert_true(ms >= 500 && ms < 5000);     /* never early; late by thread scheduling */
	assert_int_equal(b.ret, 47000);
	/* Nothing fits now: the whole timeout, then EAGAIN. */
	b.done = 0;
	ms = run_blocked_send(&b, NULL);
	assert_true(ms >= 500 && ms < 5000);     /* never early; late by thread scheduling */
	assert_int_equal(b.ret, -1);
	assert_int_equal(b.err, EAGAIN);
	fx_free(&c.f);
}

static void ack_everything_at_50ms(struct conn *c, unsigned ms)
{
	if (ms % 50 == 0)
		peer_ack(c, c->sk->snd_nxt - c->isn - 1, WIN);
	drain(c);
}

/* ACKs free space and the sleeping writer finishes the whole write. */
static void test_blocking_send_completes_as_acks_free_space(void **state)
{
	struct blocked_send b = { .len = 150000 };
	struct conn c;

	(void)state;
	conn_open(&c, false, WIN);
	b.c = &c;
	assert_int_equal(ust_fcntl(c.f.st, c.fd, F_SETFL, 0), 0);
	run_blocked_send(&b, ack_everything_at_50ms);
	assert_int_equal(b.ret, 150000);
	fx_free(&c.f);
}

/* TCP_CONGESTION: a name, "reno" the one there is (its getsockopt is cut to
 * the caller's length, NUL-padded to 16); any other is ENOENT, as Linux says
 * for an algorithm it cannot load; a length under 1 is EINVAL. */
static void test_tcp_congestion_option(void **state)
{
	char name[32];
	socklen_t len = sizeof(name);
	struct conn c;

	(void)state;
	conn_open(&c, false, WIN);
	assert_int_equal(ust_getsockopt(c.f.st, c.fd, IPPROTO_TCP, 13, name, &len), 0);
	assert_int_equal(len, 16);
	assert_string_equal(name, "reno");
	assert_int_equal(ust_setsockopt(c.f.st, c.fd, IPPROTO_TCP, 13, "reno", 4), 0);
	assert_int_equal(ust_setsockopt(c.f.st, c.fd, IPPROTO_TCP, 13, "cubic", 5), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(ust_setsockopt(c.f.st, c.fd, IPPROTO_TCP, 13, "reno", 0), -1);
	assert_int_equal(errno, EINVAL);
	len = 2;
	assert_int_equal(ust_getsockopt(c.f.st, c.fd, IPPROTO_TCP, 13, name, &len), 0);
	assert_int_equal(len, 2);
	assert_memory_equal(name, "re", 2);
	fx_free(&c.f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_initial_window_then_slow_start),
		cmocka_unit_test(test_congestion_avoidance_adds_one_per_window),
		cmocka_unit_test(test_sndbuf_bounds_queue_eagain_and_pollout),
		cmocka_unit_test(test_so_sndbuf_locks_the_buffer),
		cmocka_unit_test(test_tcp_congestion_option),
		cmocka_unit_test(test_nagle_and_cork),
		cmocka_unit_test(test_writev_is_one_message),
		cmocka_unit_test(test_send_errors_after_reset_and_shutdown),
		cmocka_unit_test(test_fin_waits_behind_queued_data),
		cmocka_unit_test(test_mss_bounded_by_half_the_window),
		cmocka_unit_test(test_blocking_send_times_out_with_partial_count),
		cmocka_unit_test(test_blocking_send_completes_as_acks_free_space),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
