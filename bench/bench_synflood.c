/*
 * bench_synflood: how fast one core answers SYNs, and that the memory a SYN
 * flood can take is bounded by the listen backlog, against the Linux kernel
 * fed the same SYNs through a TUN device in the same run.
 *
 *   bench_synflood [M]      (default M = 200000 SYNs per case)
 *
 * ustack: one stack (virtual clock, fixed seed) behind a pipe device (raw
 * IPv4), a listener on 192.168.0.1:8080. M SYNs are built beforehand (src/wire
 * builders, as tests/unit/tcp_fixture.h does: MSS, SACK_PERM, timestamps, window
 * scale, like a Linux SYN; valid checksums), each from its own source address
 * and port, then handed to ust_pipe_inject() one by one; the SYN-ACKs are taken
 * out with ust_pipe_read() every 64 SYNs. Timed: the injections (which run
 * tcp_v4_rcv -> tcp_v4_conn_request -> SYN-ACK out, synchronously); the
 * draining is timed apart and printed as its own column. Cases:
 *   (a) queue not full   somaxconn and tcp_max_syn_backlog raised, listen(M):
 *                        every SYN makes a request sock (in ehash, timer armed)
 *                        and a SYN-ACK. Memory grows with M: the backlog allows it.
 *   (b) queue full,      listen(4096), the SYN queue filled first (4097, not timed);
 *       syncookies=1     every SYN then gets a cookie SYN-ACK, no state kept.
 *   (c) queue full,      the same with tcp_syncookies=0: every SYN is dropped
 *       syncookies=0     (ListenDrops). Linux keeps the last quarter of
 *                        tcp_max_syn_backlog free without cookies, so the queue
 *                        stops at 1,536 requests here, as in Linux.
 *   (0) baseline         the same packets with a broken IP header checksum:
 *                        the cost of getting a packet to ip_rcv and dropping
 *                        it (IpInHdrErrors), to subtract from the others.
 * The counters are checked (requests, SyncookiesSent, ListenDrops). Memory: the
 * request socks alive times sizeof(struct request_sock), the request pool's
 * slabs (what it grew to), the ehash bucket array, and the RSS change.
 *
 * Linux: a child process makes a network namespace of its own
 * (unshare(CLONE_NEWNET); it is gone when the child exits, with every request
 * in it), a TUN device (/dev/net/tun, IFF_TUN|IFF_NO_PI) with 192.168.0.1/16,
 * sets the same sysctls inside that namespace and writes the same kind of SYNs
 * (sources 192.168.x.y) to the TUN fd: each write() runs the kernel's receive
 * path (tun_get_user -> netif_receive_skb -> tcp_v4_rcv -> tcp_conn_request ->
 * SYN-ACK -> tun's queue) in this process, so the thread's CPU time per write is
 * the kernel's cost per SYN plus the write() system call and the TUN driver (no
 * NIC driver, interrupt or GRO; case (0) measures the fixed part). SYN-ACKs are
 * read back (non-blocking) every 64 writes, not timed. Requests alive are the
 * SYN_RECV lines of the namespace's /proc/net/tcp for the case's port (each case
 * listens on its own port, so requests left in ehash by the previous case's
 * closed listener are not counted); their memory is that count times the
 * request_sock_TCP slab object size. The "without (0)" ratio takes the baseline
 * off both sides (Linux's baseline is mostly the write() call and TUN).
 * Needs root and /dev/net/tun; otherwise "Linux comparison skipped: <reason>".
 * Bounded: at most LINUX_SYNS SYNs and LINUX_MAX_NS per case.
 *
 * Not a test: nothing here asserts a time.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "bench_common.h"
#include "stack.h"
#include "tcp/tcp.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

#define M_DEFAULT 200000u
#define SYN_LEN (UST_IPV4_HLEN + UST_TCP_HLEN + 20)
#define DRAIN_EVERY 64
#define FLOOD_BACKLOG 4096
/* The SYN queue is full above the backlog (qlen > backlog, Linux 6.18), so a
 * full queue holds backlog + 1 requests: the fill before the timed flood. */
