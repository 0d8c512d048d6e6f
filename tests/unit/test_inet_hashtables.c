/*
 * inet_hashtables: ehash (4-tuple lookup, device rules, request -> child swap,
 * growth past a million entries), lhash2 (specific before wildcard, device
 * score, SO_REUSEPORT pick), bhash (every API-2 row, the fastreuse cache against
 * a full scan, autobind parity and halves, exhaustion), connect()'s port choice
 * (P-1..P-6), put_port and inherit_port.
 *
 * Each test builds its own ust_core by hand (virtual clock, default sysctls,
 * secrets and PRNG from a fixed seed) and calloc'ed sockets.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "core/core.h"
#include "tcp/inet_hashtables.h"
#include "wire/types.h"

/* Network-order values through wire/types.h, independent of which system
 * headers tcp/sock.h happens to pull in. */
static ust_be32 be32(uint32_t v)
{
	uint8_t b[4];

	ust_put_be32(b, v);
	return ust_load_be32(b);
}

static ust_be16 be16(uint16_t v)
{
	uint8_t b[2];

	ust_put_be16(b, v);
	return ust_load_be16(b);
}

#define IP(a, b, c, d) be32((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define MAX_SOCKS 1024

struct fix {
	struct ust_core core;
	struct inet_hashinfo h;
	struct ust_sock *socks[MAX_SOCKS];
	int nsocks;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	ust_clock_init(&f->core.clock, UST_CLOCK_VIRTUAL, 0);
	ust_core_update_now(&f->core);
	ust_sysctl_init(&f->core.sysctl);
	if (ust_secrets_init(&f->core.secrets, 7))
		return -1;
	ust_rng_seed(&f->core.rng, 7);
	if (inet_hashinfo_init(&f->h, &f->core, 256, 1u << 16))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	inet_hashinfo_destroy(&f->h);
	for (int i = 0; i < f->nsocks; i++)
		free(f->socks[i]);
	free(f);
	return 0;
}

static struct ust_sock *new_sock(struct fix *f, ust_be32 laddr, int dev, int reuse, int reuseport)
{
	struct ust_sock *sk = calloc(1, sizeof(*sk));

	assert_non_null(sk);
	assert_true(f->nsocks < MAX_SOCKS);
	f->socks[f->nsocks++] = sk;
	sk->sk_state = TCP_CLOSE;
	sk->inet_rcv_saddr = laddr;
	sk->sk_bound_dev_if = dev;
	sk->sk_reuse = reuse ? 1 : 0;
	sk->sk_reuseport = reuseport ? 1 : 0;
	return sk;
}

/* A socket in SYN_SENT, as tcp_v4_connect hands it to inet_hash_connect. */
static struct ust_sock *new_conn(struct fix *f, ust_be32 saddr, ust_be32 daddr, uint16_t dport)
{
	struct ust_sock *sk = new_sock(f, saddr, 0, 0, 0);

	sk->sk_state = TCP_SYN_SENT;
	sk->inet_daddr = daddr;
	sk->inet_dport = be16(dport);
	return sk;
}

static int do_listen(struct fix *f, struct ust_sock *sk)
{
	int err;

	sk->sk_state = TCP_LISTEN;
	err = inet_csk_listen_check_port(&f->h, sk);
	if (err)
		sk->sk_state = TCP_CLOSE;
	else
		inet_hash(&f->h, sk);
	return err;
}

static void set_range(struct fix *f, const char *range)
{
	assert_int_equal(ust_sysctl_set(&f->core.sysctl, "ip_local_port_range", range), 0);
}

static void fill_tuple(struct sock_common *c, ust_be32 laddr, uint16_t lport, ust_be32 raddr,
		       uint16_t rport, int dev)
{
	c->skc_rcv_saddr = laddr;
	c->skc_num = lport;
	c->skc_daddr = raddr;
	c->skc_dport = be16(rport);
	c->skc_bound_dev_if = dev;
	c->skc_state = TCP_ESTABLISHED;
}

/* The lookup a segment from raddr:rport to laddr:lport on device dif makes. */
static struct sock_common *seg_lookup(const struct inet_hashinfo *h, ust_be32 raddr, uint16_t rport,
				      ust_be32 laddr, uint16_t lport, int dif)
{
	return __inet_lookup_established(h, raddr, be16(rport), laddr, lport, dif);
}

/* ================= ehash ================= */

static void test_ehash_insert_lookup_remove(void **state)
{
	struct fix *f = *state;
	struct sock_common c[4];
	ust_be32 l = IP(10, 0, 0, 1), r = IP(192, 0, 2, 7);

	memset(c, 0, sizeof(c));
	/* Tuples that differ in one field each are distinct entries. */
	fill_tuple(&c[0], l, 80, r, 40000, 0);
	fill_tuple(&c[1], l, 80, r, 40001, 0);           /* remote port */
	fill_tuple(&c[2], l, 81, r, 40000, 0);           /* local port */
	fill_tuple(&c[3], IP(10, 0, 0, 2), 80, r, 40000, 0);  /* local address */
	for (int i = 0; i < 4; i++)
		assert_int_equal(inet_ehash_insert(&f->h, &c[i], NULL), 0);
	assert_int_equal(f->h.ehash_count, 4);
	assert_int_equal(c[0].skc_hash, inet_ehashfn(&f->h, l, 80, r, be16(40000)));

	assert_ptr_equal(seg_lookup(&f->h, r, 40000, l, 80, 0), &c[0]);
	assert_ptr_equal(seg_lookup(&f->h, r, 40001, l, 80, 0), &c[1]);
	assert_ptr_equal(seg_lookup(&f->h, r, 40000, l, 81, 0), &c[2]);
	assert_ptr_equal(seg_lookup(&f->h, r, 40000, IP(10, 0, 0, 2), 80, 0), &c[3]);
	/* Absent: another peer, and the tuple seen from the wrong direction. */
	assert_null(seg_lookup(&f->h, IP(192, 0, 2, 8), 40000, l, 80, 0));
	assert_null(seg_lookup(&f->h, l, 80, r, 40000, 0));

	inet_ehash_remove(&f->h, &c[1]);
	assert_null(seg_lookup(&f->h, r, 40001, l, 80, 0));
	assert_ptr_equal(seg_lookup(&f->h, r, 40000, l, 80, 0), &c[0]);
	assert_int_equal(f->h.ehash_count, 3);
	inet_ehash_remove(&f->h, &c[1]);   /* twice is harmless */
	assert_int_equal(f->h.ehash_count, 3);
}

