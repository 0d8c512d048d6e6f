/* Ethernet II header parse and build (see eth.h for what is reported how). */
#include <errno.h>
#include <string.h>
#include "wire/eth.h"
#include "wire/types.h"

static bool is_vlan_tpid(uint16_t type)
{
	return type == UST_ETH_P_8021Q || type == UST_ETH_P_8021AD;
}

int ust_eth_parse(const uint8_t *p, size_t len, struct ust_eth_info *out)
{
	if (len < UST_ETH_HLEN)
		return -EMSGSIZE;
	memset(out, 0, sizeof(*out));
	memcpy(out->dst, p, UST_ETH_ALEN);
	memcpy(out->src, p + UST_ETH_ALEN, UST_ETH_ALEN);
	out->ethertype = ust_get_be16(p + 12);
	out->hdr_len = UST_ETH_HLEN;
	if (is_vlan_tpid(out->ethertype)) {
		if (len < UST_ETH_VLAN_HLEN)
			return -EMSGSIZE;
		out->tagged = true;
		out->vlan_tci = ust_get_be16(p + 14);
		out->inner_type = ust_get_be16(p + 16);
		out->hdr_len = UST_ETH_VLAN_HLEN;
	}
	out->payload = p + out->hdr_len;
	out->payload_len = len - out->hdr_len;
	return 0;
}

int ust_eth_build(uint8_t *buf, size_t cap, const struct ust_eth_info *e)
{
	size_t hlen = e->tagged ? UST_ETH_VLAN_HLEN : UST_ETH_HLEN;

	if (cap < hlen)
		return -ENOSPC;
	memcpy(buf, e->dst, UST_ETH_ALEN);
	memcpy(buf + UST_ETH_ALEN, e->src, UST_ETH_ALEN);
	ust_put_be16(buf + 12, e->ethertype);
	if (e->tagged) {
		ust_put_be16(buf + 14, e->vlan_tci);
		ust_put_be16(buf + 16, e->inner_type);
	}
	return (int)hlen;
}
