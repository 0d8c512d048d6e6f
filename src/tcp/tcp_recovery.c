/*
 * Loss recovery on the sender (Linux's tcp_sacktag_write_queue,
 * tcp_fastretrans_alert, tcp_enter_loss, tcp_xmit_retransmit_queue and
 * tcp_cwnd_reduction):
 *
 *  - the SACK scoreboard marks what the peer holds (RFC 2018); without SACK
 *    each duplicate ACK counts as one segment that left the network (Linux's
 *    Reno emulation in sacked_out);
 *  - the third duplicate (sacked_out + 1 > reordering) starts fast recovery:
 *    ssthresh halves, the head (NewReno) or every hole below the highest
 *    SACKed segment (SACK) is marked lost and retransmitted first;
 *  - during recovery PRR (RFC 6937) paces what goes out; a partial ACK marks
 *    the next hole (RFC 6582); an ACK at or past high_seq ends recovery;
 *  - an RTO enters Loss: everything unSACKed is lost, cwnd 1, slow start
 *    retransmits in order until high_seq is acknowledged.
 */
#include "tcp/tcp.h"

static bool tcp_is_sack(const struct ust_sock *sk)
{
	return sk->sack_ok;
}

static void tcp_mark_lost(struct ust_sock *sk, struct ust_pkt *pkt)
{
	struct tcp_skb_cb *cb = TCP_SKB_CB(pkt);

	if (cb->sacked & (TCPCB_LOST | TCPCB_SACKED_ACKED))
		return;
	cb->sacked |= TCPCB_LOST;
	sk->lost_out++;
	sk->newly_lost = 1;
}

/* A retransmission that is itself lost may go again (tcp_mark_skb_lost). */
static void tcp_mark_lost_again(struct ust_sock *sk, struct ust_pkt *pkt)
{
	struct tcp_skb_cb *cb = TCP_SKB_CB(pkt);

	if (cb->sacked & TCPCB_SACKED_RETRANS) {
		cb->sacked &= (uint8_t)~TCPCB_SACKED_RETRANS;
		sk->retrans_out--;
		UST_INC_STATS(sk->tcp->core, LINUX_MIB_TCPLOSTRETRANSMIT);
	}
	tcp_mark_lost(sk, pkt);
}

/*
 * Marks the packets the SACK blocks cover. Blocks below SND.UNA are D-SACKs
 * (RFC 2883: a duplicate arrived), counted and otherwise ignored; blocks that
 * reach past SND.NXT are invalid, as tcp_is_sackblock_valid says.
 */
uint32_t tcp_sacktag_write_queue(struct ust_sock *sk, const struct tcp_seg *seg, uint32_t prior_snd_una)
{
	struct ust_core *core = sk->tcp->core;
	uint32_t newly = 0;

	for (unsigned i = 0; i < seg->opt.num_sacks && i < UST_TCP_MAX_SACKS; i++) {
		uint32_t start = seg->opt.sack[i].start, end = seg->opt.sack[i].end;

		if (!before(start, end) || after(end, sk->snd_nxt))
			continue;
		/* tcp_check_dsack: only the first block can be a D-SACK, below the
		 * ACK or inside the second block. */
		if (i == 0 && (before(start, seg->ack_seq) ||
			       (seg->opt.num_sacks > 1 && !after(end, seg->opt.sack[1].end) &&
				!before(start, seg->opt.sack[1].start)))) {
			UST_INC_STATS(core, LINUX_MIB_TCPDSACKRECV);
			continue;
		}
		if (!after(end, prior_snd_una))
			continue;
		for (struct ust_pkt *pkt = sk->wq_head; pkt && pkt != sk->send_head; pkt = pkt->next) {
			struct tcp_skb_cb *cb = TCP_SKB_CB(pkt);

			if (!after(cb->end_seq, start))
				continue;
			if (after(cb->end_seq, end))
				break;
			if (before(cb->seq, start) || (cb->sacked & TCPCB_SACKED_ACKED))
				continue;
			if (cb->sacked & TCPCB_SACKED_RETRANS) {
				cb->sacked &= (uint8_t)~TCPCB_SACKED_RETRANS;
				sk->retrans_out--;
			}
			if (cb->sacked & TCPCB_LOST) {
				cb->sacked &= (uint8_t)~TCPCB_LOST;
				sk->lost_out--;
			}
			cb->sacked |= TCPCB_SACKED_ACKED;
			sk->sacked_out++;
			newly++;
			tcp_rack_advance(sk, pkt);
		}
	}
	return newly;
}

