/*
 * ustack against the Linux kernel over a TAP or a TUN device. Run by run.sh
 * inside a network namespace of its own, as root:
 *
 *     interop_tap tap|tun CAPTURE.pcap
 *
 * The device's kernel side (ustap0 or ustun0, 192.0.2.1/24) is an ordinary
 * interface of the namespace; ustack (192.0.2.2/24) is the wire behind it,
 * driven by a thread running ust_stack_wait + ust_stack_poll on the real
 * clock. Checked:
 *   0. (TAP) the kernel learns ustack's MAC from its gratuitous ARP;
 *   1. kernel client -> ustack server on 192.0.2.2:8080, echo (on a TAP the
 *      kernel first resolves 192.0.2.2 by ARP, which ustack answers);
 *   2. ping 192.0.2.2 from the kernel;
 *   3. ustack client -> kernel server on 192.0.2.1:9090, exchange, close;
 *   4. connects to port 8081, closed on both sides: ECONNREFUSED both ways;
 *   5. (TAP) the kernel's neighbour entry for 192.0.2.2 has ustack's MAC.
 * Every wait is bounded and an alarm ends the program after 24 s whatever
 * happens. Exit 0 when all pass; the capture is checked by run.sh.
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include "interop.h"

struct loop {
	struct ust_stack *st;
	atomic_int stop;
};

static void *stack_thread(void *arg)
{
	struct loop *l = arg;

	while (!atomic_load(&l->stop)) {
		if (ust_stack_wait(l->st, 50) < 0)
			perror("ust_stack_wait");
		ust_stack_poll(l->st);
	}
	return NULL;
}

static int ust_write_all(struct ust_stack *st, int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n;

		if (ust_wait_fd(st, fd, POLLOUT))
			return -1;
		n = ust_write(st, fd, buf, len);
		if (n < 0 && errno != EAGAIN)
			return -1;
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		}
	}
	return 0;
}

/* ---- 1. kernel client -> ustack server ---------------------------------- */

static const char client_msg[] = "hello ustack, this is the Linux kernel\n";

struct kclient {
	char reply[256];
	size_t got;
	int err;
};

static void *kernel_client(void *arg)
{
	struct kclient *k = arg;
	struct sockaddr_in sa = sin_of(USTACK_ADDR, SERVER_PORT);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	ssize_t n;

	k->err = -1;
	if (s < 0)
		return NULL;
	kernel_timeouts(s);
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("kernel client: connect");
		goto out;
	}
	if (send(s, client_msg, sizeof(client_msg) - 1, 0) != (ssize_t)sizeof(client_msg) - 1) {
		perror("kernel client: send");
		goto out;
	}
	shutdown(s, SHUT_WR);
	while ((n = recv(s, k->reply + k->got, sizeof(k->reply) - 1 - k->got, 0)) > 0)
		k->got += (size_t)n;
	if (n < 0) {
		perror("kernel client: recv");
		goto out;
	}
	k->err = 0;
out:
	close(s);
	return NULL;
}

static int test_kernel_client(struct ust_stack *st)
{
	struct sockaddr_in sa = sin_of(USTACK_ADDR, SERVER_PORT);
	struct kclient k = { .got = 0 };
	pthread_t t;
	char buf[512];
	int lfd, cfd, rc = -1;
	ssize_t n;

	lfd = ust_socket(st, AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || ust_bind(st, lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    ust_listen(st, lfd, 16))
		FAIL("ustack listen on %s:%d: %s", USTACK_ADDR, SERVER_PORT, strerror(errno));
	if (pthread_create(&t, NULL, kernel_client, &k))
		FAIL("pthread_create");
	if (ust_wait_fd(st, lfd, POLLIN)) {
		fprintf(stderr, "FAIL: no connection to accept\n");
		goto join;
	}
	cfd = ust_accept(st, lfd, NULL, NULL);
	if (cfd < 0) {
		fprintf(stderr, "FAIL: ust_accept: %s\n", strerror(errno));
		goto join;
	}
	for (;;) {   /* echo until the client's FIN */
		if (ust_wait_fd(st, cfd, POLLIN)) {
			fprintf(stderr, "FAIL: ustack server: nothing to read\n");
			break;
		}
		n = ust_read(st, cfd, buf, sizeof(buf));
		if (n == 0) {
			rc = 0;
			break;
		}
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n < 0 || ust_write_all(st, cfd, buf, (size_t)n)) {
			fprintf(stderr, "FAIL: ustack server: %s\n", strerror(errno));
			break;
		}
	}
	ust_close(st, cfd);
join:
	pthread_join(t, NULL);
	ust_close(st, lfd);
	if (rc)
		return -1;
	if (k.err)
		FAIL("kernel client failed");
	if (k.got != sizeof(client_msg) - 1 || memcmp(k.reply, client_msg, k.got))
		FAIL("kernel client got %zu bytes back, not its %zu", k.got, sizeof(client_msg) - 1);
	printf("ok: kernel client -> ustack server %s:%d, %zu bytes echoed\n",
	       USTACK_ADDR, SERVER_PORT, k.got);
	return 0;
}

