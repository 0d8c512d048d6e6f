/*
 * Inbound packets: the IPv4 datagram the runner injects for a `<` event, a
 * TCP segment or an ICMP error, with script numbers mapped onto the wire as
 * pkt.h describes (packetdrill's map_inbound_packet) and every checksum
 * computed. Built with the src/wire builders; TCP options are laid out in the
 * script's order, byte for byte as written (no re-layout, as packetdrill).
 *
 * pkt_build_inbound() -> build_tcp() | build_icmp() -> ust_ipv4_build().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "pkt_map.h"
#include "wire/csum.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

#define INBOUND_TTL 255                 /* packetdrill's TTL_CHECK_NONE */

static uint8_t inbound_tos(const struct pkt_ip_spec *ip)
{
	return ip->tos_check == PKT_TOS_NONE ? 0 : ip->tos;
}

static int build_ip(uint8_t *buf, size_t cap, const struct pkt_conn *c,
		    const struct pkt_ip_spec *spec, uint8_t proto, size_t tot_len)
{
	struct ust_ipv4_info ip;

	if (tot_len > UINT16_MAX)
		return -EINVAL;
	memset(&ip, 0, sizeof(ip));
	ip.tos = inbound_tos(spec);
	ip.tot_len = (uint16_t)tot_len;
	ip.ttl = spec->ttl ? spec->ttl : INBOUND_TTL;
	ip.protocol = proto;
	ip.saddr = c->remote_ip;
	ip.daddr = c->local_ip;
	return ust_ipv4_build(buf, cap, &ip);
}

/* Writes the script's options with SACK blocks moved by sack_off and the TS
 * ecr replaced by ecr; returns the bytes written (tcp->opt_len). */
static size_t write_opts(const struct pkt_tcp_spec *tcp, uint8_t *o, uint32_t sack_off,
			 uint32_t ecr)
{
	size_t n = 0;

	for (unsigned int i = 0; i < tcp->nopts; i++) {
		const struct pkt_tcp_opt *opt = &tcp->opts[i];

		o[n] = opt->kind;
		if (opt->kind == UST_TCPOPT_EOL || opt->kind == UST_TCPOPT_NOP) {
			n++;
			continue;
		}
		o[n + 1] = opt->len;
		switch (opt->kind) {
		case UST_TCPOPT_MSS:
			ust_put_be16(o + n + 2, opt->mss);
			break;
		case UST_TCPOPT_WINDOW:
			o[n + 2] = opt->wscale;
			break;
		case UST_TCPOPT_TIMESTAMP:
			ust_put_be32(o + n + 2, opt->ts.val);
			ust_put_be32(o + n + 6, ecr);
			break;
		case UST_TCPOPT_SACK:
			for (unsigned int b = 0; b < opt->sack.n; b++) {
				ust_put_be32(o + n + 2 + 8 * b, opt->sack.blocks[b].start + sack_off);
				ust_put_be32(o + n + 6 + 8 * b, opt->sack.blocks[b].end + sack_off);
			}
			break;
		default:
			break;
		}
		n += opt->len;
	}
	return n;
}

/* The wire TS ecr of an inbound packet (packetdrill's map_inbound_packet). */
static int map_ts_ecr(const struct pkt_conn *c, const struct pkt_config *cfg,
		      const struct pkt_tcp_spec *tcp, uint32_t *ecr, char *msg, size_t msg_cap)
{
	const struct pkt_tcp_opt *ts = NULL;

	for (unsigned int i = 0; i < tcp->nopts; i++)
		if (tcp->opts[i].kind == UST_TCPOPT_TIMESTAMP)
			ts = &tcp->opts[i];
	if (!ts)
		return 0;
	*ecr = ts->ts.ecr;
	if (!(tcp->flags & UST_TCP_ACK))
		return 0;
	if (!pkt_ts_map_get(c, ts->ts.ecr, ecr))
		return 0;
	if (cfg->ts_ecr_scaled && c->ts_known) {
		*ecr = ts->ts.ecr - c->first_script_ts_val + c->first_live_ts_val;
		return 0;
	}
	snprintf(msg, msg_cap, "unable to infer live TS ecr for script TS ecr %u;  "
		 "no matching or preceding outbound TS val", ts->ts.ecr);
	return -EINVAL;
}

