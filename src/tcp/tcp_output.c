/*
 * Building and sending segments: SYN (tcp_connect), SYN-ACK (for a request sock
 * and for a socket in simultaneous open), ACK, RST, challenge ACK, with the
 * options and windows Linux puts in each (spec §5).
 *
 * Every segment goes through tcp_xmit(): one packet from the pool, header and
 * options written in place, checksum, then IPv4. No allocation besides the
 * packet, no second pass over the bytes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include "tcp/tcp.h"
#include "wire/csum.h"

/* What tcp_xmit needs to know about one segment. */
struct tcp_out {
	const struct ust_rtable *rt;
	uint16_t *inet_id;                 /* the socket's IP ID counter, or NULL */
	ust_be32 saddr, daddr;
	ust_be16 sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t window;
	const struct ust_tcp_opts *opts;   /* NULL: none */
	const void *data;
	uint32_t len;
	uint8_t tos;
};

static const char *flag_str(uint8_t f, char *buf)
{
	char *p = buf;

	if (f & UST_TCP_SYN) *p++ = 'S';
	if (f & UST_TCP_FIN) *p++ = 'F';
	if (f & UST_TCP_RST) *p++ = 'R';
	if (f & UST_TCP_PSH) *p++ = 'P';
	if (f & UST_TCP_ACK) *p++ = '.';
	*p = 0;
	return buf;
}

static void trace_out(struct ust_tcp *tcp, const struct tcp_out *o)
{
	struct ust_trace_who who = {
		.object = "pkt", .laddr = o->saddr, .lport = ntohs(o->sport),
		.raddr = o->daddr, .rport = ntohs(o->dport),
	};
	char f[8];

	ust_trace_emit(&tcp->core->trace, tcp->core->now, UST_TRACE_PKT_OUT, "tcp_transmit_skb", &who, 0, 0,
		       "> %s seq %u ack %u win %u len %u", flag_str(o->flags, f), o->seq, o->ack, o->window, o->len);
}

static int tcp_xmit(struct ust_tcp *tcp, const struct tcp_out *o)
{
	struct ust_pkt *pkt = ust_pkt_alloc(&tcp->core->pool);
	uint8_t opt_buf[UST_TCP_OPT_SPACE];
	struct ust_tcp_info th = {
		.sport = o->sport, .dport = o->dport, .seq = o->seq, .ack = o->ack,
		.flags = o->flags, .window = o->window, .opts = opt_buf,
	};
	uint8_t *p;
	int olen = 0, hlen;

	if (!pkt) {
		UST_INC_STATS(tcp->core, IPSTATS_MIB_OUTDISCARDS);
		return -ENOBUFS;
	}
	if (o->opts) {
		olen = ust_tcp_write_opts(opt_buf, sizeof(opt_buf), o->opts);
		if (olen < 0)
			olen = 0;
	}
	th.opt_len = (size_t)olen;
	p = ust_pkt_put(pkt, UST_TCP_HLEN + (uint32_t)olen + o->len);
	if (!p) {
		ust_pkt_free(pkt);
		return -EMSGSIZE;
	}
	hlen = ust_tcp_build(p, UST_TCP_HLEN + (size_t)olen, &th);
	if (o->len)
		memcpy(p + hlen, o->data, o->len);
	ust_tcp_fill_csum(p, pkt->len, o->saddr, o->daddr);
	UST_INC_STATS(tcp->core, TCP_MIB_OUTSEGS);
	if (o->flags & UST_TCP_RST)
		UST_INC_STATS(tcp->core, TCP_MIB_OUTRSTS);
	if (ust_trace_on(&tcp->core->trace))
		trace_out(tcp, o);
	struct ust_ip_tx tx = {
		.saddr = o->saddr, .daddr = o->daddr, .protocol = UST_IPPROTO_TCP,
		.tos = o->tos, .df = true, .inet_id = o->inet_id,
	};

	return ust_ip_queue_xmit(tcp->ip, pkt, o->rt, &tx);
}

int tcp_route_output(struct ust_tcp *tcp, ust_be32 daddr, ust_be32 saddr, int oif, struct ust_rtable *rt)
{
	struct ust_flowi4 fl = { .daddr = daddr, .saddr = saddr, .oif = oif, .proto = UST_IPPROTO_TCP };
	int err = ust_ip_route_output(tcp->ip, &fl, rt);

	if (err)
		return err;
	if (rt->type == UST_RTN_BROADCAST || rt->type == UST_RTN_MULTICAST)
		return -ENETUNREACH;
	return 0;
}

