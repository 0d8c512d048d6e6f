/*
 * The receiver's side of a segment's text (Linux's tcp_data_queue): bytes into
 * the receive queue, the ACK that answers them.
 */
#include "tcp/tcp.h"

/*
 * In-order data and FIN (the ESTABLISHED part of tcp_data_queue). Segments
 * out of order are dropped with a duplicate ACK until the data path keeps an
 * out-of-order queue.
 */
void tcp_data_queue(struct ust_sock *sk, struct tcp_seg *seg)
{
	struct ust_pkt *pkt = seg->pkt;
	uint32_t len = (uint32_t)seg->th.payload_len;
	bool fin = tcp_flag(seg, UST_TCP_FIN);

	if (!len && !fin)
		return;
	if (seg->seq != sk->rcv_nxt) {
		UST_INC_STATS(sk->tcp->core, LINUX_MIB_TCPOFODROP);
		tcp_send_ack(sk);
		return;
	}
	if (len) {
		ust_pkt_pull(pkt, seg->th.hdr_len);
		ust_pkt_trim(pkt, len);
		pkt->next = NULL;
		if (sk->rcv_tail)
			sk->rcv_tail->next = pkt;
		else
			sk->rcv_head = pkt;
		sk->rcv_tail = pkt;
		sk->rcv_queued += len;
		sk->rcv_nxt += len;
		seg->pkt = NULL;   /* the receive queue owns it now */
	}
	if (fin)
		sk->rcv_nxt++;
	tcp_send_ack(sk);
	if (fin)
		tcp_fin(sk);
	else
		tcp_wake(sk);
}
