/*
 * A small HTTP/1.1 file server on ustack: GET and HEAD of the files under a
 * directory, persistent connections (HTTP/1.1's default, HTTP/1.0's
 * "Connection: keep-alive"), pipelined requests, Content-Length on every
 * answer, 404/400/405/505. One thread, the loop of ex_loop_run: a connection
 * reads until it holds a whole request head, then sends the head and the file
 * in chunks through ust_write, waiting for EPOLLOUT whenever the write is
 * short or EAGAIN (the sendfile-like loop).
 *
 *   http_server --root DIR [--get PATH]... [--head PATH]...
 *       in memory: a client on a second stack fetches each PATH over one
 *       persistent connection and prints status, length and SHA-256 of the body
 *   http_server --root DIR --tap NAME --addr A/N [--port P]
 *       on a kernel TAP until SIGINT/SIGTERM (curl http://A:P/FILE)
 */
#define _GNU_SOURCE 1
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "common.h"
#include "http_fetch.h"

#define PROG "http_server"
#define HEAD_MAX 8192
#define CHUNK 16384
#define MIN(a, b) ((a) < (b) ? (a) : (b))

struct conn {
	int fd;
	size_t inlen;                 /* request bytes held in in[] */
	char in[HEAD_MAX];
	size_t off, len;              /* out[off, len) still to send */
	char out[CHUNK];
	int file;                     /* the body's file, -1 when none left */
	off_t file_off, file_left;
	bool keep_alive, closing;
};

struct server {
	struct ex_loop loop;          /* first: the loop's callbacks cast back */
	struct ust_stack *st;
	int lfd, uep, root;
};

static void usage(void)
{
	printf("usage: " PROG " --root DIR [--get PATH]... [--head PATH]... [--port P]\n"
	       "       " PROG " --root DIR --tap NAME --addr A/N [--port P]\n"
	       "\n"
	       "Serves the files under DIR over HTTP/1.1: GET and HEAD, persistent\n"
	       "connections, Content-Length, 404 for what is not a regular file under DIR.\n"
	       "Without --tap/--tun it runs in memory: a client on a second stack sends each\n"
	       "--get/--head in order over one persistent connection and prints, per request,\n"
	       "`METHOD PATH -> STATUS-LINE, N bytes, sha256 HEX` (exit 0 when every answer\n"
	       "arrived whole). With --tap/--tun it serves until SIGINT/SIGTERM.\n"
	       "\n"
	       "  --root DIR       the directory to serve (required)\n"
	       "  --port P         the port to listen on (default 8080)\n"
	       "  --get PATH       in memory: fetch PATH (e.g. /index.html)\n"
	       "  --head PATH      in memory: HEAD PATH\n"
	       EX_DEV_USAGE
	       "  --help           this text\n");
}

/* --- the server --------------------------------------------------------------- */

static const char *content_type(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (!dot)
		return "application/octet-stream";
	if (!strcmp(dot, ".html") || !strcmp(dot, ".htm"))
		return "text/html";
	if (!strcmp(dot, ".txt"))
		return "text/plain";
	if (!strcmp(dot, ".css"))
		return "text/css";
	if (!strcmp(dot, ".js"))
		return "text/javascript";
	if (!strcmp(dot, ".png"))
		return "image/png";
	if (!strcmp(dot, ".jpg") || !strcmp(dot, ".jpeg"))
		return "image/jpeg";
	return "application/octet-stream";
}

static void reply(struct conn *c, int code, const char *reason, const char *type, off_t length,
		  const char *extra, const char *body)
{
	int n = snprintf(c->out, sizeof(c->out),
			 "HTTP/1.1 %d %s\r\nServer: ustack-example\r\nContent-Type: %s\r\n"
			 "Content-Length: %lld\r\n%sConnection: %s\r\n\r\n%s",
			 code, reason, type, (long long)length, extra ? extra : "",
			 c->keep_alive ? "keep-alive" : "close", body ? body : "");

	c->off = 0;
	c->len = (size_t)n < sizeof(c->out) ? (size_t)n : sizeof(c->out) - 1;
}

static void reply_error(struct conn *c, int code, const char *reason, const char *extra)
{
	char body[64];

	snprintf(body, sizeof(body), "%d %s\n", code, reason);
	reply(c, code, reason, "text/plain", (off_t)strlen(body), extra, body);
}

/* The file for a request target, or -1: only regular files under the root,
 * no ".." segment, the query ignored, "/" meaning /index.html. */
