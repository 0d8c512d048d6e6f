/*
 * Tests for src/wire/icmp.h: Linux's echo request and reply and its port
 * unreachable, parsed and rebuilt byte for byte; the quoted datagram and its
 * 576-byte limit; the other error types; truncation at every length.
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
#include "wire/icmp.h"
#include "wire/ipv4.h"

/* Golden frames: Linux 6.18 on a veth pair between two network namespaces
 * (192.0.2.1 and 192.0.2.2), checksum offload off, captured with tcpdump
 * (tests/data/linux-veth.pcap). The ICMP message starts at byte 34. */

/* Linux's echo reply from 192.0.2.2 (frame 4). */
static const uint8_t echo_rep[98] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x54, 0xd1, 0x7a, 0x00, 0x00, 0x40, 0x01,
	0x25, 0x2b, 0xc0, 0x00, 0x02, 0x02, 0xc0, 0x00, 0x02, 0x01, 0x00, 0x00,
	0x57, 0x50, 0x0f, 0x1e, 0x00, 0x01, 0x25, 0x27, 0x07, 0x6b, 0x00, 0x00,
	0x00, 0x00, 0xa6, 0x2b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x11,
	0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d,
	0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29,
	0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35,
	0x36, 0x37,
};

#define ICMPH(f) ((f) + 34)
#define ICMPLEN(f) (sizeof(f) - 34)

