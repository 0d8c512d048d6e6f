/*
 * The TCP state machine for a full socket (Linux's tcp_rcv_state_process and
 * its helpers), as far as connection setup needs it, plus in-order data and FIN
 * so a connection that formed can be used:
 *
 *   LISTEN      ACK -> reset; RST -> ignored; SYN -> tcp_v4_conn_request (L-4)
 *   SYN_SENT    tcp_rcv_synsent_state_process (C-2, C-3)
 *   otherwise   tcp_validate_incoming (PAWS, sequence, RST, SYN: RFC 5961),
 *               tcp_ack, SYN_RECV -> ESTABLISHED, then the segment's text.
 *
 * Return value of tcp_rcv_state_process: 0 = consumed, 1 = the caller sends a
 * reset for this segment (tcp_v4_do_rcv's "reset" label).
 */
#include <arpa/inet.h>
#include <errno.h>
#include "tcp/tcp.h"

/* tcp_parse_options' rules for a SYN or SYN-ACK (O-2, RFC 7323 2.3). */
void tcp_syn_options_apply(const struct ust_tcp *tcp, const struct ust_tcp_opts *in, uint16_t user_mss,
			   uint16_t *mss, bool *wscale_ok, uint8_t *snd_wscale, bool *sack_ok, bool *tstamp_ok)
{
	const struct ust_sysctl *sc = &tcp->core->sysctl;

	*mss = TCP_MSS_DEFAULT;
	if ((in->present & UST_TCPOPT_F_MSS) && in->mss) {
		*mss = in->mss;
		if (user_mss && user_mss < *mss)
			*mss = user_mss;
	}
	*wscale_ok = (in->present & UST_TCPOPT_F_WSCALE) && sc->tcp_window_scaling;
	/* A shift above 14 is used as 14 (Linux clamps and logs it). */
	*snd_wscale = *wscale_ok ? (uint8_t)UST_MIN(in->wscale, TCP_MAX_WSCALE) : 0;
	*sack_ok = (in->present & UST_TCPOPT_F_SACK_PERM) && sc->tcp_sack;
	*tstamp_ok = (in->present & UST_TCPOPT_F_TIMESTAMP) && sc->tcp_timestamps;
}

static bool seg_has_ts(const struct ust_sock *sk, const struct tcp_seg *seg)
{
	return sk->tstamp_ok && (seg->opt.present & UST_TCPOPT_F_TIMESTAMP);
}

/* tcp_paws_check / tcp_paws_reject (RFC 7323 5). */
bool tcp_paws_reject(const struct ust_tcp *tcp, uint32_t ts_recent, uint32_t ts_recent_stamp,
			    uint32_t tsval, bool rst)
{
	uint32_t now = tcp_time_s(tcp);

	if ((int32_t)(ts_recent - tsval) <= 0 || !ts_recent)
		return false;
	if ((int32_t)(now - (ts_recent_stamp + TCP_PAWS_24DAYS)) >= 0)
		return false;
	return !(rst && (int32_t)(now - (ts_recent_stamp + TCP_PAWS_MSL)) >= 0);
}

static void tcp_store_ts_recent(struct ust_sock *sk, const struct tcp_seg *seg)
{
	sk->ts_recent = seg->opt.tsval;
	sk->ts_recent_stamp = tcp_time_s(sk->tcp);
}

/* tcp_sync_mss: the send MSS from the path MTU and the peer's MSS, less options. */
static void tcp_sync_mss(struct ust_sock *sk)
{
	uint32_t mss = sk->dst.mtu > 40 ? sk->dst.mtu - 40 : TCP_MSS_DEFAULT;

	mss = UST_MIN(mss, sk->mss_clamp);
	mss -= (uint32_t)(sk->tcp_header_len - UST_TCP_HLEN);
	mss = UST_MAX(mss, (uint32_t)sk->tcp->core->sysctl.tcp_min_snd_mss);
	sk->mss_cache = (uint16_t)mss;
}

/* the errno a reset leaves, then the end of the connection. */
void tcp_reset(struct ust_sock *sk)
{
	switch (sk->sk_state) {
	case TCP_SYN_SENT:
		sk->sk_err = ECONNREFUSED;
		break;
	case TCP_CLOSE_WAIT:
		sk->sk_err = EPIPE;
		break;
	case TCP_CLOSE:
		return;
	default:
		sk->sk_err = ECONNRESET;
	}
	tcp_trace_sk(sk, UST_TRACE_DROP, "tcp_reset", "connection reset by peer (errno %d)", sk->sk_err);
	tcp_done(sk);
}

