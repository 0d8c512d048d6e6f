/*
 * Randomness and keyed hashing (random.h).
 *
 *  - ust_rng: xoshiro256** (Blackman and Vigna). A fixed seed is expanded to the
 *    256-bit state by splitmix64, so nearby seeds give unrelated sequences; seed
 *    0 takes the state from libsodium's CSPRNG.
 *  - ust_secrets: libsodium's randombytes_buf, or randombytes_buf_deterministic
 *    (ChaCha20 keyed by a 32-byte seed) for reproducible runs.
 *  - ust_siphash: libsodium's crypto_shorthash, which is SipHash-2-4.
 *  - ust_hash_3words: a keyed multiply-xorshift mixer for hash tables.
 */
#include "core/random.h"

#include <errno.h>
#include <string.h>
#include <sodium.h>
#include "core/compiler.h"

static inline uint64_t rotl64(uint64_t x, unsigned r)
{
	return (x << r) | (x >> (64 - r));
}

/* splitmix64 (Steele, Lea, Flood): a Weyl sequence through a mixing function. */
static uint64_t splitmix64_next(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t load_le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint32_t load_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void ust_rng_seed(struct ust_rng *r, uint64_t seed)
{
	int i;

	if (seed == 0) {
		/* sodium_init() is idempotent and thread-safe. Should it fail,
		 * randombytes_buf still reads the system CSPRNG (it initialises
		 * its source on first use), so there is nothing to report. */
		if (sodium_init() < 0) {
			/* fall through to randombytes_buf */
		}
		do {
			randombytes_buf(r->s, sizeof(r->s));
		} while ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0);
		return;
	}
	/* splitmix64 never yields four zero words in a row from one seed, so
	 * the all-zero state (a fixed point of xoshiro) cannot occur. */
	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64_next(&seed);
}

/*
 * xoshiro256**: output = rotl(s1 * 5, 7) * 9; then the linear step
 * t = s1 << 17; s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 45).
 */
uint64_t ust_rng_u64(struct ust_rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl64(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl64(s[3], 45);
	return out;
}

/*
 * Lemire, "Fast Random Integer Generation in an Interval" (2019): the high
 * word of x * n is uniform in [0, n) once the low words that fall in the
 * 2^32 mod n surplus are rejected. The division runs only when the cheap
 * test (low < n) says a rejection is possible.
 */
uint32_t ust_rng_below(struct ust_rng *r, uint32_t n)
{
	uint64_t m;
	uint32_t low;

	if (unlikely(n == 0))
		return 0;
	m = (uint64_t)ust_rng_u32(r) * n;
	low = (uint32_t)m;
	if (low < n) {
		uint32_t floor_ = (uint32_t)(-n) % n;   /* 2^32 mod n */

		while (low < floor_) {
			m = (uint64_t)ust_rng_u32(r) * n;
			low = (uint32_t)m;
		}
	}
	return (uint32_t)(m >> 32);
}

int ust_rng_chance(struct ust_rng *r, double p)
{
	if (!(p > 0.0))
		return 0;
	if (p >= 1.0)
		return 1;
	/* 53 random bits as a double uniform in [0, 1). */
	return (double)(ust_rng_u64(r) >> 11) * 0x1.0p-53 < p;
}

/* One buffer, then each field in order, so the layout of the struct (padding,
 * field order) does not change which bytes a field gets. */
#define SECRETS_BYTES (UST_KEY_BYTES * 3 + 4 + 4)

int ust_secrets_init(struct ust_secrets *s, uint64_t seed)
{
	uint8_t buf[SECRETS_BYTES];
	const uint8_t *p = buf;

	if (sodium_init() < 0)
		return -EIO;
	if (seed == 0) {
		randombytes_buf(buf, sizeof(buf));
	} else {
		/*
		 * The 32-byte seed: bytes 0..7 are the u64 seed little-endian,
		 * bytes 8..31 the ASCII tag "ustack secrets v1" zero-padded.
		 * Injective in the u64; the tag keeps these streams apart from
		 * any other use of randombytes_buf_deterministic.
		 */
		static const char tag[] = "ustack secrets v1";
		uint8_t dseed[randombytes_SEEDBYTES];
		int i;

		_Static_assert(sizeof(tag) <= randombytes_SEEDBYTES - 8, "tag fits");
		memset(dseed, 0, sizeof(dseed));
		for (i = 0; i < 8; i++)
			dseed[i] = (uint8_t)(seed >> (8 * i));
		memcpy(dseed + 8, tag, sizeof(tag));
		randombytes_buf_deterministic(buf, sizeof(buf), dseed);
		sodium_memzero(dseed, sizeof(dseed));
	}
	memcpy(s->net_secret, p, UST_KEY_BYTES);
	p += UST_KEY_BYTES;
	memcpy(s->cookie_secret[0], p, UST_KEY_BYTES);
	p += UST_KEY_BYTES;
	memcpy(s->cookie_secret[1], p, UST_KEY_BYTES);
	p += UST_KEY_BYTES;
	s->hash_seed = load_le32(p);
	p += 4;
	s->isn_base = load_le32(p);
	sodium_memzero(buf, sizeof(buf));
	return 0;
}

/* The 8 output bytes of SipHash-2-4 read as a little-endian u64, which is the
 * u64 the SipHash paper prints (e.g. a129ca6149be45e5 for its example). */
uint64_t ust_siphash(const uint8_t key[UST_KEY_BYTES], const void *in, size_t len)
{
	uint8_t out[crypto_shorthash_BYTES];

	_Static_assert(crypto_shorthash_KEYBYTES == UST_KEY_BYTES, "SipHash key size");
	_Static_assert(crypto_shorthash_BYTES == 8, "SipHash-2-4 output size");
	crypto_shorthash(out, (const unsigned char *)in, (unsigned long long)len, key);
	return load_le64(out);
}

/*
 * Keyed mixer, five multiplies, no table. The seed is spread to a 64-bit key k;
 * (a, b) fill one word that is keyed and multiplied by an odd constant (a
 * bijection carrying low bits up), then folded (high bits down); c, offset by
 * the key and spread by its own multiply, is xored in; a final
 * xorshift-multiply avalanche stage (the shape of MurmurHash3's 64-bit
 * finaliser, with its published constants) makes every output bit depend on
 * every input bit with probability near 1/2. Not for secrets: ust_siphash is.
 */
uint32_t ust_hash_3words(uint32_t a, uint32_t b, uint32_t c, uint32_t seed)
{
	uint64_t k = ((uint64_t)seed + 0x243f6a8885a308d3ULL) * 0x9e3779b97f4a7c15ULL;
	uint64_t h = (((uint64_t)a << 32) | b) ^ k;

	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	h ^= ((uint64_t)c + (k >> 32)) * 0xd6e8feb86659fd93ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return (uint32_t)(h >> 32);
}
