/*
 * One accepted connection behind a pipe device for the sender's tests
 * (test_tcp_send*.c): the test plays the peer, injecting ACKs and reading
 * exactly what the stack sent. Peer: MSS 1000, window scale 7, SACK only
 * where a test asks for it, no timestamps; the handshake takes no time, so
 * the first RTO is 201 ms (SRTT 1 us + TCP_RTO_MIN, rounded up to the ms as
 * Linux's jiffies).
 */
#ifndef UST_TEST_TCP_SEND_FIXTURE_H
#define UST_TEST_TCP_SEND_FIXTURE_H

#include <poll.h>
#include "tcp/tcp.h"
#include "socket/socket.h"
#include "tcp_fixture.h"

#define PORT 40000
#define MSS 1000
#define RTO0 201
#define WIN 65535                    /* x 128: plenty */
#define TCP_CORK 3                   /* Linux ABI; <netinet/tcp.h> clashes with the TCP states */

struct conn {
	struct fx f;
	int fd;
	uint32_t isn;                    /* our ISN: data starts at isn + 1 */
	struct ust_sock *sk;
};

/* win: the window of the handshake's ACK, which sets SND.WND (a later pure
 * ACK cannot shrink it: tcp_may_update_window). */
static inline void conn_open(struct conn *c, bool sack, uint16_t win)
{
	struct seg syn = { .sport = PORT, .dport = 8080, .seq = 1000, .flags = UST_TCP_SYN, .win = 65535,
			   .opts = { .present = UST_TCPOPT_F_MSS | UST_TCPOPT_F_WSCALE |
						(sack ? UST_TCPOPT_F_SACK_PERM : 0),
				     .mss = MSS, .wscale = 7 } };
	struct seg out;
	int lfd;

	fx_init(&c->f);
	lfd = fx_listen(&c->f, 4);
	fx_send(&c->f, &syn);
	assert_true(fx_recv(&c->f, &out));
	c->isn = out.seq;
	struct seg ack = { .sport = PORT, .dport = 8080, .seq = 1001, .ack = c->isn + 1, .flags = UST_TCP_ACK,
			   .win = win };
	fx_send(&c->f, &ack);
	c->fd = ust_accept(c->f.st, lfd, NULL, NULL);
	assert_true(c->fd >= 0);
	assert_int_equal(ust_fcntl(c->f.st, c->fd, F_SETFL, O_NONBLOCK), 0);
	c->sk = ust_fd_get(ust_stack_sockets(c->f.st), c->fd);
	assert_non_null(c->sk);
}

/* The peer acknowledges `rel` bytes of our data (relative sequence). */
static inline void peer_ack(struct conn *c, uint32_t rel, uint16_t win)
{
	struct seg a = { .sport = PORT, .dport = 8080, .seq = 1001, .ack = c->isn + 1 + rel, .flags = UST_TCP_ACK,
			 .win = win };

	fx_send(&c->f, &a);
}

static inline void peer_sack(struct conn *c, uint32_t rel, uint32_t s0, uint32_t e0, uint32_t s1, uint32_t e1)
{
	struct seg a = { .sport = PORT, .dport = 8080, .seq = 1001, .ack = c->isn + 1 + rel, .flags = UST_TCP_ACK,
			 .win = WIN };

	a.opts.present = UST_TCPOPT_F_SACK;
	a.opts.num_sacks = s1 == e1 ? 1 : 2;
	a.opts.sack[0].start = c->isn + 1 + s0;
	a.opts.sack[0].end = c->isn + 1 + e0;
	a.opts.sack[1].start = c->isn + 1 + s1;
	a.opts.sack[1].end = c->isn + 1 + e1;
	fx_send(&c->f, &a);
}

/* Reads one data segment and checks its relative sequence and length. */
static inline struct seg expect_data(struct conn *c, uint32_t rel, uint32_t len)
{
	struct seg out;

	assert_true(fx_recv(&c->f, &out));
	assert_int_equal(out.seq - c->isn - 1, rel);
	assert_int_equal(out.len, len);
	return out;
}

static inline unsigned drain(struct conn *c)
{
	struct seg out;
	unsigned n = 0;

	while (fx_recv(&c->f, &out))
		n++;
	return n;
}

static inline void advance_ms(struct conn *c, uint64_t ms)
{
	ust_stack_advance(c->f.st, ms * MS);
}

static inline short poll_mask(struct conn *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN | POLLOUT };

	assert_true(ust_poll(c->f.st, &p, 1, 0) >= 0);
	return p.revents;
}

#endif
