/*
 * close() as Linux does it: SO_LINGER {1, N} blocks until the FIN is
 * acknowledged or N s pass (virtual time, a second thread in close());
 * abort counters; keepalive counters and error; an orphan whose
 * tcp_fin_time exceeds TCP_TIMEWAIT_LEN.
 */
#include <pthread.h>
#include <sched.h>
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
	uint32_t isn;
};

static struct conn connect_new(struct fx *f)
{
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(PEER_PORT),
				    .sin_addr.s_addr = inet_addr(PEER_IP) };
	struct conn c = { .fd = ust_socket(f->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0) };
	struct seg out, in;

	assert_true(c.fd >= 0);
	assert_int_equal(ust_connect(f->st, c.fd, (struct sockaddr *)&peer, sizeof(peer)), -1);
	assert_true(fx_recv(f, &out));
	c.lport = out.sport;
	c.isn = out.seq;
	in = (struct seg){ .sport = PEER_PORT, .dport = c.lport, .seq = 1000, .ack = c.isn + 1,
			   .flags = UST_TCP_SYN | UST_TCP_ACK, .win = 65535 };
	fx_send(f, &in);
	assert_true(fx_recv(f, &out));
	assert_int_equal(out.flags, UST_TCP_ACK);
	return c;
}

struct closer {
	struct fx *f;
	int fd;
	int ret;
	volatile int done;
	uint64_t returned_at;
};

static void *do_close(void *arg)
{
	struct closer *c = arg;

	c->ret = ust_close(c->f->st, c->fd);
	c->returned_at = ust_stack_now(c->f->st);
	c->done = 1;
	return NULL;
}

static void set_linger(struct fx *f, int fd, int secs)
{
	struct linger l = { .l_onoff = 1, .l_linger = secs };

	assert_int_equal(ust_setsockopt(f->st, fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)), 0);
}

/* The FIN the closing thread sent (it is then asleep in close()). */
static void wait_for_fin(struct fx *f, struct seg *out)
{
	for (int i = 0; i < 1000000 && !fx_recv(f, out); i++)
		sched_yield();
	assert_int_equal(out->flags, UST_TCP_FIN | UST_TCP_ACK);
}

static void test_linger_close_returns_when_fin_acked(void **state)
{
	struct closer cl = { 0 };
	struct fx f;
	struct conn c;
	struct seg out, ack;
	pthread_t t;
	uint64_t start;

	(void)state;
	fx_init(&f);
	c = connect_new(&f);
	set_linger(&f, c.fd, 5);
	start = ust_stack_now(f.st);
	cl = (struct closer){ .f = &f, .fd = c.fd };
	assert_int_equal(pthread_create(&t, NULL, do_close, &cl), 0);
	wait_for_fin(&f, &out);
	assert_int_equal(ust_stack_advance(f.st, 500 * MS), 0);
	assert_false(cl.done);                   /* still lingering */
	ack = (struct seg){ .sport = PEER_PORT, .dport = c.lport, .seq = 1001, .ack = c.isn + 2,
			    .flags = UST_TCP_ACK, .win = 65535 };
	fx_send(&f, &ack);                       /* FIN_WAIT2: close() may return */
	pthread_join(t, NULL);
	assert_int_equal(cl.ret, 0);
	assert_int_equal(cl.returned_at - start, 500 * MS);
	/* The orphan is a FIN_WAIT2 minisock now. */
	assert_int_equal(ust_stack_tcp(f.st)->sock_pool.nr_used, 0);
	assert_int_equal(ust_stack_tcp(f.st)->tw_pool.nr_used, 1);
	fx_free(&f);
}

static void test_linger_close_times_out(void **state)
{
	struct closer cl;
	struct fx f;
	struct conn c;
	struct seg out;
	pthread_t t;
	uint64_t start;

	(void)state;
	fx_init(&f);
	c = connect_new(&f);
	set_linger(&f, c.fd, 2);
	start = ust_stack_now(f.st);
	cl = (struct closer){ .f = &f, .fd = c.fd };
	assert_int_equal(pthread_create(&t, NULL, do_close, &cl), 0);
	wait_for_fin(&f, &out);
	assert_int_equal(ust_stack_advance(f.st, 1990 * MS), 0);
	for (int i = 0; i < 10000; i++)
		sched_yield();
	assert_false(cl.done);
	assert_int_equal(ust_stack_advance(f.st, 20 * MS), 0);
	pthread_join(t, NULL);                   /* woken by the linger timeout */
	assert_int_equal(cl.ret, 0);
	/* The clock may be read while the run that fired the timer goes on. */
	assert_true(cl.returned_at - start >= 2000 * MS);
	assert_true(cl.returned_at - start <= 2010 * MS);
	/* No RST: the orphan lives on in FIN_WAIT1. */
	assert_int_equal(fx_stat(&f, "TcpOutRsts"), 0);
	assert_int_equal(ust_stack_tcp(f.st)->sock_pool.nr_used, 1);
	fx_free(&f);
}

