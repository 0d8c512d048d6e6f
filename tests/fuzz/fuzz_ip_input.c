/*
 * Fuzz target for the IPv4 receive path (src/ipv4/): the input is one
 * received frame, handed to a stack that has 10.0.0.1/24 on a memlink to a
 * peer with 10.0.0.2/24, so it goes through Ethernet dispatch or straight to
 * ip_rcv, ARP, ICMP (echo replies, errors to a transport's err_handler,
 * protocol unreachable), the stack's TCP and a test protocol (253), and the
 * replies' route, ARP and loopback steps.
 *
 * Byte 0 chooses: bit 0 IP framing (else Ethernet), bit 1 the frame is fed
 * twice, bit 2 (Ethernet) its destination MAC is overwritten with the
 * device's so it is not dropped as another host's. Then both stacks run 5 s
 * of virtual time (ARP retries, failure, loopback delivery), and every packet
 * buffer must be back in its pool: a leak or a crash aborts.
 */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "ipv4/ipv4.h"
#include "stack.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

#define PROTO_TEST 253

static void test_rcv(void *ctx, struct ust_pkt *pkt, const struct ust_ipv4_info *iph)
{
	CHECK(pkt->l4_off - pkt->l3_off == iph->hdr_len);
	CHECK(pkt->len == (uint32_t)(iph->tot_len - iph->hdr_len));
	(void)ctx;
	ust_pkt_free(pkt);
}

static void test_err(void *ctx, const struct ust_icmp_err *e)
{
	CHECK(e->protocol == PROTO_TEST);
	(void)ctx;
}

static const struct ust_inet_protocol fuzz_proto = { .handler = test_rcv, .err_handler = test_err };

static struct ust_stack *new_stack(const char *name, uint64_t seed)
{
	struct ust_stack_config cfg;
	struct ust_stack *st;

	ust_stack_config_init(&cfg);
	cfg.name = name;
	cfg.clock = UST_CLOCK_VIRTUAL;
	cfg.seed = seed;
	st = ust_stack_new(&cfg);
	CHECK(st);
	return st;
}

static void feed(struct ust_netdev *dev, const uint8_t *data, size_t size, int fix_mac)
{
	struct ust_pkt *pkt = ust_pkt_alloc(&dev->core->pool);
	uint32_t room;
	uint8_t *d;

	CHECK(pkt);
	room = ust_pkt_tailroom(pkt);
	if (size > room)
		size = room;
	d = ust_pkt_put(pkt, (uint32_t)size);
	CHECK(d);
	if (size)
		memcpy(d, data, size);
	if (fix_mac && dev->framing == UST_FRAMING_ETH && size >= 6)
		memcpy(d, dev->mac, 6);
	ust_netdev_rx(dev, pkt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ust_stack *a, *b;
	struct ust_netdev *da, *db;
	struct ust_memlink_config cfg;
	struct ust_core *ca, *cb;
	uint8_t ctl;

	if (size < 1)
		return 0;
	ctl = data[0];
	data++;
	size--;
	a = new_stack("a", 1);
	b = new_stack("b", 2);
	ust_memlink_config_init(&cfg);
	cfg.framing = (ctl & 1) ? UST_FRAMING_IP : UST_FRAMING_ETH;
	CHECK(ust_memlink_create(a, b, &cfg, &da, &db) == 0);
	CHECK(ust_addr_add(a, da, __builtin_bswap32(0x0a000001), 24) == 0);
	CHECK(ust_addr_add(b, db, __builtin_bswap32(0x0a000002), 24) == 0);
	CHECK(ust_inet_add_protocol(ust_stack_ipv4(a), PROTO_TEST, &fuzz_proto, NULL) == 0);

	feed(da, data, size, ctl & 4);
	if (ctl & 2)
		feed(da, data, size, ctl & 4);
	for (int i = 0; i < 50; i++) {
		CHECK(ust_stack_advance(a, 100000000ULL) == 0);
		CHECK(ust_stack_advance(b, 100000000ULL) == 0);
	}
	ca = ust_stack_core(a);
	cb = ust_stack_core(b);
	CHECK(ca->pool.nr_free == ca->pool.nr_total);
	CHECK(cb->pool.nr_free == cb->pool.nr_total);
	ust_stack_free(a);
	ust_stack_free(b);
	return 0;
}
