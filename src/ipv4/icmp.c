/*
 * ICMP, as Linux's net/ipv4/icmp.c: the protocol-1 handler and icmp_send.
 *
 *   icmp_rcv: IcmpInMsgs; checksum (IcmpInCsumErrors + IcmpInErrors); the
 *             per-type In counter (Linux derives IcmpInDestUnreachs ... from
 *             its IcmpMsg per-type counts, taken as soon as the header is
 *             there); broadcast filter; then by type:
 *       echo       -> icmp_echo -> icmp_reply (IcmpOutMsgs, IcmpOutEchoReps)
 *       unreach, time exceeded, parameter problem
 *                  -> icmp_unreach -> the quoted protocol's err_handler
 *                     (icmp_socket_deliver), IcmpInErrors when the quote is
 *                     short or mangled
 *       others (echo reply, redirect, source quench, timestamp ...): counted,
 *                  nothing else. Timestamp requests are not answered.
 *   ust_icmp_send: icmp_send's refusals, then an error quoting as much of the
 *             datagram as fits in 576 bytes, from the address it was sent to.
 *
 * Replies and errors leave without DF and with a per-stack IP ID, as Linux's
 * ICMP socket (pmtudisc DONT). Both pass Linux's rate limits first
 * (icmp_ratelimit.c): the global bucket before anything is built, the
 * destination's once the route is known.
 */
#include <errno.h>
#include <string.h>
#include "ipv4/ipv4.h"
#include "wire/csum.h"

#define NR_ICMP_TYPES 18
#define ICMP_TIMESTAMP 13
#define ICMP_ADDRESS 17
#define ICMP_ADDRESSREPLY 18
#define IPTOS_TOS_MASK 0x1e
#define IPTOS_PREC_INTERNETCONTROL 0xc0
#define NR_ICMP_UNREACH 15

static bool icmp_is_error(uint8_t type)
{
	return type == UST_ICMP_DEST_UNREACH || type == UST_ICMP_SOURCE_QUENCH ||
	       type == UST_ICMP_REDIRECT || type == UST_ICMP_TIME_EXCEEDED ||
	       type == UST_ICMP_PARAMETERPROB;
}

static void count_in(struct ust_core *core, uint8_t type)
{
	switch (type) {
	case UST_ICMP_DEST_UNREACH:
		UST_INC_STATS(core, ICMP_MIB_INDESTUNREACHS);
		break;
	case UST_ICMP_TIME_EXCEEDED:
		UST_INC_STATS(core, ICMP_MIB_INTIMEEXCDS);
		break;
	case UST_ICMP_PARAMETERPROB:
		UST_INC_STATS(core, ICMP_MIB_INPARMPROBS);
		break;
	case UST_ICMP_ECHO:
		UST_INC_STATS(core, ICMP_MIB_INECHOS);
		break;
	case UST_ICMP_ECHOREPLY:
		UST_INC_STATS(core, ICMP_MIB_INECHOREPS);
		break;
	}
}

/* icmp_out_count. */
static void count_out(struct ust_core *core, uint8_t type)
{
	UST_INC_STATS(core, ICMP_MIB_OUTMSGS);
	if (type == UST_ICMP_DEST_UNREACH)
		UST_INC_STATS(core, ICMP_MIB_OUTDESTUNREACHS);
	else if (type == UST_ICMP_ECHOREPLY)
		UST_INC_STATS(core, ICMP_MIB_OUTECHOREPS);
	else if (type == UST_ICMP_ECHO)
		UST_INC_STATS(core, ICMP_MIB_OUTECHOS);
}

/* Routes and sends an ICMP message of len bytes already in pkt, if the
 * destination's rate limit allows (when `apply`). Takes pkt. */
static int icmp_push(struct ust_ipv4 *ip, struct ust_pkt *pkt, ust_be32 daddr, ust_be32 saddr, uint8_t tos,
		     bool apply)
{
	struct ust_flowi4 fl = {
		.daddr = daddr, .saddr = saddr, .proto = UST_IPPROTO_ICMP, .tos = tos,
		.flags = UST_FLOWI_F_NOSTATS,
	};
	struct ust_ip_tx tx = { .protocol = UST_IPPROTO_ICMP, .tos = tos };
	struct ust_rtable rt;
	int err;

	err = ust_ip_route_output(ip, &fl, &rt);
	if (err < 0) {
		ust_pkt_free(pkt);
		return err;
	}
	if (!ust_icmp_xrlim_allow(ip, &rt, apply)) {
		ust_pkt_free(pkt);
		return -EAGAIN;
	}
	count_out(ip->core, pkt->data[0]);
	return ust_ip_queue_xmit(ip, pkt, &rt, &tx);
}

