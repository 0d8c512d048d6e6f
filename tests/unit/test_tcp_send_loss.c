/*
 * The sender, loss and timers (tcp_recovery.c, tcp_timer.c): RTO backoff and
 * Karn's rule, tcp_retries2, fast retransmit (NewReno), the SACK scoreboard,
 * zero-window probes and their give-up, cwnd restart after idle.
 */
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

/* An open connection with ten full segments sent, none acknowledged yet:
 * the flight the loss tests below take apart (cwnd 10, ssthresh to come 5). */
static void open_with_ten_in_flight(struct conn *c, bool sack)
{
	static uint8_t ten[10 * MSS];

	conn_open(c, sack, WIN);
	assert_int_equal(ust_send(c->f.st, c->fd, ten, sizeof(ten), 0), (ssize_t)sizeof(ten));
	assert_int_equal(drain(c), 10);
}

/* RTO: 201 ms, doubled each time; the ACK ends the backoff. */
static void test_rto_backoff(void **state)
{
	uint8_t buf[100] = { 0 };
	struct conn c;
	uint64_t at[] = { RTO0, 2 * RTO0, 4 * RTO0 };

	(void)state;
	conn_open(&c, false, WIN);
	assert_int_equal(ust_send(c.f.st, c.fd, buf, 100, 0), 100);
	expect_data(&c, 0, 100);
	for (unsigned i = 0; i < 3; i++) {
		advance_ms(&c, at[i] - 1);
		assert_int_equal(drain(&c), 0);
		advance_ms(&c, 1);
		expect_data(&c, 0, 100);
	}
	assert_int_equal(fx_stat(&c.f, "TcpExtTCPTimeouts"), 3);
	assert_int_equal(fx_stat(&c.f, "TcpRetransSegs"), 3);
	assert_int_equal(c.sk->ca_state, TCP_CA_Loss);
	assert_int_equal(c.sk->snd_cwnd, 1);
	assert_int_equal(c.sk->snd_ssthresh, 5);
	/* Karn (RFC 6298 5.7): the ACK of a retransmission is no sample, so the
	 * backed-off RTO stays until new data is timed. */
	peer_ack(&c, 100, WIN);
	assert_int_equal(c.sk->ca_state, TCP_CA_Open);
	assert_int_equal(c.sk->packets_out, 0);
	assert_int_equal(c.sk->icsk_backoff, 3);
	assert_int_equal(c.sk->icsk_rto, 8 * RTO0);
	assert_int_equal(ust_send(c.f.st, c.fd, buf, 100, 0), 100);
	expect_data(&c, 100, 100);
	advance_ms(&c, 10);
	peer_ack(&c, 200, WIN);
	assert_int_equal(c.sk->icsk_backoff, 0);
	assert_int_equal(c.sk->icsk_rto, RTO0 + 1);   /* the new 10 ms sample moves it by 1 ms */
	fx_free(&c.f);
}

/* tcp_retries2 = 3: the model allows (2^4 - 1) x 200 ms = 3 s after the first
 * retransmission (at 201 ms); the timeout at 6231 ms finds that passed and
 * ends the connection with ETIMEDOUT, without a fifth retransmission. */
static void test_retries2_gives_up_with_etimedout(void **state)
{
	uint8_t buf[100] = { 0 };
	struct conn c;

	(void)state;
	conn_open(&c, false, WIN);
	assert_int_equal(ust_sysctl_write(c.f.st, "tcp_retries2", "3"), 0);
	assert_int_equal(ust_send(c.f.st, c.fd, buf, 100, 0), 100);
	advance_ms(&c, 15 * RTO0 - 1);               /* sent at 0, 201, 603, 1407 */
	assert_int_equal(drain(&c), 4);
	advance_ms(&c, 1);                           /* 3015: 2814 ms < 3 s, again */
	assert_int_equal(drain(&c), 1);
	advance_ms(&c, 16 * RTO0 - 1);
	assert_int_equal(drain(&c), 0);
	assert_int_equal(c.sk->sk_state, TCP_ESTABLISHED);
	advance_ms(&c, 1);                           /* 6231: given up */
	assert_int_equal(drain(&c), 0);
	assert_int_equal(c.sk->sk_state, TCP_CLOSE);
	assert_int_equal(fx_stat(&c.f, "TcpExtTCPAbortOnTimeout"), 1);
	assert_int_equal(ust_recv(c.f.st, c.fd, buf, 1, 0), -1);
	assert_int_equal(errno, ETIMEDOUT);
	fx_free(&c.f);
}

/* Three duplicate ACKs resend the head at once (NewReno, TCPRenoRecovery,
 * TCPFastRetrans); ssthresh is half the window; an ACK above high_seq ends
 * recovery with cwnd = ssthresh. */