/* O-1: MSS to advertise: the route's advmss (MTU - 40, at least 256),
 * clamped by TCP_MAXSEG. */
uint16_t tcp_advertise_mss(const struct ust_rtable *rt, uint16_t user_mss)
{
	uint32_t mss = rt->advmss;

	if (mss < IP_RT_MIN_ADVMSS)
		mss = IP_RT_MIN_ADVMSS;
	if (mss > 65535 - 40)
		mss = 65535 - 40;
	if (user_mss && user_mss < mss)
		mss = user_mss;
	return (uint16_t)mss;
}

/*
 * O-6, tcp_select_initial_window: half the receive buffer (tcp_full_space),
 * rounded down to whole segments; the shift is the smallest that lets the
 * largest buffer the socket could grow to (tcp_rmem[2], rmem_max) fit 16 bits.
 */
void tcp_select_initial_window(const struct ust_sock *sk, uint32_t mss, uint32_t *rcv_wnd,
			       uint32_t *window_clamp, bool wscale_ok, uint8_t *rcv_wscale)
{
	const struct ust_sysctl *sc = &sk->tcp->core->sysctl;
	uint32_t space = (uint32_t)sk->sk_rcvbuf / 2;
	uint8_t wscale = 0;

	/* A receive buffer the user fixed with SO_RCVBUF also fixes the largest
	 * window (tcp_connect_init, tcp_openreq_init_rwin), so the shift is small. */
	if (sk->sk_rcvbuf_locked && (*window_clamp > space || !*window_clamp))
		*window_clamp = space;
	if (*window_clamp == 0)
		*window_clamp = 65535U << TCP_MAX_WSCALE;
	space = UST_MIN(*window_clamp, space);
	if (space > mss)
		space = space / mss * mss;
	*rcv_wnd = space;
	if (wscale_ok) {
		uint32_t big = UST_MAX(space, (uint32_t)UST_MAX(sc->tcp_rmem[2], sc->rmem_max));

		big = UST_MIN(*window_clamp, big);
		while (wscale < TCP_MAX_WSCALE && (big >> wscale) > 65535)
			wscale++;
	}
	*rcv_wscale = wscale;
	*window_clamp = UST_MIN(*window_clamp, 65535U << wscale);
}

static void sk_out(struct ust_sock *sk, struct tcp_out *o)
{
	memset(o, 0, sizeof(*o));
	o->rt = &sk->dst;
	o->inet_id = &sk->inet_id;
	o->saddr = sk->inet_rcv_saddr;
	o->daddr = sk->inet_daddr;
	o->sport = htons(sk->inet_num);
	o->dport = sk->inet_dport;
}

/* O-3: the SYN's options, each only if its sysctl is on. */
static void tcp_syn_options(struct ust_sock *sk, struct ust_tcp_opts *o)
{
	const struct ust_sysctl *sc = &sk->tcp->core->sysctl;

	memset(o, 0, sizeof(*o));
	o->present = UST_TCPOPT_F_MSS;
	o->mss = sk->advmss;
	if (sc->tcp_timestamps) {
		o->present |= UST_TCPOPT_F_TIMESTAMP;
		o->tsval = tcp_time_ms(sk->tcp) + sk->tsoffset;
		o->tsecr = sk->ts_recent;
	}
	if (sc->tcp_window_scaling) {
		o->present |= UST_TCPOPT_F_WSCALE;
		o->wscale = sk->rcv_wscale;
	}
	if (sc->tcp_sack)
		o->present |= UST_TCPOPT_F_SACK_PERM;
}

static const struct ust_tcp_opts *tcp_established_options(struct ust_sock *sk, struct ust_tcp_opts *o)
{
	memset(o, 0, sizeof(*o));
	if (sk->tstamp_ok) {
		o->present = UST_TCPOPT_F_TIMESTAMP;
		o->tsval = tcp_time_ms(sk->tcp) + sk->tsoffset;
		o->tsecr = sk->ts_recent;
	}
	tcp_sack_options(sk, o);   /* the receiver's SACK and D-SACK blocks (tcp_rcv.c) */
	return o->present ? o : NULL;
}

