/*
 * bench_million: a million established connections in one pair of stacks, and
 * what a segment to one of them costs at 1k, 100k and 1M live connections.
 *
 *   bench_million [N]        (default N = 1000000; checkpoints 1k, 100k, N)
 *
 * Setup (not timed per segment, but reported): two stacks (virtual clock, fixed
 * seeds, max_sockets 1.1M each) on a memlink (IP framing, queue of 8192
 * frames). The client has 16 addresses (10.0.0.1 and 10.0.1.1..15, /16); the
 * server listens on 10.0.0.2:8080. Connection i binds to client address
 * i / 64000 and port 1024 + i % 64000 explicitly (a million distinct 4-tuples
 * without asking the ephemeral-port search to find them in a nearly full
 * range), connects non-blocking; every 1024 connects both stacks are polled
 * until quiet and the server accepts what is queued (getpeername maps each
 * accepted socket to its client). Nothing is closed until the end.
 *
 * At each checkpoint, with every connection established and accepted:
 *   rx random   for 65536 connections drawn at random (fixed seed) over all
 *               live ones, in groups of 64: the client writes 1 byte on each
 *               (send path, not timed), then ONE timed ust_stack_poll() of the
 *               server takes the 64 data segments through its whole receive
 *               path (memlink -> ip_rcv -> tcp_v4_rcv -> ehash lookup ->
 *               tcp_rcv_state_process -> data queued -> ACK sent); then the
 *               client takes the ACKs and the server reads the bytes (not
 *               timed). Printed per segment.
 *   rx hot      the same with the same 64 connections every time: the work of
 *               the path without cache misses; it must not move with N.
 *   round trip  per segment, everything of "rx random": write, delivery, ACK,
 *               the ACK's delivery (a second lookup, in the client's ehash)
 *               and the read.
 * Each is run REPEATS times and the best run is printed (the machine may be
 * shared with other work).
 * The ehash's buckets, longest chain and mean entries compared per hit
 * ("probes") show the work of a lookup stays the same; wall time still grows
 * once the sockets (2 x 480 B per connection) outgrow the CPU caches, which
 * "rx hot" separates out. Memory: RSS from /proc/self/statm, per connection
 * (both ends, with the server's and client's hash tables and descriptor
 * tables). Bounded: setup stops at SETUP_MAX_NS and the largest checkpoint
 * reached is reported, with a note saying so.
 *
 * There is no Linux counterpart in this program (a million kernel sockets
 * needs raised file limits and gigabytes of kernel memory); the kernel's
 * per-socket size (TCP slab object, /proc/slabinfo) is printed for scale.
 * Not a test: nothing here asserts a time.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "bench_common.h"
#include "stack.h"
#include "tcp/tcp.h"

#define N_DEFAULT 1000000u
#define N_MAX 1040000u
#define PORTS_PER_ADDR 64000u
#define NADDR 16u
#define BATCH 1024u
#define GROUP 64u
#define PROBES 65536u
#define REPEATS 3
#define SETUP_MAX_NS (45ULL * 1000000000ULL)
#define SERVER_PORT 8080

static const uint32_t checkpoints[] = { 1000, 100000, 1000000 };

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_million: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* xorshift64*: the probe order, drawn before timing. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

struct world {
	struct ust_stack *c, *s;
	struct ust_netdev *dc, *ds;
	int lfd;
	struct sockaddr_in srv;
	int *cfd;            /* client fd of connection i */
	int *sfd;            /* server fd of connection i (-1 until accepted) */
	uint32_t opened;     /* connects issued */
	uint32_t accepted;
};

static uint32_t client_addr(uint32_t k)   /* host order */
{
	return k == 0 ? 0x0a000001u : 0x0a000100u + k;   /* 10.0.0.1, 10.0.1.1.. */
}

static struct ust_stack *new_stack(const char *name, uint64_t seed)
{
	struct ust_stack *st = bench_vstack(name, seed, 1100000);

	if (!st)
		die("ust_stack_new");
	return st;
}

