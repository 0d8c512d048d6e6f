/*
 * ARP for IPv4 over Ethernet (RFC 826): the only shape the stack speaks is
 * htype 1, ptype 0x0800, hlen 6, plen 4 with op request or reply, the 28-byte
 * packet arp_process in Linux handles on an Ethernet device.
 *
 * Errors: -EMSGSIZE when len < 28 (bytes after 28 are link padding and ignored);
 * -EBADMSG for any other htype, ptype, hlen, plen or op.
 */
#ifndef UST_WIRE_ARP_H
#define UST_WIRE_ARP_H

#include <stddef.h>
#include <stdint.h>
#include "wire/eth.h"
#include "wire/types.h"

#define UST_ARP_LEN 28
#define UST_ARPHRD_ETHER 1
#define UST_ARPOP_REQUEST 1
#define UST_ARPOP_REPLY 2

struct ust_arp_info {
	uint16_t op;                    /* UST_ARPOP_REQUEST or UST_ARPOP_REPLY */
	uint8_t sha[UST_ETH_ALEN];      /* sender hardware address */
	ust_be32 spa;                   /* sender IPv4 address */
	uint8_t tha[UST_ETH_ALEN];      /* target hardware address (zero in requests) */
	ust_be32 tpa;                   /* target IPv4 address */
};

int ust_arp_parse(const uint8_t *p, size_t len, struct ust_arp_info *out);
/* Writes the 28-byte packet and returns 28, or -ENOSPC if cap is too small. */
int ust_arp_build(uint8_t *buf, size_t cap, const struct ust_arp_info *a);

#endif