/*
 * Our SYN (and, in simultaneous open, our SYN-ACK: the same segment with ACK
 * added, as tcp_send_synack does for a full socket). Same ISN every time.
 */
int tcp_send_syn(struct ust_sock *sk, bool retrans)
{
	struct ust_tcp_opts opts;
	struct tcp_out o;

	sk_out(sk, &o);
	tcp_syn_options(sk, &opts);
	o.opts = &opts;
	o.seq = sk->snd_una;
	o.flags = UST_TCP_SYN;
	if (sk->sk_state == TCP_SYN_RECV) {
		o.flags |= UST_TCP_ACK;
		o.ack = sk->rcv_nxt;
	}
	o.window = (uint16_t)UST_MIN(sk->rcv_wnd, 65535u);   /* RFC 7323 2.3: never scaled */
	if (retrans) {
		UST_INC_STATS(sk->tcp->core, TCP_MIB_RETRANSSEGS);
		UST_INC_STATS(sk->tcp->core, LINUX_MIB_TCPSYNRETRANS);
		sk->total_retrans++;
	}
	return tcp_xmit(sk->tcp, &o);
}

/*
 * C-1, tcp_connect_init + tcp_connect: sequence state, MSS and window, then the
 * SYN, ActiveOpens, and the retransmit timer at the initial RTO.
 */
int tcp_connect(struct ust_sock *sk)
{
	struct ust_tcp *tcp = sk->tcp;
	const struct ust_sysctl *sc = &tcp->core->sysctl;
	uint32_t clamp = sk->window_clamp;
	int err;

	sk->tcp_header_len = UST_TCP_HLEN + (sc->tcp_timestamps ? 12 : 0);
	sk->advmss = tcp_advertise_mss(&sk->dst, sk->user_mss);
	sk->mss_clamp = sk->user_mss ? sk->user_mss : 65535;
	sk->mss_cache = UST_MIN(sk->advmss, TCP_MSS_DEFAULT);
	tcp_select_initial_window(sk, sk->advmss, &sk->rcv_wnd, &clamp,
				  sc->tcp_window_scaling != 0, &sk->rcv_wscale);
	sk->window_clamp = clamp;
	sk->rcv_ssthresh = sk->rcv_wnd;
	sk->snd_una = sk->write_seq;
	sk->snd_nxt = sk->write_seq;
	sk->rcv_nxt = 0;
	sk->rcv_wup = 0;
	sk->copied_seq = 0;
	sk->icsk_rto = TCP_TIMEOUT_INIT;
	sk->icsk_retransmits = 0;
	sk->retrans_stamp = tcp_time_ms(tcp);
	sk->syn_rtt_ok = 1;
	sk->write_seq++;              /* the SYN takes one sequence number */
	err = tcp_send_syn(sk, false);
	if (err == -ENOBUFS)
		return err;
	sk->snd_nxt = sk->write_seq;
	UST_INC_STATS(tcp->core, TCP_MIB_ACTIVEOPENS);
	tcp_reset_xmit_timer(sk, sk->icsk_rto);
	return 0;
}

/*
 * A segment with no data from a synchronized socket: <SEQ=SND.NXT>
 * <ACK=RCV.NXT><CTL=flags|ACK>, its timestamps and current window, as
 * tcp_transmit_skb builds every such segment.
 */
static int tcp_send_ctl(struct ust_sock *sk, uint8_t flags)
{
	struct ust_tcp_opts opts;
	struct tcp_out o;

	sk_out(sk, &o);
	o.opts = tcp_established_options(sk, &opts);
	o.seq = sk->snd_nxt;
	o.ack = sk->rcv_nxt;
	o.flags = flags | UST_TCP_ACK;
	o.window = tcp_select_window(sk);
	return tcp_xmit(sk->tcp, &o);
}

void tcp_send_ack(struct ust_sock *sk)
{
	tcp_send_ctl(sk, 0);
}

/* A RST for a socket we abort (Z-3): <SEQ=SND.NXT><CTL=RST,ACK>. */
void tcp_send_active_reset(struct ust_sock *sk)
{
	tcp_send_ctl(sk, UST_TCP_RST);
}

/* at most one per tcp_invalid_ratelimit per socket. */
/*
 * at most one per tcp_invalid_ratelimit per socket, and, unless
 * tcp_challenge_ack_limit is INT_MAX (the default), about that many per
 * second for the whole stack: a random budget in [limit/2, limit*3/2) each
 * second, so an attacker cannot count them (RFC 5961 10, CVE-2016-5696).
 */
