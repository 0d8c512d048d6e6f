/* ARP and the neighbour table (src/ipv4/arp.c) between two stacks over an
 * Ethernet memlink, in virtual time. */
#include "test_ipv4_fixture.h"
#include "wire/arp.h"
#include "wire/icmp.h"

#define PROTO_TEST 253

struct got {
	int n;
	int errs;
	struct ust_icmp_err e;
};

static void got_handler(void *ctx, struct ust_pkt *pkt, const struct ust_ipv4_info *iph)
{
	(void)iph;
	((struct got *)ctx)->n++;
	ust_pkt_free(pkt);
}

static void got_err(void *ctx, const struct ust_icmp_err *e)
{
	struct got *g = ctx;

	g->errs++;
	g->e = *e;
}

static const struct ust_inet_protocol got_proto = { .handler = got_handler, .err_handler = got_err };

static int send_to(struct fx *f, const char *dst, uint32_t len)
{
	struct ust_ip_tx tx = { .protocol = PROTO_TEST, .df = true, .daddr = A(dst) };
	struct ust_pkt *pkt = ust_pkt_alloc(&ust_stack_core(f->a)->pool);

	assert_non_null(pkt);
	assert_non_null(ust_pkt_put(pkt, len));
	memset(pkt->data, 0x5a, len);
	return ust_ip_build_and_send_pkt(f->ia, pkt, 0, &tx);
}

static void parse_arp(const struct rec *r, uint32_t i, struct ust_eth_info *eth, struct ust_arp_info *a)
{
	assert_int_equal(r->len[i], 60);           /* padded to the Ethernet minimum */
	assert_int_equal(ust_eth_parse(r->f[i], r->len[i], eth), 0);
	assert_int_equal(eth->ethertype, UST_ETH_P_ARP);
	assert_int_equal(ust_arp_parse(eth->payload, eth->payload_len, a), 0);
}

static void test_resolution_delivers_queued_packet(void **state)
{
	struct fx *f = fx_new(UST_FRAMING_ETH, 1);
	struct got gb = { 0 };
	struct ust_eth_info eth;
	struct ust_arp_info a;
	struct ust_neigh *n;

	(void)state;
	assert_int_equal(ust_inet_add_protocol(f->ib, PROTO_TEST, &got_proto, &gb), 0);
	fx_record(f, 1, 1);
	assert_int_equal(send_to(f, "10.0.0.2", 30), 0);
	assert_int_equal(send_to(f, "10.0.0.2", 31), 0);
	n = ust_neigh_lookup(f->ia, ust_in_dev_get(f->ia, f->da), A("10.0.0.2"));
	assert_non_null(n);
	assert_int_equal(n->state, UST_NUD_INCOMPLETE);
	assert_int_equal(n->q_len, 2);
	fx_run(f, 1);
	/* One broadcast request, then the two datagrams. */
	assert_int_equal(f->rb.n, 3);
	parse_arp(&f->rb, 0, &eth, &a);
	assert_true(ust_eth_is_broadcast(eth.dst));
	assert_int_equal(a.op, UST_ARPOP_REQUEST);
	assert_memory_equal(a.sha, f->da->mac, 6);
	assert_int_equal(a.spa, A("10.0.0.1"));
	assert_int_equal(a.tpa, A("10.0.0.2"));
	assert_int_equal(gb.n, 2);
	assert_int_equal(n->state, UST_NUD_REACHABLE);
	assert_memory_equal(n->mac, f->db->mac, 6);
	assert_int_equal(n->q_len, 0);
	/* b learnt a from the request (STALE), as neigh_event_ns does. */
	n = ust_neigh_lookup(f->ib, ust_in_dev_get(f->ib, f->db), A("10.0.0.1"));
	assert_non_null(n);
	assert_int_equal(n->state, UST_NUD_STALE);
	/* Resolved: sent at once. */
	assert_int_equal(send_to(f, "10.0.0.2", 30), 0);
	fx_run(f, 1);
	assert_int_equal(gb.n, 3);
	assert_int_equal(f->rb.n, 4);
	/* REACHABLE lasts [15 s, 45 s), then STALE. */
	fx_run(f, 45000);
	assert_int_equal(ust_neigh_lookup(f->ia, ust_in_dev_get(f->ia, f->da), A("10.0.0.2"))->state,
			 UST_NUD_STALE);
	fx_free(f);
}

