/* IPv4 header parse and build (RFC 791); what is rejected how is in ipv4.h. */
#include <errno.h>
#include <string.h>
#include "wire/csum.h"
#include "wire/ipv4.h"

#define IP_RF 0x8000
#define IP_DF 0x4000
#define IP_MF 0x2000
#define IP_OFFMASK 0x1fff

/* Fills every field from a header already known to hold hdr_len bytes. */
static void read_header(const uint8_t *p, size_t hl, struct ust_ipv4_info *out)
{
	uint16_t frag = ust_get_be16(p + 6);

	out->tos = p[1];
	out->tot_len = ust_get_be16(p + 2);
	out->id = ust_get_be16(p + 4);
	out->rf = frag & IP_RF;
	out->df = frag & IP_DF;
	out->mf = frag & IP_MF;
	out->frag_off = frag & IP_OFFMASK;
	out->ttl = p[8];
	out->protocol = p[9];
	out->check = ust_get_be16(p + 10);
	out->saddr = ust_load_be32(p + 12);
	out->daddr = ust_load_be32(p + 16);
	out->hdr_len = (uint8_t)hl;
	out->options = p + UST_IPV4_HLEN;
	out->opt_len = hl - UST_IPV4_HLEN;
	out->payload = p + hl;
}

int ust_ipv4_parse(const uint8_t *p, size_t len, struct ust_ipv4_info *out)
{
	size_t hl;

	if (len < UST_IPV4_HLEN)
		return -EMSGSIZE;
	hl = (size_t)(p[0] & 0x0f) * 4;
	if ((p[0] >> 4) != 4 || hl < UST_IPV4_HLEN)
		return -EBADMSG;
	if (hl > len)
		return -EMSGSIZE;
	read_header(p, hl, out);
	/* ip_rcv_core: a datagram longer than what arrived is truncated; one shorter
	 * than its own header is a header error. */
	if (out->tot_len > len)
		return -EMSGSIZE;
	if (out->tot_len < hl)
		return -EBADMSG;
	out->payload_len = out->tot_len - hl;
	return 0;
}

int ust_ipv4_parse_quoted(const uint8_t *p, size_t len, struct ust_ipv4_info *out)
{
	size_t hl;

	if (len < UST_IPV4_HLEN)
		return -EMSGSIZE;
	hl = (size_t)(p[0] & 0x0f) * 4;
	if ((p[0] >> 4) != 4 || hl < UST_IPV4_HLEN)
		return -EBADMSG;
	/* The transport layer needs its first 8 bytes: ports, and TCP's seq. */
	if (hl + 8 > len)
		return -EMSGSIZE;
	read_header(p, hl, out);
	out->payload_len = len - hl;
	return 0;
}

bool ust_ipv4_csum_ok(const uint8_t *hdr, size_t hdr_len)
{
	if (hdr_len == UST_IPV4_HLEN)
		return ust_csum20(hdr) == 0;
	return ust_csum_ok(hdr, hdr_len);
}

int ust_ipv4_build(uint8_t *buf, size_t cap, const struct ust_ipv4_info *ip)
{
	uint16_t frag;

	if (cap < UST_IPV4_HLEN)
		return -ENOSPC;
	if (ip->tot_len < UST_IPV4_HLEN || ip->frag_off > IP_OFFMASK)
		return -EINVAL;
	frag = (uint16_t)((ip->rf ? IP_RF : 0) | (ip->df ? IP_DF : 0) |
			  (ip->mf ? IP_MF : 0) | ip->frag_off);
	buf[0] = 0x45;
	buf[1] = ip->tos;
	ust_put_be16(buf + 2, ip->tot_len);
	ust_put_be16(buf + 4, ip->id);
	ust_put_be16(buf + 6, frag);
	buf[8] = ip->ttl;
	buf[9] = ip->protocol;
	ust_put_be16(buf + 10, 0);
	ust_store_be32(buf + 12, ip->saddr);
	ust_store_be32(buf + 16, ip->daddr);
	ust_put_be16(buf + 10, ust_csum20(buf));
	return UST_IPV4_HLEN;
}