/* tcp_rack_sent_after: by send time, and by sequence for equal times. */
static bool rack_sent_after(uint32_t t1, uint32_t t2, uint32_t seq1, uint32_t seq2)
{
	return (int32_t)(t1 - t2) > 0 || (t1 == t2 && after(seq1, seq2));
}

/*
 * tcp_rack_advance: RACK remembers the most recently sent packet that was
 * delivered. A retransmission acknowledged faster than the minimum RTT was
 * probably the original arriving, so it does not count (RFC 8985 6.2).
 */
void tcp_rack_advance(struct ust_sock *sk, const struct ust_pkt *pkt)
{
	const struct tcp_skb_cb *cb = TCP_SKB_CB(pkt);
	uint32_t rtt = tcp_now_us(sk->tcp) - cb->tx_us;

	if ((cb->sacked & TCPCB_EVER_RETRANS) && rtt < sk->rtt_min_us)
		return;
	if (sk->rack_valid && !rack_sent_after(cb->tx_us, sk->rack_mstamp, cb->end_seq, sk->rack_end_seq))
		return;
	sk->rack_valid = 1;
	sk->rack_mstamp = cb->tx_us;
	sk->rack_end_seq = cb->end_seq;
	sk->rack_rtt_us = rtt;
}

/*
 * tcp_rack_detect_loss (RFC 8985 6.2): a packet sent before the newest
 * delivered one and outstanding for longer than that one's RTT plus a
 * reordering window is lost. The window is a quarter of the minimum RTT,
 * and nothing once three packets were SACKed or recovery has begun. (Linux
 * also arms a timer for packets not yet past the window; ustack leaves
 * them to the next ACK or the RTO.)
 */
static void tcp_rack_mark_lost(struct ust_sock *sk)
{
	uint32_t now = tcp_now_us(sk->tcp), reo_wnd = 0;

	if (!sk->rack_valid)
		return;
	if (sk->ca_state < TCP_CA_Recovery && sk->sacked_out < sk->reordering)
		reo_wnd = sk->rtt_min_us / 4;
	for (struct ust_pkt *pkt = sk->wq_head; pkt && pkt != sk->send_head; pkt = pkt->next) {
		struct tcp_skb_cb *cb = TCP_SKB_CB(pkt);

		if (cb->sacked & TCPCB_SACKED_ACKED)
			continue;
		if ((cb->sacked & TCPCB_LOST) && !(cb->sacked & TCPCB_SACKED_RETRANS))
			continue;
		if (!rack_sent_after(sk->rack_mstamp, cb->tx_us, sk->rack_end_seq, cb->end_seq))
			continue;
		if ((int64_t)sk->rack_rtt_us + reo_wnd - (int64_t)(uint32_t)(now - cb->tx_us) <= 0)
			tcp_mark_lost_again(sk, pkt);
	}
}

static void tcp_update_scoreboard(struct ust_sock *sk)
{
	if (tcp_is_sack(sk))
		tcp_rack_mark_lost(sk);
	else if (sk->wq_head && sk->wq_head != sk->send_head)
		tcp_mark_lost(sk, sk->wq_head);   /* tcp_newreno_mark_lost: the head */
}

static void tcp_enter_recovery(struct ust_sock *sk)
{
	UST_INC_STATS(sk->tcp->core, tcp_is_sack(sk) ? LINUX_MIB_TCPSACKRECOVERY : LINUX_MIB_TCPRENORECOVERY);
	sk->prior_cwnd = sk->snd_cwnd;
	sk->snd_ssthresh = sk->icsk_ca_ops->ssthresh(sk);
	sk->prr_delivered = sk->prr_out = 0;
	sk->high_seq = sk->snd_nxt;
	sk->ca_state = TCP_CA_Recovery;
	tcp_trace_sk(sk, UST_TRACE_PKT_IN, "tcp_enter_recovery", "%s recovery: cwnd %u ssthresh %u, %u SACKed",
		     tcp_is_sack(sk) ? "SACK" : "NewReno", sk->snd_cwnd, sk->snd_ssthresh, sk->sacked_out);
}