void tcp_finish_connect(struct ust_sock *sk)
{
	tcp_set_state(sk, TCP_ESTABLISHED);
	tcp_clear_xmit_timers(sk);
	/* RFC 6298 5.7: a retransmitted handshake gives no RTT sample; RTO 3 s. */
	sk->icsk_rto = sk->icsk_retransmits ? TCP_TIMEOUT_FALLBACK : TCP_TIMEOUT_INIT;
	tcp_init_transfer(sk);
	sk->icsk_retransmits = 0;
	sk->rcv_tstamp = tcp_time_ms(sk->tcp);
	if (sk->sk_flags & SOCK_KEEPOPEN)
		inet_csk_reset_keepalive_timer(sk, keepalive_time_when(sk));
	tcp_wake(sk);
}

/*
 * C-2: a segment with ACK in SYN_SENT. Returns 1 to have the caller reset,
 * 0 when consumed.
 */
static int synsent_ack(struct ust_sock *sk, struct tcp_seg *seg)
{
	struct ust_tcp *tcp = sk->tcp;
	bool wscale_ok, sack_ok, tstamp_ok;
	uint8_t snd_wscale;
	uint16_t mss;

	if (!after(seg->ack_seq, sk->snd_una) || after(seg->ack_seq, sk->snd_nxt)) {
		/* A stale peer's challenge ACK gets a fresh SYN quickly. */
		if (sk->icsk_retransmits == 0)
			tcp_reset_xmit_timer(sk, TCP_TIMEOUT_MIN);
		tcp_trace_sk(sk, UST_TRACE_DROP, "tcp_rcv_synsent_state_process", "unacceptable ACK %u", seg->ack_seq);
		return 1;
	}
	tcp_syn_options_apply(tcp, &seg->opt, sk->user_mss, &mss, &wscale_ok, &snd_wscale, &sack_ok, &tstamp_ok);
	if (tstamp_ok && seg->opt.tsecr) {
		uint32_t ecr = seg->opt.tsecr - sk->tsoffset;

		if ((int32_t)(ecr - sk->retrans_stamp) < 0 || (int32_t)(tcp_time_ms(tcp) - ecr) < 0) {
			UST_INC_STATS(tcp->core, LINUX_MIB_PAWSACTIVEREJECTED);
			return 1;
		}
	}
	if (tcp_flag(seg, UST_TCP_RST)) {
		tcp_reset(sk);
		return 0;
	}
	if (!tcp_flag(seg, UST_TCP_SYN)) {
		tcp_trace_sk(sk, UST_TRACE_DROP, "tcp_rcv_synsent_state_process", "ACK without SYN discarded");
		return 0;
	}
	sk->snd_una = seg->ack_seq;
	sk->snd_wl1 = seg->seq;
	sk->rcv_nxt = sk->rcv_wup = seg->seq + 1;
	sk->snd_wnd = sk->max_window = seg->th.window;   /* RFC 7323 2.2: never scaled */
	sk->mss_clamp = mss;
	sk->wscale_ok = wscale_ok;
	sk->sack_ok = sack_ok;
	if (wscale_ok) {
		sk->snd_wscale = snd_wscale;
	} else {
		sk->snd_wscale = sk->rcv_wscale = 0;
		sk->window_clamp = UST_MIN(sk->window_clamp, 65535u);
	}
	if (tstamp_ok) {
		sk->tstamp_ok = 1;
		sk->tcp_header_len = UST_TCP_HLEN + 12;
		sk->advmss -= 12;
		tcp_store_ts_recent(sk, seg);
	} else {
		sk->tstamp_ok = 0;
		sk->tcp_header_len = UST_TCP_HLEN;
	}
	tcp_sync_mss(sk);
	sk->copied_seq = sk->rcv_nxt;
	tcp_finish_connect(sk);
	/* Data or FIN on a (non-TFO) SYN-ACK is discarded; the ACK asks again. */
	tcp_send_ack(sk);
	return 0;
}

