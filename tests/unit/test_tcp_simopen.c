/*
 * Simultaneous open's bookkeeping (C-3, C-4): the SYN-ACK sent on a crossing
 * SYN is our SYN with ACK added, not a retransmission; a timer-driven resend
 * of it is. Checked packet by packet and counter by counter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "tcp_fixture.h"

static void test_simultaneous_open_counters(void **state)
{
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(9000),
				    .sin_addr.s_addr = inet_addr(PEER_IP) };
	struct seg out, syn;
	uint32_t isn;
	uint16_t lport;
	struct fx f;
	int fd;

	(void)state;
	fx_init(&f);
	fd = ust_socket(f.st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_int_equal(ust_connect(f.st, fd, (struct sockaddr *)&peer, sizeof(peer)), -1);
	assert_int_equal(errno, EINPROGRESS);
	assert_true(fx_recv(&f, &out));
	assert_int_equal(out.flags, UST_TCP_SYN);
	isn = out.seq;
	lport = out.sport;

	syn = (struct seg){ .sport = 9000, .dport = lport, .seq = 500, .flags = UST_TCP_SYN, .win = 65535 };
	fx_send(&f, &syn);
	assert_true(fx_recv(&f, &out));
	assert_int_equal(out.flags, UST_TCP_SYN | UST_TCP_ACK);
	assert_int_equal(out.seq, isn);                 /* the same ISN */
	assert_int_equal(out.ack, 501);
	assert_int_equal(fx_stat(&f, "TcpRetransSegs"), 0);
	assert_int_equal(fx_stat(&f, "TcpExtTCPSynRetrans"), 0);

	/* Nothing comes back for 1 s: the SYN-ACK is resent, and that counts. */
	assert_int_equal(ust_stack_advance(f.st, 1000 * MS), 0);
	assert_true(fx_recv(&f, &out));
	assert_int_equal(out.flags, UST_TCP_SYN | UST_TCP_ACK);
	assert_int_equal(fx_stat(&f, "TcpRetransSegs"), 1);
	assert_int_equal(fx_stat(&f, "TcpExtTCPSynRetrans"), 1);
	assert_int_equal(fx_stat(&f, "TcpExtTCPTimeouts"), 1);

	syn = (struct seg){ .sport = 9000, .dport = lport, .seq = 501, .ack = isn + 1, .flags = UST_TCP_ACK,
			    .win = 65535 };
	fx_send(&f, &syn);
	assert_false(fx_recv(&f, &out));
	assert_int_equal(ust_connect(f.st, fd, (struct sockaddr *)&peer, sizeof(peer)), 0);
	assert_int_equal(fx_stat(&f, "TcpActiveOpens"), 1);
	assert_int_equal(fx_stat(&f, "TcpCurrEstab"), 1);
	fx_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simultaneous_open_counters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