#define FLOOD_FILL (FLOOD_BACKLOG + 1)
#define LINUX_SYNS 100000u
#define LINUX_MAX_NS (5ULL * 1000000000ULL)
#define LOCAL_IP "192.168.0.1"
#define LOCAL_PORT 8080

static uint64_t now_ns(void) { return ts_ns(CLOCK_MONOTONIC); }
static uint64_t cpu_ns(void) { return ts_ns(CLOCK_THREAD_CPUTIME_ID); }

static void die(const char *what)
{
	fprintf(stderr, "bench_synflood: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* SYN i: from base + i (spread over addresses and ports) to LOCAL_IP:8080. */
static void build_syn(uint8_t *buf, uint32_t i, uint32_t src_base_host, uint32_t src_span, uint16_t dport)
{
	struct ust_tcp_opts o = {
		.present = UST_TCPOPT_F_MSS | UST_TCPOPT_F_SACK_PERM | UST_TCPOPT_F_TIMESTAMP |
			   UST_TCPOPT_F_WSCALE,
		.mss = 1460, .wscale = 7, .tsval = 1000 + i, .tsecr = 0,
	};
	uint8_t opts[40];
	int olen = ust_tcp_write_opts(opts, sizeof(opts), &o);
	uint32_t host = src_base_host + 1 + i % src_span;
	struct ust_tcp_info th = {
		.sport = htons((uint16_t)(1024 + i / src_span)), .dport = htons(dport),
		.seq = 0x10000000u + i * 7919u, .flags = UST_TCP_SYN, .window = 64240,
		.opts = opts, .opt_len = (size_t)olen,
	};
	struct ust_ipv4_info ip = {
		.ttl = 64, .protocol = UST_IPPROTO_TCP, .df = true,
		.tot_len = (uint16_t)(UST_IPV4_HLEN + UST_TCP_HLEN + olen),
		.saddr = htonl(host), .daddr = inet_addr(LOCAL_IP),
	};

	if (olen != 20 || ust_ipv4_build(buf, SYN_LEN, &ip) < 0 ||
	    ust_tcp_build(buf + UST_IPV4_HLEN, SYN_LEN - UST_IPV4_HLEN, &th) != UST_TCP_HLEN + 20) {
		fprintf(stderr, "bench_synflood: building SYN %u failed\n", i);
		exit(1);
	}
	ust_tcp_fill_csum(buf + UST_IPV4_HLEN, UST_TCP_HLEN + 20, ip.saddr, ip.daddr);
}

/* M SYNs from 198.18.0.1.. (ustack) or 192.168.x.y (Linux, inside the /16).
 * bad_csum: the IP header checksum is broken (the baseline case). */
static uint8_t *build_syns(uint32_t m, uint32_t base, uint32_t span, uint16_t dport, bool bad_csum)
{
	uint8_t *all = malloc((size_t)m * SYN_LEN);

	if (!all)
		die("malloc");
	for (uint32_t i = 0; i < m; i++) {
		build_syn(all + (size_t)i * SYN_LEN, i, base, span, dport);
		if (bad_csum)
			all[(size_t)i * SYN_LEN + 10] ^= 0x5a;
	}
	return all;
}

/* ---- ustack ---------------------------------------------------------------- */

enum flood_case { CASE_BASE, CASE_OPEN, CASE_COOKIES, CASE_DROP, CASES };

static const char *const case_name[CASES] = {
	"(0) bad IP csum, base",
	"(a) queue not full",
	"(b) full, cookies",
	"(c) full, no cookies",
};

struct result {
	uint64_t n;                /* SYNs timed */
	uint64_t wall_ns, cpu_ns, drain_ns;
	uint64_t synacks;          /* SYN-ACKs read back while timed */
	uint64_t reqs;             /* request socks alive at the end */
	uint64_t req_bytes;        /* reqs * object size */
	uint64_t pool_bytes;       /* ustack: request pool slabs; Linux: slab objects */
	uint64_t ehash_bytes;
	long rss_kib;              /* change over the case */
	bool ok;
	char note[160];
};

struct ufx {
	struct ust_stack *st;
	struct ust_netdev *dev;
	int lfd;
};

static void ufx_init(struct ufx *f, enum flood_case c, uint32_t m)
{
	struct ust_route_config rc;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(LOCAL_PORT) };
	char v[32];
	int backlog = c == CASE_OPEN ? (int)m : FLOOD_BACKLOG;

	f->st = bench_vstack("flood", 7, 0);
	if (!f->st || ust_pipe_create(f->st, UST_FRAMING_IP, 1500, &f->dev) ||
	    ust_addr_add(f->st, f->dev, inet_addr(LOCAL_IP), 24))
		die("stack");
	ust_route_config_init(&rc);
	rc.ifindex = ust_netdev_ifindex(f->dev);
	if (ust_route_add(f->st, &rc))
		die("ust_route_add");
	if (c == CASE_OPEN) {
		snprintf(v, sizeof(v), "%u", m);
		if (ust_sysctl_write(f->st, "somaxconn", v) || ust_sysctl_write(f->st, "tcp_max_syn_backlog", v))
			die("sysctl");
	}
	if (ust_sysctl_write(f->st, "tcp_syncookies", c == CASE_DROP ? "0" : "1"))
		die("sysctl tcp_syncookies");
	f->lfd = ust_socket(f->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (f->lfd < 0 || ust_bind(f->st, f->lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    ust_listen(f->st, f->lfd, backlog))
		die("listen");
}

static uint64_t drain_pipe(struct ust_netdev *dev)
{
	uint8_t buf[2048];
	uint64_t n = 0;

	while (ust_pipe_read(dev, buf, sizeof(buf)) > 0)
		n++;
	return n;
}

static uint64_t ustat(struct ust_stack *st, const char *name)
{
	uint64_t v = 0;

	ust_stats_get(st, name, &v);
	return v;
}

static void ustack_case(enum flood_case c, const uint8_t *syns, uint32_t m, uint32_t fill, struct result *r)
{
	struct ufx f;
	struct ust_tcp *tcp;
	uint64_t t0, c0, d, sent0, drops0, cookies0;
	long rss0;
	uint32_t i;

	memset(r, 0, sizeof(*r));
	rss0 = rss_kib();
	ufx_init(&f, c, m);
	tcp = ust_stack_tcp(f.st);
	/* Fill the SYN queue first (not timed) where the case wants it full. */
	for (i = 0; i < fill; i++) {
		if (ust_pipe_inject(f.dev, syns + (size_t)i * SYN_LEN, SYN_LEN))
			die("ust_pipe_inject");
		if (i % DRAIN_EVERY == 0)
			drain_pipe(f.dev);
	}
	drain_pipe(f.dev);
	sent0 = ustat(f.st, "TcpOutSegs");
	drops0 = ustat(f.st, "TcpExtListenDrops");
	cookies0 = ustat(f.st, "TcpExtSyncookiesSent");
	t0 = now_ns();
	c0 = cpu_ns();
	for (i = fill; i < m;) {
		uint32_t end = i + DRAIN_EVERY < m ? i + DRAIN_EVERY : m;
		uint64_t d0;

		for (; i < end; i++)
			ust_pipe_inject(f.dev, syns + (size_t)i * SYN_LEN, SYN_LEN);
		d0 = now_ns();
		r->synacks += drain_pipe(f.dev);
		r->drain_ns += now_ns() - d0;
	}
	r->cpu_ns = cpu_ns() - c0;
	r->wall_ns = now_ns() - t0;
	r->n = m - fill;
	/* The drain is timed apart: take it out of both clocks. */
	d = r->drain_ns;
	r->wall_ns -= d;
	r->cpu_ns = r->cpu_ns > d ? r->cpu_ns - d : 0;
	r->reqs = tcp->reqsk_pool.nr_used;
	r->req_bytes = r->reqs * sizeof(struct request_sock);
	r->pool_bytes = (uint64_t)tcp->reqsk_pool.nr_total * tcp->reqsk_pool.obj_size;
	r->ehash_bytes = ((uint64_t)tcp->hashinfo.ehash_mask + 1) * sizeof(*tcp->hashinfo.ehash);
	r->rss_kib = rss_kib() - rss0;
	switch (c) {
	case CASE_BASE:
		r->ok = ustat(f.st, "IpInHdrErrors") == r->n && r->synacks == 0 && r->reqs == 0;
		break;
	case CASE_OPEN:
		r->ok = r->reqs == m && r->synacks == r->n;
		break;
	case CASE_COOKIES:
		r->ok = ustat(f.st, "TcpExtSyncookiesSent") - cookies0 == r->n && r->synacks == r->n &&
			r->reqs == fill;
		break;
	default:
		r->ok = ustat(f.st, "TcpExtListenDrops") - drops0 == r->n && r->synacks == 0 &&
			ustat(f.st, "TcpOutSegs") == sent0;
		break;
	}
	snprintf(r->note, sizeof(r->note), "qlen %" PRIu64 ", SYN-ACKs %" PRIu64 ", SyncookiesSent +%" PRIu64
		 ", ListenDrops +%" PRIu64 ", IpInHdrErrors %" PRIu64 "%s",
		 r->reqs, r->synacks, ustat(f.st, "TcpExtSyncookiesSent") - cookies0,
		 ustat(f.st, "TcpExtListenDrops") - drops0, ustat(f.st, "IpInHdrErrors"),
		 r->ok ? "" : "  CHECK FAILED");
	ust_close(f.st, f.lfd);
	ust_stack_free(f.st);
}

/* ---- Linux: TUN in a namespace of its own ------------------------------------ */

struct linux_results {
	int ok;
	char why[160];
	int slab_size;
	struct result r[CASES];
};

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

/* Request socks of the listener on port: /proc/net/tcp (this namespace) lists
 * them as state 03 (SYN_RECV) with our local address and port. */
static int64_t linux_requests(uint16_t port)
{
	char line[512];
	FILE *f = fopen("/proc/net/tcp", "r");
	int64_t n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned la, lp, ra, rp, st;

		if (sscanf(line, " %*d: %x:%x %x:%x %x", &la, &lp, &ra, &rp, &st) == 5 && st == 0x03 &&
		    lp == port)
			n++;
	}
	fclose(f);
	return n;
}

static int tun_setup(char *why, size_t len)
{
	struct ifreq ifr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	int tfd, s, lo;

	if (unshare(CLONE_NEWNET)) {
		snprintf(why, len, "unshare(CLONE_NEWNET): %s", strerror(errno));
		return -1;
	}
	tfd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);
	if (tfd < 0) {
		snprintf(why, len, "/dev/net/tun: %s", strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	strcpy(ifr.ifr_name, "ustflood0");
	if (ioctl(tfd, TUNSETIFF, &ifr)) {
		snprintf(why, len, "TUNSETIFF: %s", strerror(errno));
		close(tfd);
		return -1;
	}
	s = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "ustflood0");
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = inet_addr(LOCAL_IP);
	lo = ioctl(s, SIOCSIFADDR, &ifr);
	sin->sin_addr.s_addr = inet_addr("255.255.0.0");
	lo |= ioctl(s, SIOCSIFNETMASK, &ifr);
	lo |= ioctl(s, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	lo |= ioctl(s, SIOCSIFFLAGS, &ifr);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "ustflood0");
	ifr.ifr_qlen = 4096;   /* room for the SYN-ACKs between reads */
	ioctl(s, SIOCSIFTXQLEN, &ifr);
	close(s);
	if (lo) {
		snprintf(why, len, "configuring ustflood0: %s", strerror(errno));
		close(tfd);
		return -1;
	}
	return tfd;
}

static int linux_listen(uint16_t port, int backlog)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	sa.sin_addr.s_addr = inet_addr(LOCAL_IP);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, backlog)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static uint64_t tun_drain(int tfd)
{
	uint8_t buf[2048];
	uint64_t n = 0;

	while (read(tfd, buf, sizeof(buf)) > 0)
		n++;
	return n;
}

/* Each case has its listener on its own port (LOCAL_PORT + case), so the
 * requests a closed listener leaves in ehash until their timers run are not
 * counted in the next case. */
static void linux_case(int tfd, enum flood_case c, uint32_t m, uint32_t fill, struct result *r, int obj_size)
{
	uint16_t port = (uint16_t)(LOCAL_PORT + c);
	uint8_t *syns;
	char v[32];
	int lfd;
	int64_t reqs;
	uint64_t t0, c0, d;
	uint32_t i;

	memset(r, 0, sizeof(*r));
	snprintf(v, sizeof(v), "%u", c == CASE_OPEN ? m : FLOOD_BACKLOG);
	if (write_file("/proc/sys/net/core/somaxconn", v) ||
	    write_file("/proc/sys/net/ipv4/tcp_max_syn_backlog", c == CASE_OPEN ? v : "2048") ||
	    write_file("/proc/sys/net/ipv4/tcp_syncookies", c == CASE_DROP ? "0" : "1")) {
		snprintf(r->note, sizeof(r->note), "sysctl in the namespace: %s", strerror(errno));
		return;
	}
	lfd = linux_listen(port, c == CASE_OPEN ? (int)m : FLOOD_BACKLOG);
	if (lfd < 0) {
		snprintf(r->note, sizeof(r->note), "listen: %s", strerror(errno));
		return;
	}
	/* Sources 192.168.0.2 .. 192.168.253.x: inside the TUN's /16. */
	syns = build_syns(m, 0xc0a80001u, 65000, port, c == CASE_BASE);
	for (i = 0; i < fill; i++) {
		if (write(tfd, syns + (size_t)i * SYN_LEN, SYN_LEN) != SYN_LEN)
			break;
		if (i % DRAIN_EVERY == 0)
			tun_drain(tfd);
	}
	tun_drain(tfd);
	t0 = now_ns();
	c0 = cpu_ns();
	for (i = fill; i < m;) {
		uint32_t end = i + DRAIN_EVERY < m ? i + DRAIN_EVERY : m;
		uint64_t d0;

		for (; i < end; i++)
			if (write(tfd, syns + (size_t)i * SYN_LEN, SYN_LEN) != SYN_LEN)
				break;
		d0 = now_ns();
		r->synacks += tun_drain(tfd);
		r->drain_ns += now_ns() - d0;
		if (now_ns() - t0 > LINUX_MAX_NS)
			break;
	}
	r->cpu_ns = cpu_ns() - c0;
	r->wall_ns = now_ns() - t0;
	r->n = i - fill;
	d = r->drain_ns;
	r->wall_ns -= d;
	r->cpu_ns = r->cpu_ns > d ? r->cpu_ns - d : 0;
	reqs = linux_requests(port);
	r->reqs = reqs > 0 ? (uint64_t)reqs : 0;
	r->req_bytes = r->reqs * (uint64_t)(obj_size > 0 ? obj_size : 0);
	r->ok = r->n > 0;
	snprintf(r->note, sizeof(r->note), "requests %" PRIu64 " (/proc/net/tcp), SYN-ACKs read %" PRIu64 "%s",
		 r->reqs, r->synacks, reqs < 0 ? " (/proc/net/tcp unreadable)" : "");
	free(syns);
	close(lfd);
}

static void linux_child(struct linux_results *out, uint32_t m)
{
	int tfd;
	cpu_set_t set;
	int cpu = sched_getcpu();

	memset(out, 0, sizeof(*out));
	if (cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	tfd = tun_setup(out->why, sizeof(out->why));
	if (tfd < 0)
		return;
	out->slab_size = slab_size("request_sock_TCP");
	linux_case(tfd, CASE_BASE, m, 0, &out->r[CASE_BASE], out->slab_size);
	linux_case(tfd, CASE_OPEN, m, 0, &out->r[CASE_OPEN], out->slab_size);
	linux_case(tfd, CASE_COOKIES, m, FLOOD_FILL, &out->r[CASE_COOKIES], out->slab_size);
	linux_case(tfd, CASE_DROP, m, FLOOD_FILL, &out->r[CASE_DROP], out->slab_size);
	close(tfd);
	out->ok = 1;
}

static void linux_run(struct linux_results *lr, uint32_t m)
{
	int fds[2], status;
	pid_t pid;

	memset(lr, 0, sizeof(*lr));
	if (geteuid() != 0) {
		snprintf(lr->why, sizeof(lr->why), "not root (a network namespace and a TUN device are needed)");
		return;
	}
	if (access("/dev/net/tun", R_OK | W_OK)) {
		snprintf(lr->why, sizeof(lr->why), "/dev/net/tun: %s", strerror(errno));
		return;
	}
	if (pipe(fds)) {
		snprintf(lr->why, sizeof(lr->why), "pipe: %s", strerror(errno));
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		snprintf(lr->why, sizeof(lr->why), "fork: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		static struct linux_results cr;
		const uint8_t *p = (const uint8_t *)&cr;
		size_t left = sizeof(cr);

		close(fds[0]);
		linux_child(&cr, m);
		while (left) {
			ssize_t w = write(fds[1], p, left);

			if (w <= 0)
				_exit(1);
			p += w;
			left -= (size_t)w;
		}
		_exit(0);
	}
	close(fds[1]);
	{
		uint8_t *p = (uint8_t *)lr;
		size_t left = sizeof(*lr);

		while (left) {
			ssize_t n = read(fds[0], p, left);

			if (n <= 0)
				break;
			p += n;
			left -= (size_t)n;
		}
		if (left) {
			memset(lr, 0, sizeof(*lr));
			snprintf(lr->why, sizeof(lr->why), "the Linux child died");
		}
	}
	close(fds[0]);
	waitpid(pid, &status, 0);
}

/* ---- report ---------------------------------------------------------------- */

static void print_row(const char *who, enum flood_case c, const struct result *r)
{
	double ns = r->n ? (double)r->cpu_ns / (double)r->n : 0;

	printf("%-7s %-22s %8" PRIu64 " %9.0f %9.0f %12.0f %9.0f %10" PRIu64 " %10.2f\n", who, case_name[c], r->n,
	       ns, r->n ? (double)r->wall_ns / (double)r->n : 0, ns > 0 ? 1e9 / ns : 0,
	       r->n ? (double)r->drain_ns / (double)r->n : 0, r->reqs, (double)r->req_bytes / 1048576.0);
}

int main(int argc, char **argv)
{
	uint32_t m = M_DEFAULT;
	struct result ur[CASES];
	struct linux_results *lr = calloc(1, sizeof(*lr));
	uint8_t *syns;
	bool ok = true;

	if (argc > 1) {
		char *end;
		unsigned long v = strtoul(argv[1], &end, 10);

		if (*end || v <= FLOOD_BACKLOG || v > 1000000) {
			fprintf(stderr, "usage: %s [SYNs per case, %d..1000000]\n", argv[0], FLOOD_BACKLOG + 1);
			return 2;
		}
		m = (uint32_t)v;
	}
	if (!lr)
		die("calloc");
	printf("bench_synflood: SYNs into a listener, one core; %u SYNs per case (Linux: up to %u, %llu s)\n",
	       m, m < LINUX_SYNS ? m : LINUX_SYNS, LINUX_MAX_NS / 1000000000ULL);
	printf("sizeof(struct request_sock) = %zu bytes (target <= 128: %s)\n\n", sizeof(struct request_sock),
	       sizeof(struct request_sock) <= 128 ? "met" : "MISSED");

	/* Sources 198.18.0.1 .. : routed out of the pipe by the default route. */
	syns = build_syns(m, 0xc6120000u, 65000, LOCAL_PORT, true);
	ustack_case(CASE_BASE, syns, m, 0, &ur[CASE_BASE]);
	free(syns);
	syns = build_syns(m, 0xc6120000u, 65000, LOCAL_PORT, false);
	ustack_case(CASE_OPEN, syns, m, 0, &ur[CASE_OPEN]);
	ustack_case(CASE_COOKIES, syns, m, FLOOD_FILL, &ur[CASE_COOKIES]);
	ustack_case(CASE_DROP, syns, m, FLOOD_FILL, &ur[CASE_DROP]);
	free(syns);

	linux_run(lr, m < LINUX_SYNS ? m : LINUX_SYNS);

	printf("%-7s %-22s %8s %9s %9s %12s %9s %10s %10s\n", "", "case", "SYNs", "CPU ns", "wall ns",
	       "SYNs/s/core", "drain ns", "requests", "req MiB");
	for (int c = 0; c < CASES; c++) {
		print_row("ustack", (enum flood_case)c, &ur[c]);
		if (lr->ok && lr->r[c].ok)
			print_row("Linux", (enum flood_case)c, &lr->r[c]);
		ok &= ur[c].ok;
	}
	printf("\n(CPU ns: this thread's CPU time per SYN, SYN-ACK out included, the drain excluded;\n"
	       " SYNs/s/core = 1e9 / CPU ns; drain ns: reading the SYN-ACKs back, per SYN, not in CPU ns;\n"
	       " requests: request socks alive at the end; req MiB: requests x object size)\n\n");

	for (int c = 0; c < CASES; c++) {
		printf("ustack %-22s %s\n", case_name[c], ur[c].note);
		printf("       %-22s request pool %.2f MiB (%" PRIu64 " objects of %zu B), ehash %.2f MiB, "
		       "RSS %+ld KiB\n", "",
		       (double)ur[c].pool_bytes / 1048576.0, ur[c].pool_bytes / sizeof(struct request_sock),
		       sizeof(struct request_sock), (double)ur[c].ehash_bytes / 1048576.0, ur[c].rss_kib);
		if (lr->ok)
			printf("Linux  %-22s %s\n", case_name[c], lr->r[c].note);
	}
	printf("\n");
	if (!lr->ok) {
		printf("Linux comparison skipped: %s\n", lr->why);
	} else {
		printf("Linux: fresh network namespace, TUN device, CPU time includes the write() syscall;\n"
		       "       request_sock_TCP object %d B here\n", lr->slab_size);
		double u0 = ur[CASE_BASE].n ? (double)ur[CASE_BASE].cpu_ns / (double)ur[CASE_BASE].n : 0;
		double l0 = lr->r[CASE_BASE].n ? (double)lr->r[CASE_BASE].cpu_ns / (double)lr->r[CASE_BASE].n : 0;

		for (int c = CASE_OPEN; c < CASES; c++) {
			double u = ur[c].n ? (double)ur[c].cpu_ns / (double)ur[c].n : 0;
			double l = lr->r[c].n ? (double)lr->r[c].cpu_ns / (double)lr->r[c].n : 0;

			if (u > 0 && l > 0)
				printf("  %-22s ustack %5.1fx the kernel's SYN rate per core; %5.1fx without the "
				       "cost of (0)\n", case_name[c], l / u,
				       u > u0 && l > l0 ? (l - l0) / (u - u0) : 0.0);
		}
	}
	printf("\ntarget: SYN rate far beyond the kernel's per core: see the ratios above\n");
	printf("target: bounded memory under flood: (b) keeps %" PRIu64 " and (c) %" PRIu64
	       " request socks after %u SYNs, at most backlog + 1 (%d, the SYN queue is full above\n"
	       "        the backlog, as in Linux 6.18): %s\n",
	       ur[CASE_COOKIES].reqs, ur[CASE_DROP].reqs, m, FLOOD_BACKLOG + 1,
	       ur[CASE_COOKIES].reqs <= FLOOD_BACKLOG + 1 && ur[CASE_DROP].reqs <= FLOOD_BACKLOG + 1 ? "met" : "MISSED");
	free(lr);
	return ok ? 0 : 1;
}
