/*
 * The out-of-order queue and the SACK blocks we send (Linux's
 * tcp_data_queue_ofo, tcp_ofo_queue, tcp_sack_new_ofo_skb, tcp_sack_remove,
 * tcp_dsack_set, tcp_prune_ofo_queue).
 *
 *   tcp_data_queue (tcp_rcv.c)
 *     -> seq beyond rcv_nxt:  tcp_data_queue_ofo -> tcp_sack_new_ofo_skb
 *     -> hole filled:         tcp_ofo_queue -> tcp_queue_rcv
 *
 * The queue is a list sorted by seq. Segments may overlap as Linux lets them
 * (a segment is dropped only when another covers it whole); the overlap is cut
 * when the segment moves to the receive queue. Appends, the common case, go
 * straight after ooo_last_skb; only a segment that fills a hole further back
 * walks the list, whose length the receive buffer bounds.
 */
#include "tcp/tcp.h"
#include "tcp/tcp_rcv.h"

static void ofo_drop(struct ust_sock *sk, struct ust_pkt *pkt)
{
	sk->rmem_alloc -= tcp_truesize(pkt);
	ust_pkt_free(pkt);
}

/* tcp_sack_extend: widens sp when [seq, end_seq) touches or overlaps it. */
static bool tcp_sack_extend(struct ust_tcp_sack_block *sp, uint32_t seq, uint32_t end_seq)
{
	if (after(seq, sp->end) || after(sp->start, end_seq))
		return false;
	if (before(seq, sp->start))
		sp->start = seq;
	if (after(end_seq, sp->end))
		sp->end = end_seq;
	return true;
}

/* RFC 2883: the D-SACK block, counted as old (below rcv_nxt) or out-of-order. */
void tcp_dsack_set(struct ust_sock *sk, uint32_t seq, uint32_t end_seq)
{
	struct ust_core *core = sk->tcp->core;

	if (!sk->sack_ok || !core->sysctl.tcp_dsack)
		return;
	UST_INC_STATS(core, before(seq, sk->rcv_nxt) ? LINUX_MIB_TCPDSACKOLDSENT : LINUX_MIB_TCPDSACKOFOSENT);
	sk->dsack = 1;
	sk->duplicate_sack[0].start = seq;
	sk->duplicate_sack[0].end = end_seq;
}

void tcp_dsack_extend(struct ust_sock *sk, uint32_t seq, uint32_t end_seq)
{
	if (!sk->dsack)
		tcp_dsack_set(sk, seq, end_seq);
	else
		tcp_sack_extend(sk->duplicate_sack, seq, end_seq);
}

/* After the first block grew, it may now touch others: merge them into it. */
static void tcp_sack_maybe_coalesce(struct ust_sock *sk)
{
	struct ust_tcp_sack_block *sp = sk->selective_acks;

	for (unsigned i = 1; i < sk->num_sacks;) {
		if (tcp_sack_extend(sp, sp[i].start, sp[i].end)) {
			sk->num_sacks--;
			for (unsigned j = i; j < sk->num_sacks; j++)
				sp[j] = sp[j + 1];
			continue;
		}
		i++;
	}
}

/*
 * RFC 2018 4: the block holding the newest segment goes first. A block the
 * segment extends moves to the front; otherwise a new block is pushed in front
 * and, with all four in use, the oldest falls off.
 */
static void tcp_sack_new_ofo_skb(struct ust_sock *sk, uint32_t seq, uint32_t end_seq)
{
	struct ust_tcp_sack_block *sp = sk->selective_acks;
	unsigned cur = sk->num_sacks, i;

	for (i = 0; i < cur; i++) {
		if (tcp_sack_extend(&sp[i], seq, end_seq)) {
			struct ust_tcp_sack_block b = sp[i];

			for (; i > 0; i--)
				sp[i] = sp[i - 1];
			sp[0] = b;
			if (cur > 1)
				tcp_sack_maybe_coalesce(sk);
			return;
		}
	}
	if (cur >= UST_TCP_MAX_SACKS)
		cur = UST_TCP_MAX_SACKS - 1;
	for (i = cur; i > 0; i--)
		sp[i] = sp[i - 1];
	sp[0].start = seq;
	sp[0].end = end_seq;
	sk->num_sacks = (uint8_t)(cur + 1);
}

