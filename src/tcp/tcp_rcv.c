/*
 * The receiver's side of a segment's text, as Linux's tcp_data_queue and its
 * helpers: bytes into the receive queue (or the out-of-order queue, tcp_ofo.c),
 * the receive buffer they are charged to, and when the ACK that answers them
 * goes out.
 *
 *   tcp_rcv_state_process -> tcp_data_queue
 *     in order:     tcp_queue_rcv, tcp_event_data_recv, tcp_ofo_queue
 *     beyond:       tcp_data_queue_ofo
 *     old / closed: D-SACK, quickack mode, drop
 *   -> tcp_ack_snd_check: now (quickack, two segments, hole filled, out of
 *      order) or tcp_send_delayed_ack (the delack timer, tcp_timer.c)
 *
 * The receive buffer counts each queued packet's whole buffer (truesize); the
 * window is the part of the free buffer the data is expected to fill
 * (scaling_ratio, measured as len / truesize like Linux's).
 */
#include <string.h>
#include "tcp/tcp_rcv.h"

_Static_assert(sizeof(struct ust_sock) <= 1024, "a socket stays within 1 KiB without its buffers");

static unsigned scaling_ratio(const struct ust_sock *sk)
{
	return sk->scaling_ratio ? sk->scaling_ratio : TCP_DEFAULT_SCALING_RATIO;
}

int tcp_win_from_space(const struct ust_sock *sk, int space)
{
	if (space <= 0)
		return 0;
	return (int)(((int64_t)space * scaling_ratio(sk)) >> 8);
}

static int tcp_space_from_win(const struct ust_sock *sk, int win)
{
	return (int)UST_MIN(((int64_t)win << 8) / scaling_ratio(sk), (int64_t)INT32_MAX);
}

int tcp_space(const struct ust_sock *sk)
{
	return tcp_win_from_space(sk, sk->sk_rcvbuf - (int)sk->rmem_alloc);
}

int tcp_full_space(const struct ust_sock *sk)
{
	return tcp_win_from_space(sk, sk->sk_rcvbuf);
}

bool tcp_can_ingest(const struct ust_sock *sk, uint32_t len)
{
	return (uint64_t)sk->rmem_alloc + len <= (uint64_t)sk->sk_rcvbuf;
}

uint32_t tcp_receive_window(const struct ust_sock *sk)
{
	int32_t win = (int32_t)(sk->rcv_wup + sk->rcv_wnd - sk->rcv_nxt);

	return win < 0 ? 0 : (uint32_t)win;
}

/*
 * tcp_initialize_rcv_mss and tcp_init_buffer_space, done when the first data
 * or window question comes: a cautious guess at the peer's segment size, the
 * window clamp at what the buffer can hold, and the autotuning baseline.
 */
static void tcp_rcv_init(struct ust_sock *sk)
{
	uint32_t hint = UST_MIN((uint32_t)sk->advmss, (uint32_t)sk->mss_cache);
	uint32_t maxwin = (uint32_t)tcp_full_space(sk);

	hint = UST_MIN(hint, sk->rcv_wnd / 2);
	hint = UST_MIN(hint, (uint32_t)TCP_MSS_DEFAULT);
	sk->icsk_ack_rcv_mss = (uint16_t)UST_MAX(hint, 88u);
	if (!sk->window_clamp || sk->window_clamp >= maxwin)
		sk->window_clamp = maxwin;
	sk->rcv_ssthresh = UST_MIN(sk->rcv_ssthresh, sk->window_clamp);
	sk->rcvq_space_space = UST_MIN(UST_MIN(sk->rcv_ssthresh, sk->rcv_wnd), (uint32_t)TCP_INIT_CWND * sk->advmss);
	sk->rcvq_space_seq = sk->copied_seq;
	sk->rcvq_space_time = (uint32_t)(sk->tcp->core->now / 1000);
}

static void tcp_rcv_ensure_init(struct ust_sock *sk)
{
	if (!sk->icsk_ack_rcv_mss)
		tcp_rcv_init(sk);
}