/* Several tuples in one chain: each is found, and removing one keeps the rest. */
static void test_ehash_colliding_tuples(void **state)
{
	struct fix *f = *state;
	struct sock_common c[5];
	ust_be32 l = IP(10, 0, 0, 1), r = IP(198, 51, 100, 1);
	uint32_t target = inet_ehashfn(&f->h, l, 443, r, be16(1000)) & f->h.ehash_mask;
	uint16_t ports[5];
	int n = 0;

	for (uint32_t p = 1000; n < 5 && p < 65535; p++)
		if ((inet_ehashfn(&f->h, l, 443, r, be16((uint16_t)p)) & f->h.ehash_mask) == target)
			ports[n++] = (uint16_t)p;
	assert_int_equal(n, 5);
	memset(c, 0, sizeof(c));
	for (int i = 0; i < 4; i++) {   /* the fifth stays out */
		fill_tuple(&c[i], l, 443, r, ports[i], 0);
		assert_int_equal(inet_ehash_insert(&f->h, &c[i], NULL), 0);
	}
	for (int i = 0; i < 4; i++)
		assert_ptr_equal(seg_lookup(&f->h, r, ports[i], l, 443, 0), &c[i]);
	assert_null(seg_lookup(&f->h, r, ports[4], l, 443, 0));

	inet_ehash_remove(&f->h, &c[1]);
	assert_null(seg_lookup(&f->h, r, ports[1], l, 443, 0));
	assert_ptr_equal(seg_lookup(&f->h, r, ports[0], l, 443, 0), &c[0]);
	assert_ptr_equal(seg_lookup(&f->h, r, ports[2], l, 443, 0), &c[2]);
	assert_ptr_equal(seg_lookup(&f->h, r, ports[3], l, 443, 0), &c[3]);
}

static void test_ehash_bound_device_must_match(void **state)
{
	struct fix *f = *state;
	struct sock_common bound, any;
	ust_be32 l = IP(10, 0, 0, 1), r = IP(192, 0, 2, 1);

	memset(&bound, 0, sizeof(bound));
	memset(&any, 0, sizeof(any));
	fill_tuple(&bound, l, 80, r, 5000, 2);
	fill_tuple(&any, l, 80, r, 5001, 0);
	inet_ehash_insert(&f->h, &bound, NULL);
	inet_ehash_insert(&f->h, &any, NULL);
	assert_ptr_equal(seg_lookup(&f->h, r, 5000, l, 80, 2), &bound);
	assert_null(seg_lookup(&f->h, r, 5000, l, 80, 3));
	assert_null(seg_lookup(&f->h, r, 5000, l, 80, 0));
	assert_ptr_equal(seg_lookup(&f->h, r, 5001, l, 80, 2), &any);
	assert_ptr_equal(seg_lookup(&f->h, r, 5001, l, 80, 7), &any);
}

/* H-5: the child takes the request's place; a request already gone is -ENOENT. */
static void test_ehash_replace_request_with_child(void **state)
{
	struct fix *f = *state;
	struct request_sock req;
	struct ust_sock *child = new_sock(f, 0, 0, 0, 0);
	struct ust_sock *child2 = new_sock(f, 0, 0, 0, 0);
	ust_be32 l = IP(10, 0, 0, 1), r = IP(192, 0, 2, 9);

	memset(&req, 0, sizeof(req));
	fill_tuple(&req.__req_common, l, 80, r, 33000, 0);
	req.__req_common.skc_state = TCP_NEW_SYN_RECV;
	fill_tuple(&child->sk_common, l, 80, r, 33000, 0);
	child->sk_state = TCP_SYN_RECV;
	assert_int_equal(inet_ehash_insert(&f->h, &req.__req_common, NULL), 0);
	assert_ptr_equal(seg_lookup(&f->h, r, 33000, l, 80, 0), &req.__req_common);

	assert_int_equal(inet_ehash_insert(&f->h, &child->sk_common, &req.__req_common), 0);
	assert_ptr_equal(seg_lookup(&f->h, r, 33000, l, 80, 0), &child->sk_common);
	assert_true(ust_hlist_unhashed(&req.__req_common.skc_node));
	assert_int_equal(f->h.ehash_count, 1);

	/* A second child for the same (now replaced) request loses. */
	fill_tuple(&child2->sk_common, l, 80, r, 33000, 0);
	assert_int_equal(inet_ehash_insert(&f->h, &child2->sk_common, &req.__req_common), -ENOENT);
	assert_true(ust_hlist_unhashed(&child2->sk_common.skc_node));
	assert_ptr_equal(seg_lookup(&f->h, r, 33000, l, 80, 0), &child->sk_common);

	/* A request removed (expired) before its child is published. */
	inet_unhash(&f->h, child);   /* an ehash entry through inet_unhash */
	assert_int_equal(f->h.ehash_count, 0);
	assert_int_equal(inet_ehash_insert(&f->h, &req.__req_common, NULL), 0);
	inet_ehash_remove(&f->h, &req.__req_common);
	assert_int_equal(inet_ehash_insert(&f->h, &child->sk_common, &req.__req_common), -ENOENT);
	assert_null(seg_lookup(&f->h, r, 33000, l, 80, 0));
	assert_int_equal(f->h.ehash_count, 0);
}

static void big_tuple(struct sock_common *c, uint32_t k)
{
	fill_tuple(c, IP(10, 0, 0, 1), 443, be32(0x0b000000u + k / 50000), (uint16_t)(1024 + k % 50000), 0);
}

