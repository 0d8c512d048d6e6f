/*
 * A listener's SYN queue and accept queue with several peers at once (spec §8,
 * §9, §11, §15): the limits, the overflow paths and their counters. Each test
 * drives a stack through a pipe device and asserts the exact segments sent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "tcp/tcp.h"
#include "socket/socket.h"
#include "tcp_fixture.h"

#define SYNOPTS { .present = UST_TCPOPT_F_MSS | UST_TCPOPT_F_WSCALE, .mss = 1460, .wscale = 7 }

/* Peer `port` sends its SYN; returns our ISN from the SYN-ACK (asserted). */
static uint32_t handshake_syn(struct fx *f, uint16_t port)
{
	struct seg syn = { .sport = port, .dport = 8080, .seq = 1000, .flags = UST_TCP_SYN,
			   .win = 65535, .opts = SYNOPTS };
	struct seg out;

	fx_send(f, &syn);
	assert_true(fx_recv(f, &out));
	assert_int_equal(out.flags, UST_TCP_SYN | UST_TCP_ACK);
	assert_int_equal(out.dport, port);
	assert_int_equal(out.ack, 1001);
	return out.seq;
}

static void handshake_ack(struct fx *f, uint16_t port, uint32_t isn)
{
	struct seg ack = { .sport = port, .dport = 8080, .seq = 1001, .ack = isn + 1,
			   .flags = UST_TCP_ACK, .win = 257 };

	fx_send(f, &ack);
}

/*
 * Rq-9, H-1: with listen(fd, 2) the accept queue holds 3 and the SYN queue 2.
 * Two peers connect; two more send SYNs; the first of those completes and
 * fills the accept queue; the last final ACK finds it full: dropped
 * (ListenOverflows, ListenDrops), no reply, the request kept. Its SYN-ACK is
 * retransmitted at 1 s, and once accept() makes room the peer's next ACK
 * creates the child.
 */
static void test_final_ack_on_full_accept_queue_keeps_request(void **state)
{
	struct fx f;
	struct seg out;
	uint32_t isn3, isn4;
	int lfd;

	(void)state;
	fx_init(&f);
	lfd = fx_listen(&f, 2);
	handshake_ack(&f, 40001, handshake_syn(&f, 40001));
	handshake_ack(&f, 40002, handshake_syn(&f, 40002));
	isn3 = handshake_syn(&f, 40003);
	isn4 = handshake_syn(&f, 40004);
	handshake_ack(&f, 40003, isn3);
	assert_int_equal(fx_stat(&f, "TcpPassiveOpens"), 3);
	handshake_ack(&f, 40004, isn4);
	assert_false(fx_recv(&f, &out));
	assert_int_equal(fx_stat(&f, "TcpExtListenOverflows"), 1);
	assert_int_equal(fx_stat(&f, "TcpExtListenDrops"), 1);
	assert_int_equal(fx_stat(&f, "TcpPassiveOpens"), 3);

	assert_int_equal(ust_stack_advance(f.st, 1000 * MS), 0);
	assert_true(fx_recv(&f, &out));            /* only 40004's request is left */
	assert_int_equal(out.flags, UST_TCP_SYN | UST_TCP_ACK);
	assert_int_equal(out.dport, 40004);
	assert_int_equal(out.seq, isn4);
	assert_false(fx_recv(&f, &out));

	assert_true(ust_accept(f.st, lfd, NULL, NULL) >= 0);
	handshake_ack(&f, 40004, isn4);
	assert_int_equal(fx_stat(&f, "TcpPassiveOpens"), 4);
	for (int i = 0; i < 3; i++)
		assert_true(ust_accept(f.st, lfd, NULL, NULL) >= 0);
	assert_int_equal(ust_accept(f.st, lfd, NULL, NULL), -1);
	assert_int_equal(errno, EAGAIN);
	fx_free(&f);
}

/* Q-1 step 3: a SYN that meets a full accept queue is dropped (Linux >= 4.10). */
static void test_syn_on_full_accept_queue_dropped(void **state)
{
	struct seg syn = { .sport = 40003, .dport = 8080, .seq = 1000, .flags = UST_TCP_SYN,
			   .win = 65535, .opts = SYNOPTS };
	struct fx f;
	struct seg out;

	(void)state;
	fx_init(&f);
	fx_listen(&f, 1);
	/* One at a time, so the SYN queue (limit 1) never overflows. */
	handshake_ack(&f, 40001, handshake_syn(&f, 40001));
	handshake_ack(&f, 40002, handshake_syn(&f, 40002));
	assert_int_equal(fx_stat(&f, "TcpExtSyncookiesSent"), 0);
	fx_send(&f, &syn);
	assert_false(fx_recv(&f, &out));
	assert_int_equal(fx_stat(&f, "TcpExtListenOverflows"), 1);
	assert_int_equal(fx_stat(&f, "TcpExtListenDrops"), 1);
	fx_free(&f);
}

