/*
 * The out-of-order queue and the SACK blocks we send (tcp_ofo.c): holes
 * filled in every order, overlaps, duplicates and D-SACK, the block order of
 * RFC 2018, pruning when the buffer is full.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "tcp/tcp.h"
#include "socket/socket.h"
#include "tcp_rcv_fixture.h"

/* Four segments, each delivered in all 24 orders: every arrival is ACKed at
 * once with the in-order prefix, and the reader gets the stream intact. */
static void test_ofo_fill_holes_in_every_order(void **state)
{
	(void)state;
	for (int perm = 0; perm < 24; perm++) {
		int order[4] = { 0, 1, 2, 3 }, p = perm;
		bool have[4] = { false };
		uint64_t ofo = 0;
		struct conn c;

		/* perm as a factorial-base number picks the order. */
		for (int i = 0; i < 4; i++) {
			int f = 1, k, t;

			for (int j = 1; j < 4 - i; j++)
				f *= j;
			k = p / f;
			p %= f;
			t = order[i + k];
			memmove(&order[i + 1], &order[i], (size_t)k * sizeof(int));
			order[i] = t;
		}
		conn_open(&c, true, false, 0);
		for (int i = 0; i < 4; i++) {
			uint32_t acked = 0;
			struct seg out;

			bool beyond = false;

			for (int j = 0; j < order[i]; j++)
				if (!have[j])
					beyond = true;
			ofo += beyond;
			conn_data(&c, (uint32_t)order[i] * 1000, 1000, 0);
			have[order[i]] = true;
			while (acked < 4 && have[acked])
				acked++;
			/* Out of order and hole-filling data is ACKed at once;
			 * in-order data may wait for the delayed ACK. */
			if (beyond || acked > (uint32_t)order[i] + 1)
				out = conn_expect_ack(&c, acked * 1000);
			else
				out = conn_expect_ack_within(&c, acked * 1000, TCP_DELACK_MAX);
			/* Blocks while anything waits beyond the hole. */
			bool waiting = false;

			for (uint32_t j = acked; j < 4; j++)
				waiting |= have[j];
			assert_int_equal(!!(out.opts.present & UST_TCPOPT_F_SACK), waiting);
		}
		assert_false(fx_recv(&c.f, &(struct seg){ 0 }));
		conn_read_check(&c, 0, 4000);
		assert_int_equal(fx_stat(&c.f, "TcpExtTCPOFOQueue"), ofo);
		conn_close(&c);
	}
}

/* RFC 2018 4: the newest block first; four at most, three beside timestamps. */
static void test_sack_blocks_newest_first_and_capped(void **state)
{
	for (int ts = 0; ts < 2; ts++) {
		struct conn c;
		struct seg out;

		(void)state;
		conn_open(&c, true, ts, 0);
		conn_data(&c, 0, 1000, 0);
		conn_expect_ack(&c, 1000);
		for (uint32_t off = 2000; off <= 10000; off += 2000) {
			conn_data(&c, off, 1000, 0);
			out = conn_expect_ack(&c, 1000);
		}
		assert_int_equal(out.opts.num_sacks, ts ? 3 : 4);
		assert_sack(&out, 0, 10000, 11000);
		assert_sack(&out, 1, 8000, 9000);
		assert_sack(&out, 2, 6000, 7000);
		if (!ts)
			assert_sack(&out, 3, 4000, 5000);
		/* 5000:6000 joins two blocks; the joined block leads. */
		conn_data(&c, 5000, 1000, 0);
		out = conn_expect_ack(&c, 1000);
		assert_sack(&out, 0, 4000, 7000);
		assert_sack(&out, 1, 10000, 11000);
		assert_sack(&out, 2, 8000, 9000);
		conn_close(&c);
	}
}

/* RFC 2883: old duplicates and duplicates of queued data are reported once,
 * first, with the counters Linux keeps. */
static void test_dsack_old_and_ofo_duplicates(void **state)
{
	struct conn c;
	struct seg out;

	(void)state;
	conn_open(&c, true, false, 0);
	conn_data(&c, 0, 1000, 0);
	conn_expect_ack(&c, 1000);
	conn_data(&c, 0, 1000, 0);
	out = conn_expect_ack(&c, 1000);
	assert_int_equal(out.opts.num_sacks, 1);
	assert_sack(&out, 0, 0, 1000);
	assert_int_equal(fx_stat(&c.f, "TcpExtTCPDSACKOldSent"), 1);
	assert_int_equal(fx_stat(&c.f, "TcpExtDelayedACKLost"), 1);

	conn_data(&c, 2000, 1000, 0);
	out = conn_expect_ack(&c, 1000);
	assert_int_equal(out.opts.num_sacks, 1);
	conn_data(&c, 2000, 1000, 0);
	out = conn_expect_ack(&c, 1000);
	assert_int_equal(out.opts.num_sacks, 2);
	assert_sack(&out, 0, 2000, 3000);       /* D-SACK */
	assert_sack(&out, 1, 2000, 3000);       /* SACK */
	assert_int_equal(fx_stat(&c.f, "TcpExtTCPDSACKOfoSent"), 1);
	assert_int_equal(fx_stat(&c.f, "TcpExtTCPOFOMerge"), 1);

	/* The D-SACK is not repeated. */
	conn_data(&c, 4000, 1000, 0);
	out = conn_expect_ack(&c, 1000);
	assert_int_equal(out.opts.num_sacks, 2);
	assert_sack(&out, 0, 4000, 5000);
	assert_sack(&out, 1, 2000, 3000);
	conn_close(&c);
}

