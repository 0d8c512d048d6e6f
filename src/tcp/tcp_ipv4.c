/*
 * TCP over IPv4: the receive entry point and the connection-setup calls that
 * Linux keeps in tcp_ipv4.c (plus tcp_conn_request, which it keeps in
 * tcp_input.c).
 *
 *   tcp_v4_rcv: InSegs, header and checksum checks, then ehash (request socks
 *   included) and only then the listeners; nothing found -> RST (L-1..L-3).
 *   tcp_v4_connect: route and source address, SYN_SENT, port and ehash,
 *   ISN and timestamp offset, SYN (§2, §3, C-1).
 *   tcp_v4_conn_request: SYN-queue and accept-queue limits, cookies, the
 *   request sock and its SYN-ACK (Q-1).
 *   tcp_v4_syn_recv_sock: the child socket from a request (H-1..H-6).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "netdev/netdev.h"
#include "tcp/syncookies.h"
#include "wire/icmp.h"
#include "tcp/tcp.h"

static void trace_in(struct ust_tcp *tcp, const struct tcp_seg *seg, const char *where)
{
	struct ust_trace_who who = {
		.object = "pkt", .laddr = seg->daddr, .lport = ntohs(seg->th.dport),
		.raddr = seg->saddr, .rport = ntohs(seg->th.sport),
	};

	ust_trace_emit(&tcp->core->trace, tcp->core->now, UST_TRACE_PKT_IN, "tcp_v4_rcv", &who, 0, 0,
		       "< %s%s%s%s%s seq %u ack %u win %u len %zu -> %s",
		       tcp_flag(seg, UST_TCP_SYN) ? "S" : "", tcp_flag(seg, UST_TCP_FIN) ? "F" : "",
		       tcp_flag(seg, UST_TCP_RST) ? "R" : "", tcp_flag(seg, UST_TCP_PSH) ? "P" : "",
		       tcp_flag(seg, UST_TCP_ACK) ? "." : "", seg->seq, seg->ack_seq, seg->th.window,
		       seg->th.payload_len, where);
}

int tcp_v4_do_rcv(struct ust_sock *sk, struct tcp_seg *seg)
{
	if (sk->sk_state == TCP_LISTEN && tcp_flag(seg, UST_TCP_ACK) &&
	    !(seg->th.flags & (UST_TCP_SYN | UST_TCP_RST)) && sk->tcp->core->sysctl.tcp_syncookies) {
		/* L-4 (a): an ACK may carry a SYN cookie. */
		struct ust_sock *nsk = cookie_v4_check(sk, seg);

		if (!nsk)
			return 0;
		if (nsk != sk) {
			if (tcp_child_process(sk, nsk, seg))
				tcp_v4_send_reset(sk->tcp, nsk, seg);
			return 0;
		}
	}
	if (tcp_rcv_state_process(sk, seg))
		tcp_v4_send_reset(sk->tcp, sk, seg);
	return 0;
}

/* A segment that matched a request sock (L-5, then §10). */
static void rcv_request(struct ust_tcp *tcp, struct request_sock *req, struct tcp_seg *seg)
{
	struct ust_sock *lsk = req->rsk_listener;
	struct ust_sock *nsk = tcp_check_req(lsk, seg, req);

	if (!nsk)
		return;
	if (nsk == lsk) {
		tcp_v4_do_rcv(lsk, seg);
		return;
	}
	if (tcp_child_process(lsk, nsk, seg))
		tcp_v4_send_reset(tcp, nsk, seg);
}