/* From 256 buckets to 2^21 with 1.1M entries; every entry still found. */
static void test_ehash_grows_past_a_million(void **state)
{
	struct fix *f = *state;
	const uint32_t n = 1100000;
	struct sock_common *e = calloc(n, sizeof(*e));
	struct inet_hashinfo g;
	uint32_t missing = 0, wrong = 0;

	assert_non_null(e);
	assert_int_equal(inet_hashinfo_init(&g, &f->core, 256, 1u << 22), 0);
	assert_int_equal(g.ehash_mask, 255);
	for (uint32_t k = 0; k < n; k++) {
		big_tuple(&e[k], k);
		assert_int_equal(inet_ehash_insert(&g, &e[k], NULL), 0);
		if (k == 256)
			assert_int_equal(g.ehash_mask, 511);   /* 257 > 256: doubled */
	}
	assert_int_equal(g.ehash_count, n);
	assert_int_equal(g.ehash_mask, (1u << 21) - 1);
	for (uint32_t k = 0; k < n; k++) {
		struct sock_common *c = __inet_lookup_established(&g, e[k].skc_daddr, e[k].skc_dport,
								  e[k].skc_rcv_saddr, 443, 0);
		wrong += c != &e[k];
	}
	assert_int_equal(wrong, 0);
	/* Absent: the same peers on another local port, and unknown peers. */
	for (uint32_t k = 0; k < 100000; k++) {
		missing += __inet_lookup_established(&g, e[k].skc_daddr, e[k].skc_dport,
						     e[k].skc_rcv_saddr, 444, 0) == NULL;
		missing += __inet_lookup_established(&g, be32(0x0c000000u + k), be16(80),
						     IP(10, 0, 0, 1), 443, 0) == NULL;
	}
	assert_int_equal(missing, 200000);
	for (uint32_t k = 0; k < n; k += 2)
		inet_ehash_remove(&g, &e[k]);
	assert_int_equal(g.ehash_count, n / 2);
	assert_ptr_equal(__inet_lookup_established(&g, e[1].skc_daddr, e[1].skc_dport,
						   e[1].skc_rcv_saddr, 443, 0), &e[1]);
	assert_null(__inet_lookup_established(&g, e[0].skc_daddr, e[0].skc_dport,
					      e[0].skc_rcv_saddr, 443, 0));
	inet_hashinfo_destroy(&g);
	free(e);
}

/* At its cap the table stops doubling, and inserts still succeed. */
static void test_ehash_growth_stops_at_max(void **state)
{
	struct fix *f = *state;
	const uint32_t n = 4096;
	struct sock_common *e = calloc(n, sizeof(*e));
	struct inet_hashinfo g;

	assert_non_null(e);
	assert_int_equal(inet_hashinfo_init(&g, &f->core, 100, 512), 0);
	assert_int_equal(g.ehash_mask, 255);
	assert_int_equal(g.ehash_max_mask, 511);
	for (uint32_t k = 0; k < n; k++) {
		big_tuple(&e[k], k);
		assert_int_equal(inet_ehash_insert(&g, &e[k], NULL), 0);
	}
	assert_int_equal(g.ehash_mask, 511);
	for (uint32_t k = 0; k < n; k++)
		assert_ptr_equal(__inet_lookup_established(&g, e[k].skc_daddr, e[k].skc_dport,
							   e[k].skc_rcv_saddr, 443, 0), &e[k]);
	inet_hashinfo_destroy(&g);
	free(e);
}

/* ================= listeners (L-2) ================= */

static struct ust_sock *listener(struct fix *f, ust_be32 addr, uint16_t port, int dev, int reuseport)
{
	struct ust_sock *sk = new_sock(f, addr, dev, 0, reuseport);

	sk->inet_num = port;
	sk->sk_state = TCP_LISTEN;
	inet_hash(&f->h, sk);
	return sk;
}

static struct ust_sock *lookup_listener(struct fix *f, ust_be32 daddr, uint16_t port, int dif)
{
	return __inet_lookup_listener(&f->h, IP(192, 0, 2, 1), be16(40000), daddr, port, dif);
}

static void test_listener_specific_beats_wildcard(void **state)
{
	struct fix *f = *state;
	struct ust_sock *any = listener(f, 0, 80, 0, 0);
	struct ust_sock *spec = listener(f, IP(10, 0, 0, 1), 80, 0, 0);

	assert_ptr_equal(lookup_listener(f, IP(10, 0, 0, 1), 80, 1), spec);
	assert_ptr_equal(lookup_listener(f, IP(10, 0, 0, 2), 80, 1), any);
	assert_null(lookup_listener(f, IP(10, 0, 0, 1), 81, 1));
	/* Even a wildcard listener bound to the device loses to the specific one. */
	struct ust_sock *any_dev = listener(f, 0, 80, 1, 0);
	assert_ptr_equal(lookup_listener(f, IP(10, 0, 0, 1), 80, 1), spec);
	inet_unhash(&f->h, spec);
	assert_true(ust_hlist_unhashed(&spec->sk_common.skc_node));
	assert_ptr_equal(lookup_listener(f, IP(10, 0, 0, 1), 80, 1), any_dev);
	inet_unhash(&f->h, any_dev);
	assert_ptr_equal(lookup_listener(f, IP(10, 0, 0, 1), 80, 1), any);
	/* Only TCP_LISTEN sockets answer. */
	any->sk_state = TCP_CLOSE;
	assert_null(lookup_listener(f, IP(10, 0, 0, 1), 80, 1));
}

static void test_listener_device_bound_beats_unbound(void **state)
{
	struct fix *f = *state;
	/* Hashed directly: lhash2 does not enforce bind rules. */
	struct ust_sock *unbound = listener(f, 0, 443, 0, 0);
	struct ust_sock *dev2 = listener(f, 0, 443, 2, 0);
	struct ust_sock *spec5 = listener(f, IP(10, 0, 0, 1), 443, 5, 0);

	assert_ptr_equal(lookup_listener(f, IP(10, 0, 0, 9), 443, 2), dev2);
	assert_ptr_equal(lookup_listener(f, IP(10, 0, 0, 9), 443, 3), unbound);
	assert_ptr_equal(lookup_listener(f, IP(10, 0, 0, 1), 443, 5), spec5);
	/* The specific listener is on device 5 only: from 3 the wildcard answers. */
	assert_ptr_equal(lookup_listener(f, IP(10, 0, 0, 1), 443, 3), unbound);
	inet_unhash(&f->h, unbound);
	assert_null(lookup_listener(f, IP(10, 0, 0, 9), 443, 3));
	assert_int_equal(f->h.ehash_count, 0);   /* unhash took it from lhash2 only */
}