static void world_init(struct world *w, uint32_t n)
{
	struct ust_memlink_config ml;
	struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = htons(SERVER_PORT) };

	memset(w, 0, sizeof(*w));
	w->cfd = malloc((size_t)n * sizeof(int));
	w->sfd = malloc((size_t)n * sizeof(int));
	if (!w->cfd || !w->sfd)
		die("malloc");
	memset(w->sfd, 0xff, (size_t)n * sizeof(int));
	w->c = new_stack("client", 101);
	w->s = new_stack("server", 202);
	ust_memlink_config_init(&ml);
	ml.framing = UST_FRAMING_IP;
	ml.queue_len = 8192;
	ml.seed = 3;
	if (ust_memlink_create(w->c, w->s, &ml, &w->dc, &w->ds))
		die("ust_memlink_create");
	for (uint32_t k = 0; k < NADDR; k++)
		if (ust_addr_add(w->c, w->dc, htonl(client_addr(k)), 16))
			die("ust_addr_add client");
	if (ust_addr_add(w->s, w->ds, inet_addr("10.0.0.2"), 16))
		die("ust_addr_add server");
	w->lfd = ust_socket(w->s, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (w->lfd < 0 || ust_bind(w->s, w->lfd, (struct sockaddr *)&any, sizeof(any)) ||
	    ust_listen(w->s, w->lfd, 4096))
		die("listen");
	w->srv.sin_family = AF_INET;
	w->srv.sin_port = htons(SERVER_PORT);
	w->srv.sin_addr.s_addr = inet_addr("10.0.0.2");
}

static void drive(struct world *w)
{
	int work;

	do {
		work = ust_stack_poll(w->c);
		work += ust_stack_poll(w->s);
	} while (work > 0);
}