/* Unread data: RST from snd_nxt, TCPAbortOnClose, the socket freed. */
static void test_close_with_unread_data_resets(void **state)
{
	struct fx f;
	struct conn c;
	struct seg out, data;

	(void)state;
	fx_init(&f);
	c = connect_new(&f);
	data = (struct seg){ .sport = PEER_PORT, .dport = c.lport, .seq = 1001, .ack = c.isn + 1,
			     .flags = UST_TCP_ACK | UST_TCP_PSH, .win = 65535, .len = 10 };
	fx_send(&f, &data);
	assert_true(fx_recv(&f, &out));
	assert_int_equal(out.ack, 1011);
	assert_int_equal(ust_close(f.st, c.fd), 0);
	assert_true(fx_recv(&f, &out));
	assert_int_equal(out.flags, UST_TCP_RST | UST_TCP_ACK);
	assert_int_equal(out.seq, c.isn + 1);
	assert_int_equal(fx_stat(&f, "TcpExtTCPAbortOnClose"), 1);
	assert_int_equal(fx_stat(&f, "TcpEstabResets"), 1);
	assert_int_equal(ust_stack_tcp(f.st)->sock_pool.nr_used, 0);
	assert_int_equal(ust_stack_tcp(f.st)->tw_pool.nr_used, 0);
	fx_free(&f);
}

/* SO_LINGER {1, 0}: RST, counted as TCPAbortOnData (as Linux counts it). */
static void test_linger_zero_resets(void **state)
{
	struct fx f;
	struct conn c;
	struct seg out;

	(void)state;
	fx_init(&f);
	c = connect_new(&f);
	set_linger(&f, c.fd, 0);
	assert_int_equal(ust_close(f.st, c.fd), 0);
	assert_true(fx_recv(&f, &out));
	assert_int_equal(out.flags, UST_TCP_RST | UST_TCP_ACK);
	assert_int_equal(fx_stat(&f, "TcpExtTCPAbortOnData"), 1);
	assert_int_equal(ust_stack_tcp(f.st)->sock_pool.nr_used, 0);
	fx_free(&f);
}

/* Keepalive from the sysctls (idle 7200 s, every 75 s, 9 probes): each probe
 * counted in TCPKeepAlive; the tenth expiry resets with ETIMEDOUT. */
