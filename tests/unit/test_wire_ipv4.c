/*
 * Tests for src/wire/ipv4.h: headers Linux sent, rebuilt byte for byte; truncation
 * at every length; the header errors ip_rcv_core tells apart; options, padding,
 * fragments and the quoted header of ICMP errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "linux_frames.h"
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include "wire/csum.h"
#include "wire/ipv4.h"

/* Golden frames: Linux 6.18 on a veth pair between two network namespaces
 * (192.0.2.1 and 192.0.2.2), checksum offload off, captured with tcpdump
 * (tests/data/linux-veth.pcap). The IPv4 header starts at byte 14. */

#define IPH(f) ((f) + 14)

static ust_be32 addr(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static void test_echo_request_fields(void **state)
{
	struct ust_ipv4_info ip;

	assert_int_equal(ust_ipv4_parse(IPH(echo_req), sizeof(echo_req) - 14, &ip), 0);
	assert_int_equal(ip.tos, 0);
	assert_int_equal(ip.hdr_len, 20);
	assert_int_equal(ip.tot_len, 84);
	assert_int_equal(ip.id, 15567);
	assert_false(ip.rf);
	assert_true(ip.df);
	assert_false(ip.mf);
	assert_int_equal(ip.frag_off, 0);
	assert_false(ust_ipv4_is_fragment(&ip));
	assert_int_equal(ip.ttl, 64);
	assert_int_equal(ip.protocol, UST_IPPROTO_ICMP);
	assert_int_equal(ip.check, 0x79d6);
	assert_int_equal(ip.saddr, addr("192.0.2.1"));
	assert_int_equal(ip.daddr, addr("192.0.2.2"));
	assert_int_equal(ip.opt_len, 0);
	assert_ptr_equal(ip.payload, IPH(echo_req) + 20);
	assert_int_equal(ip.payload_len, 64);
	assert_true(ust_ipv4_csum_ok(IPH(echo_req), ip.hdr_len));
}

static void test_syn_and_unreach_fields(void **state)
{
	struct ust_ipv4_info ip;

	assert_int_equal(ust_ipv4_parse(IPH(syn), sizeof(syn) - 14, &ip), 0);
	assert_int_equal(ip.tot_len, 60);
	assert_int_equal(ip.id, 39740);
	assert_true(ip.df);
	assert_int_equal(ip.protocol, UST_IPPROTO_TCP);
	assert_int_equal(ip.check, 0x1b7c);
	assert_int_equal(ip.payload_len, 40);
	assert_true(ust_ipv4_csum_ok(IPH(syn), 20));

	/* icmp_send: tos with precedence "internetwork control", DF clear. */
	assert_int_equal(ust_ipv4_parse(IPH(unreach), sizeof(unreach) - 14, &ip), 0);
	assert_int_equal(ip.tos, 0xc0);
	assert_false(ip.df);
	assert_int_equal(ip.id, 53779);
	assert_int_equal(ip.tot_len, 72);
	assert_int_equal(ip.protocol, UST_IPPROTO_ICMP);
	assert_int_equal(ip.check, 0x23de);
	assert_int_equal(ip.saddr, addr("192.0.2.2"));
	assert_int_equal(ip.daddr, addr("192.0.2.1"));
	assert_true(ust_ipv4_csum_ok(IPH(unreach), 20));
}

static void test_build_reproduces_linux(void **state)
{
	const uint8_t *frames[] = { echo_req, syn, unreach };

	for (size_t i = 0; i < 3; i++) {
		struct ust_ipv4_info ip;
		uint8_t buf[20];

		assert_int_equal(ust_ipv4_parse(IPH(frames[i]), ust_get_be16(IPH(frames[i]) + 2), &ip), 0);
		assert_int_equal(ust_ipv4_build(buf, sizeof(buf), &ip), 20);
		assert_memory_equal(buf, IPH(frames[i]), 20);
	}
}

static void test_truncated_every_length(void **state)
{
	struct ust_ipv4_info ip;
	size_t tot = sizeof(echo_req) - 14;

	for (size_t len = 0; len < tot; len++)
		assert_int_equal(ust_ipv4_parse(IPH(echo_req), len, &ip), -EMSGSIZE);
	assert_int_equal(ust_ipv4_parse(IPH(echo_req), tot, &ip), 0);
}

/* Link padding after tot_len is not payload (a 60-byte minimum Ethernet frame). */
static void test_padding_trimmed(void **state)
{
	uint8_t buf[60 + 6];
	struct ust_ipv4_info ip;

	memcpy(buf, IPH(syn), 60);
	memset(buf + 60, 0xee, 6);
	assert_int_equal(ust_ipv4_parse(buf, sizeof(buf), &ip), 0);
	assert_int_equal(ip.tot_len, 60);
	assert_int_equal(ip.payload_len, 40);
}

static void test_impossible_headers(void **state)
{
	uint8_t buf[84];
	struct ust_ipv4_info ip;

	memcpy(buf, IPH(echo_req), sizeof(buf));
	buf[0] = 0x65;                          /* version 6 */
	assert_int_equal(ust_ipv4_parse(buf, sizeof(buf), &ip), -EBADMSG);
	buf[0] = 0x44;                          /* ihl 4 */
	assert_int_equal(ust_ipv4_parse(buf, sizeof(buf), &ip), -EBADMSG);
	buf[0] = 0x40;                          /* ihl 0 */
	assert_int_equal(ust_ipv4_parse(buf, sizeof(buf), &ip), -EBADMSG);
	buf[0] = 0x4f;                          /* ihl 15: 60 > 40 bytes */
	assert_int_equal(ust_ipv4_parse(buf, 40, &ip), -EMSGSIZE);
	buf[0] = 0x45;
	ust_put_be16(buf + 2, 19);              /* tot_len < ihl*4 */
	assert_int_equal(ust_ipv4_parse(buf, sizeof(buf), &ip), -EBADMSG);
	ust_put_be16(buf + 2, 0);
	assert_int_equal(ust_ipv4_parse(buf, sizeof(buf), &ip), -EBADMSG);
	ust_put_be16(buf + 2, 85);              /* tot_len > len */
	assert_int_equal(ust_ipv4_parse(buf, sizeof(buf), &ip), -EMSGSIZE);
	ust_put_be16(buf + 2, 20);              /* header only */
	assert_int_equal(ust_ipv4_parse(buf, sizeof(buf), &ip), 0);
	assert_int_equal(ip.payload_len, 0);
}

static void test_options_skipped(void **state)
{
	/* ihl 6: one NOP,NOP,NOP,EOL option word, then 4 bytes of payload. */
	uint8_t buf[28];
	struct ust_ipv4_info ip;

	memcpy(buf, IPH(syn), 20);
	buf[0] = 0x46;
	ust_put_be16(buf + 2, 28);
	memcpy(buf + 20, "\x01\x01\x01\x00" "abcd", 8);
	ust_put_be16(buf + 10, 0);
	ust_put_be16(buf + 10, ust_csum(buf, 24));
	assert_int_equal(ust_ipv4_parse(buf, sizeof(buf), &ip), 0);
	assert_int_equal(ip.hdr_len, 24);
	assert_ptr_equal(ip.options, buf + 20);
	assert_int_equal(ip.opt_len, 4);
	assert_ptr_equal(ip.payload, buf + 24);
	assert_int_equal(ip.payload_len, 4);
	assert_true(ust_ipv4_csum_ok(buf, 24));
	/* Checked over the options too. */
	buf[21] = 0x00;
	assert_false(ust_ipv4_csum_ok(buf, 24));
	for (size_t len = 0; len < 28; len++)
		assert_int_equal(ust_ipv4_parse(buf, len, &ip), -EMSGSIZE);
	/* tot_len covering the fixed header but not the options. */
	ust_put_be16(buf + 2, 22);
	assert_int_equal(ust_ipv4_parse(buf, sizeof(buf), &ip), -EBADMSG);
	ust_put_be16(buf + 2, 24);
	assert_int_equal(ust_ipv4_parse(buf, sizeof(buf), &ip), 0);
	assert_int_equal(ip.payload_len, 0);
}

static void test_fragments_reported(void **state)
{
	uint8_t buf[60];
	struct ust_ipv4_info ip;

	memcpy(buf, IPH(syn), sizeof(buf));
	buf[6] = 0x20;                          /* MF, offset 0: a first fragment */
	buf[7] = 0x00;
	assert_int_equal(ust_ipv4_parse(buf, sizeof(buf), &ip), 0);
	assert_true(ip.mf);
	assert_false(ip.df);
	assert_int_equal(ip.frag_off, 0);
	assert_true(ust_ipv4_is_fragment(&ip));
	buf[6] = 0x00;                          /* last fragment at 185 * 8 = 1480 */
	buf[7] = 185;
	assert_int_equal(ust_ipv4_parse(buf, sizeof(buf), &ip), 0);
	assert_false(ip.mf);
	assert_int_equal(ip.frag_off, 185);
	assert_true(ust_ipv4_is_fragment(&ip));
	buf[6] = 0x9f;                          /* reserved bit, max offset */
	buf[7] = 0xff;
	assert_int_equal(ust_ipv4_parse(buf, sizeof(buf), &ip), 0);
	assert_true(ip.rf);
	assert_false(ip.df);
	assert_false(ip.mf);
	assert_int_equal(ip.frag_off, 0x1fff);
}

static void test_build_fields_and_rejects(void **state)
{
	struct ust_ipv4_info ip, back;
	uint8_t buf[40];

	memset(&ip, 0, sizeof(ip));
	ip.tos = 0x10;
	ip.tot_len = 40;
	ip.id = 0xbeef;
	ip.mf = true;
	ip.frag_off = 0x1234;
	ip.ttl = 1;
	ip.protocol = UST_IPPROTO_UDP;
	ip.saddr = addr("192.0.2.7");
	ip.daddr = addr("192.0.2.8");
	memset(buf, 0, sizeof(buf));
	assert_int_equal(ust_ipv4_build(buf, sizeof(buf), &ip), 20);
	assert_true(ust_ipv4_csum_ok(buf, 20));
	assert_int_equal(ust_ipv4_parse(buf, sizeof(buf), &back), 0);
	assert_int_equal(back.tos, 0x10);
	assert_int_equal(back.id, 0xbeef);
	assert_true(back.mf);
	assert_false(back.df);
	assert_int_equal(back.frag_off, 0x1234);
	assert_int_equal(back.ttl, 1);
	assert_int_equal(back.protocol, UST_IPPROTO_UDP);
	assert_int_equal(back.saddr, ip.saddr);
	assert_int_equal(back.daddr, ip.daddr);
	assert_int_equal(back.payload_len, 20);

	assert_int_equal(ust_ipv4_build(buf, 19, &ip), -ENOSPC);
	ip.frag_off = 0x2000;
	assert_int_equal(ust_ipv4_build(buf, sizeof(buf), &ip), -EINVAL);
	ip.frag_off = 0;
	ip.tot_len = 19;
	assert_int_equal(ust_ipv4_build(buf, sizeof(buf), &ip), -EINVAL);
}

static void test_csum_detects_corruption(void **state)
{
	uint8_t buf[20];

	memcpy(buf, IPH(syn), 20);
	assert_true(ust_ipv4_csum_ok(buf, 20));
	buf[8] = 63;                            /* ttl */
	assert_false(ust_ipv4_csum_ok(buf, 20));
}

/* The header quoted in Linux's port unreachable: only 8 bytes after it needed,
 * tot_len is the original datagram's. */
static void test_quoted_header(void **state)
{
	const uint8_t *q = IPH(unreach) + 20 + 8;
	size_t qlen = sizeof(unreach) - 14 - 28;
	struct ust_ipv4_info ip;
	uint8_t buf[28];

	assert_int_equal(qlen, 44);
	assert_int_equal(ust_ipv4_parse_quoted(q, qlen, &ip), 0);
	assert_int_equal(ip.protocol, UST_IPPROTO_UDP);
	assert_int_equal(ip.tot_len, 44);
	assert_int_equal(ip.id, 26186);
	assert_int_equal(ip.saddr, addr("192.0.2.1"));
	assert_int_equal(ip.daddr, addr("192.0.2.2"));
	assert_int_equal(ip.payload_len, 24);
	assert_int_equal(ust_get_be16(ip.payload), 59360);
	assert_int_equal(ust_get_be16(ip.payload + 2), 9999);

	for (size_t len = 0; len < 28; len++)
		assert_int_equal(ust_ipv4_parse_quoted(q, len, &ip), -EMSGSIZE);
	assert_int_equal(ust_ipv4_parse_quoted(q, 28, &ip), 0);
	assert_int_equal(ip.tot_len, 44);       /* more than quoted: fine */
	assert_int_equal(ip.payload_len, 8);
	/* The checked parser refuses the same bytes: tot_len > len. */
	assert_int_equal(ust_ipv4_parse(q, 28, &ip), -EMSGSIZE);

	memcpy(buf, q, 28);
	buf[0] = 0x44;
	assert_int_equal(ust_ipv4_parse_quoted(buf, 28, &ip), -EBADMSG);
	buf[0] = 0x65;
	assert_int_equal(ust_ipv4_parse_quoted(buf, 28, &ip), -EBADMSG);
	buf[0] = 0x46;                          /* ihl 6 needs 24 + 8 */
	assert_int_equal(ust_ipv4_parse_quoted(buf, 28, &ip), -EMSGSIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo_request_fields),
		cmocka_unit_test(test_syn_and_unreach_fields),
		cmocka_unit_test(test_build_reproduces_linux),
		cmocka_unit_test(test_truncated_every_length),
		cmocka_unit_test(test_padding_trimmed),
		cmocka_unit_test(test_impossible_headers),
		cmocka_unit_test(test_options_skipped),
		cmocka_unit_test(test_fragments_reported),
		cmocka_unit_test(test_build_fields_and_rejects),
		cmocka_unit_test(test_csum_detects_corruption),
		cmocka_unit_test(test_quoted_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