static int parse_segment(struct ust_tcp *tcp, struct tcp_seg *seg, struct ust_pkt *pkt)
{
	int err = ust_tcp_parse(pkt->data, pkt->len, &seg->th);

	if (err) {
		if (err == -EBADMSG)
			UST_INC_STATS(tcp->core, TCP_MIB_INERRS);    /* doff < 5 */
		return err;
	}
	if (!ust_tcp_csum_ok(pkt->data, pkt->len, seg->saddr, seg->daddr)) {
		UST_INC_STATS(tcp->core, TCP_MIB_CSUMERRORS);
		UST_INC_STATS(tcp->core, TCP_MIB_INERRS);
		return -EBADMSG;
	}
	/* Malformed option space: keep what came before it, as Linux does. */
	ust_tcp_parse_opts(seg->th.opts, seg->th.opt_len, &seg->opt);
	seg->seq = seg->th.seq;
	seg->ack_seq = seg->th.ack;
	seg->end_seq = seg->seq + (uint32_t)seg->th.payload_len + tcp_flag(seg, UST_TCP_SYN) +
		       tcp_flag(seg, UST_TCP_FIN);
	return 0;
}

/*
 * tcp_v4_rcv's do_time_wait: the minisock's verdict. Returns the listener
 * only for a SYN that may open a new connection on the tuple: the minisock is
 * gone and the SYN goes to that listener with seg->tw_isn set. NULL: handled.
 */
static struct ust_sock *tcp_v4_rcv_timewait(struct ust_tcp *tcp, struct inet_timewait_sock *tw,
					    struct tcp_seg *seg)
{
	struct ust_sock *lsk;

	switch (tcp_timewait_state_process(tcp, tw, seg, &seg->tw_isn)) {
	case TCP_TW_SYN:
		lsk = __inet_lookup_listener(&tcp->hashinfo, seg->saddr, seg->th.sport, seg->daddr,
					     ntohs(seg->th.dport), seg->iif);
		if (lsk) {
			inet_twsk_kill(tcp, tw);
			return lsk;
		}
		seg->tw_isn = 0;
		/* No listener: the SYN is answered like any other stray segment. */
		tcp_v4_timewait_ack(tcp, tw, seg);
		break;
	case TCP_TW_ACK:
		tcp_v4_timewait_ack(tcp, tw, seg);
		break;
	case TCP_TW_RST:
		tcp_v4_send_reset(tcp, NULL, seg);
		inet_twsk_kill(tcp, tw);
		break;
	case TCP_TW_SUCCESS:
		break;
	}
	return NULL;
}

int tcp_v4_rcv(struct ust_tcp *tcp, struct ust_pkt *pkt, ust_be32 saddr, ust_be32 daddr, int iif, uint8_t tos)
{
	struct tcp_seg seg = { .pkt = pkt, .saddr = saddr, .daddr = daddr, .iif = iif, .tos = tos };
	struct inet_hashinfo *h = &tcp->hashinfo;
	struct sock_common *skc;
	struct ust_sock *sk;

	UST_INC_STATS(tcp->core, TCP_MIB_INSEGS);
	if (parse_segment(tcp, &seg, pkt))
		goto discard;
lookup:
	skc = __inet_lookup_established(h, saddr, seg.th.sport, daddr, ntohs(seg.th.dport), iif);
	if (skc && skc->skc_state == TCP_NEW_SYN_RECV) {
		struct request_sock *req = req_from_common(skc);

		if (req->rsk_listener->sk_state != TCP_LISTEN) {
			/* L-5/Z-4: the listener is gone; so is the request. Look again. */
			inet_csk_reqsk_queue_drop(req->rsk_listener, req);
			goto lookup;
		}
		if (ust_trace_on(&tcp->core->trace))
			trace_in(tcp, &seg, "request sock in ehash");
		rcv_request(tcp, req, &seg);
		goto discard;
	}
	if (skc && skc->skc_state == TCP_TIME_WAIT) {
		if (ust_trace_on(&tcp->core->trace))
			trace_in(tcp, &seg, "TIME_WAIT minisock in ehash");
		sk = tcp_v4_rcv_timewait(tcp, tw_from_common(skc), &seg);
		if (!sk)
			goto discard;
		goto listener;    /* a SYN reopening the tuple; the minisock is gone */
	}
	if (skc) {
		sk = sk_from_common(skc);
		if (ust_trace_on(&tcp->core->trace))
			trace_in(tcp, &seg, ust_tcp_state_name(sk->sk_state));
		tcp_v4_do_rcv(sk, &seg);
		goto discard;
	}
	sk = __inet_lookup_listener(h, saddr, seg.th.sport, daddr, ntohs(seg.th.dport), iif);
listener:
	if (sk) {
		if (ust_trace_on(&tcp->core->trace))
			trace_in(tcp, &seg, "listener in lhash2");
		tcp_v4_do_rcv(sk, &seg);
		goto discard;
	}
	/* L-3: no socket. */
	if (ust_trace_on(&tcp->core->trace))
		trace_in(tcp, &seg, "no socket: reset");
	tcp_v4_send_reset(tcp, NULL, &seg);
discard:
	ust_pkt_free(seg.pkt);
	return 0;
}

