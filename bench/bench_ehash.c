/*
 * bench_ehash: the cost of the established hash (ehash) as it fills, to show a
 * lookup costs the same at a thousand and at a million connections.
 *
 *   bench_ehash [MAX]     (default MAX = 1000000; sizes 1k, 100k, 1M up to MAX)
 *
 * For each size N, on a table that starts at 256 buckets and doubles as it goes
 * (as the stack's does):
 *   insert grow     N inserts from empty, doublings included, per insert
 *   insert sized    N inserts into a table made big enough up front
 *   lookup hit      __inet_lookup_established of present tuples, random order
 *   lookup miss     tuples that are absent (same local port, other peers)
 *   remove          N removals
 *   chase           one dependent random read (a pointer chase in random order)
 *                   over an array as big as the entries: the memory latency at
 *                   that footprint. A lookup reads a bucket head then an entry;
 *                   back-to-back lookups are independent, so the CPU overlaps
 *                   them and a hit can cost less than one chase step.
 * Random orders are drawn beforehand from a fixed seed, so the PRNG is not
 * timed; lookups repeat until about 4M have run. Also prints the bucket count,
 * the longest chain and the mean entries a hit compares ("probes"): the work
 * per lookup, which stays at about 1.5 at every size. Wall time still rises
 * with N once the table and entries outgrow the CPU caches (that is "chase"
 * rising too), not because chains grow. There is no Linux counterpart
 * measurable from user space, so no ratio is printed. Not a test: nothing here
 * asserts a time.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/core.h"
#include "tcp/inet_hashtables.h"
#include "wire/types.h"

#define LOOKUPS_TARGET 4000000u

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

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

/* Tuple k: local 10.0.0.1:443, peer 11.x.y.z:1024+ (a server's view). */
static void tuple(struct sock_common *c, uint32_t k, uint32_t peer_base)
{
	memset(c, 0, sizeof(*c));
	c->skc_rcv_saddr = be32(0x0a000001);
	c->skc_num = 443;
	c->skc_daddr = be32(peer_base + k / 50000);
	c->skc_dport = be16((uint16_t)(1024 + k % 50000));
	c->skc_state = TCP_ESTABLISHED;
}

struct result {
	double ins_grow, ins_sized, hit, miss, del, touch, probes;
	uint32_t buckets, chain;
};

/* Longest chain, and mean position of an entry in its chain (a hit's probes). */
static void chain_stats(const struct inet_hashinfo *h, struct result *res)
{
	uint64_t sum = 0;

	res->chain = 0;
	for (uint32_t b = 0; b <= h->ehash_mask; b++) {
		uint32_t n = 0;

		for (const struct ust_hlist_node *p = h->ehash[b].first; p; p = p->next)
			n++;
		sum += (uint64_t)n * (n + 1) / 2;
		if (n > res->chain)
			res->chain = n;
	}
	res->probes = h->ehash_count ? (double)sum / h->ehash_count : 0;
}

/* Nodes the size of an entry, linked into one cycle in the random order. */
static double chase(const uint32_t *order, uint32_t n, uintptr_t *sink)
{
	struct node {
		uint32_t next;
		uint8_t pad[sizeof(struct sock_common) - sizeof(uint32_t)];
	} *a = malloc((size_t)n * sizeof(*a));
	uint32_t rounds = LOOKUPS_TARGET / n ? LOOKUPS_TARGET / n : 1;
	uint32_t cur = order[0];
	uint64_t t0, steps = (uint64_t)rounds * n;

	if (!a)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		a[order[i]].next = order[(i + 1) % n];
	t0 = now_ns();
	for (uint64_t i = 0; i < steps; i++)
		cur = a[cur].next;
	*sink += cur;
	free(a);
	return (double)(now_ns() - t0) / (double)steps;
}

static double lookups(const struct inet_hashinfo *h, const struct sock_common *q,
		      const uint32_t *order, uint32_t n, uintptr_t *sink)
{
	uint32_t rounds = LOOKUPS_TARGET / n ? LOOKUPS_TARGET / n : 1;
	uint64_t t0 = now_ns();

	for (uint32_t r = 0; r < rounds; r++)
		for (uint32_t i = 0; i < n; i++) {
			const struct sock_common *c = &q[order[i]];

			*sink += (uintptr_t)__inet_lookup_established(h, c->skc_daddr, c->skc_dport,
								      c->skc_rcv_saddr, c->skc_num, 0);
		}
	return (double)(now_ns() - t0) / ((double)rounds * n);
}

