/*
 * The write queue and what sends from it (Linux's tcp_sendmsg, tcp_push,
 * tcp_write_xmit, tcp_send_fin, tcp_retransmit_skb, the zero-window probe):
 *
 *   tcp_sendmsg -> copy into queue packets -> tcp_push -> tcp_write_xmit
 *     -> tcp_transmit_data (tcp_output.c) -> IPv4
 *   tcp_ack (tcp_ack.c) frees acknowledged packets, then tcp_write_xmit again.
 *
 * One list holds everything not yet acknowledged, in sequence order: packets
 * before send_head are in flight (Linux's rtx queue), send_head and after wait
 * to be sent. Each packet holds at most one MSS of payload, copied once from
 * the caller; a transmission copies it behind fresh headers, so the queued
 * packet stays for a retransmission (as Linux's clone does). The
 * zero-window probe is in tcp_probe.c.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include "tcp/tcp.h"

/* The per-segment overheads tcp_sndbuf_expand counts (see there). */
#define SNDBUF_HDR_OVERHEAD 512
#define SNDBUF_SKB          256

/*
 * The segment size now: mss_cache, at most half the largest window the peer
 * has shown when that is above 536 bytes (tcp_bound_to_half_wnd: a tiny
 * window still gets two segments in flight), and never more than a pool
 * packet holds.
 */
uint32_t tcp_current_mss(const struct ust_sock *sk)
{
	const struct ust_pktpool *pool = &sk->tcp->core->pool;
	uint32_t room = pool->buf_size - UST_PKT_HEADROOM;
	uint32_t mss = sk->mss_cache ? sk->mss_cache : TCP_MSS_DEFAULT;
	uint32_t cutoff = sk->max_window > TCP_MSS_DEFAULT ? sk->max_window >> 1 : sk->max_window;

	if (cutoff && mss > cutoff)
		mss = UST_MAX(cutoff, 68u - sk->tcp_header_len);
	return UST_MIN(mss, room);
}

bool sk_stream_memory_free(const struct ust_sock *sk)
{
	return sk->sk_wmem_queued < (uint32_t)sk->sk_sndbuf;
}

/* sk_stream_is_writeable: free space at least a third of the buffer in use,
 * so a writer is woken for a useful amount, not for every freed segment. */
bool sk_stream_is_writeable(const struct ust_sock *sk)
{
	uint32_t queued = sk->sk_wmem_queued;

	return (uint32_t)sk->sk_sndbuf > queued && (uint32_t)sk->sk_sndbuf - queued >= queued / 2;
}

/*
 * tcp_sndbuf_expand: room for two windows of the larger of cwnd and the
 * initial window, each segment counted with the kernel's per-skb overhead
 * (2^k at or above MSS + 512, plus 256), unless SO_SNDBUF fixed the buffer.
 * Linux 6.18 with Reno shows 46080 bytes for an MSS from 513 to 1536 and
 * 25600 below (getsockopt after accept, packetdrill).
 */
void tcp_sndbuf_expand(struct ust_sock *sk)
{
	uint32_t mss = UST_MAX((uint32_t)sk->mss_clamp == 65535 ? 0 : sk->mss_clamp, (uint32_t)sk->mss_cache);
	uint32_t per_mss = mss + SNDBUF_HDR_OVERHEAD, pow2 = 1;
	uint32_t nr_segs = UST_MAX(UST_MAX((uint32_t)TCP_INIT_CWND, sk->snd_cwnd), (uint32_t)sk->reordering + 1);
	uint64_t sndmem;

	if (sk->sk_sndbuf_locked)
		return;
	while (pow2 < per_mss)
		pow2 <<= 1;
	sndmem = 2ull * nr_segs * (pow2 + SNDBUF_SKB);
	if ((uint64_t)sk->sk_sndbuf < sndmem)
		sk->sk_sndbuf = (int)UST_MIN(sndmem, (uint64_t)sk->tcp->core->sysctl.tcp_wmem[2]);
}

