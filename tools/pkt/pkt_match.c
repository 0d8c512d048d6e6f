/*
 * Outbound packets: decode what the stack sent (pkt_decode) and match it
 * against the script's `>` event (pkt_match_outbound), the way packetdrill's
 * verify_outbound_live_packet does: map the wire packet into script numbers
 * (pkt.h), then compare field by field in packetdrill's order and report the
 * first difference in its words ("live packet field tcp_window: expected: ...
 * vs actual: ..."), followed by both packets in script syntax.
 *
 * pkt_match_outbound() -> pkt_decode() -> learn ISN -> map_to_script() ->
 * check_ip() -> check_tcp() -> check_opts() -> check_payload().
 *
 * One addition to packetdrill: the TCP checksum is verified too (packetdrill
 * skips it because of checksum offload; ustack always computes it).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pkt_map.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

__attribute__((format(printf, 3, 4)))
static int fail(char *msg, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, cap, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Walks option bytes as packetdrill's tcp_options_iterator: EOL and NOP
 * are one byte, known kinds must have their length, SACK 2 + 8n. */
static int decode_opts(const uint8_t *p, size_t len, struct pkt_tcp_spec *t,
		       char *msg, size_t cap)
{
	size_t i = 0;

	while (i < len) {
		struct pkt_tcp_opt *o = &t->opts[t->nopts++];
		uint8_t kind = p[i];

		o->kind = kind;
		if (kind == UST_TCPOPT_EOL || kind == UST_TCPOPT_NOP) {
			o->len = 1;
			i++;
			continue;
		}
		if (i + 1 >= len || p[i + 1] < 2 || i + p[i + 1] > len)
			return fail(msg, cap, "bad TCP option (kind %u) length", kind);
		o->len = p[i + 1];
		const uint8_t *v = p + i + 2;
		bool bad = false;

		switch (kind) {
		case UST_TCPOPT_MSS:
			bad = o->len != UST_TCPOLEN_MSS;
			o->mss = bad ? 0 : ust_get_be16(v);
			break;
		case UST_TCPOPT_WINDOW:
			bad = o->len != UST_TCPOLEN_WINDOW;
			o->wscale = v[0];
			break;
		case UST_TCPOPT_SACK_PERM:
			bad = o->len != UST_TCPOLEN_SACK_PERM;
			break;
		case UST_TCPOPT_TIMESTAMP:
			bad = o->len != UST_TCPOLEN_TIMESTAMP;
			if (!bad) {
				o->ts.val = ust_get_be32(v);
				o->ts.ecr = ust_get_be32(v + 4);
			}
			break;
		case UST_TCPOPT_SACK:
			bad = (o->len - 2) % 8 || o->len == 2 || (o->len - 2) / 8 > UST_TCP_MAX_SACKS;
			for (unsigned int b = 0; !bad && b < (o->len - 2u) / 8; b++) {
				o->sack.blocks[b].start = ust_get_be32(v + 8 * b);
				o->sack.blocks[b].end = ust_get_be32(v + 8 * b + 4);
				o->sack.n++;
			}
			break;
		default:
			memcpy(o->raw, v, o->len - 2u);
			break;
		}
		if (bad)
			return fail(msg, cap, "bad TCP option length: was %u (kind %u)",
				    o->len, kind);
		i += o->len;
	}
	t->opt_len = (uint8_t)len;
	return 0;
}

static int decode_tcp(const struct ust_ipv4_info *ip, struct pkt_decoded *d,
		      char *msg, size_t cap)
{
	struct ust_tcp_info th;
	struct pkt_tcp_spec *t = &d->pkt.tcp;

	if (ust_tcp_parse(ip->payload, ip->payload_len, &th))
		return fail(msg, cap, "malformed TCP header");
	d->l4_csum_ok = ust_tcp_csum_ok(ip->payload, ip->payload_len, ip->saddr, ip->daddr);
	d->sport = th.sport;
	d->dport = th.dport;
	d->res1 = th.res1 >> 1;
	d->payload = th.payload;
	d->payload_len = th.payload_len;
	if (th.payload_len > UINT16_MAX)
		return fail(msg, cap, "TCP payload too long");
	t->flags = th.flags | ((th.res1 & 1) ? PKT_TCP_AE : 0);
	t->seq = th.seq;
	t->len = (uint16_t)th.payload_len;
	t->ack = th.ack;
	t->has_win = true;
	t->win = th.window;
	t->urg = th.urg_ptr;
	return decode_opts(th.opts, th.opt_len, t, msg, cap);
}