/* Rq-9 with tcp_abort_on_overflow=1: RST <SEQ=SEG.ACK>, request removed,
 * EmbryonicRsts. */
static void test_abort_on_overflow_resets(void **state)
{
	struct fx f;
	struct seg out;
	uint32_t isn3, isn4;

	(void)state;
	fx_init(&f);
	assert_int_equal(ust_sysctl_write(f.st, "tcp_abort_on_overflow", "1"), 0);
	fx_listen(&f, 2);
	handshake_ack(&f, 40001, handshake_syn(&f, 40001));
	handshake_ack(&f, 40002, handshake_syn(&f, 40002));
	isn3 = handshake_syn(&f, 40003);
	isn4 = handshake_syn(&f, 40004);
	handshake_ack(&f, 40003, isn3);
	handshake_ack(&f, 40004, isn4);
	assert_true(fx_recv(&f, &out));
	assert_int_equal(out.flags, UST_TCP_RST);
	assert_int_equal(out.seq, isn4 + 1);
	assert_int_equal(out.dport, 40004);
	assert_int_equal(fx_stat(&f, "TcpExtEmbryonicRsts"), 1);
	assert_int_equal(fx_stat(&f, "TcpExtListenOverflows"), 1);
	/* No request is left to retransmit. */
	assert_int_equal(ust_stack_advance(f.st, 5000 * MS), 0);
	assert_false(fx_recv(&f, &out));
	fx_free(&f);
}

/* Q-1 step 2 without cookies: the SYN queue is full above the backlog
 * (qlen > backlog, Linux 6.18): with listen(fd, 2) three requests fit and the
 * fourth SYN is dropped (TCPReqQFullDrop). */
static void test_syn_queue_full_without_cookies(void **state)
{
	struct seg syn = { .sport = 40004, .dport = 8080, .seq = 1000, .flags = UST_TCP_SYN,
			   .win = 65535, .opts = SYNOPTS };
	struct fx f;
	struct seg out;

	(void)state;
	fx_init(&f);
	assert_int_equal(ust_sysctl_write(f.st, "net.ipv4.tcp_syncookies", "0"), 0);
	fx_listen(&f, 2);
	handshake_syn(&f, 40001);
	handshake_syn(&f, 40002);
	handshake_syn(&f, 40003);
	fx_send(&f, &syn);
	assert_false(fx_recv(&f, &out));
	assert_int_equal(fx_stat(&f, "TcpExtTCPReqQFullDrop"), 1);
	assert_int_equal(fx_stat(&f, "TcpExtListenDrops"), 1);
	assert_int_equal(fx_stat(&f, "TcpExtTCPReqQFullDoCookies"), 0);
	fx_free(&f);
}

/* K-1..K-5: with cookies, the SYN beyond the SYN queue gets a cookie; its ACK
 * makes the child; a forged ACK fails the check and gets RST. */
static void test_syn_queue_full_with_cookies(void **state)
{
	struct fx f;
	struct seg out, bad = { .sport = 40005, .dport = 8080, .seq = 5001, .ack = 12345,
				.flags = UST_TCP_ACK, .win = 257 };
	uint32_t cookie;
	int lfd;

	(void)state;
	fx_init(&f);
	lfd = fx_listen(&f, 2);
	handshake_syn(&f, 40001);
	handshake_syn(&f, 40002);
	handshake_syn(&f, 40003);
	assert_int_equal(fx_stat(&f, "TcpExtSyncookiesSent"), 0);
	cookie = handshake_syn(&f, 40004);
	assert_int_equal(fx_stat(&f, "TcpExtTCPReqQFullDoCookies"), 1);
	assert_int_equal(fx_stat(&f, "TcpExtSyncookiesSent"), 1);
	handshake_ack(&f, 40004, cookie);
	assert_int_equal(fx_stat(&f, "TcpExtSyncookiesRecv"), 1);
	assert_int_equal(fx_stat(&f, "TcpPassiveOpens"), 1);
	assert_true(ust_accept(f.st, lfd, NULL, NULL) >= 0);

	fx_send(&f, &bad);
	assert_true(fx_recv(&f, &out));
	assert_int_equal(out.flags, UST_TCP_RST);
	assert_int_equal(out.seq, 12345);
	assert_int_equal(fx_stat(&f, "TcpExtSyncookiesFailed"), 1);
	/* A cookie SYN-ACK is never retransmitted; the three real requests are. */
	assert_int_equal(ust_stack_advance(f.st, 1000 * MS), 0);
	for (uint16_t port = 40001; port <= 40003; port++) {
		assert_true(fx_recv(&f, &out));
		assert_int_equal(out.dport, port);
	}
	assert_false(fx_recv(&f, &out));
	fx_free(&f);
}

