/*
 * ISNs and timestamps (spec §4, RFC 6528): ISN = keyed hash of the 4-tuple +
 * a clock ticking every 64 ns; TSval = a 1 ms clock + a keyed offset. Checked
 * through what a listener sends, with stacks of the same seed so the keyed
 * parts are equal and only the clocks differ.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "tcp_fixture.h"

#define TSOPTS { .present = UST_TCPOPT_F_MSS | UST_TCPOPT_F_TIMESTAMP, .mss = 1460, .tsval = 5 }

/* SYN-ACK of a fresh stack (seed 7) to a SYN from `port`, after `delay`. */
static struct seg synack_after(uint16_t port, uint64_t delay)
{
	struct seg syn = { .sport = port, .dport = 8080, .seq = 1, .flags = UST_TCP_SYN, .win = 65535,
			   .opts = TSOPTS };
	struct seg out;
	struct fx f;

	fx_init(&f);
	fx_listen(&f, 10);
	assert_int_equal(ust_stack_advance(f.st, delay), 0);
	fx_send(&f, &syn);
	assert_true(fx_recv(&f, &out));
	fx_free(&f);
	return out;
}

/* Same tuple, 1 s later: the ISN moved by exactly 1e9 ns / 64; the TSval by
 * exactly 1000 ms. Nothing else changed. */
static void test_isn_and_tsval_follow_their_clocks(void **state)
{
	struct seg a = synack_after(40001, 0), b = synack_after(40001, 1000 * MS);

	(void)state;
	assert_int_equal((uint32_t)(b.seq - a.seq), 1000000000u / 64);
	assert_true(a.opts.present & UST_TCPOPT_F_TIMESTAMP);
	assert_int_equal((uint32_t)(b.opts.tsval - a.opts.tsval), 1000);
	assert_int_equal(a.opts.tsecr, 5);
}

/* Another port: the keyed hash differs, so the ISN is unrelated. */
static void test_isn_depends_on_the_tuple(void **state)
{
	struct seg a = synack_after(40001, 0), b = synack_after(40002, 0);

	(void)state;
	assert_int_not_equal(a.seq, b.seq);
}

/* The same seed gives the same secrets, so the same ISN at the same time:
 * runs are reproducible. */
static void test_isn_reproducible_with_seed(void **state)
{
	struct seg a = synack_after(40001, 0), b = synack_after(40001, 0);

	(void)state;
	assert_int_equal(a.seq, b.seq);
	assert_int_equal(a.opts.tsval, b.opts.tsval);
}

/* API-15: accept() gives the SYN's source; getsockname() on the child gives
 * the SYN's destination even though the listener is bound to 0.0.0.0. */
static void test_accept_addresses(void **state)
{
	struct seg syn = { .sport = 40007, .dport = 8080, .seq = 1, .flags = UST_TCP_SYN, .win = 65535 };
	struct sockaddr_in peer, local;
	socklen_t plen = sizeof(peer), llen = sizeof(local);
	struct seg out;
	struct fx f;
	int lfd, cfd;

	(void)state;
	fx_init(&f);
	lfd = fx_listen(&f, 10);
	fx_send(&f, &syn);
	assert_true(fx_recv(&f, &out));
	syn.flags = UST_TCP_ACK;
	syn.seq = 2;
	syn.ack = out.seq + 1;
	fx_send(&f, &syn);
	cfd = ust_accept(f.st, lfd, (struct sockaddr *)&peer, &plen);
	assert_true(cfd >= 0);
	assert_int_equal(plen, sizeof(peer));
	assert_int_equal(peer.sin_family, AF_INET);
	assert_int_equal(peer.sin_addr.s_addr, inet_addr(PEER_IP));
	assert_int_equal(ntohs(peer.sin_port), 40007);
	assert_int_equal(ust_getsockname(f.st, cfd, (struct sockaddr *)&local, &llen), 0);
	assert_int_equal(local.sin_addr.s_addr, inet_addr(LOCAL_IP));
	assert_int_equal(ntohs(local.sin_port), 8080);
	llen = sizeof(local);
	assert_int_equal(ust_getsockname(f.st, lfd, (struct sockaddr *)&local, &llen), 0);
	assert_int_equal(local.sin_addr.s_addr, 0);
	fx_free(&f);
}

/*
 * T-5: while more than half of the SYN queue's room (backlog 16) is taken by
 * requests that all timed out before, each request's retry limit drops to 2.
 * Twelve requests: SYN-ACKs again at 1 s and 3 s; at 7 s the first four
 * expire (qlen 12, 11, 10, 9: twice that exceeds 16), and then qlen 8 is no
 * longer "more than half", so the other eight get their third SYN-ACK.
 */
static void test_synack_pruning_under_load(void **state)
{
	struct fx f;
	struct seg out;
	int n = 0;

	(void)state;
	fx_init(&f);
	fx_listen(&f, 16);
	for (uint16_t p = 0; p < 12; p++) {
		struct seg syn = { .sport = (uint16_t)(42000 + p), .dport = 8080, .seq = 1, .flags = UST_TCP_SYN,
				   .win = 65535 };

		fx_send(&f, &syn);
		assert_true(fx_recv(&f, &out));
	}
	assert_int_equal(ust_stack_advance(f.st, 6900 * MS), 0);
	while (fx_recv(&f, &out))
		n++;
	assert_int_equal(n, 24);                        /* 1 s and 3 s */
	assert_int_equal(ust_stack_advance(f.st, 200 * MS), 0);
	for (uint16_t port = 42004; port < 42012; port++) {
		assert_true(fx_recv(&f, &out));
		assert_int_equal(out.flags, UST_TCP_SYN | UST_TCP_ACK);
		assert_int_equal(out.dport, port);
	}
	assert_false(fx_recv(&f, &out));
	assert_int_equal(fx_stat(&f, "TcpExtTCPTimeouts"), 36);
	/* An expired request's ACK finds only the listener: RST. */
	struct seg ack = { .sport = 42000, .dport = 8080, .seq = 2, .ack = 1, .flags = UST_TCP_ACK, .win = 257 };

	fx_send(&f, &ack);
	assert_true(fx_recv(&f, &out));
	assert_int_equal(out.flags, UST_TCP_RST);
	fx_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_isn_and_tsval_follow_their_clocks),
		cmocka_unit_test(test_isn_depends_on_the_tuple),
		cmocka_unit_test(test_isn_reproducible_with_seed),
		cmocka_unit_test(test_accept_addresses),
		cmocka_unit_test(test_synack_pruning_under_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
