/*
 * The receiver's side of a segment's text, as Linux's tcp_data_queue and its
 * helpers: bytes into the receive queue (or the out-of-order queue,
 * tcp_ofo.c), charged to the receive buffer (tcp_rcv_window.c), and the
 * decision of when the ACK goes (tcp_rcv_ack.c).
 *
 *   tcp_rcv_state_process -> tcp_data_queue
 *     in order:     tcp_queue_rcv, tcp_event_data_recv, tcp_ofo_queue
 *     beyond:       tcp_data_queue_ofo
 *     old / closed: D-SACK, quickack mode, drop
 *   -> tcp_ack_snd_check: now, or tcp_send_delayed_ack
 */
#include <string.h>
#include "tcp/tcp_rcv.h"

/* --- data arrival -------------------------------------------------------- */

/*
 * tcp_measure_rcv_mss: learn the peer's segment size from full segments; a
 * short one marks the ACK "pushed" (the reader may want it soon).
 */
static void tcp_measure_rcv_mss(struct ust_sock *sk, uint32_t len, uint32_t truesize, const struct tcp_seg *seg)
{
	uint32_t lss = sk->icsk_ack_last_seg_size;

	sk->icsk_ack_last_seg_size = 0;
	if (len >= sk->icsk_ack_rcv_mss) {
		if (len != sk->icsk_ack_rcv_mss) {
			uint32_t ratio = (uint32_t)(((uint64_t)len << 8) / truesize);
			uint8_t old = sk->scaling_ratio;

			sk->scaling_ratio = (uint8_t)UST_MAX(UST_MIN(ratio, 255u), 1u);
			if (old != sk->scaling_ratio) {
				tcp_set_window_clamp(sk, tcp_full_space(sk));
				if (sk->window_clamp < sk->rcv_ssthresh)
					sk->rcv_ssthresh = sk->window_clamp;
			}
		}
		sk->icsk_ack_rcv_mss = (uint16_t)UST_MIN(len, (uint32_t)sk->advmss);
		return;
	}
	len += seg->th.hdr_len;
	if (len >= TCP_MSS_DEFAULT + UST_TCP_HLEN ||
	    (len >= 88 + UST_TCP_HLEN &&
	     !(seg->th.flags & (UST_TCP_FIN | UST_TCP_URG | UST_TCP_SYN | UST_TCP_PSH)))) {
		len -= sk->tcp_header_len;
		sk->icsk_ack_last_seg_size = (uint16_t)len;
		if (len == lss) {
			sk->icsk_ack_rcv_mss = (uint16_t)len;
			return;
		}
	}
	if (sk->icsk_pending_ack & ICSK_ACK_PUSHED)
		sk->icsk_pending_ack |= ICSK_ACK_PUSHED2;
	sk->icsk_pending_ack |= ICSK_ACK_PUSHED;
}

/*
 * tcp_event_data_recv: an ACK is owed; ato follows the gaps between data
 * (halved toward 20 ms for fast arrivals, quickack again after a long
 * silence); the first data starts quickack mode.
 */
static void tcp_event_data_recv(struct ust_sock *sk, uint32_t len, uint32_t truesize, const struct tcp_seg *seg)
{
	uint32_t now = tcp_time_ms(sk->tcp);

	sk->icsk_pending_ack |= ICSK_ACK_SCHED;
	tcp_measure_rcv_mss(sk, len, truesize, seg);
	tcp_rcv_rtt_measure(sk, seg, len);
	if (!sk->icsk_ack_ato) {
		tcp_incr_quickack(sk, TCP_MAX_QUICKACKS);
		sk->icsk_ack_ato = TCP_ATO_MIN;
	} else {
		uint32_t m = now - sk->icsk_ack_lrcvtime;

		if (m <= TCP_ATO_MIN / 2) {
			sk->icsk_ack_ato = (uint16_t)((sk->icsk_ack_ato >> 1) + TCP_ATO_MIN / 2);
		} else if (m < sk->icsk_ack_ato) {
			sk->icsk_ack_ato = (uint16_t)UST_MIN((sk->icsk_ack_ato >> 1) + m, sk->icsk_rto);
		} else if (m > sk->icsk_rto) {
			tcp_incr_quickack(sk, TCP_MAX_QUICKACKS);
		}
	}
	sk->icsk_ack_lrcvtime = now;
	if (len >= 128)
		tcp_grow_window(sk, len);
}

/* tcp_prune_queue (without collapsing): make room for len bytes at in_seq. */
static int tcp_prune_queue(struct ust_sock *sk, uint32_t in_seq, uint32_t len)
{
	struct ust_core *core = sk->tcp->core;

	UST_INC_STATS(core, LINUX_MIB_PRUNECALLED);
	if (sk->rmem_alloc >= (uint32_t)sk->sk_rcvbuf)
		tcp_clamp_window(sk);
	if (tcp_can_ingest(sk, len))
		return 0;
	tcp_prune_ofo_queue(sk, in_seq, len);
	if (tcp_can_ingest(sk, len))
		return 0;
	UST_INC_STATS(core, LINUX_MIB_RCVPRUNED);
	return -1;
}

