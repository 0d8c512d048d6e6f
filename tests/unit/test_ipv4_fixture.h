/*
 * Shared fixture of the IPv4 layer tests (test_ipv4_*.c, test_route.c,
 * test_arp.c, test_icmp.c): two virtual-clock stacks joined by a memlink,
 * a recorder that can sit in front of a device's IPv4 rx handler, frame
 * builders, and counter access. Header-only, static functions.
 */
#ifndef UST_TEST_IPV4_FIXTURE_H
#define UST_TEST_IPV4_FIXTURE_H

#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ipv4/ipv4.h"
#include "stack.h"
#include "wire/csum.h"
#include "wire/eth.h"
#include "wire/ipv4.h"
#include "vstack.h"

#define MS 1000000ULL
#define REC_MAX 64

static inline ust_be32 A(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/* What a device received: copies of each frame and the receiver's clock. */
struct rec {
	struct ust_stack *st;
	int pass;                       /* also hand each frame to IPv4 */
	uint32_t n;
	uint8_t f[REC_MAX][1600];
	uint32_t len[REC_MAX];
	uint64_t at[REC_MAX];
};

static void rec_rx(struct ust_netdev *dev, struct ust_pkt *pkt, void *ctx)
{
	struct rec *r = ctx;

	if (r->n < REC_MAX) {
		r->len[r->n] = UST_MIN(pkt->len, (uint32_t)sizeof(r->f[0]));
		memcpy(r->f[r->n], pkt->data, r->len[r->n]);
		r->at[r->n] = ust_stack_now(r->st);
	}
	r->n++;
	if (r->pass)
		ust_ipv4_rx(dev, pkt, ust_stack_ipv4(r->st));
	else
		ust_pkt_free(pkt);
}

struct fx {
	struct ust_stack *a, *b;
	struct ust_netdev *da, *db;
	struct ust_ipv4 *ia, *ib;
	struct rec ra, rb;              /* installed with fx_record() */
};

static inline struct ust_stack *fx_stack(const char *name, uint64_t seed)
{
	struct ust_stack *st = vstack(name, seed);

	assert_non_null(st);
	return st;
}

/* a (10.0.0.1/24 unless addrs is 0) <-> b (10.0.0.2/24). */
static inline struct fx *fx_new(enum ust_framing framing, int addrs)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct ust_memlink_config cfg;

	assert_non_null(f);
	f->a = fx_stack("a", 1);
	f->b = fx_stack("b", 2);
	ust_memlink_config_init(&cfg);
	cfg.framing = framing;
	assert_int_equal(ust_memlink_create(f->a, f->b, &cfg, &f->da, &f->db), 0);
	f->ia = ust_stack_ipv4(f->a);
	f->ib = ust_stack_ipv4(f->b);
	if (addrs) {
		assert_int_equal(ust_addr_add(f->a, f->da, A("10.0.0.1"), 24), 0);
		assert_int_equal(ust_addr_add(f->b, f->db, A("10.0.0.2"), 24), 0);
	}
	f->ra.st = f->a;
	f->rb.st = f->b;
	return f;
}

/* Puts a recorder in front of dev's IPv4 handler (pass: still deliver). */
static inline void fx_record(struct fx *f, int side_b, int pass)
{
	struct rec *r = side_b ? &f->rb : &f->ra;

	r->pass = pass;
	ust_netdev_set_rx_handler(side_b ? f->db : f->da, rec_rx, r);
}

/* Frees a protocol slot the stack's own transport holds, so a test can
 * stand in for it. */
static inline void fx_take_proto(struct ust_ipv4 *ip, uint8_t proto)
{
	if (ip->protos[proto].ops)
		assert_int_equal(ust_inet_del_protocol(ip, proto, ip->protos[proto].ops), 0);
}

static inline void fx_free(struct fx *f)
{
	ust_stack_free(f->a);
	ust_stack_free(f->b);
	free(f);
}

/* Both clocks forward together, 1 ms at a time, so what one sends at t the
 * other receives at t. */
static inline void fx_run(struct fx *f, uint64_t ms)
{
	for (uint64_t i = 0; i < ms; i++) {
		assert_int_equal(ust_stack_advance(f->a, MS), 0);
		assert_int_equal(ust_stack_advance(f->b, MS), 0);
	}
	assert_int_equal(ust_stack_advance(f->a, 0), 0);
	assert_int_equal(ust_stack_advance(f->b, 0), 0);
}

static inline uint64_t stat(struct ust_stack *st, const char *name)
{
	uint64_t v = 0;

	assert_int_equal(ust_stats_get(st, name, &v), 0);
	return v;
}

/* A 20-byte header plus payload_len bytes of pattern, checksum right. */
static inline size_t build_ip(uint8_t *buf, uint8_t proto, const char *src, const char *dst,
			      size_t payload_len)
{
	struct ust_ipv4_info ip;

	memset(&ip, 0, sizeof(ip));
	ip.ttl = 64;
	ip.protocol = proto;
	ip.saddr = A(src);
	ip.daddr = A(dst);
	ip.tot_len = (uint16_t)(UST_IPV4_HLEN + payload_len);
	ip.id = 0x4242;
	assert_int_equal(ust_ipv4_build(buf, 20, &ip), 20);
	for (size_t i = 0; i < payload_len; i++)
		buf[20 + i] = (uint8_t)(i * 3 + 1);
	return UST_IPV4_HLEN + payload_len;
}

static inline void ip_fix_csum(uint8_t *ip)
{
	size_t hl = (size_t)(ip[0] & 15) * 4;

	ust_put_be16(ip + 10, 0);
	ust_put_be16(ip + 10, ust_csum(ip, hl));
}

/* Hands len bytes to dev as a received frame (prefixing an Ethernet header
 * to our MAC, or to dst_mac when given, on an Ethernet device). */
static inline void inject(struct ust_netdev *dev, const uint8_t *bytes, size_t len,
			  const uint8_t *dst_mac, uint16_t ethertype)
{
	struct ust_pkt *pkt = ust_pkt_alloc(&dev->core->pool);
	uint8_t frame[1600];
	size_t off = 0;
	uint8_t *d;

	assert_non_null(pkt);
	assert_true(len + UST_ETH_HLEN <= sizeof(frame));
	if (dev->framing == UST_FRAMING_ETH) {
		for (int i = 0; i < 6; i++) {
			frame[i] = dst_mac ? dst_mac[i] : dev->mac[i];
			frame[6 + i] = (uint8_t)(i ? 0x99 : 0x02);
		}
		ust_put_be16(frame + 12, ethertype);
		off = UST_ETH_HLEN;
	}
	memcpy(frame + off, bytes, len);
	d = ust_pkt_put(pkt, (uint32_t)(off + len));
	assert_non_null(d);
	memcpy(d, frame, off + len);
	ust_netdev_rx(dev, pkt);
}

#endif
