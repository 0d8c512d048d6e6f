/*
 * The socket timer (Linux's sk_timer, tcp_keepalive_timer): keepalive probes
 * on an idle connection with SO_KEEPALIVE, and the first part of a long
 * FIN_WAIT2 wait of an orphan (tcp_fin_time beyond TCP_TIMEWAIT_LEN; the rest
 * is spent as a FIN_WAIT2 minisock).
 *
 * Keepalive: after keepalive_time without anything received, a probe (an ACK
 * with seq snd_una - 1, so the peer must answer); then one every
 * keepalive_intvl. Any acceptable ACK sets icsk_probes_out back to 0 (in
 * tcp_rcv_state_process). keepalive_probes unanswered probes, and at the next
 * expiry the connection is reset: ETIMEDOUT, TCPAbortOnTimeout.
 */
#include <errno.h>
#include "tcp/tcp.h"

static void tcp_keepalive_timer(struct ust_timer *t);

void tcp_init_keepalive_timer(struct ust_sock *sk)
{
	ust_timer_init(&sk->sk_timer, tcp_keepalive_timer);
}

void inet_csk_reset_keepalive_timer(struct ust_sock *sk, uint32_t ms)
{
	ust_core_timer_arm_ms(sk->tcp->core, &sk->sk_timer, ms);
}

void inet_csk_delete_keepalive_timer(struct ust_sock *sk)
{
	ust_timer_cancel(&sk->tcp->core->timers, &sk->sk_timer);
}

uint32_t keepalive_time_when(const struct ust_sock *sk)
{
	const struct ust_sysctl *sc = &sk->tcp->core->sysctl;

	return (sk->keepalive_time ? sk->keepalive_time : (uint32_t)sc->tcp_keepalive_time) * 1000u;
}

static uint32_t keepalive_intvl_when(const struct ust_sock *sk)
{
	const struct ust_sysctl *sc = &sk->tcp->core->sysctl;

	return (sk->keepalive_intvl ? sk->keepalive_intvl : (uint32_t)sc->tcp_keepalive_intvl) * 1000u;
}

static uint32_t keepalive_probes(const struct ust_sock *sk)
{
	return sk->keepalive_probes ? sk->keepalive_probes : (uint32_t)sk->tcp->core->sysctl.tcp_keepalive_probes;
}

/* keepalive_time_elapsed: ms since the last segment we accepted. */
static uint32_t keepalive_time_elapsed(const struct ust_sock *sk)
{
	return tcp_time_ms(sk->tcp) - sk->rcv_tstamp;
}

static bool keepalive_state(const struct ust_sock *sk)
{
	return !(TCPF(sk->sk_state) & (TCPF(TCP_CLOSE) | TCPF(TCP_LISTEN) | TCPF(TCP_SYN_SENT)));
}

void tcp_set_keepalive(struct ust_sock *sk, bool on)
{
	if (on && !(sk->sk_flags & SOCK_KEEPOPEN) && keepalive_state(sk))
		inet_csk_reset_keepalive_timer(sk, keepalive_time_when(sk));
	else if (!on)
		inet_csk_delete_keepalive_timer(sk);
}

/* tcp_sock_set_keepidle: a new idle time counts from the last segment. */
int tcp_sock_set_keepidle(struct ust_sock *sk, int secs)
{
	uint32_t when, elapsed;

	if (secs < 1 || secs > 32767)
		return -EINVAL;
	sk->keepalive_time = (uint16_t)secs;
	if ((sk->sk_flags & SOCK_KEEPOPEN) && keepalive_state(sk)) {
		when = keepalive_time_when(sk);
		elapsed = keepalive_time_elapsed(sk);
		inet_csk_reset_keepalive_timer(sk, when > elapsed ? when - elapsed : 0);
	}
	return 0;
}

static void tcp_keepalive_timer(struct ust_timer *t)
{
	struct ust_sock *sk = container_of(t, struct ust_sock, sk_timer);
	uint32_t when, elapsed;

	if (sk->sk_state == TCP_FIN_WAIT2 && (sk->sk_flags & SOCK_DEAD)) {
		uint32_t tmo = tcp_fin_time(sk);

		if (tmo > TCP_TIMEWAIT_LEN) {
			tcp_time_wait(sk, TCP_FIN_WAIT2, tmo - TCP_TIMEWAIT_LEN);
			return;
		}
		tcp_send_active_reset(sk);
		tcp_done(sk);
		return;
	}
	if (!(sk->sk_flags & SOCK_KEEPOPEN) || !keepalive_state(sk))
		return;
	when = keepalive_time_when(sk);
	/* Data in flight: the retransmission timer watches the peer. */
	if (sk->snd_una != sk->write_seq) {
		inet_csk_reset_keepalive_timer(sk, when);
		return;
	}
	elapsed = keepalive_time_elapsed(sk);
	if (elapsed < when) {
		inet_csk_reset_keepalive_timer(sk, when - elapsed);
		return;
	}
	if (sk->icsk_probes_out >= keepalive_probes(sk)) {
		tcp_send_active_reset(sk);
		sk->sk_err = sk->sk_err_soft ? sk->sk_err_soft : ETIMEDOUT;
		UST_INC_STATS(sk->tcp->core, LINUX_MIB_TCPABORTONTIMEOUT);
		tcp_trace_sk(sk, UST_TRACE_TIMER, "tcp_keepalive_timer", "%u probes unanswered: reset",
			     sk->icsk_probes_out);
		tcp_done(sk);
		return;
	}
	UST_INC_STATS(sk->tcp->core, LINUX_MIB_TCPKEEPALIVE);
	tcp_xmit_probe_skb(sk);
	sk->icsk_probes_out++;
	inet_csk_reset_keepalive_timer(sk, keepalive_intvl_when(sk));
}
