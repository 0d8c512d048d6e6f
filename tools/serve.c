/*
 * ustack serve: a TCP server on a real network. Opens a kernel TAP or TUN
 * device, gives ustack an address behind it, listens, and serves every
 * connection (echo, discard or a fixed HTTP answer) from one thread: the loop
 * is ust_stack_wait(st, 100) + ust_stack_poll(st), then non-blocking accept,
 * ust_poll(..., 0) over the connections, and reads/writes that cannot block.
 * SIGINT/SIGTERM (or --duration) stop it; SIGUSR1 prints the sockets (ss-style)
 * and the counters. The
 * signals arrive through a signalfd, so there is no global state. At exit the
 * counters are printed in nstat's format.
 */
#define _GNU_SOURCE 1
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include "cli.h"
#include "ustack/ustack.h"

#define CONN_BUF 4096
#define SHORT_USAGE "usage: ustack serve --tap NAME|--tun NAME --addr A/N [OPTIONS]; see --help"

enum serve_mode { MODE_ECHO, MODE_DISCARD, MODE_HTTP };

static const char http_response[] =
	"HTTP/1.1 200 OK\r\n"
	"Content-Type: text/plain\r\n"
	"Content-Length: 18\r\n"
	"Connection: close\r\n"
	"\r\n"
	"hello from ustack\n";

struct conn {
	int fd;
	int eof;                 /* the peer closed its side */
	int replied;             /* http: the response is queued in buf */
	size_t off, len;         /* echo/http: bytes of buf still to send are [off, len) */
	char buf[CONN_BUF];
};

struct serve {
	struct ust_stack *st;
	struct ust_netdev *dev;
	enum serve_mode mode;
	int lfd;
	struct conn **conns;
	size_t nconns, cap;
	struct pollfd *pfds;
};

void ust_cmd_serve_usage(void)
{
	printf("usage: ustack serve --tap NAME|--tun NAME --addr A/N [OPTIONS]\n"
	       "\n"
	       "Opens the kernel TAP (Ethernet) or TUN (IPv4) interface NAME, creating it if\n"
	       "needed, puts ustack behind it with address A/N, listens on A:PORT and serves\n"
	       "every connection until SIGINT/SIGTERM or --duration. Configure the kernel's\n"
	       "side with ip(8), e.g. `ip link set ustap0 up; ip addr add 192.0.2.1/24 dev\n"
	       "ustap0`. Needs CAP_NET_ADMIN and /dev/net/tun; scripts/netns-demo.sh runs it\n"
	       "in a network namespace.\n"
	       "\n"
	       "  --tap NAME         the TAP interface (Ethernet frames)\n"
	       "  --tun NAME         the TUN interface (bare IPv4 packets)\n"
	       "  --addr A/N         ustack's address and prefix length, e.g. 192.0.2.2/24\n"
	       "  --port P           the port to listen on (default 8080)\n"
	       "  --backlog N        listen() backlog (default 128)\n"
	       "  --mode MODE        echo (send back what arrives, the default), discard\n"
	       "                     (read and drop), http (answer any request with\n"
	       "                     \"HTTP/1.1 200 OK\" and the body \"hello from ustack\", close)\n"
	       "  --trace            print the stack's trace events to stderr\n"
	       "  --pcap FILE        record the device's frames to FILE\n"
	       "  --duration SECONDS stop by itself after SECONDS\n"
	       "  -h, --help         this text\n"
	       "\n"
	       "The counters (nstat format) are printed on stdout at exit; SIGUSR1 prints the\n"
	       "sockets as ss -tan does (with each listener's SYN queue) and the counters.\n"
	       "Exit status: 0 stopped by a signal or --duration, 1 the stack failed,\n"
	       "2 usage, 3 could not set up (device, address, socket, capture file).\n");
}

/* One line on stderr: what is wrong, then the short usage. */
__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ustack serve: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (" SHORT_USAGE ")\n");
	return UST_EXIT_USAGE;
}

static void conn_close(struct serve *s, size_t i)
{
	ust_close(s->st, s->conns[i]->fd);
	free(s->conns[i]);
	s->conns[i] = s->conns[--s->nconns];
}

