/*
 * Request socks meeting their next segment (spec §10, Linux's tcp_check_req)
 * and the birth of the child socket (tcp_create_openreq_child, §11).
 *
 * tcp_check_req, in the kernel's order:
 *   PAWS (Rq-1) -> retransmitted SYN: SYN-ACK again (Rq-2) -> bad ACK: to the
 *   listener, which resets (Rq-3) -> out of window: ACK (Rq-4) -> ts_recent,
 *   SYN at rcv_isn ignored (Rq-5) -> RST/SYN in window: request dies (Rq-6) ->
 *   no ACK: drop (Rq-7) -> TCP_DEFER_ACCEPT (Rq-8) -> child (Rq-9), or on a full
 *   accept queue: drop and remember (or RST with tcp_abort_on_overflow).
 */
#include <arpa/inet.h>
#include <string.h>
#include "tcp/tcp.h"

/* tcp_in_window: in sequence, overlapping, or zero length at the right edge. */
static bool tcp_in_window(uint32_t seq, uint32_t end_seq, uint32_t s_win, uint32_t e_win)
{
	if (seq == s_win)
		return true;
	if (after(end_seq, s_win) && before(seq, e_win))
		return true;
	return seq == e_win && seq == end_seq;
}

/* Rq-1: PAWS against the request, with ts_recent_stamp estimated from its age. */
static bool req_paws_reject(const struct request_sock *req, const struct tcp_seg *seg, uint32_t now_s)
{
	uint32_t age = (uint32_t)(TCP_TIMEOUT_INIT / 1000) << req->num_timeout;
	uint32_t stamp = now_s - age;

	if (!req->tstamp_ok || !(seg->opt.present & UST_TCPOPT_F_TIMESTAMP) || !req->ts_recent)
		return false;
	if ((int32_t)(req->ts_recent - seg->opt.tsval) <= 0)
		return false;
	if ((int32_t)(now_s - (stamp + TCP_PAWS_24DAYS)) >= 0)
		return false;
	return !(tcp_flag(seg, UST_TCP_RST) && (int32_t)(now_s - (stamp + TCP_PAWS_MSL)) >= 0);
}

/* Rq-6 and the abort_on_overflow branch of Rq-9 (tcp_check_req's embryonic_reset). */
static struct ust_sock *embryonic_reset(struct ust_sock *lsk, struct tcp_seg *seg, struct request_sock *req)
{
	tcp_v4_send_reset(lsk->tcp, lsk, seg);
	UST_INC_STATS(lsk->tcp->core, LINUX_MIB_EMBRYONICRSTS);
	tcp_trace_req(req, UST_TRACE_DROP, "tcp_check_req", "embryonic reset: request removed");
	inet_csk_reqsk_queue_drop(lsk, req);
	return NULL;
}

static struct ust_sock *retransmitted_syn(struct ust_sock *lsk, struct request_sock *req)
{
	struct ust_tcp *tcp = lsk->tcp;

	if (!tcp_oow_rate_limited(tcp, &req->last_oow_ack_time, LINUX_MIB_TCPACKSKIPPEDSYNRECV) &&
	    tcp_send_synack(req, NULL, true) == 0) {
		uint64_t when = UST_MIN((uint64_t)TCP_TIMEOUT_INIT << req->num_timeout, (uint64_t)TCP_RTO_MAX);

		ust_core_timer_arm_ms(tcp->core, &req->rsk_timer, when);
		tcp_trace_req(req, UST_TRACE_TIMER, "tcp_check_req",
			      "retransmitted SYN: SYN-ACK resent, timer %llu ms", (unsigned long long)when);
	}
	return NULL;
}

struct ust_sock *tcp_check_req(struct ust_sock *lsk, struct tcp_seg *seg, struct request_sock *req)
{
	struct ust_tcp *tcp = lsk->tcp;
	uint8_t flg = seg->th.flags & (UST_TCP_RST | UST_TCP_SYN | UST_TCP_ACK);
	bool has_ts = req->tstamp_ok && (seg->opt.present & UST_TCPOPT_F_TIMESTAMP);
	bool paws_reject = req_paws_reject(req, seg, tcp_time_s(tcp));
	uint32_t rcv_nxt = req->rcv_isn + 1;
	struct ust_sock *child;

	if (seg->seq == req->rcv_isn && flg == UST_TCP_SYN && !paws_reject)
		return retransmitted_syn(lsk, req);
	if ((flg & UST_TCP_ACK) && seg->ack_seq != req->snt_isn + 1)
		return lsk;
	if (paws_reject || !tcp_in_window(seg->seq, seg->end_seq, rcv_nxt, rcv_nxt + req->rcv_wnd)) {
		if (!(flg & UST_TCP_RST) &&
		    !tcp_oow_rate_limited(tcp, &req->last_oow_ack_time, LINUX_MIB_TCPACKSKIPPEDSYNRECV))
			tcp_v4_reqsk_send_ack(req, seg);
		if (paws_reject)
			UST_INC_STATS(tcp->core, LINUX_MIB_PAWSESTABREJECTED);
		return NULL;
	}
	if (has_ts && !after(seg->seq, rcv_nxt))
		req->ts_recent = seg->opt.tsval;
	if (seg->seq == req->rcv_isn)
		flg &= (uint8_t)~UST_TCP_SYN;     /* a SYN at rcv_isn counts as out of window */
	if (flg & (UST_TCP_RST | UST_TCP_SYN)) {
		UST_INC_STATS(tcp->core, TCP_MIB_ATTEMPTFAILS);
		return embryonic_reset(lsk, seg, req);
	}
	if (!(flg & UST_TCP_ACK))
		return NULL;
	if (req->num_timeout < lsk->defer_accept && seg->end_seq == req->rcv_isn + 1) {
		req->acked = 1;
		UST_INC_STATS(tcp->core, LINUX_MIB_TCPDEFERACCEPTDROP);
		tcp_trace_req(req, UST_TRACE_DROP, "tcp_check_req", "bare ACK dropped (TCP_DEFER_ACCEPT)");
		return NULL;
	}
	child = tcp_v4_syn_recv_sock(lsk, seg, req);
	if (!child) {
		if (!tcp->core->sysctl.tcp_abort_on_overflow) {
			req->acked = 1;
			tcp_trace_req(req, UST_TRACE_DROP, "tcp_check_req",
				      "accept queue full: final ACK dropped, request kept");
			return NULL;
		}
		return embryonic_reset(lsk, seg, req);
	}
	return inet_csk_complete_hashdance(lsk, child, req, true);
}