void tcp_send_challenge_ack(struct ust_sock *sk)
{
	struct ust_tcp *tcp = sk->tcp;
	uint32_t limit = (uint32_t)tcp->core->sysctl.tcp_challenge_ack_limit, now;

	if (tcp_oow_rate_limited(tcp, &sk->last_oow_ack_time, LINUX_MIB_TCPACKSKIPPEDCHALLENGE))
		return;
	if (limit != INT32_MAX) {
		now = tcp_time_s(tcp) + 1;   /* 0: no second yet */
		if (now != tcp->challenge_timestamp) {
			uint32_t half = (limit + 1) >> 1;

			tcp->challenge_timestamp = now;
			tcp->challenge_count = limit ? half + ust_rng_below(&tcp->core->rng, limit) : 0;
		}
		if (!tcp->challenge_count)
			return;
		tcp->challenge_count--;
	}
	UST_INC_STATS(tcp->core, LINUX_MIB_TCPCHALLENGEACK);
	tcp_send_ack(sk);
}

/*
 * O-5, tcp_make_synack: echo only the options the SYN offered. The window is
 * the request's, unscaled; TSval = now + ts_off, TSecr = the peer's TSval.
 */
int tcp_send_synack(struct request_sock *req, const struct ust_rtable *rt, bool retrans)
{
	struct ust_sock *lsk = req->rsk_listener;
	struct ust_tcp *tcp = lsk->tcp;
	struct ust_tcp_opts opts = { .present = UST_TCPOPT_F_MSS };
	struct ust_rtable rt_buf;
	struct tcp_out o = {
		.saddr = req->ireq_loc_addr, .daddr = req->ireq_rmt_addr,
		.sport = htons(req->ireq_num), .dport = req->ireq_rmt_port,
		.seq = req->snt_isn, .ack = req->rcv_isn + 1, .flags = UST_TCP_SYN | UST_TCP_ACK,
		.window = (uint16_t)UST_MIN(req->rcv_wnd, 65535u), .opts = &opts,
	};

	if (!rt) {
		int err = tcp_route_output(tcp, req->ireq_rmt_addr, req->ireq_loc_addr, lsk->sk_bound_dev_if,
					   &rt_buf);

		if (err)
			return err;
		rt = &rt_buf;
	}
	o.rt = rt;
	opts.mss = tcp_advertise_mss(rt, lsk->user_mss);
	if (req->wscale_ok) {
		opts.present |= UST_TCPOPT_F_WSCALE;
		opts.wscale = req->rcv_wscale;
	}
	if (req->tstamp_ok) {
		opts.present |= UST_TCPOPT_F_TIMESTAMP;
		opts.tsval = tcp_time_ms(tcp) + req->ts_off;
		opts.tsecr = req->ts_recent;
	}
	if (req->sack_ok)
		opts.present |= UST_TCPOPT_F_SACK_PERM;
	if (retrans) {
		UST_INC_STATS(tcp->core, TCP_MIB_RETRANSSEGS);
		UST_INC_STATS(tcp->core, LINUX_MIB_TCPSYNRETRANS);
		req->num_retrans++;
	}
	return tcp_xmit(tcp, &o);
}

/* Z-1, tcp_v4_send_reset: never for a RST; SEQ=SEG.ACK if it had ACK, else
 * <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. No options. */
void tcp_v4_send_reset(struct ust_tcp *tcp, struct ust_sock *sk, const struct tcp_seg *seg)
{
	struct ust_rtable rt;
	struct tcp_out o = {
		.rt = &rt, .saddr = seg->daddr, .daddr = seg->saddr,
		.sport = seg->th.dport, .dport = seg->th.sport, .flags = UST_TCP_RST, .tos = seg->tos,
	};

	if (tcp_flag(seg, UST_TCP_RST))
		return;
	if (tcp_flag(seg, UST_TCP_ACK)) {
		o.seq = seg->ack_seq;
	} else {
		o.flags |= UST_TCP_ACK;
		o.ack = seg->end_seq;
	}
	if (tcp_route_output(tcp, seg->saddr, seg->daddr, sk ? sk->sk_bound_dev_if : 0, &rt))
		return;
	tcp_xmit(tcp, &o);
}

