/* ARP packet parse and build for Ethernet/IPv4 (RFC 826); see arp.h. */
#include <errno.h>
#include <string.h>
#include "wire/arp.h"

int ust_arp_parse(const uint8_t *p, size_t len, struct ust_arp_info *out)
{
	uint16_t op;

	if (len < UST_ARP_LEN)
		return -EMSGSIZE;
	if (ust_get_be16(p) != UST_ARPHRD_ETHER || ust_get_be16(p + 2) != UST_ETH_P_IP ||
	    p[4] != UST_ETH_ALEN || p[5] != 4)
		return -EBADMSG;
	op = ust_get_be16(p + 6);
	if (op != UST_ARPOP_REQUEST && op != UST_ARPOP_REPLY)
		return -EBADMSG;
	out->op = op;
	memcpy(out->sha, p + 8, UST_ETH_ALEN);
	out->spa = ust_load_be32(p + 14);
	memcpy(out->tha, p + 18, UST_ETH_ALEN);
	out->tpa = ust_load_be32(p + 24);
	return 0;
}

int ust_arp_build(uint8_t *buf, size_t cap, const struct ust_arp_info *a)
{
	if (cap < UST_ARP_LEN)
		return -ENOSPC;
	ust_put_be16(buf, UST_ARPHRD_ETHER);
	ust_put_be16(buf + 2, UST_ETH_P_IP);
	buf[4] = UST_ETH_ALEN;
	buf[5] = 4;
	ust_put_be16(buf + 6, a->op);
	memcpy(buf + 8, a->sha, UST_ETH_ALEN);
	ust_store_be32(buf + 14, a->spa);
	memcpy(buf + 18, a->tha, UST_ETH_ALEN);
	ust_store_be32(buf + 24, a->tpa);
	return UST_ARP_LEN;
}
