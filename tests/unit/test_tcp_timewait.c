/*
 * TIME_WAIT minisocks: size, the ehash swap and the memory it gives back, the
 * port kept busy, expiry on the virtual clock, tcp_tw_reuse for connect(),
 * tcp_max_tw_buckets. Packet by packet, counter by counter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "tcp_fixture.h"
#include "tcp/tcp.h"

#define PEER_PORT 9000


struct conn {
	int fd;
	uint16_t lport;
	uint32_t isn;          /* ours */
};

static void set(struct fx *f, const char *name, const char *value)
{
	assert_int_equal(ust_sysctl_write(f->st, name, value), 0);
}

static struct ust_tcp *tcp_of(struct fx *f)
{
	return ust_stack_tcp(f->st);
}

/* fd (bound or not) connects to PEER_IP:9000; the peer answers (with a
 * timestamp when ts) and the handshake completes. */
static struct conn connect_fd(struct fx *f, int fd, bool ts)
{
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(PEER_PORT),
				    .sin_addr.s_addr = inet_addr(PEER_IP) };
	struct conn c = { .fd = fd };
	struct seg out, in;

	assert_int_equal(ust_fcntl(f->st, fd, F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(ust_connect(f->st, fd, (struct sockaddr *)&peer, sizeof(peer)), -1);
	assert_int_equal(errno, EINPROGRESS);
	assert_true(fx_recv(f, &out));
	assert_int_equal(out.flags, UST_TCP_SYN);
	c.lport = out.sport;
	c.isn = out.seq;
	in = (struct seg){ .sport = PEER_PORT, .dport = c.lport, .seq = 1000, .ack = c.isn + 1,
			   .flags = UST_TCP_SYN | UST_TCP_ACK, .win = 65535 };
	if (ts) {
		in.opts.present = UST_TCPOPT_F_TIMESTAMP;
		in.opts.tsval = 5000;
		in.opts.tsecr = out.opts.tsval;
	}
	fx_send(f, &in);
	assert_true(fx_recv(f, &out));
	assert_int_equal(out.flags, UST_TCP_ACK);
	return c;
}

static struct conn connect_new(struct fx *f, bool ts)
{
	int fd = ust_socket(f->st, AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	return connect_fd(f, fd, ts);
}

/* Active close up to TIME_WAIT: our FIN, the peer's ACK+FIN, our ACK. */
static void close_to_time_wait(struct fx *f, const struct conn *c, bool ts)
{
	struct seg out, in;

	assert_int_equal(ust_close(f->st, c->fd), 0);
	assert_true(fx_recv(f, &out));
	assert_int_equal(out.flags, UST_TCP_FIN | UST_TCP_ACK);
	in = (struct seg){ .sport = PEER_PORT, .dport = c->lport, .seq = 1001, .ack = c->isn + 2,
			   .flags = UST_TCP_FIN | UST_TCP_ACK, .win = 65535 };
	if (ts) {
		in.opts.present = UST_TCPOPT_F_TIMESTAMP;
		in.opts.tsval = 5001;
		in.opts.tsecr = out.opts.tsval;
	}
	fx_send(f, &in);
	assert_true(fx_recv(f, &out));
	assert_int_equal(out.flags, UST_TCP_ACK);
	assert_int_equal(out.seq, c->isn + 2);
	assert_int_equal(out.ack, 1002);
}

static void test_time_wait_replaces_socket_with_minisock(void **state)
{
	struct ust_socket_info info[4];
	struct fx f;
	struct conn c;

	(void)state;
	fx_init(&f);
	c = connect_new(&f, false);
	assert_int_equal(tcp_of(&f)->sock_pool.nr_used, 1);
	close_to_time_wait(&f, &c, false);
	/* The full socket went back to its pool; a minisock holds the tuple. */
	assert_int_equal(tcp_of(&f)->sock_pool.nr_used, 0);
	assert_int_equal(tcp_of(&f)->tw_pool.nr_used, 1);
	assert_int_equal(tcp_of(&f)->tw_count, 1);
	assert_int_equal(tcp_of(&f)->hashinfo.ehash_count, 1);
	assert_int_equal(fx_stat(&f, "TcpExtTW"), 1);
	assert_int_equal(fx_stat(&f, "TcpExtTWKilled"), 0);
	/* ss lists it from ehash: no descriptor, state TIME_WAIT. */
	assert_int_equal(ust_socket_list(f.st, info, 4), 1);
	assert_int_equal(info[0].fd, -1);
	assert_int_equal(info[0].state, TCP_TIME_WAIT);
	assert_int_equal(ntohs(info[0].local.sin_port), c.lport);
	assert_int_equal(ntohs(info[0].peer.sin_port), PEER_PORT);
	fx_free(&f);
}

/* Retransmitted FIN: ACKed again, and the 60 s start over. */
static void test_time_wait_refin_reacked_and_expires_60s_later(void **state)
{
	struct fx f;
	struct conn c;
	struct seg out, fin;

	(void)state;
	fx_init(&f);
	c = connect_new(&f, false);
	close_to_time_wait(&f, &c, false);
	assert_int_equal(ust_stack_advance(f.st, 30000 * MS), 0);
	fin = (struct seg){ .sport = PEER_PORT, .dport = c.lport, .seq = 1001, .ack = c.isn + 2,
			    .flags = UST_TCP_FIN | UST_TCP_ACK, .win = 65535 };
	fx_send(&f, &fin);
	assert_true(fx_recv(&f, &out));
	assert_int_equal(out.flags, UST_TCP_ACK);
	assert_int_equal(out.seq, c.isn + 2);
	assert_int_equal(out.ack, 1002);
	assert_int_equal(ust_stack_advance(f.st, 59900 * MS), 0);
	assert_int_equal(tcp_of(&f)->tw_pool.nr_used, 1);
	assert_int_equal(ust_stack_advance(f.st, 200 * MS), 0);
	assert_int_equal(tcp_of(&f)->tw_pool.nr_used, 0);
	assert_int_equal(tcp_of(&f)->tw_count, 0);
	assert_int_equal(tcp_of(&f)->hashinfo.ehash_count, 0);
	/* Port and bucket gone with it. */
	assert_null(tcp_of(&f)->hashinfo.bhash[c.lport]);
	assert_false(fx_recv(&f, &out));
	fx_free(&f);
}

/* The port stays in use: bind() gets EADDRINUSE (without SO_REUSEADDR, or
 * when the minisock's socket had none), until the minisock expires. */
static void test_time_wait_keeps_port_busy_for_bind(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct fx f;
	struct conn c;
	int fd, one = 1;

	(void)state;
	fx_init(&f);
	c = connect_new(&f, false);
	close_to_time_wait(&f, &c, false);
	sa.sin_port = htons(c.lport);
	fd = ust_socket(f.st, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(ust_bind(f.st, fd, (struct sockaddr *)&sa, sizeof(sa)), -1);
	assert_int_equal(errno, EADDRINUSE);
	assert_int_equal(ust_setsockopt(f.st, fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	assert_int_equal(ust_bind(f.st, fd, (struct sockaddr *)&sa, sizeof(sa)), -1);
	assert_int_equal(errno, EADDRINUSE);
	assert_int_equal(ust_stack_advance(f.st, 60100 * MS), 0);
	assert_int_equal(ust_bind(f.st, fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	fx_free(&f);
}

/* Both with SO_REUSEADDR: bind() may share the port with the minisock, but a
 * connect() to the same peer needs the tuple: without timestamps it is not
 * given up (tcp_twsk_unique), EADDRNOTAVAIL. */
static void test_time_wait_reuseaddr_bind_but_tuple_taken(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(PEER_PORT),
				    .sin_addr.s_addr = inet_addr(PEER_IP) };
	struct fx f;
	struct conn c;
	int fd, one = 1;

	(void)state;
	fx_init(&f);
	fd = ust_socket(f.st, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(ust_setsockopt(f.st, fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	c = connect_fd(&f, fd, false);
	close_to_time_wait(&f, &c, false);
	sa.sin_port = htons(c.lport);
	fd = ust_socket(f.st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_int_equal(ust_setsockopt(f.st, fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	assert_int_equal(ust_bind(f.st, fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(ust_connect(f.st, fd, (struct sockaddr *)&peer, sizeof(peer)), -1);
	assert_int_equal(errno, EADDRNOTAVAIL);
	fx_free(&f);
}

/* With timestamps, a bound port takes the tuple over at once (Linux passes no
 * twp there): TWRecycled, write_seq past the old connection, ts_recent kept. */
static void test_time_wait_bound_connect_recycles_with_timestamps(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(PEER_PORT),
				    .sin_addr.s_addr = inet_addr(PEER_IP) };
	struct fx f;
	struct conn c;
	struct seg out;
	int fd, one = 1;

	(void)state;
	fx_init(&f);
	fd = ust_socket(f.st, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(ust_setsockopt(f.st, fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	c = connect_fd(&f, fd, true);
	close_to_time_wait(&f, &c, true);
	sa.sin_port = htons(c.lport);
	fd = ust_socket(f.st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_int_equal(ust_setsockopt(f.st, fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	assert_int_equal(ust_bind(f.st, fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(ust_connect(f.st, fd, (struct sockaddr *)&peer, sizeof(peer)), -1);
	assert_int_equal(errno, EINPROGRESS);
	assert_true(fx_recv(&f, &out));
	assert_int_equal(out.flags, UST_TCP_SYN);
	assert_int_equal(out.seq, c.isn + 2 + 65535 + 2);
	assert_int_equal(out.opts.tsecr, 5001);
	assert_int_equal(fx_stat(&f, "TcpExtTWRecycled"), 1);
	assert_int_equal(tcp_of(&f)->tw_pool.nr_used, 0);
	fx_free(&f);
}

/* An ephemeral port: tcp_tw_reuse 2 (loopback only) keeps the minisock;
 * 1 gives the tuple up, but only tcp_tw_reuse_delay (1 s) after it began. */
static void test_tw_reuse_ephemeral_port(void **state)
{
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(PEER_PORT),
				    .sin_addr.s_addr = inet_addr(PEER_IP) };
	struct fx f;
	struct conn c;
	struct seg out;
	char port[16];
	int fd;

	(void)state;
	fx_init(&f);
	c = connect_new(&f, true);
	close_to_time_wait(&f, &c, true);
	snprintf(port, sizeof(port), "%u %u", c.lport, c.lport);
	set(&f, "ip_local_port_range", port);   /* the only port is the minisock's */
	fd = ust_socket(f.st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_int_equal(ust_connect(f.st, fd, (struct sockaddr *)&peer, sizeof(peer)), -1);
	assert_int_equal(errno, EADDRNOTAVAIL);        /* tcp_tw_reuse = 2, not loopback */
	set(&f, "tcp_tw_reuse", "1");
	assert_int_equal(ust_stack_advance(f.st, 900 * MS), 0);
	assert_int_equal(ust_connect(f.st, fd, (struct sockaddr *)&peer, sizeof(peer)), -1);
	assert_int_equal(errno, EADDRNOTAVAIL);        /* younger than 1 s */
	assert_int_equal(ust_stack_advance(f.st, 200 * MS), 0);
	assert_int_equal(ust_connect(f.st, fd, (struct sockaddr *)&peer, sizeof(peer)), -1);
	assert_int_equal(errno, EINPROGRESS);
	assert_true(fx_recv(&f, &out));
	assert_int_equal(out.sport, c.lport);
	assert_int_equal(out.seq, c.isn + 2 + 65535 + 2);
	assert_int_equal(fx_stat(&f, "TcpExtTWRecycled"), 1);
	fx_free(&f);
}

/* tcp_max_tw_buckets reached: no minisock, the socket simply ends. */
static void test_time_wait_overflow(void **state)
{
	struct fx f;
	struct conn c;

	(void)state;
	fx_init(&f);
	set(&f, "tcp_max_tw_buckets", "0");
	c = connect_new(&f, false);
	close_to_time_wait(&f, &c, false);
	assert_int_equal(fx_stat(&f, "TcpExtTCPTimeWaitOverflow"), 1);
	assert_int_equal(fx_stat(&f, "TcpExtTW"), 0);
	assert_int_equal(tcp_of(&f)->tw_pool.nr_used, 0);
	assert_int_equal(tcp_of(&f)->sock_pool.nr_used, 0);
	assert_null(tcp_of(&f)->hashinfo.bhash[c.lport]);
	fx_free(&f);
}

/* Timestamps: the minisock's ACK carries TSecr = the peer's last TSval; an
 * older TSval is rejected by PAWS (PAWSTimewait) and answered with an ACK. */
static void test_time_wait_paws(void **state)
{
	struct fx f;
	struct conn c;
	struct seg out, in;

	(void)state;
	fx_init(&f);
	c = connect_new(&f, true);
	close_to_time_wait(&f, &c, true);
	in = (struct seg){ .sport = PEER_PORT, .dport = c.lport, .seq = 1002, .ack = c.isn + 2,
			   .flags = UST_TCP_ACK, .win = 65535,
			   .opts = { .present = UST_TCPOPT_F_TIMESTAMP, .tsval = 4000 } };
	fx_send(&f, &in);
	assert_true(fx_recv(&f, &out));
	assert_int_equal(out.flags, UST_TCP_ACK);
	assert_int_equal(out.opts.tsecr, 5001);
	assert_int_equal(fx_stat(&f, "TcpExtPAWSTimewait"), 1);
	assert_int_equal(tcp_of(&f)->tw_pool.nr_used, 1);
	fx_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_wait_replaces_socket_with_minisock),
		cmocka_unit_test(test_time_wait_refin_reacked_and_expires_60s_later),
		cmocka_unit_test(test_time_wait_keeps_port_busy_for_bind),
		cmocka_unit_test(test_time_wait_reuseaddr_bind_but_tuple_taken),
		cmocka_unit_test(test_time_wait_bound_connect_recycles_with_timestamps),
		cmocka_unit_test(test_tw_reuse_ephemeral_port),
		cmocka_unit_test(test_time_wait_overflow),
		cmocka_unit_test(test_time_wait_paws),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