/* tcp_end_cwnd_reduction: recovery over, the window is ssthresh. */
static void tcp_exit_recovery(struct ust_sock *sk)
{
	if (sk->ca_state == TCP_CA_Recovery && sk->snd_ssthresh < TCP_INFINITE_SSTHRESH)
		sk->snd_cwnd = sk->snd_ssthresh;
	sk->ca_state = TCP_CA_Open;
	sk->snd_cwnd_cnt = 0;
	if (!tcp_is_sack(sk))
		sk->sacked_out = 0;
}

void tcp_fastretrans_alert(struct ust_sock *sk, uint32_t prior_snd_una, bool is_dupack, uint32_t newly_acked,
			   uint32_t newly_sacked)
{
	bool una_advanced = after(sk->snd_una, prior_snd_una);

	(void)newly_sacked;
	/* Reno: each duplicate stands for a segment the peer holds. */
	if (!tcp_is_sack(sk)) {
		/* tcp_remove_reno_sacks: one acknowledged packet filled the
		 * hole, the others had each brought a duplicate ACK. */
		if (una_advanced && newly_acked)
			sk->sacked_out -= UST_MIN(newly_acked - 1, sk->sacked_out);
		else if (is_dupack && sk->sacked_out + 1 < sk->packets_out)
			sk->sacked_out++;
		/* tcp_limit_reno_sacked: never more than could be out there. */
		if (sk->sacked_out + sk->lost_out > sk->packets_out)
			sk->sacked_out = sk->packets_out > sk->lost_out ? sk->packets_out - sk->lost_out : 0;
	}
	switch (sk->ca_state) {
	case TCP_CA_Recovery:
		/* tcp_try_undo_recovery: without SACK, recovery holds until
		 * something above high_seq is acknowledged (RFC 6582 4.2: no false
		 * fast retransmit from duplicates of the old window). */
		if (!tcp_is_sack(sk) && sk->snd_una == sk->high_seq) {
			sk->sacked_out = 0;
			return;
		}
		if (!before(sk->snd_una, sk->high_seq)) {
			tcp_exit_recovery(sk);
			return;
		}
		if (una_advanced || tcp_is_sack(sk))
			tcp_update_scoreboard(sk);   /* RFC 6582 partial ACK: the next hole */
		return;
	case TCP_CA_Loss:
		if (!before(sk->snd_una, sk->high_seq))
			sk->ca_state = TCP_CA_Open;
		else if (tcp_is_sack(sk))
			tcp_rack_mark_lost(sk);
		return;
	default:
		break;
	}
	if (tcp_is_sack(sk))
		tcp_rack_mark_lost(sk);
	/* tcp_time_to_recover: dupthresh reached (RFC 5681 3.2). */
	if (sk->lost_out || sk->sacked_out + 1 > sk->reordering) {
		tcp_enter_recovery(sk);
		tcp_update_scoreboard(sk);   /* now with no reordering window */
	} else {
		sk->ca_state = sk->sacked_out ? TCP_CA_Disorder : TCP_CA_Open;
	}
}

/*
 * tcp_enter_loss (RTO): ssthresh from the window before the loss (unless
 * this is another timeout of the same episode), every unSACKed packet lost,
 * retransmissions forgotten, cwnd 1.
 */
