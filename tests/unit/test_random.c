/*
 * Randomness and hashing: the PRNG is deterministic per seed and matches the
 * published xoshiro256** outputs; below() stays in range and is uniform;
 * secrets are reproducible from a seed and fresh without one; SipHash-2-4
 * matches the reference vectors; the table mixer spreads 4-tuples evenly.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "core/compiler.h"
#include "core/random.h"

/* ---- ust_rng -------------------------------------------------------------- */

static void test_rng_same_seed_same_sequence(void **state)
{
	struct ust_rng a, b;
	int i;

	(void)state;
	ust_rng_seed(&a, 42);
	ust_rng_seed(&b, 42);
	for (i = 0; i < 10000; i++)
		assert_int_equal(ust_rng_u64(&a), ust_rng_u64(&b));
}

static void test_rng_different_seeds_differ(void **state)
{
	struct ust_rng a, b;
	int i, same = 0;

	(void)state;
	ust_rng_seed(&a, 1);
	ust_rng_seed(&b, 2);
	for (i = 0; i < 1000; i++)
		same += ust_rng_u64(&a) == ust_rng_u64(&b);
	assert_int_equal(same, 0);
	/* seed 0: from the CSPRNG, so two seedings differ */
	ust_rng_seed(&a, 0);
	ust_rng_seed(&b, 0);
	assert_memory_not_equal(a.s, b.s, sizeof(a.s));
	assert_true(ust_rng_u64(&a) != ust_rng_u64(&b));
}

/* The state {1, 2, 3, 4} gives the first outputs published with the algorithm's
 * test vectors (rand_xoshiro and others use the same ones). The first three
 * check by hand: rotl(2 * 5, 7) * 9 = 11520; then s1 becomes 0; then 1509978240. */
static void test_rng_xoshiro256starstar_known_outputs(void **state)
{
	static const uint64_t want[] = {
		11520ULL, 0ULL, 1509978240ULL, 1215971899390074240ULL,
		1216172134540287360ULL, 607988272756665600ULL,
		16172922978634559625ULL, 8476171486693032832ULL,
		10595114339597558777ULL, 2904607092377533576ULL,
	};
	struct ust_rng r = { .s = { 1, 2, 3, 4 } };
	size_t i;

	(void)state;
	for (i = 0; i < UST_ARRAY_SIZE(want); i++)
		assert_int_equal(ust_rng_u64(&r), want[i]);
}

static void test_rng_below_range_and_uniformity(void **state)
{
	static const uint32_t ns[] = { 1, 2, 3, 7, 10, 1000, 65537, 0x80000001u,
				       0xc0000000u, UINT32_MAX };
	struct ust_rng r;
	size_t i;
	int j;

	(void)state;
	ust_rng_seed(&r, 7);
	for (i = 0; i < UST_ARRAY_SIZE(ns); i++)
		for (j = 0; j < 100000; j++)
			assert_true(ust_rng_below(&r, ns[i]) < ns[i]);
	assert_int_equal(ust_rng_below(&r, 1), 0);

	/* n = 10, 10^6 draws: chi-square with 9 degrees of freedom; 33.7 is p = 1e-4. */
	{
		unsigned count[10] = { 0 };
		double chi = 0, expect = 100000.0;

		for (j = 0; j < 1000000; j++)
			count[ust_rng_below(&r, 10)]++;
		for (j = 0; j < 10; j++)
			chi += (count[j] - expect) * (count[j] - expect) / expect;
		assert_true(chi < 33.7);
	}
	/* n = 3 * 2^30: without rejection, values would lean; the top third
	 * [2^31, 3 * 2^30) must get a third of the draws (sd ~ 0.0015). */
	{
		unsigned top = 0;

		for (j = 0; j < 100000; j++)
			top += ust_rng_below(&r, 0xc0000000u) >= 0x80000000u;
		assert_true(top > 33333 - 1000 && top < 33333 + 1000);
	}
	/* n = 2^31 + 1 (about half of all draws rejected): still in range and
	 * both halves hit equally. */
	{
		unsigned high = 0;

		for (j = 0; j < 100000; j++)
			high += ust_rng_below(&r, 0x80000001u) >= 0x40000000u;
		assert_true(high > 50000 - 1000 && high < 50000 + 1000);
	}
}

