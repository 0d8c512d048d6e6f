/*
 * Tests for src/wire/csum.h: the Internet checksum against a byte-by-byte
 * reference at every length and alignment, chaining, the pseudo-header on
 * segments Linux sent, and RFC 1624 incremental updates against full recomputes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "linux_frames.h"
#include <arpa/inet.h>
#include <string.h>
#include "wire/csum.h"
#include "wire/types.h"

/* Golden frames: Linux 6.18 on a veth pair between two network namespaces,
 * checksum offload off, captured with tcpdump (tests/data/linux-veth.pcap). */

/* Fixed-seed generator so every run checks the same inputs. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/* RFC 1071 done the slow, obvious way: big-endian 16-bit words, host order. */
static uint16_t ref_csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void test_rfc1071_example(void **state)
{
	/* RFC 1071 3: these eight bytes sum to 0xddf2. */
	static const uint8_t b[8] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	assert_int_equal(ust_csum(b, 8), (uint16_t)~0xddf2);
	assert_int_equal(ust_csum(b, 0), 0xffff);
}

static void test_odd_lengths(void **state)
{
	static const uint8_t b[3] = { 0xab, 0xcd, 0xef };

	assert_int_equal(ust_csum(b, 1), (uint16_t)~0xab00);
	/* 0xabcd + 0xef00 = 0x19acd -> 0x9ace */
	assert_int_equal(ust_csum(b, 3), (uint16_t)~0x9ace);
}

static void test_every_length_and_alignment(void **state)
{
	uint8_t buf[600 + 8];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rnd();
	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len <= 600; len++)
			assert_int_equal(ust_csum(buf + off, len), ref_csum(buf + off, len));
}

static void test_carries(void **state)
{
	static uint8_t ff[65536];

	memset(ff, 0xff, sizeof(ff));
	for (size_t len = 65500; len <= sizeof(ff); len++)
		assert_int_equal(ust_csum(ff, len), ref_csum(ff, len));
	memset(ff, 0, sizeof(ff));
	assert_int_equal(ust_csum(ff, sizeof(ff)), 0xffff);
}

static void test_chained_pieces(void **state)
{
	uint8_t buf[300];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rnd();
	for (size_t cut = 0; cut < sizeof(buf); cut += 2) {
		uint32_t s = ust_csum_partial(buf, cut, 0);

		s = ust_csum_partial(buf + cut, sizeof(buf) - 1 - cut, s);
		assert_int_equal(ust_csum_fold(s), ref_csum(buf, sizeof(buf) - 1));
	}
}

static void test_ok_after_embedding(void **state)
{
	uint8_t buf[41];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rnd();
	ust_put_be16(buf + 10, 0);
	ust_put_be16(buf + 10, ust_csum(buf, sizeof(buf)));
	assert_true(ust_csum_ok(buf, sizeof(buf)));
	buf[40] ^= 1;
	assert_false(ust_csum_ok(buf, sizeof(buf)));
}

static void test_pseudo_header_linux(void **state)
{
	const uint8_t *ip = syn + 14;
	uint8_t seg[40];
	ust_be32 sa = ust_load_be32(ip + 12), da = ust_load_be32(ip + 16);

	assert_true(ust_tcpudp_csum_ok(sa, da, 6, syn + 34, 40));
	memcpy(seg, syn + 34, 40);
	ust_put_be16(seg + 16, 0);
	assert_int_equal(ust_tcpudp_csum(sa, da, 6, seg, 40), 0x9e93);
	/* Same bytes, another protocol in the pseudo-header: no longer valid. */
	assert_false(ust_tcpudp_csum_ok(sa, da, 17, syn + 34, 40));
	/* Unaligned copy, same answer. */
	{
		uint8_t un[41];

		memcpy(un + 1, syn + 34, 40);
		assert_true(ust_tcpudp_csum_ok(sa, da, 6, un + 1, 40));
	}

	ip = udp + 14;
	sa = ust_load_be32(ip + 12);
	da = ust_load_be32(ip + 16);
	assert_int_equal(ust_get_be16(udp + 34 + 6), 0xa55f);
	assert_true(ust_tcpudp_csum_ok(sa, da, 17, udp + 34, 24));
	assert_int_equal(ust_csum_pseudo(sa, da, 17, 24),
			 ust_csum_pseudo(da, sa, 17, 24));
}

/* RFC 1624: updating the checksum for changed fields gives what a full
 * recompute gives, over random data, offsets and values. */
static void test_incremental_matches_full(void **state)
{
	for (int iter = 0; iter < 20000; iter++) {
		uint8_t buf[60];
		size_t len = 20 + 2 * (rnd() % 21);
		size_t off16, off32;
		uint16_t check, old16, new16;
		uint32_t old32, new32;

		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rnd();
		buf[0] |= 1;                    /* never all zero */
		ust_put_be16(buf + 16, 0);
		check = ust_csum(buf, len);
		ust_put_be16(buf + 16, check);

		/* Two fields at even offsets, apart from each other and the checksum. */
		do {
			off16 = 2 * (rnd() % (len / 2));
			off32 = 2 * (rnd() % (len / 2 - 1));
		} while (off16 == 16 || (off32 <= 16 && off32 + 4 > 16) ||
			 (off16 + 2 > off32 && off16 < off32 + 4) || off16 == 0 ||
			 off32 == 0);
		old16 = ust_get_be16(buf + off16);
		old32 = ust_get_be32(buf + off32);
		new16 = (uint16_t)rnd();
		new32 = rnd() << 8 ^ rnd();
		ust_put_be16(buf + off16, new16);
		ust_put_be32(buf + off32, new32);
		check = ust_csum_replace2(check, old16, new16);
		check = ust_csum_replace4(check, old32, new32);

		ust_put_be16(buf + 16, 0);
		assert_int_equal(check, ust_csum(buf, len));
	}
}

/* Rewriting window and seq of Linux's SYN incrementally keeps it valid. */
static void test_incremental_on_linux_syn(void **state)
{
	uint8_t seg[40];
	const uint8_t *ip = syn + 14;
	ust_be32 sa = ust_load_be32(ip + 12), da = ust_load_be32(ip + 16);
	uint16_t check;

	memcpy(seg, syn + 34, 40);
	check = ust_get_be16(seg + 16);
	check = ust_csum_replace2(check, ust_get_be16(seg + 14), 1024);
	ust_put_be16(seg + 14, 1024);
	check = ust_csum_replace4(check, ust_get_be32(seg + 4), 0xfffffffeu);
	ust_put_be32(seg + 4, 0xfffffffeu);
	ust_put_be16(seg + 16, check);
	assert_true(ust_tcpudp_csum_ok(sa, da, 6, seg, 40));
	/* A change to an address (network order) goes through ntohl. */
	check = ust_csum_replace4(check, ntohl(da), 0xc0000263u);
	ust_put_be16(seg + 16, check);
	assert_true(ust_tcpudp_csum_ok(sa, htonl(0xc0000263u), 6, seg, 40));
	/* An unchanged field leaves the checksum alone. */
	assert_int_equal(ust_csum_replace2(check, 0x1234, 0x1234), check);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1071_example),
		cmocka_unit_test(test_odd_lengths),
		cmocka_unit_test(test_every_length_and_alignment),
		cmocka_unit_test(test_carries),
		cmocka_unit_test(test_chained_pieces),
		cmocka_unit_test(test_ok_after_embedding),
		cmocka_unit_test(test_pseudo_header_linux),
		cmocka_unit_test(test_incremental_matches_full),
		cmocka_unit_test(test_incremental_on_linux_syn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
