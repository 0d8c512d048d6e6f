/*
 * Congestion control as Linux's tcp_cong.c frames it: a small ops table per
 * socket (icsk_ca_ops) with NewReno (RFC 5681 slow start and congestion
 * avoidance; RFC 6582 recovery lives in tcp_recovery.c) as the only entry.
 * CUBIC would be another table.
 */
#include <string.h>
#include "tcp/tcp.h"

/* tcp_is_cwnd_limited: grow only a window that is in use; in slow start a
 * window up to twice what was in flight counts as used. */
static bool tcp_is_cwnd_limited(const struct ust_sock *sk)
{
	if (sk->is_cwnd_limited)
		return true;
	if (tcp_in_slow_start(sk))
		return sk->snd_cwnd < 2 * sk->max_packets_out;
	return false;
}

/* tcp_slow_start: one segment per segment acknowledged, up to ssthresh;
 * returns what is left for congestion avoidance. */
static uint32_t tcp_slow_start(struct ust_sock *sk, uint32_t acked)
{
	uint32_t cwnd = UST_MIN(sk->snd_cwnd + acked, sk->snd_ssthresh);

	acked -= cwnd - sk->snd_cwnd;
	sk->snd_cwnd = cwnd;
	return acked;
}

/* tcp_cong_avoid_ai: one segment per window of segments acknowledged. */
static void tcp_cong_avoid_ai(struct ust_sock *sk, uint32_t w, uint32_t acked)
{
	if (sk->snd_cwnd_cnt >= w) {
		sk->snd_cwnd_cnt = 0;
		sk->snd_cwnd++;
	}
	sk->snd_cwnd_cnt += acked;
	if (sk->snd_cwnd_cnt >= w) {
		uint32_t delta = sk->snd_cwnd_cnt / w;

		sk->snd_cwnd_cnt -= delta * w;
		sk->snd_cwnd += delta;
	}
}

static void tcp_reno_cong_avoid(struct ust_sock *sk, uint32_t acked)
{
	if (!tcp_is_cwnd_limited(sk))
		return;
	if (tcp_in_slow_start(sk)) {
		acked = tcp_slow_start(sk, acked);
		if (!acked)
			return;
	}
	tcp_cong_avoid_ai(sk, sk->snd_cwnd, acked);
}

/* RFC 5681 (3.1, equation 4), as tcp_reno_ssthresh: half the window, at least 2. */
static uint32_t tcp_reno_ssthresh(struct ust_sock *sk)
{
	return UST_MAX(sk->snd_cwnd >> 1, 2u);
}

static uint32_t tcp_reno_undo_cwnd(struct ust_sock *sk)
{
	return UST_MAX(sk->snd_cwnd, sk->prior_cwnd);
}

static const struct tcp_congestion_ops tcp_reno = {
	.name = "reno",
	.ssthresh = tcp_reno_ssthresh,
	.cong_avoid = tcp_reno_cong_avoid,
	.undo_cwnd = tcp_reno_undo_cwnd,
};

/* tcp_ca_find: the table for a name, NULL if unknown. Internal linkage keeps
 * the tables out of the library's exported and instrumented data. */
const struct tcp_congestion_ops *tcp_ca_find(const char *name)
{
	return !strcmp(name, tcp_reno.name) ? &tcp_reno : NULL;
}

/* The one every new connection starts with (tcp_congestion_control). */
const struct tcp_congestion_ops *tcp_ca_default(void)
{
	return &tcp_reno;
}
