/*
 * SYN cookies, encoded and checked as Linux 6.x does (spec §9):
 *
 *   cookie = H0 + peer_ISN + (c << 24) + ((H1(c) + mssind) mod 2^24)
 *
 * with c the minute counter, H0 = SipHash(key0; tuple, 0) and
 * H1(c) = SipHash(key1; tuple, c). A cookie is good for two minutes' worth of c.
 * The peer's window scale, SACK and ECN ride in the low 6 bits of our TSval.
 */
#include <arpa/inet.h>
#include "tcp/syncookies.h"

#define COOKIEBITS 24
#define COOKIEMASK ((1u << COOKIEBITS) - 1)
#define MAX_SYNCOOKIE_AGE 2
#define SYNCOOKIE_PERIOD_MS 60000u
#define TSBITS 6
#define TS_OPT_WSCALE_MASK 0xfu
#define TS_OPT_SACK (1u << 4)
#define TS_OPT_ECN (1u << 5)

/* K-2: the MSS values a cookie can carry. */
static const uint16_t msstab[] = { 536, 1300, 1440, 1460 };

static uint32_t cookie_time(const struct ust_tcp *tcp)
{
	return (uint32_t)(tcp->core->now / 1000000ULL / SYNCOOKIE_PERIOD_MS);
}

/* The tuple as the SYN carried it: client address and port first. */
static uint32_t cookie_hash(const struct ust_tcp *tcp, const struct tcp_seg *seg, uint32_t count, int c)
{
	struct {
		ust_be32 saddr, daddr;
		uint32_t ports;
		uint32_t count;
	} in = {
		seg->saddr, seg->daddr,
		(uint32_t)seg->th.sport << 16 | seg->th.dport, count,
	};

	return (uint32_t)ust_siphash(tcp->core->secrets.cookie_secret[c], &in, sizeof(in));
}

/* tcp_synq_overflow: remember the overflow, at most once a second. */
static void tcp_synq_overflow(struct ust_sock *lsk)
{
	uint32_t now = tcp_time_ms(lsk->tcp);
	uint32_t last = lsk->synq_overflow_ts;

	if (!last || (int32_t)(now - last) < 0 || (int32_t)(now - (last + 1000)) > 0)
		lsk->synq_overflow_ts = now ? now : 1;
}

/* tcp_synq_no_recent_overflow: no overflow in the last TCP_SYNCOOKIE_VALID. */
static bool tcp_synq_no_recent_overflow(const struct ust_sock *lsk)
{
	uint32_t now = tcp_time_ms(lsk->tcp);
	uint32_t last = lsk->synq_overflow_ts;

	if (!last)
		return true;
	return (int32_t)(now - (last - 1000)) < 0 || (int32_t)(now - (last + TCP_SYNCOOKIE_VALID * 1000)) > 0;
}

uint32_t cookie_v4_init_sequence(struct ust_sock *lsk, const struct tcp_seg *seg, uint16_t *mss)
{
	struct ust_tcp *tcp = lsk->tcp;
	uint32_t count = cookie_time(tcp);
	uint32_t mssind;

	for (mssind = UST_ARRAY_SIZE(msstab) - 1; mssind; mssind--)
		if (*mss >= msstab[mssind])
			break;
	*mss = msstab[mssind];
	tcp_synq_overflow(lsk);
	UST_INC_STATS(tcp->core, LINUX_MIB_SYNCOOKIESSENT);
	return cookie_hash(tcp, seg, 0, 0) + seg->seq + (count << COOKIEBITS) +
	       ((cookie_hash(tcp, seg, count, 1) + mssind) & COOKIEMASK);
}

uint32_t cookie_init_timestamp(const struct request_sock *req, uint32_t now_ms)
{
	uint32_t options = req->wscale_ok ? req->snd_wscale : TS_OPT_WSCALE_MASK;
	uint32_t ts;

	if (req->sack_ok)
		options |= TS_OPT_SACK;
	if (req->ecn_ok)
		options |= TS_OPT_ECN;
	ts = (now_ms >> TSBITS) << TSBITS | options;
	if (after(ts, now_ms))
		ts -= 1u << TSBITS;
	return ts;
}

