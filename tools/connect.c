/*
 * ustack connect: a TCP client on a real network. Opens a kernel TAP or TUN
 * device, gives ustack an address behind it and opens --count connections to
 * HOST:PORT with non-blocking connects (at most --rate new ones a second), all
 * from one thread: the loop is ust_stack_wait + ust_stack_poll on the real
 * clock, then ust_poll(..., 0) over the connections still in SYN_SENT. Each
 * connection gets one line (established, with its handshake latency, or
 * failed, with its errno), then a summary; then, with --send, each sends TEXT
 * and reads a reply for up to 1 s; then all are closed and the counters are
 * printed in nstat's format. The whole run is bounded by --timeout. SIGINT and
 * SIGTERM stop it early (through a signalfd, so there is no global state).
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

#define SHORT_USAGE "usage: ustack connect --tap NAME|--tun NAME --addr A/N [OPTIONS] HOST PORT; see --help"
#define MAX_COUNT 1000000
#define REPLY_WAIT_S 1.0
#define CLOSE_GRACE_S 0.2
#define REPLY_SHOW 64

enum conn_state {
	C_IDLE,          /* not started yet (--rate) */
	C_PENDING,       /* connect() in progress */
	C_ESTABLISHED,
	C_FAILED,        /* err says why */
};

struct conn {
	int fd;
	enum conn_state state;
	int err;
	int eof;                 /* reply phase: the peer closed or an error */
	double started, latency; /* seconds */
	size_t sent, received;
	char reply[REPLY_SHOW];
};

struct client {
	struct ust_stack *st;
	struct ust_netdev *dev;
	struct sockaddr_in dst;
	struct conn *conns;
	long count;
	double rate;             /* new connections a second; 0: all at once */
	double deadline;
	int sfd;                 /* signalfd; -1 if none */
	int stopped;             /* a stop signal arrived */
	struct pollfd *pfds;
	size_t *idx;             /* pfds[i] belongs to conns[idx[i]] */
};

void ust_cmd_connect_usage(void)
{
	printf("usage: ustack connect --tap NAME|--tun NAME --addr A/N [OPTIONS] HOST PORT\n"
	       "\n"
	       "Opens the kernel TAP (Ethernet) or TUN (IPv4) interface NAME, puts ustack\n"
	       "behind it with address A/N and opens --count TCP connections to HOST:PORT\n"
	       "(HOST is an IPv4 address; there is no DNS). Connections start at once, so\n"
	       "create and configure the kernel's side first, e.g. `ip tuntap add ustap0\n"
	       "mode tap; ip link set ustap0 up; ip addr add 192.0.2.1/24 dev ustap0`.\n"
	       "Needs CAP_NET_ADMIN and /dev/net/tun.\n"
	       "\n"
	       "  --tap NAME         the TAP interface (Ethernet frames)\n"
	       "  --tun NAME         the TUN interface (bare IPv4 packets)\n"
	       "  --addr A/N         ustack's address and prefix length, e.g. 192.0.2.2/24\n"
	       "  --count N          connections to open (default 1)\n"
	       "  --rate PER_SEC     start at most PER_SEC new connections a second\n"
	       "                     (default: all at once)\n"
	       "  --timeout SECONDS  stop the whole run after SECONDS (default 10); a\n"
	       "                     connection still in SYN_SENT then counts as timed out\n"
	       "  --send TEXT        on each established connection send TEXT, then read\n"
	       "                     the reply until the peer closes, as many bytes as were\n"
	       "                     sent arrived, or 1 s passed\n"
	       "  --trace            print the stack's trace events to stderr\n"
	       "  --pcap FILE        record the device's frames to FILE\n"
	       "  -h, --help         this text\n"
	       "\n"
	       "Prints one line per connection (`conn 1: established in 1.234 ms`, `conn 2:\n"
	       "failed: Connection refused (ECONNREFUSED)`), a summary with the handshake\n"
	       "latency, then the counters (nstat format).\n"
	       "Exit status: 0 every connection was established, 1 some were not (or a\n"
	       "send failed), 2 usage, 3 could not set up (device, address, capture file).\n");
}

/* One line on stderr: what is wrong, then the short usage. */
__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ustack connect: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (" SHORT_USAGE ")\n");
	return UST_EXIT_USAGE;
}

static const char *errname(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "?";
}