void tcp_enter_loss(struct ust_sock *sk)
{
	if (sk->ca_state <= TCP_CA_Disorder || !after(sk->high_seq, sk->snd_una) ||
	    (sk->ca_state == TCP_CA_Loss && !sk->icsk_retransmits)) {
		sk->prior_cwnd = sk->snd_cwnd;
		sk->snd_ssthresh = sk->icsk_ca_ops->ssthresh(sk);
	}
	if (!tcp_is_sack(sk))
		sk->sacked_out = 0;
	for (struct ust_pkt *pkt = sk->wq_head; pkt && pkt != sk->send_head; pkt = pkt->next) {
		struct tcp_skb_cb *cb = TCP_SKB_CB(pkt);

		cb->sacked &= (uint8_t)~TCPCB_SACKED_RETRANS;
		if (!tcp_is_sack(sk))
			cb->sacked &= (uint8_t)~TCPCB_SACKED_ACKED;
		tcp_mark_lost(sk, pkt);
	}
	sk->retrans_out = 0;
	sk->snd_cwnd = tcp_packets_in_flight(sk) + 1;
	sk->snd_cwnd_cnt = 0;
	sk->high_seq = sk->snd_nxt;
	sk->ca_state = TCP_CA_Loss;
	tcp_trace_sk(sk, UST_TRACE_TIMER, "tcp_enter_loss", "loss state: cwnd 1, ssthresh %u, %u lost",
		     sk->snd_ssthresh, sk->lost_out);
}

/*
 * tcp_xmit_retransmit_queue: lost packets first, in order, while the
 * congestion window has room. The head going again restarts the RTO.
 */
void tcp_xmit_retransmit_queue(struct ust_sock *sk)
{
	struct ust_core *core = sk->tcp->core;

	if (!sk->lost_out)
		return;
	for (struct ust_pkt *pkt = sk->wq_head; pkt && pkt != sk->send_head; pkt = pkt->next) {
		struct tcp_skb_cb *cb = TCP_SKB_CB(pkt);

		if (tcp_packets_in_flight(sk) >= sk->snd_cwnd)
			break;
		if ((cb->sacked & (TCPCB_SACKED_ACKED | TCPCB_SACKED_RETRANS)) || !(cb->sacked & TCPCB_LOST))
			continue;
		if (tcp_retransmit_skb(sk, pkt))
			break;
		UST_INC_STATS(core, sk->ca_state == TCP_CA_Loss ? LINUX_MIB_TCPSLOWSTARTRETRANS :
								   LINUX_MIB_TCPFASTRETRANS);
		if (sk->ca_state == TCP_CA_Recovery)
			sk->prr_out++;
		if (pkt == sk->wq_head)
			tcp_rearm_rto(sk);
	}
}

/*
 * tcp_cwnd_reduction (RFC 6937, PRR with slow-start reduction bound): during
 * recovery, send in proportion to what is delivered until the flight is down
 * to ssthresh, then keep it there.
 */
static void tcp_cwnd_reduction(struct ust_sock *sk, uint32_t delivered, bool una_advanced)
{
	uint32_t in_flight = tcp_packets_in_flight(sk);
	int64_t sndcnt;

	if (!delivered)
		return;
	sk->prr_delivered += delivered;
	if (in_flight > sk->snd_ssthresh) {
		uint64_t dividend = (uint64_t)sk->snd_ssthresh * sk->prr_delivered + sk->prior_cwnd - 1;

		sndcnt = (int64_t)(dividend / UST_MAX(sk->prior_cwnd, 1u)) - sk->prr_out;
	} else {
		uint32_t delta = sk->snd_ssthresh - in_flight;
		int64_t out = (int64_t)sk->prr_delivered - sk->prr_out;

		/* Slow-start reduction bound: one more only while ACKs make
		 * progress and nothing new was found lost. */
		sndcnt = UST_MAX(out, (int64_t)delivered);
		if (una_advanced && !sk->newly_lost)
			sndcnt++;
		sndcnt = UST_MIN((int64_t)delta, sndcnt);
	}
	if (sndcnt < (sk->prr_out ? 0 : 1))
		sndcnt = sk->prr_out ? 0 : 1;
	sk->snd_cwnd = in_flight + (uint32_t)sndcnt;
}

void tcp_cong_control(struct ust_sock *sk, uint32_t acked, uint32_t delivered, bool una_advanced)
{
	if (sk->ca_state == TCP_CA_Recovery) {
		tcp_cwnd_reduction(sk, delivered, una_advanced);
		return;
	}
	if (acked)
		sk->icsk_ca_ops->cong_avoid(sk, acked);
}