/* Rq-4, tcp_v4_reqsk_send_ack: <SEQ=snt_isn+1><ACK=rcv_nxt> with timestamps. */
void tcp_v4_reqsk_send_ack(struct request_sock *req, const struct tcp_seg *seg)
{
	struct ust_tcp *tcp = req->rsk_listener->tcp;
	struct ust_tcp_opts opts = { .present = UST_TCPOPT_F_TIMESTAMP };
	struct ust_rtable rt;
	struct tcp_out o = {
		.rt = &rt, .saddr = seg->daddr, .daddr = seg->saddr, .sport = seg->th.dport,
		.dport = seg->th.sport, .seq = req->snt_isn + 1, .ack = req->rcv_isn + 1,
		.flags = UST_TCP_ACK, .window = (uint16_t)UST_MIN(req->rcv_wnd >> req->rcv_wscale, 65535u),
		.tos = seg->tos,
	};

	if (req->tstamp_ok) {
		opts.tsval = tcp_time_ms(tcp) + req->ts_off;
		opts.tsecr = req->ts_recent;
		o.opts = &opts;
	}
	if (tcp_route_output(tcp, seg->saddr, seg->daddr, req->rsk_listener->sk_bound_dev_if, &rt))
		return;
	tcp_xmit(tcp, &o);
}

void tcp_v4_send_ack(struct ust_tcp *tcp, const struct tcp_seg *seg, uint32_t seq, uint32_t ack, uint16_t win,
		     const struct ust_tcp_opts *opts, int oif)
{
	struct ust_rtable rt;
	struct tcp_out o = {
		.rt = &rt, .saddr = seg->daddr, .daddr = seg->saddr, .sport = seg->th.dport,
		.dport = seg->th.sport, .seq = seq, .ack = ack, .flags = UST_TCP_ACK, .window = win,
		.opts = opts, .tos = seg->tos,
	};

	if (tcp_route_output(tcp, seg->saddr, seg->daddr, oif, &rt))
		return;
	tcp_xmit(tcp, &o);
}

/*
 * A data segment was sized for the timestamp option only (mss_cache); SACK
 * blocks on top must not push it past the path MTU. Linux makes the segment
 * smaller instead (tcp_current_mss counts the blocks, tcp_fragment splits a
 * retransmission); ustack keeps the queued segment whole and sends fewer
 * blocks, newest (and D-SACK) first, so a segment never becomes a DF packet
 * the route refuses.
 */
static void tcp_fit_sack_blocks(const struct ust_sock *sk, struct ust_tcp_opts *o, uint32_t len)
{
	uint32_t budget = (uint32_t)sk->mss_cache + sk->tcp_header_len;
	uint32_t base = UST_TCP_HLEN + ((o->present & UST_TCPOPT_F_TIMESTAMP) ? 12 : 0);

	if (!(o->present & UST_TCPOPT_F_SACK) || !sk->mss_cache)
		return;
	while (o->num_sacks && base + 4 + 8u * o->num_sacks + len > budget)
		o->num_sacks--;
	if (!o->num_sacks)
		o->present &= ~(uint32_t)UST_TCPOPT_F_SACK;
}

/* A data segment from the write queue: ACK always, PSH and FIN as queued. */
int tcp_transmit_data(struct ust_sock *sk, uint32_t seq, uint8_t flags, const void *data, uint32_t len)
{
	struct ust_tcp_opts opts;
	struct tcp_out o;

	sk_out(sk, &o);
	o.opts = tcp_established_options(sk, &opts);
	if (len && o.opts)
		tcp_fit_sack_blocks(sk, &opts, len);
	o.seq = seq;
	o.ack = sk->rcv_nxt;
	o.flags = flags | UST_TCP_ACK;
	o.window = tcp_select_window(sk);
	o.data = data;
	o.len = len;
	if (len)
		tcp_event_data_sent(sk);   /* the receiver's pingpong detection (tcp_rcv_ack.c) */
	return tcp_xmit(sk->tcp, &o);
}

/* tcp_xmit_probe_skb: an old sequence number, so the peer answers with an
 * ACK carrying its current window (zero-window and keepalive probes, RFC 9293
 * 3.8.4 and 3.8.6.1). */
int tcp_xmit_probe_skb(struct ust_sock *sk)
{
	return tcp_transmit_data(sk, sk->snd_una - 1, 0, NULL, 0);
}