/* tcp_set_window_clamp: a smaller clamp pulls rcv_ssthresh down with it. */
static void tcp_set_window_clamp(struct ust_sock *sk, int val)
{
	uint32_t clamp = (uint32_t)UST_MAX(val, 2304 / 2);

	if (clamp == sk->window_clamp)
		return;
	if (clamp < sk->window_clamp)
		sk->rcv_ssthresh = UST_MIN(sk->rcv_ssthresh, clamp);
	else
		sk->rcv_ssthresh = UST_MAX(UST_MIN(sk->rcv_wnd, clamp), sk->rcv_ssthresh);
	sk->window_clamp = clamp;
}

void tcp_set_rcvlowat(struct ust_sock *sk, int val)
{
	int cap = sk->sk_rcvbuf_locked ? sk->sk_rcvbuf >> 1 : sk->tcp->core->sysctl.tcp_rmem[2] >> 1;
	int space;

	val = UST_MIN(val, cap);
	sk->sk_rcvlowat = val ? val : 1;
	if (sk->sk_rcvbuf_locked)
		return;
	space = tcp_space_from_win(sk, val);
	if (space > sk->sk_rcvbuf) {
		sk->sk_rcvbuf = space;
		tcp_set_window_clamp(sk, val);
	}
}

/* --- quickack and pingpong (include/net/inet_connection_sock.h) ---------- */

static void tcp_incr_quickack(struct ust_sock *sk, unsigned max_quickacks)
{
	unsigned quickacks = sk->rcv_wnd / (2u * sk->icsk_ack_rcv_mss);

	if (!quickacks)
		quickacks = 2;
	quickacks = UST_MIN(quickacks, max_quickacks);
	if (quickacks > sk->icsk_ack_quick)
		sk->icsk_ack_quick = (uint8_t)quickacks;
}

void tcp_enter_quickack_mode(struct ust_sock *sk, unsigned max_quickacks)
{
	tcp_rcv_ensure_init(sk);
	tcp_incr_quickack(sk, max_quickacks);
	sk->icsk_ack_pingpong = 0;
	sk->icsk_ack_ato = TCP_ATO_MIN;
}

static bool tcp_in_quickack_mode(const struct ust_sock *sk)
{
	return sk->icsk_ack_quick && !sk->icsk_ack_pingpong;
}

/* Every segment with our ACK on it: one quick ACK fewer, nothing owed. */
void tcp_event_ack_sent(struct ust_sock *sk)
{
	if (sk->icsk_ack_quick) {
		unsigned pkts = (sk->icsk_pending_ack & ICSK_ACK_SCHED) ? 1 : 0;

		if (pkts >= sk->icsk_ack_quick) {
			sk->icsk_ack_quick = 0;
			sk->icsk_ack_ato = TCP_ATO_MIN;   /* leaving quickack mode deflates ato */
		} else {
			sk->icsk_ack_quick -= (uint8_t)pkts;
		}
	}
	sk->icsk_pending_ack = 0;
	ust_timer_cancel(&sk->tcp->core->timers, &sk->icsk_delack_timer);
}

void tcp_event_data_sent(struct ust_sock *sk)
{
	if (tcp_time_ms(sk->tcp) - sk->icsk_ack_lrcvtime < sk->icsk_ack_ato)
		sk->icsk_ack_pingpong = 1;   /* TCP_PINGPONG_THRESH is 1 */
}

/* TCP_QUICKACK: 0 delays ACKs (pingpong); 1 ACKs what is owed now. */
void tcp_sock_set_quickack(struct ust_sock *sk, int val)
{
	if (!val) {
		sk->icsk_ack_pingpong = 1;
		return;
	}
	sk->icsk_ack_pingpong = 0;
	if ((TCPF(sk->sk_state) & (TCPF(TCP_ESTABLISHED) | TCPF(TCP_CLOSE_WAIT))) &&
	    (sk->icsk_pending_ack & ICSK_ACK_SCHED)) {
		sk->icsk_pending_ack |= ICSK_ACK_PUSHED;
		tcp_cleanup_rbuf(sk, 1);
		if (!(val & 1))
			sk->icsk_ack_pingpong = 1;
	}
}