/* C-3: a segment without ACK in SYN_SENT: only a SYN matters (simultaneous open). */
static int synsent_noack(struct ust_sock *sk, struct tcp_seg *seg)
{
	struct ust_tcp *tcp = sk->tcp;
	bool wscale_ok, sack_ok, tstamp_ok;
	uint8_t snd_wscale;
	uint16_t mss;

	if (tcp_flag(seg, UST_TCP_RST))
		return 0;
	if (sk->ts_recent_stamp && (seg->opt.present & UST_TCPOPT_F_TIMESTAMP) &&
	    tcp_paws_reject(tcp, sk->ts_recent, sk->ts_recent_stamp, seg->opt.tsval, false))
		return 0;
	if (!tcp_flag(seg, UST_TCP_SYN))
		return 0;
	tcp_syn_options_apply(tcp, &seg->opt, sk->user_mss, &mss, &wscale_ok, &snd_wscale, &sack_ok, &tstamp_ok);
	sk->mss_clamp = mss;
	sk->wscale_ok = wscale_ok;
	sk->snd_wscale = snd_wscale;
	sk->sack_ok = sack_ok;
	if (tstamp_ok) {
		sk->tstamp_ok = 1;
		tcp_store_ts_recent(sk, seg);
		sk->tcp_header_len = UST_TCP_HLEN + 12;
	} else {
		sk->tcp_header_len = UST_TCP_HLEN;
	}
	sk->rcv_nxt = sk->copied_seq = sk->rcv_wup = seg->seq + 1;
	sk->snd_wnd = sk->max_window = seg->th.window;
	sk->snd_wl1 = seg->seq;
	tcp_sync_mss(sk);
	tcp_set_state(sk, TCP_SYN_RECV);
	tcp_send_syn(sk, false);   /* now with ACK: tcp_send_synack, not a retransmission */
	return 0;
}

static int tcp_rcv_synsent_state_process(struct ust_sock *sk, struct tcp_seg *seg)
{
	if (tcp_flag(seg, UST_TCP_ACK))
		return synsent_ack(sk, seg);
	return synsent_noack(sk, seg);
}

/*
 * tcp_sequence: the segment overlaps what we will accept. Linux 6.18
 * also refuses data running past the window's right edge while the receive
 * queue holds data (only a FIN may stick out).
 */
static bool tcp_sequence(const struct ust_sock *sk, const struct tcp_seg *seg)
{
	uint32_t limit = sk->rcv_nxt + tcp_receive_window(sk);

	if (before(seg->end_seq, sk->rcv_wup) || after(seg->seq, limit))
		return false;
	if (after(seg->end_seq - tcp_flag(seg, UST_TCP_FIN), limit) && sk->rcv_head)
		return false;
	return true;
}

/* a duplicate ACK for an out-of-window segment, rate-limited unless it
 * carried data (tcp_oow_rate_limited only limits pure ACKs and SYNs). */
static void tcp_send_dupack(struct ust_sock *sk, const struct tcp_seg *seg, int mib)
{
	bool pure = seg->seq == seg->end_seq || tcp_flag(seg, UST_TCP_SYN);

	if (pure && tcp_oow_rate_limited(sk->tcp, &sk->last_oow_ack_time, mib))
		return;
	tcp_dupack_dsack(sk, seg);   /* the receiver's D-SACK for old data (tcp_rcv.c) */
	tcp_send_ack(sk);
}

/*
 * tcp_validate_incoming (RFC 5961): PAWS, sequence, RST, SYN. False when the
 * segment has been dealt with (dropped, answered, or it reset the socket).
 */
static bool tcp_validate_incoming(struct ust_sock *sk, struct tcp_seg *seg)
{
	struct ust_core *core = sk->tcp->core;
	bool rst = tcp_flag(seg, UST_TCP_RST), syn = tcp_flag(seg, UST_TCP_SYN);

	if (seg_has_ts(sk, seg) && tcp_paws_reject(sk->tcp, sk->ts_recent, sk->ts_recent_stamp, seg->opt.tsval, rst) &&
	    !rst) {
		if (syn)
			goto syn_challenge;
		UST_INC_STATS(core, LINUX_MIB_PAWSESTABREJECTED);
		tcp_send_dupack(sk, seg, LINUX_MIB_TCPACKSKIPPEDPAWS);
		return false;
	}
	if (!tcp_sequence(sk, seg)) {
		if (!rst) {
			if (syn)
				goto syn_challenge;
			tcp_send_dupack(sk, seg, LINUX_MIB_TCPACKSKIPPEDSEQ);
		} else if (seg->seq + 1 == sk->rcv_nxt &&
			   (TCPF(sk->sk_state) & (TCPF(TCP_CLOSE_WAIT) | TCPF(TCP_LAST_ACK) | TCPF(TCP_CLOSING)))) {
			tcp_reset(sk);
		}
		return false;
	}
	if (rst) {
		if (seg->seq == sk->rcv_nxt)
			tcp_reset(sk);
		else
			tcp_send_challenge_ack(sk);
		return false;
	}
	if (syn) {
		/* C-4 (Linux >= 6.10): the peer's SYN-ACK completes a simultaneous open. */
		if (sk->sk_state == TCP_SYN_RECV && !sk->parent && tcp_flag(seg, UST_TCP_ACK) &&
		    seg->seq + 1 == seg->end_seq && seg->seq + 1 == sk->rcv_nxt && seg->ack_seq == sk->snd_nxt)
			return true;
		goto syn_challenge;
	}
	return true;

syn_challenge:
	if (sk->sk_state == TCP_ESTABLISHED)
		UST_INC_STATS(core, TCP_MIB_INERRS);
	UST_INC_STATS(core, LINUX_MIB_TCPSYNCHALLENGE);
	tcp_send_challenge_ack(sk);
	return false;
}

