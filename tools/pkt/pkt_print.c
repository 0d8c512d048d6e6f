/*
 * Packets printed in script syntax, for diffs and traces: the format of
 * packetdrill's packet_to_string (DUMP_SHORT), made to parse back to the same
 * packet. Two deliberate differences, both so the text re-parses: the ACK
 * dot comes after every other flag letter ("SE." where packetdrill prints
 * "S.E", which its own parser rejects), and "ack N" is printed whenever N is
 * not 0, not only with the ACK flag. "-" stands for no flags at all.
 *
 * pkt_print_ip() -> pkt_decode() (pkt_match.c) -> pkt_format_packet().
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "pkt.h"

/* snprintf into a growing cursor that tolerates running out of room. */
struct out {
	char *buf;
	size_t cap;
	size_t len;                     /* what was needed so far */
};

__attribute__((format(printf, 2, 3)))
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	size_t room = o->len < o->cap ? o->cap - o->len : 0;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

int pkt_format_tcp_opt(const struct pkt_tcp_opt *opt, char *buf, size_t cap)
{
	struct out o = { buf, cap, 0 };

	if (cap)
		buf[0] = '\0';
	switch (opt->kind) {
	case UST_TCPOPT_EOL:
		put(&o, "eol");
		break;
	case UST_TCPOPT_NOP:
		put(&o, "nop");
		break;
	case UST_TCPOPT_MSS:
		put(&o, "mss %u", opt->mss);
		break;
	case UST_TCPOPT_WINDOW:
		put(&o, "wscale %u", opt->wscale);
		break;
	case UST_TCPOPT_SACK_PERM:
		put(&o, "sackOK");
		break;
	case UST_TCPOPT_SACK:
		put(&o, "sack");
		for (unsigned int i = 0; i < opt->sack.n; i++)
			put(&o, " %u:%u", opt->sack.blocks[i].start, opt->sack.blocks[i].end);
		break;
	case UST_TCPOPT_TIMESTAMP:
		put(&o, "TS val %u ecr %u", opt->ts.val, opt->ts.ecr);
		break;
	default:
		put(&o, "kind_%u len %u", opt->kind, opt->len);
		break;
	}
	return (int)o.len;
}

static void put_ip_info(struct out *o, const struct pkt_ip_spec *ip)
{
	static const char *const ecn[] = { "noecn", "ect1", "ect0", "ce" };

	switch (ip->tos_check) {
	case PKT_TOS_ECN:
		put(o, "[%s] ", ecn[ip->tos & 3]);
		return;
	case PKT_TOS_ECT01:
		put(o, "[ect01] ");
		return;
	case PKT_TOS_VALUE:
		put(o, "[tos %#x] ", ip->tos);
		return;
	case PKT_TOS_NONE:
		break;
	}
	if (ip->ttl)
		put(o, "[ttl %u] ", ip->ttl);
}

static void put_flags(struct out *o, const struct pkt_tcp_spec *t)
{
	static const struct {
		uint16_t bit;
		char c;
	} letters[] = {
		{ UST_TCP_FIN, 'F' }, { UST_TCP_SYN, 'S' }, { UST_TCP_RST, 'R' },
		{ UST_TCP_PSH, 'P' }, { UST_TCP_URG, 'U' },
	};
	bool any = false;

	for (size_t i = 0; i < sizeof(letters) / sizeof(letters[0]); i++) {
		if (t->flags & letters[i].bit) {
			put(o, "%c", letters[i].c);
			any = true;
		}
	}
	if (t->ace) {
		bool ack = t->flags & UST_TCP_ACK;
		int ace = ((t->flags & UST_TCP_ECE) ? 1 : 0) | ((t->flags & UST_TCP_CWR) ? 2 : 0) |
			  ((t->flags & PKT_TCP_AE) ? 4 : 0);

		/* A digit alone would read as a number: ".5" is the float
		 * packetdrill's grammar takes as flags. */
		if (!any && ack)
			put(o, ".%d", ace);
		else
			put(o, "%d%s", ace, ack ? "." : "");
		return;
	} else {
		if (t->flags & UST_TCP_ECE)
			put(o, "E");
		if (t->flags & UST_TCP_CWR)
			put(o, "W");
		if (t->flags & PKT_TCP_AE)
			put(o, "A");
		any = any || (t->flags & (UST_TCP_ECE | UST_TCP_CWR | PKT_TCP_AE));
	}
	if (t->flags & UST_TCP_ACK)
		put(o, ".");
	else if (!any)
		put(o, "-");
}