/* --- receive window ------------------------------------------------------ */

/*
 * tcp_grow_window: rcv_ssthresh, the window we let the peer use, grows by
 * two segments when data arrives in buffers that are not mostly overhead.
 */
void tcp_grow_window(struct ust_sock *sk, uint32_t len)
{
	const struct ust_sysctl *sc = &sk->tcp->core->sysctl;
	int room = (int)UST_MIN(sk->window_clamp, (uint32_t)tcp_space(sk)) - (int)sk->rcv_ssthresh;
	int truesize = UST_PKT_DEFAULT_SIZE + TCP_SKB_OVERHEAD, incr = 0;

	if (room <= 0)
		return;
	if (tcp_win_from_space(sk, truesize) <= (int)len) {
		incr = 2 * sk->advmss;
	} else {
		int ts = tcp_win_from_space(sk, truesize) >> 1;
		int window = tcp_win_from_space(sk, sc->tcp_rmem[2]) >> 1;

		while ((int)sk->rcv_ssthresh <= window) {
			if (ts <= (int)len) {
				incr = 2 * sk->icsk_ack_rcv_mss;
				break;
			}
			ts >>= 1;
			window >>= 1;
		}
	}
	if (incr) {
		incr = UST_MAX(incr, 2 * (int)len);
		sk->rcv_ssthresh += (uint32_t)UST_MIN(room, incr);
		sk->icsk_ack_quick |= 1;
	}
}

/* __tcp_select_window: the window the free buffer allows now. */
static uint32_t __tcp_select_window(struct ust_sock *sk)
{
	int mss = sk->icsk_ack_rcv_mss;
	int free_space = tcp_space(sk), allowed_space = tcp_full_space(sk);
	int full_space = (int)UST_MIN((uint32_t)allowed_space, sk->window_clamp);
	uint32_t unit = 1u << sk->rcv_wscale;
	int64_t window;

	if (mss > full_space) {
		mss = full_space;
		if (mss <= 0)
			return 0;
	}
	if (free_space < (full_space >> 1)) {
		sk->icsk_ack_quick = 0;
		free_space = (int)((uint32_t)free_space & ~(unit - 1));
		/* Too little to be worth offering: go to a zero window. */
		if (free_space < (allowed_space >> 4) || free_space < mss)
			return 0;
	}
	if (free_space > (int)sk->rcv_ssthresh)
		free_space = (int)sk->rcv_ssthresh;
	if (sk->rcv_wscale)
		return ((uint32_t)free_space + unit - 1) & ~(unit - 1);
	/* Without a shift, keep the offered window while it stays within a
	 * segment of the free space, else a whole number of segments. */
	window = sk->rcv_wnd;
	if (window <= (int64_t)free_space - mss || window > free_space)
		window = free_space / mss * mss;
	else if (mss == full_space && free_space > window + (full_space >> 1))
		window = free_space;
	return (uint32_t)window;
}

/*
 * The window field of a non-SYN segment (tcp_select_window): never shrink
 * what was offered (RFC 9293 3.8.6.2.2), zero after a failed charge to the
 * buffer. Every such segment carries our ACK, so the ACK bookkeeping is done
 * here too (tcp_event_ack_sent, as __tcp_transmit_skb does).
 */
uint16_t tcp_select_window(struct ust_sock *sk)
{
	struct ust_core *core = sk->tcp->core;
	uint32_t old_win = sk->rcv_wnd, cur_win, new_win;

	tcp_rcv_ensure_init(sk);
	if (sk->icsk_pending_ack & ICSK_ACK_NOMEM) {
		sk->rcv_wnd = 0;
		sk->rcv_wup = sk->rcv_nxt;
		tcp_event_ack_sent(sk);
		return 0;
	}
	cur_win = tcp_receive_window(sk);
	new_win = __tcp_select_window(sk);
	if (new_win < cur_win) {
		if (!new_win)
			UST_INC_STATS(core, LINUX_MIB_TCPWANTZEROWINDOWADV);
		new_win = (cur_win + (1u << sk->rcv_wscale) - 1) & ~((1u << sk->rcv_wscale) - 1);
	}
	sk->rcv_wnd = new_win;
	sk->rcv_wup = sk->rcv_nxt;
	new_win = UST_MIN(new_win, 65535u << sk->rcv_wscale) >> sk->rcv_wscale;
	if (!new_win) {
		if (old_win)
			UST_INC_STATS(core, LINUX_MIB_TCPTOZEROWINDOWADV);
	} else if (!old_win) {
		UST_INC_STATS(core, LINUX_MIB_TCPFROMZEROWINDOWADV);
	}
	tcp_event_ack_sent(sk);
	return (uint16_t)new_win;
}