/* SYN_RECV -> ESTABLISHED on an acceptable ACK (H-5 step 4, C-4). */
static void tcp_synrecv_established(struct ust_sock *sk, struct tcp_seg *seg)
{
	tcp_init_transfer(sk);
	sk->retrans_stamp = 0;
	sk->copied_seq = sk->rcv_nxt;
	tcp_set_state(sk, TCP_ESTABLISHED);
	tcp_clear_xmit_timers(sk);
	sk->icsk_retransmits = 0;
	sk->snd_una = seg->ack_seq;
	sk->snd_wnd = (uint32_t)seg->th.window << sk->snd_wscale;
	sk->max_window = UST_MAX(sk->max_window, sk->snd_wnd);
	sk->snd_wl1 = seg->seq;
	if (sk->tstamp_ok)
		sk->advmss -= 12;
	tcp_sync_mss(sk);
	sk->rcv_tstamp = tcp_time_ms(sk->tcp);
	if (sk->sk_flags & SOCK_KEEPOPEN)
		inet_csk_reset_keepalive_timer(sk, keepalive_time_when(sk));
	tcp_wake(sk);
}

/*
 * The peer's FIN, in order (tcp_fin): input is over, and the state moves on.
 * Called by tcp_data_queue once the FIN's sequence number has been taken.
 */
void tcp_fin(struct ust_sock *sk)
{
	sk->sk_shutdown |= RCV_SHUTDOWN;
	sk->sk_flags |= SOCK_DONE;
	switch (sk->sk_state) {
	case TCP_SYN_RECV:
	case TCP_ESTABLISHED:
		tcp_set_state(sk, TCP_CLOSE_WAIT);
		break;
	case TCP_FIN_WAIT1:
		/* Simultaneous close: our FIN is still unacknowledged. */
		tcp_set_state(sk, TCP_CLOSING);
		break;
	case TCP_FIN_WAIT2:
		/* tcp_data_queue has ACKed the FIN; nothing touches sk after this. */
		tcp_time_wait(sk, TCP_TIME_WAIT, 0);
		return;
	}
	tcp_wake(sk);
}

static int tcp_rcv_listen(struct ust_sock *sk, struct tcp_seg *seg)
{
	if (tcp_flag(seg, UST_TCP_ACK))
		return 1;                     /* L-4 (b): RST <SEQ=SEG.ACK> */
	if (tcp_flag(seg, UST_TCP_RST))
		return 0;                     /* L-4 (c) */
	if (tcp_flag(seg, UST_TCP_SYN)) {
		if (tcp_flag(seg, UST_TCP_FIN)) {
			tcp_trace_sk(sk, UST_TRACE_DROP, "tcp_rcv_state_process", "SYN+FIN dropped");
			return 0;
		}
		tcp_v4_conn_request(sk, seg);   /* never answers with a reset */
	}
	return 0;
}

/* tcp_fin_time: tcp_fin_timeout, but never less than 3.5 RTO. */
uint32_t tcp_fin_time(const struct ust_sock *sk)
{
	uint32_t tmo = sk->linger2 > 0 ? (uint32_t)sk->linger2 : (uint32_t)sk->tcp->core->sysctl.tcp_fin_timeout * 1000u;
	uint32_t rto = sk->icsk_rto;

	return UST_MAX(tmo, (rto << 2) - (rto >> 1));
}

/*
 * FIN_WAIT1 -> FIN_WAIT2 once our FIN is acknowledged. An orphan waits
 * tcp_fin_time for the peer's FIN: up to 60 s as a FIN_WAIT2 minisock, longer
 * as a full socket first. Data beyond a FIN after close() resets.
 * Returns -1 when sk is gone (it may have been freed).
 */