/* tcp_dsack = 0: duplicates get a plain ACK. */
static void test_dsack_sysctl_off(void **state)
{
	struct conn c;
	struct seg out;

	(void)state;
	conn_open(&c, true, false, 0);
	assert_int_equal(ust_sysctl_write(c.f.st, "tcp_dsack", "0"), 0);
	conn_data(&c, 0, 1000, 0);
	conn_expect_ack(&c, 1000);
	conn_data(&c, 0, 1000, 0);
	out = conn_expect_ack(&c, 1000);
	assert_false(out.opts.present & UST_TCPOPT_F_SACK);
	assert_int_equal(fx_stat(&c.f, "TcpExtTCPDSACKOldSent"), 0);
	conn_close(&c);
}

/* Without SACK the duplicate ACKs carry no blocks, and data still reassembles. */
static void test_ofo_without_sack(void **state)
{
	struct conn c;
	struct seg out;

	(void)state;
	conn_open(&c, false, false, 0);
	conn_data(&c, 1000, 1000, 0);
	out = conn_expect_ack(&c, 0);
	assert_false(out.opts.present & UST_TCPOPT_F_SACK);
	conn_data(&c, 0, 1000, 0);
	conn_expect_ack(&c, 2000);
	conn_read_check(&c, 0, 2000);
	conn_close(&c);
}

/*
 * Overlaps: a segment over the start of a queued one is kept whole and the
 * overlap D-SACKed; one with the same start and more bytes replaces the
 * queued one; on delivery the overlap is cut so the reader sees each byte once.
 */
static void test_ofo_overlaps(void **state)
{
	struct conn c;
	struct seg out;

	(void)state;
	conn_open(&c, true, false, 0);
	conn_data(&c, 2000, 1000, 0);
	conn_expect_ack(&c, 0);
	conn_data(&c, 1500, 1000, 0);
	out = conn_expect_ack(&c, 0);
	assert_sack(&out, 0, 2000, 2500);
	assert_sack(&out, 1, 1500, 3000);
	conn_data(&c, 4000, 500, 0);
	conn_expect_ack(&c, 0);
	conn_data(&c, 4000, 1000, 0);
	out = conn_expect_ack(&c, 0);
	assert_sack(&out, 0, 4000, 4500);
	assert_sack(&out, 1, 4000, 5000);
	assert_int_equal(fx_stat(&c.f, "TcpExtTCPOFOMerge"), 1);
	/* A segment that covers queued ones whole drops them. */
	conn_data(&c, 3800, 1200, 0);
	out = conn_expect_ack(&c, 0);
	assert_int_equal(out.opts.num_sacks, 3);
	assert_sack(&out, 0, 4000, 5000);
	assert_sack(&out, 1, 3800, 5000);
	assert_sack(&out, 2, 1500, 3000);
	assert_int_equal(fx_stat(&c.f, "TcpExtTCPOFOMerge"), 2);
	/* The first hole fills up to the second; then the second fills. */
	conn_data(&c, 0, 1000, 0);
	conn_expect_ack(&c, 1000);               /* out-of-order data waits: at once */
	conn_data(&c, 1000, 500, 0);
	out = conn_expect_ack(&c, 3000);
	assert_int_equal(out.opts.num_sacks, 1);
	assert_sack(&out, 0, 3800, 5000);
	conn_data(&c, 3000, 800, 0);
	out = conn_expect_ack(&c, 5000);
	assert_false(out.opts.present & UST_TCPOPT_F_SACK);
	conn_read_check(&c, 0, 5000);
	conn_close(&c);
}

/*
 * A full buffer (SO_RCVBUF 4096: 8192 bytes, four packets) prunes the
 * out-of-order queue from its highest sequence to make room for data closer
 * to rcv_nxt, and forgets the SACK blocks; data beyond everything queued is
 * dropped instead.
 */