static int decode_icmp(const struct ust_ipv4_info *ip, struct pkt_decoded *d,
		       char *msg, size_t cap)
{
	struct ust_icmp_info ic;
	struct pkt_icmp_spec *s = &d->pkt.icmp;

	if (ust_icmp_parse(ip->payload, ip->payload_len, &ic))
		return fail(msg, cap, "malformed ICMP message");
	d->l4_csum_ok = ust_icmp_csum_ok(ip->payload, ip->payload_len);
	s->type = ic.type;
	s->code = ic.code;
	s->mtu = ic.type == UST_ICMP_DEST_UNREACH && ic.code == UST_ICMP_FRAG_NEEDED ?
		 ic.mtu : -1;
	s->echoed = PKT_ECHOED_RAW;
	s->len = (uint16_t)ip->payload_len;
	if (ic.is_error && ic.orig.protocol == UST_IPPROTO_TCP) {
		s->echoed = PKT_ECHOED_TCP;
		s->seq = ust_get_be32(ic.orig.payload + 4);
		s->len = 0;
	} else if (ic.is_error && ic.orig.protocol == UST_IPPROTO_UDP) {
		s->echoed = PKT_ECHOED_UDP;
		s->len = 0;
	}
	return 0;
}

int pkt_decode(const uint8_t *ip, size_t len, struct pkt_decoded *d, char *msg, size_t cap)
{
	struct ust_ipv4_info iph;

	memset(d, 0, sizeof(*d));
	d->pkt.dir = PKT_OUTBOUND;
	if (ust_ipv4_parse(ip, len, &iph)) {
		fail(msg, cap, "malformed IPv4 header");
		return -EBADMSG;
	}
	if (ust_ipv4_is_fragment(&iph)) {
		fail(msg, cap, "IPv4 fragment");
		return -EBADMSG;
	}
	d->tot_len = iph.tot_len;
	d->saddr = iph.saddr;
	d->daddr = iph.daddr;
	d->tos = iph.tos;
	d->ttl = iph.ttl;
	d->ip_csum_ok = ust_ipv4_csum_ok(ip, iph.hdr_len);
	if (iph.protocol == UST_IPPROTO_TCP) {
		d->pkt.l4 = PKT_L4_TCP;
		return decode_tcp(&iph, d, msg, cap) ? -EBADMSG : 0;
	}
	if (iph.protocol == UST_IPPROTO_ICMP) {
		d->pkt.l4 = PKT_L4_ICMP;
		return decode_icmp(&iph, d, msg, cap) ? -EBADMSG : 0;
	}
	fail(msg, cap, "IP protocol %u is neither TCP nor ICMP", iph.protocol);
	return -EBADMSG;
}

/* --- matching -------------------------------------------------------------- */

static int field(char *msg, size_t cap, const char *name, uint32_t exp, uint32_t act)
{
	if (exp == act)
		return 0;
	return fail(msg, cap, "live packet field %s: expected: %u (0x%x) vs actual: %u (0x%x)",
		    name, exp, exp, act, act);
}

static struct pkt_tcp_opt *find_ts(struct pkt_tcp_spec *t)
{
	for (unsigned int i = 0; i < t->nopts; i++)
		if (t->opts[i].kind == UST_TCPOPT_TIMESTAMP)
			return &t->opts[i];
	return NULL;
}

/* Wire -> script numbers for the actual packet (map_outbound_live_packet and
 * tcp_convert_seq_number in packetdrill). */
