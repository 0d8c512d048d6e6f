/*
 * The sender's side of an incoming ACK (Linux's tcp_ack), in its order:
 *
 *   acceptable? -> send window (tcp_ack_update_window) -> SACK blocks
 *   (tcp_sacktag_write_queue) -> free what is acknowledged and take an RTT
 *   sample (tcp_clean_rtx_queue, tcp_ack_update_rtt) -> loss detection and
 *   recovery (tcp_fastretrans_alert) -> cwnd (tcp_cong_control) ->
 *   retransmissions, then new data -> wake writers (tcp_new_space).
 */
#include "tcp/tcp.h"

#define TCP_RTO_MIN_US (TCP_RTO_MIN * 1000u)

/*
 * RFC 6298 2.3 in Linux's fixed point (tcp_rtt_estimator): srtt_us holds
 * 8 x SRTT, mdev_us 4 x the mean deviation. rttvar_us never drops below
 * TCP_RTO_MIN and falls slowly, once per window of data.
 */
void tcp_rtt_estimator(struct ust_sock *sk, int32_t mrtt_us)
{
	int32_t m = mrtt_us > 0 ? mrtt_us : 1;

	if (sk->srtt_us) {
		m -= (int32_t)(sk->srtt_us >> 3);
		sk->srtt_us += (uint32_t)m;
		if (m < 0) {
			m = -m - (int32_t)(sk->mdev_us >> 2);
			if (m > 0)
				m >>= 3;   /* a falling RTT moves the deviation less */
		} else {
			m -= (int32_t)(sk->mdev_us >> 2);
		}
		sk->mdev_us += (uint32_t)m;
		if (sk->mdev_us > sk->mdev_max_us) {
			sk->mdev_max_us = sk->mdev_us;
			if (sk->mdev_max_us > sk->rttvar_us)
				sk->rttvar_us = sk->mdev_max_us;
		}
		if (after(sk->snd_una, sk->rtt_seq)) {
			if (sk->mdev_max_us < sk->rttvar_us)
				sk->rttvar_us -= (sk->rttvar_us - sk->mdev_max_us) >> 2;
			sk->rtt_seq = sk->snd_nxt;
			sk->mdev_max_us = TCP_RTO_MIN_US;
		}
	} else {
		sk->srtt_us = (uint32_t)m << 3;
		sk->mdev_us = (uint32_t)m << 1;
		sk->rttvar_us = UST_MAX(sk->mdev_us, TCP_RTO_MIN_US);
		sk->mdev_max_us = sk->rttvar_us;
		sk->rtt_seq = sk->snd_nxt;
	}
	if (!sk->srtt_us)
		sk->srtt_us = 1;
}

/* tcp_set_rto: RTO = SRTT + max(4 x RTTVAR, TCP_RTO_MIN), at most TCP_RTO_MAX. */
void tcp_set_rto(struct ust_sock *sk)
{
	uint32_t us = (sk->srtt_us >> 3) + sk->rttvar_us;
	uint32_t ms = (us + 999) / 1000;

	sk->icsk_rto = UST_MIN(ms, (uint32_t)TCP_RTO_MAX);
}

/*
 * tcp_may_update_window (RFC 9293 3.10.7.4 with Linux's reading of SND.WL2):
 * the ACK moves SND.UNA, or the segment is newer than the one that last set
 * the window, or the same one with a larger window.
 */
static bool tcp_may_update_window(const struct ust_sock *sk, uint32_t ack, uint32_t seq, uint32_t nwin)
{
	return after(ack, sk->snd_una) || after(seq, sk->snd_wl1) || (seq == sk->snd_wl1 && nwin > sk->snd_wnd);
}

/* Returns true when the window was taken from this segment (FLAG_WIN_UPDATE). */
static bool tcp_ack_update_window(struct ust_sock *sk, const struct tcp_seg *seg)
{
	uint32_t nwin = (uint32_t)seg->th.window << sk->snd_wscale;

	if (!tcp_may_update_window(sk, seg->ack_seq, seg->seq, nwin))
		return false;
	sk->snd_wl1 = seg->seq;
	if (sk->snd_wnd != nwin) {
		sk->snd_wnd = nwin;
		sk->max_window = UST_MAX(sk->max_window, nwin);
	}
	return true;
}

struct ack_sample {
	uint32_t acked;          /* packets fully acknowledged */
	uint32_t delivered;      /* of which not SACKed before */
	int32_t seq_rtt_us;      /* from the oldest never-retransmitted one, or -1 */
};

/*
 * tcp_clean_rtx_queue: free every packet below SND.UNA, keep the scoreboard
 * counts right, and take the RTT of the oldest one never retransmitted
 * (Karn's rule, RFC 6298 3).
 */
static void tcp_clean_rtx_queue(struct ust_sock *sk, struct ack_sample *as)
{
	uint32_t now = tcp_now_us(sk->tcp);
	struct ust_pkt *pkt;

	as->acked = as->delivered = 0;
	as->seq_rtt_us = -1;
	while ((pkt = sk->wq_head) && pkt != sk->send_head) {
		struct tcp_skb_cb *cb = TCP_SKB_CB(pkt);

		if (after(cb->end_seq, sk->snd_una))
			break;
		if (cb->sacked & TCPCB_SACKED_ACKED)
			sk->sacked_out--;
		if (cb->sacked & TCPCB_SACKED_RETRANS)
			sk->retrans_out--;
		if (cb->sacked & TCPCB_LOST)
			sk->lost_out--;
		if (!(cb->sacked & TCPCB_EVER_RETRANS) && as->seq_rtt_us < 0)
			as->seq_rtt_us = (int32_t)(now - cb->tx_us);
		if (!(cb->sacked & TCPCB_SACKED_ACKED)) {
			tcp_rack_advance(sk, pkt);
			as->delivered++;
		}
		sk->packets_out--;
		sk->sk_wmem_queued -= pkt->len;
		as->acked++;
		sk->wq_head = pkt->next;
		if (!sk->wq_head)
			sk->wq_tail = NULL;
		ust_pkt_free(pkt);
	}
}