static void open_one(struct world *w, uint32_t i)
{
	struct sockaddr_in me = { .sin_family = AF_INET };
	int fd = ust_socket(w->c, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	me.sin_addr.s_addr = htonl(client_addr(i / PORTS_PER_ADDR));
	me.sin_port = htons((uint16_t)(1024 + i % PORTS_PER_ADDR));
	int one = 1;

	if (fd < 0)
		die("ust_socket (client)");
	/* Each probe write must be its own segment: Nagle would hold a second
	 * byte to a connection drawn twice in a group until the first is ACKed. */
	if (ust_setsockopt(w->c, fd, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof(one)))
		die("TCP_NODELAY");
	if (ust_bind(w->c, fd, (struct sockaddr *)&me, sizeof(me)))
		die("ust_bind (client)");
	if (ust_connect(w->c, fd, (struct sockaddr *)&w->srv, sizeof(w->srv)) == 0 || errno != EINPROGRESS)
		die("ust_connect");
	w->cfd[i] = fd;
}

/* Accepts everything queued and files each socket under its connection. */
static void accept_all(struct world *w, uint32_t n)
{
	for (;;) {
		struct sockaddr_in peer;
		socklen_t len = sizeof(peer);
		int fd = ust_accept4(w->s, w->lfd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK);
		uint32_t host, k, i;

		if (fd < 0) {
			if (errno != EAGAIN)
				die("ust_accept4");
			return;
		}
		host = ntohl(peer.sin_addr.s_addr);
		k = host == 0x0a000001u ? 0 : host - 0x0a000100u;
		i = k * PORTS_PER_ADDR + (uint32_t)(ntohs(peer.sin_port) - 1024);
		if (k >= NADDR || i >= n || w->sfd[i] >= 0) {
			fprintf(stderr, "bench_million: accepted an unexpected peer\n");
			exit(1);
		}
		w->sfd[i] = fd;
		w->accepted++;
	}
}

/* Opens connections up to `upto`; false when the time bound stopped it. */
static bool open_upto(struct world *w, uint32_t upto, uint32_t n, uint64_t deadline)
{
	while (w->opened < upto) {
		uint32_t end = w->opened + BATCH < upto ? w->opened + BATCH : upto;

		for (; w->opened < end; w->opened++)
			open_one(w, w->opened);
		drive(w);
		accept_all(w, n);
		if (now_ns() > deadline)
			return w->opened >= upto;
	}
	return true;
}

struct chain_stats {
	uint32_t buckets, longest;
	uint64_t entries;
	double probes;
};

static void ehash_stats(struct ust_stack *st, struct chain_stats *cs)
{
	const struct inet_hashinfo *h = &ust_stack_tcp(st)->hashinfo;
	uint64_t sum = 0;

	cs->longest = 0;
	cs->buckets = h->ehash_mask + 1;
	cs->entries = h->ehash_count;
	for (uint32_t b = 0; b <= h->ehash_mask; b++) {
		uint32_t len = 0;

		for (const struct ust_hlist_node *p = h->ehash[b].first; p; p = p->next)
			len++;
		sum += (uint64_t)len * (len + 1) / 2;
		if (len > cs->longest)
			cs->longest = len;
	}
	cs->probes = h->ehash_count ? (double)sum / h->ehash_count : 0;
}

/* Every connection established on both ends, as the counters see it. */
static bool stat_check_fail(struct world *w)
{
	uint64_t a = 0, b = 0;

	ust_stats_get(w->c, "TcpCurrEstab", &a);
	ust_stats_get(w->s, "TcpCurrEstab", &b);
	if (a == w->opened && b == w->opened)
		return false;
	printf("bench_million: TcpCurrEstab client %" PRIu64 ", server %" PRIu64 ", expected %u\n", a, b,
	       w->opened);
	return true;
}

struct probe_result {
	double rx_ns, round_ns;
};

/* PROBES segments, GROUP at a time, to the connections idx[0..]. */
static bool probe_once(struct world *w, const uint32_t *idx, uint32_t count, struct probe_result *pr)
{
	uint64_t rx = 0, t0 = now_ns();
	char byte = 'x', buf[16];
	uint32_t done = 0;

	while (done < count) {
		uint32_t g = count - done < GROUP ? count - done : GROUP;
		uint64_t r0;
		int handled;

		for (uint32_t j = 0; j < g; j++)
			if (ust_write(w->c, w->cfd[idx[done + j]], &byte, 1) != 1)
				return false;
		r0 = now_ns();
		handled = ust_stack_poll(w->s);   /* the GROUP data segments, ACKs out */
		rx += now_ns() - r0;
		if (handled < (int)g)
			return false;
		drive(w);                          /* the ACKs, and anything left */
		{
			/* A connection drawn twice in a group has 2 bytes on the first read. */
			ssize_t got = 0;

			for (uint32_t j = 0; j < g; j++) {
				ssize_t r = ust_read(w->s, w->sfd[idx[done + j]], buf, sizeof(buf));

				if (r > 0)
					got += r;
				else if (errno != EAGAIN)
					return false;
			}
			if (got != (ssize_t)g)
				return false;
		}
		done += g;
	}
	pr->round_ns = (double)(now_ns() - t0) / count;
	pr->rx_ns = (double)rx / count;
	return true;
}

/* Best of REPEATS runs: the machine may be shared; the least disturbed run
 * is the one closest to the path's own cost. */
static bool probe(struct world *w, const uint32_t *idx, uint32_t count, struct probe_result *pr)
{
	for (int r = 0; r < REPEATS; r++) {
		struct probe_result one;

		if (!probe_once(w, idx, count, &one))
			return false;
		if (r == 0 || one.rx_ns < pr->rx_ns)
			pr->rx_ns = one.rx_ns;
		if (r == 0 || one.round_ns < pr->round_ns)
			pr->round_ns = one.round_ns;
	}
	return true;
}

int main(int argc, char **argv)
{
	uint32_t n = N_DEFAULT, hot[GROUP], *idx;
	uint64_t seed = 0x9e3779b97f4a7c15ULL, t_start, deadline, setup_ns = 0;
	double rx_first = 0, rx_last = 0, hot_first = 0, hot_last = 0, pr_first = 0, pr_last = 0;
	uint32_t chain_first = 0, chain_last = 0;
	struct world w;
	long rss0, rss_prev;
	uint32_t live_prev = 0;
	bool stopped = false;
	int ks = slab_size("TCP");

	if (argc > 1) {
		char *end;
		unsigned long v = strtoul(argv[1], &end, 10);

		if (*end || v < 1000 || v > N_MAX) {
			fprintf(stderr, "usage: %s [connections, 1000..%u]\n", argv[0], N_MAX);
			return 2;
		}
		n = (uint32_t)v;
	}
	idx = malloc(PROBES * sizeof(*idx));
	if (!idx)
		die("malloc");
	printf("bench_million: %u established connections in one pair of stacks (memlink, virtual clock)\n", n);
	printf("sizeof(struct ust_sock) = %zu bytes (target <= 1024 without buffers: %s; kernel TCP slab "
	       "object %d B here, 2304 in the spec)\n\n",
	       sizeof(struct ust_sock), sizeof(struct ust_sock) <= 1024 ? "met" : "MISSED", ks > 0 ? ks : 2304);

	rss0 = rss_prev = rss_kib();
	world_init(&w, n);
	t_start = now_ns();
	deadline = t_start + SETUP_MAX_NS;
	printf("%10s %9s %8s %7s %11s %10s %8s %11s %9s %8s %8s\n", "conns", "buckets", "longest", "probes",
	       "setup us/c", "rx random", "rx hot", "round trip", "RSS MiB", "B/conn", "B/conn+");
	for (size_t ci = 0; ci < sizeof(checkpoints) / sizeof(checkpoints[0]); ci++) {
		uint32_t target = ci + 1 == sizeof(checkpoints) / sizeof(checkpoints[0]) ? n : checkpoints[ci];
		uint32_t live;
		struct chain_stats cs;
		struct probe_result pr_rand, pr_hot;
		uint64_t t0;
		long rss;

		if (target > n)
			target = n;
		if (ci && target <= checkpoints[ci - 1])
			break;
		t0 = now_ns();
		if (!open_upto(&w, target, n, deadline)) {
			stopped = true;
			target = w.opened;
		}
		drive(&w);
		accept_all(&w, n);
		setup_ns += now_ns() - t0;
		live = w.opened;
		if (w.accepted != live || stat_check_fail(&w)) {
			printf("bench_million: %u connects but %u accepted\n", live, w.accepted);
			return 1;
		}
		for (uint32_t j = 0; j < PROBES; j++)
			idx[j] = (uint32_t)(rng_next(&seed) % live);
		for (uint32_t j = 0; j < GROUP; j++)
			hot[j] = (uint32_t)(rng_next(&seed) % live);
		ehash_stats(w.s, &cs);
		if (!probe(&w, idx, PROBES, &pr_rand)) {
			printf("bench_million: a probe segment was not delivered at %u connections\n", live);
			return 1;
		}
		{
			uint32_t *hidx = malloc(PROBES * sizeof(*hidx));

			if (!hidx)
				die("malloc");
			for (uint32_t j = 0; j < PROBES; j++)
				hidx[j] = hot[j % GROUP];
			if (!probe(&w, hidx, PROBES, &pr_hot)) {
				printf("bench_million: a probe segment was not delivered at %u connections\n", live);
				return 1;
			}
			free(hidx);
		}
		rss = rss_kib();
		printf("%10u %9u %8u %7.2f %11.2f %10.1f %8.1f %11.1f %9.1f %8.0f %8.0f\n", live, cs.buckets,
		       cs.longest, cs.probes, (double)setup_ns / 1000.0 / live, pr_rand.rx_ns, pr_hot.rx_ns,
		       pr_rand.round_ns, (double)rss / 1024.0, (double)(rss - rss0) * 1024.0 / live,
		       (double)(rss - rss_prev) * 1024.0 / (live - live_prev));
		rss_prev = rss;
		live_prev = live;
		fflush(stdout);
		if (ci == 0) {
			rx_first = pr_rand.rx_ns;
			hot_first = pr_hot.rx_ns;
			pr_first = cs.probes;
			chain_first = cs.longest;
		}
		rx_last = pr_rand.rx_ns;
		hot_last = pr_hot.rx_ns;
		pr_last = cs.probes;
		chain_last = cs.longest;
		if (stopped)
			break;
	}
	printf("\n(ns per segment: rx = the server's receive path for one data segment, ACK out\n"
	       " included; hot = always the same 64 connections; round trip = write, delivery,\n"
	       " ACK, its delivery and the read. buckets/longest/probes: the server's ehash, which\n"
	       " holds the %u connections; B/conn: RSS growth per connection, both ends, fixed\n"
	       " tables included (memlink rings, bind hash); B/conn+: the same since the previous line)\n",
	       w.opened);
	if (stopped)
		printf("\nnote: setup stopped by the %llu s bound at %u connections (of %u asked)\n",
		       SETUP_MAX_NS / 1000000000ULL, w.opened, n);
	printf("\ntarget: a million connections in one stack: %s (%u established)\n",
	       w.opened >= 1000000 ? "met" : "not reached", w.opened);
	printf("target: flat lookup cost: ehash probes per hit %.2f -> %.2f, longest chain %u -> %u;\n"
	       "        rx hot %.1f -> %.1f ns (%+.0f%%); rx random %.1f -> %.1f ns (%+.0f%%: cache misses, "
	       "not work)\n",
	       pr_first, pr_last, chain_first, chain_last, hot_first, hot_last,
	       hot_first > 0 ? 100.0 * (hot_last - hot_first) / hot_first : 0.0, rx_first, rx_last,
	       rx_first > 0 ? 100.0 * (rx_last - rx_first) / rx_first : 0.0);
	t_start = now_ns();
	ust_close(w.s, w.lfd);
	ust_stack_free(w.c);
	ust_stack_free(w.s);
	printf("teardown (ust_stack_free of both stacks): %.2f s\n", (double)(now_ns() - t_start) / 1e9);
	free(w.cfd);
	free(w.sfd);
	free(idx);
	return 0;
}
