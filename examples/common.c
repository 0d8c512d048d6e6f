/*
 * Shared by the examples (common.h). The device setup is tools/netsetup.c's,
 * linked in, so the examples open a TAP exactly as `ustack serve` does.
 */
#define _GNU_SOURCE 1
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include "common.h"

int ex_dev_opt(const char *prog, struct ex_dev_opts *o, int opt, const char *arg)
{
	switch (opt) {
	case 'T':
	case 'U':
		o->dev.ifname = arg;
		o->dev.tun = opt == 'U';
		return 1;
	case 'A':
		o->dev.addr_text = arg;
		if (ust_addr_parse(arg, &o->dev.addr, &o->dev.prefixlen) < 0) {
			fprintf(stderr, "%s: bad --addr '%s' (want e.g. 192.0.2.2/24)\n", prog, arg);
			return -1;
		}
		return 1;
	case 'P':
		o->dev.pcap = arg;
		return 1;
	case 'R':
		o->dev.trace = 1;
		return 1;
	default:
		return 0;
	}
}

int ex_getopt(const char *prog, int argc, char **argv, const struct option *longopts,
	      struct ex_dev_opts *o)
{
	for (;;) {
		int opt = getopt_long(argc, argv, "", longopts, NULL);
		int r = opt == -1 ? 0 : ex_dev_opt(prog, o, opt, optarg);

		if (r < 0)
			exit(2);
		if (r == 0)
			return opt;
	}
}

long ex_num_arg(const char *prog, const char *name, const char *arg, long lo, long hi)
{
	long v = atol(arg);

	if (v < lo || v > hi) {
		fprintf(stderr, "%s: %s wants %ld..%ld\n", prog, name, lo, hi);
		exit(2);
	}
	return v;
}

int ex_port_arg(const char *prog, const char *arg)
{
	int port = ex_port(arg);

	if (port < 0) {
		fprintf(stderr, "%s: bad --port '%s'\n", prog, arg);
		exit(2);
	}
	return port;
}

void ex_no_operands(const char *prog, int argc, char **argv)
{
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'; see --help\n", prog, argv[optind]);
		exit(2);
	}
}

static struct ust_stack *new_stack(const char *name)
{
	struct ust_stack_config cfg;

	ust_stack_config_init(&cfg);
	cfg.name = name;
	return ust_stack_new(&cfg);
}

static int net_open(const char *prog, struct ex_net *n, const struct ex_dev_opts *o)
{
	n->st = new_stack("example");
	if (!n->st) {
		fprintf(stderr, "%s: cannot create a stack: %s\n", prog, strerror(errno));
		return -1;
	}
	if (o->dev.ifname) {
		if (!o->dev.addr_text) {
			fprintf(stderr, "%s: --tap/--tun needs --addr A/N\n", prog);
			return -1;
		}
		n->addr.s_addr = o->dev.addr;
		/* The same setup, messages and hints as `ustack serve`. */
		return ust_tool_open_device(prog, n->st, &o->dev, &n->dev) < 0 ? -1 : 0;
	}
	n->peer = new_stack("peer");
	if (!n->peer || ust_memlink_create(n->st, n->peer, NULL, &n->dev, &n->peer_dev) < 0 ||
	    ust_addr_add(n->st, n->dev, inet_addr(EX_ADDR), 24) < 0 ||
	    ust_addr_add(n->peer, n->peer_dev, inet_addr(EX_PEER_ADDR), 24) < 0) {
		fprintf(stderr, "%s: cannot set up the in-memory link: %s\n", prog, strerror(errno));
		return -1;
	}
	if (o->dev.pcap && ust_netdev_pcap_open(n->dev, o->dev.pcap) < 0) {
		fprintf(stderr, "%s: cannot open capture %s: %s\n", prog, o->dev.pcap, strerror(errno));
		return -1;
	}
	n->addr.s_addr = inet_addr(EX_ADDR);
	return 0;
}

int ex_net_open(const char *prog, struct ex_net *n, const struct ex_dev_opts *o)
{
	memset(n, 0, sizeof(*n));
	if (net_open(prog, n, o) < 0) {
		ex_net_close(n);
		return -1;
	}
	return 0;
}