/* icmp_echo -> icmp_reply: the request's message with type 0, back to its
 * source from the address it was sent to (fib_compute_spec_dst), TOS kept. */
static void icmp_echo(struct ust_ipv4 *ip, const struct ust_pkt *req, const struct ust_ipv4_info *iph)
{
	struct ust_pkt *pkt;
	ust_be32 saddr = iph->daddr;
	bool apply;
	uint8_t *d;

	if (ip->sysctl.icmp_echo_ignore_all)
		return;
	if (!ust_icmp_global_allow(ip, NULL, UST_ICMP_ECHOREPLY, 0, &apply))
		return;
	pkt = ust_pkt_alloc(&ip->core->pool);
	if (!pkt)
		return;
	d = ust_pkt_put(pkt, req->len);
	if (!d) {
		ust_pkt_free(pkt);
		return;
	}
	memcpy(d, req->data, req->len);
	d[0] = UST_ICMP_ECHOREPLY;
	ust_put_be16(d + 2, 0);
	ust_put_be16(d + 2, ust_csum(d, req->len));
	if (req->flags & UST_PKT_F_IP_BCAST)
		saddr = ust_inet_select_addr(ip, ust_in_dev_get(ip, req->dev), iph->saddr, UST_SCOPE_LINK);
	(void)icmp_push(ip, pkt, iph->saddr, saddr, iph->tos, apply);
}

/* icmp_unreach + icmp_socket_deliver. */
static void icmp_unreach(struct ust_ipv4 *ip, const struct ust_pkt *pkt, const struct ust_ipv4_info *iph)
{
	const uint8_t *m = pkt->data, *q = pkt->data + UST_ICMP_HLEN;
	size_t qlen = pkt->len - UST_ICMP_HLEN;
	const struct ust_ip_proto_slot *slot;
	struct ust_icmp_err e;
	uint32_t qhl;

	if (qlen < UST_IPV4_HLEN || (q[0] & 0x0f) < 5)
		goto out_err;
	memset(&e, 0, sizeof(e));
	e.type = m[0];
	e.code = m[1];
	switch (e.type) {
	case UST_ICMP_DEST_UNREACH:
		if (e.code > NR_ICMP_UNREACH)
			return;
		if (e.code == UST_ICMP_FRAG_NEEDED)
			e.info = ust_get_be16(m + 6);
		break;
	case UST_ICMP_PARAMETERPROB:
		e.info = m[4];
		break;
	case UST_ICMP_TIME_EXCEEDED:
		if (e.code == UST_ICMP_EXC_FRAGTIME)
			return;
		break;
	}
	qhl = (uint32_t)(q[0] & 0x0f) * 4;
	if (qlen < qhl + 8)
		goto out_err;
	e.icmp_saddr = iph->saddr;
	e.ifindex = pkt->dev ? pkt->dev->ifindex : 0;
	e.tos = q[1];
	e.protocol = q[9];
	e.saddr = ust_load_be32(q + 12);
	e.daddr = ust_load_be32(q + 16);
	memcpy(e.l4, q + qhl, sizeof(e.l4));
	e.sport = ust_load_be16(e.l4);
	e.dport = ust_load_be16(e.l4 + 2);
	e.seq = ust_get_be32(e.l4 + 4);
	slot = &ip->protos[e.protocol];
	if (slot->ops && slot->ops->err_handler)
		slot->ops->err_handler(slot->ctx, &e);
	return;
out_err:
	UST_INC_STATS(ip->core, ICMP_MIB_INERRORS);
}

