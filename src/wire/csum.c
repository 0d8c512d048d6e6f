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

/* acc += v with the carry out counted in *carry: 2^64 = 1 (mod 2^16 - 1), so
 * each carry is worth one, added back at the end (end-around carry). The
 * compiler turns the pair into add + adc. */
static inline uint64_t add64(uint64_t acc, uint64_t v, uint64_t *carry)
{
	acc += v;
	*carry += acc < v;
	return acc;
}

uint32_t ust_csum_partial(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t acc = sum, carry = 0;
	uint64_t w[4];

	/* 64-bit words with end-around carry: a one's complement sum of the
	 * 16-bit words in any grouping (RFC 1071 2(C)), two instructions a word. */
	while (len >= sizeof(w)) {
		memcpy(w, p, sizeof(w));
		acc = add64(acc, w[0], &carry);
		acc = add64(acc, w[1], &carry);
		acc = add64(acc, w[2], &carry);
		acc = add64(acc, w[3], &carry);
		p += sizeof(w);
		len -= sizeof(w);
	}
	while (len >= 8) {
		memcpy(w, p, 8);
		acc = add64(acc, w[0], &carry);
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		uint32_t v;

		memcpy(&v, p, 4);
		acc = add64(acc, v, &carry);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t v;

		memcpy(&v, p, 2);
		acc = add64(acc, v, &carry);
		p += 2;
		len -= 2;
	}
	if (len) {
		/* An odd last byte is padded with a zero byte after it (RFC 1071 4.1);
		 * loading the pair in memory order keeps that right on any byte order. */
		uint8_t pair[2] = { p[0], 0 };
		uint16_t v;

		memcpy(&v, pair, 2);
		acc = add64(acc, v, &carry);
	}
	/* The carries go back in; that can carry once more, into an acc that is
	 * then below the (small) count just added, so the last add cannot wrap. */
	w[0] = 0;
	acc = add64(acc, carry, &w[0]);
	acc += w[0];
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

uint16_t ust_csum(const void *buf, size_t len)
{
	return ust_csum_fold(ust_csum_partial(buf, len, 0));
}

bool ust_csum_ok(const void *buf, size_t len)
{
	return ust_csum(buf, len) == 0;
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