static void test_listener_reuseport_spreads_and_is_stable(void **state)
{
	struct fix *f = *state;
	struct ust_sock *m[4];
	int hits[4] = { 0 };

	for (int i = 0; i < 4; i++)
		m[i] = listener(f, 0, 8080, 0, 1);
	for (uint32_t k = 0; k < 4000; k++) {
		ust_be32 saddr = be32(0xc0000200u + k % 251);
		ust_be16 sport = be16((uint16_t)(30000 + k));
		struct ust_sock *a = __inet_lookup_listener(&f->h, saddr, sport, IP(10, 0, 0, 1), 8080, 1);
		struct ust_sock *b = __inet_lookup_listener(&f->h, saddr, sport, IP(10, 0, 0, 1), 8080, 1);
		int idx = -1;

		assert_ptr_equal(a, b);
		for (int i = 0; i < 4; i++)
			if (a == m[i])
				idx = i;
		assert_true(idx >= 0);
		hits[idx]++;
		/* The documented rule: the tuple's ehash hash modulo the group size. */
		assert_ptr_equal(a, m[inet_ehashfn(&f->h, IP(10, 0, 0, 1), 8080, saddr, sport) % 4]);
	}
	for (int i = 0; i < 4; i++)
		assert_in_range(hits[i], 850, 1150);
	/* A group member bound to the device outscores the rest: it alone answers. */
	struct ust_sock *dev = listener(f, 0, 8080, 1, 1);
	assert_ptr_equal(lookup_listener(f, IP(10, 0, 0, 1), 8080, 1), dev);
	assert_ptr_not_equal(lookup_listener(f, IP(10, 0, 0, 1), 8080, 2), dev);
}

/* ================= bind() conflicts (API-2) ================= */

#define PORT 5000

static void test_bind_same_port_plain_conflicts(void **state)
{
	struct fix *f = *state;
	struct ust_sock *a = new_sock(f, 0, 0, 0, 0), *b = new_sock(f, 0, 0, 0, 0);

	assert_int_equal(inet_csk_get_port(&f->h, a, PORT), 0);
	assert_int_equal(a->inet_num, PORT);
	assert_ptr_equal(a->icsk_bind_hash, f->h.bhash[PORT]);
	assert_int_equal(inet_csk_get_port(&f->h, b, PORT), -EADDRINUSE);
	assert_null(b->icsk_bind_hash);
	assert_int_equal(b->inet_num, 0);
	/* A socket that holds a port cannot take another. */
	assert_int_equal(inet_csk_get_port(&f->h, a, PORT + 1), -EINVAL);
}

static void test_bind_both_reuseaddr_not_listening_ok(void **state)
{
	struct fix *f = *state;
	struct ust_sock *a = new_sock(f, 0, 0, 1, 0), *b = new_sock(f, 0, 0, 1, 0);
	struct ust_sock *plain = new_sock(f, 0, 0, 0, 0);

	assert_int_equal(inet_csk_get_port(&f->h, a, PORT), 0);
	assert_int_equal(inet_csk_get_port(&f->h, b, PORT), 0);
	assert_int_equal(f->h.bhash[PORT]->num_owners, 2);
	/* Only the newcomer's flag counts with the owners': a plain one conflicts. */
	assert_int_equal(inet_csk_get_port(&f->h, plain, PORT), -EADDRINUSE);
	/* One of them may listen; then the other may not (API-5). */
	assert_int_equal(do_listen(f, a), 0);
	assert_int_equal(do_listen(f, b), -EADDRINUSE);
	assert_int_equal(b->sk_state, TCP_CLOSE);
}

static void test_bind_reuseaddr_against_listener_conflicts(void **state)
{
	struct fix *f = *state;
	struct ust_sock *l = new_sock(f, 0, 0, 1, 0), *b = new_sock(f, 0, 0, 1, 0);

	assert_int_equal(inet_csk_get_port(&f->h, l, PORT), 0);
	assert_int_equal(do_listen(f, l), 0);
	assert_int_equal(inet_csk_get_port(&f->h, b, PORT), -EADDRINUSE);
}

static void test_bind_both_reuseport_ok_including_listeners(void **state)
{
	struct fix *f = *state;
	struct ust_sock *a = new_sock(f, 0, 0, 0, 1), *b = new_sock(f, 0, 0, 0, 1);
	struct ust_sock *c = new_sock(f, 0, 0, 0, 1), *plain = new_sock(f, 0, 0, 0, 0);

	assert_int_equal(inet_csk_get_port(&f->h, a, PORT), 0);
	assert_int_equal(do_listen(f, a), 0);
	assert_int_equal(inet_csk_get_port(&f->h, b, PORT), 0);
	assert_int_equal(do_listen(f, b), 0);
	assert_int_equal(inet_csk_get_port(&f->h, c, PORT), 0);
	assert_int_equal(inet_csk_get_port(&f->h, plain, PORT), -EADDRINUSE);
	assert_int_equal(f->h.bhash[PORT]->num_owners, 3);
}

static void test_bind_different_specific_addresses_ok(void **state)
{
	struct fix *f = *state;
	struct ust_sock *a = new_sock(f, IP(10, 0, 0, 1), 0, 0, 0);
	struct ust_sock *b = new_sock(f, IP(10, 0, 0, 2), 0, 0, 0);

	assert_int_equal(inet_csk_get_port(&f->h, a, PORT), 0);
	assert_int_equal(inet_csk_get_port(&f->h, b, PORT), 0);
	assert_int_equal(do_listen(f, a), 0);
	assert_int_equal(do_listen(f, b), 0);
}

static void test_bind_wildcard_and_specific_conflict(void **state)
{
	struct fix *f = *state;
	struct ust_sock *any = new_sock(f, 0, 0, 0, 0);
	struct ust_sock *spec = new_sock(f, IP(10, 0, 0, 1), 0, 0, 0);

	assert_int_equal(inet_csk_get_port(&f->h, any, PORT), 0);
	assert_int_equal(inet_csk_get_port(&f->h, spec, PORT), -EADDRINUSE);
	inet_put_port(&f->h, any);
	assert_int_equal(inet_csk_get_port(&f->h, spec, PORT), 0);
	assert_int_equal(inet_csk_get_port(&f->h, any, PORT), -EADDRINUSE);
}