/* 1 when the run must stop: a stop signal arrived or the deadline passed. */
static int must_stop(struct client *c)
{
	struct signalfd_siginfo si;

	while (c->sfd >= 0 && read(c->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		c->stopped = 1;
	return c->stopped || ust_tool_now_s() >= c->deadline;
}

/* Sleeps until a device is readable, a timer is due, or at most until `until`
 * (and 100 ms), then runs the stack. -1 when waiting failed. */
static int drive(struct client *c, double until)
{
	double left = until - ust_tool_now_s();
	int ms = left <= 0 ? 0 : left >= 0.1 ? 100 : (int)(left * 1000) + 1;

	if (ust_stack_wait(c->st, ms) < 0 && errno != EINTR) {
		fprintf(stderr, "ustack connect: waiting for the device: %s\n", strerror(errno));
		return -1;
	}
	ust_stack_poll(c->st);
	return 0;
}

static void conn_fail(struct conn *k, long i, int err)
{
	k->state = C_FAILED;
	k->err = err;
	printf("conn %ld: failed: %s (%s)\n", i + 1, strerror(err), errname(err));
	fflush(stdout);
}

/* Starts connection i: socket, O_NONBLOCK, connect. */
static void conn_start(struct client *c, long i)
{
	struct conn *k = &c->conns[i];

	k->started = ust_tool_now_s();
	k->fd = ust_socket(c->st, AF_INET, SOCK_STREAM, 0);
	if (k->fd < 0) {
		conn_fail(k, i, errno);
		return;
	}
	if (ust_fcntl(c->st, k->fd, F_SETFL, O_NONBLOCK) < 0) {
		conn_fail(k, i, errno);
		return;
	}
	if (ust_connect(c->st, k->fd, (struct sockaddr *)&c->dst, sizeof(c->dst)) == 0) {
		k->state = C_ESTABLISHED;   /* not expected on a real device, but fine */
		k->latency = ust_tool_now_s() - k->started;
		printf("conn %ld: established in %.3f ms\n", i + 1, k->latency * 1e3);
		fflush(stdout);
		return;
	}
	if (errno != EINPROGRESS) {
		conn_fail(k, i, errno);
		return;
	}
	k->state = C_PENDING;
}

/* Looks at every connection in SYN_SENT without blocking; returns how many
 * are still pending. */
static long check_pending(struct client *c)
{
	nfds_t n = 0;
	long pending;

	for (long i = 0; i < c->count; i++) {
		if (c->conns[i].state != C_PENDING)
			continue;
		c->pfds[n].fd = c->conns[i].fd;
		c->pfds[n].events = POLLOUT;
		c->pfds[n].revents = 0;
		c->idx[n++] = (size_t)i;
	}
	if (!n)
		return 0;
	pending = (long)n;
	if (ust_poll(c->st, c->pfds, n, 0) <= 0)
		return pending;
	for (nfds_t j = 0; j < n; j++) {
		long i = (long)c->idx[j];
		struct conn *k = &c->conns[i];
		int err = 0;
		socklen_t len = sizeof(err);

		if (!c->pfds[j].revents)
			continue;
		pending--;
		if (ust_getsockopt(c->st, k->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			conn_fail(k, i, err);
			continue;
		}
		k->state = C_ESTABLISHED;
		k->latency = ust_tool_now_s() - k->started;
		printf("conn %ld: established in %.3f ms\n", i + 1, k->latency * 1e3);
		fflush(stdout);
	}
	return pending;
}

/* The handshake phase: starts the connections (paced by --rate) and runs the
 * stack until each is established or failed, or the run must stop. */
static int handshakes(struct client *c)
{
	double t0 = ust_tool_now_s();
	long started = 0;

	for (;;) {
		double next = c->deadline;

		while (started < c->count &&
		       (c->rate <= 0 || ust_tool_now_s() >= t0 + (double)started / c->rate))
			conn_start(c, started++);
		if (started < c->count)
			next = t0 + (double)started / c->rate;
		if (!check_pending(c) && started == c->count)
			return 0;
		if (must_stop(c))
			return 0;
		if (drive(c, next < c->deadline ? next : c->deadline) < 0)
			return -1;
		/* What the poll brought in is seen by check_pending first. */
	}
}

/* The reply phase: sends text on every established connection, then reads
 * until each has its reply (EOF, as many bytes as sent, or an error) or 1 s
 * passed. Returns 1 when a send failed. */
static int exchange(struct client *c, const char *text)
{
	size_t len = strlen(text);
	double until = ust_tool_now_s() + REPLY_WAIT_S;
	int failed = 0;

	if (until > c->deadline)
		until = c->deadline;
	for (long i = 0; i < c->count; i++) {
		struct conn *k = &c->conns[i];
		ssize_t n;

		if (k->state != C_ESTABLISHED)
			continue;
		n = ust_write(c->st, k->fd, text, len);
		if (n < 0) {
			printf("conn %ld: send failed: %s (%s)\n", i + 1, strerror(errno), errname(errno));
			k->eof = 1;
			failed = 1;
			continue;
		}
		k->sent = (size_t)n;   /* a short text fits the send buffer */
	}
	for (;;) {
		nfds_t n = 0;

		for (long i = 0; i < c->count; i++) {
			struct conn *k = &c->conns[i];

			if (k->state != C_ESTABLISHED || k->eof || k->received >= k->sent)
				continue;
			c->pfds[n].fd = k->fd;
			c->pfds[n].events = POLLIN;
			c->pfds[n].revents = 0;
			c->idx[n++] = (size_t)i;
		}
		if (!n || must_stop(c) || ust_tool_now_s() >= until)
			break;
		if (ust_poll(c->st, c->pfds, n, 0) > 0) {
			for (nfds_t j = 0; j < n; j++) {
				struct conn *k = &c->conns[c->idx[j]];
				char buf[4096];

				if (!c->pfds[j].revents)
					continue;
				for (;;) {
					ssize_t r = ust_read(c->st, k->fd, buf, sizeof(buf));

					if (r <= 0) {
						if (r == 0 || errno != EAGAIN)
							k->eof = 1;
						break;
					}
					for (ssize_t b = 0; b < r; b++) {
						if (k->received + (size_t)b < sizeof(k->reply) - 1) {
							unsigned char ch = (unsigned char)buf[b];

							k->reply[k->received + (size_t)b] =
								ch >= 0x20 && ch < 0x7f ? (char)ch : '.';
						}
					}
					k->received += (size_t)r;
				}
			}
			continue;
		}
		if (drive(c, until) < 0)
			break;
	}
	for (long i = 0; i < c->count; i++) {
		struct conn *k = &c->conns[i];

		if (k->state != C_ESTABLISHED || !k->sent)
			continue;
		printf("conn %ld: sent %zu bytes, received %zu bytes%s%s%s\n", i + 1, k->sent,
		       k->received, k->received ? ": \"" : "", k->reply,
		       k->received ? (k->received >= sizeof(k->reply) ? "...\"" : "\"") : "");
	}
	fflush(stdout);
	return failed;
}

/* Prints what is left (timed out, not started) and the summary; returns the
 * exit status. */
static int summary(struct client *c)
{
	long est = 0, refused = 0, timedout = 0, other = 0;
	double min = 0, max = 0, sum = 0;

	for (long i = 0; i < c->count; i++) {
		struct conn *k = &c->conns[i];

		switch (k->state) {
		case C_ESTABLISHED:
			if (!est || k->latency < min)
				min = k->latency;
			if (!est || k->latency > max)
				max = k->latency;
			sum += k->latency;
			est++;
			break;
		case C_FAILED:
			if (k->err == ECONNREFUSED)
				refused++;
			else if (k->err == ETIMEDOUT)
				timedout++;
			else
				other++;
			break;
		case C_PENDING:
		case C_IDLE:
			if (c->stopped) {
				printf("conn %ld: interrupted\n", i + 1);
				other++;
			} else {
				printf("conn %ld: timed out (%s)\n", i + 1, k->state == C_PENDING ?
				       "no answer before --timeout" : "not started before --timeout");
				timedout++;
			}
			break;
		}
	}
	printf("%ld established, %ld refused, %ld timed out", est, refused, timedout);
	if (other)
		printf(", %ld failed otherwise", other);
	if (est)
		printf("; handshake latency min/avg/max %.2f/%.2f/%.2f ms\n", min * 1e3,
		       sum / (double)est * 1e3, max * 1e3);
	else
		printf("; handshake latency -\n");
	fflush(stdout);
	return est == c->count ? UST_EXIT_OK : UST_EXIT_FAIL;
}

static int parse_long(const char *text, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || end == text || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_seconds(const char *text, double *out)
{
	char *end;
	double v = strtod(text, &end);

	if (end == text || *end || !(v > 0) || v > 1e6)
		return -1;
	*out = v;
	return 0;
}

int ust_cmd_connect(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "tap", required_argument, NULL, 'T' },
		{ "tun", required_argument, NULL, 'U' },
		{ "addr", required_argument, NULL, 'a' },
		{ "count", required_argument, NULL, 'n' },
		{ "rate", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 'w' },
		{ "send", required_argument, NULL, 's' },
		{ "trace", no_argument, NULL, 't' },
		{ "pcap", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct client c = { .count = 1, .sfd = -1 };
	const char *ifname = NULL, *addr_text = NULL, *pcap = NULL, *text = NULL;
	int tun = 0, trace = 0, prefixlen, opt, status;
	double timeout = 10;
	long port;
	in_addr_t addr;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'T':
		case 'U':
			if (ifname)
				return usage_error("give one --tap or --tun");
			if (!*optarg)
				return usage_error("empty interface name");
			ifname = optarg;
			tun = opt == 'U';
			break;
		case 'a': addr_text = optarg; break;
		case 'n':
			if (parse_long(optarg, 1, MAX_COUNT, &c.count))
				return usage_error("bad --count '%s' (1 to %d)", optarg, MAX_COUNT);
			break;
		case 'r':
			if (parse_seconds(optarg, &c.rate))
				return usage_error("bad --rate '%s'", optarg);
			break;
		case 'w':
			if (parse_seconds(optarg, &timeout))
				return usage_error("bad --timeout '%s'", optarg);
			break;
		case 's':
			if (!*optarg)
				return usage_error("empty --send text");
			text = optarg;
			break;
		case 't': trace = 1; break;
		case 'c': pcap = optarg; break;
		case 'h': ust_cmd_connect_usage(); return UST_EXIT_OK;
		default:
			return usage_error("bad option '%s'", argv[optind - 1]);
		}
	}
	if (!ifname)
		return usage_error("--tap NAME or --tun NAME is required");
	if (!addr_text)
		return usage_error("--addr A/N is required");
	if (ust_addr_parse(addr_text, &addr, &prefixlen) < 0)
		return usage_error("bad --addr '%s' (want e.g. 192.0.2.2/24)", addr_text);
	if (argc - optind != 2)
		return usage_error(argc - optind < 2 ? "HOST and PORT are required" :
				   "unexpected argument '%s'", argv[optind + 2]);
	memset(&c.dst, 0, sizeof(c.dst));
	c.dst.sin_family = AF_INET;
	if (inet_pton(AF_INET, argv[optind], &c.dst.sin_addr) != 1)
		return usage_error("bad HOST '%s' (an IPv4 address; no DNS)", argv[optind]);
	if (parse_long(argv[optind + 1], 1, 65535, &port))
		return usage_error("bad PORT '%s'", argv[optind + 1]);
	c.dst.sin_port = htons((uint16_t)port);

	c.conns = calloc((size_t)c.count, sizeof(*c.conns));
	c.pfds = calloc((size_t)c.count, sizeof(*c.pfds));
	c.idx = calloc((size_t)c.count, sizeof(*c.idx));
	c.st = c.conns && c.pfds && c.idx ? ust_stack_new(NULL) : NULL;
	if (!c.st) {
		fprintf(stderr, "ustack connect: cannot create a stack: %s\n", strerror(errno));
		free(c.conns);
		free(c.pfds);
		free(c.idx);
		return UST_EXIT_SETUP;
	}
	for (long i = 0; i < c.count; i++)
		c.conns[i].fd = -1;
	status = UST_EXIT_SETUP;
	if (ust_tool_open_device("connect", c.st, &(struct ust_tool_device){
		.ifname = ifname, .tun = tun, .addr_text = addr_text, .addr = addr,
		.prefixlen = prefixlen, .pcap = pcap, .trace = trace }, &c.dev) < 0)
		goto out;
	c.sfd = ust_tool_signals_fd(0);
	if (c.sfd < 0) {
		fprintf(stderr, "ustack connect: cannot set up signals: %s\n", strerror(errno));
		goto out;
	}
	printf("ustack connect: %ld connection%s to %s:%ld from %s on %s %s\n", c.count,
	       c.count == 1 ? "" : "s", argv[optind], port, addr_text, tun ? "tun" : "tap",
	       ust_tap_ifname(c.dev));
	fflush(stdout);

	c.deadline = ust_tool_now_s() + timeout;
	if (handshakes(&c) < 0) {
		status = UST_EXIT_FAIL;
		summary(&c);
	} else {
		status = summary(&c);
		if (text && exchange(&c, text))
			status = UST_EXIT_FAIL;
	}
	for (long i = 0; i < c.count; i++)
		if (c.conns[i].fd >= 0) {
			ust_close(c.st, c.conns[i].fd);
			c.conns[i].fd = -1;
		}
	/* A moment for the FIN exchanges, within --timeout. */
	for (double until = ust_tool_now_s() + CLOSE_GRACE_S; !must_stop(&c) && ust_tool_now_s() < until;)
		if (drive(&c, until) < 0)
			break;
	ust_stats_dump(c.st, stdout, 0);
	fflush(stdout);
out:
	for (long i = 0; i < c.count; i++)
		if (c.conns[i].fd >= 0)
			ust_close(c.st, c.conns[i].fd);
	if (c.sfd >= 0)
		close(c.sfd);
	free(c.conns);
	free(c.pfds);
	free(c.idx);
	ust_stack_free(c.st);
	return status;
}
