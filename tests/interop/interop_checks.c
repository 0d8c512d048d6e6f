/*
 * The interop checks beyond the data exchanges (see interop_tap.c): refused
 * connections both ways, and ARP as the kernel sees it (`ip neigh`).
 */
#include <stdlib.h>
#include <unistd.h>
#include "interop.h"

int test_closed_ports(struct ust_stack *st)
{
	struct sockaddr_in to_ustack = sin_of(USTACK_ADDR, CLOSED_PORT);
	struct sockaddr_in to_kernel = sin_of(KERNEL_ADDR, CLOSED_PORT);
	int s, fd, rc, err;

	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		FAIL("kernel socket: %s", strerror(errno));
	kernel_timeouts(s);
	rc = connect(s, (struct sockaddr *)&to_ustack, sizeof(to_ustack));
	err = errno;
	close(s);
	if (rc == 0 || err != ECONNREFUSED)
		FAIL("kernel connect to closed %s:%d: %s, want ECONNREFUSED", USTACK_ADDR, CLOSED_PORT,
		     rc ? strerror(err) : "connected");
	printf("ok: kernel -> closed port %s:%d: ECONNREFUSED\n", USTACK_ADDR, CLOSED_PORT);

	fd = ust_socket(st, AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		FAIL("ust_socket: %s", strerror(errno));
	rc = ust_connect(st, fd, (struct sockaddr *)&to_kernel, sizeof(to_kernel));
	err = errno;
	ust_close(st, fd);
	if (rc == 0 || err != ECONNREFUSED)
		FAIL("ust_connect to closed %s:%d: %s, want ECONNREFUSED", KERNEL_ADDR, CLOSED_PORT,
		     rc ? strerror(err) : "connected");
	printf("ok: ustack -> closed port %s:%d: ECONNREFUSED\n", KERNEL_ADDR, CLOSED_PORT);
	return 0;
}

static void mac_text(struct ust_netdev *dev, char out[18])
{
	uint8_t m[6];

	ust_netdev_get_mac(dev, m);
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* The kernel's `ip neigh` line for ustack's address ("" when none). */
static void kernel_neigh(const char *ifname, char *line, size_t cap)
{
	char cmd[128];
	FILE *p;

	line[0] = '\0';
	snprintf(cmd, sizeof(cmd), "ip neigh show " USTACK_ADDR " dev %s", ifname);
	p = popen(cmd, "r");
	if (!p)
		return;
	if (!fgets(line, (int)cap, p))
		line[0] = '\0';
	line[strcspn(line, "\n")] = '\0';
	pclose(p);
}

int test_gratuitous_arp(struct ust_netdev *dev, const char *ifname)
{
	char mac[18], want[32], line[256], cmd[128];

	mac_text(dev, mac);
	snprintf(want, sizeof(want), "lladdr %s STALE", mac);
	kernel_neigh(ifname, line, sizeof(line));
	if (line[0])
		FAIL("the kernel knows %s before any ARP: '%s'", USTACK_ADDR, line);
	if (ust_netdev_notify_peers(dev))
		FAIL("ust_netdev_notify_peers: %s", strerror(errno));
	for (int i = 0; i < 50 && !strstr(line, want); i++) {
		usleep(20 * 1000);
		kernel_neigh(ifname, line, sizeof(line));
	}
	if (!strstr(line, want))
		FAIL("after the gratuitous ARP the kernel has '%s', want '... %s'", line, want);
	printf("ok: gratuitous ARP: the kernel learnt %s %s\n", USTACK_ADDR, want);
	/* Forget it again: the first connection must then ask by broadcast. */
	snprintf(cmd, sizeof(cmd), "ip neigh del " USTACK_ADDR " dev %s", ifname);
	if (system(cmd) != 0)
		FAIL("`%s` failed", cmd);
	return 0;
}

int test_kernel_neigh(struct ust_netdev *dev, const char *ifname)
{
	char mac[18], line[256];

	mac_text(dev, mac);
	kernel_neigh(ifname, line, sizeof(line));
	if (!strstr(line, mac) || strstr(line, "FAILED") || strstr(line, "INCOMPLETE"))
		FAIL("the kernel's entry for %s is '%s', want lladdr %s", USTACK_ADDR, line, mac);
	printf("ok: the kernel resolved %s to ustack's %s by ARP: '%s'\n", USTACK_ADDR, mac, line);
	return 0;
}
