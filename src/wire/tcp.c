/* TCP header parse, build and checksum (RFC 9293 3.1); options are in tcp_opts.c. */
#include <errno.h>
#include <string.h>
#include "wire/csum.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

int ust_tcp_parse(const uint8_t *p, size_t len, struct ust_tcp_info *out)
{
	size_t hl;

	if (len < UST_TCP_HLEN)
		return -EMSGSIZE;
	hl = (size_t)(p[12] >> 4) * 4;
	/* tcp_v4_rcv: doff below 5 is a bad packet; a header longer than the
	 * segment is one cut short. */
	if (hl < UST_TCP_HLEN)
		return -EBADMSG;
	if (hl > len)
		return -EMSGSIZE;
	out->sport = ust_load_be16(p);
	out->dport = ust_load_be16(p + 2);
	out->seq = ust_get_be32(p + 4);
	out->ack = ust_get_be32(p + 8);
	out->hdr_len = (uint8_t)hl;
	out->res1 = p[12] & 0x0f;
	out->flags = p[13];
	out->window = ust_get_be16(p + 14);
	out->check = ust_get_be16(p + 16);
	out->urg_ptr = ust_get_be16(p + 18);
	out->opts = p + UST_TCP_HLEN;
	out->opt_len = hl - UST_TCP_HLEN;
	out->payload = p + hl;
	out->payload_len = len - hl;
	return 0;
}

int ust_tcp_build(uint8_t *buf, size_t cap, const struct ust_tcp_info *th)
{
	size_t hl = UST_TCP_HLEN + th->opt_len;

	if (th->opt_len % 4 || th->opt_len > UST_TCP_OPT_SPACE || th->res1 > 0x0f)
		return -EINVAL;
	if (cap < hl)
		return -ENOSPC;
	if (th->opt_len)
		memmove(buf + UST_TCP_HLEN, th->opts, th->opt_len);
	ust_store_be16(buf, th->sport);
	ust_store_be16(buf + 2, th->dport);
	ust_put_be32(buf + 4, th->seq);
	ust_put_be32(buf + 8, th->ack);
	buf[12] = (uint8_t)((hl / 4) << 4 | th->res1);
	buf[13] = th->flags;
	ust_put_be16(buf + 14, th->window);
	ust_put_be16(buf + 16, th->check);
	ust_put_be16(buf + 18, th->urg_ptr);
	return (int)hl;
}

void ust_tcp_fill_csum(uint8_t *seg, size_t len, ust_be32 saddr, ust_be32 daddr)
{
	ust_put_be16(seg + 16, 0);
	ust_put_be16(seg + 16, ust_tcpudp_csum(saddr, daddr, UST_IPPROTO_TCP, seg, len));
}

bool ust_tcp_csum_ok(const uint8_t *seg, size_t len, ust_be32 saddr, ust_be32 daddr)
{
	return ust_tcpudp_csum_ok(saddr, daddr, UST_IPPROTO_TCP, seg, len);
}