static int open_target(struct server *s, char *target, struct stat *st)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_BENEATH };
	char *q = strpbrk(target, "?#");
	const char *rel;
	int fd;

	if (q)
		*q = '\0';
	if (target[0] != '/')
		return -1;
	for (const char *seg = target; seg; seg = strchr(seg + 1, '/'))
		if (!strncmp(seg, "/..", 3) && (seg[3] == '/' || seg[3] == '\0'))
			return -1;   /* nothing above the root */
	rel = target[1] ? target + 1 : "index.html";
	/* RESOLVE_BENEATH: no symlink or ".." leads out of the root either. */
	fd = (int)syscall(SYS_openat2, s->root, rel, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS)
		fd = openat(s->root, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool header_is(const char *line, const char *name, const char **value)
{
	size_t n = strlen(name);

	if (strncasecmp(line, name, n) || line[n] != ':')
		return false;
	*value = line + n + 1;
	while (**value == ' ' || **value == '\t')
		(*value)++;
	return true;
}

/* Parses the request head in c->in[0, head_len) and queues the answer. */
static void handle_request(struct server *s, struct conn *c, size_t head_len)
{
	char *head = c->in, *line, *save = NULL, *method, *target, *version;
	bool http10, has_body = false;
	const char *v;
	struct stat st;
	int fd;

	head[head_len - 4] = '\0';   /* the blank line */
	line = strtok_r(head, "\r\n", &save);
	method = line ? strtok(line, " ") : NULL;
	target = method ? strtok(NULL, " ") : NULL;
	version = target ? strtok(NULL, " ") : NULL;
	c->keep_alive = false;
	if (!version || strtok(NULL, " ") || strncmp(version, "HTTP/", 5)) {
		reply_error(c, 400, "Bad Request", NULL);
		return;
	}
	if (strcmp(version, "HTTP/1.1") && strcmp(version, "HTTP/1.0")) {
		reply_error(c, 505, "HTTP Version Not Supported", NULL);
		return;
	}
	http10 = !strcmp(version, "HTTP/1.0");
	c->keep_alive = !http10;
	while ((line = strtok_r(NULL, "\r\n", &save))) {
		if (header_is(line, "Connection", &v))
			c->keep_alive = http10 ? !strcasecmp(v, "keep-alive") : !!strcasecmp(v, "close");
		else if ((header_is(line, "Content-Length", &v) && strcmp(v, "0")) ||
			 header_is(line, "Transfer-Encoding", &v))
			has_body = true;
	}
	if (has_body) {
		/* No method here takes a body; rather than skip one, end the connection. */
		c->keep_alive = false;
		reply_error(c, 400, "Bad Request", NULL);
		return;
	}
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		reply_error(c, 405, "Method Not Allowed", "Allow: GET, HEAD\r\n");
		return;
	}
	fd = open_target(s, target, &st);
	if (fd < 0) {
		reply_error(c, 404, "Not Found", NULL);
		return;
	}
	reply(c, 200, "OK", content_type(target[1] ? target : "/index.html"), st.st_size, NULL, NULL);
	if (!strcmp(method, "GET") && st.st_size > 0) {
		c->file = fd;
		c->file_off = 0;
		c->file_left = st.st_size;
	} else {
		close(fd);
	}
}

/* Takes the next whole request out of c->in, if there is one. */
static bool next_request(struct server *s, struct conn *c)
{
	char *end = memmem(c->in, c->inlen, "\r\n\r\n", 4);
	size_t head_len;
	char saved[HEAD_MAX];

	if (!end) {
		if (c->inlen == sizeof(c->in)) {
			c->keep_alive = false;
			reply_error(c, 400, "Bad Request", NULL);   /* a head this long: no */
			c->inlen = 0;
			return true;
		}
		return false;
	}
	head_len = (size_t)(end - c->in) + 4;
	memcpy(saved, c->in + head_len, c->inlen - head_len);   /* pipelined requests */
	handle_request(s, c, head_len);
	c->inlen -= head_len;
	memcpy(c->in, saved, c->inlen);
	return true;
}

/* Sends the head and then the file, a chunk at a time; false on an error. */
static bool conn_send(struct server *s, struct conn *c)
{
	for (;;) {
		if (c->off == c->len && c->file >= 0) {
			ssize_t r = pread(c->file, c->out, MIN((off_t)sizeof(c->out), c->file_left),
					  c->file_off);

			if (r <= 0)
				return false;   /* the file shrank under us: the length is a lie now */
			c->off = 0;
			c->len = (size_t)r;
			c->file_off += r;
			c->file_left -= r;
			if (!c->file_left) {
				close(c->file);
				c->file = -1;
			}
		}
		if (c->off == c->len)
			return true;
		/* MSG_MORE while the file still has bytes to come: the head and a
		 * small body leave as one segment, instead of Nagle holding the
		 * body until the peer's delayed ACK of the head (~40 ms). */
		ssize_t w = ust_send(s->st, c->fd, c->out + c->off, c->len - c->off, c->file >= 0 ? MSG_MORE : 0);

		if (w < 0)
			return errno == EAGAIN;
		c->off += (size_t)w;
	}
}

static bool busy(const struct conn *c)
{
	return c->off < c->len || c->file >= 0;
}

static void conn_close(struct server *s, struct conn *c)
{
	if (c->file >= 0)
		close(c->file);
	ust_close(s->st, c->fd);
	free(c);
	s->loop.served++;
	s->loop.open--;
}