/* API-13: a failed attempt leaves the socket as bind() left it. */
static void connect_failed(struct ust_sock *sk)
{
	tcp_set_state(sk, TCP_CLOSE);
	sk->inet_dport = 0;
	sk->inet_daddr = 0;
	if (!(sk->sk_userlocks & SOCK_BINDADDR_LOCK))
		sk->inet_rcv_saddr = 0;
	memset(&sk->dst, 0, sizeof(sk->dst));
}

int tcp_v4_connect(struct ust_sock *sk, ust_be32 daddr, ust_be16 dport)
{
	struct ust_tcp *tcp = sk->tcp;
	struct tcp_seq_and_ts_off st;
	struct ust_rtable rt;
	int err;

	err = tcp_route_output(tcp, daddr, sk->inet_rcv_saddr, sk->sk_bound_dev_if, &rt);
	if (err)
		return err;
	if (!sk->inet_rcv_saddr)
		sk->inet_rcv_saddr = rt.saddr;           /* R-8: before the port */
	if (sk->ts_recent_stamp && sk->inet_daddr != daddr) {
		sk->ts_recent = sk->ts_recent_stamp = 0;  /* R-9 */
		sk->write_seq = 0;
	}
	sk->inet_dport = dport;
	sk->inet_daddr = daddr;
	tcp_set_state(sk, TCP_SYN_SENT);
	err = inet_hash_connect(&tcp->hashinfo, sk);
	if (err) {
		connect_failed(sk);
		return err;
	}
	tcp_trace_sk(sk, UST_TRACE_TABLE, "inet_hash_connect", "port %u chosen; in bhash and ehash", sk->inet_num);
	sk->dst = rt;
	sk->inet_id = (uint16_t)ust_rng_u32(&tcp->core->rng);
	st = secure_tcp_seq_and_ts_off(tcp, sk->inet_rcv_saddr, daddr, htons(sk->inet_num), dport);
	if (!sk->write_seq)
		sk->write_seq = st.seq;
	sk->tsoffset = st.ts_off;
	err = tcp_connect(sk);
	if (err) {
		connect_failed(sk);
		return err;
	}
	return 0;
}

/* Q-1 step 2: SYN queue full (or cookies always): cookies or drop, logged once. */
static bool tcp_syn_flood_action(struct ust_sock *lsk)
{
	struct ust_core *core = lsk->tcp->core;
	bool cookies = core->sysctl.tcp_syncookies != 0;

	UST_INC_STATS(core, cookies ? LINUX_MIB_TCPREQQFULLDOCOOKIES : LINUX_MIB_TCPREQQFULLDROP);
	if (!lsk->synflood_warned && core->sysctl.tcp_syncookies != 2) {
		lsk->synflood_warned = 1;
		tcp_trace_sk(lsk, UST_TRACE_DROP, "tcp_syn_flood_action",
			     "Possible SYN flooding on port %u. %s", lsk->inet_num,
			     cookies ? "Sending cookies." : "Dropping request.");
	}
	return cookies;
}