static void map_to_script(struct pkt_conn *c, const struct pkt_tcp_spec *exp,
			  struct pkt_tcp_spec *act)
{
	bool syn = act->flags & UST_TCP_SYN;
	uint32_t ack_off = pkt_remote_seq_offset(c, syn);
	struct pkt_tcp_opt *ets = find_ts((struct pkt_tcp_spec *)exp);
	struct pkt_tcp_opt *ats = find_ts(act);

	act->seq -= pkt_local_seq_offset(c, syn);
	if (act->flags & UST_TCP_ACK)
		act->ack -= ack_off;
	for (unsigned int i = 0; i < act->nopts; i++) {
		struct pkt_tcp_opt *o = &act->opts[i];

		for (unsigned int b = 0; o->kind == UST_TCPOPT_SACK && b < o->sack.n; b++) {
			o->sack.blocks[b].start -= ack_off;
			o->sack.blocks[b].end -= ack_off;
		}
	}
	if (ets && ats) {
		pkt_ts_map_set(c, ets->ts.val, ats->ts.val);
		if (!c->ts_known) {
			c->ts_known = true;
			c->first_script_ts_val = ets->ts.val;
			c->first_live_ts_val = ats->ts.val;
		}
		ats->ts.val = c->first_script_ts_val + (ats->ts.val - c->first_live_ts_val);
	}
}

static int check_ip(const struct pkt_packet *exp, const struct pkt_decoded *d,
		    char *msg, size_t cap)
{
	size_t exp_len = UST_IPV4_HLEN;
	uint8_t ecn = d->tos & 3;

	if (exp->l4 == PKT_L4_TCP)
		exp_len += UST_TCP_HLEN + exp->tcp.len +
			   (exp->tcp.opts_any ? d->pkt.tcp.opt_len : exp->tcp.opt_len);
	if (exp->l4 == PKT_L4_TCP &&
	    field(msg, cap, "ipv4_total_length", (uint32_t)exp_len, d->tot_len))
		return -EINVAL;
	switch (exp->ip.tos_check) {
	case PKT_TOS_ECT01:
		if (ecn != PKT_IP_ECN_ECT0 && ecn != PKT_IP_ECN_ECT1)
			return fail(msg, cap, "live packet field ip_ecn: expected: 0x1 or "
				    "0x2 vs actual: 0x%x", ecn);
		break;
	case PKT_TOS_ECN:
		if (field(msg, cap, "ip_ecn", exp->ip.tos, ecn))
			return -EINVAL;
		break;
	case PKT_TOS_VALUE:
		if (field(msg, cap, "tos", exp->ip.tos, d->tos))
			return -EINVAL;
		break;
	case PKT_TOS_NONE:
		break;
	}
	if (exp->ip.ttl && field(msg, cap, "ttl", exp->ip.ttl, d->ttl))
		return -EINVAL;
	return 0;
}

/* AccECN's ACE counter: AE, CWR, ECE as a 3-bit number (RFC 9768). */
static uint32_t ace_field(uint16_t flags)
{
	return ((flags & PKT_TCP_AE) ? 4u : 0u) | ((flags & UST_TCP_CWR) ? 2u : 0u) |
	       ((flags & UST_TCP_ECE) ? 1u : 0u);
}

