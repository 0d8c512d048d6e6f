/* The receive path (src/ipv4/ip_input.c): ip_rcv_core's checks with their
 * exact counters, delivery to a registered protocol, Ethernet dispatch. */
#include "test_ipv4_fixture.h"
#include "wire/icmp.h"

#define PROTO_TEST 253

struct got {
	int n;
	uint16_t l3_off, l4_off;
	uint32_t len;
	uint8_t data[64];
	uint8_t proto;
	int ifindex;
	uint32_t flags;
};

static void got_handler(void *ctx, struct ust_pkt *pkt, const struct ust_ipv4_info *iph)
{
	struct got *g = ctx;

	g->n++;
	g->l3_off = pkt->l3_off;
	g->l4_off = pkt->l4_off;
	g->len = pkt->len;
	g->proto = iph->protocol;
	g->ifindex = pkt->dev->ifindex;
	g->flags = pkt->flags;
	memcpy(g->data, pkt->data, UST_MIN(pkt->len, (uint32_t)sizeof(g->data)));
	ust_pkt_free(pkt);
}

static const struct ust_inet_protocol got_proto = { .handler = got_handler };

static struct fx *setup(struct got *g, enum ust_framing framing)
{
	struct fx *f = fx_new(framing, 1);

	memset(g, 0, sizeof(*g));
	assert_int_equal(ust_inet_add_protocol(f->ia, PROTO_TEST, &got_proto, g), 0);
	assert_int_equal(ust_inet_add_protocol(f->ia, PROTO_TEST, &got_proto, g), -EEXIST);
	return f;
}

static void expect(struct fx *f, uint64_t recv, uint64_t hdr, uint64_t csum, uint64_t trunc,
		   uint64_t addr, uint64_t deliv)
{
	assert_int_equal(stat(f->a, "IpInReceives"), recv);
	assert_int_equal(stat(f->a, "IpInHdrErrors"), hdr);
	assert_int_equal(stat(f->a, "IpExtInCsumErrors"), csum);
	assert_int_equal(stat(f->a, "IpExtInTruncatedPkts"), trunc);
	assert_int_equal(stat(f->a, "IpInAddrErrors"), addr);
	assert_int_equal(stat(f->a, "IpInDelivers"), deliv);
}

static void test_delivers_with_offsets_and_trims_padding(void **state)
{
	struct got g;
	struct fx *f = setup(&g, UST_FRAMING_ETH);
	uint8_t b[100];
	size_t len = build_ip(b, PROTO_TEST, "10.0.0.2", "10.0.0.1", 12);

	(void)state;
	memset(b + len, 0xee, 20);                 /* link padding after tot_len */
	inject(f->da, b, len + 20, NULL, UST_ETH_P_IP);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.len, 12);
	assert_int_equal(g.l4_off - g.l3_off, 20);
	assert_int_equal(g.l3_off, UST_PKT_HEADROOM + UST_ETH_HLEN);
	assert_memory_equal(g.data, b + 20, 12);
	assert_int_equal(g.ifindex, f->da->ifindex);
	assert_int_equal(g.flags & UST_PKT_TYPE_MASK, UST_PACKET_HOST);
	expect(f, 1, 0, 0, 0, 0, 1);
	assert_int_equal(stat(f->a, "IpExtInOctets"), len + 20);
	assert_int_equal(stat(f->a, "IpExtInNoECTPkts"), 1);
	fx_free(f);
}

