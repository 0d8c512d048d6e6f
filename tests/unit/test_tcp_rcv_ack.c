/*
 * When the receiver ACKs and what window it offers (tcp_rcv.c): quickack
 * mode, the delayed-ACK timer, pingpong and TCP_QUICKACK, the zero window
 * and its reopening, receive-buffer autotuning; and the socket calls that
 * read (io.c): flags, errno values, readv, SO_RCVLOWAT with poll.
 */
#define _GNU_SOURCE 1   /* POLLRDHUP */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/time.h>
#include "tcp/tcp.h"
#include "socket/socket.h"
#include "tcp_rcv_fixture.h"

#define TCP_QUICKACK 12   /* <netinet/tcp.h> clashes with the kernel-named states */

static void advance_ms(struct conn *c, unsigned ms)
{
	for (unsigned i = 0; i < ms; i++)
		ust_stack_advance(c->f.st, MS);
}

/* Sends the first 16 segments (all quickacked) and reads them. */
static void past_quickack(struct conn *c)
{
	for (uint32_t i = 0; i < 16; i++) {
		conn_data(c, i * 1000, 1000, 0);
		conn_expect_ack(c, (i + 1) * 1000);
	}
	conn_read_check(c, 0, 16000);
	assert_false(fx_recv(&c->f, &(struct seg){ 0 }));
}

/* Quickack mode lasts min(rcv_wnd / (2 * rcv_mss), 16) ACKs; then a lone
 * segment's ACK waits ato = 40 ms for the delack timer. */
static void test_quickack_then_delayed_ack_at_40ms(void **state)
{
	struct conn c;
	struct seg out;

	(void)state;
	conn_open(&c, true, false, 0);
	past_quickack(&c);
	advance_ms(&c, 100);
	conn_data(&c, 16000, 1000, 0);
	advance_ms(&c, 39);
	assert_false(fx_recv(&c.f, &out));
	advance_ms(&c, 1);
	conn_expect_ack(&c, 17000);
	assert_int_equal(fx_stat(&c.f, "TcpExtDelayedACKs"), 1);
	conn_close(&c);
}

/* A second full-sized segment is ACKed at once while the reader waits for
 * SO_RCVLOWAT bytes (__tcp_ack_snd_check), as rcv-delack.pkt shows on Linux. */
static void test_second_segment_acked_at_once_below_rcvlowat(void **state)
{
	int lowat = 10000;
	struct conn c;
	struct seg out;

	(void)state;
	conn_open(&c, true, false, 0);
	assert_int_equal(ust_setsockopt(c.f.st, c.fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat)), 0);
	past_quickack(&c);
	advance_ms(&c, 100);
	conn_data(&c, 16000, 1000, 0);
	assert_false(fx_recv(&c.f, &out));
	advance_ms(&c, 10);
	conn_data(&c, 17000, 1000, 0);
	conn_expect_ack(&c, 18000);
	assert_int_equal(fx_stat(&c.f, "TcpExtDelayedACKs"), 0);
	conn_close(&c);
}

/* TCP_QUICKACK 0 is pingpong mode; a delayed ACK that had to fire ends it
 * (tcp_delack_timer). TCP_QUICKACK 1 sends what is owed once the data is read. */
static void test_tcp_quickack_option(void **state)
{
	int zero = 0, one = 1, v = -1;
	socklen_t len = sizeof(v);
	struct conn c;
	struct seg out;

	(void)state;
	conn_open(&c, true, false, 0);
	assert_int_equal(ust_getsockopt(c.f.st, c.fd, IPPROTO_TCP, TCP_QUICKACK, &v, &len), 0);
	assert_int_equal(v, 1);
	assert_int_equal(ust_setsockopt(c.f.st, c.fd, IPPROTO_TCP, TCP_QUICKACK, &zero, sizeof(zero)), 0);
	assert_int_equal(ust_getsockopt(c.f.st, c.fd, IPPROTO_TCP, TCP_QUICKACK, &v, &len), 0);
	assert_int_equal(v, 0);
	/* Even the first data waits in pingpong mode. */
	conn_data(&c, 0, 1000, 0);
	advance_ms(&c, 39);
	assert_false(fx_recv(&c.f, &out));
	advance_ms(&c, 1);
	conn_expect_ack(&c, 1000);
	assert_int_equal(ust_getsockopt(c.f.st, c.fd, IPPROTO_TCP, TCP_QUICKACK, &v, &len), 0);
	assert_int_equal(v, 1);
	conn_close(&c);

	/* Owed ACK, data read, then TCP_QUICKACK 1: the ACK goes now. */

	conn_open(&c, true, false, 0);
	assert_int_equal(ust_setsockopt(c.f.st, c.fd, IPPROTO_TCP, TCP_QUICKACK, &zero, sizeof(zero)), 0);
	conn_data(&c, 0, 1000, 0);
	conn_read_check(&c, 0, 1000);
	assert_false(fx_recv(&c.f, &out));
	assert_int_equal(ust_setsockopt(c.f.st, c.fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one)), 0);
	conn_expect_ack(&c, 1000);
	conn_close(&c);
}