static void add_fd(int ep, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	if (fd >= 0)
		epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static void *driver(void *arg)
{
	struct ex_net *n = arg;
	struct epoll_event evs[4];
	int ep = epoll_create1(EPOLL_CLOEXEC);
	/* memlink frames make no fd readable: look again every millisecond */
	int idle_ms = n->peer ? 1 : -1;

	if (n->drive_st)
		add_fd(ep, ust_stack_event_fd(n->st));
	if (n->peer)
		add_fd(ep, ust_stack_event_fd(n->peer));
	while (!atomic_load(&n->stop)) {
		int work = 0;

		if (n->drive_st)
			work += ust_stack_poll(n->st);
		if (n->peer)
			work += ust_stack_poll(n->peer);
		if (!work)
			epoll_wait(ep, evs, 4, idle_ms);
	}
	close(ep);
	return NULL;
}

int ex_net_drive(struct ex_net *n, bool drive_st)
{
	n->drive_st = drive_st;
	atomic_store(&n->stop, false);
	if (pthread_create(&n->driver, NULL, driver, n) != 0)
		return -1;
	n->driving = true;
	return 0;
}

void ex_net_close(struct ex_net *n)
{
	if (n->driving) {
		atomic_store(&n->stop, true);
		if (n->drive_st)
			ust_stack_wakeup(n->st);
		if (n->peer)
			ust_stack_wakeup(n->peer);
		pthread_join(n->driver, NULL);
		n->driving = false;
	}
	ust_stack_free(n->st);
	ust_stack_free(n->peer);
	n->st = n->peer = NULL;
}

/* After EAGAIN: wait for POLLOUT (and want), or a millisecond when the stack
 * says POLLOUT but the write could not go (a full window it does not poll). */
static int wait_writable(struct ust_stack *st, int fd, short want, bool again)
{
	struct pollfd pfd = { .fd = fd, .events = (short)(POLLOUT | want) };

	if (ust_poll(st, &pfd, 1, 1000) < 0)
		return -1;
	if ((pfd.revents & POLLOUT) && again)
		ust_poll(st, NULL, 0, 1);
	if ((pfd.revents & (POLLERR | POLLHUP)) && !(pfd.revents & POLLIN)) {
		errno = EPIPE;
		return -1;
	}
	return 0;
}

int ex_write_all(struct ust_stack *st, int fd, const void *buf, size_t len)
{
	const char *p = buf;
	bool again = false;

	while (len) {
		ssize_t w = ust_write(st, fd, p, len);

		if (w < 0 && errno != EAGAIN)
			return -1;
		if (w > 0) {
			p += w;
			len -= (size_t)w;
		}
		if (len && w <= 0 && wait_writable(st, fd, 0, again) < 0)
			return -1;
		again = w <= 0;
	}
	return 0;
}

int ex_exchange(struct ust_stack *st, int fd, const void *out, void *in, size_t len)
{
	size_t sent = 0, got = 0;
	bool again = false;

	while (got < len) {
		ssize_t w = 0, r;

		if (sent < len) {
			w = ust_send(st, fd, (const char *)out + sent, len - sent, MSG_DONTWAIT);
			if (w < 0 && errno != EAGAIN)
				return -1;
			sent += w > 0 ? (size_t)w : 0;
		}
		r = ust_recv(st, fd, (char *)in + got, len - got, MSG_DONTWAIT);
		if (r == 0)
			break;
		if (r < 0 && errno != EAGAIN)
			return -1;
		got += r > 0 ? (size_t)r : 0;
		if (w > 0 || r > 0) {
			again = false;
			continue;
		}
		if (sent < len) {
			if (wait_writable(st, fd, POLLIN, again) < 0)
				return -1;
			again = true;
		} else {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };

			if (ust_poll(st, &pfd, 1, 1000) < 0)
				return -1;
		}
	}
	return got == len ? 0 : (errno = EPIPE, -1);
}

ssize_t ex_read_full(struct ust_stack *st, int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = ust_read(st, fd, (char *)buf + got, len - got);

		if (r == 0)
			break;
		if (r < 0) {
			if (errno == EAGAIN) {
				struct pollfd pfd = { .fd = fd, .events = POLLIN };

				if (ust_poll(st, &pfd, 1, 1000) < 0)
					return -1;
				continue;
			}
			return -1;
		}
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int ex_connect(const char *prog, struct ust_stack *st, const char *ip, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd;

	if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1) {
		fprintf(stderr, "%s: bad address '%s'\n", prog, ip);
		return -1;
	}
	fd = ust_socket(st, AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || ust_connect(st, fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "%s: connect to %s:%d: %s\n", prog, ip, port, strerror(errno));
		if (fd >= 0)
			ust_close(st, fd);
		return -1;
	}
	return fd;
}

int ex_listen(const char *prog, struct ust_stack *st, struct in_addr addr, int port, int flags)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr = addr };
	int fd = ust_socket(st, AF_INET, SOCK_STREAM | flags, 0);

	if (fd < 0 || ust_bind(st, fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || ust_listen(st, fd, 128) < 0) {
		fprintf(stderr, "%s: listen on %s:%d: %s\n", prog, inet_ntoa(addr), port, strerror(errno));
		return -1;
	}
	return fd;
}