static void test_malformed_headers_counted_exactly(void **state)
{
	struct got g;
	struct fx *f = setup(&g, UST_FRAMING_IP);
	uint8_t b[100];
	size_t len = build_ip(b, PROTO_TEST, "10.0.0.2", "10.0.0.1", 8);

	(void)state;
	b[0] = 0x65;                               /* version 6 */
	ip_fix_csum(b);
	inject(f->da, b, len, NULL, 0);
	expect(f, 1, 1, 0, 0, 0, 0);

	len = build_ip(b, PROTO_TEST, "10.0.0.2", "10.0.0.1", 8);
	b[0] = 0x44;                               /* ihl 4 */
	inject(f->da, b, len, NULL, 0);
	expect(f, 2, 2, 0, 0, 0, 0);

	inject(f->da, b, 19, NULL, 0);             /* shorter than a header */
	expect(f, 3, 3, 0, 0, 0, 0);

	len = build_ip(b, PROTO_TEST, "10.0.0.2", "10.0.0.1", 8);
	b[0] = 0x46;                               /* ihl 6, 24 bytes of header, 28 sent */
	ip_fix_csum(b);
	inject(f->da, b, 22, NULL, 0);             /* header cut */
	expect(f, 4, 4, 0, 0, 0, 0);

	len = build_ip(b, PROTO_TEST, "10.0.0.2", "10.0.0.1", 8);
	b[10] ^= 0x01;                             /* checksum */
	inject(f->da, b, len, NULL, 0);
	expect(f, 5, 5, 1, 0, 0, 0);

	len = build_ip(b, PROTO_TEST, "10.0.0.2", "10.0.0.1", 8);
	inject(f->da, b, len - 1, NULL, 0);        /* tot_len beyond the frame */
	expect(f, 6, 5, 1, 1, 0, 0);

	len = build_ip(b, PROTO_TEST, "10.0.0.2", "10.0.0.1", 8);
	ust_put_be16(b + 2, 19);                   /* tot_len below the header */
	ip_fix_csum(b);
	inject(f->da, b, len, NULL, 0);
	expect(f, 7, 6, 1, 1, 0, 0);

	len = build_ip(b, PROTO_TEST, "10.0.0.2", "10.0.0.77", 8);
	inject(f->da, b, len, NULL, 0);            /* not ours, not forwarded */
	expect(f, 8, 6, 1, 1, 1, 0);
	assert_int_equal(g.n, 0);
	fx_free(f);
}

static void test_fragments_dropped_and_counted(void **state)
{
	struct got g;
	struct fx *f = setup(&g, UST_FRAMING_IP);
	uint8_t b[100];
	size_t len = build_ip(b, PROTO_TEST, "10.0.0.2", "10.0.0.1", 16);

	(void)state;
	ust_put_be16(b + 6, 0x2000);               /* MF */
	ip_fix_csum(b);
	inject(f->da, b, len, NULL, 0);
	ust_put_be16(b + 6, 0x0002);               /* offset 16 */
	ip_fix_csum(b);
	inject(f->da, b, len, NULL, 0);
	assert_int_equal(stat(f->a, "IpReasmReqds"), 2);
	assert_int_equal(stat(f->a, "IpReasmFails"), 2);
	assert_int_equal(stat(f->a, "IpInDelivers"), 0);
	assert_int_equal(stat(f->a, "IcmpOutMsgs"), 0);
	assert_int_equal(g.n, 0);
	fx_free(f);
}

/* An unknown protocol gets ICMP protocol unreachable, checked byte for byte. */
static void test_unknown_protocol_gets_exact_protocol_unreachable(void **state)
{
	struct got g;
	struct fx *f = setup(&g, UST_FRAMING_IP);
	uint8_t b[100], want[100];
	size_t len = build_ip(b, 99, "10.0.0.2", "10.0.0.1", 12);

	(void)state;
	fx_record(f, 1, 0);
	inject(f->da, b, len, NULL, 0);
	assert_int_equal(stat(f->a, "IpInUnknownProtos"), 1);
	assert_int_equal(stat(f->a, "IpInDelivers"), 0);
	assert_int_equal(stat(f->a, "IcmpOutMsgs"), 1);
	assert_int_equal(stat(f->a, "IcmpOutDestUnreachs"), 1);
	assert_int_equal(stat(f->a, "IpOutRequests"), 1);
	fx_run(f, 1);
	assert_int_equal(f->rb.n, 1);
	assert_int_equal(f->rb.len[0], 20 + 8 + len);
	/* 45 c0 len id 0000 40 01 csum 10.0.0.1 10.0.0.2 | 03 02 csum 00000000 | datagram */
	memset(want, 0, sizeof(want));
	want[0] = 0x45;
	want[1] = 0xc0;                            /* (tos & 0x1e) | INTERNETCONTROL */
	ust_put_be16(want + 2, (uint16_t)(20 + 8 + len));
	memcpy(want + 4, f->rb.f[0] + 4, 2);       /* id: per-stack counter */
	want[8] = 64;
	want[9] = 1;
	ust_store_be32(want + 12, A("10.0.0.1"));
	ust_store_be32(want + 16, A("10.0.0.2"));
	ip_fix_csum(want);
	want[20] = 3;
	want[21] = 2;
	memcpy(want + 28, b, len);
	ust_put_be16(want + 22, ust_csum(want + 20, 8 + len));
	assert_memory_equal(f->rb.f[0], want, 20 + 8 + len);

	/* Nothing for a broadcast. */
	len = build_ip(b, 99, "10.0.0.2", "10.0.0.255", 12);
	inject(f->da, b, len, NULL, 0);
	assert_int_equal(stat(f->a, "IpInUnknownProtos"), 2);
	assert_int_equal(stat(f->a, "IpExtInBcastPkts"), 1);
	assert_int_equal(stat(f->a, "IcmpOutMsgs"), 1);
	fx_free(f);
}