/*
 * SO_RCVBUF 4096 (8192 bytes, no window scale): the window closes as data
 * waits unread, down to zero; a probe past it is answered with the zero
 * window at once; the read that empties the buffer reopens it with an ACK.
 */
static void test_zero_window_and_reopen(void **state)
{
	struct conn c;
	struct seg out;

	(void)state;
	conn_open(&c, true, false, 4096);
	/* Each 1000-byte segment costs 2304 of the 8192: 2553 bytes of window
	 * are left after the first, offered as whole segments. */
	conn_data(&c, 0, 1000, 0);
	out = conn_expect_ack(&c, 1000);
	assert_int_equal(out.win, 2000);
	conn_data(&c, 1000, 1000, 0);
	conn_data(&c, 2000, 1000, 0);
	assert_false(fx_recv(&c.f, &out));
	advance_ms(&c, 40);
	out = conn_expect_ack(&c, 3000);
	assert_int_equal(out.win, 0);
	assert_int_equal(fx_stat(&c.f, "TcpExtTCPToZeroWindowAdv"), 1);
	assert_int_equal(fx_stat(&c.f, "TcpExtDelayedACKs"), 1);
	/* A zero-window probe gets the zero window back, at once. */
	conn_data(&c, 3000, 1, 0);
	out = conn_expect_ack(&c, 3000);
	assert_int_equal(out.win, 0);
	/* Reading everything reopens the window. */
	conn_read_check(&c, 0, 3000);
	out = conn_expect_ack(&c, 3000);
	assert_int_equal(out.win, 2000);
	assert_int_equal(fx_stat(&c.f, "TcpExtTCPFromZeroWindowAdv"), 1);
	/* The delayed ACK had to fire, so ato doubled to 80 ms (tcp_delack_timer);
	 * this segment comes 40 ms after the last: ato = 80 / 2 + 40 = 80 ms. */
	conn_data(&c, 3000, 1000, 0);
	advance_ms(&c, 79);
	assert_false(fx_recv(&c.f, &out));
	advance_ms(&c, 1);
	conn_expect_ack(&c, 4000);
	conn_read_check(&c, 3000, 1000);
	conn_close(&c);
}

/*
 * Small segments are copied into the spare room of the packet before them
 * (tcp_try_coalesce) and cost no more buffer. A buffer made smaller than
 * what was offered (SO_RCVBUF after the handshake) drops in-order data it
 * cannot hold (TCPRcvQDrop, after a prune that could not help) and answers
 * at once with a zero window; reading reopens it.
 */