static int run(struct ust_core *core, uint32_t n, struct result *res, uintptr_t *sink)
{
	struct sock_common *e = malloc((size_t)n * sizeof(*e));
	struct sock_common *absent = malloc((size_t)n * sizeof(*absent));
	uint32_t *order = malloc((size_t)n * sizeof(*order));
	struct inet_hashinfo h;
	uint64_t t0;

	if (!e || !absent || !order)
		return -1;
	for (uint32_t k = 0; k < n; k++) {
		tuple(&absent[k], k, 0x0c000000);
		order[k] = k;
	}
	for (uint32_t k = n; k > 1; k--) {   /* Fisher-Yates */
		uint32_t j = ust_rng_below(&core->rng, k), t = order[k - 1];

		order[k - 1] = order[j];
		order[j] = t;
	}

	/* Pre-sized: the insert cost without doublings. */
	if (inet_hashinfo_init(&h, core, n, n))
		return -1;
	for (uint32_t k = 0; k < n; k++)
		tuple(&e[k], k, 0x0b000000);
	t0 = now_ns();
	for (uint32_t k = 0; k < n; k++)
		inet_ehash_insert(&h, &e[k], NULL);
	res->ins_sized = (double)(now_ns() - t0) / n;
	inet_hashinfo_destroy(&h);

	/* Growing from 256 buckets, as the stack runs. */
	if (inet_hashinfo_init(&h, core, 256, 0))
		return -1;
	for (uint32_t k = 0; k < n; k++)
		tuple(&e[k], k, 0x0b000000);
	t0 = now_ns();
	for (uint32_t k = 0; k < n; k++)
		inet_ehash_insert(&h, &e[k], NULL);
	res->ins_grow = (double)(now_ns() - t0) / n;
	res->buckets = h.ehash_mask + 1;
	chain_stats(&h, res);
	res->touch = chase(order, n, sink);
	res->hit = lookups(&h, e, order, n, sink);
	res->miss = lookups(&h, absent, order, n, sink);
	t0 = now_ns();
	for (uint32_t k = 0; k < n; k++)
		inet_ehash_remove(&h, &e[order[k]]);
	res->del = (double)(now_ns() - t0) / n;
	inet_hashinfo_destroy(&h);
	free(e);
	free(absent);
	free(order);
	return 0;
}

int main(int argc, char **argv)
{
	static const uint32_t sizes[] = { 1000, 100000, 1000000 };
	uint32_t max = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1000000;
	struct ust_core *core = calloc(1, sizeof(*core));
	uintptr_t sink = 0;

	if (!core)
		return 1;
	ust_sysctl_init(&core->sysctl);
	if (ust_secrets_init(&core->secrets, 1))
		return 1;
	ust_rng_seed(&core->rng, 1);

	printf("ehash: ns per operation (table starts at 256 buckets and doubles)\n\n");
	printf("%10s %10s %6s %7s %12s %12s %8s %8s %8s %8s\n", "entries", "buckets", "chain",
	       "probes", "insert grow", "insert sized", "hit", "miss", "chase", "remove");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct result r;

		if (sizes[i] > max)
			break;
		if (run(core, sizes[i], &r, &sink)) {
			fprintf(stderr, "bench_ehash: out of memory at %" PRIu32 " entries\n", sizes[i]);
			return 1;
		}
		printf("%10" PRIu32 " %10" PRIu32 " %6" PRIu32 " %7.2f %12.1f %12.1f %8.1f %8.1f %8.1f %8.1f\n",
		       sizes[i], r.buckets, r.chain, r.probes, r.ins_grow, r.ins_sized, r.hit, r.miss,
		       r.touch, r.del);
	}
	printf("\nchain: longest chain; probes: mean entries a hit compares (the work per lookup);\n"
	       "chase: one serialized random read over an entry-sized array (memory latency at\n"
	       "that size). checksum %" PRIxPTR "\n", sink);
	free(core);
	return 0;
}
