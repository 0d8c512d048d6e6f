/*
 * getsockopt(TCP_INFO), read through the C library's struct tcp_info as a
 * program would: the layout matches, and the fields say what the connection
 * is (state, options, window scales, MSS, initial window, RTT from the
 * handshake, a listener's accept queue).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "vstack.h"

#define MS 1000000ULL

static void test_tcp_info_of_a_connection_and_a_listener(void **state)
{
	struct ust_memlink_config lc;
	struct ust_stack *a = vstack("a", 1), *b = vstack("b", 2);
	struct ust_netdev *da, *db;
	struct sockaddr_in srv = { .sin_family = AF_INET, .sin_port = htons(80) };
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	int lfd, cfd, sfd = -1;

	(void)state;
	ust_memlink_config_init(&lc);
	lc.framing = UST_FRAMING_IP;
	lc.delay_ns = 5 * MS;                     /* RTT 10 ms */
	assert_int_equal(ust_memlink_create(a, b, &lc, &da, &db), 0);
	assert_int_equal(ust_addr_add(a, da, inet_addr("198.51.100.1"), 24), 0);
	assert_int_equal(ust_addr_add(b, db, inet_addr("198.51.100.2"), 24), 0);
	srv.sin_addr.s_addr = inet_addr("198.51.100.2");
	lfd = ust_socket(b, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_int_equal(ust_bind(b, lfd, (struct sockaddr *)&srv, sizeof(srv)), 0);
	assert_int_equal(ust_listen(b, lfd, 7), 0);
	cfd = ust_socket(a, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_int_equal(ust_connect(a, cfd, (struct sockaddr *)&srv, sizeof(srv)), -1);
	assert_int_equal(errno, EINPROGRESS);
	for (int i = 0; i < 100; i++) {
		ust_stack_advance(a, MS);
		ust_stack_advance(b, MS);
	}
	/* The listener: its accept queue (1 waiting) and backlog. */
	assert_int_equal(ust_getsockopt(b, lfd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	assert_int_equal(ti.tcpi_state, 10);      /* TCP_LISTEN */
	assert_int_equal(ti.tcpi_unacked, 1);
	assert_int_equal(ti.tcpi_sacked, 7);
	sfd = ust_accept4(b, lfd, NULL, NULL, SOCK_NONBLOCK);
	assert_true(sfd >= 0);

	len = sizeof(ti);
	assert_int_equal(ust_getsockopt(a, cfd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	assert_int_equal(len, 104);               /* up to tcpi_total_retrans */
	assert_int_equal(ti.tcpi_state, 1);       /* TCP_ESTABLISHED */
	assert_int_equal(ti.tcpi_ca_state, 0);
	assert_int_equal(ti.tcpi_options, 1 | 2 | 4);   /* timestamps, SACK, window scaling */
	assert_int_equal(ti.tcpi_snd_wscale, 10);
	assert_int_equal(ti.tcpi_rcv_wscale, 10);
	assert_int_equal(ti.tcpi_snd_mss, 1500 - 40 - 12);
	assert_int_equal(ti.tcpi_snd_cwnd, 10);
	assert_int_equal(ti.tcpi_unacked, 0);
	assert_int_equal(ti.tcpi_total_retrans, 0);
	assert_int_equal(ti.tcpi_pmtu, 1500);
	/* The SYN's 10 ms round trip: srtt 10 ms, rttvar 5 ms; RTO = srtt +
	 * rttvar floored at TCP_RTO_MIN, 10 + 200 ms (tcp_set_rto). */
	assert_int_equal(ti.tcpi_rtt, 10000);
	assert_int_equal(ti.tcpi_rttvar, 5000);
	assert_int_equal(ti.tcpi_rto, 210000);
	assert_int_equal(ti.tcpi_snd_ssthresh, 0x7fffffff);

	/* A short buffer gets the beginning. */
	len = 1;
	memset(&ti, 0xff, sizeof(ti));
	assert_int_equal(ust_getsockopt(a, cfd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	assert_int_equal(len, 1);
	assert_int_equal(ti.tcpi_state, 1);
	assert_int_equal(ti.tcpi_ca_state, 0xff);

	ust_stack_free(a);
	ust_stack_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_info_of_a_connection_and_a_listener),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
