/*
 * End to end: two stacks over a memlink that loses 10% of packets, duplicates
 * 1% and reorders 1%, in virtual time; each side sends the other a
 * pseudo-random stream and shuts down; every byte must arrive once, in order
 * (BLAKE2b of each stream compared, and each byte checked where it lands so
 * a failure names the offset). The normal run moves 8 MB each way; with
 * --full (ctest label `slow`) 100 MB each way.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "ustack/ustack.h"
#include "vstack.h"

#define MS 1000000ULL
#define CHUNK 65536

static uint64_t stream_bytes = 8u << 20;

/* Byte i of a stream: splitmix64 of its 8-byte block, so any offset can be
 * produced again without keeping the stream. */
static uint8_t stream_byte(uint64_t seed, uint64_t i)
{
	uint64_t z = seed + (i >> 3) * 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (uint8_t)(z >> ((i & 7) * 8));
}

struct end {
	struct ust_stack *st;
	int fd;
	uint64_t tx_seed, rx_seed;      /* what we send, what the peer sends */
	uint64_t sent, rcvd;
	bool shut, eof;
	crypto_generichash_state tx_hash, rx_hash;
	uint64_t mismatch_at;           /* first wrong byte + 1, 0 = none */
	uint8_t pend[CHUNK];            /* generated, not yet taken by the stack */
	size_t pend_off, pend_len;
};

static void pump_send(struct end *e)
{
	while (e->sent < stream_bytes) {
		ssize_t m;

		/* Generate the next chunk once; keep it until the stack takes it. */
		if (e->pend_off == e->pend_len) {
			uint64_t left = stream_bytes - e->sent;

			e->pend_len = (size_t)(left < CHUNK ? left : CHUNK);
			e->pend_off = 0;
			for (size_t i = 0; i < e->pend_len; i++)
				e->pend[i] = stream_byte(e->tx_seed, e->sent + i);
		}
		m = ust_send(e->st, e->fd, e->pend + e->pend_off, e->pend_len - e->pend_off, MSG_DONTWAIT);
		if (m < 0) {
			assert_int_equal(errno, EAGAIN);
			return;
		}
		crypto_generichash_update(&e->tx_hash, e->pend + e->pend_off, (unsigned long long)m);
		e->pend_off += (size_t)m;
		e->sent += (uint64_t)m;
	}
	if (!e->shut) {
		assert_int_equal(ust_shutdown(e->st, e->fd, SHUT_WR), 0);
		e->shut = true;
	}
}

