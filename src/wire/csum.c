/*
 * Internet checksum arithmetic (RFC 1071, RFC 1624). The sum runs over 64-bit words
 * loaded with memcpy, so it is fast on any alignment; it is computed in the
 * machine's byte order, which RFC 1071 2(B) shows gives the byte-swapped result on
 * a little-endian machine, so ust_csum_fold swaps once at the end.
 */
#include <arpa/inet.h>
#include <string.h>
#include "core/compiler.h"
#include "wire/csum.h"

/* Folds a wide one's complement sum into 16 bits with end-around carries. */
static uint16_t fold16(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	return (uint16_t)s;
}

uint32_t ust_csum_partial(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t acc = sum;
	uint64_t w[4];

	/* Each 64-bit word adds as two 32-bit halves, so acc cannot overflow
	 * before 2^31 words: far beyond any packet. */
	while (len >= sizeof(w)) {
		memcpy(w, p, sizeof(w));
		acc += (w[0] & 0xffffffffu) + (w[0] >> 32);
		acc += (w[1] & 0xffffffffu) + (w[1] >> 32);
		acc += (w[2] & 0xffffffffu) + (w[2] >> 32);
		acc += (w[3] & 0xffffffffu) + (w[3] >> 32);
		p += sizeof(w);
		len -= sizeof(w);
	}
	while (len >= 8) {
		memcpy(w, p, 8);
		acc += (w[0] & 0xffffffffu) + (w[0] >> 32);
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		uint32_t v;

		memcpy(&v, p, 4);
		acc += v;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t v;

		memcpy(&v, p, 2);
		acc += v;
		p += 2;
		len -= 2;
	}
	if (len) {
		/* An odd last byte is padded with a zero byte after it (RFC 1071 4.1);
		 * loading the pair in memory order keeps that right on any byte order. */
		uint8_t pair[2] = { p[0], 0 };
		uint16_t v;

		memcpy(&v, pair, 2);
		acc += v;
	}
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

uint16_t ust_csum_fold(uint32_t sum)
{
	/* Complemented in memory order, then read as a big-endian number. */
	return ntohs((uint16_t)~fold16(sum));
}

uint16_t ust_csum(const void *buf, size_t len)
{
	return ust_csum_fold(ust_csum_partial(buf, len, 0));
}

bool ust_csum_ok(const void *buf, size_t len)
{
	return ust_csum(buf, len) == 0;
}

uint32_t ust_csum_pseudo(ust_be32 saddr, ust_be32 daddr, uint8_t proto, uint16_t len)
{
	/* Addresses are already in memory order; protocol and length are put there. */
	uint64_t acc = (uint64_t)saddr + daddr + htons(proto) + htons(len);

	acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

uint16_t ust_tcpudp_csum(ust_be32 saddr, ust_be32 daddr, uint8_t proto,
			 const void *seg, size_t len)
{
	uint32_t sum = ust_csum_pseudo(saddr, daddr, proto, (uint16_t)len);

	return ust_csum_fold(ust_csum_partial(seg, len, sum));
}

bool ust_tcpudp_csum_ok(ust_be32 saddr, ust_be32 daddr, uint8_t proto,
			const void *seg, size_t len)
{
	if (len > 0xffff)
		return false;
	return ust_tcpudp_csum(saddr, daddr, proto, seg, len) == 0;
}

/* One's complement 16-bit addition, host order. */
static uint16_t add16(uint32_t a, uint32_t b)
{
	uint32_t s = a + b;

	s = (s & 0xffffu) + (s >> 16);
	return (uint16_t)((s & 0xffffu) + (s >> 16));
}

uint16_t ust_csum_replace2(uint16_t check, uint16_t old_v, uint16_t new_v)
{
	/* RFC 1624 3: eqn. 3 never yields the -0 that eqn. 2 can. */
	uint16_t s = add16((uint16_t)~check, (uint16_t)~old_v);

	return (uint16_t)~add16(s, new_v);
}

uint16_t ust_csum_replace4(uint16_t check, uint32_t old_v, uint32_t new_v)
{
	check = ust_csum_replace2(check, (uint16_t)(old_v >> 16), (uint16_t)(new_v >> 16));
	return ust_csum_replace2(check, (uint16_t)old_v, (uint16_t)new_v);
}