int tcp_try_rmem_schedule(struct ust_sock *sk, const struct ust_pkt *pkt)
{
	if (tcp_can_ingest(sk, pkt->len))
		return 0;
	return tcp_prune_queue(sk, TCP_SKB_CB(pkt)->seq, pkt->len);
}

void tcp_queue_rcv(struct ust_sock *sk, struct ust_pkt *pkt)
{
	uint32_t seq = TCP_SKB_CB(pkt)->seq, end_seq = TCP_SKB_CB(pkt)->end_seq;

	/* Bytes below rcv_nxt were D-SACKed by the caller; the reader never sees them twice. */
	if (before(seq, sk->rcv_nxt))
		ust_pkt_pull(pkt, UST_MIN(sk->rcv_nxt - seq, pkt->len));
	sk->rcv_nxt = end_seq;
	/* tcp_try_coalesce: bytes that fit in the tail packet's spare room are
	 * copied there and cost no more buffer, so small segments stay cheap. */
	if (!pkt->len || (sk->rcv_tail && pkt->len <= ust_pkt_tailroom(sk->rcv_tail))) {
		if (pkt->len) {
			memcpy(ust_pkt_put(sk->rcv_tail, pkt->len), pkt->data, pkt->len);
			sk->rcv_queued += pkt->len;
		}
		ust_pkt_free(pkt);
		return;
	}
	pkt->next = NULL;
	if (sk->rcv_tail)
		sk->rcv_tail->next = pkt;
	else
		sk->rcv_head = pkt;
	sk->rcv_tail = pkt;
	sk->rcv_queued += pkt->len;
	sk->rmem_alloc += tcp_truesize(pkt);
}

/*
 * The FIN is in order. Established, the socket becomes an interactive one
 * (Linux enters pingpong mode in tcp_fin), so the FIN's ACK is delayed; in
 * FIN_WAIT1/2 it goes at once. Out-of-order data past a FIN is meaningless.
 */
bool tcp_rcv_fin(struct ust_sock *sk)
{
	int old = sk->sk_state;

	sk->icsk_pending_ack |= ICSK_ACK_SCHED;
	tcp_ofo_purge(sk);
	sk->dsack = 0;
	if (old == TCP_ESTABLISHED)
		sk->icsk_ack_pingpong = 1;
	if (old == TCP_FIN_WAIT1 || old == TCP_FIN_WAIT2)
		tcp_send_ack(sk);
	tcp_fin(sk);
	return old == TCP_FIN_WAIT2;
}

/* tcp_send_dupack's D-SACK: a retransmission of data we have. */
void tcp_dupack_dsack(struct ust_sock *sk, const struct tcp_seg *seg)
{
	uint32_t end_seq = seg->end_seq;

	if (seg->seq == seg->end_seq || !before(seg->seq, sk->rcv_nxt))
		return;
	UST_INC_STATS(sk->tcp->core, LINUX_MIB_DELAYEDACKLOST);
	tcp_enter_quickack_mode(sk, TCP_MAX_QUICKACKS);
	if (after(end_seq, sk->rcv_nxt))
		end_seq = sk->rcv_nxt;
	tcp_dsack_set(sk, seg->seq, end_seq);
}

/* Drops a segment that brought nothing new, owing an immediate ACK. */
static void out_of_window(struct ust_sock *sk, struct ust_pkt *pkt, const char *why)
{
	tcp_trace_sk(sk, UST_TRACE_DROP, "tcp_data_queue", "%s %u:%u dropped", why, TCP_SKB_CB(pkt)->seq,
		     TCP_SKB_CB(pkt)->end_seq);
	tcp_enter_quickack_mode(sk, TCP_MAX_QUICKACKS);
	sk->icsk_pending_ack |= ICSK_ACK_SCHED;
	ust_pkt_free(pkt);
}

/* In sequence: onto the receive queue, unless the window is shut and there is
 * text (Linux drops it then and ACKs at once). False: sk is gone. */