void tcp_init_transfer(struct ust_sock *sk)
{
	bool retransmitted = sk->icsk_retransmits || sk->total_retrans;

	if (!sk->icsk_ca_ops)   /* TCP_CONGESTION may have chosen one already */
		sk->icsk_ca_ops = tcp_ca_default();
	sk->snd_cwnd = TCP_INIT_CWND;
	sk->snd_ssthresh = TCP_INFINITE_SSTHRESH;
	sk->reordering = 3;
	sk->ca_state = TCP_CA_Open;
	sk->pushed_seq = sk->write_seq;
	sk->snd_sml = sk->snd_una;
	/* RFC 6298 2.2 / Karn: the handshake gives the first sample unless its
	 * SYN or SYN-ACK was retransmitted (tcp_synack_rtt_meas, tcp_ack on the
	 * SYN-ACK). retrans_stamp holds when the first one left. */
	if (!retransmitted && sk->syn_rtt_ok) {
		uint32_t rtt_us = (tcp_time_ms(sk->tcp) - sk->retrans_stamp) * 1000u;

		sk->rtt_min_us = UST_MAX(rtt_us, 1u);
		tcp_rtt_estimator(sk, (int32_t)rtt_us);
		tcp_set_rto(sk);
	}
	sk->retrans_stamp = 0;
	sk->syn_rtt_ok = 0;
	tcp_sndbuf_expand(sk);
}

static struct ust_pkt *tcp_queue_new(struct ust_sock *sk)
{
	struct ust_pkt *pkt = ust_pkt_alloc(&sk->tcp->core->pool);
	struct tcp_skb_cb *cb;

	if (!pkt)
		return NULL;
	pkt->next = NULL;
	cb = TCP_SKB_CB(pkt);
	memset(cb, 0, sizeof(*cb));
	cb->seq = cb->end_seq = sk->write_seq;
	if (sk->wq_tail)
		sk->wq_tail->next = pkt;
	else
		sk->wq_head = pkt;
	sk->wq_tail = pkt;
	if (!sk->send_head)
		sk->send_head = pkt;
	return pkt;
}

/* forced_push: more than half the largest window went out without PSH. */
static bool forced_push(const struct ust_sock *sk)
{
	return after(sk->write_seq, sk->pushed_seq + (sk->max_window >> 1));
}

static void tcp_mark_push(struct ust_sock *sk, struct ust_pkt *pkt)
{
	TCP_SKB_CB(pkt)->tcp_flags |= UST_TCP_PSH;
	sk->pushed_seq = sk->write_seq;
}

/*
 * tcp_cwnd_restart (RFC 5681 4.1, RFC 2861): after an idle period longer than
 * the RTO the window is no longer known to be safe; halve it once per RTO
 * idle, down to the initial window.
 */
static void tcp_slow_start_after_idle_check(struct ust_sock *sk)
{
	uint32_t idle = tcp_time_ms(sk->tcp) - sk->lsndtime, restart = UST_MIN((uint32_t)TCP_INIT_CWND, sk->snd_cwnd);
	int64_t delta = idle;

	if (!sk->tcp->core->sysctl.tcp_slow_start_after_idle || sk->packets_out ||
	    (int32_t)idle <= (int32_t)sk->icsk_rto)
		return;
	/* tcp_current_ssthresh: remember three quarters of what we had. */
	sk->snd_ssthresh = UST_MAX(sk->snd_ssthresh, (sk->snd_cwnd >> 1) + (sk->snd_cwnd >> 2));
	while ((delta -= sk->icsk_rto) > 0 && sk->snd_cwnd > restart)
		sk->snd_cwnd >>= 1;
	sk->snd_cwnd = UST_MAX(sk->snd_cwnd, restart);
	sk->snd_cwnd_cnt = 0;
}

int tcp_sendmsg(struct ust_sock *sk, const void *buf, uint32_t len, int flags)
{
	const uint8_t *p = buf;
	uint32_t copied = 0, mss = tcp_current_mss(sk);
	bool more = flags & MSG_MORE;

	tcp_slow_start_after_idle_check(sk);

	while (copied < len) {
		struct ust_pkt *pkt = sk->wq_tail;
		struct tcp_skb_cb *cb;
		uint32_t n;

		/* Fill the unsent tail first, as Linux grows its last skb. */
		if (!pkt || !sk->send_head || pkt->len >= mss || (TCP_SKB_CB(pkt)->tcp_flags & UST_TCP_FIN)) {
			if (!sk_stream_memory_free(sk) || !(pkt = tcp_queue_new(sk))) {
				sk->sk_flags |= SOCK_NOSPACE;
				/* No room: what was taken goes out now (wait_for_space). */
				if (copied)
					tcp_push(sk, TCP_NAGLE_PUSH);
				break;
			}
		}
		cb = TCP_SKB_CB(pkt);
		n = UST_MIN(len - copied, mss - pkt->len);
		memcpy(ust_pkt_put(pkt, n), p + copied, n);
		cb->end_seq += n;
		sk->write_seq += n;
		sk->sk_wmem_queued += n;
		copied += n;
		/* The last piece waits for tcp_push below, which marks PSH. */
		if (copied == len || pkt->len < mss)
			continue;
		if (forced_push(sk)) {
			tcp_mark_push(sk, pkt);
			tcp_write_xmit(sk, TCP_NAGLE_PUSH);
		} else if (pkt == sk->send_head) {
			tcp_write_xmit(sk, sk->nonagle);
		}
	}
	if (copied && sk->send_head) {
		if (!more || forced_push(sk))
			tcp_mark_push(sk, sk->wq_tail);
		tcp_push(sk, more ? TCP_NAGLE_CORK : sk->nonagle);
	}
	return (int)copied;
}