/* --- when to ACK --------------------------------------------------------- */

/* tcp_send_delayed_ack: within ato, keeping an earlier deadline. */
static void tcp_send_delayed_ack(struct ust_sock *sk)
{
	uint32_t ato = sk->icsk_ack_ato, now = tcp_time_ms(sk->tcp), timeout;

	if (ato > TCP_DELACK_MIN) {
		uint32_t max_ato = 500;   /* HZ / 2 */

		if (sk->icsk_ack_pingpong || (sk->icsk_pending_ack & ICSK_ACK_PUSHED))
			max_ato = TCP_DELACK_MAX;
		ato = UST_MIN(ato, max_ato);
	}
	ato = UST_MIN(ato, (uint32_t)TCP_DELACK_MAX);
	timeout = now + ato;
	if (sk->icsk_pending_ack & ICSK_ACK_TIMER) {
		/* The timer is about to fire anyway: ACK now. */
		if ((int32_t)(sk->icsk_ack_timeout - (now + (ato >> 2))) <= 0) {
			tcp_send_ack(sk);
			return;
		}
		if ((int32_t)(timeout - sk->icsk_ack_timeout) >= 0)
			timeout = sk->icsk_ack_timeout;
	}
	sk->icsk_pending_ack |= ICSK_ACK_SCHED | ICSK_ACK_TIMER;
	sk->icsk_ack_timeout = timeout;
	ust_core_timer_arm_ms(sk->tcp->core, &sk->icsk_delack_timer, timeout - now);
	tcp_trace_sk(sk, UST_TRACE_TIMER, "tcp_send_delayed_ack", "delayed ACK in %u ms", timeout - now);
}

/*
 * __tcp_ack_snd_check: ACK at once when more than a segment is unACKed and
 * the window would not shrink (or the reader waits below SO_RCVLOWAT), in
 * quickack mode, when something demands it (hole filled), or while data is
 * out of order; otherwise delay. Linux compresses the fourth and later
 * duplicate ACKs of one hole (tcp_comp_sack_*); these go out at once here.
 */
static void tcp_ack_snd_check(struct ust_sock *sk)
{
	uint32_t lowat = sk->sk_rcvlowat ? (uint32_t)sk->sk_rcvlowat : 1;

	if (!(sk->icsk_pending_ack & ICSK_ACK_SCHED))
		return;
	if ((sk->rcv_nxt - sk->rcv_wup > sk->icsk_ack_rcv_mss &&
	     (sk->rcv_nxt - sk->copied_seq < lowat || __tcp_select_window(sk) >= sk->rcv_wnd)) ||
	    tcp_in_quickack_mode(sk) || (sk->icsk_pending_ack & ICSK_ACK_NOW) || sk->ofo_head) {
		tcp_send_ack(sk);
		return;
	}
	tcp_send_delayed_ack(sk);
}

/*
 * tcp_cleanup_rbuf: after a read, send the ACK we owe when more than a segment
 * waits for it or the reader emptied a queue of small pushed segments, or a
 * window update when the read at least doubled a window that had closed to
 * half the clamp or less.
 */