static bool queue_and_out(struct ust_sock *sk, struct ust_pkt *pkt, const struct tcp_seg *seg)
{
	bool fin = TCP_SKB_CB(pkt)->tcp_flags & UST_TCP_FIN;
	uint32_t len, truesize;

	if (!tcp_receive_window(sk) && pkt->len) {
		UST_INC_STATS(sk->tcp->core, LINUX_MIB_TCPZEROWINDOWDROP);
		out_of_window(sk, pkt, "zero window:");
		return true;
	}
	if (tcp_try_rmem_schedule(sk, pkt)) {
		sk->icsk_pending_ack |= ICSK_ACK_NOMEM | ICSK_ACK_NOW | ICSK_ACK_SCHED;
		tcp_wake(sk);
		if (sk->rcv_head && pkt->len) {
			UST_INC_STATS(sk->tcp->core, LINUX_MIB_TCPRCVQDROP);
			tcp_trace_sk(sk, UST_TRACE_DROP, "tcp_data_queue", "receive buffer full");
			ust_pkt_free(pkt);
			return true;
		}
	}
	len = pkt->len;
	truesize = tcp_truesize(pkt);
	tcp_queue_rcv(sk, pkt);   /* first: the window growth below sees it charged */
	if (len)
		tcp_event_data_recv(sk, len, truesize, seg);
	if (fin && tcp_rcv_fin(sk))
		return false;
	if (sk->ofo_head) {
		if (tcp_ofo_queue(sk))
			return false;
		/* RFC 5681 4.2: ACK at once when a hole fills. */
		if (!sk->ofo_head)
			sk->icsk_pending_ack |= ICSK_ACK_NOW;
	}
	if (sk->num_sacks)
		tcp_sack_remove(sk);
	if (!fin)
		tcp_wake(sk);
	return true;
}

/*
 * tcp_data_queue: the segment's text and FIN, then the ACK decision. A
 * segment passed tcp_sequence already, so it overlaps the window.
 */
void tcp_data_queue(struct ust_sock *sk, struct tcp_seg *seg)
{
	struct ust_core *core = sk->tcp->core;
	struct ust_pkt *pkt = seg->pkt;
	uint32_t len = (uint32_t)seg->th.payload_len;
	uint32_t seq = seg->seq, end_seq = seq + len + (tcp_flag(seg, UST_TCP_FIN) ? 1 : 0);

	if (seq == end_seq)
		return;
	seg->pkt = NULL;   /* ours from here: queued or freed */
	ust_pkt_pull(pkt, seg->th.hdr_len);
	ust_pkt_trim(pkt, len);
	TCP_SKB_CB(pkt)->seq = seq;
	TCP_SKB_CB(pkt)->end_seq = end_seq;
	TCP_SKB_CB(pkt)->tcp_flags = seg->th.flags & UST_TCP_FIN;
	sk->dsack = 0;
	tcp_rcv_ensure_init(sk);

	if (seq == sk->rcv_nxt) {
		if (!queue_and_out(sk, pkt, seg))
			return;
		goto ack;
	}
	if (!after(end_seq, sk->rcv_nxt)) {
		/* A retransmission of what we have: D-SACK it, ACK at once. */
		UST_INC_STATS(core, LINUX_MIB_DELAYEDACKLOST);
		tcp_dsack_set(sk, seq, end_seq);
		out_of_window(sk, pkt, "old data:");
		goto ack;
	}
	if (!before(seq, sk->rcv_nxt + tcp_receive_window(sk))) {
		out_of_window(sk, pkt, "beyond the window:");
		goto ack;
	}
	if (before(seq, sk->rcv_nxt)) {
		/* Starts below rcv_nxt: D-SACK the old part, keep the rest. */
		tcp_dsack_set(sk, seq, sk->rcv_nxt);
		if (!queue_and_out(sk, pkt, seg))
			return;
		goto ack;
	}
	tcp_data_queue_ofo(sk, pkt);
ack:
	tcp_ack_snd_check(sk);
}

void tcp_rcv_purge(struct ust_sock *sk)
{
	struct ust_pkt *pkt = sk->rcv_head;

	while (pkt) {
		struct ust_pkt *next = pkt->next;

		sk->rmem_alloc -= tcp_truesize(pkt);
		ust_pkt_free(pkt);
		pkt = next;
	}
	sk->rcv_head = sk->rcv_tail = NULL;
	sk->rcv_queued = 0;
	tcp_ofo_purge(sk);
	sk->rmem_alloc = 0;
}

/* RFC 2018/2883: D-SACK block first, then the SACK blocks, newest first; the
 * option writer keeps as many as fit beside the other options. */
void tcp_sack_options(struct ust_sock *sk, struct ust_tcp_opts *o)
{
	unsigned n = 0;

	if (!sk->sack_ok || (!sk->num_sacks && !sk->dsack))
		return;
	if (sk->dsack)
		o->sack[n++] = sk->duplicate_sack[0];
	for (unsigned i = 0; i < sk->num_sacks && n < UST_TCP_MAX_SACKS; i++)
		o->sack[n++] = sk->selective_acks[i];
	o->num_sacks = (uint8_t)n;
	o->present |= UST_TCPOPT_F_SACK;
	sk->dsack = 0;
}