/* Blocks rcv_nxt has passed are forgotten (tcp_sack_remove). */
void tcp_sack_remove(struct ust_sock *sk)
{
	struct ust_tcp_sack_block *sp = sk->selective_acks;
	unsigned n = sk->num_sacks;

	if (!sk->ofo_head) {
		sk->num_sacks = 0;
		return;
	}
	for (unsigned i = 0; i < n;) {
		if (!before(sk->rcv_nxt, sp[i].start)) {
			for (unsigned j = i + 1; j < n; j++)
				sp[j - 1] = sp[j];
			n--;
			continue;
		}
		i++;
	}
	sk->num_sacks = (uint8_t)n;
}

/* Drops the segments after pos that pkt covers, D-SACKing them (merge_right). */
static void ofo_merge_right(struct ust_sock *sk, struct ust_pkt *pkt)
{
	uint32_t end_seq = TCP_SKB_CB(pkt)->end_seq;
	struct ust_pkt *next;

	while ((next = pkt->next) != NULL) {
		if (!after(end_seq, TCP_SKB_CB(next)->seq))
			break;
		if (before(end_seq, TCP_SKB_CB(next)->end_seq)) {
			tcp_dsack_extend(sk, TCP_SKB_CB(next)->seq, end_seq);
			break;
		}
		pkt->next = next->next;
		tcp_dsack_extend(sk, TCP_SKB_CB(next)->seq, TCP_SKB_CB(next)->end_seq);
		UST_INC_STATS(sk->tcp->core, LINUX_MIB_TCPOFOMERGE);
		ofo_drop(sk, next);
	}
	if (!pkt->next)
		sk->ooo_last_skb = pkt;
}

/*
 * A segment beyond rcv_nxt. Returns after queueing it, or dropping it when
 * the buffer cannot take it (TCPOFODrop) or when queued data covers it all
 * (TCPOFOMerge, D-SACK).
 */
void tcp_data_queue_ofo(struct ust_sock *sk, struct ust_pkt *pkt)
{
	struct ust_core *core = sk->tcp->core;
	uint32_t seq = TCP_SKB_CB(pkt)->seq, end_seq = TCP_SKB_CB(pkt)->end_seq;
	struct ust_pkt **pp, *cur;
	bool kept = true;

	if (tcp_try_rmem_schedule(sk, pkt)) {
		UST_INC_STATS(core, LINUX_MIB_TCPOFODROP);
		tcp_trace_sk(sk, UST_TRACE_DROP, "tcp_data_queue_ofo", "no room for %u:%u", seq, end_seq);
		ust_pkt_free(pkt);
		return;
	}
	sk->icsk_pending_ack |= ICSK_ACK_SCHED;
	UST_INC_STATS(core, LINUX_MIB_TCPOFOQUEUE);
	sk->rmem_alloc += tcp_truesize(pkt);
	if (!sk->ofo_head) {
		if (sk->sack_ok) {
			sk->num_sacks = 1;
			sk->selective_acks[0].start = seq;
			sk->selective_acks[0].end = end_seq;
		}
		pkt->next = NULL;
		sk->ofo_head = sk->ooo_last_skb = pkt;
		goto end;
	}
	/* The usual case: right after the last segment queued. */
	if (!before(seq, TCP_SKB_CB(sk->ooo_last_skb)->end_seq)) {
		pp = &sk->ooo_last_skb->next;
		goto insert;
	}
	for (pp = &sk->ofo_head; (cur = *pp) != NULL; pp = &cur->next) {
		if (before(seq, TCP_SKB_CB(cur)->seq))
			break;
		if (!before(seq, TCP_SKB_CB(cur)->end_seq))
			continue;
		if (!after(end_seq, TCP_SKB_CB(cur)->end_seq)) {
			/* Every byte is queued already. */
			UST_INC_STATS(core, LINUX_MIB_TCPOFOMERGE);
			ofo_drop(sk, pkt);
			kept = false;
			tcp_dsack_set(sk, seq, end_seq);
			goto add_sack;
		}
		if (after(seq, TCP_SKB_CB(cur)->seq)) {
			tcp_dsack_set(sk, seq, TCP_SKB_CB(cur)->end_seq);
			continue;   /* partial overlap: keep both, cut on delivery */
		}
		/* Same start, longer: pkt replaces cur. */
		pkt->next = cur->next;
		*pp = pkt;
		if (sk->ooo_last_skb == cur)
			sk->ooo_last_skb = pkt;
		tcp_dsack_extend(sk, TCP_SKB_CB(cur)->seq, TCP_SKB_CB(cur)->end_seq);
		UST_INC_STATS(core, LINUX_MIB_TCPOFOMERGE);
		ofo_drop(sk, cur);
		goto merge_right;
	}
insert:
	pkt->next = *pp;
	*pp = pkt;
merge_right:
	ofo_merge_right(sk, pkt);
add_sack:
	if (sk->sack_ok)
		tcp_sack_new_ofo_skb(sk, seq, end_seq);
end:
	/* Without SACK the window stays put, so the peer sees duplicate ACKs. */
	if (kept && sk->sack_ok)
		tcp_grow_window(sk, len_of(seq, end_seq));
}