static void test_fast_retransmit_on_third_dupack(void **state)
{
	uint8_t buf[100] = { 0 };
	struct conn c;

	(void)state;
	open_with_ten_in_flight(&c, false);
	peer_ack(&c, MSS, WIN);                         /* cwnd 11 */
	assert_int_equal(c.sk->snd_cwnd, 11);
	peer_ack(&c, MSS, WIN);
	peer_ack(&c, MSS, WIN);
	assert_int_equal(drain(&c), 0);
	peer_ack(&c, MSS, WIN);
	expect_data(&c, MSS, MSS);
	assert_int_equal(drain(&c), 0);
	assert_int_equal(c.sk->ca_state, TCP_CA_Recovery);
	assert_int_equal(c.sk->snd_ssthresh, 5);
	assert_int_equal(fx_stat(&c.f, "TcpExtTCPRenoRecovery"), 1);
	assert_int_equal(fx_stat(&c.f, "TcpExtTCPFastRetrans"), 1);
	assert_int_equal(fx_stat(&c.f, "TcpExtTCPTimeouts"), 0);
	/* Exactly high_seq: Reno stays in recovery (tcp_try_undo_recovery). */
	peer_ack(&c, 10 * MSS, WIN);
	assert_int_equal(c.sk->ca_state, TCP_CA_Recovery);
	assert_int_equal(ust_send(c.f.st, c.fd, buf, 100, 0), 100);
	expect_data(&c, 10 * MSS, 100);
	peer_ack(&c, 10 * MSS + 100, WIN);
	assert_int_equal(c.sk->ca_state, TCP_CA_Open);
	assert_int_equal(c.sk->snd_cwnd, 5);
	fx_free(&c.f);
}

/* An RTO during fast recovery: the repair failed (TCPRenoRecoveryFail); Loss
 * keeps the episode's ssthresh, cwnd 1, and slow start resends the rest. */
static void test_rto_during_recovery_enters_loss(void **state)
{
	struct conn c;

	(void)state;
	open_with_ten_in_flight(&c, false);
	for (int i = 0; i < 4; i++)
		peer_ack(&c, MSS, WIN);
	expect_data(&c, MSS, MSS);
	assert_int_equal(c.sk->ca_state, TCP_CA_Recovery);
	/* Nothing more comes for an RTO: recovery failed, Loss takes over. */
	advance_ms(&c, RTO0);
	expect_data(&c, MSS, MSS);
	assert_int_equal(c.sk->ca_state, TCP_CA_Loss);
	assert_int_equal(fx_stat(&c.f, "TcpExtTCPRenoRecoveryFail"), 1);
	assert_int_equal(c.sk->snd_ssthresh, 5);        /* same episode: kept */
	assert_int_equal(c.sk->snd_cwnd, 1);
	peer_ack(&c, 2 * MSS, WIN);
	assert_int_equal(c.sk->snd_cwnd, 2);
	assert_int_equal(drain(&c), 2);                 /* slow start: the next two lost */
	assert_int_equal(fx_stat(&c.f, "TcpExtTCPSlowStartRetrans"), 2);
	assert_int_equal(fx_stat(&c.f, "TcpExtTCPTimeouts"), 1);
	fx_free(&c.f);
}

/* SACK: the scoreboard counts what the peer holds; the third SACKed segment
 * starts recovery and the hole goes first; a D-SACK is counted. */
static void test_sack_scoreboard_and_hole_first(void **state)
{
	struct conn c;

	(void)state;
	open_with_ten_in_flight(&c, true);
	assert_true(c.sk->sack_ok);
	/* A path whose minimum RTT is 40 ms: RACK waits a quarter of it before
	 * calling a hole lost, until three segments are SACKed. */
	c.sk->rtt_min_us = 40000;
	advance_ms(&c, 10);
	peer_sack(&c, 0, 1 * MSS, 2 * MSS, 0, 0);
	peer_sack(&c, 0, 1 * MSS, 3 * MSS, 0, 0);
	assert_int_equal(c.sk->sacked_out, 2);
	assert_int_equal(drain(&c), 0);
	peer_sack(&c, 0, 1 * MSS, 4 * MSS, 0, 0);
	assert_int_equal(c.sk->sacked_out, 3);
	expect_data(&c, 0, MSS);
	assert_int_equal(fx_stat(&c.f, "TcpExtTCPSackRecovery"), 1);
	assert_int_equal(c.sk->lost_out, 1);
	assert_int_equal(c.sk->retrans_out, 1);
	/* The original arrives after all: the peer reports a duplicate. */
	peer_sack(&c, 4 * MSS, 0, MSS, 0, 0);
	assert_int_equal(fx_stat(&c.f, "TcpExtTCPDSACKRecv"), 1);
	assert_int_equal(c.sk->sacked_out, 0);
	peer_ack(&c, 10 * MSS, WIN);
	assert_int_equal(c.sk->ca_state, TCP_CA_Open);
	assert_int_equal(c.sk->packets_out, 0);
	fx_free(&c.f);
}