static int tcp_fin_wait1_acked(struct ust_sock *sk, struct tcp_seg *seg)
{
	uint32_t tmo;

	tcp_set_state(sk, TCP_FIN_WAIT2);
	sk->sk_shutdown |= SEND_SHUTDOWN;
	if (!(sk->sk_flags & SOCK_DEAD)) {
		tcp_wake(sk);
		return 0;
	}
	if (sk->linger2 < 0) {
		UST_INC_STATS(sk->tcp->core, LINUX_MIB_TCPABORTONDATA);
		tcp_v4_send_reset(sk->tcp, sk, seg);   /* before tcp_done frees the orphan */
		tcp_done(sk);
		return -1;
	}
	if (seg->end_seq != seg->seq && after(seg->end_seq - tcp_flag(seg, UST_TCP_FIN), sk->rcv_nxt)) {
		UST_INC_STATS(sk->tcp->core, LINUX_MIB_TCPABORTONDATA);
		tcp_v4_send_reset(sk->tcp, sk, seg);   /* before tcp_done frees the orphan */
		tcp_done(sk);
		return -1;
	}
	tmo = tcp_fin_time(sk);
	if (tmo > TCP_TIMEWAIT_LEN) {
		inet_csk_reset_keepalive_timer(sk, tmo - TCP_TIMEWAIT_LEN);
		return 0;
	}
	if (tcp_flag(seg, UST_TCP_FIN)) {
		inet_csk_reset_keepalive_timer(sk, tmo);
		return 0;
	}
	tcp_time_wait(sk, TCP_FIN_WAIT2, tmo);
	return -1;
}

int tcp_rcv_state_process(struct ust_sock *sk, struct tcp_seg *seg)
{
	int acceptable;

	switch (sk->sk_state) {
	case TCP_CLOSE:
		return 1;
	case TCP_LISTEN:
		return tcp_rcv_listen(sk, seg);
	case TCP_SYN_SENT:
		return tcp_rcv_synsent_state_process(sk, seg);
	}
	if (!(seg->th.flags & (UST_TCP_ACK | UST_TCP_RST | UST_TCP_SYN)))
		return 0;
	if (!tcp_validate_incoming(sk, seg))
		return 0;
	acceptable = tcp_ack(sk, seg);
	if (acceptable <= 0 && sk->sk_state == TCP_SYN_RECV)
		return 1;                     /* C-4: an unacceptable ACK here gets a RST */
	if (acceptable < 0) {
		/* Dropped; an ACK of unsent data is answered with a challenge
		 * ACK (tcp_ack already sent one for an ACK far too old). */
		if (acceptable == TCP_ACK_UNSENT)
			tcp_send_challenge_ack(sk);
		return 0;
	}
	/* An old ACK (below SND.UNA, within the window) is no reason to drop
	 * the segment: its data and FIN are still processed, as Linux does;
	 * only the timestamp is not taken from it. */
	if (acceptable > 0 && seg_has_ts(sk, seg) && !after(seg->seq, sk->rcv_wup))
		tcp_store_ts_recent(sk, seg);
	sk->icsk_probes_out = 0;
	sk->rcv_tstamp = tcp_time_ms(sk->tcp);
	if (sk->sk_state == TCP_SYN_RECV) {
		tcp_synrecv_established(sk, seg);
	} else if (sk->sk_state == TCP_FIN_WAIT1 && sk->snd_una == sk->write_seq) {
		if (tcp_fin_wait1_acked(sk, seg))
			return 0;
	} else if (sk->sk_state == TCP_CLOSING && sk->snd_una == sk->write_seq) {
		tcp_time_wait(sk, TCP_TIME_WAIT, 0);
		return 0;
	} else if (sk->sk_state == TCP_LAST_ACK && sk->snd_una == sk->write_seq) {
		tcp_done(sk);
		return 0;
	}
	/* Data after close(): nobody will read it; tell the peer (tcp_rcv_state_process). */
	if ((TCPF(sk->sk_state) & (TCPF(TCP_FIN_WAIT1) | TCPF(TCP_FIN_WAIT2))) && (sk->sk_shutdown & RCV_SHUTDOWN) &&
	    seg->end_seq != seg->seq && after(seg->end_seq - tcp_flag(seg, UST_TCP_FIN), sk->rcv_nxt)) {
		UST_INC_STATS(sk->tcp->core, LINUX_MIB_TCPABORTONDATA);
		tcp_v4_send_reset(sk->tcp, sk, seg);   /* before tcp_reset frees the orphan */
		tcp_reset(sk);
		return 0;
	}
	if (TCPF(sk->sk_state) & (TCPF(TCP_ESTABLISHED) | TCPF(TCP_FIN_WAIT1) | TCPF(TCP_FIN_WAIT2)))
		tcp_data_queue(sk, seg);
	return 0;
}