static void conn_event(struct server *s, struct conn *c, uint32_t events)
{
	struct epoll_event ev = { .data.ptr = c };

	if ((events & EPOLLIN) && !busy(c)) {
		ssize_t r = ust_read(s->st, c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);

		if (r > 0)
			c->inlen += (size_t)r;
		else if (r == 0 || errno != EAGAIN)
			c->closing = true;
	} else if ((events & (EPOLLERR | EPOLLHUP)) && !(events & EPOLLOUT)) {
		c->closing = true;
	}
	for (;;) {
		if (!conn_send(s, c)) {
			conn_close(s, c);
			return;
		}
		if (busy(c))
			break;
		if (!c->keep_alive && c->len) {     /* the answer that ends it went out */
			conn_close(s, c);
			return;
		}
		c->off = c->len = 0;
		if (!next_request(s, c))
			break;
	}
	if (c->closing && !busy(c)) {
		conn_close(s, c);
		return;
	}
	/* Level-triggered: room to write while an answer waits, else the next request. */
	ev.events = busy(c) ? EPOLLOUT : EPOLLIN | EPOLLRDHUP;
	ust_epoll_ctl(s->st, s->uep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void accept_all(struct server *s)
{
	for (;;) {
		int fd = ust_accept4(s->st, s->lfd, NULL, NULL, SOCK_NONBLOCK);
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
		struct conn *c;

		if (fd < 0)
			return;
		c = calloc(1, sizeof(*c));
		if (!c) {
			ust_close(s->st, fd);
			continue;
		}
		c->fd = fd;
		c->file = -1;
		ev.data.ptr = c;
		s->loop.open++;
		if (ust_epoll_ctl(s->st, s->uep, EPOLL_CTL_ADD, fd, &ev) < 0)
			conn_close(s, c);
	}
}

static void on_event(struct ex_loop *l, struct epoll_event *ev)
{
	struct server *s = (struct server *)l;

	if (ev->data.ptr == NULL)
		accept_all(s);
	else
		conn_event(s, ev->data.ptr, ev->events);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "port", required_argument, NULL, 'p' },
		{ "get", required_argument, NULL, 'g' },
		{ "head", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		EX_DEV_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct ex_dev_opts o = { 0 };
	struct server s = { .root = -1 };
	struct http_fetcher cl = { 0 };
	const char *root = NULL;
	int port = 8080, opt;
	struct ex_net n;

	while ((opt = ex_getopt(PROG, argc, argv, longopts, &o)) != -1) {
		switch (opt) {
		case 'r':
			root = optarg;
			break;
		case 'p':
			port = ex_port_arg(PROG, optarg);
			break;
		case 'g':
		case 'H':
			if (cl.nfetch == HTTP_MAX_FETCH) {
				fprintf(stderr, PROG ": at most %d --get/--head\n", HTTP_MAX_FETCH);
				return 2;
			}
			cl.fetch[cl.nfetch++] = (struct http_fetch){ opt == 'g' ? "GET" : "HEAD", optarg };
			break;
		case 'h':
			usage();
			return 0;
		default:
			fprintf(stderr, "usage: " PROG " --root DIR [OPTIONS]; see --help\n");
			return 2;
		}
	}
	if (!root || optind < argc) {
		fprintf(stderr, PROG ": %s; see --help\n", root ? "unexpected argument" : "--root DIR is required");
		return 2;
	}
	if (o.dev.ifname && cl.nfetch) {
		fprintf(stderr, PROG ": --get/--head are for the in-memory run (use curl on a TAP)\n");
		return 2;
	}
	s.root = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s.root < 0) {
		fprintf(stderr, PROG ": cannot open --root %s: %s\n", root, strerror(errno));
		return 3;
	}
	if (ex_net_open(PROG, &n, &o) < 0) {
		close(s.root);
		return 3;
	}
	s.st = n.st;
	s.lfd = ex_loop_listen(PROG, &s.loop, n.st, n.addr, port);
	s.uep = s.loop.uep;
	if (s.lfd < 0) {
		ex_net_close(&n);
		close(s.root);
		return 3;
	}
	s.loop.sigfd = -1;
	s.loop.idle_ms = 1;
	s.loop.fn = on_event;
	if (n.peer) {
		cl.st = n.peer;
		cl.port = port;
		cl.loop = &s.loop;
		ex_net_drive(&n, false);   /* the peer; this thread drives its own stack */
		pthread_create(&cl.t, NULL, http_fetcher_run, &cl);
		ex_loop_run(&s.loop);
		pthread_join(cl.t, NULL);
	} else {
		s.loop.sigfd = ust_tool_signals_fd(0);
		s.loop.idle_ms = -1;
		printf(PROG ": serving %s on http://%s:%d/ (SIGINT to stop)\n", root, inet_ntoa(n.addr), port);
		fflush(stdout);
		ex_loop_run(&s.loop);
		close(s.loop.sigfd);
		printf(PROG ": %lu connections served\n", s.loop.served);
	}
	ex_net_close(&n);
	close(s.root);
	return cl.failed ? 1 : 0;
}
