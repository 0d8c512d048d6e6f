/* The send path (src/ipv4/ip_output.c): header bytes, the IP ID rule,
 * counters, MTU, no route, and loopback delivery of local traffic. */
#include "test_ipv4_fixture.h"

#define PROTO_TEST 253

struct got {
	int n;
	int ifindex;
	uint32_t len;
	ust_be32 saddr;
};

static void got_handler(void *ctx, struct ust_pkt *pkt, const struct ust_ipv4_info *iph)
{
	struct got *g = ctx;

	g->n++;
	g->ifindex = pkt->dev->ifindex;
	g->len = pkt->len;
	g->saddr = iph->saddr;
	ust_pkt_free(pkt);
}

static const struct ust_inet_protocol got_proto = { .handler = got_handler };

static struct ust_pkt *payload(struct ust_stack *st, uint32_t len)
{
	struct ust_pkt *pkt = ust_pkt_alloc(&ust_stack_core(st)->pool);
	uint8_t *d;

	assert_non_null(pkt);
	d = ust_pkt_put(pkt, len);
	assert_non_null(d);
	for (uint32_t i = 0; i < len; i++)
		d[i] = (uint8_t)i;
	return pkt;
}

static void route(struct fx *f, const char *dst, struct ust_rtable *rt)
{
	struct ust_flowi4 fl = { .daddr = A(dst) };

	assert_int_equal(ust_ip_route_output(f->ia, &fl, rt), 0);
}

static void test_queue_xmit_builds_exact_header(void **state)
{
	struct fx *f = fx_new(UST_FRAMING_IP, 1);
	struct ust_ip_tx tx = { .protocol = UST_IPPROTO_TCP, .tos = 0x10, .df = true };
	struct ust_ipv4_info ip;
	struct ust_rtable rt;
	uint16_t inet_id = 0x1234;

	(void)state;
	fx_record(f, 1, 0);
	route(f, "10.0.0.2", &rt);
	tx.inet_id = &inet_id;
	assert_int_equal(ust_ip_queue_xmit(f->ia, payload(f->a, 32), &rt, &tx), 0);
	tx.inet_id = NULL;
	assert_int_equal(ust_ip_queue_xmit(f->ia, payload(f->a, 32), &rt, &tx), 0);
	assert_int_equal(inet_id, 0x1235);
	fx_run(f, 1);
	assert_int_equal(f->rb.n, 2);
	assert_int_equal(f->rb.len[0], 52);
	assert_int_equal(ust_ipv4_parse(f->rb.f[0], 52, &ip), 0);
	assert_true(ust_ipv4_csum_ok(f->rb.f[0], 20));
	assert_int_equal(ip.hdr_len, 20);
	assert_int_equal(ip.tot_len, 52);
	assert_int_equal(ip.tos, 0x10);
	assert_int_equal(ip.id, 0x1234);
	assert_true(ip.df);
	assert_false(ip.mf);
	assert_int_equal(ip.frag_off, 0);
	assert_int_equal(ip.ttl, 64);
	assert_int_equal(ip.protocol, UST_IPPROTO_TCP);
	assert_int_equal(ip.saddr, A("10.0.0.1"));
	assert_int_equal(ip.daddr, A("10.0.0.2"));
	assert_int_equal(ip.payload[31], 31);
	/* DF without a socket counter: id 0, as a Linux SYN-ACK or RST. */
	assert_int_equal(ust_ipv4_parse(f->rb.f[1], 52, &ip), 0);
	assert_int_equal(ip.id, 0);
	assert_int_equal(stat(f->a, "IpOutRequests"), 2);
	assert_int_equal(stat(f->a, "IpOutTransmits"), 2);
	assert_int_equal(stat(f->a, "IpExtOutOctets"), 104);
	fx_free(f);
}

static void test_over_mtu_dropped_and_no_route_counted(void **state)
{
	struct fx *f = fx_new(UST_FRAMING_IP, 1);
	struct ust_ip_tx tx = { .protocol = UST_IPPROTO_TCP, .df = true, .daddr = A("8.8.8.8") };
	struct ust_rtable rt;

	(void)state;
	route(f, "10.0.0.2", &rt);
	rt.mtu = 100;
	assert_int_equal(ust_ip_queue_xmit(f->ia, payload(f->a, 81), &rt, &tx), -EMSGSIZE);
	assert_int_equal(stat(f->a, "IpFragFails"), 1);
	assert_int_equal(stat(f->a, "IpOutRequests"), 1);
	assert_int_equal(stat(f->a, "IpOutTransmits"), 0);

	assert_int_equal(ust_ip_build_and_send_pkt(f->ia, payload(f->a, 20), 0, &tx), -EHOSTUNREACH);
	assert_int_equal(stat(f->a, "IpOutNoRoutes"), 1);
	assert_int_equal(stat(f->a, "IpOutRequests"), 1);
	fx_free(f);
}

/* A datagram to one of our own addresses goes through loopback and arrives
 * at the next poll, on ifindex 1, after the sending call has returned. */
static void test_local_destination_loops_back(void **state)
{
	struct fx *f = fx_new(UST_FRAMING_ETH, 1);
	struct ust_ip_tx tx = { .protocol = PROTO_TEST, .df = true, .daddr = A("10.0.0.1") };
	struct got g = { 0 };

	(void)state;
	assert_int_equal(ust_inet_add_protocol(f->ia, PROTO_TEST, &got_proto, &g), 0);
	assert_int_equal(ust_ip_build_and_send_pkt(f->ia, payload(f->a, 10), 0, &tx), 0);
	assert_int_equal(g.n, 0);
	assert_int_equal(ust_stack_advance(f->a, 0), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.ifindex, UST_LOOPBACK_IFINDEX);
	assert_int_equal(g.len, 10);
	assert_int_equal(g.saddr, A("10.0.0.1"));
	tx.daddr = A("127.0.0.1");
	assert_int_equal(ust_ip_build_and_send_pkt(f->ia, payload(f->a, 10), 0, &tx), 0);
	assert_int_equal(ust_stack_advance(f->a, 0), 0);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.saddr, A("127.0.0.1"));
	assert_int_equal(stat(f->a, "IpInDelivers"), 2);
	assert_int_equal(stat(f->a, "IpOutTransmits"), 2);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queue_xmit_builds_exact_header),
		cmocka_unit_test(test_over_mtu_dropped_and_no_route_counted),
		cmocka_unit_test(test_local_destination_loops_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
