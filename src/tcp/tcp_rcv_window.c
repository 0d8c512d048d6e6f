/*
 * The receive buffer and the window we offer (Linux's tcp_space,
 * tcp_grow_window, __tcp_select_window / tcp_select_window, tcp_clamp_window,
 * tcp_rcv_space_adjust). A queued packet costs its truesize; the window is
 * the part of the free buffer the data is expected to fill (scaling_ratio,
 * measured as len / truesize in tcp_measure_rcv_mss). The window never
 * shrinks its right edge (RFC 9293 3.8.6.2.2) and autotuning grows the
 * buffer once per receiver RTT for a reader that keeps up.
 */
#include "tcp/tcp_rcv.h"

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

void tcp_rcv_ensure_init(struct ust_sock *sk)
{
	if (!sk->icsk_ack_rcv_mss)
		tcp_rcv_init(sk);
}

/* tcp_set_window_clamp: a smaller clamp pulls rcv_ssthresh down with it. */
void tcp_set_window_clamp(struct ust_sock *sk, int val)
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
uint32_t __tcp_select_window(struct ust_sock *sk)
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

/* tcp_clamp_window: the buffer overflowed; grow it if we may, else shrink
 * what we offer to two segments. */
void tcp_clamp_window(struct ust_sock *sk)
{
	int rmem2 = sk->tcp->core->sysctl.tcp_rmem[2];

	sk->icsk_ack_quick = 0;
	if (sk->sk_rcvbuf < rmem2 && !sk->sk_rcvbuf_locked)
		sk->sk_rcvbuf = (int)UST_MIN(sk->rmem_alloc, (uint32_t)rmem2);
	if (sk->rmem_alloc > (uint32_t)sk->sk_rcvbuf)
		sk->rcv_ssthresh = UST_MIN(sk->window_clamp, 2u * sk->advmss);
}

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
void tcp_rcv_rtt_measure(struct ust_sock *sk, const struct tcp_seg *seg, uint32_t len)
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