static void test_rng_chance(void **state)
{
	struct ust_rng r;
	int j, hits = 0;

	(void)state;
	ust_rng_seed(&r, 99);
	for (j = 0; j < 10000; j++) {
		assert_false(ust_rng_chance(&r, 0.0));
		assert_false(ust_rng_chance(&r, -1.0));
		assert_true(ust_rng_chance(&r, 1.0));
		assert_true(ust_rng_chance(&r, 2.0));
	}
	for (j = 0; j < 100000; j++)
		hits += ust_rng_chance(&r, 0.25);
	/* sd = sqrt(100000 * 0.25 * 0.75) ~ 137 */
	assert_true(hits > 25000 - 800 && hits < 25000 + 800);
}

/* ---- ust_secrets ------------------------------------------------------------ */

static void assert_every_field_differs(const struct ust_secrets *a, const struct ust_secrets *b)
{
	assert_memory_not_equal(a->net_secret, b->net_secret, UST_KEY_BYTES);
	assert_memory_not_equal(a->cookie_secret[0], b->cookie_secret[0], UST_KEY_BYTES);
	assert_memory_not_equal(a->cookie_secret[1], b->cookie_secret[1], UST_KEY_BYTES);
	assert_true(a->hash_seed != b->hash_seed);
	assert_true(a->isn_base != b->isn_base);
}

static void test_secrets_deterministic_with_seed(void **state)
{
	struct ust_secrets a, b, c;

	(void)state;
	memset(&a, 0x11, sizeof(a));
	memset(&b, 0x22, sizeof(b));
	assert_int_equal(ust_secrets_init(&a, 7), 0);
	assert_int_equal(ust_secrets_init(&b, 7), 0);
	assert_memory_equal(&a, &b, sizeof(a));   /* every byte filled, the same */
	assert_int_equal(ust_secrets_init(&c, 8), 0);
	assert_every_field_differs(&a, &c);
	/* the two cookie keys are not the same key */
	assert_memory_not_equal(a.cookie_secret[0], a.cookie_secret[1], UST_KEY_BYTES);
}

static void test_secrets_fresh_without_seed(void **state)
{
	struct ust_secrets a, b;

	(void)state;
	assert_int_equal(ust_secrets_init(&a, 0), 0);
	assert_int_equal(ust_secrets_init(&b, 0), 0);
	assert_every_field_differs(&a, &b);
}

/* ---- ust_siphash ------------------------------------------------------------- */

/* SipHash-2-4 reference vectors (Aumasson and Bernstein): key 00 01 .. 0f,
 * message 00 01 .. (len-1); the 8 output bytes read little-endian. len 15 is
 * the example worked in the paper, a129ca6149be45e5. */