/* __tcp_push_pending_frames: send, and arm the probe timer if the peer's
 * window holds everything back. */
void tcp_push(struct ust_sock *sk, int nonagle)
{
	if (!sk->send_head)
		return;
	if (tcp_write_xmit(sk, nonagle))
		tcp_check_probe_timer(sk);
}

/* tcp_minshall_check: a small segment is still unacknowledged. */
static bool tcp_minshall_check(const struct ust_sock *sk)
{
	return after(sk->snd_sml, sk->snd_una) && !after(sk->snd_sml, sk->snd_nxt);
}

/*
 * tcp_nagle_test (RFC 896 with Minshall's variant): a segment smaller than
 * the MSS waits while a small segment is unacknowledged (with TCP_NODELAY
 * never, under TCP_CORK always), unless it carries the FIN or a push is forced.
 */
static bool tcp_nagle_test(const struct ust_sock *sk, const struct ust_pkt *pkt, uint32_t mss, int nonagle)
{
	bool partial = pkt->len < mss;

	if (nonagle & TCP_NAGLE_PUSH)
		return true;
	if (TCP_SKB_CB(pkt)->tcp_flags & UST_TCP_FIN)
		return true;
	return !(partial && ((nonagle & TCP_NAGLE_CORK) ||
			     (!nonagle && sk->packets_out && tcp_minshall_check(sk))));
}

/* tcp_cwnd_test: a FIN alone is never held back by the congestion window. */
static bool tcp_cwnd_test(const struct ust_sock *sk, const struct ust_pkt *pkt)
{
	if (tcp_packets_in_flight(sk) < sk->snd_cwnd)
		return true;
	return pkt->len == 0 && (TCP_SKB_CB(pkt)->tcp_flags & UST_TCP_FIN);
}

/* tcp_cwnd_validate: remember whether the window, not the application, limited us. */
static void tcp_cwnd_validate(struct ust_sock *sk, bool is_cwnd_limited)
{
	if (!before(sk->snd_una, sk->cwnd_usage_seq) || is_cwnd_limited ||
	    (!sk->is_cwnd_limited && sk->packets_out > sk->max_packets_out)) {
		sk->is_cwnd_limited = is_cwnd_limited;
		sk->max_packets_out = sk->packets_out;
		sk->cwnd_usage_seq = sk->snd_nxt;
	}
}

int tcp_transmit_pkt(struct ust_sock *sk, struct ust_pkt *pkt)
{
	struct tcp_skb_cb *cb = TCP_SKB_CB(pkt);
	int err = tcp_transmit_data(sk, cb->seq, cb->tcp_flags, pkt->data, pkt->len);

	if (!err) {
		cb->tx_us = tcp_now_us(sk->tcp);
		sk->lsndtime = tcp_time_ms(sk->tcp);
	}
	return err;
}