/* tcp_openreq_init and tcp_openreq_init_rwin: the request from the SYN. */
static void tcp_openreq_init(struct request_sock *req, struct ust_sock *lsk, const struct tcp_seg *seg,
			     bool want_cookie, const struct ust_rtable *rt)
{
	struct ust_tcp *tcp = lsk->tcp;
	bool wscale_ok, sack_ok, tstamp_ok;
	uint32_t clamp = lsk->window_clamp;
	uint8_t snd_wscale, rcv_wscale;
	uint16_t mss;

	tcp_syn_options_apply(tcp, &seg->opt, lsk->user_mss, &mss, &wscale_ok, &snd_wscale, &sack_ok, &tstamp_ok);
	if (want_cookie && !tstamp_ok)
		wscale_ok = sack_ok = false;    /* only MSS survives a cookie without TS */
	req->__req_common.skc_rcv_saddr = seg->daddr;
	req->__req_common.skc_daddr = seg->saddr;
	req->__req_common.skc_dport = seg->th.sport;
	req->__req_common.skc_num = ntohs(seg->th.dport);
	req->ir_iif = seg->iif;
	req->rcv_isn = seg->seq;
	req->mss = mss;
	req->wscale_ok = wscale_ok;
	req->snd_wscale = snd_wscale;
	req->sack_ok = sack_ok;
	req->tstamp_ok = tstamp_ok;
	req->ts_recent = tstamp_ok ? seg->opt.tsval : 0;
	req->ecn_ok = (seg->th.flags & (UST_TCP_ECE | UST_TCP_CWR)) == (UST_TCP_ECE | UST_TCP_CWR) &&
		      tcp->core->sysctl.tcp_ecn;
	mss = tcp_advertise_mss(rt, lsk->user_mss);
	tcp_select_initial_window(lsk, mss - (tstamp_ok ? 12u : 0u), &req->rcv_wnd, &clamp,
				  wscale_ok, &rcv_wscale);
	req->rcv_wscale = rcv_wscale;
}

int tcp_v4_conn_request(struct ust_sock *lsk, struct tcp_seg *seg)
{
	struct ust_tcp *tcp = lsk->tcp;
	const struct ust_sysctl *sc = &tcp->core->sysctl;
	struct tcp_seq_and_ts_off st = { 0, 0 };
	struct request_sock *req;
	struct ust_rtable rt;
	bool want_cookie = false;
	if (sc->tcp_syncookies == 2 || inet_csk_reqsk_queue_is_full(lsk)) {
		want_cookie = tcp_syn_flood_action(lsk);
		if (!want_cookie)
			goto drop;
	}
	if (sk_acceptq_is_full(lsk)) {
		UST_INC_STATS(tcp->core, LINUX_MIB_LISTENOVERFLOWS);
		tcp_trace_sk(lsk, UST_TRACE_DROP, "tcp_conn_request",
			     "accept queue full (%u queued > backlog %u): SYN dropped, ListenOverflows",
			     lsk->sk_ack_backlog, lsk->sk_max_ack_backlog);
		goto drop;
	}
	req = inet_reqsk_alloc(lsk);
	if (!req)
		goto drop;
	if (tcp_route_output(tcp, seg->saddr, seg->daddr, lsk->sk_bound_dev_if, &rt))
		goto drop_and_free;
	tcp_openreq_init(req, lsk, seg, want_cookie, &rt);
	/* Q-1 step 6: without cookies the last quarter of tcp_max_syn_backlog is
	 * kept for peers tcp_metrics knows; ustack keeps no metrics, so none is. */
	if (!want_cookie && !sc->tcp_syncookies &&
	    (uint32_t)sc->tcp_max_syn_backlog - lsk->qlen < ((uint32_t)sc->tcp_max_syn_backlog >> 2))
		goto drop_and_free;
	/* One hash for both, computed only when one of them is needed. */
	if (req->tstamp_ok || !want_cookie)
		st = secure_tcp_seq_and_ts_off(tcp, seg->daddr, seg->saddr, seg->th.dport, seg->th.sport);
	if (req->tstamp_ok)
		req->ts_off = st.ts_off;
	if (want_cookie) {
		uint32_t now = tcp_time_ms(tcp);

		req->snt_isn = cookie_v4_init_sequence(lsk, seg, &req->mss);
		/* K-3: the SYN-ACK's TSval carries the options; tcp_send_synack adds
		 * ts_off to the clock, so fold the difference into it. */
		if (req->tstamp_ok)
			req->ts_off += cookie_init_timestamp(req, now) - now;
		tcp_send_synack(req, &rt, false);
		reqsk_free(req);
		return 0;
	}
	/* A SYN that reopened a TIME_WAIT tuple starts past the old connection. */
	req->snt_isn = seg->tw_isn ? seg->tw_isn : st.seq;
	inet_csk_reqsk_queue_hash_add(lsk, req, TCP_TIMEOUT_INIT);
	req->snt_synack = tcp_time_ms(tcp);
	tcp_send_synack(req, &rt, false);
	return 0;

drop_and_free:
	reqsk_free(req);
drop:
	UST_INC_STATS(tcp->core, LINUX_MIB_LISTENDROPS);
	return 0;
}

