/*
 * Tests for src/wire/eth.h: Ethernet II headers of frames Linux sent, rebuilt
 * byte for byte; tagged frames reported apart; truncation at every length.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "linux_frames.h"
#include <errno.h>
#include <string.h>
#include "wire/eth.h"

/* Golden frames: Linux 6.18 on a veth pair between two network namespaces
 * (192.0.2.1 = 02:00:00:00:00:01, 192.0.2.2 = 02:00:00:00:00:02), captured with
 * tcpdump (tests/data/linux-veth.pcap). veth does not pad to 60 bytes. */

static void test_arp_frame(void **state)
{
	struct ust_eth_info e;

	assert_int_equal(ust_eth_parse(arp_req, sizeof(arp_req), &e), 0);
	assert_true(ust_eth_is_broadcast(e.dst));
	assert_true(ust_eth_is_multicast(e.dst));
	assert_memory_equal(e.src, mac_a, 6);
	assert_int_equal(e.ethertype, UST_ETH_P_ARP);
	assert_false(e.tagged);
	assert_int_equal(e.hdr_len, 14);
	assert_ptr_equal(e.payload, arp_req + 14);
	assert_int_equal(e.payload_len, 28);
}

static void test_ip_frame(void **state)
{
	struct ust_eth_info e;

	assert_int_equal(ust_eth_parse(syn, sizeof(syn), &e), 0);
	assert_memory_equal(e.dst, mac_b, 6);
	assert_memory_equal(e.src, mac_a, 6);
	assert_false(ust_eth_is_broadcast(e.dst));
	assert_false(ust_eth_is_multicast(e.dst));
	assert_int_equal(e.ethertype, UST_ETH_P_IP);
	assert_int_equal(e.payload_len, 60);
}

static void test_build_reproduces_linux(void **state)
{
	const uint8_t *frames[] = { arp_req, syn };
	const size_t lens[] = { sizeof(arp_req), sizeof(syn) };

	for (size_t i = 0; i < 2; i++) {
		struct ust_eth_info e;
		uint8_t buf[18];

		assert_int_equal(ust_eth_parse(frames[i], lens[i], &e), 0);
		assert_int_equal(ust_eth_build(buf, sizeof(buf), &e), 14);
		assert_memory_equal(buf, frames[i], 14);
		assert_int_equal(ust_eth_build(buf, 13, &e), -ENOSPC);
	}
}

static void test_truncated_every_length(void **state)
{
	struct ust_eth_info e;

	for (size_t len = 0; len < 14; len++)
		assert_int_equal(ust_eth_parse(syn, len, &e), -EMSGSIZE);
	assert_int_equal(ust_eth_parse(syn, 14, &e), 0);
	assert_int_equal(e.payload_len, 0);
}

/* The SYN with an 802.1Q tag (VID 5, PCP 3) inserted after the addresses; then
 * the same as 802.1ad. */
static void test_tagged_frames_flagged(void **state)
{
	uint8_t f[sizeof(syn) + 4], buf[18];
	struct ust_eth_info e;

	memcpy(f, syn, 12);
	memcpy(f + 12, "\x81\x00\x60\x05", 4);
	memcpy(f + 16, syn + 12, sizeof(syn) - 12);
	assert_int_equal(ust_eth_parse(f, sizeof(f), &e), 0);
	assert_true(e.tagged);
	assert_int_equal(e.ethertype, UST_ETH_P_8021Q);
	assert_int_equal(e.vlan_tci, 0x6005);
	assert_int_equal(e.inner_type, UST_ETH_P_IP);
	assert_int_equal(e.hdr_len, 18);
	assert_ptr_equal(e.payload, f + 18);
	assert_int_equal(e.payload_len, 60);
	assert_int_equal(ust_eth_build(buf, sizeof(buf), &e), 18);
	assert_memory_equal(buf, f, 18);
	assert_int_equal(ust_eth_build(buf, 17, &e), -ENOSPC);
	for (size_t len = 0; len < 18; len++)
		assert_int_equal(ust_eth_parse(f, len, &e), -EMSGSIZE);

	f[12] = 0x88;
	f[13] = 0xa8;
	assert_int_equal(ust_eth_parse(f, sizeof(f), &e), 0);
	assert_true(e.tagged);
	assert_int_equal(e.ethertype, UST_ETH_P_8021AD);
}

/* An 802.3 length field is reported as it is, for the caller to drop. */
static void test_length_field_reported(void **state)
{
	uint8_t f[60];
	struct ust_eth_info e;

	memcpy(f, syn, 60);
	f[12] = 0x00;
	f[13] = 0x2e;
	assert_int_equal(ust_eth_parse(f, sizeof(f), &e), 0);
	assert_int_equal(e.ethertype, 0x002e);
	assert_false(e.tagged);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arp_frame),
		cmocka_unit_test(test_ip_frame),
		cmocka_unit_test(test_build_reproduces_linux),
		cmocka_unit_test(test_truncated_every_length),
		cmocka_unit_test(test_tagged_frames_flagged),
		cmocka_unit_test(test_length_field_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