/* tcp_ack_update_rtt: sequence RTT first; timestamps when every acked packet
 * was retransmitted (RFC 7323 4.1). A valid sample ends the backoff. */
static void tcp_ack_update_rtt(struct ust_sock *sk, const struct tcp_seg *seg, const struct ack_sample *as)
{
	int32_t rtt = as->seq_rtt_us;

	if (rtt < 0 && sk->tstamp_ok && (seg->opt.present & UST_TCPOPT_F_TIMESTAMP) && seg->opt.tsecr && as->acked) {
		uint32_t delta_ms = tcp_time_ms(sk->tcp) + sk->tsoffset - seg->opt.tsecr;

		if ((int32_t)delta_ms >= 0)
			rtt = (int32_t)(delta_ms * 1000u);
	}
	if (rtt < 0)
		return;
	if (!sk->rtt_min_us || (uint32_t)rtt < sk->rtt_min_us)
		sk->rtt_min_us = (uint32_t)UST_MAX(rtt, 1);
	tcp_rtt_estimator(sk, rtt);
	tcp_set_rto(sk);
	sk->icsk_backoff = 0;
}

/* tcp_ack_probe: the window opened for the segment the probes were for. */
static void tcp_ack_probe(struct ust_sock *sk)
{
	struct ust_pkt *pkt = sk->send_head;

	if (!pkt)
		return;
	if (!after(TCP_SKB_CB(pkt)->end_seq, sk->snd_una + sk->snd_wnd)) {
		sk->icsk_backoff = 0;
		sk->icsk_probes_out = 0;
		if (sk->icsk_pending == ICSK_TIME_PROBE0) {
			ust_timer_cancel(&sk->tcp->core->timers, &sk->icsk_retransmit_timer);
			sk->icsk_pending = 0;
		}
	}
}

/* tcp_new_space: a bigger buffer as cwnd grows, and writers woken once the
 * free space is worth it (sk_stream_write_space), only if one found it full. */
static void tcp_new_space(struct ust_sock *sk)
{
	if (tcp_packets_in_flight(sk) < sk->snd_cwnd)
		tcp_sndbuf_expand(sk);
	if ((sk->sk_flags & SOCK_NOSPACE) && sk_stream_is_writeable(sk)) {
		sk->sk_flags &= ~SOCK_NOSPACE;
		tcp_wake(sk);
	}
}

/* tcp_ack: >0 acceptable, 0 old (ignored), <0 invalid. */
int tcp_ack(struct ust_sock *sk, struct tcp_seg *seg)
{
	uint32_t ack = seg->ack_seq, prior_snd_una = sk->snd_una;
	uint32_t prior_packets = sk->packets_out, newly_sacked = 0, delivered;
	struct ack_sample as = { 0, 0, -1 };
	bool win_update, data = seg->th.payload_len > 0, dubious, is_dupack;

	if (before(ack, sk->snd_una)) {
		/* X-4, RFC 5961 5.2: far too old earns a challenge ACK. */
		if (before(ack, sk->snd_una - sk->max_window)) {
			if (sk->sk_state != TCP_SYN_RECV)
				tcp_send_challenge_ack(sk);
			return TCP_ACK_TOO_OLD;
		}
		return 0;
	}
	if (after(ack, sk->snd_nxt))
		return TCP_ACK_UNSENT;
	sk->newly_lost = 0;
	win_update = tcp_ack_update_window(sk, seg);
	if (after(ack, sk->snd_una)) {
		sk->snd_una = ack;
		/* In SYN_RECV the count still says whether our SYN-ACK was
		 * retransmitted, which tcp_init_transfer needs (Karn). */
		if (sk->sk_state != TCP_SYN_RECV)
			sk->icsk_retransmits = 0;
	}
	if (sk->sack_ok && (seg->opt.present & UST_TCPOPT_F_SACK) && prior_packets)
		newly_sacked = tcp_sacktag_write_queue(sk, seg, prior_snd_una);
	sk->icsk_probes_out = 0;
	if (!prior_packets) {
		/* Nothing was in flight: this may be the answer to a window probe. */
		if (sk->send_head)
			tcp_ack_probe(sk);
		goto out;
	}
	tcp_clean_rtx_queue(sk, &as);
	if (as.acked) {
		tcp_ack_update_rtt(sk, seg, &as);
		tcp_rearm_rto(sk);
	}
	/* tcp_ack_is_dubious: a duplicate ACK, new SACK information, or recovery
	 * under way. A duplicate carries no data, moves nothing, changes no window. */
	is_dupack = !(after(ack, prior_snd_una) || data || win_update);
	dubious = is_dupack || newly_sacked || sk->ca_state != TCP_CA_Open;
	if (dubious)
		tcp_fastretrans_alert(sk, prior_snd_una, is_dupack, as.acked, newly_sacked);
	delivered = as.delivered + newly_sacked + (!sk->sack_ok && is_dupack ? 1 : 0);
	if (delivered)
		tcp_cong_control(sk, as.acked, delivered, after(ack, prior_snd_una));
	tcp_xmit_retransmit_queue(sk);
	if (sk->ca_state == TCP_CA_Open && !sk->retrans_out && !sk->lost_out)
		sk->retrans_stamp = 0;
out:
	tcp_push(sk, sk->nonagle);
	if (after(ack, prior_snd_una))
		tcp_new_space(sk);
	return 1;
}