static void test_bind_different_devices_ok(void **state)
{
	struct fix *f = *state;
	struct ust_sock *a = new_sock(f, 0, 1, 0, 0), *b = new_sock(f, 0, 2, 0, 0);
	struct ust_sock *c = new_sock(f, 0, 2, 0, 0);

	assert_int_equal(inet_csk_get_port(&f->h, a, PORT), 0);
	assert_int_equal(inet_csk_get_port(&f->h, b, PORT), 0);
	assert_int_equal(inet_csk_get_port(&f->h, c, PORT), -EADDRINUSE);   /* same device */
}

static void test_bind_one_unbound_device_conflicts(void **state)
{
	struct fix *f = *state;
	struct ust_sock *dev = new_sock(f, 0, 1, 0, 0), *any = new_sock(f, 0, 0, 0, 0);

	assert_int_equal(inet_csk_get_port(&f->h, dev, PORT), 0);
	assert_int_equal(inet_csk_get_port(&f->h, any, PORT), -EADDRINUSE);
	inet_put_port(&f->h, dev);
	assert_int_equal(inet_csk_get_port(&f->h, any, PORT), 0);
	assert_int_equal(inet_csk_get_port(&f->h, dev, PORT), -EADDRINUSE);
}

/*
 * Random binds, listens, children and releases on two ports (fixed seed): at
 * every bind and listen, the cache never claims "no conflict" where the full
 * scan finds one, and the result is exactly the full scan's answer.
 */
enum role { FREE, BOUND, LISTENING, CHILD };

static void randomize(struct ust_sock *sk, struct ust_rng *r)
{
	const ust_be32 addrs[3] = { 0, IP(10, 0, 0, 1), IP(10, 0, 0, 2) };

	memset(sk, 0, sizeof(*sk));
	sk->sk_state = TCP_CLOSE;
	sk->inet_rcv_saddr = addrs[ust_rng_below(r, 3)];
	sk->sk_bound_dev_if = (int)ust_rng_below(r, 3);
	sk->sk_reuse = ust_rng_below(r, 2) ? 1 : 0;
	sk->sk_reuseport = ust_rng_below(r, 3) == 0 ? 1 : 0;
}

static void check_attempt(const struct inet_bind_bucket *tb, int err, bool full, bool fast,
			  int counts[3])
{
	assert_false(fast && full);
	assert_int_equal(err, full ? -EADDRINUSE : 0);
	counts[0] += fast;
	counts[1] += full;
	counts[2] += tb && !fast && !full;
}

static void test_fastreuse_cache_agrees_with_full_scan(void **state)
{
	struct fix *f = *state;
	enum { N = 48 };
	struct ust_sock *s[N];
	enum role role[N] = { FREE };
	int counts[3] = { 0 };   /* fast ok, conflict, ok after a full scan */
	struct ust_rng r;

	ust_rng_seed(&r, 20240607);
	for (int i = 0; i < N; i++)
		s[i] = new_sock(f, 0, 0, 0, 0);
	for (int step = 0; step < 40000; step++) {
		int i = (int)ust_rng_below(&r, N);
		struct ust_sock *sk = s[i];
		struct inet_bind_bucket *tb;
		bool full, fast;

		if (role[i] == FREE && ust_rng_below(&r, 5) == 0) {
			/* Become a child of some listener (H-6). */
			int j = (int)ust_rng_below(&r, N);

			if (role[j] != LISTENING)
				continue;
			randomize(sk, &r);
			sk->inet_rcv_saddr = s[j]->inet_rcv_saddr ? s[j]->inet_rcv_saddr : 0x0100000a;
			sk->sk_bound_dev_if = s[j]->sk_bound_dev_if;
			sk->sk_reuse = s[j]->sk_reuse;
			sk->sk_reuseport = s[j]->sk_reuseport;
			sk->sk_state = TCP_SYN_RECV;
			__inet_inherit_port(&f->h, s[j], sk);
			role[i] = CHILD;
		} else if (role[i] == FREE) {
			uint16_t port = (uint16_t)(6000 + ust_rng_below(&r, 2));
			int err;

			randomize(sk, &r);
			tb = f->h.bhash ? f->h.bhash[port] : NULL;
			full = tb && inet_csk_bind_conflict(tb, sk, true, true);
			fast = tb && inet_csk_bind_fast_ok(tb, sk);
			err = inet_csk_get_port(&f->h, sk, port);
			check_attempt(tb, err, full, fast, counts);
			if (!err)
				role[i] = BOUND;
		} else if (role[i] == BOUND && ust_rng_below(&r, 3) == 0) {
			int err;

			tb = sk->icsk_bind_hash;
			sk->sk_state = TCP_LISTEN;
			full = inet_csk_bind_conflict(tb, sk, true, true);
			fast = inet_csk_bind_fast_ok(tb, sk);
			err = inet_csk_listen_check_port(&f->h, sk);
			check_attempt(tb, err, full, fast, counts);
			if (err)
				sk->sk_state = TCP_CLOSE;
			else
				role[i] = LISTENING;
		} else if (role[i] != FREE && (role[i] != LISTENING || ust_rng_below(&r, 4) == 0)) {
			inet_put_port(&f->h, sk);
			assert_null(sk->icsk_bind_hash);
			role[i] = FREE;
		}
	}
	/* Every path was taken many times. */
	assert_true(counts[0] > 500);
	assert_true(counts[1] > 500);
	assert_true(counts[2] > 500);
	/* Owner counts match the lists. */
	for (uint32_t p = 6000; p < 6002; p++) {
		struct inet_bind_bucket *tb = f->h.bhash[p];
		uint32_t n = 0;

		if (!tb)
			continue;
		for (struct ust_hlist_node *node = tb->owners.first; node; node = node->next)
			n++;
		assert_int_equal(n, tb->num_owners);
	}
	for (int i = 0; i < N; i++)
		inet_put_port(&f->h, s[i]);
	assert_null(f->h.bhash[6000]);
	assert_null(f->h.bhash[6001]);
	assert_int_equal(f->h.bucket_pool.nr_used, 0);
}

/* ================= bind() with port 0 (API-3) ================= */