static void test_reply_to_request_for_our_address_exact_bytes(void **state)
{
	struct fx *f = fx_new(UST_FRAMING_ETH, 1);
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t asker[6] = { 0x02, 0x99, 0x99, 0x99, 0x99, 0x99 };
	struct ust_arp_info q = { .op = UST_ARPOP_REQUEST };
	uint8_t req[28], want[60];

	(void)state;
	fx_record(f, 1, 0);
	memcpy(q.sha, asker, 6);
	q.spa = A("10.0.0.9");
	q.tpa = A("10.0.0.1");
	assert_int_equal(ust_arp_build(req, sizeof(req), &q), 28);
	inject(f->da, req, 28, bcast, UST_ETH_P_ARP);
	fx_run(f, 1);
	assert_int_equal(f->rb.n, 1);
	memset(want, 0, sizeof(want));
	memcpy(want, asker, 6);
	memcpy(want + 6, f->da->mac, 6);
	memcpy(want + 12, "\x08\x06\x00\x01\x08\x00\x06\x04\x00\x02", 10);
	memcpy(want + 22, f->da->mac, 6);
	ust_store_be32(want + 28, A("10.0.0.1"));
	memcpy(want + 32, asker, 6);
	ust_store_be32(want + 38, A("10.0.0.9"));
	assert_memory_equal(f->rb.f[0], want, 60);
	assert_int_equal(f->rb.len[0], 60);

	/* A request for someone else is not answered and teaches nothing. */
	q.tpa = A("10.0.0.77");
	q.spa = A("10.0.0.10");
	assert_int_equal(ust_arp_build(req, sizeof(req), &q), 28);
	inject(f->da, req, 28, bcast, UST_ETH_P_ARP);
	fx_run(f, 1);
	assert_int_equal(f->rb.n, 1);
	assert_null(ust_neigh_lookup(f->ia, ust_in_dev_get(f->ia, f->da), A("10.0.0.10")));
	fx_free(f);
}

/* Nobody answers: requests at 0, 1 and 2 s, failure at 3 s; the queued
 * datagram comes back to its sender as host unreachable (EHOSTUNREACH). */
static void test_retransmits_each_second_then_fails(void **state)
{
	struct fx *f = fx_new(UST_FRAMING_ETH, 1);
	struct got ga = { 0 };
	struct ust_neigh *n;

	(void)state;
	assert_int_equal(ust_inet_add_protocol(f->ia, PROTO_TEST, &got_proto, &ga), 0);
	fx_record(f, 1, 1);
	assert_int_equal(send_to(f, "10.0.0.9", 30), 0);
	assert_int_equal(send_to(f, "10.0.0.9", 30), 0);
	fx_run(f, 2999);
	assert_int_equal(f->rb.n, 3);
	assert_int_equal(f->rb.at[0], 0);
	assert_int_equal(f->rb.at[1], 1000 * MS);
	assert_int_equal(f->rb.at[2], 2000 * MS);
	n = ust_neigh_lookup(f->ia, ust_in_dev_get(f->ia, f->da), A("10.0.0.9"));
	assert_int_equal(n->state, UST_NUD_INCOMPLETE);
	assert_int_equal(f->ia->arp.stats.res_failed, 0);
	fx_run(f, 1);
	assert_int_equal(n->state, UST_NUD_FAILED);
	assert_int_equal(f->ia->arp.stats.res_failed, 1);
	assert_int_equal(f->ia->arp.stats.unres_discards, 2);
	assert_int_equal(f->rb.n, 3);
	assert_int_equal(ga.errs, 2);
	assert_int_equal(ga.e.type, UST_ICMP_DEST_UNREACH);
	assert_int_equal(ga.e.code, UST_ICMP_HOST_UNREACH);
	assert_int_equal(ga.e.daddr, A("10.0.0.9"));
	assert_int_equal(stat(f->a, "IcmpOutDestUnreachs"), 2);
	assert_int_equal(stat(f->a, "IcmpInDestUnreachs"), 2);
	/* The failed entry is collected after gc_stale_time. */
	fx_run(f, 60000);
	assert_null(ust_neigh_lookup(f->ia, ust_in_dev_get(f->ia, f->da), A("10.0.0.9")));
	fx_free(f);
}

static void test_queue_is_bounded_oldest_dropped(void **state)
{
	struct fx *f = fx_new(UST_FRAMING_ETH, 1);
	struct ust_neigh *n;

	(void)state;
	f->ia->sysctl.unres_qlen_bytes = 3 * 2048;
	for (int i = 0; i < 5; i++)
		assert_int_equal(send_to(f, "10.0.0.9", 30), 0);
	n = ust_neigh_lookup(f->ia, ust_in_dev_get(f->ia, f->da), A("10.0.0.9"));
	assert_int_equal(n->q_len, 3);
	assert_int_equal(f->ia->arp.stats.unres_discards, 2);
	fx_free(f);
}