static int build_tcp(struct pkt_conn *c, const struct pkt_config *cfg,
		     const struct pkt_packet *p, uint8_t *buf, size_t cap,
		     char *msg, size_t msg_cap)
{
	const struct pkt_tcp_spec *tcp = &p->tcp;
	bool syn = tcp->flags & UST_TCP_SYN;
	size_t seg_len = UST_TCP_HLEN + tcp->opt_len + tcp->len;
	size_t tot = UST_IPV4_HLEN + seg_len;
	uint8_t opts[UST_TCP_OPT_SPACE];
	struct ust_tcp_info th;
	uint32_t ecr = 0;
	int ret;

	if (cap < tot)
		return -ENOSPC;
	ret = map_ts_ecr(c, cfg, tcp, &ecr, msg, msg_cap);
	if (ret)
		return ret;
	if (syn && !c->remote_isn_known) {
		c->remote_isn_known = true;
		c->remote_isn = tcp->seq;
	}

	uint32_t ack_off = pkt_local_seq_offset(c, syn);

	memset(&th, 0, sizeof(th));
	th.sport = tcp->sport ? htons(tcp->sport) : c->remote_port;
	th.dport = tcp->dport ? htons(tcp->dport) : c->local_port;
	th.seq = tcp->seq + pkt_remote_seq_offset(c, syn);
	th.ack = (tcp->flags & UST_TCP_ACK) ? tcp->ack + ack_off : tcp->ack;
	th.flags = (uint8_t)tcp->flags;
	th.res1 = (tcp->flags & PKT_TCP_AE) ? 1 : 0;
	th.window = tcp->win;
	th.urg_ptr = tcp->urg;
	th.opts = opts;
	th.opt_len = write_opts(tcp, opts, ack_off, ecr);

	ret = build_ip(buf, cap, c, &p->ip, UST_IPPROTO_TCP, tot);
	if (ret < 0)
		return ret;
	ret = ust_tcp_build(buf + UST_IPV4_HLEN, cap - UST_IPV4_HLEN, &th);
	if (ret < 0)
		return ret;
	memset(buf + UST_IPV4_HLEN + ret, 0, tcp->len);
	ust_tcp_fill_csum(buf + UST_IPV4_HLEN, seg_len, c->remote_ip, c->local_ip);
	return (int)tot;
}

/* The datagram an ICMP error quotes: our own segment to the peer, its IP
 * header (checksum left 0, as packetdrill leaves it) and 8 bytes. */
static size_t write_quote(const struct pkt_conn *c, const struct pkt_icmp_spec *ic,
			  uint8_t *q)
{
	bool tcp = ic->echoed == PKT_ECHOED_TCP;
	size_t l4 = tcp ? UST_TCP_HLEN : 8;

	memset(q, 0, UST_IPV4_HLEN + 8);
	q[0] = 0x45;
	ust_put_be16(q + 2, (uint16_t)(UST_IPV4_HLEN + l4 + ic->len));
	q[8] = INBOUND_TTL;
	q[9] = tcp ? UST_IPPROTO_TCP : UST_IPPROTO_UDP;
	ust_store_be32(q + 12, c->local_ip);
	ust_store_be32(q + 16, c->remote_ip);
	ust_store_be16(q + 20, c->local_port);
	ust_store_be16(q + 22, c->remote_port);
	if (tcp)
		ust_put_be32(q + 24, ic->seq + pkt_local_seq_offset(c, false));
	return UST_IPV4_HLEN + 8;
}

static int build_icmp(struct pkt_conn *c, const struct pkt_packet *p, uint8_t *buf,
		      size_t cap)
{
	const struct pkt_icmp_spec *spec = &p->icmp;
	size_t icmp_len = spec->echoed == PKT_ECHOED_RAW ? spec->len :
			  UST_ICMP_HLEN + UST_IPV4_HLEN + 8;
	size_t tot = UST_IPV4_HLEN + icmp_len;
	struct ust_icmp_info ic;
	int ret;

	if (cap < tot)
		return -ENOSPC;
	memset(&ic, 0, sizeof(ic));
	ic.type = spec->type;
	ic.code = spec->code;
	if (spec->mtu >= 0)
		ic.rest = (uint16_t)spec->mtu;
	ic.rest |= (uint32_t)spec->echo_id << 16;
	ic.payload = buf + UST_IPV4_HLEN + UST_ICMP_HLEN;
	if (spec->echoed == PKT_ECHOED_RAW) {
		ic.payload_len = icmp_len - UST_ICMP_HLEN;
		memset(buf + UST_IPV4_HLEN + UST_ICMP_HLEN, 0, ic.payload_len);
	} else {
		ic.payload_len = write_quote(c, spec, buf + UST_IPV4_HLEN + UST_ICMP_HLEN);
	}
	ret = build_ip(buf, cap, c, &p->ip, UST_IPPROTO_ICMP, tot);
	if (ret < 0)
		return ret;
	ret = ust_icmp_build(buf + UST_IPV4_HLEN, cap - UST_IPV4_HLEN, &ic);
	if (ret < 0)
		return ret;
	return (int)tot;
}

int pkt_build_inbound(struct pkt_conn *c, const struct pkt_config *cfg,
		      const struct pkt_packet *p, uint8_t *buf, size_t cap,
		      char *msg, size_t msg_cap)
{
	if (p->dir != PKT_INBOUND) {
		snprintf(msg, msg_cap, "not an inbound packet");
		return -EINVAL;
	}
	if (p->l4 == PKT_L4_ICMP)
		return build_icmp(c, p, buf, cap);
	return build_tcp(c, cfg, p, buf, cap, msg, msg_cap);
}