static int check_tcp(const struct pkt_tcp_spec *e, const struct pkt_tcp_spec *a,
		     uint8_t res1, char *msg, size_t cap)
{
	static const struct {
		const char *name;
		uint16_t bit;
	} bits[] = {
		{ "tcp_fin", UST_TCP_FIN }, { "tcp_syn", UST_TCP_SYN },
		{ "tcp_rst", UST_TCP_RST }, { "tcp_psh", UST_TCP_PSH },
		{ "tcp_ack", UST_TCP_ACK }, { "tcp_urg", UST_TCP_URG },
	};
	uint32_t doff_e = (UST_TCP_HLEN + (e->opts_any ? a->opt_len : e->opt_len)) / 4;

	if (field(msg, cap, "tcp_data_offset", doff_e, (UST_TCP_HLEN + a->opt_len) / 4))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (field(msg, cap, bits[i].name, !!(e->flags & bits[i].bit),
			  !!(a->flags & bits[i].bit)))
			return -EINVAL;
	if (e->ace) {
		if (field(msg, cap, "tcp_ace", ace_field(e->flags), ace_field(a->flags)))
			return -EINVAL;
	} else if (field(msg, cap, "tcp_ece", !!(e->flags & UST_TCP_ECE), !!(a->flags & UST_TCP_ECE)) ||
		   field(msg, cap, "tcp_cwr", !!(e->flags & UST_TCP_CWR), !!(a->flags & UST_TCP_CWR)) ||
		   field(msg, cap, "tcp_ae", !!(e->flags & PKT_TCP_AE), !!(a->flags & PKT_TCP_AE))) {
		return -EINVAL;
	}
	if (field(msg, cap, "tcp_reserved_bits", 0, res1) ||
	    field(msg, cap, "tcp_seq", e->seq, a->seq) ||
	    field(msg, cap, "tcp_ack_seq", e->ack, a->ack) ||
	    (e->has_win && field(msg, cap, "tcp_window", e->win, a->win)) ||
	    field(msg, cap, "tcp_urg_ptr", e->urg, a->urg))
		return -EINVAL;
	return 0;
}

static bool same_opt(const struct pkt_tcp_opt *e, const struct pkt_tcp_opt *a)
{
	switch (e->kind) {
	case UST_TCPOPT_MSS:
		return e->mss == a->mss;
	case UST_TCPOPT_WINDOW:
		return e->wscale == a->wscale;
	case UST_TCPOPT_SACK:
		for (unsigned int b = 0; b < e->sack.n; b++)
			if (e->sack.blocks[b].start != a->sack.blocks[b].start ||
			    e->sack.blocks[b].end != a->sack.blocks[b].end)
				return false;
		return true;
	default:
		return true;
	}
}

static int check_opts(const struct pkt_config *cfg, const struct pkt_match_ctx *ctx,
		      const struct pkt_tcp_spec *e, const struct pkt_tcp_spec *a,
		      char *msg, size_t cap)
{
	int64_t tol = cfg->tolerance_usecs;
	double dyn = cfg->tolerance_percent / 100.0 * (double)ctx->script_usecs;
	char es[128], as[128];

	if (e->opts_any)
		return 0;
	if (dyn > (double)tol)
		tol = (int64_t)dyn;
	for (unsigned int i = 0; i < e->nopts || i < a->nopts; i++) {
		const struct pkt_tcp_opt *eo = &e->opts[i], *ao = &a->opts[i];
		const char *err = NULL;

		if (i >= e->nopts || i >= a->nopts || eo->kind != ao->kind)
			return fail(msg, cap, "bad outbound TCP options");
		if (eo->kind == UST_TCPOPT_TIMESTAMP) {
			int64_t dv = llabs((int64_t)(int32_t)(ao->ts.val - eo->ts.val));

			if (cfg->ts_tick_usecs && dv * cfg->ts_tick_usecs > tol)
				return fail(msg, cap, "bad outbound TCP timestamp value, "
					    "tolerance %lld", (long long)tol);
			continue;
		}
		if (eo->kind == UST_TCPOPT_EOL || eo->kind == UST_TCPOPT_NOP)
			continue;
		if (eo->len != ao->len)
			err = "bad length";
		else if (!same_opt(eo, ao))
			err = "bad value";
		if (err) {
			pkt_format_tcp_opt(eo, es, sizeof(es));
			pkt_format_tcp_opt(ao, as, sizeof(as));
			return fail(msg, cap, "%s in outbound TCP option (kind=%u): "
				    "expected: %s actual: %s", err, eo->kind, es, as);
		}
	}
	return 0;
}

static int check_payload(const struct pkt_decoded *d, char *msg, size_t cap)
{
	for (size_t i = 0; i < d->payload_len; i++)
		if (d->payload[i])
			return fail(msg, cap, "incorrect outbound data payload");
	return 0;
}

