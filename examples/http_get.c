/*
 * An HTTP/1.x download client on a kernel TAP/TUN: one GET over one
 * connection, the body into a file (or nowhere), then the status line, the
 * byte count and the throughput. It is the other direction of the bulk test
 * (tests/interop/bulk.sh): ustack as the receiver, a kernel server as the
 * sender.
 *
 *   http_get --tap NAME --addr A/N [--output FILE] [--stats] HOST PORT PATH
 *
 * The body ends at Content-Length when the server sends one, else at the
 * server's FIN (HTTP/1.0, e.g. python3 -m http.server without it).
 * There is no in-memory mode: a download needs a real server.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "common.h"
#include "ustack/stats.h"

#define PROG "http_get"
#define HDR_MAX 8192

static void usage(void)
{
	printf("usage: " PROG " --tap NAME --addr A/N [OPTIONS] HOST PORT PATH\n"
	       "\n"
	       "Connects from ustack on a kernel TAP/TUN to the HTTP server at HOST:PORT,\n"
	       "sends one \"GET PATH HTTP/1.1\" (Connection: close) and reads the answer: the\n"
	       "body goes to --output, and one line is printed:\n"
	       "  GET PATH -> STATUS-LINE, N bytes in S s (M MB/s), connected in C ms\n"
	       "(S from the end of the handshake to the end of the body).\n"
	       "The TAP/TUN must already exist and be up on the kernel's side (the SYN goes\n"
	       "out at once). Exit 0 on status 200 with the whole body (Content-Length, or\n"
	       "up to the server's FIN without one), 1 otherwise, 2 bad options, 3 setup.\n"
	       "\n"
	       "  --output FILE    write the body to FILE (default: count it, keep nothing)\n"
	       "  --timeout S      give up after S seconds in all (default 60)\n"
	       "  --stats          print the stack's counters (nstat format) at the end\n"
	       EX_DEV_USAGE
	       "  --help           this text\n");
}

struct get {
	struct ust_stack *st;
	int fd, out;                   /* ustack socket; kernel file or -1 */
	double deadline;
	char hdr[HDR_MAX + 1];
	size_t hlen;
	long long clen;                /* Content-Length; -1 when absent */
	unsigned long long body;
	double connected;              /* when the handshake completed */
	char buf[256 * 1024];          /* large reads: fewer calls per MB */
};

/* Waits for POLLIN until the deadline; -1 with ETIMEDOUT after it. */
static int wait_readable(struct get *g)
{
	struct pollfd pfd = { .fd = g->fd, .events = POLLIN };

	if (ust_tool_now_s() > g->deadline) {
		errno = ETIMEDOUT;
		return -1;
	}
	return ust_poll(g->st, &pfd, 1, 200) < 0 ? -1 : 0;
}

/* Bytes read from the socket, 0 at EOF, -1 on an error or the deadline. */
static ssize_t get_read(struct get *g, void *buf, size_t len)
{
	for (;;) {
		ssize_t r = ust_recv(g->st, g->fd, buf, len, MSG_DONTWAIT);

		if (r >= 0 || errno != EAGAIN)
			return r;
		if (wait_readable(g) < 0)
			return -1;
	}
}

