/*
 * The sender's side of an incoming ACK (Linux's tcp_ack): what it acknowledges,
 * the send window it carries.
 */
#include "tcp/tcp.h"

/* tcp_ack, the part connection setup needs: >0 acceptable, 0 old, <0 invalid. */
int tcp_ack(struct ust_sock *sk, struct tcp_seg *seg)
{
	uint32_t ack = seg->ack_seq;

	if (before(ack, sk->snd_una)) {
		/* X-4, RFC 5961 5.2: far too old earns a challenge ACK. */
		if (before(ack, sk->snd_una - sk->max_window)) {
			if (sk->sk_state != TCP_SYN_RECV)
				tcp_send_challenge_ack(sk);
			return -1;
		}
		return 0;
	}
	if (after(ack, sk->snd_nxt))
		return -1;
	if (after(ack, sk->snd_una)) {
		sk->snd_una = ack;
		if (sk->snd_una == sk->snd_nxt)
			ust_timer_cancel(&sk->tcp->core->timers, &sk->icsk_retransmit_timer);
	}
	/* RFC 9293 3.10.7.4: update the send window from newer segments. */
	if (after(seg->seq, sk->snd_wl1) || seg->seq == sk->snd_wl1) {
		sk->snd_wnd = (uint32_t)seg->th.window << sk->snd_wscale;
		sk->max_window = UST_MAX(sk->max_window, sk->snd_wnd);
		sk->snd_wl1 = seg->seq;
	}
	return 1;
}