/* Zero window: probes (SEQ=SND.UNA-1, no data) after 201, 402, 804 ms; after
 * tcp_retries2 unanswered probes the connection ends. An answer with a
 * window lets the data go and ends the probing. */
static void test_zero_window_probes_then_window_opens(void **state)
{
	uint8_t buf[500] = { 0 };
	struct conn c;
	struct seg s;

	(void)state;
	conn_open(&c, false, 0);
	assert_int_equal(ust_send(c.f.st, c.fd, buf, 500, 0), 500);
	assert_int_equal(drain(&c), 0);
	advance_ms(&c, RTO0);
	assert_true(fx_recv(&c.f, &s));
	assert_int_equal(s.seq, c.isn);                  /* SND.UNA - 1 */
	assert_int_equal(s.len, 0);
	advance_ms(&c, 2 * RTO0 - 1);
	assert_int_equal(drain(&c), 0);
	advance_ms(&c, 1);
	assert_int_equal(drain(&c), 1);
	assert_int_equal(fx_stat(&c.f, "TcpExtTCPWinProbe"), 2);
	peer_ack(&c, 0, 100);                           /* 100 << 7: room */
	expect_data(&c, 0, 500);
	assert_int_equal(c.sk->icsk_probes_out, 0);
	assert_int_equal(c.sk->icsk_backoff, 0);
	fx_free(&c.f);
}

static void test_zero_window_probes_give_up(void **state)
{
	uint8_t buf[500] = { 0 };
	struct conn c;

	(void)state;
	conn_open(&c, false, 0);
	assert_int_equal(ust_sysctl_write(c.f.st, "tcp_retries2", "2"), 0);
	assert_int_equal(ust_send(c.f.st, c.fd, buf, 500, 0), 500);
	advance_ms(&c, 7 * RTO0 - 1);                     /* probes at 201, 603 */
	assert_int_equal(drain(&c), 2);
	assert_int_equal(c.sk->sk_state, TCP_ESTABLISHED);
	advance_ms(&c, 1);                               /* the third timer gives up */
	assert_int_equal(drain(&c), 0);
	assert_int_equal(c.sk->sk_state, TCP_CLOSE);
	assert_int_equal(ust_send(c.f.st, c.fd, buf, 1, 0), -1);
	assert_int_equal(errno, ETIMEDOUT);
	fx_free(&c.f);
}

/* RFC 2861 / tcp_cwnd_restart: idle for longer than the RTO, the window
 * halves once per RTO of idleness down to the initial 10 (ssthresh keeps 3/4
 * of the old window); tcp_slow_start_after_idle=0 keeps it. */
static void test_cwnd_restart_after_idle(void **state)
{
	static uint8_t buf[40 * MSS];
	struct conn c;

	(void)state;
	conn_open(&c, false, WIN);
	assert_int_equal(ust_send(c.f.st, c.fd, buf, 10 * MSS, 0), 10 * MSS);
	peer_ack(&c, 10 * MSS, WIN);
	assert_int_equal(c.sk->snd_cwnd, 20);
	advance_ms(&c, 150);
	assert_int_equal(ust_send(c.f.st, c.fd, buf, 20 * MSS, 0), 20 * MSS);
	assert_int_equal(drain(&c), 30);                 /* 150 ms < RTO: still 20 */
	peer_ack(&c, 30 * MSS, WIN);
	assert_int_equal(c.sk->snd_cwnd, 40);
	advance_ms(&c, 3 * 1000);
	assert_int_equal(ust_send(c.f.st, c.fd, buf, 1, 0), 1);
	assert_int_equal(c.sk->snd_cwnd, 10);
	assert_int_equal(c.sk->snd_ssthresh, TCP_INFINITE_SSTHRESH);
	fx_free(&c.f);

	conn_open(&c, false, WIN);
	assert_int_equal(ust_sysctl_write(c.f.st, "tcp_slow_start_after_idle", "0"), 0);
	assert_int_equal(ust_send(c.f.st, c.fd, buf, 10 * MSS, 0), 10 * MSS);
	peer_ack(&c, 10 * MSS, WIN);
	advance_ms(&c, 3 * 1000);
	assert_int_equal(ust_send(c.f.st, c.fd, buf, 1, 0), 1);
	assert_int_equal(c.sk->snd_cwnd, 20);
	fx_free(&c.f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rto_backoff),
		cmocka_unit_test(test_retries2_gives_up_with_etimedout),
		cmocka_unit_test(test_fast_retransmit_on_third_dupack),
		cmocka_unit_test(test_rto_during_recovery_enters_loss),
		cmocka_unit_test(test_sack_scoreboard_and_hole_first),
		cmocka_unit_test(test_zero_window_probes_then_window_opens),
		cmocka_unit_test(test_zero_window_probes_give_up),
		cmocka_unit_test(test_cwnd_restart_after_idle),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