static ust_be32 addr(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static void test_echo_fields(void **state)
{
	struct ust_icmp_info ic;

	assert_int_equal(ust_icmp_parse(ICMPH(echo_req), ICMPLEN(echo_req), &ic), 0);
	assert_int_equal(ic.type, UST_ICMP_ECHO);
	assert_int_equal(ic.code, 0);
	assert_int_equal(ic.check, 0x4f50);
	assert_int_equal(ic.id, 3870);
	assert_int_equal(ic.seq, 1);
	assert_int_equal(ic.rest, 0x0f1e0001u);
	assert_false(ic.is_error);
	assert_int_equal(ic.payload_len, 56);
	assert_ptr_equal(ic.payload, ICMPH(echo_req) + 8);
	assert_true(ust_icmp_csum_ok(ICMPH(echo_req), ICMPLEN(echo_req)));

	assert_int_equal(ust_icmp_parse(ICMPH(echo_rep), ICMPLEN(echo_rep), &ic), 0);
	assert_int_equal(ic.type, UST_ICMP_ECHOREPLY);
	assert_int_equal(ic.check, 0x5750);
	assert_int_equal(ic.id, 3870);
	assert_int_equal(ic.seq, 1);
	assert_int_equal(ic.payload_len, 56);
	assert_memory_equal(ic.payload, ICMPH(echo_req) + 8, 56);
	assert_true(ust_icmp_csum_ok(ICMPH(echo_rep), ICMPLEN(echo_rep)));
}

static void test_echo_reply_built_as_linux(void **state)
{
	struct ust_icmp_info req;
	uint8_t buf[128];

	assert_int_equal(ust_icmp_parse(ICMPH(echo_req), ICMPLEN(echo_req), &req), 0);
	assert_int_equal(ust_icmp_build_echo_reply(buf, sizeof(buf), &req), 64);
	assert_memory_equal(buf, ICMPH(echo_rep), 64);
	assert_int_equal(ust_icmp_build_echo_reply(buf, 63, &req), -ENOSPC);

	/* In place, over the request itself. */
	memcpy(buf, ICMPH(echo_req), 64);
	assert_int_equal(ust_icmp_parse(buf, 64, &req), 0);
	assert_int_equal(ust_icmp_build_echo_reply(buf, 64, &req), 64);
	assert_memory_equal(buf, ICMPH(echo_rep), 64);
}

static void test_build_reproduces_linux(void **state)
{
	const uint8_t *msgs[] = { ICMPH(echo_req), ICMPH(echo_rep), ICMPH(unreach) };
	const size_t lens[] = { ICMPLEN(echo_req), ICMPLEN(echo_rep), ICMPLEN(unreach) };

	for (size_t i = 0; i < 3; i++) {
		struct ust_icmp_info ic;
		uint8_t buf[128];

		assert_int_equal(ust_icmp_parse(msgs[i], lens[i], &ic), 0);
		assert_int_equal(ust_icmp_build(buf, sizeof(buf), &ic), (int)lens[i]);
		assert_memory_equal(buf, msgs[i], lens[i]);
	}
}

static void test_port_unreach_fields(void **state)
{
	struct ust_icmp_info ic;

	assert_int_equal(ust_icmp_parse(ICMPH(unreach), ICMPLEN(unreach), &ic), 0);
	assert_int_equal(ic.type, UST_ICMP_DEST_UNREACH);
	assert_int_equal(ic.code, UST_ICMP_PORT_UNREACH);
	assert_int_equal(ic.check, 0x812a);
	assert_int_equal(ic.rest, 0);
	assert_int_equal(ic.mtu, 0);
	assert_true(ic.is_error);
	assert_int_equal(ic.payload_len, 44);
	assert_true(ust_icmp_csum_ok(ICMPH(unreach), ICMPLEN(unreach)));
	assert_int_equal(ic.orig.protocol, UST_IPPROTO_UDP);
	assert_int_equal(ic.orig.saddr, addr("192.0.2.1"));
	assert_int_equal(ic.orig.daddr, addr("192.0.2.2"));
	assert_int_equal(ic.orig.tot_len, 44);
	assert_int_equal(ic.orig.hdr_len, 20);
	assert_ptr_equal(ic.orig.payload, ICMPH(unreach) + 28);
	assert_int_equal(ic.orig.payload_len, 24);
	assert_int_equal(ust_load_be16(ic.orig.payload), htons(59360));
	assert_int_equal(ust_load_be16(ic.orig.payload + 2), htons(9999));
}

/* Quoting the datagram as icmp_send does gives exactly Linux's message. */
static void test_unreach_built_as_linux(void **state)
{
	uint8_t buf[128];
	int n;

	n = ust_icmp_build_unreach(buf, sizeof(buf), UST_ICMP_PORT_UNREACH, 0,
				   udp + 14, sizeof(udp) - 14);
	assert_int_equal(n, (int)ICMPLEN(unreach));
	assert_memory_equal(buf, ICMPH(unreach), ICMPLEN(unreach));
	assert_int_equal(ust_icmp_build_unreach(buf, (size_t)n - 1, UST_ICMP_PORT_UNREACH, 0,
						udp + 14, sizeof(udp) - 14), -ENOSPC);
	assert_int_equal(ust_icmp_build_unreach(buf, sizeof(buf), UST_ICMP_PORT_UNREACH, 0,
						udp + 14, 19), -EINVAL);
}

static void test_quote_limited_to_576(void **state)
{
	uint8_t orig[1500], buf[1600];
	struct ust_icmp_info ic;

	for (size_t i = 0; i < sizeof(orig); i++)
		orig[i] = (uint8_t)(i * 7);
	memcpy(orig, udp + 14, 20);
	ust_put_be16(orig + 2, sizeof(orig));
	assert_int_equal(UST_ICMP_ERR_MAX_QUOTE, 548);
	assert_int_equal(ust_icmp_build_unreach(buf, sizeof(buf), UST_ICMP_PROT_UNREACH, 0,
						orig, sizeof(orig)), 556);
	assert_int_equal(20 + 556, 576);
	assert_memory_equal(buf + 8, orig, 548);
	assert_true(ust_icmp_csum_ok(buf, 556));
	assert_int_equal(ust_icmp_parse(buf, 556, &ic), 0);
	assert_int_equal(ic.code, UST_ICMP_PROT_UNREACH);
	assert_int_equal(ic.orig.tot_len, 1500);
	assert_int_equal(ic.orig.payload_len, 528);

	assert_int_equal(ust_icmp_build_unreach(buf, sizeof(buf), 3, 0, orig, 549), 556);
	assert_int_equal(ust_icmp_build_unreach(buf, sizeof(buf), 3, 0, orig, 548), 556);
	assert_int_equal(ust_icmp_build_unreach(buf, sizeof(buf), 3, 0, orig, 547), 555);
	assert_int_equal(ust_icmp_build_unreach(buf, sizeof(buf), 3, 0, orig, 28), 36);
}

static void test_frag_needed_mtu(void **state)
{
	static const uint8_t rest[4] = { 0, 0, 0x05, 0x78 };
	struct ust_icmp_info ic;
	uint8_t buf[128];

	assert_int_equal(ust_icmp_build_unreach(buf, sizeof(buf), UST_ICMP_FRAG_NEEDED, 1400,
						udp + 14, sizeof(udp) - 14), 52);
	assert_memory_equal(buf + 4, rest, 4);
	assert_int_equal(ust_icmp_parse(buf, 52, &ic), 0);
	assert_int_equal(ic.code, UST_ICMP_FRAG_NEEDED);
	assert_int_equal(ic.mtu, 1400);
	assert_true(ic.is_error);
	assert_true(ust_icmp_csum_ok(buf, 52));

	/* The MTU view exists only for code 4. */
	buf[1] = UST_ICMP_HOST_UNREACH;
	assert_int_equal(ust_icmp_parse(buf, 52, &ic), 0);
	assert_int_equal(ic.mtu, 0);
	assert_int_equal(ic.rest, 1400);
}

static void test_other_errors(void **state)
{
	struct ust_icmp_info ic;
	uint8_t buf[128];
	int n;

	n = ust_icmp_build_error(buf, sizeof(buf), UST_ICMP_TIME_EXCEEDED, UST_ICMP_EXC_TTL, 0,
				 udp + 14, sizeof(udp) - 14);
	assert_int_equal(n, 52);
	assert_int_equal(ust_icmp_parse(buf, 52, &ic), 0);
	assert_int_equal(ic.type, UST_ICMP_TIME_EXCEEDED);
	assert_true(ic.is_error);
	assert_int_equal(ic.orig.protocol, UST_IPPROTO_UDP);

	n = ust_icmp_build_error(buf, sizeof(buf), UST_ICMP_PARAMETERPROB, 0, 12u << 24,
				 udp + 14, sizeof(udp) - 14);
	assert_int_equal(ust_icmp_parse(buf, (size_t)n, &ic), 0);
	assert_int_equal(ic.pointer, 12);
	assert_true(ic.is_error);

	n = ust_icmp_build_error(buf, sizeof(buf), UST_ICMP_REDIRECT, 1, 0xc0000201u,
				 udp + 14, sizeof(udp) - 14);
	assert_int_equal(ust_icmp_parse(buf, (size_t)n, &ic), 0);
	assert_int_equal(ic.gateway, addr("192.0.2.1"));
	assert_true(ic.is_error);

	n = ust_icmp_build_error(buf, sizeof(buf), UST_ICMP_SOURCE_QUENCH, 0, 0,
				 udp + 14, sizeof(udp) - 14);
	assert_int_equal(ust_icmp_parse(buf, (size_t)n, &ic), 0);
	assert_true(ic.is_error);

	/* A timestamp request is no error: parsed with its raw rest. */
	memcpy(buf, "\x0d\x00\x00\x00\x12\x34\x00\x07", 8);
	assert_int_equal(ust_icmp_parse(buf, 8, &ic), 0);
	assert_false(ic.is_error);
	assert_int_equal(ic.rest, 0x12340007u);
	assert_int_equal(ic.payload_len, 0);
}

static void test_truncated_every_length(void **state)
{
	struct ust_icmp_info ic;

	for (size_t len = 0; len < 8; len++) {
		assert_int_equal(ust_icmp_parse(ICMPH(echo_req), len, &ic), -EMSGSIZE);
		assert_int_equal(ust_icmp_parse(ICMPH(unreach), len, &ic), -EMSGSIZE);
	}
	/* An echo is whole with any amount of data. */
	assert_int_equal(ust_icmp_parse(ICMPH(echo_req), 8, &ic), 0);
	assert_int_equal(ic.payload_len, 0);
	/* An error needs the quoted header and 8 bytes after it. */
	for (size_t len = 8; len < 8 + 28; len++)
		assert_int_equal(ust_icmp_parse(ICMPH(unreach), len, &ic), -EMSGSIZE);
	assert_int_equal(ust_icmp_parse(ICMPH(unreach), 36, &ic), 0);
	assert_int_equal(ic.orig.payload_len, 8);
}

static void test_bad_quoted_header(void **state)
{
	uint8_t buf[52];
	struct ust_icmp_info ic;

	memcpy(buf, ICMPH(unreach), sizeof(buf));
	buf[8] = 0x44;                          /* quoted ihl 4 */
	assert_int_equal(ust_icmp_parse(buf, sizeof(buf), &ic), -EBADMSG);
	buf[8] = 0x65;                          /* quoted version 6 */
	assert_int_equal(ust_icmp_parse(buf, sizeof(buf), &ic), -EBADMSG);
	buf[8] = 0x4f;                          /* quoted ihl 15: 60 + 8 > 44 */
	assert_int_equal(ust_icmp_parse(buf, sizeof(buf), &ic), -EMSGSIZE);
}

static void test_csum_odd_length(void **state)
{
	struct ust_icmp_info ic;
	uint8_t data[3] = { 0xab, 0xcd, 0xef };
	uint8_t buf[16];

	memset(&ic, 0, sizeof(ic));
	ic.type = UST_ICMP_ECHO;
	ic.rest = 0x00010002u;
	ic.payload = data;
	ic.payload_len = sizeof(data);
	assert_int_equal(ust_icmp_build(buf, sizeof(buf), &ic), 11);
	/* 0x0800 + 0x0001 + 0x0002 + 0xabcd + 0xef00 = 0x1a2d0 -> 0xa2d1, ~ 0x5d2e */
	assert_int_equal(ust_get_be16(buf + 2), 0x5d2e);
	assert_true(ust_icmp_csum_ok(buf, 11));
	buf[10] ^= 0x80;
	assert_false(ust_icmp_csum_ok(buf, 11));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo_fields),
		cmocka_unit_test(test_echo_reply_built_as_linux),
		cmocka_unit_test(test_build_reproduces_linux),
		cmocka_unit_test(test_port_unreach_fields),
		cmocka_unit_test(test_unreach_built_as_linux),
		cmocka_unit_test(test_quote_limited_to_576),
		cmocka_unit_test(test_frag_needed_mtu),
		cmocka_unit_test(test_other_errors),
		cmocka_unit_test(test_truncated_every_length),
		cmocka_unit_test(test_bad_quoted_header),
		cmocka_unit_test(test_csum_odd_length),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