static void expect_garp(const struct rec *r, uint32_t i, const struct ust_netdev *dev, const char *addr)
{
	struct ust_eth_info eth;
	struct ust_arp_info a;

	parse_arp(r, i, &eth, &a);
	assert_true(ust_eth_is_broadcast(eth.dst));
	assert_int_equal(a.op, UST_ARPOP_REQUEST);
	assert_int_equal(a.spa, A(addr));
	assert_int_equal(a.tpa, A(addr));
	assert_memory_equal(a.sha, dev->mac, 6);
}

/* Linux 6.18 (checked on a veth) sends no gratuitous ARP on `ip addr add`,
 * arp_notify or not; with arp_notify=1 bringing the device up announces
 * every address. netdev_notify_peers announces whatever arp_notify says. */
static void test_gratuitous_arp_on_device_up(void **state)
{
	struct fx *f = fx_new(UST_FRAMING_ETH, 1);

	(void)state;
	fx_record(f, 1, 0);
	assert_int_equal(ust_addr_add(f->a, f->da, A("10.0.0.50"), 24), 0);
	assert_int_equal(ust_netdev_set_up(f->da, 0), 0);
	assert_int_equal(ust_netdev_set_up(f->da, 1), 0);
	fx_run(f, 1);
	assert_int_equal(f->rb.n, 0);
	assert_int_equal(ust_sysctl_write(f->a, "net.ipv4.conf.all.arp_notify", "1"), 0);
	assert_int_equal(ust_addr_add(f->a, f->da, A("10.0.0.51"), 24), 0);
	fx_run(f, 1);
	assert_int_equal(f->rb.n, 0);
	assert_int_equal(ust_netdev_set_up(f->da, 0), 0);
	fx_run(f, 1);
	assert_int_equal(f->rb.n, 0);
	assert_int_equal(ust_netdev_set_up(f->da, 1), 0);
	fx_run(f, 1);
	assert_int_equal(f->rb.n, 3);
	expect_garp(&f->rb, 0, f->da, "10.0.0.1");
	expect_garp(&f->rb, 1, f->da, "10.0.0.50");
	expect_garp(&f->rb, 2, f->da, "10.0.0.51");
	assert_int_equal(ust_sysctl_write(f->a, "arp_notify", "0"), 0);
	assert_int_equal(ust_netdev_notify_peers(f->da), 0);
	fx_run(f, 1);
	assert_int_equal(f->rb.n, 6);
	expect_garp(&f->rb, 3, f->da, "10.0.0.1");
	assert_int_equal(ust_netdev_set_up(f->da, 0), 0);
	assert_int_equal(ust_netdev_notify_peers(f->da), -1);
	assert_int_equal(errno, ENETDOWN);
	fx_free(f);
}

/* A gratuitous ARP creates no entry on the receiver (arp_accept=0), but
 * updates one that exists. */
static void test_gratuitous_arp_updates_only_known_entries(void **state)
{
	struct fx *f = fx_new(UST_FRAMING_ETH, 1);
	struct ust_in_device *ib = ust_in_dev_get(f->ib, f->db);
	struct ust_neigh *n;

	(void)state;
	assert_int_equal(ust_netdev_notify_peers(f->da), 0);
	fx_run(f, 1);
	assert_null(ust_neigh_lookup(f->ib, ib, A("10.0.0.1")));
	assert_int_equal(send_to(f, "10.0.0.2", 30), 0);    /* b learns a from its request */
	fx_run(f, 2000);
	n = ust_neigh_lookup(f->ib, ib, A("10.0.0.1"));
	assert_non_null(n);
	memset(n->mac, 0, 6);                                /* as if a's MAC had changed */
	assert_int_equal(ust_netdev_notify_peers(f->da), 0);
	fx_run(f, 1);
	assert_memory_equal(n->mac, f->da->mac, 6);
	assert_int_equal(n->state, UST_NUD_STALE);
	fx_free(f);
}

/* Resolves 10.0.0.2 from a; returns a's entry, REACHABLE. b takes the test
 * protocol, so it answers nothing (no ICMP back to a). */
static struct ust_neigh *resolve_b(struct fx *f, struct got *gb)
{
	struct ust_neigh *n;

	assert_int_equal(ust_inet_add_protocol(f->ib, PROTO_TEST, &got_proto, gb), 0);
	assert_int_equal(send_to(f, "10.0.0.2", 30), 0);
	fx_run(f, 1);
	n = ust_neigh_lookup(f->ia, ust_in_dev_get(f->ia, f->da), A("10.0.0.2"));
	assert_non_null(n);
	assert_int_equal(n->state, UST_NUD_REACHABLE);
	return n;
}

