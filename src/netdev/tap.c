/*
 * tap and tun: the stack on a kernel TUN/TAP device. The kernel's side of the
 * device is an ordinary interface (give it an address, bring it up); ustack
 * is the wire behind it. A TAP carries Ethernet frames, a TUN bare IPv4
 * packets; both are opened with IFF_NO_PI, so a read(2) is exactly one frame
 * and a write(2) sends exactly one.
 *
 * The fd is non-blocking: xmit never waits (a full kernel queue drops the
 * frame and the device layer counts tx_dropped), poll reads until EAGAIN or
 * the budget, and get_fd lets ust_stack_wait() sleep until the next frame.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include "netdev/netdev.h"
#include "netdev/tap.h"
#include "stack.h"

#define TUN_PATH "/dev/net/tun"
#define TAP_DEFAULT_MTU 1500
/* Frames dropped for want of a packet buffer are read into this. */
#define TAP_DRAIN_SIZE 65536

struct tap_priv {
	int fd;
	char ifname[IFNAMSIZ];        /* the kernel's name of the interface */
	uint8_t *drain;               /* scratch for frames we must drop */
};

static int tap_xmit(struct ust_netdev *dev, struct ust_pkt *pkt)
{
	struct tap_priv *p = dev->priv;
	ssize_t n = write(p->fd, pkt->data, pkt->len);
	int err = n < 0 ? errno : 0;

	ust_pkt_free(pkt);
	if (n < 0)
		return -err;        /* EAGAIN included: drop, never block */
	return 0;
}

static int tap_poll(struct ust_netdev *dev, int budget)
{
	struct tap_priv *p = dev->priv;
	int n = 0;

	while (n < budget) {
		struct ust_pkt *pkt = ust_pkt_alloc(&dev->core->pool);
		ssize_t len;

		if (unlikely(!pkt)) {
			/* Pool exhausted: take the frame off the device anyway, so a
			 * flood cannot wedge it, and count the drop. */
			len = read(p->fd, p->drain, TAP_DRAIN_SIZE);
			if (len < 0)
				break;
			dev->stats.rx_dropped++;
			n++;
			continue;
		}
		len = read(p->fd, pkt->data, ust_pkt_tailroom(pkt));
		if (len <= 0) {
			/* EAGAIN: drained. Anything else (EIO while the interface
			 * goes away) ends this pass too; the next one retries. */
			ust_pkt_free(pkt);
			break;
		}
		ust_pkt_put(pkt, (uint32_t)len);
		n++;
		ust_netdev_rx(dev, pkt);
	}
	return n;
}

static int tap_get_fd(const struct ust_netdev *dev)
{
	const struct tap_priv *p = dev->priv;

	return p ? p->fd : -1;
}

static void tap_destroy(struct ust_netdev *dev)
{
	struct tap_priv *p = dev->priv;

	if (!p)
		return;
	if (p->fd >= 0)
		close(p->fd);
	free(p->drain);
	free(p);
	dev->priv = NULL;
}

static const struct ust_netdev_ops tap_ops = {
	.xmit = tap_xmit,
	.poll = tap_poll,
	.get_fd = tap_get_fd,
	.destroy = tap_destroy,
};

int ust_tap_check_name(const char *name)
{
	size_t len;

	if (!name || !*name)
		return 0;            /* the kernel chooses */
	len = strnlen(name, IFNAMSIZ);
	if (len >= IFNAMSIZ || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if (name[i] == '/' || name[i] == ':' || name[i] == ' ' ||
		    name[i] == '\t' || name[i] == '\n')
			return -EINVAL;
	return 0;
}

/* The kernel interface's MTU and, for a TAP, its MAC, through an ioctl socket. */
static void kernel_side_info(const char *ifname, uint32_t *mtu, uint8_t mac[6], int *have_mac)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	*mtu = TAP_DEFAULT_MTU;
	*have_mac = 0;
	if (s < 0)
		return;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifname, strnlen(ifname, IFNAMSIZ - 1));
	if (ioctl(s, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu >= 68 && ifr.ifr_mtu <= 65535)
		*mtu = (uint32_t)ifr.ifr_mtu;
	if (ioctl(s, SIOCGIFHWADDR, &ifr) == 0) {
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
		*have_mac = 1;
	}
	close(s);
}