/* Takes every connection waiting in the accept queue. -1 on out of memory. */
static int accept_all(struct serve *s)
{
	for (;;) {
		int fd = ust_accept4(s->st, s->lfd, NULL, NULL, SOCK_NONBLOCK);
		struct conn *c;

		if (fd < 0)
			return 0;   /* EAGAIN, or an error the next round repeats */
		if (s->nconns == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 16;
			struct conn **conns = realloc(s->conns, cap * sizeof(*conns));
			struct pollfd *pfds = realloc(s->pfds, cap * sizeof(*pfds));

			if (conns)
				s->conns = conns;
			if (pfds)
				s->pfds = pfds;
			if (!conns || !pfds) {
				ust_close(s->st, fd);
				return -1;
			}
			s->cap = cap;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			ust_close(s->st, fd);
			return -1;
		}
		c->fd = fd;
		s->conns[s->nconns++] = c;
	}
}

/* Sends what is pending; -1 on a write error. */
static int conn_flush(struct serve *s, struct conn *c)
{
	while (c->off < c->len) {
		ssize_t n = ust_write(s->st, c->fd, c->buf + c->off, c->len - c->off);

		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		c->off += (size_t)n;
	}
	c->off = c->len = 0;
	return 0;
}

/* Reads what arrived, by mode; -1 on a read error. */
static int conn_read(struct serve *s, struct conn *c)
{
	char drop[CONN_BUF];

	for (;;) {
		ssize_t n;

		if (s->mode == MODE_DISCARD || (s->mode == MODE_HTTP && c->replied))
			n = ust_read(s->st, c->fd, drop, sizeof(drop));
		else if (c->len < sizeof(c->buf))
			n = ust_read(s->st, c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		else
			return 0;   /* echo: buffer full, send first */
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		if (n == 0) {
			c->eof = 1;
			return 0;
		}
		if (s->mode == MODE_DISCARD || (s->mode == MODE_HTTP && c->replied))
			continue;
		c->len += (size_t)n;
		if (s->mode == MODE_HTTP &&
		    (memmem(c->buf, c->len, "\r\n\r\n", 4) || memmem(c->buf, c->len, "\n\n", 2) ||
		     c->len == sizeof(c->buf))) {
			memcpy(c->buf, http_response, sizeof(http_response) - 1);
			c->off = 0;
			c->len = sizeof(http_response) - 1;
			c->replied = 1;
		}
	}
}

/* One pass over the connections: each is served as far as it can be without
 * blocking, and closed when done. */
static void serve_conns(struct serve *s)
{
	size_t n = s->nconns;

	if (!n)
		return;
	for (size_t i = 0; i < n; i++) {
		struct conn *c = s->conns[i];

		s->pfds[i].fd = c->fd;
		s->pfds[i].events = c->off < c->len ? POLLOUT : POLLIN;
		s->pfds[i].revents = 0;
	}
	if (ust_poll(s->st, s->pfds, n, 0) <= 0)
		return;
	/* Backwards, so that conn_close's swap with the last entry keeps the
	 * pollfd of every entry still to visit. */
	for (size_t i = n; i-- > 0;) {
		struct conn *c = s->conns[i];
		short re = s->pfds[i].revents;
		int err = 0;

		if (!re)
			continue;
		if (re & (POLLIN | POLLHUP | POLLERR))
			err = conn_read(s, c);
		if (!err)
			err = conn_flush(s, c);
		if (err || (re & POLLERR) || (c->eof && c->off == c->len) ||
		    (s->mode == MODE_HTTP && c->replied && c->off == c->len))
			conn_close(s, i);
	}
}

/* 1 when a stop signal arrived; prints the counters on SIGUSR1. */
static int check_signals(struct serve *s, int sfd)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo != SIGUSR1)
			return 1;
		ust_socket_list_print(s->st, stdout);
		ust_stats_dump(s->st, stdout, 0);
		fflush(stdout);
	}
	return 0;
}

static int run(struct serve *s, double duration)
{
	int sfd = ust_tool_signals_fd(1);
	double end = duration > 0 ? ust_tool_now_s() + duration : 0;
	int status = UST_EXIT_OK;

	if (sfd < 0) {
		fprintf(stderr, "ustack serve: cannot set up signals: %s\n", strerror(errno));
		return UST_EXIT_SETUP;
	}
	while (!check_signals(s, sfd) && !(end && ust_tool_now_s() >= end)) {
		if (ust_stack_wait(s->st, 100) < 0 && errno != EINTR) {
			fprintf(stderr, "ustack serve: waiting for the device: %s\n", strerror(errno));
			status = UST_EXIT_FAIL;
			break;
		}
		ust_stack_poll(s->st);
		if (accept_all(s) < 0) {
			fprintf(stderr, "ustack serve: out of memory\n");
			status = UST_EXIT_FAIL;
			break;
		}
		serve_conns(s);
	}
	close(sfd);
	return status;
}