static void pump_recv(struct end *e)
{
	uint8_t buf[CHUNK];

	while (!e->eof) {
		ssize_t m = ust_recv(e->st, e->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (m < 0) {
			assert_int_equal(errno, EAGAIN);
			return;
		}
		if (m == 0) {
			e->eof = true;
			return;
		}
		for (ssize_t i = 0; i < m && !e->mismatch_at; i++)
			if (buf[i] != stream_byte(e->rx_seed, e->rcvd + (uint64_t)i))
				e->mismatch_at = e->rcvd + (uint64_t)i + 1;
		crypto_generichash_update(&e->rx_hash, buf, (unsigned long long)m);
		e->rcvd += (uint64_t)m;
	}
}

static uint64_t stat(struct ust_stack *st, const char *name)
{
	uint64_t v = 0;

	assert_int_equal(ust_stats_get(st, name, &v), 0);
	return v;
}

static void test_lossy_link_delivers_every_byte_both_ways(void **state)
{
	struct ust_memlink_config lc;
	struct ust_netdev *da, *db;
	struct sockaddr_in srv = { .sin_family = AF_INET, .sin_port = htons(5001) };
	static struct end a, b;
	uint8_t ha[2][32], hb[2][32];
	int lfd;
	uint64_t ms = 0, limit_ms = 48ull * 3600 * 1000;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.tx_seed = b.rx_seed = 11;
	b.tx_seed = a.rx_seed = 22;
	a.st = vstack("a", 1);
	b.st = vstack("b", 2);
	ust_memlink_config_init(&lc);
	lc.framing = UST_FRAMING_IP;
	lc.delay_ns = 1 * MS;
	lc.loss = 0.10;
	lc.dup = 0.01;
	lc.reorder = 0.01;
	lc.seed = 1234;
	assert_int_equal(ust_memlink_create(a.st, b.st, &lc, &da, &db), 0);
	assert_int_equal(ust_addr_add(a.st, da, inet_addr("198.51.100.1"), 24), 0);
	assert_int_equal(ust_addr_add(b.st, db, inet_addr("198.51.100.2"), 24), 0);
	srv.sin_addr.s_addr = inet_addr("198.51.100.2");
	lfd = ust_socket(b.st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_int_equal(ust_bind(b.st, lfd, (struct sockaddr *)&srv, sizeof(srv)), 0);
	assert_int_equal(ust_listen(b.st, lfd, 1), 0);
	a.fd = ust_socket(a.st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_int_equal(ust_connect(a.st, a.fd, (struct sockaddr *)&srv, sizeof(srv)), -1);
	assert_int_equal(errno, EINPROGRESS);
	b.fd = -1;
	/* The handshake itself may lose packets: SYN retries take seconds. */
	for (unsigned i = 0; i < 200000 && b.fd < 0; i++) {
		ust_stack_advance(a.st, MS);
		ust_stack_advance(b.st, MS);
		b.fd = ust_accept4(b.st, lfd, NULL, NULL, SOCK_NONBLOCK);
	}
	assert_true(b.fd >= 0);
	crypto_generichash_init(&a.tx_hash, NULL, 0, 32);
	crypto_generichash_init(&a.rx_hash, NULL, 0, 32);
	crypto_generichash_init(&b.tx_hash, NULL, 0, 32);
	crypto_generichash_init(&b.rx_hash, NULL, 0, 32);

	while (!(a.eof && b.eof) && ms < limit_ms) {
		pump_send(&a);
		pump_send(&b);
		pump_recv(&a);
		pump_recv(&b);
		ust_stack_advance(a.st, MS);
		ust_stack_advance(b.st, MS);
		ms++;
	}
	if (getenv("UST_INTEGRITY_VERBOSE"))
		fprintf(stderr, "%llu bytes each way in %.1f s virtual; retrans a %llu b %llu, timeouts a %llu b %llu\n",
			(unsigned long long)stream_bytes, (double)ms / 1000,
			(unsigned long long)stat(a.st, "TcpRetransSegs"), (unsigned long long)stat(b.st, "TcpRetransSegs"),
			(unsigned long long)stat(a.st, "TcpExtTCPTimeouts"),
			(unsigned long long)stat(b.st, "TcpExtTCPTimeouts"));
	assert_true(a.eof && b.eof);
	assert_int_equal(a.mismatch_at, 0);
	assert_int_equal(b.mismatch_at, 0);
	assert_int_equal(a.rcvd, stream_bytes);
	assert_int_equal(b.rcvd, stream_bytes);
	crypto_generichash_final(&a.tx_hash, ha[0], 32);
	crypto_generichash_final(&a.rx_hash, ha[1], 32);
	crypto_generichash_final(&b.tx_hash, hb[0], 32);
	crypto_generichash_final(&b.rx_hash, hb[1], 32);
	assert_memory_equal(ha[0], hb[1], 32);
	assert_memory_equal(hb[0], ha[1], 32);
	/* The loss was real and was repaired by retransmission. */
	assert_true(stat(a.st, "TcpRetransSegs") > 0);
	assert_true(stat(b.st, "TcpRetransSegs") > 0);
	ust_close(a.st, a.fd);
	ust_close(b.st, b.fd);
	ust_close(b.st, lfd);
	ust_stack_free(a.st);
	ust_stack_free(b.st);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lossy_link_delivers_every_byte_both_ways),
	};

	if (argc > 1 && !strcmp(argv[1], "--full"))
		stream_bytes = 100u << 20;
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