/* ---- 2. ping -------------------------------------------------------------- */

static int test_ping(void)
{
	int rc = system("ping -c 2 -W 1 -q " USTACK_ADDR " >/dev/null");

	if (rc != 0)
		FAIL("ping %s: status %d", USTACK_ADDR, rc);
	printf("ok: ping %s from the kernel\n", USTACK_ADDR);
	return 0;
}

/* ---- 3. ustack client -> kernel server ------------------------------------ */

static const char ustack_msg[] = "hello kernel, this is ustack\n";
static const char kernel_prefix[] = "echo: ";

struct kserver {
	int lfd;
	int err;
};

static void *kernel_server(void *arg)
{
	struct kserver *k = arg;
	struct pollfd p = { .fd = k->lfd, .events = POLLIN };
	char buf[256], out[512];
	size_t got = 0;
	ssize_t n;
	int s;

	k->err = -1;
	if (poll(&p, 1, WAIT_MS) != 1)
		return NULL;
	s = accept(k->lfd, NULL, NULL);
	if (s < 0)
		return NULL;
	kernel_timeouts(s);
	while (got < sizeof(ustack_msg) - 1 &&
	       (n = recv(s, buf + got, sizeof(buf) - got, 0)) > 0)
		got += (size_t)n;
	if (got == sizeof(ustack_msg) - 1 && !memcmp(buf, ustack_msg, got)) {
		memcpy(out, kernel_prefix, sizeof(kernel_prefix) - 1);
		memcpy(out + sizeof(kernel_prefix) - 1, buf, got);
		n = (ssize_t)(sizeof(kernel_prefix) - 1 + got);
		if (send(s, out, (size_t)n, 0) == n)
			k->err = 0;
	}
	close(s);   /* the kernel closes first */
	return NULL;
}

static int test_ustack_client(struct ust_stack *st)
{
	struct sockaddr_in sa = sin_of(KERNEL_ADDR, KSERVER_PORT);
	struct kserver k = { .lfd = -1 };
	char reply[512];
	size_t got = 0;
	pthread_t t;
	int one = 1, fd, rc = -1;
	ssize_t n;

	k.lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (k.lfd < 0)
		FAIL("kernel socket: %s", strerror(errno));
	setsockopt(k.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(k.lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(k.lfd, 4)) {
		close(k.lfd);
		FAIL("kernel listen on %s:%d: %s", KERNEL_ADDR, KSERVER_PORT, strerror(errno));
	}
	if (pthread_create(&t, NULL, kernel_server, &k)) {
		close(k.lfd);
		FAIL("pthread_create");
	}
	fd = ust_socket(st, AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || ust_connect(st, fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "FAIL: ust_connect %s:%d: %s\n", KERNEL_ADDR, KSERVER_PORT, strerror(errno));
		goto out;
	}
	if (ust_write_all(st, fd, ustack_msg, sizeof(ustack_msg) - 1)) {
		fprintf(stderr, "FAIL: ust_write: %s\n", strerror(errno));
		goto out;
	}
	for (;;) {   /* read until the kernel's FIN */
		if (ust_wait_fd(st, fd, POLLIN)) {
			fprintf(stderr, "FAIL: ustack client: no reply\n");
			goto out;
		}
		n = ust_read(st, fd, reply + got, sizeof(reply) - got);
		if (n == 0)
			break;
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n < 0) {
			fprintf(stderr, "FAIL: ust_read: %s\n", strerror(errno));
			goto out;
		}
		got += (size_t)n;
	}
	rc = 0;
out:
	if (fd >= 0)
		ust_close(st, fd);
	pthread_join(t, NULL);
	close(k.lfd);
	if (rc)
		return -1;
	if (k.err)
		FAIL("kernel server did not get ustack's message");
	if (got != sizeof(kernel_prefix) - 1 + sizeof(ustack_msg) - 1 ||
	    memcmp(reply, kernel_prefix, sizeof(kernel_prefix) - 1) ||
	    memcmp(reply + sizeof(kernel_prefix) - 1, ustack_msg, sizeof(ustack_msg) - 1))
		FAIL("ustack client got a wrong reply (%zu bytes)", got);
	printf("ok: ustack client -> kernel server %s:%d, exchange and close\n",
	       KERNEL_ADDR, KSERVER_PORT);
	return 0;
}