static void test_ephemeral_bind_odd_relative_to_low_first(void **state)
{
	struct fix *f = *state;
	uint32_t seen = 0;

	set_range(f, "40000 40009");
	for (int k = 0; k < 10; k++) {
		struct ust_sock *sk = new_sock(f, 0, 0, 0, 0);
		uint32_t off;

		assert_int_equal(inet_csk_get_port(&f->h, sk, 0), 0);
		off = sk->inet_num - 40000u;
		assert_true(off < 10);
		assert_int_equal(off & 1, k < 5 ? 1 : 0);   /* odd ports first, then even */
		assert_false(seen & (1u << off));
		seen |= 1u << off;
	}
	assert_int_equal(inet_csk_get_port(&f->h, new_sock(f, 0, 0, 0, 0), 0), -EADDRINUSE);
}

static void test_ephemeral_bind_default_range_is_odd(void **state)
{
	struct fix *f = *state;

	for (int k = 0; k < 100; k++) {
		struct ust_sock *sk = new_sock(f, 0, 0, 0, 0);

		assert_int_equal(inet_csk_get_port(&f->h, sk, 0), 0);
		assert_in_range(sk->inet_num, 32768, 60999);
		assert_int_equal(sk->inet_num & 1, 1);   /* low = 32768 is even */
	}
}

/* SO_REUSEADDR: lower half [40000, 40004) odd then even, then the upper half. */
static void test_ephemeral_bind_reuseaddr_lower_half_first(void **state)
{
	struct fix *f = *state;
	static const uint32_t order_sets[4][3] = {
		{ 40001, 40003, 0 }, { 40000, 40002, 0 }, { 40005, 40007, 40009 }, { 40004, 40006, 40008 },
	};
	int k = 0;

	set_range(f, "40000 40009");
	for (int set = 0; set < 4; set++) {
		int n = order_sets[set][2] ? 3 : 2;
		uint32_t got = 0;

		for (int j = 0; j < n; j++, k++) {
			struct ust_sock *sk = new_sock(f, 0, 0, 1, 0);
			int found = -1;

			assert_int_equal(inet_csk_get_port(&f->h, sk, 0), 0);
			for (int m = 0; m < n; m++)
				if (sk->inet_num == order_sets[set][m])
					found = m;
			assert_true(found >= 0);
			assert_false(got & (1u << found));
			got |= 1u << found;
		}
	}
	assert_int_equal(k, 10);
	assert_int_equal(inet_csk_get_port(&f->h, new_sock(f, 0, 0, 1, 0), 0), -EADDRINUSE);
	/* ip_autobind_reuse=1: a relaxed pass shares with SO_REUSEADDR owners only. */
	assert_int_equal(ust_sysctl_set(&f->core.sysctl, "ip_autobind_reuse", "1"), 0);
	struct ust_sock *shared = new_sock(f, 0, 0, 1, 0);
	assert_int_equal(inet_csk_get_port(&f->h, shared, 0), 0);
	assert_int_equal(shared->icsk_bind_hash->num_owners, 2);
	assert_int_equal(inet_csk_get_port(&f->h, new_sock(f, 0, 0, 0, 0), 0), -EADDRINUSE);
}

/* The relaxed pass never lets autobind join an SO_REUSEPORT owner. */
static void test_ephemeral_bind_relaxed_pass_skips_reuseport_pairs(void **state)
{
	struct fix *f = *state;
	struct ust_sock *owner = new_sock(f, 0, 0, 1, 1);
	struct ust_sock *rp = new_sock(f, 0, 0, 1, 1), *ra = new_sock(f, 0, 0, 1, 0);

	set_range(f, "40000 40000");
	assert_int_equal(ust_sysctl_set(&f->core.sysctl, "ip_autobind_reuse", "1"), 0);
	assert_int_equal(inet_csk_get_port(&f->h, owner, 40000), 0);
	assert_int_equal(inet_csk_get_port(&f->h, rp, 0), -EADDRINUSE);
	assert_int_equal(inet_csk_get_port(&f->h, ra, 0), 0);
	assert_int_equal(ra->inet_num, 40000);
	/* Explicitly, both exemptions apply. */
	assert_int_equal(inet_csk_get_port(&f->h, rp, 40000), 0);
}

/* Busy means busy for this socket: owners of other addresses leave it free. */
static void test_ephemeral_bind_takes_port_of_other_address(void **state)
{
	struct fix *f = *state;
	struct ust_sock *a = new_sock(f, IP(10, 0, 0, 1), 0, 0, 0);
	struct ust_sock *b = new_sock(f, IP(10, 0, 0, 2), 0, 0, 0);

	set_range(f, "40000 40000");
	assert_int_equal(inet_csk_get_port(&f->h, a, 40000), 0);
	assert_int_equal(inet_csk_get_port(&f->h, b, 0), 0);
	assert_int_equal(b->inet_num, 40000);
	assert_int_equal(inet_csk_get_port(&f->h, new_sock(f, 0, 0, 0, 0), 0), -EADDRINUSE);
}

static void test_ephemeral_bind_range_exhausted(void **state)
{
	struct fix *f = *state;

	set_range(f, "40000 40003");
	for (int k = 0; k < 4; k++)
		assert_int_equal(inet_csk_get_port(&f->h, new_sock(f, 0, 0, 0, 0), 0), 0);
	assert_int_equal(inet_csk_get_port(&f->h, new_sock(f, 0, 0, 0, 0), 0), -EADDRINUSE);
	assert_int_equal(inet_csk_get_port(&f->h, new_sock(f, IP(10, 0, 0, 1), 0, 1, 1), 0), -EADDRINUSE);
}

/* API-5: listen() on an unbound socket binds it as bind(port 0) would. */
static void test_listen_autobinds_unbound_socket(void **state)
{
	struct fix *f = *state;
	struct ust_sock *sk = new_sock(f, 0, 0, 0, 0);

	assert_int_equal(do_listen(f, sk), 0);
	assert_in_range(sk->inet_num, 32768, 60999);
	assert_int_equal(sk->inet_num & 1, 1);
	assert_ptr_equal(lookup_listener(f, IP(10, 0, 0, 1), sk->inet_num, 1), sk);
}

/* ================= connect() (P-1..P-6) ================= */

#define SRC IP(10, 0, 0, 1)