static void icmp_rcv(void *ctx, struct ust_pkt *pkt, const struct ust_ipv4_info *iph)
{
	struct ust_ipv4 *ip = ctx;
	struct ust_core *core = ip->core;
	uint8_t type;

	UST_INC_STATS(core, ICMP_MIB_INMSGS);
	if (!ust_icmp_csum_ok(pkt->data, pkt->len)) {
		UST_INC_STATS(core, ICMP_MIB_CSUMERRORS);
		goto error;
	}
	if (pkt->len < UST_ICMP_HLEN)
		goto error;
	type = pkt->data[0];
	count_in(core, type);
	if (type > NR_ICMP_TYPES)
		goto error;
	if (pkt->flags & UST_PKT_F_IP_BCAST) {
		/* RFC 1122 3.2.2.6 and 3.2.2.8: echo and timestamp to a broadcast
		 * may be ignored (icmp_echo_ignore_broadcasts); errors must be. */
		if ((type == UST_ICMP_ECHO || type == ICMP_TIMESTAMP) && ip->sysctl.icmp_echo_ignore_broadcasts)
			goto error;
		if (type != UST_ICMP_ECHO && type != ICMP_TIMESTAMP && type != ICMP_ADDRESS &&
		    type != ICMP_ADDRESSREPLY)
			goto error;
	}
	switch (type) {
	case UST_ICMP_ECHO:
		icmp_echo(ip, pkt, iph);
		break;
	case UST_ICMP_DEST_UNREACH:
	case UST_ICMP_TIME_EXCEEDED:
	case UST_ICMP_PARAMETERPROB:
		icmp_unreach(ip, pkt, iph);
		break;
	default:
		break;
	}
	ust_pkt_free(pkt);
	return;
error:
	UST_INC_STATS(core, ICMP_MIB_INERRORS);
	ust_pkt_free(pkt);
}

static const struct ust_inet_protocol icmp_protocol = {
	.handler = icmp_rcv,
};

int ust_icmp_init(struct ust_ipv4 *ip)
{
	ust_icmp_ratelimit_init(ip);
	return ust_inet_add_protocol(ip, UST_IPPROTO_ICMP, &icmp_protocol, ip);
}

/* icmp_send's refusals, RFC 1122 3.2.2 and RFC 1812 4.3.2.7. */
static bool may_send_error(const struct ust_pkt *pkt, const uint8_t *o, size_t avail, uint8_t type)
{
	uint32_t hl = (uint32_t)(o[0] & 0x0f) * 4;
	ust_be32 saddr = ust_load_be32(o + 12);

	if (ust_pkt_type(pkt) != UST_PACKET_HOST || (pkt->flags & UST_PKT_F_IP_BCAST))
		return false;
	if (ust_get_be16(o + 6) & 0x1fff)            /* not the first fragment */
		return false;
	if (ust_ipv4_is_zeronet(saddr) || ust_ipv4_is_lbcast(saddr) || ust_ipv4_is_multicast(saddr))
		return false;
	if (icmp_is_error(type) && o[9] == UST_IPPROTO_ICMP) {
		/* Never an error about an error, nor about a type we do not know. */
		if (hl < UST_IPV4_HLEN || avail < hl + 1 || o[hl] > NR_ICMP_TYPES || icmp_is_error(o[hl]))
			return false;
	}
	return true;
}

int ust_icmp_send(struct ust_ipv4 *ip, const struct ust_pkt *pkt, uint8_t type, uint8_t code, uint32_t info)
{
	const uint8_t *o = pkt->head + pkt->l3_off;
	const uint8_t *end = pkt->data + pkt->len;
	struct ust_pkt *out;
	size_t avail, olen, room;
	ust_be32 osaddr, odaddr, saddr;
	bool apply;
	uint8_t *d;
	int n;

	if (o < pkt->head || o + UST_IPV4_HLEN > end)
		return -EINVAL;
	avail = (size_t)(end - o);
	if (!may_send_error(pkt, o, avail, type))
		return -EPERM;
	if (!ust_icmp_global_allow(ip, pkt->dev, type, code, &apply))
		return -EAGAIN;
	olen = UST_MIN((size_t)ust_get_be16(o + 2), avail);
	if (olen < UST_IPV4_HLEN)
		return -EINVAL;
	osaddr = ust_load_be32(o + 12);
	odaddr = ust_load_be32(o + 16);
	/* From the address the datagram was sent to when it is ours (RTCF_LOCAL). */
	saddr = ust_inet_addr_type(ip, odaddr) == UST_RTN_LOCAL ? odaddr : 0;
	out = ust_pkt_alloc(&ip->core->pool);
	if (!out)
		return -ENOBUFS;
	room = UST_MIN((size_t)UST_ICMP_ERR_MAX_LEN - UST_IPV4_HLEN, (size_t)ust_pkt_tailroom(out));
	d = out->data;
	n = ust_icmp_build_error(d, room, type, code, info, o, UST_MIN(olen, room - UST_ICMP_HLEN));
	if (n < 0) {
		ust_pkt_free(out);
		return n;
	}
	ust_pkt_put(out, (uint32_t)n);
	return icmp_push(ip, out, osaddr, saddr, (uint8_t)((o[1] & IPTOS_TOS_MASK) | IPTOS_PREC_INTERNETCONTROL),
			 apply);
}
