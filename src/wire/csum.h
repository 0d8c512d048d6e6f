/*
 * The Internet checksum (RFC 1071) and its uses: IPv4 header, ICMP, and the TCP/UDP
 * checksum over the IPv4 pseudo-header (RFC 9293 3.1, RFC 768), plus the incremental
 * update of RFC 1624 for rewriting one field of a header that already has a checksum.
 *
 * Sums are carried in a 32-bit accumulator (as Linux's __wsum) in the machine's own
 * byte order; only ust_csum_fold turns one into a checksum. Every 16-bit checksum
 * these functions take or return is host order: the number a big-endian reader
 * sees in the header, written with ust_put_be16.
 *
 * Call order to checksum data in pieces: sum = ust_csum_partial(a, alen, 0);
 * sum = ust_csum_partial(b, blen, sum); check = ust_csum_fold(sum). Every piece but
 * the last must have an even length, as each restarts at an even offset.
 */
#ifndef UST_WIRE_CSUM_H
#define UST_WIRE_CSUM_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "wire/types.h"

/* Adds len bytes at buf (any alignment, any length) to sum. */
uint32_t ust_csum_partial(const void *buf, size_t len, uint32_t sum);
/* Folds a wide one's complement sum into 16 bits with end-around carries. */
static inline uint16_t ust_csum_fold16(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	return (uint16_t)s;
}

/* The checksum of an accumulated sum: folded to 16 bits and complemented.
 * Inline (with ust_csum_pseudo): the per-packet checksums are short and the
 * calls cost as much as the sums. */
static inline uint16_t ust_csum_fold(uint32_t sum)
{
	/* Complemented in memory order, then read as a big-endian number. */
	return ntohs((uint16_t)~ust_csum_fold16(sum));
}
/* ust_csum_fold(ust_csum_partial(buf, len, 0)). */
uint16_t ust_csum(const void *buf, size_t len);
/* Data that embeds its own checksum verifies when its sum folds to zero. */
bool ust_csum_ok(const void *buf, size_t len);

/* ust_csum(buf, 20) for the one size every IPv4 header without options has:
 * the same five 32-bit words summed, without the loop and the calls. */
static inline uint16_t ust_csum20(const void *buf)
{
	uint32_t w[5];
	uint64_t acc;

	memcpy(w, buf, sizeof(w));
	acc = (uint64_t)w[0] + w[1] + w[2] + w[3] + w[4];
	return ust_csum_fold((uint32_t)((acc & 0xffffffffu) + (acc >> 32)));
}

/* The sum of the IPv4 pseudo-header (addresses, protocol, L4 length). */
static inline uint32_t ust_csum_pseudo(ust_be32 saddr, ust_be32 daddr, uint8_t proto, uint16_t len)
{
	/* Addresses are already in memory order; protocol and length are put there. */
	uint64_t acc = (uint64_t)saddr + daddr + htons(proto) + htons(len);

	acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}
/* Checksum of a TCP or UDP segment of len (<= 65535) bytes whose checksum field
 * holds 0.
 * (UDP sends a computed 0 as 0xffff, RFC 768; that is the UDP layer's business.) */
uint16_t ust_tcpudp_csum(ust_be32 saddr, ust_be32 daddr, uint8_t proto,
			 const void *seg, size_t len);
/* A received segment whose checksum field is filled in verifies. */
bool ust_tcpudp_csum_ok(ust_be32 saddr, ust_be32 daddr, uint8_t proto,
			const void *seg, size_t len);

/* RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'): the checksum after a 16-bit field at an
 * even offset changes from old_v to new_v. Host-order values throughout. */
uint16_t ust_csum_replace2(uint16_t check, uint16_t old_v, uint16_t new_v);
/* The same for a 32-bit field at an even offset (a seq, or an address: pass
 * ntohl() of a ust_be32). */
uint16_t ust_csum_replace4(uint16_t check, uint32_t old_v, uint32_t new_v);

#endif