/* H-1..H-4, H-6: the child, in ehash in the request's place (or, for a cookie,
 * simply inserted). The caller moves it to the accept queue. NULL when the
 * accept queue is full or the child cannot be made. */
struct ust_sock *tcp_v4_syn_recv_sock(struct ust_sock *lsk, struct tcp_seg *seg, struct request_sock *req)
{
	struct ust_tcp *tcp = lsk->tcp;
	struct ust_sock *child;
	struct ust_rtable rt;

	if (sk_acceptq_is_full(lsk)) {
		UST_INC_STATS(tcp->core, LINUX_MIB_LISTENOVERFLOWS);
		tcp_trace_sk(lsk, UST_TRACE_DROP, "tcp_v4_syn_recv_sock",
			     "accept queue full (%u queued > backlog %u): no child, ListenOverflows",
			     lsk->sk_ack_backlog, lsk->sk_max_ack_backlog);
		goto drop;
	}
	if (tcp_route_output(tcp, req->ireq_rmt_addr, req->ireq_loc_addr, lsk->sk_bound_dev_if, &rt))
		goto drop;
	child = tcp_create_openreq_child(lsk, req, seg);
	if (!child)
		goto drop;
	child->dst = rt;
	child->inet_id = (uint16_t)ust_rng_u32(&tcp->core->rng);
	child->advmss = tcp_advertise_mss(&rt, child->user_mss);
	__inet_inherit_port(&tcp->hashinfo, lsk, child);
	/* A cookie's request was never hashed: the child simply goes in. */
	if (inet_ehash_insert(&tcp->hashinfo, &child->sk_common,
			      ust_hlist_unhashed(&req->__req_common.skc_node) ? NULL : &req->__req_common)) {
		inet_put_port(&tcp->hashinfo, child);
		tcp_sock_free(child);
		goto drop;
	}
	tcp_trace_sk(child, UST_TRACE_TABLE, "tcp_v4_syn_recv_sock",
		     "child created in SYN_RECV; took the request's place in ehash, joined port %u in bhash",
		     child->inet_num);
	return child;
drop:
	UST_INC_STATS(tcp->core, LINUX_MIB_LISTENDROPS);
	return NULL;
}

/* icmp_err_convert: errno and "hard" for each destination-unreachable code. */
static const struct {
	int err;
	bool fatal;
} icmp_unreach_errs[] = {
	{ ENETUNREACH, false },  { EHOSTUNREACH, false }, { ENOPROTOOPT, true },  { ECONNREFUSED, true },
	{ EMSGSIZE, false },     { EOPNOTSUPP, false },   { ENETUNREACH, true },  { EHOSTDOWN, true },
	{ ENONET, true },        { ENETUNREACH, true },   { EHOSTUNREACH, true }, { ENETUNREACH, false },
	{ EHOSTUNREACH, false }, { EHOSTUNREACH, true },  { EHOSTUNREACH, true }, { EHOSTUNREACH, true },
};