static void test_ethernet_dispatch_drops(void **state)
{
	struct got g;
	struct fx *f = setup(&g, UST_FRAMING_ETH);
	static const uint8_t other[6] = { 0x02, 1, 2, 3, 4, 5 };
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t b[100], tag[120];
	size_t len = build_ip(b, PROTO_TEST, "10.0.0.2", "10.0.0.1", 8);
	struct ust_netdev_stats s;

	(void)state;
	inject(f->da, b, len, other, UST_ETH_P_IP);        /* another host's frame */
	inject(f->da, b, len, NULL, UST_ETH_P_IPV6);       /* no handler */
	memcpy(tag, "\x00\x05\x08\x00", 4);                /* 802.1Q TCI 5, inner IPv4 */
	memcpy(tag + 4, b, len);
	inject(f->da, tag, len + 4, NULL, UST_ETH_P_8021Q);
	ust_netdev_get_stats(f->da, &s);
	assert_int_equal(s.rx_dropped, 3);
	assert_int_equal(stat(f->a, "IpInReceives"), 0);
	/* A link broadcast carrying a datagram for us is delivered. */
	b[1] = 0x03;                                       /* CE */
	ip_fix_csum(b);
	inject(f->da, b, len, bcast, UST_ETH_P_IP);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.flags & UST_PKT_TYPE_MASK, UST_PACKET_BROADCAST);
	assert_int_equal(stat(f->a, "IpExtInCEPkts"), 1);
	fx_free(f);
}

/* Martian sources and destinations are dropped without an SNMP counter, as
 * ip_route_input does; ours from outside is one of them. */
static void test_martians_dropped(void **state)
{
	struct got g;
	struct fx *f = setup(&g, UST_FRAMING_IP);
	uint8_t b[100];
	size_t len;

	(void)state;
	len = build_ip(b, PROTO_TEST, "224.0.0.5", "10.0.0.1", 8);
	inject(f->da, b, len, NULL, 0);
	len = build_ip(b, PROTO_TEST, "10.0.0.1", "10.0.0.1", 8);
	inject(f->da, b, len, NULL, 0);
	len = build_ip(b, PROTO_TEST, "127.0.0.1", "10.0.0.1", 8);
	inject(f->da, b, len, NULL, 0);
	len = build_ip(b, PROTO_TEST, "10.0.0.2", "127.0.0.1", 8);
	inject(f->da, b, len, NULL, 0);
	assert_int_equal(f->ia->xstats.in_martian_src, 3);
	assert_int_equal(f->ia->xstats.in_martian_dst, 1);
	assert_int_equal(g.n, 0);
	assert_int_equal(stat(f->a, "IpInReceives"), 4);
	assert_int_equal(stat(f->a, "IpInAddrErrors"), 0);
	/* Limited broadcast is delivered, flagged. */
	len = build_ip(b, PROTO_TEST, "10.0.0.2", "255.255.255.255", 8);
	inject(f->da, b, len, NULL, 0);
	assert_int_equal(g.n, 1);
	assert_true(g.flags & UST_PKT_F_IP_BCAST);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delivers_with_offsets_and_trims_padding),
		cmocka_unit_test(test_malformed_headers_counted_exactly),
		cmocka_unit_test(test_fragments_dropped_and_counted),
		cmocka_unit_test(test_unknown_protocol_gets_exact_protocol_unreachable),
		cmocka_unit_test(test_ethernet_dispatch_drops),
		cmocka_unit_test(test_martians_dropped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