void tcp_cleanup_rbuf(struct ust_sock *sk, int copied)
{
	bool time_to_ack = false;

	if (!(TCPF(sk->sk_state) & (TCPF(TCP_ESTABLISHED) | TCPF(TCP_FIN_WAIT1) | TCPF(TCP_FIN_WAIT2) |
				    TCPF(TCP_CLOSE_WAIT))))
		return;
	tcp_rcv_ensure_init(sk);
	if (sk->icsk_pending_ack & ICSK_ACK_SCHED) {
		if (sk->rcv_nxt - sk->rcv_wup > sk->icsk_ack_rcv_mss ||
		    (copied > 0 &&
		     ((sk->icsk_pending_ack & ICSK_ACK_PUSHED2) ||
		      ((sk->icsk_pending_ack & ICSK_ACK_PUSHED) && !sk->icsk_ack_pingpong)) &&
		     !sk->rmem_alloc))
			time_to_ack = true;
	}
	if (copied > 0 && !time_to_ack && !(sk->sk_shutdown & RCV_SHUTDOWN)) {
		uint32_t now_win = tcp_receive_window(sk);

		if (2 * now_win <= sk->window_clamp) {
			uint32_t new_win = __tcp_select_window(sk);

			if (new_win && new_win >= 2 * now_win)
				time_to_ack = true;
		}
	}
	if (time_to_ack)
		tcp_send_ack(sk);
}

/* --- data arrival -------------------------------------------------------- */

/* tcp_rcv_rtt_update: the receiver's RTT, a minimum without timestamps. */
static void tcp_rcv_rtt_update(struct ust_sock *sk, uint32_t sample_us, bool win_dep)
{
	uint32_t old = sk->rcv_rtt_us, m = sample_us << 3;

	if (!old || m < old)
		sk->rcv_rtt_us = m ? m : 1;
	else if (!win_dep)
		sk->rcv_rtt_us = old - (old >> 3) + sample_us;
}

/* tcp_rcv_rtt_measure / _ts: a sample per window of data, or from TSecr. */
static void tcp_rcv_rtt_measure(struct ust_sock *sk, const struct tcp_seg *seg, uint32_t len)
{
	uint32_t now_us = (uint32_t)(sk->tcp->core->now / 1000);

	if (sk->tstamp_ok && (seg->opt.present & UST_TCPOPT_F_TIMESTAMP) && seg->opt.tsecr) {
		int32_t delta_ms;

		if (seg->opt.tsecr == sk->rcv_rtt_last_tsecr)
			return;
		sk->rcv_rtt_last_tsecr = seg->opt.tsecr;
		delta_ms = (int32_t)(tcp_time_ms(sk->tcp) + sk->tsoffset - seg->opt.tsecr);
		if (len >= sk->icsk_ack_rcv_mss && delta_ms >= 0)
			tcp_rcv_rtt_update(sk, delta_ms ? (uint32_t)delta_ms * 1000u : 1u, false);
		return;
	}
	if (sk->rcv_rtt_time && before(sk->rcv_nxt, sk->rcv_rtt_seq))
		return;
	if (sk->rcv_rtt_time)
		tcp_rcv_rtt_update(sk, now_us - sk->rcv_rtt_time, true);
	sk->rcv_rtt_seq = sk->rcv_nxt + sk->rcv_wnd;
	sk->rcv_rtt_time = now_us ? now_us : 1;
}

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

/* tcp_clamp_window: the buffer overflowed; grow it if we may, else shrink
 * what we offer to two segments. */