/* REACHABLE for reachable_ms (drawn once in [15 s, 45 s)), then STALE; a
 * STALE entry still sends at once (DELAY), and 5 s later, with nothing
 * confirming the peer, a unicast request to the known MAC re-resolves it. */
static void test_stale_entry_is_reresolved_by_unicast_probe(void **state)
{
	struct fx *f = fx_new(UST_FRAMING_ETH, 1);
	uint32_t reach = f->ia->arp.reachable_ms;
	struct ust_eth_info eth;
	struct ust_arp_info a;
	struct ust_neigh *n;
	struct got gb = { 0 };
	uint32_t sent;

	(void)state;
	assert_true(reach >= 15000 && reach < 45000);
	n = resolve_b(f, &gb);
	fx_record(f, 1, 1);
	fx_run(f, reach - 2);
	assert_int_equal(n->state, UST_NUD_REACHABLE);
	fx_run(f, 2);
	assert_int_equal(n->state, UST_NUD_STALE);
	assert_int_equal(send_to(f, "10.0.0.2", 30), 0);
	assert_int_equal(n->state, UST_NUD_DELAY);
	fx_run(f, 1);
	sent = f->rb.n;
	assert_int_equal(sent, 1);                           /* the datagram, no ARP */
	fx_run(f, 4998);
	assert_int_equal(n->state, UST_NUD_DELAY);
	assert_int_equal(f->rb.n, sent);
	fx_run(f, 2);
	assert_int_equal(f->rb.n, sent + 1);
	parse_arp(&f->rb, sent, &eth, &a);
	assert_memory_equal(eth.dst, f->db->mac, 6);        /* unicast probe */
	assert_int_equal(a.op, UST_ARPOP_REQUEST);
	assert_int_equal(a.tpa, A("10.0.0.2"));
	assert_int_equal(n->state, UST_NUD_REACHABLE);      /* b's unicast reply */
	fx_free(f);
}

/* A peer that stops answering: three unicast probes a second apart after the
 * 5 s delay, then FAILED; the next packet starts over with broadcasts. */
static void test_silent_peer_fails_after_unicast_probes(void **state)
{
	struct fx *f = fx_new(UST_FRAMING_ETH, 1);
	uint32_t reach = f->ia->arp.reachable_ms;
	struct ust_eth_info eth;
	struct ust_arp_info a;
	struct ust_neigh *n;
	struct got gb = { 0 };

	(void)state;
	n = resolve_b(f, &gb);
	fx_record(f, 1, 0);                                   /* b hears nothing now */
	fx_run(f, reach);
	assert_int_equal(n->state, UST_NUD_STALE);
	assert_int_equal(send_to(f, "10.0.0.2", 30), 0);
	fx_run(f, 5000);
	assert_int_equal(n->state, UST_NUD_PROBE);
	fx_run(f, 2999);
	assert_int_equal(f->rb.n, 4);                        /* datagram + 3 probes */
	for (uint32_t i = 1; i < 4; i++) {
		parse_arp(&f->rb, i, &eth, &a);
		assert_memory_equal(eth.dst, f->db->mac, 6);
		assert_int_equal(f->rb.at[i] - f->rb.at[1], (i - 1) * 1000 * MS);
	}
	assert_int_equal(n->state, UST_NUD_PROBE);
	fx_run(f, 1);
	assert_int_equal(n->state, UST_NUD_FAILED);
	assert_int_equal(f->ia->arp.stats.res_failed, 1);
	assert_int_equal(send_to(f, "10.0.0.2", 30), 0);
	assert_int_equal(n->state, UST_NUD_INCOMPLETE);
	fx_run(f, 1);
	parse_arp(&f->rb, 4, &eth, &a);
	assert_true(ust_eth_is_broadcast(eth.dst));
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolution_delivers_queued_packet),
		cmocka_unit_test(test_reply_to_request_for_our_address_exact_bytes),
		cmocka_unit_test(test_retransmits_each_second_then_fails),
		cmocka_unit_test(test_queue_is_bounded_oldest_dropped),
		cmocka_unit_test(test_gratuitous_arp_on_device_up),
		cmocka_unit_test(test_gratuitous_arp_updates_only_known_entries),
		cmocka_unit_test(test_stale_entry_is_reresolved_by_unicast_probe),
		cmocka_unit_test(test_silent_peer_fails_after_unicast_probes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