bool tcp_write_xmit(struct ust_sock *sk, int nonagle)
{
	uint32_t mss = tcp_current_mss(sk);
	bool cwnd_limited = false;
	unsigned sent = 0;
	struct ust_pkt *pkt;

	if (!(TCPF(sk->sk_state) & (TCPF(TCP_ESTABLISHED) | TCPF(TCP_CLOSE_WAIT) | TCPF(TCP_FIN_WAIT1) |
				    TCPF(TCP_LAST_ACK) | TCPF(TCP_CLOSING))))
		return false;
	while ((pkt = sk->send_head)) {
		struct tcp_skb_cb *cb = TCP_SKB_CB(pkt);
		bool was_idle = !sk->packets_out;

		if (!tcp_cwnd_test(sk, pkt)) {
			cwnd_limited = true;
			break;
		}
		/* tcp_snd_wnd_test: the whole segment (and its FIN) inside the window. */
		if (after(cb->end_seq, sk->snd_una + sk->snd_wnd))
			break;
		if (!tcp_nagle_test(sk, pkt, mss, pkt->next ? TCP_NAGLE_PUSH : nonagle))
			break;
		if (tcp_transmit_pkt(sk, pkt))
			break;
		sk->send_head = pkt->next;
		sk->snd_nxt = cb->end_seq;
		sk->packets_out++;
		if (sk->ca_state == TCP_CA_Recovery)
			sk->prr_out++;
		if (pkt->len < mss)
			sk->snd_sml = cb->end_seq;   /* tcp_minshall_update */
		/* tcp_event_new_data_sent: the first segment in flight starts the clock. */
		if (was_idle)
			tcp_rearm_rto(sk);
		sent++;
	}
	if (sent || cwnd_limited)
		tcp_cwnd_validate(sk, cwnd_limited || tcp_packets_in_flight(sk) >= sk->snd_cwnd);
	if (sent)
		return false;
	return !sk->packets_out && sk->send_head;
}

int tcp_send_fin(struct ust_sock *sk)
{
	struct ust_pkt *tail = sk->wq_tail;

	if (tail && sk->send_head) {
		/* Unsent data: the FIN rides on its last segment. */
		TCP_SKB_CB(tail)->tcp_flags |= UST_TCP_FIN;
	} else {
		tail = tcp_queue_new(sk);
		if (!tail)
			return -ENOBUFS;
		TCP_SKB_CB(tail)->tcp_flags = UST_TCP_FIN;
	}
	TCP_SKB_CB(tail)->end_seq++;
	sk->write_seq++;
	tcp_push(sk, TCP_NAGLE_OFF);
	return 0;
}

void tcp_write_queue_purge(struct ust_sock *sk)
{
	struct ust_pkt *pkt = sk->wq_head;

	while (pkt) {
		struct ust_pkt *next = pkt->next;

		ust_pkt_free(pkt);
		pkt = next;
	}
	sk->wq_head = sk->wq_tail = sk->send_head = NULL;
	sk->sk_wmem_queued = 0;
	sk->packets_out = sk->sacked_out = sk->lost_out = sk->retrans_out = 0;
}

/*
 * tcp_retransmit_skb: the queued segment again, as first sent. The first
 * retransmission of an episode stamps retrans_stamp, from which
 * tcp_write_timeout measures how long we have been trying.
 */
int tcp_retransmit_skb(struct ust_sock *sk, struct ust_pkt *pkt)
{
	struct tcp_skb_cb *cb = TCP_SKB_CB(pkt);
	int err;

	/* Part of it may have been acknowledged since it was queued. */
	if (before(cb->seq, sk->snd_una)) {
		uint32_t n = sk->snd_una - cb->seq;

		if (n > pkt->len)
			n = pkt->len;
		ust_pkt_pull(pkt, n);
		sk->sk_wmem_queued -= n;
		cb->seq += n;
	}
	err = tcp_transmit_pkt(sk, pkt);
	if (err)
		return err;
	UST_INC_STATS(sk->tcp->core, TCP_MIB_RETRANSSEGS);
	sk->total_retrans++;
	if (!(cb->sacked & TCPCB_SACKED_RETRANS)) {
		cb->sacked |= TCPCB_SACKED_RETRANS;
		sk->retrans_out++;
	}
	cb->sacked |= TCPCB_EVER_RETRANS;
	if (!sk->retrans_stamp)
		sk->retrans_stamp = tcp_time_ms(sk->tcp);
	return 0;
}

/* tcp_rearm_rto: the timer runs while anything is in flight. */
void tcp_rearm_rto(struct ust_sock *sk)
{
	if (!sk->packets_out) {
		if (sk->icsk_pending == ICSK_TIME_RETRANS) {
			ust_timer_cancel(&sk->tcp->core->timers, &sk->icsk_retransmit_timer);
			sk->icsk_pending = 0;
		}
		return;
	}
	sk->icsk_pending = ICSK_TIME_RETRANS;
	tcp_reset_xmit_timer(sk, sk->icsk_rto);
}