static void tcp_clamp_window(struct ust_sock *sk)
{
	int rmem2 = sk->tcp->core->sysctl.tcp_rmem[2];

	sk->icsk_ack_quick = 0;
	if (sk->sk_rcvbuf < rmem2 && !sk->sk_rcvbuf_locked)
		sk->sk_rcvbuf = (int)UST_MIN(sk->rmem_alloc, (uint32_t)rmem2);
	if (sk->rmem_alloc > (uint32_t)sk->sk_rcvbuf)
		sk->rcv_ssthresh = UST_MIN(sk->window_clamp, 2u * sk->advmss);
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
static void out_of_window(struct ust_sock *sk, struct ust_pkt *pkt)
{
	tcp_enter_quickack_mode(sk, TCP_MAX_QUICKACKS);
	sk->icsk_pending_ack |= ICSK_ACK_SCHED;
	ust_pkt_free(pkt);
}

/* In sequence and in the window: onto the receive queue. False: sk is gone. */
static bool queue_and_out(struct ust_sock *sk, struct ust_pkt *pkt, const struct tcp_seg *seg)
{
	bool fin = TCP_SKB_CB(pkt)->fin;
	uint32_t len, truesize;

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
	TCP_SKB_CB(pkt)->fin = tcp_flag(seg, UST_TCP_FIN);
	sk->dsack = 0;
	tcp_rcv_ensure_init(sk);

	if (seq == sk->rcv_nxt) {
		if (!tcp_receive_window(sk) && len) {
			UST_INC_STATS(core, LINUX_MIB_TCPZEROWINDOWDROP);
			out_of_window(sk, pkt);
			goto ack;
		}
		if (!queue_and_out(sk, pkt, seg))
			return;
		goto ack;
	}
	if (!after(end_seq, sk->rcv_nxt)) {
		/* A retransmission of what we have: D-SACK it, ACK at once. */
		UST_INC_STATS(core, LINUX_MIB_DELAYEDACKLOST);
		tcp_dsack_set(sk, seq, end_seq);
		out_of_window(sk, pkt);
		goto ack;
	}
	if (!before(seq, sk->rcv_nxt + tcp_receive_window(sk))) {
		out_of_window(sk, pkt);   /* e.g. a zero-window probe */
		goto ack;
	}
	if (before(seq, sk->rcv_nxt)) {
		/* Starts below rcv_nxt: D-SACK the old part, keep the rest. */
		tcp_dsack_set(sk, seq, sk->rcv_nxt);
		if (!tcp_receive_window(sk)) {
			UST_INC_STATS(core, LINUX_MIB_TCPZEROWINDOWDROP);
			out_of_window(sk, pkt);
			goto ack;
		}
		if (!queue_and_out(sk, pkt, seg))
			return;
		goto ack;
	}
	tcp_data_queue_ofo(sk, pkt);
ack:
	tcp_ack_snd_check(sk);
}

/*
 * tcp_rcv_space_adjust: once per receiver RTT, if the application read more
 * than last time, grow the buffer so the window can cover twice that plus
 * slow start's growth (tcp_moderate_rcvbuf, never past tcp_rmem[2], never
 * when SO_RCVBUF fixed it).
 */
void tcp_rcv_space_adjust(struct ust_sock *sk)
{
	const struct ust_sysctl *sc = &sk->tcp->core->sysctl;
	uint32_t now_us = (uint32_t)(sk->tcp->core->now / 1000);
	int32_t copied;

	tcp_rcv_ensure_init(sk);
	if (!sk->rcv_rtt_us || now_us - sk->rcvq_space_time < (sk->rcv_rtt_us >> 3))
		return;
	copied = (int32_t)(sk->copied_seq - sk->rcvq_space_seq);
	copied -= (int32_t)(sk->rcv_nxt - sk->copied_seq);
	if (copied > (int32_t)sk->rcvq_space_space) {
		if (sc->tcp_moderate_rcvbuf && !sk->sk_rcvbuf_locked) {
			uint64_t rcvwin = ((uint64_t)copied << 1) + 16u * sk->advmss;
			uint64_t grow = rcvwin * (uint64_t)(copied - (int32_t)sk->rcvq_space_space) /
					UST_MAX(sk->rcvq_space_space, 1u);
			int rcvbuf;

			rcvwin += grow << 1;
			rcvbuf = (int)UST_MIN((uint64_t)tcp_space_from_win(sk, (int)UST_MIN(rcvwin, (uint64_t)INT32_MAX)),
					      (uint64_t)sc->tcp_rmem[2]);
			if (rcvbuf > sk->sk_rcvbuf) {
				sk->sk_rcvbuf = rcvbuf;
				sk->window_clamp = (uint32_t)tcp_win_from_space(sk, rcvbuf);
			}
		}
		sk->rcvq_space_space = (uint32_t)copied;
	}
	sk->rcvq_space_seq = sk->copied_seq;
	sk->rcvq_space_time = now_us;
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
