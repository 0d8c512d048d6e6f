/*
 * Ethernet II framing (IEEE 802.3 clause 3 with an EtherType): parse and build the
 * 14-byte header. A frame carrying an 802.1Q or 802.1ad tag is parsed and flagged
 * (`tagged`) with its outer TPID left in `ethertype`, so a caller dispatching on
 * ethertype never mistakes it for IP and can count it before dropping it: the
 * stack has no VLAN support, as a Linux host without a vlan device drops them.
 *
 * Errors: -EMSGSIZE when len is shorter than the header (14, or 18 when tagged).
 * Nothing else is rejected: a frame whose type field is a length (< 0x0600, IEEE
 * 802.3 with LLC) comes back with that value in ethertype for the caller to drop.
 * Frames shorter than 60 bytes are padded by the caller before sending.
 */
#ifndef UST_WIRE_ETH_H
#define UST_WIRE_ETH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UST_ETH_ALEN 6
#define UST_ETH_HLEN 14
#define UST_ETH_VLAN_HLEN 18
#define UST_ETH_ZLEN 60                 /* minimum frame without FCS */
#define UST_ETH_DATA_LEN 1500

#define UST_ETH_P_IP 0x0800
#define UST_ETH_P_ARP 0x0806
#define UST_ETH_P_8021Q 0x8100
#define UST_ETH_P_8021AD 0x88a8
#define UST_ETH_P_IPV6 0x86dd

struct ust_eth_info {
	uint8_t dst[UST_ETH_ALEN];
	uint8_t src[UST_ETH_ALEN];
	uint16_t ethertype;             /* host order; the TPID when tagged */
	bool tagged;                    /* 802.1Q/802.1ad: the caller drops it */
	uint16_t vlan_tci;              /* when tagged: PCP, DEI, VID */
	uint16_t inner_type;            /* when tagged: the EtherType after the tag */
	size_t hdr_len;                 /* 14, or 18 when tagged */
	const uint8_t *payload;         /* after the header, up to the end of input */
	size_t payload_len;
};

int ust_eth_parse(const uint8_t *p, size_t len, struct ust_eth_info *out);
/* Writes the header (14 bytes, 18 when e->tagged) and returns its length, or
 * -ENOSPC if cap is too small. */
int ust_eth_build(uint8_t *buf, size_t cap, const struct ust_eth_info *e);
static inline bool ust_eth_is_broadcast(const uint8_t *addr)
{
	return (addr[0] & addr[1] & addr[2] & addr[3] & addr[4] & addr[5]) == 0xff;
}

static inline bool ust_eth_is_multicast(const uint8_t *addr)
{
	return addr[0] & 1;
}

#endif
