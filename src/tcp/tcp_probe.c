/*
 * The zero-window probe (Linux's tcp_check_probe_timer, tcp_send_probe0,
 * tcp_write_wakeup): with data waiting, nothing in flight and the peer's
 * window too small for the next segment, no ACK will come by itself; the
 * probe timer sends either as much of the segment as the window takes or a
 * bare segment with an old sequence number, and backs off. tcp_probe_timer
 * in tcp_timer.c decides when to give up.
 */
#include <errno.h>
#include <string.h>
#include "tcp/tcp.h"

/* tcp_probe0_base / tcp_probe0_when: the RTO, at least TCP_RTO_MIN, backed off. */
static uint32_t tcp_probe0_when(const struct ust_sock *sk)
{
	uint64_t when = (uint64_t)UST_MAX(sk->icsk_rto, (uint32_t)TCP_RTO_MIN) << sk->icsk_backoff;

	return (uint32_t)UST_MIN(when, (uint64_t)TCP_RTO_MAX);
}

/* tcp_check_probe_timer: nothing in flight to bring an ACK, so probe. */
void tcp_check_probe_timer(struct ust_sock *sk)
{
	if (sk->packets_out || sk->icsk_pending)
		return;
	sk->icsk_pending = ICSK_TIME_PROBE0;
	tcp_reset_xmit_timer(sk, tcp_probe0_when(sk));
}

/*
 * tcp_fragment: the first len bytes stay in pkt, the rest moves to a new
 * packet after it, which takes the FIN and PSH.
 */
static int tcp_fragment(struct ust_sock *sk, struct ust_pkt *pkt, uint32_t len)
{
	struct tcp_skb_cb *cb = TCP_SKB_CB(pkt), *ncb;
	struct ust_pkt *np = ust_pkt_alloc(&sk->tcp->core->pool);
	uint32_t rest = pkt->len - len;

	if (!np)
		return -ENOBUFS;
	memcpy(ust_pkt_put(np, rest), pkt->data + len, rest);
	ncb = TCP_SKB_CB(np);
	memset(ncb, 0, sizeof(*ncb));
	ncb->seq = cb->seq + len;
	ncb->end_seq = cb->end_seq;
	ncb->tcp_flags = cb->tcp_flags;
	cb->tcp_flags &= (uint8_t)~(UST_TCP_FIN | UST_TCP_PSH);
	cb->end_seq = ncb->seq;
	ust_pkt_trim(pkt, len);
	np->next = pkt->next;
	pkt->next = np;
	if (sk->wq_tail == pkt)
		sk->wq_tail = np;
	return 0;
}

/*
 * tcp_write_wakeup: if any of the next segment fits the window, send that
 * much of it (a window smaller than a segment is the sender's silly-window
 * avoidance, not a closed window); otherwise a bare probe.
 */
static int tcp_write_wakeup(struct ust_sock *sk)
{
	struct ust_pkt *pkt = sk->send_head;
	uint32_t wnd_end = sk->snd_una + sk->snd_wnd, mss = tcp_current_mss(sk);
	struct tcp_skb_cb *cb;
	int err;

	if (!pkt || !before(TCP_SKB_CB(pkt)->seq, wnd_end)) {
		UST_INC_STATS(sk->tcp->core, LINUX_MIB_TCPWINPROBE);
		return tcp_xmit_probe_skb(sk);
	}
	cb = TCP_SKB_CB(pkt);
	if (before(sk->pushed_seq, cb->end_seq))
		sk->pushed_seq = cb->end_seq;
	if (after(cb->end_seq, wnd_end) || pkt->len > mss) {
		uint32_t seg = UST_MIN(wnd_end - cb->seq, mss);

		if (seg < pkt->len && tcp_fragment(sk, pkt, seg))
			return -ENOBUFS;
	}
	cb->tcp_flags |= UST_TCP_PSH;
	err = tcp_transmit_pkt(sk, pkt);
	if (err)
		return err;
	sk->send_head = pkt->next;
	if (after(cb->end_seq, sk->snd_nxt))
		sk->snd_nxt = cb->end_seq;
	if (!sk->packets_out++)
		tcp_rearm_rto(sk);
	return 0;
}

/*
 * tcp_send_probe0 (from the probe timer): probe, then the next probe after
 * a doubled interval; once something is in flight its RTO takes over.
 */
void tcp_send_probe0(struct ust_sock *sk)
{
	tcp_write_wakeup(sk);
	if (sk->packets_out || !sk->send_head) {
		sk->icsk_probes_out = 0;
		sk->icsk_backoff = 0;
		return;
	}
	if (sk->icsk_backoff < TCP_MAX_BACKOFF)
		sk->icsk_backoff++;
	sk->icsk_probes_out++;
	sk->icsk_pending = ICSK_TIME_PROBE0;
	tcp_reset_xmit_timer(sk, tcp_probe0_when(sk));
}