/* What the child takes from its listener (H-2): options and settings, not the
 * file flags, not the queues, not the port bucket (joined separately). */
static void inherit_from_listener(struct ust_sock *child, const struct ust_sock *lsk)
{
	child->sk_common.skc_reuse = lsk->sk_common.skc_reuse;
	child->sk_common.skc_reuseport = lsk->sk_common.skc_reuseport;
	child->sk_common.skc_bound_dev_if = lsk->sk_bound_dev_if;
	child->sk_rcvbuf = lsk->sk_rcvbuf;
	child->sk_sndbuf = lsk->sk_sndbuf;
	child->sk_rcvbuf_locked = lsk->sk_rcvbuf_locked;
	child->sk_sndbuf_locked = lsk->sk_sndbuf_locked;
	child->sk_rcvtimeo = lsk->sk_rcvtimeo;
	child->sk_sndtimeo = lsk->sk_sndtimeo;
	child->user_mss = lsk->user_mss;
	child->icsk_syn_retries = lsk->icsk_syn_retries;
	child->sk_flags = lsk->sk_flags & (SOCK_LINGER | SOCK_KEEPOPEN);
	child->sk_lingertime = lsk->sk_lingertime;
	child->keepalive_time = lsk->keepalive_time;
	child->keepalive_intvl = lsk->keepalive_intvl;
	child->keepalive_probes = lsk->keepalive_probes;
	child->linger2 = lsk->linger2;
}

/* H-3: the child's sequence state and options come from the request. */
struct ust_sock *tcp_create_openreq_child(struct ust_sock *lsk, struct request_sock *req, struct tcp_seg *seg)
{
	struct ust_tcp *tcp = lsk->tcp;
	struct ust_sock *sk = tcp_sock_alloc(tcp);

	if (!sk)
		return NULL;
	inherit_from_listener(sk, lsk);
	sk->sk_common.skc_addrpair = req->__req_common.skc_addrpair;
	sk->sk_common.skc_portpair = req->__req_common.skc_portpair;
	sk->sk_state = TCP_SYN_RECV;
	sk->parent = lsk;
	sk->rcv_nxt = sk->rcv_wup = sk->copied_seq = req->rcv_isn + 1;
	sk->snd_una = sk->snd_nxt = sk->write_seq = req->snt_isn + 1;
	sk->snd_wl1 = req->rcv_isn;
	sk->tstamp_ok = req->tstamp_ok;
	sk->sack_ok = req->sack_ok;
	sk->wscale_ok = req->wscale_ok;
	sk->rcv_wnd = sk->rcv_ssthresh = req->rcv_wnd;
	if (req->wscale_ok) {
		sk->snd_wscale = req->snd_wscale;
		sk->rcv_wscale = req->rcv_wscale;
		sk->window_clamp = 65535u << req->rcv_wscale;
	} else {
		sk->snd_wscale = sk->rcv_wscale = 0;
		sk->window_clamp = 65535u;
	}
	if (lsk->window_clamp)
		sk->window_clamp = UST_MIN(sk->window_clamp, lsk->window_clamp);
	sk->snd_wnd = sk->max_window = (uint32_t)seg->th.window << sk->snd_wscale;
	sk->mss_clamp = req->mss;
	if (req->tstamp_ok) {
		sk->ts_recent = req->ts_recent;
		sk->ts_recent_stamp = tcp_time_s(tcp);
		sk->tcp_header_len = UST_TCP_HLEN + 12;
	} else {
		sk->tcp_header_len = UST_TCP_HLEN;
	}
	sk->tsoffset = req->ts_off;
	sk->icsk_rto = TCP_TIMEOUT_INIT;
	sk->total_retrans = req->num_retrans;
	/* sender: the SYN-ACK's send time gives the first RTT sample; a cookie's
	 * request was never hashed and has none. */
	sk->retrans_stamp = req->snt_synack;
	sk->syn_rtt_ok = !ust_hlist_unhashed(&req->__req_common.skc_node);
	sk->nonagle = lsk->nonagle;
	sk->icsk_ca_ops = lsk->icsk_ca_ops;   /* TCP_CONGESTION on the listener */
	UST_INC_STATS(tcp->core, TCP_MIB_PASSIVEOPENS);
	return sk;
}

/*
 * tcp_child_process: the final ACK goes on to the child (SYN_RECV ->
 * ESTABLISHED); a child that left SYN_RECV wakes the listener's accept().
 * Returns 1 when the caller must reset.
 */
int tcp_child_process(struct ust_sock *parent, struct ust_sock *child, struct tcp_seg *seg)
{
	int state = child->sk_state;
	int ret = tcp_rcv_state_process(child, seg);

	if (state == TCP_SYN_RECV && child->sk_state != state)
		tcp_wake(parent);
	return ret;
}