static int put_body(struct get *g, const char *p, size_t len)
{
	g->body += len;
	while (g->out >= 0 && len) {
		ssize_t w = write(g->out, p, len);

		if (w < 0) {
			fprintf(stderr, PROG ": write: %s\n", strerror(errno));
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Reads up to the blank line; the bytes after it are the body's first. */
static int read_head(struct get *g)
{
	char *end, *cl;

	while (!(end = memmem(g->hdr, g->hlen, "\r\n\r\n", 4))) {
		ssize_t r;

		if (g->hlen == HDR_MAX) {
			fprintf(stderr, PROG ": response header over %d bytes\n", HDR_MAX);
			return -1;
		}
		r = get_read(g, g->hdr + g->hlen, HDR_MAX - g->hlen);
		if (r <= 0) {
			fprintf(stderr, PROG ": %s before the end of the header\n",
				r == 0 ? "EOF" : strerror(errno));
			return -1;
		}
		g->hlen += (size_t)r;
	}
	g->hdr[g->hlen] = '\0';
	end[2] = '\0';
	g->clen = -1;
	for (cl = strstr(g->hdr, "\r\n"); cl; cl = strstr(cl + 2, "\r\n"))
		if (!strncasecmp(cl + 2, "Content-Length:", 15))
			g->clen = atoll(cl + 17);
	*strstr(g->hdr, "\r\n") = '\0';       /* hdr is now the status line */
	return put_body(g, end + 4, g->hlen - (size_t)(end + 4 - g->hdr));
}

static int read_body(struct get *g)
{
	while (g->clen < 0 || g->body < (unsigned long long)g->clen) {
		ssize_t r = get_read(g, g->buf, sizeof(g->buf));

		if (r == 0)
			return g->clen < 0 ? 0 : -1;
		if (r < 0) {
			fprintf(stderr, PROG ": after %llu body bytes: %s\n", g->body, strerror(errno));
			return -1;
		}
		if (put_body(g, g->buf, (size_t)r) < 0)
			return -1;
	}
	return 0;
}

static int get(struct get *g, const char *host, int port, const char *path)
{
	char req[1024];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: ustack-http_get\r\n"
			 "Accept: */*\r\nConnection: close\r\n\r\n", path, host, port);

	if (n < 0 || (size_t)n >= sizeof(req)) {
		fprintf(stderr, PROG ": PATH too long\n");
		return -1;
	}
	g->fd = ex_connect(PROG, g->st, host, port);
	if (g->fd < 0)
		return -1;
	g->connected = ust_tool_now_s();
	if (ex_write_all(g->st, g->fd, req, (size_t)n) < 0) {
		fprintf(stderr, PROG ": sending the request: %s\n", strerror(errno));
		return -1;
	}
	if (read_head(g) < 0 || read_body(g) < 0)
		return -1;
	return strstr(g->hdr, " 200 ") ? 0 : -1;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "timeout", required_argument, NULL, 't' },
		{ "stats", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		EX_DEV_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct ex_dev_opts o = { 0 };
	const char *output = NULL;
	double timeout = 60, t0, dt, ct;
	int opt, port, rc, stats = 0;
	struct get *g;
	struct ex_net n;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int r = ex_dev_opt(PROG, &o, opt, optarg);

		if (r < 0)
			return 2;
		if (r)
			continue;
		switch (opt) {
		case 'o':
			output = optarg;
			break;
		case 't':
			timeout = atof(optarg);
			if (timeout <= 0) {
				fprintf(stderr, PROG ": --timeout wants seconds > 0\n");
				return 2;
			}
			break;
		case 's':
			stats = 1;
			break;
		case 'h':
			usage();
			return 0;
		default:
			fprintf(stderr, "usage: " PROG " --tap NAME --addr A/N [OPTIONS] HOST PORT PATH; see --help\n");
			return 2;
		}
	}
	if (!o.dev.ifname || argc - optind != 3 || (port = ex_port(argv[optind + 1])) < 0) {
		fprintf(stderr, PROG ": give --tap/--tun NAME --addr A/N and HOST PORT PATH; see --help\n");
		return 2;
	}
	g = calloc(1, sizeof(*g));
	if (!g)
		return 3;
	g->fd = g->out = -1;
	if (output && (g->out = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
		fprintf(stderr, PROG ": cannot open %s: %s\n", output, strerror(errno));
		free(g);
		return 3;
	}
	if (ex_net_open(PROG, &n, &o) < 0 || ex_net_drive(&n, true) < 0) {
		ex_net_close(&n);
		free(g);
		return 3;
	}
	g->st = n.st;
	t0 = ust_tool_now_s();
	g->deadline = t0 + timeout;
	rc = get(g, argv[optind], port, argv[optind + 2]) < 0;
	/* The rate leaves the handshake out: a lost first ARP or SYN costs a
	 * second there, which says nothing about the data path. */
	ct = g->connected - t0;
	dt = ust_tool_now_s() - g->connected;
	if (g->hlen)
		printf("GET %s -> %s, %llu bytes in %.2f s (%.1f MB/s), connected in %.0f ms\n",
		       argv[optind + 2], g->hdr, g->body, dt, dt > 0 ? (double)g->body / dt / 1e6 : 0.0,
		       ct * 1e3);
	if (g->clen >= 0 && g->body != (unsigned long long)g->clen)
		printf("short body: %llu of %lld bytes\n", g->body, g->clen);
	if (g->fd >= 0)
		ust_close(n.st, g->fd);
	if (stats)
		ust_stats_dump(n.st, stdout, 0);
	fflush(stdout);
	ex_net_close(&n);
	if (g->out >= 0 && close(g->out) < 0)
		rc = 1;
	free(g);
	return rc;
}