static void test_connect_first_pass_has_parity_of_low(void **state)
{
	struct fix *f = *state;

	for (uint32_t k = 0; k < 200; k++) {
		struct ust_sock *sk = new_conn(f, SRC, be32(0xc6336400u + k), 443);

		assert_int_equal(inet_hash_connect(&f->h, sk), 0);
		assert_in_range(sk->inet_num, 32768, 60999);
		assert_int_equal(sk->inet_num & 1, 0);   /* low = 32768 is even */
		assert_non_null(sk->icsk_bind_hash);
		assert_int_equal(sk->icsk_bind_hash->fastreuse, -1);
		/* P-6: hashed, so the SYN-ACK finds it. */
		assert_ptr_equal(seg_lookup(&f->h, sk->inet_daddr, 443, SRC, sk->inet_num, 0), &sk->sk_common);
	}
}

static void test_connect_same_destination_walks_forward(void **state)
{
	struct fix *f = *state;
	const uint32_t range = 61000 - 32768;
	uint32_t prev = 0;

	for (int k = 0; k < 40; k++) {
		struct ust_sock *sk = new_conn(f, SRC, IP(198, 51, 100, 1), 80);

		assert_int_equal(inet_hash_connect(&f->h, sk), 0);
		if (k) {
			uint32_t step = (sk->inet_num + range - prev) % range;

			/* table_perturb moved by max(i, 2 * rand(0..7)) + 2, i = 0 here. */
			assert_in_range(step, 2, 16);
			assert_int_equal(step & 1, 0);
		}
		prev = sk->inet_num;
	}
	/* After the 10 s reshuffle the walk starts somewhere else. */
	f->core.now += 10ull * 1000000000ull;
	struct ust_sock *later = new_conn(f, SRC, IP(198, 51, 100, 1), 80);
	assert_int_equal(inet_hash_connect(&f->h, later), 0);
	assert_int_equal(later->inet_num & 1, 0);
}

/* Range of two ports: the first pass has only 40000, the second only 40001. */
static void test_connect_shares_port_between_destinations(void **state)
{
	struct fix *f = *state;
	struct ust_sock *a = new_conn(f, SRC, IP(198, 51, 100, 1), 80);
	struct ust_sock *b = new_conn(f, SRC, IP(198, 51, 100, 2), 80);
	struct ust_sock *c = new_conn(f, SRC, IP(198, 51, 100, 1), 80);

	set_range(f, "40000 40001");
	assert_int_equal(inet_hash_connect(&f->h, a), 0);
	assert_int_equal(a->inet_num, 40000);
	assert_int_equal(inet_hash_connect(&f->h, b), 0);
	assert_int_equal(b->inet_num, 40000);   /* a connect-owned port, another tuple */
	assert_ptr_equal(a->icsk_bind_hash, b->icsk_bind_hash);
	assert_int_equal(a->icsk_bind_hash->num_owners, 2);
	assert_int_equal(inet_hash_connect(&f->h, c), 0);
	assert_int_equal(c->inet_num, 40001);   /* 40000 to .1:80 is taken */
	assert_int_equal(f->h.ehash_count, 3);
}

static void test_connect_never_shares_bind_port(void **state)
{
	struct fix *f = *state;
	struct ust_sock *bound = new_sock(f, IP(10, 0, 0, 9), 0, 1, 1);
	struct ust_sock *a = new_conn(f, SRC, IP(198, 51, 100, 1), 80);
	struct ust_sock *b = new_conn(f, SRC, IP(198, 51, 100, 2), 80);
	struct ust_sock *c = new_conn(f, SRC, IP(198, 51, 100, 1), 80);

	set_range(f, "40000 40001");
	assert_int_equal(inet_csk_get_port(&f->h, bound, 40000), 0);
	assert_int_equal(inet_hash_connect(&f->h, a), 0);
	assert_int_equal(a->inet_num, 40001);
	assert_int_equal(inet_hash_connect(&f->h, b), 0);
	assert_int_equal(b->inet_num, 40001);
	assert_int_equal(inet_hash_connect(&f->h, c), -EADDRNOTAVAIL);
	assert_int_equal(c->inet_num, 0);
	assert_null(c->icsk_bind_hash);
	assert_true(ust_hlist_unhashed(&c->sk_common.skc_node));
	assert_int_equal(f->h.bhash[40000]->num_owners, 1);

	/* A bind() joining a connect-owned port makes it bind()'s. */
	struct ust_sock *joiner = new_sock(f, IP(10, 0, 0, 9), 0, 0, 0);
	struct ust_sock *d = new_conn(f, SRC, IP(198, 51, 100, 3), 80);
	assert_int_equal(inet_csk_get_port(&f->h, joiner, 40001), 0);
	assert_int_equal(inet_hash_connect(&f->h, d), -EADDRNOTAVAIL);
}

static void test_connect_exhausted_for_one_destination_only(void **state)
{
	struct fix *f = *state;
	uint32_t got = 0;

	set_range(f, "40000 40003");
	for (int k = 0; k < 4; k++) {
		struct ust_sock *sk = new_conn(f, SRC, IP(198, 51, 100, 1), 80);

		assert_int_equal(inet_hash_connect(&f->h, sk), 0);
		assert_int_equal(sk->inet_num & 1, k < 2 ? 0 : 1);   /* even pass, then odd */
		got |= 1u << (sk->inet_num - 40000);
	}
	assert_int_equal(got, 0xf);
	assert_int_equal(inet_hash_connect(&f->h, new_conn(f, SRC, IP(198, 51, 100, 1), 80)), -EADDRNOTAVAIL);
	/* Another destination, or another port of it, still gets one. */
	struct ust_sock *other = new_conn(f, SRC, IP(198, 51, 100, 2), 80);
	assert_int_equal(inet_hash_connect(&f->h, other), 0);
	assert_int_equal(other->inet_num & 1, 0);
	assert_int_equal(inet_hash_connect(&f->h, new_conn(f, SRC, IP(198, 51, 100, 1), 81)), 0);
}

