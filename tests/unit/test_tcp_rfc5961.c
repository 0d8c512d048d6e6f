/*
 * RFC 5961 challenge ACKs in ESTABLISHED beyond what the scripts show: the
 * stack-wide budget of tcp_challenge_ack_limit per second, on top of the
 * per-socket tcp_invalid_ratelimit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "tcp_fixture.h"

#define PEER_PORT 9000

static uint16_t connect_new(struct fx *f, uint32_t *isn)
{
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(PEER_PORT),
				    .sin_addr.s_addr = inet_addr(PEER_IP) };
	int fd = ust_socket(f->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct seg out, in;

	assert_int_equal(ust_connect(f->st, fd, (struct sockaddr *)&peer, sizeof(peer)), -1);
	assert_true(fx_recv(f, &out));
	*isn = out.seq;
	in = (struct seg){ .sport = PEER_PORT, .dport = out.sport, .seq = 1000, .ack = out.seq + 1,
			   .flags = UST_TCP_SYN | UST_TCP_ACK, .win = 65535 };
	fx_send(f, &in);
	assert_true(fx_recv(f, &out));
	return out.sport;
}

static void send_rst(struct fx *f, uint16_t lport, uint32_t seq)
{
	struct seg rst = { .sport = PEER_PORT, .dport = lport, .seq = seq, .flags = UST_TCP_RST, .win = 0 };

	fx_send(f, &rst);
}

/* Limit 1: one challenge ACK per second for the stack; the next second has
 * a new budget. The per-socket limit is kept out of the way (600 ms apart). */
static void test_challenge_ack_limit_per_second(void **state)
{
	struct fx f;
	struct seg out;
	uint32_t isn;
	uint16_t lport;

	(void)state;
	fx_init(&f);
	assert_int_equal(ust_sysctl_write(f.st, "tcp_challenge_ack_limit", "1"), 0);
	lport = connect_new(&f, &isn);
	assert_int_equal(ust_stack_advance(f.st, 100 * MS), 0);
	send_rst(&f, lport, 1100);               /* in window, not rcv_nxt */
	assert_true(fx_recv(&f, &out));
	assert_int_equal(out.flags, UST_TCP_ACK);
	assert_int_equal(out.seq, isn + 1);
	assert_int_equal(out.ack, 1001);
	assert_int_equal(ust_stack_advance(f.st, 600 * MS), 0);
	send_rst(&f, lport, 1100);
	assert_false(fx_recv(&f, &out));         /* this second's budget is spent */
	assert_int_equal(ust_stack_advance(f.st, 600 * MS), 0);
	send_rst(&f, lport, 1100);
	assert_true(fx_recv(&f, &out));
	assert_int_equal(fx_stat(&f, "TcpExtTCPChallengeACK"), 2);
	assert_int_equal(fx_stat(&f, "TcpCurrEstab"), 1);
	fx_free(&f);
}

/* The default (INT_MAX) leaves only the per-socket limit: two RSTs 100 ms
 * apart get one ACK (TCPACKSkippedChallenge), 600 ms apart two. */
static void test_challenge_ack_per_socket_limit(void **state)
{
	struct fx f;
	struct seg out;
	uint32_t isn;
	uint16_t lport;

	(void)state;
	fx_init(&f);
	lport = connect_new(&f, &isn);
	send_rst(&f, lport, 1100);
	assert_true(fx_recv(&f, &out));
	assert_int_equal(ust_stack_advance(f.st, 100 * MS), 0);
	send_rst(&f, lport, 1100);
	assert_false(fx_recv(&f, &out));
	assert_int_equal(fx_stat(&f, "TcpExtTCPACKSkippedChallenge"), 1);
	assert_int_equal(ust_stack_advance(f.st, 500 * MS), 0);
	send_rst(&f, lport, 1100);
	assert_true(fx_recv(&f, &out));
	assert_int_equal(fx_stat(&f, "TcpExtTCPChallengeACK"), 2);
	fx_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_challenge_ack_limit_per_second),
		cmocka_unit_test(test_challenge_ack_per_socket_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