/* Q-1 step 6: without cookies the last quarter of tcp_max_syn_backlog is kept
 * for proven peers, which ustack (keeping no tcp_metrics) has none of. */
static void test_max_syn_backlog_reserves_last_quarter(void **state)
{
	struct fx f;
	struct seg out;
	int accepted = 0;

	(void)state;
	fx_init(&f);
	assert_int_equal(ust_sysctl_write(f.st, "tcp_syncookies", "0"), 0);
	assert_int_equal(ust_sysctl_write(f.st, "tcp_max_syn_backlog", "8"), 0);
	fx_listen(&f, 100);
	for (uint16_t p = 0; p < 10; p++) {
		struct seg syn = { .sport = (uint16_t)(41000 + p), .dport = 8080, .seq = 1, .flags = UST_TCP_SYN,
				   .win = 65535, .opts = SYNOPTS };

		fx_send(&f, &syn);
		if (fx_recv(&f, &out))
			accepted++;
	}
	/* Taken while 8 - qlen >= 8/4: qlen 0..6. */
	assert_int_equal(accepted, 7);
	assert_int_equal(fx_stat(&f, "TcpExtListenDrops"), 3);
	fx_free(&f);
}

/* Z-3: close() on a listener resets every queued child, in queue order. */
static void test_close_listener_resets_queued_children(void **state)
{
	struct fx f;
	struct seg out;
	uint32_t isn1, isn2;
	int lfd;

	(void)state;
	fx_init(&f);
	lfd = fx_listen(&f, 10);
	isn1 = handshake_syn(&f, 40001);
	isn2 = handshake_syn(&f, 40002);
	handshake_ack(&f, 40001, isn1);
	handshake_ack(&f, 40002, isn2);
	assert_int_equal(fx_stat(&f, "TcpCurrEstab"), 2);
	assert_int_equal(ust_close(f.st, lfd), 0);
	assert_true(fx_recv(&f, &out));
	assert_int_equal(out.flags, UST_TCP_RST | UST_TCP_ACK);
	assert_int_equal(out.dport, 40001);
	assert_int_equal(out.seq, isn1 + 1);
	assert_int_equal(out.ack, 1001);
	assert_true(fx_recv(&f, &out));
	assert_int_equal(out.dport, 40002);
	assert_int_equal(fx_stat(&f, "TcpEstabResets"), 2);
	assert_int_equal(fx_stat(&f, "TcpOutRsts"), 2);
	assert_int_equal(fx_stat(&f, "TcpCurrEstab"), 0);
	fx_free(&f);
}

/* An orphan in FIN_WAIT2 whose peer never sends its FIN is closed after
 * tcp_fin_timeout (here 5 s). As in Linux it spends that time as a FIN_WAIT2
 * minisock: the full socket goes back to its pool at once, the minisock at 5 s. */
static void test_orphan_fin_wait2_times_out(void **state)
{
	struct fx f;
	struct seg out, ack;
	uint32_t isn;
	int lfd, cfd;

	(void)state;
	fx_init(&f);
	assert_int_equal(ust_sysctl_write(f.st, "tcp_fin_timeout", "5"), 0);
	lfd = fx_listen(&f, 10);
	isn = handshake_syn(&f, 40001);
	handshake_ack(&f, 40001, isn);
	cfd = ust_accept(f.st, lfd, NULL, NULL);
	assert_true(cfd >= 0);
	assert_int_equal(ust_stack_tcp(f.st)->sock_pool.nr_used, 2);
	assert_int_equal(ust_close(f.st, cfd), 0);
	assert_true(fx_recv(&f, &out));
	assert_int_equal(out.flags, UST_TCP_FIN | UST_TCP_ACK);
	ack = (struct seg){ .sport = 40001, .dport = 8080, .seq = 1001, .ack = isn + 2,
			    .flags = UST_TCP_ACK, .win = 257 };
	fx_send(&f, &ack);                       /* FIN acknowledged: FIN_WAIT2 */
	assert_int_equal(ust_stack_tcp(f.st)->sock_pool.nr_used, 1);
	assert_int_equal(ust_stack_tcp(f.st)->tw_pool.nr_used, 1);
	assert_int_equal(ust_stack_advance(f.st, 4900 * MS), 0);
	assert_int_equal(ust_stack_tcp(f.st)->tw_pool.nr_used, 1);
	assert_int_equal(ust_stack_advance(f.st, 200 * MS), 0);
	assert_int_equal(ust_stack_tcp(f.st)->tw_pool.nr_used, 0);
	assert_int_equal(ust_stack_tcp(f.st)->sock_pool.nr_used, 1);
	assert_false(fx_recv(&f, &out));          /* silently, as Linux */
	fx_free(&f);
}

