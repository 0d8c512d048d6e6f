/*
 * One established connection behind a pipe device, for the receiver's tests:
 * the peer (PEER_IP:40000) sends patterned data (byte = sequence offset mod
 * 251, so a reader can tell misordered or doubled bytes) and the test reads
 * exactly what the stack answered.
 */
#ifndef UST_TEST_TCP_RCV_FIXTURE_H
#define UST_TEST_TCP_RCV_FIXTURE_H

#include "tcp_fixture.h"

#define PEER_PORT 40000
#define PEER_ISN 1000u            /* data starts at PEER_ISN + 1 */

struct conn {
	struct fx f;
	int lfd, fd;
	uint32_t isn;                 /* ours */
	bool ts;
	uint32_t tsval;               /* the peer's next TSval */
};

static inline uint8_t pattern_byte(uint32_t off)
{
	return (uint8_t)(off % 251);
}

/* Sends [off, off + len) of the peer's stream (off from 0), flags | ACK. */
static inline void conn_data(struct conn *c, uint32_t off, uint32_t len, uint8_t flags)
{
	uint8_t buf[1600], opts[40];
	struct ust_tcp_opts o = { 0 };
	int olen = 0, hl;

	if (len > 1400)
		abort();
	if (c->ts) {
		o.present = UST_TCPOPT_F_TIMESTAMP;
		o.tsval = c->tsval++;
		olen = ust_tcp_write_opts(opts, sizeof(opts), &o);
	}
	struct ust_tcp_info th = {
		.sport = htons(PEER_PORT), .dport = htons(8080), .seq = PEER_ISN + 1 + off,
		.ack = c->isn + 1, .flags = (uint8_t)(flags | UST_TCP_ACK), .window = 1000,
		.opts = opts, .opt_len = (size_t)olen,
	};
	struct ust_ipv4_info ip = {
		.ttl = 64, .protocol = UST_IPPROTO_TCP,
		.tot_len = (uint16_t)(UST_IPV4_HLEN + UST_TCP_HLEN + olen + len),
		.saddr = inet_addr(PEER_IP), .daddr = inet_addr(LOCAL_IP),
	};

	ust_ipv4_build(buf, sizeof(buf), &ip);
	hl = ust_tcp_build(buf + UST_IPV4_HLEN, sizeof(buf) - UST_IPV4_HLEN, &th);
	for (uint32_t i = 0; i < len; i++)
		buf[UST_IPV4_HLEN + hl + i] = pattern_byte(off + i);
	ust_tcp_fill_csum(buf + UST_IPV4_HLEN, (size_t)hl + len, ip.saddr, ip.daddr);
	if (ust_pipe_inject(c->f.dev, buf, ip.tot_len))
		abort();
}

/*
 * Listener (SO_RCVBUF `rcvbuf` when > 0), handshake with MSS 1000, window
 * scale 7 and, as asked, SACK and timestamps; the accepted socket is
 * non-blocking. The SYN-ACK and nothing else has been sent.
 */
static inline void conn_open(struct conn *c, bool sack, bool ts, int rcvbuf)
{
	struct seg syn = { .sport = PEER_PORT, .dport = 8080, .seq = PEER_ISN, .flags = UST_TCP_SYN,
			   .win = 65535 };
	struct seg out;

	memset(c, 0, sizeof(*c));
	c->ts = ts;
	c->tsval = 100;
	fx_init(&c->f);
	{
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(8080) };

		c->lfd = ust_socket(c->f.st, AF_INET, SOCK_STREAM, 0);
		if (rcvbuf > 0 && ust_setsockopt(c->f.st, c->lfd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)))
			abort();
		if (ust_bind(c->f.st, c->lfd, (struct sockaddr *)&sa, sizeof(sa)) || ust_listen(c->f.st, c->lfd, 8))
			abort();
	}
	syn.opts.present = UST_TCPOPT_F_MSS | UST_TCPOPT_F_WSCALE | (sack ? UST_TCPOPT_F_SACK_PERM : 0) |
			   (ts ? UST_TCPOPT_F_TIMESTAMP : 0);
	syn.opts.mss = 1000;
	syn.opts.wscale = 7;
	syn.opts.tsval = c->tsval++;
	fx_send(&c->f, &syn);
	if (!fx_recv(&c->f, &out) || out.flags != (UST_TCP_SYN | UST_TCP_ACK))
		abort();
	c->isn = out.seq;
	conn_data(c, 0, 0, 0);        /* the final ACK */
	c->fd = ust_accept4(c->f.st, c->lfd, NULL, NULL, SOCK_NONBLOCK);
	if (c->fd < 0)
		abort();
}

/* The next segment we sent must be a pure ACK of peer offset `off`. */
static inline struct seg conn_expect_ack(struct conn *c, uint32_t off)
{
	struct seg out;

	if (!fx_recv(&c->f, &out))
		fail_msg("no ACK for %u", off);
	assert_int_equal(out.flags, UST_TCP_ACK);
	assert_int_equal(out.len, 0);
	assert_int_equal(out.ack - (PEER_ISN + 1), off);
	return out;
}

/* An ACK of `off` now or, if delayed, within max_ms (1 ms steps). */
static inline struct seg conn_expect_ack_within(struct conn *c, uint32_t off, unsigned max_ms)
{
	struct seg out;

	for (unsigned ms = 0; ms <= max_ms; ms++) {
		if (fx_recv(&c->f, &out)) {
			assert_int_equal(out.flags, UST_TCP_ACK);
			assert_int_equal(out.ack - (PEER_ISN + 1), off);
			return out;
		}
		ust_stack_advance(c->f.st, MS);
	}
	fail_msg("no ACK for %u within %u ms", off, max_ms);
	return out;
}

/* SACK block i of an ACK, in peer offsets. */
static inline void assert_sack(const struct seg *s, unsigned i, uint32_t start, uint32_t end)
{
	assert_true(s->opts.present & UST_TCPOPT_F_SACK);
	assert_true(i < s->opts.num_sacks);
	assert_int_equal(s->opts.sack[i].start - (PEER_ISN + 1), start);
	assert_int_equal(s->opts.sack[i].end - (PEER_ISN + 1), end);
}

/* Reads exactly n bytes now and checks they are the stream from `off`. */
static inline void conn_read_check(struct conn *c, uint32_t off, uint32_t n)
{
	uint8_t buf[65536];

	assert_true(n <= sizeof(buf));
	assert_int_equal(ust_recv(c->f.st, c->fd, buf, sizeof(buf), 0), n);
	for (uint32_t i = 0; i < n; i++)
		if (buf[i] != pattern_byte(off + i))
			fail_msg("byte %u is %u, not %u", off + i, buf[i], pattern_byte(off + i));
}

static inline void conn_close(struct conn *c)
{
	fx_free(&c->f);
}

#endif