static void test_siphash_reference_vectors(void **state)
{
	static const struct {
		size_t len;
		uint64_t want;
	} v[] = {
		{ 0, 0x726fdb47dd0e0e31ULL },
		{ 1, 0x74f839c593dc67fdULL },
		{ 2, 0x0d6c8009d9a94f5aULL },
		{ 7, 0xab0200f58b01d137ULL },
		{ 8, 0x93f5f5799a932462ULL },
		{ 15, 0xa129ca6149be45e5ULL },
	};
	uint8_t key[UST_KEY_BYTES], msg[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	for (i = 0; i < UST_ARRAY_SIZE(v); i++)
		assert_int_equal(ust_siphash(key, msg, v[i].len), v[i].want);
	/* the key matters */
	key[0] ^= 1;
	assert_true(ust_siphash(key, msg, 15) != 0xa129ca6149be45e5ULL);
}

/* ---- ust_hash_3words ----------------------------------------------------------- */

/* 2^20 sequential 4-tuples (a client's address walking up, every source port)
 * into 2^16 buckets by the low bits, as a table with a mask does. Uniform
 * hashing gives chi-square ~ 65535 +- 362 and a fullest bucket near 33. */
static void test_hash_bucket_distribution(void **state)
{
	static const uint32_t seeds[] = { 0, 1, 0xdeadbeef };
	const unsigned nb = 1u << 16, n = 1u << 20;
	unsigned *count = calloc(nb, sizeof(*count));
	size_t si;

	(void)state;
	assert_non_null(count);
	for (si = 0; si < UST_ARRAY_SIZE(seeds); si++) {
		double chi = 0, expect = (double)n / nb;
		unsigned i, max = 0;

		memset(count, 0, nb * sizeof(*count));
		for (i = 0; i < n; i++) {
			uint32_t saddr = 0x0a000001u + (i >> 16);        /* 10.0.0.1 .. */
			uint32_t daddr = 0x0a000101u;                    /* 10.0.1.1 */
			uint32_t ports = ((i & 0xffffu) << 16) | 80;     /* sport, dport 80 */

			count[ust_hash_3words(saddr, daddr, ports, seeds[si]) & (nb - 1)]++;
		}
		for (i = 0; i < nb; i++) {
			chi += (count[i] - expect) * (count[i] - expect) / expect;
			if (count[i] > max)
				max = count[i];
		}
		/* 6 sd over the mean; a fullest bucket of 48 is three times the mean. */
		assert_true(chi < 65535 + 6 * 362);
		assert_true(max <= 48);
	}
	/* The same over the high bits (a table may shift instead of mask). */
	{
		double chi = 0, expect = (double)n / nb;
		unsigned i;

		memset(count, 0, nb * sizeof(*count));
		for (i = 0; i < n; i++)
			count[ust_hash_3words(0x0a000001u + (i >> 16), 0x0a000101u,
					      ((i & 0xffffu) << 16) | 80, 12345) >> 16]++;
		for (i = 0; i < nb; i++)
			chi += (count[i] - expect) * (count[i] - expect) / expect;
		assert_true(chi < 65535 + 6 * 362);
	}
	free(count);
}

/* Avalanche: flipping any one of the 96 input bits flips each output bit with
 * probability near 1/2 (4000 random inputs: sd 0.008, bound 0.5 +- 0.08), and
 * about 16 output bits on average. */
static void test_hash_avalanche(void **state)
{
	enum { SAMPLES = 4000 };
	unsigned (*flips)[32] = calloc(96, sizeof(*flips));
	struct ust_rng r;
	unsigned s, ib, ob;
	double total = 0;

	(void)state;
	assert_non_null(flips);
	ust_rng_seed(&r, 2024);
	for (s = 0; s < SAMPLES; s++) {
		uint32_t in[3] = { ust_rng_u32(&r), ust_rng_u32(&r), ust_rng_u32(&r) };
		uint32_t seed = ust_rng_u32(&r);
		uint32_t h = ust_hash_3words(in[0], in[1], in[2], seed);

		for (ib = 0; ib < 96; ib++) {
			uint32_t x[3] = { in[0], in[1], in[2] };
			uint32_t d;

			x[ib / 32] ^= 1u << (ib % 32);
			d = h ^ ust_hash_3words(x[0], x[1], x[2], seed);
			for (ob = 0; ob < 32; ob++)
				flips[ib][ob] += (d >> ob) & 1;
		}
	}
	for (ib = 0; ib < 96; ib++) {
		for (ob = 0; ob < 32; ob++) {
			double p = (double)flips[ib][ob] / SAMPLES;

			if (p < 0.42 || p > 0.58)
				fail_msg("input bit %u -> output bit %u flips with p %.3f", ib, ob, p);
			total += p;
		}
	}
	free(flips);
	total /= 96;   /* mean output bits flipped per input bit */
	assert_true(total > 15.5 && total < 16.5);
}

static void test_hash_is_keyed_and_uses_every_word(void **state)
{
	unsigned i, same_seed = 0, same_c = 0;

	(void)state;
	for (i = 0; i < 10000; i++) {
		same_seed += ust_hash_3words(i, 2 * i, 3 * i, 1) == ust_hash_3words(i, 2 * i, 3 * i, 2);
		same_c += ust_hash_3words(i, 7, 0, 5) == ust_hash_3words(i, 7, 1, 5);
	}
	assert_true(same_seed < 5);
	assert_true(same_c < 5);
	assert_int_equal(ust_hash_2words(1, 2, 3), ust_hash_3words(1, 2, 0, 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rng_same_seed_same_sequence),
		cmocka_unit_test(test_rng_different_seeds_differ),
		cmocka_unit_test(test_rng_xoshiro256starstar_known_outputs),
		cmocka_unit_test(test_rng_below_range_and_uniformity),
		cmocka_unit_test(test_rng_chance),
		cmocka_unit_test(test_secrets_deterministic_with_seed),
		cmocka_unit_test(test_secrets_fresh_without_seed),
		cmocka_unit_test(test_siphash_reference_vectors),
		cmocka_unit_test(test_hash_bucket_distribution),
		cmocka_unit_test(test_hash_avalanche),
		cmocka_unit_test(test_hash_is_keyed_and_uses_every_word),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