/* P-1: a bound socket only has its tuple checked. */
static void test_connect_bound_socket_duplicate_tuple(void **state)
{
	struct fix *f = *state;
	struct ust_sock *a = new_conn(f, SRC, IP(198, 51, 100, 1), 80);
	struct ust_sock *b = new_conn(f, SRC, IP(198, 51, 100, 1), 80);
	struct ust_sock *alone = new_conn(f, SRC, IP(198, 51, 100, 1), 80);

	a->sk_reuse = b->sk_reuse = 1;
	assert_int_equal(inet_csk_get_port(&f->h, a, 5000), 0);
	assert_int_equal(inet_csk_get_port(&f->h, b, 5000), 0);
	assert_int_equal(inet_hash_connect(&f->h, a), 0);
	assert_int_equal(a->inet_num, 5000);
	assert_int_equal(inet_hash_connect(&f->h, b), -EADDRNOTAVAIL);
	assert_true(ust_hlist_unhashed(&b->sk_common.skc_node));
	b->inet_dport = be16(81);
	assert_int_equal(inet_hash_connect(&f->h, b), 0);
	/* The sole owner of a port goes straight in. */
	assert_int_equal(inet_csk_get_port(&f->h, alone, 5001), 0);
	assert_int_equal(inet_hash_connect(&f->h, alone), 0);
	assert_ptr_equal(seg_lookup(&f->h, IP(198, 51, 100, 1), 80, SRC, 5001, 0), &alone->sk_common);
	/* __inet_check_established on its own. */
	assert_int_equal(__inet_check_established(&f->h, b, 5000), 0);   /* b itself */
	assert_int_equal(__inet_check_established(&f->h, alone, 5000), -EADDRNOTAVAIL);
	assert_int_equal(__inet_check_established(&f->h, alone, 5002), 0);
}

/* ================= put_port / inherit_port ================= */

static void test_put_port_frees_bucket_with_last_owner(void **state)
{
	struct fix *f = *state;
	struct ust_sock *a = new_sock(f, 0, 0, 1, 0), *b = new_sock(f, 0, 0, 1, 0);

	assert_int_equal(inet_csk_get_port(&f->h, a, 7000), 0);
	assert_int_equal(inet_csk_get_port(&f->h, b, 7000), 0);
	assert_int_equal(f->h.bucket_pool.nr_used, 1);
	inet_put_port(&f->h, a);
	assert_null(a->icsk_bind_hash);
	assert_int_equal(a->inet_num, 0);
	assert_non_null(f->h.bhash[7000]);
	assert_int_equal(f->h.bhash[7000]->num_owners, 1);
	inet_put_port(&f->h, b);
	assert_null(f->h.bhash[7000]);
	assert_int_equal(f->h.bucket_pool.nr_used, 0);
	inet_put_port(&f->h, b);   /* unbound: nothing */
	/* The port is free again, for anyone. */
	assert_int_equal(inet_csk_get_port(&f->h, new_sock(f, 0, 0, 0, 0), 7000), 0);
}

static void test_inherit_port_child_keeps_port_busy(void **state)
{
	struct fix *f = *state;
	struct ust_sock *l = new_sock(f, 0, 0, 1, 0), *c[3];
	struct inet_bind_bucket *tb;

	assert_int_equal(inet_csk_get_port(&f->h, l, 8080), 0);
	assert_int_equal(do_listen(f, l), 0);
	tb = l->icsk_bind_hash;
	for (int i = 0; i < 3; i++) {
		c[i] = new_sock(f, IP(10, 0, 0, 1), 0, 1, 0);
		c[i]->sk_state = TCP_SYN_RECV;
		__inet_inherit_port(&f->h, l, c[i]);
		assert_ptr_equal(c[i]->icsk_bind_hash, tb);
		assert_int_equal(c[i]->inet_num, 8080);
	}
	assert_int_equal(tb->num_owners, 4);
	/* A later bind() meets the listener before its children. */
	assert_ptr_equal(tb->owners.first, &l->sk_bind_node);
	/* The listener goes; its children still hold the port (H-6). */
	inet_unhash(&f->h, l);
	l->sk_state = TCP_CLOSE;
	inet_put_port(&f->h, l);
	assert_int_equal(tb->num_owners, 3);
	assert_int_equal(inet_csk_get_port(&f->h, new_sock(f, 0, 0, 0, 0), 8080), -EADDRINUSE);
	/* A restarted server with SO_REUSEADDR may bind next to them (API-2 a). */
	struct ust_sock *again = new_sock(f, 0, 0, 1, 0);
	assert_int_equal(inet_csk_get_port(&f->h, again, 8080), 0);
	assert_int_equal(do_listen(f, again), 0);
	for (int i = 0; i < 3; i++)
		inet_put_port(&f->h, c[i]);
	inet_unhash(&f->h, again);
	inet_put_port(&f->h, again);
	assert_null(f->h.bhash[8080]);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_ehash_insert_lookup_remove),
		T(test_ehash_colliding_tuples),
		T(test_ehash_bound_device_must_match),
		T(test_ehash_replace_request_with_child),
		T(test_ehash_grows_past_a_million),
		T(test_ehash_growth_stops_at_max),
		T(test_listener_specific_beats_wildcard),
		T(test_listener_device_bound_beats_unbound),
		T(test_listener_reuseport_spreads_and_is_stable),
		T(test_bind_same_port_plain_conflicts),
		T(test_bind_both_reuseaddr_not_listening_ok),
		T(test_bind_reuseaddr_against_listener_conflicts),
		T(test_bind_both_reuseport_ok_including_listeners),
		T(test_bind_different_specific_addresses_ok),
		T(test_bind_wildcard_and_specific_conflict),
		T(test_bind_different_devices_ok),
		T(test_bind_one_unbound_device_conflicts),
		T(test_fastreuse_cache_agrees_with_full_scan),
		T(test_ephemeral_bind_odd_relative_to_low_first),
		T(test_ephemeral_bind_default_range_is_odd),
		T(test_ephemeral_bind_reuseaddr_lower_half_first),
		T(test_ephemeral_bind_relaxed_pass_skips_reuseport_pairs),
		T(test_ephemeral_bind_takes_port_of_other_address),
		T(test_ephemeral_bind_range_exhausted),
		T(test_listen_autobinds_unbound_socket),
		T(test_connect_first_pass_has_parity_of_low),
		T(test_connect_same_destination_walks_forward),
		T(test_connect_shares_port_between_destinations),
		T(test_connect_never_shares_bind_port),
		T(test_connect_exhausted_for_one_destination_only),
		T(test_connect_bound_socket_duplicate_tuple),
		T(test_put_port_frees_bucket_with_last_owner),
		T(test_inherit_port_child_keeps_port_busy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