/* ss's view: the listener with its queues, an accepted connection, a child
 * nobody accepted yet (fd -1); a request counts only in the SYN queue. */
static void test_socket_list_shows_queues(void **state)
{
	struct ust_socket_info info[8];
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	struct fx f_;
	int lfd, cfd;

	(void)state;
	fx_init(&f_);
	lfd = fx_listen(&f_, 5);
	handshake_ack(&f_, 40001, handshake_syn(&f_, 40001));
	handshake_ack(&f_, 40002, handshake_syn(&f_, 40002));
	handshake_syn(&f_, 40003);
	cfd = ust_accept(f_.st, lfd, NULL, NULL);
	assert_int_equal(ust_socket_list(f_.st, info, 8), 3);
	assert_int_equal(info[0].fd, lfd);
	assert_int_equal(info[0].state, TCP_LISTEN);
	assert_int_equal(info[0].recv_q, 1);           /* the child not yet accepted */
	assert_int_equal(info[0].send_q, 5);
	assert_int_equal(info[0].syn_queue, 1);        /* 40003's request */
	assert_int_equal(info[1].fd, -1);
	assert_int_equal(ntohs(info[1].peer.sin_port), 40002);
	assert_int_equal(info[2].fd, cfd);
	assert_int_equal(info[2].state, TCP_ESTABLISHED);
	assert_int_equal(ntohs(info[2].peer.sin_port), 40001);
	assert_int_equal(info[2].local.sin_addr.s_addr, inet_addr(LOCAL_IP));
	f = open_memstream(&text, &len);
	assert_int_equal(ust_socket_list_print(f_.st, f), 3);
	fclose(f);
	assert_non_null(strstr(text, "LISTEN            1      5  *:8080                *:*                      3 1\n"));
	assert_non_null(strstr(text, "ESTABLISHED       0      0  192.168.0.1:8080      192.0.2.1:40002          -\n"));
	free(text);
	fx_free(&f_);
}

/* K-5, O-6: a child rebuilt from a cookie takes the window its SYN-ACK offered:
 * with SO_RCVBUF fixed on the listener, the window is clamped and the shift
 * is 0 on both, so the child scales nothing it sends. */
static void test_cookie_child_keeps_rcvbuf_window(void **state)
{
	struct seg syn = { .sport = 40001, .dport = 8080, .seq = 1000, .flags = UST_TCP_SYN, .win = 65535,
			   .opts = { .present = UST_TCPOPT_F_MSS | UST_TCPOPT_F_WSCALE | UST_TCPOPT_F_TIMESTAMP,
				     .mss = 1460, .wscale = 7, .tsval = 100 } };
	int v = 10000, lfd, cfd;
	struct ust_sock *child;
	struct seg out;
	struct fx f;

	(void)state;
	fx_init(&f);
	assert_int_equal(ust_sysctl_write(f.st, "tcp_syncookies", "2"), 0);
	lfd = fx_listen(&f, 10);
	assert_int_equal(ust_setsockopt(f.st, lfd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)), 0);
	fx_send(&f, &syn);
	assert_true(fx_recv(&f, &out));
	assert_int_equal(out.win, 8688);
	assert_int_equal(out.opts.wscale, 0);
	syn.flags = UST_TCP_ACK;
	syn.seq = 1001;
	syn.ack = out.seq + 1;
	syn.opts = (struct ust_tcp_opts){ .present = UST_TCPOPT_F_TIMESTAMP, .tsval = 110, .tsecr = out.opts.tsval };
	fx_send(&f, &syn);
	assert_int_equal(fx_stat(&f, "TcpExtSyncookiesRecv"), 1);
	cfd = ust_accept(f.st, lfd, NULL, NULL);
	assert_true(cfd >= 0);
	child = ust_fd_get(ust_stack_sockets(f.st), cfd);
	assert_int_equal(child->rcv_wscale, 0);
	assert_int_equal(child->rcv_wnd, 8688);
	fx_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_final_ack_on_full_accept_queue_keeps_request),
		cmocka_unit_test(test_syn_on_full_accept_queue_dropped),
		cmocka_unit_test(test_abort_on_overflow_resets),
		cmocka_unit_test(test_syn_queue_full_without_cookies),
		cmocka_unit_test(test_syn_queue_full_with_cookies),
		cmocka_unit_test(test_max_syn_backlog_reserves_last_quarter),
		cmocka_unit_test(test_close_listener_resets_queued_children),
		cmocka_unit_test(test_orphan_fin_wait2_times_out),
		cmocka_unit_test(test_socket_list_shows_queues),
		cmocka_unit_test(test_cookie_child_keeps_rcvbuf_window),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
