/* ICMP message parse and build (RFC 792); see icmp.h for the error convention. */
#include <errno.h>
#include <string.h>
#include "wire/csum.h"
#include "wire/icmp.h"

static bool type_is_error(uint8_t type)
{
	switch (type) {
	case UST_ICMP_DEST_UNREACH:
	case UST_ICMP_SOURCE_QUENCH:
	case UST_ICMP_REDIRECT:
	case UST_ICMP_TIME_EXCEEDED:
	case UST_ICMP_PARAMETERPROB:
		return true;
	default:
		return false;
	}
}

int ust_icmp_parse(const uint8_t *p, size_t len, struct ust_icmp_info *out)
{
	if (len < UST_ICMP_HLEN)
		return -EMSGSIZE;
	memset(out, 0, sizeof(*out));
	out->type = p[0];
	out->code = p[1];
	out->check = ust_get_be16(p + 2);
	out->rest = ust_get_be32(p + 4);
	out->payload = p + UST_ICMP_HLEN;
	out->payload_len = len - UST_ICMP_HLEN;
	switch (out->type) {
	case UST_ICMP_ECHO:
	case UST_ICMP_ECHOREPLY:
		out->id = (uint16_t)(out->rest >> 16);
		out->seq = (uint16_t)out->rest;
		break;
	case UST_ICMP_DEST_UNREACH:
		if (out->code == UST_ICMP_FRAG_NEEDED)
			out->mtu = (uint16_t)out->rest;
		break;
	case UST_ICMP_PARAMETERPROB:
		out->pointer = (uint8_t)(out->rest >> 24);
		break;
	case UST_ICMP_REDIRECT:
		out->gateway = ust_load_be32(p + 4);
		break;
	}
	out->is_error = type_is_error(out->type);
	if (out->is_error)
		return ust_ipv4_parse_quoted(out->payload, out->payload_len, &out->orig);
	return 0;
}

bool ust_icmp_csum_ok(const uint8_t *p, size_t len)
{
	return ust_csum_ok(p, len);
}

int ust_icmp_build(uint8_t *buf, size_t cap, const struct ust_icmp_info *ic)
{
	size_t len = UST_ICMP_HLEN + ic->payload_len;

	if (cap < len || len > 0xffff)
		return -ENOSPC;
	/* The payload first: it may be the request's data already in buf. */
	if (ic->payload_len)
		memmove(buf + UST_ICMP_HLEN, ic->payload, ic->payload_len);
	buf[0] = ic->type;
	buf[1] = ic->code;
	ust_put_be16(buf + 2, 0);
	ust_put_be32(buf + 4, ic->rest);
	ust_put_be16(buf + 2, ust_csum(buf, len));
	return (int)len;
}

int ust_icmp_build_echo_reply(uint8_t *buf, size_t cap, const struct ust_icmp_info *req)
{
	struct ust_icmp_info rep = *req;

	rep.type = UST_ICMP_ECHOREPLY;
	return ust_icmp_build(buf, cap, &rep);
}

int ust_icmp_build_error(uint8_t *buf, size_t cap, uint8_t type, uint8_t code,
			 uint32_t rest, const uint8_t *orig, size_t orig_len)
{
	struct ust_icmp_info ic;

	if (orig_len < UST_IPV4_HLEN)
		return -EINVAL;
	memset(&ic, 0, sizeof(ic));
	ic.type = type;
	ic.code = code;
	ic.rest = rest;
	ic.payload = orig;
	ic.payload_len = orig_len < UST_ICMP_ERR_MAX_QUOTE ? orig_len : UST_ICMP_ERR_MAX_QUOTE;
	return ust_icmp_build(buf, cap, &ic);
}

int ust_icmp_build_unreach(uint8_t *buf, size_t cap, uint8_t code, uint16_t mtu,
			   const uint8_t *orig, size_t orig_len)
{
	/* icmp_send puts its info word (htonl(mtu) for frag needed) in bytes 4..7:
	 * the MTU lands in the low half, the unused high half stays zero. */
	return ust_icmp_build_error(buf, cap, UST_ICMP_DEST_UNREACH, code, mtu, orig, orig_len);
}