int ex_port(const char *text)
{
	char *end;
	long v = strtol(text, &end, 10);

	return (*text && !*end && v > 0 && v < 65536) ? (int)v : -1;
}

void ex_echo_conn(struct ust_stack *st, int fd)
{
	char buf[4096];
	ssize_t r;

	while ((r = ust_read(st, fd, buf, sizeof(buf))) > 0)
		if (ex_write_all(st, fd, buf, (size_t)r) < 0)
			break;
	ust_close(st, fd);
}

struct echo_job {
	struct ex_echo_server *srv;
	int fd;
};

static void *echo_conn_thread(void *arg)
{
	struct echo_job job = *(struct echo_job *)arg;

	free(arg);
	ex_echo_conn(job.srv->st, job.fd);
	atomic_fetch_sub(&job.srv->live, 1);
	return NULL;
}

static void *accept_thread(void *arg)
{
	struct ex_echo_server *srv = arg;

	for (;;) {
		int fd = ust_accept(srv->st, srv->lfd, NULL, NULL);
		struct echo_job *job;
		pthread_t t;

		if (fd < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED)
				continue;
			break;   /* EBADF/EINVAL: the listener is gone */
		}
		job = malloc(sizeof(*job));
		if (!job) {
			ust_close(srv->st, fd);
			continue;
		}
		*job = (struct echo_job){ .srv = srv, .fd = fd };
		atomic_fetch_add(&srv->live, 1);
		if (pthread_create(&t, NULL, echo_conn_thread, job) != 0) {
			atomic_fetch_sub(&srv->live, 1);
			free(job);
			ust_close(srv->st, fd);
			continue;
		}
		pthread_detach(t);
	}
	return NULL;
}

int ex_echo_serve_start(struct ex_echo_server *srv, struct ust_stack *st, int lfd)
{
	srv->st = st;
	srv->lfd = lfd;
	atomic_store(&srv->live, 0);
	return pthread_create(&srv->acceptor, NULL, accept_thread, srv) ? -1 : 0;
}

void ex_echo_serve_stop(struct ex_echo_server *srv)
{
	/* As in Linux, close() would leave accept() asleep; shutdown(SHUT_RD)
	 * stops the listener and wakes it with EINVAL. */
	ust_shutdown(srv->st, srv->lfd, SHUT_RD);
	pthread_join(srv->acceptor, NULL);
	ust_close(srv->st, srv->lfd);
	/* Connections end when their clients close; give them up to 5 s. */
	for (int i = 0; i < 5000 && atomic_load(&srv->live) > 0; i++)
		usleep(1000);
}

int ex_loop_listen(const char *prog, struct ex_loop *l, struct ust_stack *st,
		   struct in_addr addr, int port)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	int lfd = ex_listen(prog, st, addr, port, SOCK_NONBLOCK);

	l->st = st;
	l->uep = ust_epoll_create1(st, 0);
	if (lfd < 0 || l->uep < 0 || ust_epoll_ctl(st, l->uep, EPOLL_CTL_ADD, lfd, &ev) < 0 ||
	    ust_stack_event_fd(st) < 0) {
		fprintf(stderr, "%s: setup: %s\n", prog, strerror(errno));
		return -1;
	}
	return lfd;
}

void ex_loop_run(struct ex_loop *l)
{
	struct epoll_event kev[4], ev[64];
	struct epoll_event add = { .events = EPOLLIN };
	int kep = epoll_create1(EPOLL_CLOEXEC);

	add.data.fd = ust_stack_event_fd(l->st);
	epoll_ctl(kep, EPOLL_CTL_ADD, add.data.fd, &add);
	if (l->sigfd >= 0) {
		add.data.fd = l->sigfd;
		epoll_ctl(kep, EPOLL_CTL_ADD, l->sigfd, &add);
	}
	for (int grace = 2000; grace > 0; grace -= atomic_load(&l->done)) {
		int n, k;

		if (atomic_load(&l->done) && !l->open)
			break;
		ust_stack_poll(l->st);
		n = ust_epoll_wait(l->st, l->uep, ev, 64, 0);
		for (int i = 0; i < n; i++)
			l->fn(l, &ev[i]);
		if (n > 0)
			continue;
		/* Asleep until a frame, a timer or a wake-up; memlink frames make no
		 * fd readable, hence idle_ms in memory. */
		k = epoll_wait(kep, kev, 4, atomic_load(&l->done) ? 1 : l->idle_ms);
		for (int i = 0; i < k; i++)
			if (l->sigfd >= 0 && kev[i].data.fd == l->sigfd)
				atomic_store(&l->done, true);   /* SIGINT or SIGTERM */
	}
	close(kep);
}
