/*
 * IPv4 header (RFC 791 3.1): checked parse of received headers, parse of the header
 * quoted inside an ICMP error, and build of the 20-byte header the stack sends.
 *
 * ust_ipv4_parse checks what ip_rcv_core checks in Linux, in the same order, and its
 * two errors map onto the two counters Linux keeps:
 *   -EMSGSIZE  len < 20, len < ihl*4, or tot_len > len: the datagram is cut short
 *              (InTruncatedPkts for tot_len > len; a short header is a plain drop);
 *   -EBADMSG   version != 4, ihl < 5, or tot_len < ihl*4 (InHdrErrors).
 * Bytes after tot_len are link padding: payload_len stops at tot_len and the caller
 * trims the rest. Header options are skipped (pointed at, not interpreted). The
 * checksum is not checked by the parser: call ust_ipv4_csum_ok on the header.
 * Fragments parse like any datagram; ust_ipv4_is_fragment says whether to count and
 * drop one (the stack does no reassembly).
 */
#ifndef UST_WIRE_IPV4_H
#define UST_WIRE_IPV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "wire/types.h"

#define UST_IPV4_HLEN 20                /* without options */
#define UST_IPV4_MAX_HLEN 60
#define UST_IPPROTO_ICMP 1
#define UST_IPPROTO_TCP 6
#define UST_IPPROTO_UDP 17

struct ust_ipv4_info {
	uint8_t tos;                    /* DSCP and ECN */
	uint8_t ttl;
	uint8_t protocol;
	uint8_t hdr_len;                /* ihl * 4, 20..60 */
	uint16_t tot_len;
	uint16_t id;
	bool rf;                        /* reserved flag bit, reported as sent */
	bool df;
	bool mf;
	uint16_t frag_off;              /* fragment offset in 8-byte units */
	uint16_t check;
	ust_be32 saddr;
	ust_be32 daddr;
	const uint8_t *options;         /* hdr_len - 20 bytes, not interpreted */
	size_t opt_len;
	const uint8_t *payload;         /* after the header */
	size_t payload_len;             /* tot_len - hdr_len (see quoted parse) */
};

int ust_ipv4_parse(const uint8_t *p, size_t len, struct ust_ipv4_info *out);
/*
 * The header quoted in an ICMP error (RFC 792): only its first ihl*4 + 8 bytes need
 * be there, as icmp_unreach and icmp_socket_deliver require in Linux. Checks
 * version 4 and ihl >= 5 (-EBADMSG) and len >= ihl*4 + 8 (-EMSGSIZE); tot_len is
 * the original datagram's and is reported, not checked; payload_len is what was
 * quoted after the header (len - ihl*4).
 */
int ust_ipv4_parse_quoted(const uint8_t *p, size_t len, struct ust_ipv4_info *out);
/* The header checksum of hdr (hdr_len bytes, options included) verifies. */
bool ust_ipv4_csum_ok(const uint8_t *hdr, size_t hdr_len);
/*
 * Writes a 20-byte header (no options) from tos, tot_len, id, rf/df/mf, frag_off,
 * ttl, protocol, saddr, daddr, with its checksum computed; hdr_len, check and the
 * pointers of ip are ignored. Returns 20, -ENOSPC if cap < 20, or -EINVAL if
 * tot_len < 20 or frag_off does not fit its 13 bits.
 */
int ust_ipv4_build(uint8_t *buf, size_t cap, const struct ust_ipv4_info *ip);

static inline bool ust_ipv4_is_fragment(const struct ust_ipv4_info *ip)
{
	return ip->mf || ip->frag_off != 0;
}

#endif