static int parse_uint(const char *text, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || end == text || *end || v < 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

int ust_cmd_serve(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "tap", required_argument, NULL, 'T' },
		{ "tun", required_argument, NULL, 'U' },
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "backlog", required_argument, NULL, 'b' },
		{ "mode", required_argument, NULL, 'm' },
		{ "trace", no_argument, NULL, 't' },
		{ "pcap", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct serve s = { .mode = MODE_ECHO, .lfd = -1 };
	const char *ifname = NULL, *addr_text = NULL, *pcap = NULL;
	int tun = 0, trace = 0, prefixlen, c, status, one = 1;
	long port = 8080, backlog = 128;
	double duration = 0;
	struct sockaddr_in sa;
	in_addr_t addr;
	char *end;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'T':
		case 'U':
			if (ifname)
				return usage_error("give one --tap or --tun");
			if (!*optarg)
				return usage_error("empty interface name");
			ifname = optarg;
			tun = c == 'U';
			break;
		case 'a': addr_text = optarg; break;
		case 'p':
			if (parse_uint(optarg, 65535, &port) || port == 0)
				return usage_error("bad --port '%s'", optarg);
			break;
		case 'b':
			if (parse_uint(optarg, 65535, &backlog))
				return usage_error("bad --backlog '%s'", optarg);
			break;
		case 'm':
			if (!strcmp(optarg, "echo"))
				s.mode = MODE_ECHO;
			else if (!strcmp(optarg, "discard"))
				s.mode = MODE_DISCARD;
			else if (!strcmp(optarg, "http"))
				s.mode = MODE_HTTP;
			else
				return usage_error("bad --mode '%s' (echo, discard or http)", optarg);
			break;
		case 't': trace = 1; break;
		case 'c': pcap = optarg; break;
		case 'd':
			duration = strtod(optarg, &end);
			if (end == optarg || *end || !(duration > 0))
				return usage_error("bad --duration '%s'", optarg);
			break;
		case 'h': ust_cmd_serve_usage(); return UST_EXIT_OK;
		default:
			return usage_error("bad option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!ifname)
		return usage_error("--tap NAME or --tun NAME is required");
	if (!addr_text)
		return usage_error("--addr A/N is required");
	if (ust_addr_parse(addr_text, &addr, &prefixlen) < 0)
		return usage_error("bad --addr '%s' (want e.g. 192.0.2.2/24)", addr_text);

	s.st = ust_stack_new(NULL);
	if (!s.st) {
		fprintf(stderr, "ustack serve: cannot create a stack: %s\n", strerror(errno));
		return UST_EXIT_SETUP;
	}
	status = UST_EXIT_SETUP;
	if (ust_tool_open_device("serve", s.st, &(struct ust_tool_device){
		.ifname = ifname, .tun = tun, .addr_text = addr_text, .addr = addr,
		.prefixlen = prefixlen, .pcap = pcap, .trace = trace }, &s.dev) < 0)
		goto out;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = addr;
	s.lfd = ust_socket(s.st, AF_INET, SOCK_STREAM, 0);
	if (s.lfd < 0 ||
	    ust_setsockopt(s.st, s.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    ust_fcntl(s.st, s.lfd, F_SETFL, O_NONBLOCK) < 0 ||
	    ust_bind(s.st, s.lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    ust_listen(s.st, s.lfd, (int)backlog) < 0) {
		fprintf(stderr, "ustack serve: cannot listen on %s:%ld: %s\n",
			inet_ntoa(sa.sin_addr), port, strerror(errno));
		goto out;
	}
	printf("ustack serve: %s:%ld on %s %s, mode %s\n", inet_ntoa(sa.sin_addr), port,
	       tun ? "tun" : "tap", ust_tap_ifname(s.dev),
	       s.mode == MODE_ECHO ? "echo" : s.mode == MODE_DISCARD ? "discard" : "http");
	fflush(stdout);

	status = run(&s, duration);
	ust_stats_dump(s.st, stdout, 0);
	fflush(stdout);
out:
	while (s.nconns)
		conn_close(&s, s.nconns - 1);
	if (s.lfd >= 0)
		ust_close(s.st, s.lfd);
	free(s.conns);
	free(s.pfds);
	ust_stack_free(s.st);
	return status;
}