static void put_tcp(struct out *o, const struct pkt_tcp_spec *t)
{
	char opt[128];

	if (t->sport || t->dport)
		put(o, "%u>%u ", t->sport, t->dport);
	put_flags(o, t);
	put(o, " %u:%u(%u)", t->seq, (uint32_t)(t->seq + t->len), t->len);
	if ((t->flags & UST_TCP_ACK) || t->ack)
		put(o, " ack %u", t->ack);
	if (t->has_win)
		put(o, " win %u", t->win);
	if (t->urg)
		put(o, " urg %u", t->urg);
	if (t->opts_any) {
		put(o, " <...>");
		return;
	}
	if (!t->nopts)
		return;
	put(o, " <");
	for (unsigned int i = 0; i < t->nopts; i++) {
		pkt_format_tcp_opt(&t->opts[i], opt, sizeof(opt));
		put(o, "%s%s", i ? "," : "", opt);
	}
	put(o, ">");
}

static void put_icmp(struct out *o, const struct pkt_icmp_spec *ic)
{
	const char *type = pkt_icmp_type_name(ic->type);
	const char *code = pkt_icmp_code_name(ic->type, ic->code);

	if (type)
		put(o, "icmp %s", type);
	else
		put(o, "icmp type_%u", ic->type);
	if (code)
		put(o, " %s", code);
	else if (ic->code)
		put(o, " code_%u", ic->code);
	if (ic->mtu >= 0)
		put(o, " mtu %d", ic->mtu);
	if (ic->echo_id)
		put(o, " id %u", ic->echo_id);
	switch (ic->echoed) {
	case PKT_ECHOED_TCP:
		put(o, " [%u:%u(%u)]", ic->seq, (uint32_t)(ic->seq + ic->len), ic->len);
		break;
	case PKT_ECHOED_UDP:
		put(o, " [udp (%u)]", ic->len);
		break;
	case PKT_ECHOED_RAW:
		put(o, " [raw (%u)]", ic->len);
		break;
	}
}

int pkt_format_packet(const struct pkt_packet *p, char *buf, size_t cap)
{
	struct out o = { buf, cap, 0 };

	if (cap)
		buf[0] = '\0';
	put_ip_info(&o, &p->ip);
	if (p->l4 == PKT_L4_ICMP)
		put_icmp(&o, &p->icmp);
	else
		put_tcp(&o, &p->tcp);
	return (int)o.len;
}

int pkt_print_ip(const uint8_t *ip, size_t len, char *buf, size_t cap)
{
	struct out o = { buf, cap, 0 };
	struct pkt_decoded d;
	char why[128];
	char sa[INET_ADDRSTRLEN], da[INET_ADDRSTRLEN];

	if (cap)
		buf[0] = '\0';
	if (pkt_decode(ip, len, &d, why, sizeof(why))) {
		put(&o, "[bad packet: %s]", why);
		return (int)o.len;
	}
	inet_ntop(AF_INET, &d.saddr, sa, sizeof(sa));
	inet_ntop(AF_INET, &d.daddr, da, sizeof(da));
	if (d.pkt.l4 == PKT_L4_TCP)
		put(&o, "%s:%u > %s:%u ", sa, ntohs(d.sport), da, ntohs(d.dport));
	else
		put(&o, "%s > %s ", sa, da);
	size_t room = o.len < cap ? cap - o.len : 0;

	o.len += (size_t)pkt_format_packet(&d.pkt, room ? buf + o.len : NULL, room);
	return (int)o.len;
}