static int check_tuple(const struct pkt_conn *c, const struct pkt_decoded *d,
		       char *msg, size_t cap)
{
	char sa[INET_ADDRSTRLEN], da[INET_ADDRSTRLEN];
	bool ok = d->saddr == c->local_ip && d->daddr == c->remote_ip;

	if (d->pkt.l4 == PKT_L4_TCP)
		ok = ok && d->sport == c->local_port && d->dport == c->remote_port;
	if (ok)
		return 0;
	inet_ntop(AF_INET, &d->saddr, sa, sizeof(sa));
	inet_ntop(AF_INET, &d->daddr, da, sizeof(da));
	return fail(msg, cap, "outbound packet %s:%u > %s:%u is not for the "
		    "connection under test", sa, ntohs(d->sport), da, ntohs(d->dport));
}

static int compare(struct pkt_conn *c, const struct pkt_config *cfg,
		   const struct pkt_packet *exp, struct pkt_decoded *d,
		   const struct pkt_match_ctx *ctx, char *msg, size_t cap)
{
	if (!d->ip_csum_ok)
		return fail(msg, cap, "bad outbound IP checksum");
	if (field(msg, cap, "ipv4_protocol",
		  exp->l4 == PKT_L4_TCP ? UST_IPPROTO_TCP : UST_IPPROTO_ICMP,
		  d->pkt.l4 == PKT_L4_TCP ? UST_IPPROTO_TCP : UST_IPPROTO_ICMP))
		return -EINVAL;
	if (check_tuple(c, d, msg, cap))
		return -EINVAL;
	if (!d->l4_csum_ok)
		return fail(msg, cap, "bad outbound %s checksum",
			    d->pkt.l4 == PKT_L4_TCP ? "TCP" : "ICMP");
	if (exp->l4 == PKT_L4_ICMP) {
		if (check_ip(exp, d, msg, cap) ||
		    field(msg, cap, "icmpv4_type", exp->icmp.type, d->pkt.icmp.type) ||
		    field(msg, cap, "icmpv4_code", exp->icmp.code, d->pkt.icmp.code))
			return -EINVAL;
		return 0;
	}
	if ((exp->tcp.flags & UST_TCP_SYN) && !c->local_isn_known) {
		c->local_isn_known = true;
		c->script_local_isn = exp->tcp.seq;
		c->live_local_isn = d->pkt.tcp.seq;
	}
	map_to_script(c, &exp->tcp, &d->pkt.tcp);
	if (check_ip(exp, d, msg, cap) ||
	    check_tcp(&exp->tcp, &d->pkt.tcp, d->res1, msg, cap) ||
	    check_opts(cfg, ctx, &exp->tcp, &d->pkt.tcp, msg, cap) ||
	    check_payload(d, msg, cap))
		return -EINVAL;
	return 0;
}

/* Appends "\nscript packet: T ...\nactual packet: T ..." as packetdrill does. */
static void add_dumps(const struct pkt_packet *exp, const struct pkt_decoded *d,
		      const struct pkt_match_ctx *ctx, char *msg, size_t cap)
{
	char e[512], a[512];
	size_t n = strlen(msg);

	pkt_format_packet(exp, e, sizeof(e));
	pkt_format_packet(&d->pkt, a, sizeof(a));
	if (n < cap)
		snprintf(msg + n, cap - n, "\nscript packet: %9.6f %s\nactual packet: %9.6f %s",
			 (double)ctx->script_usecs / 1e6, e, (double)ctx->actual_usecs / 1e6, a);
}

int pkt_match_outbound(struct pkt_conn *c, const struct pkt_config *cfg,
		       const struct pkt_packet *expected, const uint8_t *ip, size_t len,
		       const struct pkt_match_ctx *ctx, char *msg, size_t msg_cap)
{
	struct pkt_decoded *d;
	int ret;

	if (msg_cap)
		msg[0] = '\0';
	if (expected->dir != PKT_OUTBOUND)
		return fail(msg, msg_cap, "not an outbound packet");
	d = malloc(sizeof(*d));
	if (!d)
		return -ENOMEM;
	ret = pkt_decode(ip, len, d, msg, msg_cap);
	if (!ret) {
		ret = compare(c, cfg, expected, d, ctx, msg, msg_cap);
		if (ret)
			add_dumps(expected, d, ctx, msg, msg_cap);
	}
	free(d);
	return ret;
}