/* K-5 steps 2-4: the MSS the cookie encodes, or 0 when it is not ours or too old. */
static uint16_t cookie_decode_mss(const struct ust_tcp *tcp, const struct tcp_seg *seg)
{
	uint32_t cookie = seg->ack_seq - 1, seq = seg->seq - 1;
	uint32_t count = cookie_time(tcp), diff, mssind;

	cookie -= cookie_hash(tcp, seg, 0, 0) + seq;
	diff = (count - (cookie >> COOKIEBITS)) & (0xffffffffu >> COOKIEBITS);
	if (diff >= MAX_SYNCOOKIE_AGE)
		return 0;
	mssind = (cookie - cookie_hash(tcp, seg, count - diff, 1)) & COOKIEMASK;
	return mssind < UST_ARRAY_SIZE(msstab) ? msstab[mssind] : 0;
}

/* cookie_timestamp_decode: the options our TSval carried, now echoed back.
 * False when they need a feature this stack has turned off. */
static bool cookie_timestamp_decode(struct ust_tcp *tcp, struct request_sock *req, const struct tcp_seg *seg)
{
	const struct ust_sysctl *sc = &tcp->core->sysctl;
	uint32_t options;

	if (!(seg->opt.present & UST_TCPOPT_F_TIMESTAMP)) {
		req->tstamp_ok = req->sack_ok = req->wscale_ok = 0;
		return true;
	}
	if (!sc->tcp_timestamps)
		return false;
	req->ts_off = secure_tcp_seq_and_ts_off(tcp, seg->daddr, seg->saddr, seg->th.dport, seg->th.sport).ts_off;
	options = (seg->opt.tsecr - req->ts_off) & ((1u << TSBITS) - 1);
	req->tstamp_ok = 1;
	req->ts_recent = seg->opt.tsval;
	req->sack_ok = (options & TS_OPT_SACK) != 0;
	req->ecn_ok = (options & TS_OPT_ECN) != 0;
	if (req->sack_ok && !sc->tcp_sack)
		return false;
	if ((options & TS_OPT_WSCALE_MASK) == TS_OPT_WSCALE_MASK)
		return true;
	req->wscale_ok = 1;
	req->snd_wscale = (uint8_t)(options & TS_OPT_WSCALE_MASK);
	return sc->tcp_window_scaling != 0;
}

static struct request_sock *cookie_rebuild_request(struct ust_sock *lsk, struct tcp_seg *seg, uint16_t mss)
{
	struct ust_tcp *tcp = lsk->tcp;
	struct request_sock *req = inet_reqsk_alloc(lsk);
	struct ust_rtable rt;
	uint32_t clamp = lsk->window_clamp;
	uint8_t rcv_wscale;

	if (!req)
		return NULL;
	req->__req_common.skc_rcv_saddr = seg->daddr;
	req->__req_common.skc_daddr = seg->saddr;
	req->__req_common.skc_dport = seg->th.sport;
	req->__req_common.skc_num = ntohs(seg->th.dport);
	req->ir_iif = seg->iif;
	req->rcv_isn = seg->seq - 1;
	req->snt_isn = seg->ack_seq - 1;
	req->mss = lsk->user_mss && lsk->user_mss < mss ? lsk->user_mss : mss;
	if (!cookie_timestamp_decode(tcp, req, seg) ||
	    tcp_route_output(tcp, seg->saddr, seg->daddr, lsk->sk_bound_dev_if, &rt)) {
		reqsk_free(req);
		return NULL;
	}
	tcp_select_initial_window(lsk, tcp_advertise_mss(&rt, lsk->user_mss) -
				  (req->tstamp_ok ? 12u : 0u), &req->rcv_wnd, &clamp, req->wscale_ok, &rcv_wscale);
	req->rcv_wscale = rcv_wscale;
	return req;
}

struct ust_sock *cookie_v4_check(struct ust_sock *lsk, struct tcp_seg *seg)
{
	struct ust_tcp *tcp = lsk->tcp;
	struct request_sock *req;
	struct ust_sock *child;
	uint16_t mss;

	if (tcp_synq_no_recent_overflow(lsk))
		return lsk;
	mss = cookie_decode_mss(tcp, seg);
	if (!mss) {
		UST_INC_STATS(tcp->core, LINUX_MIB_SYNCOOKIESFAILED);
		return lsk;
	}
	UST_INC_STATS(tcp->core, LINUX_MIB_SYNCOOKIESRECV);
	req = cookie_rebuild_request(lsk, seg, mss);
	if (!req)
		return NULL;
	child = tcp_v4_syn_recv_sock(lsk, seg, req);
	if (child) {
		tcp_trace_sk(child, UST_TRACE_QUEUE, "cookie_v4_check", "valid SYN cookie: child made from the ACK");
		inet_csk_reqsk_queue_add(lsk, child);
	}
	reqsk_free(req);
	return child;
}