/* ---- setup ---------------------------------------------------------------- */

static int run(const char *cmd)
{
	int rc = system(cmd);

	if (rc != 0)
		fprintf(stderr, "FAIL: `%s`: status %d\n", cmd, rc);
	return rc;
}

/* The kernel's side of the wire. No IPv6 chatter in the capture; a TAP's
 * kernel side accepts gratuitous ARP (arp_accept=1) so the test can see
 * ustack's announcement learnt. */
static int configure_kernel_side(const char *ifname, bool tap)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
		 "sysctl -qw net.ipv6.conf.%s.disable_ipv6=1 %s%s%s && "
		 "ip link set %s up && ip addr add " KERNEL_ADDR "/24 dev %s",
		 ifname, tap ? "net.ipv4.conf." : "", tap ? ifname : "", tap ? ".arp_accept=1" : "",
		 ifname, ifname);
	return run(cmd);
}

int main(int argc, char **argv)
{
	struct loop l = { .st = NULL };
	struct ust_netdev_stats ds;
	struct ust_netdev *dev;
	const char *ifname;
	pthread_t thr;
	bool tap;
	int failed = 0;

	if (argc != 3 || (strcmp(argv[1], "tap") && strcmp(argv[1], "tun"))) {
		fprintf(stderr, "usage: %s tap|tun CAPTURE.pcap (run by run.sh in a namespace)\n", argv[0]);
		return 2;
	}
	tap = !strcmp(argv[1], "tap");
	ifname = tap ? "ustap0" : "ustun0";
	alarm(DEADLINE_S);   /* whatever hangs, the test ends by itself */
	setvbuf(stdout, NULL, _IOLBF, 0);
	l.st = ust_stack_new(NULL);
	if (!l.st) {
		perror("ust_stack_new");
		return 1;
	}
	if ((tap ? ust_tap_open : ust_tun_open)(l.st, ifname, &dev)) {
		fprintf(stderr, "FAIL: ust_%s_open %s: %s\n", argv[1], ifname, strerror(errno));
		return 1;
	}
	printf("%s: kernel side %s, ustack device %s, mtu %u\n", argv[1],
	       ust_tap_ifname(dev), ust_netdev_name(dev), ust_netdev_mtu(dev));
	if (ust_netdev_pcap_open(dev, argv[2])) {
		fprintf(stderr, "FAIL: pcap %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	if (ust_addr_add(l.st, dev, inet_addr(USTACK_ADDR), 24)) {
		fprintf(stderr, "FAIL: ust_addr_add: %s\n", strerror(errno));
		return 1;
	}
	if (configure_kernel_side(ifname, tap))
		return 1;
	if (tap)
		failed |= test_gratuitous_arp(dev, ifname) != 0;
	if (pthread_create(&thr, NULL, stack_thread, &l)) {
		fprintf(stderr, "FAIL: pthread_create\n");
		return 1;
	}

	failed |= test_kernel_client(l.st) != 0;
	failed |= test_ping() != 0;
	failed |= test_ustack_client(l.st) != 0;
	failed |= test_closed_ports(l.st) != 0;
	if (tap)
		failed |= test_kernel_neigh(dev, ifname) != 0;

	usleep(300 * 1000);   /* the last ACKs of the closes, into the capture */
	atomic_store(&l.stop, 1);
	pthread_join(thr, NULL);
	ust_netdev_get_stats(dev, &ds);
	printf("%s stats: rx %llu pkts, tx %llu pkts, rx_dropped %llu, tx_dropped %llu\n", argv[1],
	       (unsigned long long)ds.rx_packets, (unsigned long long)ds.tx_packets,
	       (unsigned long long)ds.rx_dropped, (unsigned long long)ds.tx_dropped);
	ust_netdev_pcap_close(dev);
	ust_stack_free(l.st);
	return failed ? 1 : 0;
}
