/*
 * Tests for src/wire/arp.h: Linux's ARP request and reply, rebuilt byte for byte;
 * every other shape refused; truncation at every length.
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
#include "wire/arp.h"

static const uint8_t mac_zero[6];

/* Golden frames: Linux 6.18 on a veth pair between two network namespaces
 * (192.0.2.1 = 02:00:00:00:00:01, 192.0.2.2 = 02:00:00:00:00:02), captured with
 * tcpdump (tests/data/linux-veth.pcap). The ARP packet starts at byte 14. */

/* Linux ARP reply from 192.0.2.2 (frame 2). */
static const uint8_t arp_rep[42] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, 0x02, 0x00,
	0x00, 0x00, 0x00, 0x02, 0xc0, 0x00, 0x02, 0x02, 0x02, 0x00, 0x00, 0x00,
	0x00, 0x01, 0xc0, 0x00, 0x02, 0x01,
};

static ust_be32 addr(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static void test_request_fields(void **state)
{
	struct ust_arp_info a;

	assert_int_equal(ust_arp_parse(arp_req + 14, sizeof(arp_req) - 14, &a), 0);
	assert_int_equal(a.op, UST_ARPOP_REQUEST);
	assert_memory_equal(a.sha, mac_a, 6);
	assert_int_equal(a.spa, addr("192.0.2.1"));
	assert_memory_equal(a.tha, mac_zero, 6);
	assert_int_equal(a.tpa, addr("192.0.2.2"));
}

static void test_reply_fields(void **state)
{
	struct ust_arp_info a;

	assert_int_equal(ust_arp_parse(arp_rep + 14, sizeof(arp_rep) - 14, &a), 0);
	assert_int_equal(a.op, UST_ARPOP_REPLY);
	assert_memory_equal(a.sha, mac_b, 6);
	assert_int_equal(a.spa, addr("192.0.2.2"));
	assert_memory_equal(a.tha, mac_a, 6);
	assert_int_equal(a.tpa, addr("192.0.2.1"));
}

static void test_build_reproduces_linux(void **state)
{
	const uint8_t *pkts[] = { arp_req + 14, arp_rep + 14 };

	for (size_t i = 0; i < 2; i++) {
		struct ust_arp_info a;
		uint8_t buf[28];

		assert_int_equal(ust_arp_parse(pkts[i], 28, &a), 0);
		assert_int_equal(ust_arp_build(buf, sizeof(buf), &a), 28);
		assert_memory_equal(buf, pkts[i], 28);
		assert_int_equal(ust_arp_build(buf, 27, &a), -ENOSPC);
	}
}

static void test_truncated_every_length_and_padding(void **state)
{
	uint8_t padded[46];
	struct ust_arp_info a;

	for (size_t len = 0; len < 28; len++)
		assert_int_equal(ust_arp_parse(arp_req + 14, len, &a), -EMSGSIZE);
	/* A 60-byte minimum frame carries 18 bytes of padding after the packet. */
	memcpy(padded, arp_req + 14, 28);
	memset(padded + 28, 0, 18);
	assert_int_equal(ust_arp_parse(padded, sizeof(padded), &a), 0);
	assert_int_equal(a.tpa, addr("192.0.2.2"));
}

static void test_other_shapes_refused(void **state)
{
	static const struct { size_t off; uint8_t val; } bad[] = {
		{ 1, 6 },       /* htype 6 (IEEE 802) */
		{ 0, 1 },       /* htype 0x0101 */
		{ 2, 0x86 },    /* ptype 0x8600 */
		{ 3, 0xdd },    /* ptype 0x08dd */
		{ 4, 8 },       /* hlen 8 */
		{ 5, 16 },      /* plen 16 */
		{ 7, 3 },       /* op 3: RARP request */
		{ 7, 0 },       /* op 0 */
		{ 6, 1 },       /* op 0x0101 */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t p[28];
		struct ust_arp_info a;

		memcpy(p, arp_rep + 14, 28);
		p[bad[i].off] = bad[i].val;
		assert_int_equal(ust_arp_parse(p, sizeof(p), &a), -EBADMSG);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_fields),
		cmocka_unit_test(test_reply_fields),
		cmocka_unit_test(test_build_reproduces_linux),
		cmocka_unit_test(test_truncated_every_length_and_padding),
		cmocka_unit_test(test_other_shapes_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