/* Q-4, tcp_req_err: only the ICMP for our exact SYN-ACK counts. */
static void tcp_req_err(struct request_sock *req, uint32_t seq, bool abort)
{
	struct ust_sock *lsk = req->rsk_listener;

	if (seq != req->snt_isn) {
		UST_INC_STATS(lsk->tcp->core, LINUX_MIB_OUTOFWINDOWICMPS);
	} else if (abort) {
		inet_csk_reqsk_queue_drop(lsk, req);
		UST_INC_STATS(lsk->tcp->core, LINUX_MIB_LISTENDROPS);
	}
}

/* The errno an ICMP error maps to, or 0 when it is not an error for TCP
 * (redirect, source quench, fragmentation needed: a PMTU matter). */
static int icmp_to_errno(const struct ust_icmp_err *e)
{
	switch (e->type) {
	case UST_ICMP_PARAMETERPROB:
		return EPROTO;
	case UST_ICMP_TIME_EXCEEDED:
		return EHOSTUNREACH;
	case UST_ICMP_DEST_UNREACH:
		if (e->code >= UST_ARRAY_SIZE(icmp_unreach_errs) || e->code == UST_ICMP_FRAG_NEEDED)
			return 0;
		return icmp_unreach_errs[e->code].err;
	default:
		return 0;
	}
}

/*
 * tcp_v4_err (API-11a): an ICMP error quoting one of our segments. In SYN_SENT
 * and SYN_RECV it ends the attempt at once; otherwise it is kept as a soft
 * error that a later timeout reports.
 */
static void tcp_v4_err(void *ctx, const struct ust_icmp_err *e)
{
	struct ust_tcp *tcp = ctx;
	struct sock_common *skc;
	struct ust_sock *sk;
	int err;

	skc = __inet_lookup_established(&tcp->hashinfo, e->daddr, e->dport, e->saddr, ntohs(e->sport), e->ifindex);
	if (!skc) {
		UST_INC_STATS(tcp->core, ICMP_MIB_INERRORS);
		return;
	}
	if (skc->skc_state == TCP_TIME_WAIT)
		return;     /* nothing left to tell */
	if (skc->skc_state == TCP_NEW_SYN_RECV) {
		tcp_req_err(req_from_common(skc), e->seq,
			    e->type == UST_ICMP_PARAMETERPROB || e->type == UST_ICMP_TIME_EXCEEDED ||
			    (e->type == UST_ICMP_DEST_UNREACH &&
			     (e->code == UST_ICMP_NET_UNREACH || e->code == UST_ICMP_HOST_UNREACH)));
		return;
	}
	sk = sk_from_common(skc);
	if (sk->sk_state == TCP_CLOSE)
		return;
	if (!between(e->seq, sk->snd_una, sk->snd_nxt)) {
		UST_INC_STATS(tcp->core, LINUX_MIB_OUTOFWINDOWICMPS);
		return;
	}
	err = icmp_to_errno(e);
	if (!err)
		return;
	tcp_trace_sk(sk, UST_TRACE_DROP, "tcp_v4_err", "ICMP type %u code %u: errno %d", e->type, e->code, err);
	if (sk->sk_state == TCP_SYN_SENT || sk->sk_state == TCP_SYN_RECV) {
		sk->sk_err = err;
		tcp_done(sk);
		return;
	}
	sk->sk_err_soft = err;
}

static void tcp_v4_rcv_handler(void *ctx, struct ust_pkt *pkt, const struct ust_ipv4_info *iph)
{
	tcp_v4_rcv(ctx, pkt, iph->saddr, iph->daddr, pkt->dev ? pkt->dev->ifindex : 0, iph->tos);
}

/* Registers TCP with IPv4 (Linux's tcp_protocol in inet_protos). */
int tcp_v4_add_protocol(struct ust_tcp *tcp)
{
	static const struct ust_inet_protocol tcp_protocol = {
		.handler = tcp_v4_rcv_handler,
		.err_handler = tcp_v4_err,
	};

	return ust_inet_add_protocol(tcp->ip, UST_IPPROTO_TCP, &tcp_protocol, tcp);
}