static void test_ofo_prune_when_buffer_full(void **state)
{
	struct conn c;
	struct seg out;

	(void)state;
	conn_open(&c, true, false, 4096);
	for (uint32_t off = 1800; off >= 1200; off -= 200) {
		conn_data(&c, off, 100, 0);
		conn_expect_ack(&c, 0);
	}
	assert_int_equal(fx_stat(&c.f, "TcpExtTCPOFOQueue"), 4);
	conn_data(&c, 1900, 100, 0);               /* beyond all: dropped, no ACK owed */
	assert_false(fx_recv(&c.f, &out));
	assert_int_equal(fx_stat(&c.f, "TcpExtTCPOFODrop"), 1);
	assert_int_equal(fx_stat(&c.f, "TcpExtRcvPruned"), 1);
	assert_int_equal(fx_stat(&c.f, "TcpExtOfoPruned"), 1);   /* counted per attempt */
	conn_data(&c, 1000, 100, 0);               /* closer: 1800 makes room */
	out = conn_expect_ack(&c, 0);
	assert_int_equal(fx_stat(&c.f, "TcpExtOfoPruned"), 2);
	assert_int_equal(fx_stat(&c.f, "TcpExtPruneCalled"), 2);
	assert_int_equal(out.opts.num_sacks, 1);
	assert_sack(&out, 0, 1000, 1100);
	conn_close(&c);
}

/* A FIN out of order waits with its data; when the hole fills, the reader
 * gets the data, then EOF, and the socket is in CLOSE_WAIT. */
static void test_ofo_fin(void **state)
{
	uint8_t buf[16];
	struct conn c;
	struct seg out;

	(void)state;
	conn_open(&c, true, false, 0);
	conn_data(&c, 1000, 1000, UST_TCP_FIN);
	out = conn_expect_ack(&c, 0);
	assert_sack(&out, 0, 1000, 2001);        /* the FIN's sequence number counts */
	conn_data(&c, 0, 1000, 0);
	out = conn_expect_ack(&c, 2001);
	assert_false(out.opts.present & UST_TCPOPT_F_SACK);
	conn_read_check(&c, 0, 2000);
	assert_int_equal(ust_recv(c.f.st, c.fd, buf, sizeof(buf), 0), 0);
	{
		struct ust_sock *sk = ust_fd_get(ust_stack_sockets(c.f.st), c.fd);

		assert_int_equal(sk->sk_state, TCP_CLOSE_WAIT);
	}
	conn_close(&c);
}

/* SACK blocks ride on our data only as far as the segment stays within the
 * size it was cut for (mss_cache plus the timestamp option): a full segment
 * carries none, a shorter one as many as fit (three beside timestamps). */
static void test_sack_blocks_on_data_fit_the_segment(void **state)
{
	static const uint8_t buf[988];
	int one = 1;
	struct conn c;
	struct seg out;

	(void)state;
	conn_open(&c, true, true, 0);
	assert_int_equal(ust_setsockopt(c.f.st, c.fd, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof(one)), 0);
	for (uint32_t off = 2000; off <= 6000; off += 2000) {
		conn_data(&c, off, 1000, 0);
		out = conn_expect_ack(&c, 0);
	}
	assert_int_equal(out.opts.num_sacks, 3);
	assert_int_equal(ust_write(c.f.st, c.fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	assert_true(fx_recv(&c.f, &out));
	assert_int_equal(out.len, 988);                  /* mss 1000 - 12 for timestamps */
	assert_true(out.opts.present & UST_TCPOPT_F_TIMESTAMP);
	assert_false(out.opts.present & UST_TCPOPT_F_SACK);
	assert_int_equal(ust_write(c.f.st, c.fd, buf, 900), 900);
	assert_true(fx_recv(&c.f, &out));
	assert_int_equal(out.len, 900);
	assert_int_equal(out.opts.num_sacks, 3);
	assert_sack(&out, 0, 6000, 7000);
	assert_int_equal(ust_write(c.f.st, c.fd, buf, 965), 965);
	assert_true(fx_recv(&c.f, &out));
	assert_int_equal(out.len, 965);                  /* 20 + 12 + 965 leaves 23: two blocks */
	assert_int_equal(out.opts.num_sacks, 2);
	assert_sack(&out, 0, 6000, 7000);
	assert_sack(&out, 1, 4000, 5000);
	conn_close(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ofo_fill_holes_in_every_order),
		cmocka_unit_test(test_sack_blocks_newest_first_and_capped),
		cmocka_unit_test(test_sack_blocks_on_data_fit_the_segment),
		cmocka_unit_test(test_dsack_old_and_ofo_duplicates),
		cmocka_unit_test(test_dsack_sysctl_off),
		cmocka_unit_test(test_ofo_without_sack),
		cmocka_unit_test(test_ofo_overlaps),
		cmocka_unit_test(test_ofo_prune_when_buffer_full),
		cmocka_unit_test(test_ofo_fin),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