static void test_coalesce_and_rcvq_drop(void **state)
{
	int small = 2304;
	struct conn c;
	struct seg out;

	(void)state;
	conn_open(&c, true, false, 0);
	for (uint32_t off = 0; off < 800; off += 100)
		conn_data(&c, off, 100, 0);
	while (fx_recv(&c.f, &out))
		;
	{
		struct ust_sock *sk = ust_fd_get(ust_stack_sockets(c.f.st), c.fd);

		/* Eight 100-byte segments, one packet's worth of buffer. */
		assert_int_equal(sk->rmem_alloc, 2048 + TCP_SKB_OVERHEAD);
	}
	conn_read_check(&c, 0, 800);
	while (fx_recv(&c.f, &out))
		;

	assert_int_equal(ust_setsockopt(c.f.st, c.fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	conn_data(&c, 800, 1000, 0);
	conn_data(&c, 1800, 1000, 0);
	while (fx_recv(&c.f, &out))
		;
	conn_data(&c, 2800, 1000, 0);
	out = conn_expect_ack(&c, 2800);
	assert_int_equal(out.win, 0);
	assert_int_equal(fx_stat(&c.f, "TcpExtTCPRcvQDrop"), 1);
	assert_int_equal(fx_stat(&c.f, "TcpExtPruneCalled"), 1);
	assert_int_equal(fx_stat(&c.f, "TcpExtRcvPruned"), 1);
	conn_read_check(&c, 800, 2000);
	/* 4608 bytes hold a 1998-byte window (ratio 1000/2304), 2 units of 1024. */
	out = conn_expect_ack(&c, 2800);
	assert_int_equal(out.win, 2);
	conn_close(&c);
}

/* tcp_rcv_space_adjust: a reader that keeps up grows the buffer past
 * tcp_rmem[1] (never past tcp_rmem[2]); SO_RCVBUF switches it off. */
static void test_rcvbuf_autotuning(void **state)
{
	for (int locked = 0; locked < 2; locked++) {
		int rcvbuf = 0, want = locked ? 65536 : 0;
		socklen_t len = sizeof(rcvbuf);
		uint32_t off = 0;
		struct conn c;

		(void)state;
		conn_open(&c, true, false, want);
		for (int round = 0; round < 40; round++) {
			for (int i = 0; i < 20; i++) {
				conn_data(&c, off, 1000, 0);
				off += 1000;
			}
			conn_read_check(&c, off - 20000, 20000);
			while (fx_recv(&c.f, &(struct seg){ 0 }))
				;
			advance_ms(&c, 5);
		}
		assert_int_equal(ust_getsockopt(c.f.st, c.fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len), 0);
		if (locked)
			assert_int_equal(rcvbuf, 131072);
		else
			/* Grown from tcp_rmem[1] by tcp_rcv_space_adjust, under
			 * tcp_rmem[2]; the exact figure of this virtual-time run. */
			assert_int_equal(rcvbuf, 4211462);
		conn_close(&c);
	}
}

/* recv's flags and errors: EAGAIN when empty and non-blocking, MSG_PEEK, a
 * short read, MSG_WAITALL taking what there is without blocking, readv
 * filling its buffers in order, SO_RCVLOWAT holding POLLIN back. */
static void test_recv_flags_readv_and_rcvlowat(void **state)
{
	uint8_t a[10], b[50], big[1000];
	struct iovec iov[3] = { { a, sizeof(a) }, { b, sizeof(b) }, { big, sizeof(big) } };
	int lowat = 500, v = 0;
	socklen_t len = sizeof(v);
	struct pollfd pfd;
	struct conn c;

	(void)state;
	conn_open(&c, true, false, 0);
	assert_int_equal(ust_recv(c.f.st, c.fd, big, sizeof(big), 0), -1);
	assert_int_equal(errno, EAGAIN);
	conn_data(&c, 0, 100, UST_TCP_PSH);
	assert_int_equal(ust_recv(c.f.st, c.fd, big, 60, MSG_PEEK), 60);
	assert_int_equal(big[59], pattern_byte(59));
	assert_int_equal(ust_recv(c.f.st, c.fd, big, 30, 0), 30);
	assert_int_equal(ust_recv(c.f.st, c.fd, big, sizeof(big), MSG_WAITALL), 70);
	assert_int_equal(big[0], pattern_byte(30));

	conn_data(&c, 100, 300, UST_TCP_PSH);
	assert_int_equal(ust_readv(c.f.st, c.fd, iov, 3), 300);
	assert_int_equal(a[9], pattern_byte(109));
	assert_int_equal(b[0], pattern_byte(110));
	assert_int_equal(b[49], pattern_byte(159));
	assert_int_equal(big[0], pattern_byte(160));
	assert_int_equal(big[239], pattern_byte(399));

	assert_int_equal(ust_setsockopt(c.f.st, c.fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat)), 0);
	assert_int_equal(ust_getsockopt(c.f.st, c.fd, SOL_SOCKET, SO_RCVLOWAT, &v, &len), 0);
	assert_int_equal(v, 500);
	conn_data(&c, 400, 300, UST_TCP_PSH);
	pfd = (struct pollfd){ .fd = c.fd, .events = POLLIN };
	assert_int_equal(ust_poll(c.f.st, &pfd, 1, 0), 0);
	conn_data(&c, 700, 300, UST_TCP_PSH);
	assert_int_equal(ust_poll(c.f.st, &pfd, 1, 0), 1);
	assert_int_equal(pfd.revents, POLLIN);
	/* MSG_TRUNC consumes without copying; a zero-length read is 0. */
	assert_int_equal(ust_recv(c.f.st, c.fd, NULL, 100, MSG_TRUNC), 100);
	assert_int_equal(ust_recv(c.f.st, c.fd, big, 0, 0), 0);
	conn_read_check(&c, 500, 500);
	conn_close(&c);
}

/* EOF is 0 after the FIN (and POLLRDHUP); a reset reads ECONNRESET once,
 * then 0; a socket never connected reads ENOTCONN. */
static void test_recv_eof_reset_notconn(void **state)
{
	uint8_t buf[100];
	struct pollfd pfd;
	struct conn c;
	int fd;

	(void)state;
	conn_open(&c, true, false, 0);
	conn_data(&c, 0, 10, UST_TCP_PSH | UST_TCP_FIN);
	pfd = (struct pollfd){ .fd = c.fd, .events = POLLIN | POLLRDHUP };
	assert_int_equal(ust_poll(c.f.st, &pfd, 1, 0), 1);
	assert_int_equal(pfd.revents, POLLIN | POLLRDHUP);
	conn_read_check(&c, 0, 10);
	assert_int_equal(ust_recv(c.f.st, c.fd, buf, sizeof(buf), 0), 0);
	assert_int_equal(ust_recv(c.f.st, c.fd, buf, sizeof(buf), MSG_WAITALL), 0);
	conn_close(&c);

	conn_open(&c, true, false, 0);
	{
		struct seg rst = { .sport = PEER_PORT, .dport = 8080, .seq = PEER_ISN + 1, .flags = UST_TCP_RST,
				   .win = 0 };

		fx_send(&c.f, &rst);
	}
	assert_int_equal(ust_recv(c.f.st, c.fd, buf, sizeof(buf), 0), -1);
	assert_int_equal(errno, ECONNRESET);
	assert_int_equal(ust_recv(c.f.st, c.fd, buf, sizeof(buf), 0), 0);
	fd = ust_socket(c.f.st, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(ust_recv(c.f.st, fd, buf, sizeof(buf), 0), -1);
	assert_int_equal(errno, ENOTCONN);
	assert_int_equal(ust_recv(c.f.st, c.lfd, buf, sizeof(buf), 0), -1);
	assert_int_equal(errno, ENOTCONN);
	conn_close(&c);
}

struct blocked_recv {
	struct conn *c;
	size_t len;
	int flags;
	ssize_t ret;
	int err;
	uint8_t buf[4096];
};

static void *do_recv(void *arg)
{
	struct blocked_recv *r = arg;

	r->ret = ust_recv(r->c->f.st, r->c->fd, r->buf, r->len, r->flags);
	r->err = errno;
	return NULL;
}

static void wait_reader_asleep(struct conn *c)
{
	for (int i = 0; i < 1000000; i++) {
		struct ust_sock *sk;
		bool asleep;

		ust_stack_lock(c->f.st);
		sk = ust_fd_get(ust_stack_sockets(c->f.st), c->fd);
		asleep = sk->sk_waiters > 0;
		ust_stack_unlock(c->f.st);
		if (asleep)
			return;
		sched_yield();
	}
	fail_msg("the reader never slept");
}

/* A blocking read: SO_RCVTIMEO ends it with EAGAIN on the stack's clock;
 * MSG_WAITALL sleeps until the whole length has come, in pieces. */
static void test_blocking_recv_timeout_and_waitall(void **state)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = 100000 };
	struct blocked_recv r = { .len = 100 };
	int flags;
	pthread_t t;
	struct conn c;

	(void)state;
	conn_open(&c, true, false, 0);
	flags = ust_fcntl(c.f.st, c.fd, F_GETFL, 0);
	assert_int_equal(ust_fcntl(c.f.st, c.fd, F_SETFL, flags & ~O_NONBLOCK), 0);
	assert_int_equal(ust_setsockopt(c.f.st, c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	r.c = &c;
	assert_int_equal(pthread_create(&t, NULL, do_recv, &r), 0);
	wait_reader_asleep(&c);
	advance_ms(&c, 100);
	pthread_join(t, NULL);
	assert_int_equal(r.ret, -1);
	assert_int_equal(r.err, EAGAIN);

	tv.tv_usec = 0;
	assert_int_equal(ust_setsockopt(c.f.st, c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	r = (struct blocked_recv){ .c = &c, .len = 3000, .flags = MSG_WAITALL };
	assert_int_equal(pthread_create(&t, NULL, do_recv, &r), 0);
	wait_reader_asleep(&c);
	conn_data(&c, 0, 1000, 0);
	wait_reader_asleep(&c);
	conn_data(&c, 1000, 1000, 0);
	wait_reader_asleep(&c);
	conn_data(&c, 2000, 1000, 0);
	pthread_join(t, NULL);
	assert_int_equal(r.ret, 3000);
	for (uint32_t i = 0; i < 3000; i++)
		assert_int_equal(r.buf[i], pattern_byte(i));
	conn_close(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quickack_then_delayed_ack_at_40ms),
		cmocka_unit_test(test_second_segment_acked_at_once_below_rcvlowat),
		cmocka_unit_test(test_tcp_quickack_option),
		cmocka_unit_test(test_zero_window_and_reopen),
		cmocka_unit_test(test_coalesce_and_rcvq_drop),
		cmocka_unit_test(test_rcvbuf_autotuning),
		cmocka_unit_test(test_blocking_recv_timeout_and_waitall),
		cmocka_unit_test(test_recv_flags_readv_and_rcvlowat),
		cmocka_unit_test(test_recv_eof_reset_notconn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
