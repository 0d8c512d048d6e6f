/* What the interop program's parts share: the addresses, bounded waits on
 * both stacks, and the checks that live in interop_checks.c. */
#ifndef UST_INTEROP_H
#define UST_INTEROP_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include "ustack/ustack.h"

#define KERNEL_ADDR "192.0.2.1"
#define USTACK_ADDR "192.0.2.2"
#define SERVER_PORT 8080
#define KSERVER_PORT 9090
#define CLOSED_PORT 8081          /* nothing listens here, on either side */
#define WAIT_MS 5000
#define DEADLINE_S 24

#define FAIL(...) do { fprintf(stderr, "FAIL: " __VA_ARGS__); fputc('\n', stderr); return -1; } while (0)

static inline struct sockaddr_in sin_of(const char *addr, int port)
{
	struct sockaddr_in sa;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = inet_addr(addr);
	return sa;
}

static inline void kernel_timeouts(int s)
{
	struct timeval tv = { .tv_sec = WAIT_MS / 1000 };

	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));   /* bounds connect too */
}

/* Waits for ev on a ustack fd; 0 when ready. */
static inline int ust_wait_fd(struct ust_stack *st, int fd, short ev)
{
	struct pollfd p = { .fd = fd, .events = ev };

	return ust_poll(st, &p, 1, WAIT_MS) == 1 ? 0 : -1;
}

/* interop_checks.c */
/* Connections to CLOSED_PORT both ways end in ECONNREFUSED (a RST each). */
int test_closed_ports(struct ust_stack *st);
/* Before the stack thread runs: the kernel (arp_accept=1) learns ustack's MAC
 * from ust_netdev_notify_peers' gratuitous ARP; then its entry is flushed,
 * so its first packet to ustack needs a broadcast request ustack answers. */
int test_gratuitous_arp(struct ust_netdev *dev, const char *ifname);
/* After traffic: the kernel's entry for ustack holds ustack's MAC. */
int test_kernel_neigh(struct ust_netdev *dev, const char *ifname);

#endif