static void test_keepalive_sysctl_defaults_give_up(void **state)
{
	struct fx f;
	struct conn c;
	struct seg out;
	int one = 1, err = 0;
	socklen_t len = sizeof(err);

	(void)state;
	fx_init(&f);
	c = connect_new(&f);
	assert_int_equal(ust_setsockopt(f.st, c.fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)), 0);
	assert_int_equal(ust_stack_advance(f.st, 7199900 * MS), 0);
	assert_false(fx_recv(&f, &out));
	assert_int_equal(ust_stack_advance(f.st, 200 * MS), 0);
	assert_true(fx_recv(&f, &out));
	assert_int_equal(out.flags, UST_TCP_ACK);
	assert_int_equal(out.seq, c.isn);          /* snd_una - 1 */
	assert_int_equal(out.len, 0);
	for (int i = 1; i < 9; i++) {
		assert_int_equal(ust_stack_advance(f.st, 75000 * MS), 0);
		assert_true(fx_recv(&f, &out));
		assert_int_equal(out.seq, c.isn);
	}
	assert_int_equal(fx_stat(&f, "TcpExtTCPKeepAlive"), 9);
	assert_int_equal(ust_stack_advance(f.st, 75000 * MS), 0);
	assert_true(fx_recv(&f, &out));
	assert_int_equal(out.flags, UST_TCP_RST | UST_TCP_ACK);
	assert_int_equal(fx_stat(&f, "TcpExtTCPAbortOnTimeout"), 1);
	assert_int_equal(ust_getsockopt(f.st, c.fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	assert_int_equal(err, ETIMEDOUT);
	fx_free(&f);
}

/* An answered probe starts the idle time over (the next probe comes when the
 * interval timer finds 10 s of silence); SO_KEEPALIVE off stops it. */
static void test_keepalive_reply_resets_and_off_stops(void **state)
{
	struct fx f;
	struct conn c;
	struct seg out, ack;
	int one = 1, zero = 0, idle = 10, intvl = 5;

	(void)state;
	fx_init(&f);
	c = connect_new(&f);
	assert_int_equal(ust_setsockopt(f.st, c.fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)), 0);
	assert_int_equal(ust_setsockopt(f.st, c.fd, IPPROTO_TCP, 4 /* TCP_KEEPIDLE */, &idle, sizeof(idle)), 0);
	assert_int_equal(ust_setsockopt(f.st, c.fd, IPPROTO_TCP, 5 /* TCP_KEEPINTVL */, &intvl, sizeof(intvl)), 0);
	assert_int_equal(ust_stack_advance(f.st, 10000 * MS), 0);
	assert_true(fx_recv(&f, &out));
	ack = (struct seg){ .sport = PEER_PORT, .dport = c.lport, .seq = 1001, .ack = c.isn + 1,
			    .flags = UST_TCP_ACK, .win = 65535 };
	fx_send(&f, &ack);
	assert_int_equal(ust_stack_advance(f.st, 9900 * MS), 0);
	assert_false(fx_recv(&f, &out));
	assert_int_equal(ust_stack_advance(f.st, 200 * MS), 0);
	assert_true(fx_recv(&f, &out));
	assert_int_equal(fx_stat(&f, "TcpExtTCPKeepAlive"), 2);
	assert_int_equal(ust_setsockopt(f.st, c.fd, SOL_SOCKET, SO_KEEPALIVE, &zero, sizeof(zero)), 0);
	assert_int_equal(ust_stack_advance(f.st, 3600000 * MS), 0);
	assert_false(fx_recv(&f, &out));
	fx_free(&f);
}

/* tcp_fin_time above 60 s: the orphan stays a full socket for tcp_fin_time -
 * 60 s (the socket timer), then a FIN_WAIT2 minisock for as long again, as
 * Linux's tcp_close and tcp_keepalive_timer split it. */
static void test_orphan_long_fin_timeout(void **state)
{
	struct fx f;
	struct conn c;
	struct seg out, ack;

	(void)state;
	fx_init(&f);
	assert_int_equal(ust_sysctl_write(f.st, "tcp_fin_timeout", "90"), 0);
	c = connect_new(&f);
	assert_int_equal(ust_close(f.st, c.fd), 0);
	assert_true(fx_recv(&f, &out));
	ack = (struct seg){ .sport = PEER_PORT, .dport = c.lport, .seq = 1001, .ack = c.isn + 2,
			    .flags = UST_TCP_ACK, .win = 65535 };
	fx_send(&f, &ack);
	assert_int_equal(ust_stack_advance(f.st, 29900 * MS), 0);
	assert_int_equal(ust_stack_tcp(f.st)->sock_pool.nr_used, 1);
	assert_int_equal(ust_stack_advance(f.st, 200 * MS), 0);
	assert_int_equal(ust_stack_tcp(f.st)->sock_pool.nr_used, 0);
	assert_int_equal(ust_stack_tcp(f.st)->tw_pool.nr_used, 1);
	assert_int_equal(ust_stack_advance(f.st, 29800 * MS), 0);
	assert_int_equal(ust_stack_tcp(f.st)->tw_pool.nr_used, 1);
	assert_int_equal(ust_stack_advance(f.st, 200 * MS), 0);
	assert_int_equal(ust_stack_tcp(f.st)->tw_pool.nr_used, 0);
	assert_false(fx_recv(&f, &out));
	fx_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linger_close_returns_when_fin_acked),
		cmocka_unit_test(test_linger_close_times_out),
		cmocka_unit_test(test_close_with_unread_data_resets),
		cmocka_unit_test(test_linger_zero_resets),
		cmocka_unit_test(test_keepalive_sysctl_defaults_give_up),
		cmocka_unit_test(test_keepalive_reply_resets_and_off_stops),
		cmocka_unit_test(test_orphan_long_fin_timeout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
