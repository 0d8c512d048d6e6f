/*
 * Randomness and keyed hashing.
 *
 * - ust_rng: a fast PRNG (xoshiro256**) for choices that need no secrecy, only
 *   spread: port-table jitter, memlink loss and reordering, challenge-ACK budget.
 *   Seeded from libsodium's CSPRNG, or from a fixed seed in tests.
 * - ust_secrets: the per-stack keys (Linux keeps them per boot): ISN and port
 *   offsets and timestamp offsets (net_secret), SYN cookies, table hashing. Filled
 *   by libsodium's randombytes_buf, or derived deterministically from a seed with
 *   randombytes_buf_deterministic so a test run is reproducible.
 * - ust_siphash: SipHash-2-4 through libsodium's crypto_shorthash, as Linux uses
 *   SipHash for ISNs, timestamp offsets, port offsets and cookies.
 * - ust_hash_*: a fast keyed mixer for hash tables (the role jhash plays in Linux),
 *   not for secrets.
 */
#ifndef UST_CORE_RANDOM_H
#define UST_CORE_RANDOM_H

#include <stddef.h>
#include <stdint.h>

struct ust_rng {
	uint64_t s[4];
};

#define UST_KEY_BYTES 16

struct ust_secrets {
	uint8_t net_secret[UST_KEY_BYTES];    /* ISN and TS offset, ephemeral port offset */
	uint8_t cookie_secret[2][UST_KEY_BYTES]; /* SYN cookie H0, H1 */
	uint32_t hash_seed;                   /* ehash/bhash/lhash table hashing */
	uint32_t isn_base;                    /* start of the 64 ns ISN clock */
};

/* seed 0: seed from libsodium's CSPRNG. Otherwise the sequence is a pure
 * function of seed (the state is four splitmix64 outputs from seed). */
void ust_rng_seed(struct ust_rng *r, uint64_t seed);
uint64_t ust_rng_u64(struct ust_rng *r);
static inline uint32_t ust_rng_u32(struct ust_rng *r) { return (uint32_t)(ust_rng_u64(r) >> 32); }
/* Uniform in [0, n); n > 0. */
uint32_t ust_rng_below(struct ust_rng *r, uint32_t n);
/* True with probability p (0 <= p <= 1). */
int ust_rng_chance(struct ust_rng *r, double p);

/* seed 0: from libsodium's CSPRNG; otherwise derived from seed by
 * randombytes_buf_deterministic under the 32-byte seed "u64 seed little-endian
 * (8 bytes) || the ASCII tag \"ustack secrets v1\" zero-padded (24 bytes)"; the
 * stream fills net_secret, cookie_secret[0], cookie_secret[1],
 * hash_seed (LE), isn_base (LE) in that order. Every field is written.
 * Returns 0, or -EIO if libsodium cannot initialise. */
int ust_secrets_init(struct ust_secrets *s, uint64_t seed);

/* SipHash-2-4 of in[0..len) under a 16-byte key; the 8 output bytes read as a
 * little-endian u64 (the value the SipHash paper prints). */
uint64_t ust_siphash(const uint8_t key[UST_KEY_BYTES], const void *in, size_t len);

/* Keyed mixing of up to three 32-bit words; well spread in every bit. */
uint32_t ust_hash_3words(uint32_t a, uint32_t b, uint32_t c, uint32_t seed);
static inline uint32_t ust_hash_2words(uint32_t a, uint32_t b, uint32_t seed)
{
	return ust_hash_3words(a, b, 0, seed);
}

#endif