/* Opens /dev/net/tun as a TAP or TUN named name. 0 or -errno. */
static int tun_attach(const char *name, short flags, int *fd_out, char ifname[IFNAMSIZ])
{
	struct ifreq ifr;
	int fd, err;

	fd = open(TUN_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;     /* ENOENT, ENODEV (no module), EACCES, EPERM */
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = flags;
	if (name && *name)
		memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err = errno;
		close(fd);
		/* A kernel without TUN support answers the ioctl with these. */
		if (err == ENOTTY || err == EBADFD)
			err = ENODEV;
		return -err;
	}
	*fd_out = fd;
	memcpy(ifname, ifr.ifr_name, IFNAMSIZ);
	ifname[IFNAMSIZ - 1] = '\0';
	return 0;
}

/*
 * Attaching to a TAP/TUN raises its carrier, but the kernel activates the
 * device's queueing discipline asynchronously (linkwatch); until then it
 * drops what it sends us, e.g. the ARP reply to our first request, which
 * then costs a 1 s ARP retry. If the kernel side is up, wait (at most 1 s of
 * real time, once, at open) until it reports IFF_RUNNING, which linkwatch
 * sets in the same step.
 */
static void wait_kernel_side_running(const char *ifname)
{
	struct ifreq ifr;
	struct timespec start, now, tick = { .tv_nsec = 1000000 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifname, strnlen(ifname, IFNAMSIZ - 1));
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP) && !(ifr.ifr_flags & IFF_RUNNING)) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000000000L + (now.tv_nsec - start.tv_nsec) > 1000000000L)
			break;
		nanosleep(&tick, NULL);
	}
	close(s);
}

static int tuntap_open(struct ust_stack *st, const char *name, enum ust_framing framing,
		       struct ust_netdev **out)
{
	struct ust_netdev *dev;
	struct tap_priv *p;
	uint32_t mtu, max_mtu;
	uint8_t kmac[6] = { 0 };
	int have_mac, err, fd = -1;

	if (!st || !out) {
		errno = EINVAL;
		return -1;
	}
	err = ust_tap_check_name(name);
	if (err) {
		errno = -err;
		return -1;
	}
	dev = calloc(1, sizeof(*dev));
	p = calloc(1, sizeof(*p));
	if (p)
		p->drain = malloc(TAP_DRAIN_SIZE);
	if (!dev || !p || !p->drain) {
		if (p)
			free(p->drain);
		free(p);
		free(dev);
		errno = ENOMEM;
		return -1;
	}
	err = tun_attach(name, (short)((framing == UST_FRAMING_ETH ? IFF_TAP : IFF_TUN) | IFF_NO_PI),
			 &fd, p->ifname);
	if (err) {
		free(p->drain);
		free(p);
		free(dev);
		errno = -err;
		return -1;
	}
	p->fd = fd;
	wait_kernel_side_running(p->ifname);
	kernel_side_info(p->ifname, &mtu, kmac, &have_mac);
	/* Never promise an MTU a packet buffer cannot hold. */
	max_mtu = ust_stack_core(st)->pool.buf_size - UST_PKT_HEADROOM -
		  (framing == UST_FRAMING_ETH ? UST_ETH_HLEN : 0);
	if (mtu > max_mtu)
		mtu = max_mtu;
	ust_netdev_setup(dev, ust_stack_core(st), NULL, 0, mtu, framing);
	dev->ops = &tap_ops;
	dev->priv = p;
	ust_stack_lock(st);
	if (framing == UST_FRAMING_ETH) {
		/* Our end of the wire: a locally administered unicast address
		 * that differs from the kernel side's. */
		uint64_t r = ust_rng_u64(&dev->core->rng);

		for (int i = 0; i < 6; i++)
			dev->mac[i] = (uint8_t)(r >> (8 * i));
		dev->mac[0] = (uint8_t)((dev->mac[0] & 0xfc) | 0x02);
		if (have_mac && !memcmp(dev->mac, kmac, 6))
			dev->mac[5] ^= 0x01;
	}
	ust_stack_attach_netdev(st, dev, framing == UST_FRAMING_ETH ? "tap" : "tun");
	ust_stack_unlock(st);
	*out = dev;
	return 0;
}

int ust_tap_open(struct ust_stack *st, const char *name, struct ust_netdev **dev)
{
	return tuntap_open(st, name, UST_FRAMING_ETH, dev);
}

int ust_tun_open(struct ust_stack *st, const char *name, struct ust_netdev **dev)
{
	return tuntap_open(st, name, UST_FRAMING_IP, dev);
}

const char *ust_tap_ifname(const struct ust_netdev *dev)
{
	const struct tap_priv *p;

	if (!dev || dev->ops != &tap_ops || !dev->priv) {
		errno = EINVAL;
		return NULL;
	}
	p = dev->priv;
	return p->ifname;
}
