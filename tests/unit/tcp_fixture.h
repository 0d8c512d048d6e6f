/*
 * A stack under test behind a pipe device (raw IPv4), with helpers to inject
 * TCP segments from any number of peers and to take out exactly what the
 * stack sent. For rules that involve several connections at once, which
 * packet scripts (one connection under test each) cannot express.
 */
#ifndef UST_TEST_TCP_FIXTURE_H
#define UST_TEST_TCP_FIXTURE_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "stack.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

#define LOCAL_IP "192.168.0.1"
#define PEER_IP "192.0.2.1"
#define MS 1000000ULL

struct fx {
	struct ust_stack *st;
	struct ust_netdev *dev;
};

struct seg {
	uint16_t sport, dport;      /* host order */
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	struct ust_tcp_opts opts;   /* present == 0: none */
	uint32_t len;               /* payload bytes (zeros) */
};

static inline void fx_init(struct fx *f)
{
	struct ust_stack_config cfg;
	struct ust_route_config rc;

	ust_stack_config_init(&cfg);
	cfg.clock = UST_CLOCK_VIRTUAL;
	cfg.seed = 7;
	f->st = ust_stack_new(&cfg);
	if (!f->st || ust_pipe_create(f->st, UST_FRAMING_IP, 1500, &f->dev) ||
	    ust_addr_add(f->st, f->dev, inet_addr(LOCAL_IP), 24))
		abort();
	ust_route_config_init(&rc);
	rc.dst = 0;
	rc.prefixlen = 0;
	rc.ifindex = ust_netdev_ifindex(f->dev);
	if (ust_route_add(f->st, &rc))
		abort();
}

static inline void fx_free(struct fx *f)
{
	ust_stack_free(f->st);
}

/* Injects one segment from PEER_IP:sport to LOCAL_IP:dport. */
static inline void fx_send(struct fx *f, const struct seg *s)
{
	uint8_t buf[1600], opts[40];
	int olen = s->opts.present ? ust_tcp_write_opts(opts, sizeof(opts), &s->opts) : 0;
	struct ust_tcp_info th = {
		.sport = htons(s->sport), .dport = htons(s->dport), .seq = s->seq, .ack = s->ack,
		.flags = s->flags, .window = s->win, .opts = opts, .opt_len = (size_t)olen,
	};
	struct ust_ipv4_info ip = {
		.ttl = 64, .protocol = UST_IPPROTO_TCP,
		.tot_len = (uint16_t)(UST_IPV4_HLEN + UST_TCP_HLEN + olen + s->len),
		.saddr = inet_addr(PEER_IP), .daddr = inet_addr(LOCAL_IP),
	};
	int hl;

	ust_ipv4_build(buf, sizeof(buf), &ip);
	hl = ust_tcp_build(buf + UST_IPV4_HLEN, sizeof(buf) - UST_IPV4_HLEN, &th);
	memset(buf + UST_IPV4_HLEN + hl, 0, s->len);
	ust_tcp_fill_csum(buf + UST_IPV4_HLEN, (size_t)hl + s->len, ip.saddr, ip.daddr);
	if (ust_pipe_inject(f->dev, buf, ip.tot_len))
		abort();
}

/* Takes the next segment the stack sent; false when none is waiting. */
static inline bool fx_recv(struct fx *f, struct seg *out)
{
	uint8_t buf[2048];
	struct ust_ipv4_info ip;
	struct ust_tcp_info th;
	ssize_t n = ust_pipe_read(f->dev, buf, sizeof(buf));

	if (n <= 0)
		return false;
	if (ust_ipv4_parse(buf, (size_t)n, &ip) || ip.protocol != UST_IPPROTO_TCP ||
	    ust_tcp_parse(ip.payload, ip.payload_len, &th) ||
	    !ust_tcp_csum_ok(ip.payload, ip.payload_len, ip.saddr, ip.daddr))
		abort();
	memset(out, 0, sizeof(*out));
	out->sport = ntohs(th.sport);
	out->dport = ntohs(th.dport);
	out->seq = th.seq;
	out->ack = th.ack;
	out->flags = th.flags;
	out->win = th.window;
	out->len = (uint32_t)th.payload_len;
	ust_tcp_parse_opts(th.opts, th.opt_len, &out->opts);
	return true;
}

static inline uint64_t fx_stat(struct fx *f, const char *name)
{
	uint64_t v = 0;

	if (ust_stats_get(f->st, name, &v))
		abort();
	return v;
}

static inline int fx_listen(struct fx *f, int backlog)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(8080) };
	int fd = ust_socket(f->st, AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || ust_bind(f->st, fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    ust_listen(f->st, fd, backlog) || ust_fcntl(f->st, fd, F_SETFL, O_NONBLOCK))
		abort();
	return fd;
}

#endif