/*
 * The hole at rcv_nxt is filled: move every segment that is now in order to
 * the receive queue, D-SACKing what was already below the old rcv_nxt.
 * True when a FIN among them ended the socket (it may be freed).
 */
bool tcp_ofo_queue(struct ust_sock *sk)
{
	uint32_t dsack_high = sk->rcv_nxt;
	struct ust_pkt *pkt;

	while ((pkt = sk->ofo_head) != NULL) {
		uint32_t seq = TCP_SKB_CB(pkt)->seq, end_seq = TCP_SKB_CB(pkt)->end_seq;
		bool fin = (TCP_SKB_CB(pkt)->tcp_flags & UST_TCP_FIN);

		if (after(seq, sk->rcv_nxt))
			break;
		if (before(seq, dsack_high))
			tcp_dsack_extend(sk, seq, before(end_seq, dsack_high) ? end_seq : dsack_high);
		sk->ofo_head = pkt->next;
		if (!sk->ofo_head)
			sk->ooo_last_skb = NULL;
		if (!after(end_seq, sk->rcv_nxt)) {
			ofo_drop(sk, pkt);
			continue;
		}
		sk->rmem_alloc -= tcp_truesize(pkt);   /* tcp_queue_rcv charges it again */
		tcp_queue_rcv(sk, pkt);
		if (fin)
			return tcp_rcv_fin(sk);
	}
	return false;
}

void tcp_ofo_purge(struct ust_sock *sk)
{
	struct ust_pkt *pkt = sk->ofo_head;

	while (pkt) {
		struct ust_pkt *next = pkt->next;

		ofo_drop(sk, pkt);
		pkt = next;
	}
	sk->ofo_head = sk->ooo_last_skb = NULL;
	sk->num_sacks = 0;
}

/*
 * tcp_prune_ofo_queue: free out-of-order segments from the highest sequence
 * down, an eighth of the buffer at a time, until the segment at in_seq fits.
 * Never drops what lies below in_seq: that would only make room for data
 * that is further from being readable. The SACK state goes (RFC 2018 8).
 */
bool tcp_prune_ofo_queue(struct ust_sock *sk, uint32_t in_seq, uint32_t in_len)
{
	int goal = sk->sk_rcvbuf >> 3;
	bool pruned = false;

	if (!sk->ofo_head)
		return false;
	UST_INC_STATS(sk->tcp->core, LINUX_MIB_OFOPRUNED);
	while (sk->ooo_last_skb) {
		struct ust_pkt *last = sk->ooo_last_skb, *prev = NULL, *p;

		if (after(in_seq, TCP_SKB_CB(last)->seq))
			break;
		for (p = sk->ofo_head; p != last; p = p->next)
			prev = p;
		if (prev)
			prev->next = NULL;
		else
			sk->ofo_head = NULL;
		sk->ooo_last_skb = prev;
		goal -= (int)tcp_truesize(last);
		ofo_drop(sk, last);
		pruned = true;
		if (!prev || goal <= 0) {
			if (tcp_can_ingest(sk, in_len))
				break;
			goal = sk->sk_rcvbuf >> 3;
		}
	}
	if (pruned) {
		sk->num_sacks = 0;
		sk->dsack = 0;
	}
	return pruned;
}
