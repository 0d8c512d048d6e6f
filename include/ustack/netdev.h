/*
 * Network devices. A device carries Ethernet frames (TAP, memlink in Ethernet
 * mode) or bare IPv4 packets (TUN, memlink in IP mode). Any device can be
 * recorded to a pcap file that tcpdump and tshark read.
 */
#ifndef USTACK_NETDEV_H
#define USTACK_NETDEV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "ustack/stack.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ust_netdev;

enum ust_framing {
	UST_FRAMING_ETH = 0,   /* Ethernet II frames */
	UST_FRAMING_IP = 1,    /* raw IPv4 packets, no link header */
};

/*
 * memlink: a point-to-point link between two stacks in one process. Each
 * direction is a bounded queue; loss, duplication, reordering and delay are
 * drawn from a seeded PRNG, so a run is reproducible. Delay is measured on the
 * receiving stack's clock. Each direction has one writer and one reader, so
 * the two stacks may be driven by different threads.
 */
struct ust_memlink_config {
	enum ust_framing framing;
	uint32_t mtu;            /* IP MTU; default 1500 */
	uint32_t queue_len;      /* packets in flight per direction; default 1024 */
	uint64_t delay_ns;       /* one-way delay */
	double loss;             /* probability a packet is lost, 0..1 */
	double dup;              /* probability a packet is delivered twice */
	double reorder;          /* probability a packet is held back behind the next */
	uint64_t seed;           /* PRNG seed for the above; 0 is a valid seed */
};

struct ust_netdev_stats {
	uint64_t rx_packets, rx_bytes, rx_dropped;
	uint64_t tx_packets, tx_bytes, tx_dropped;
	uint64_t tx_lost;        /* memlink: dropped on purpose by the loss model */
	uint64_t tx_duplicated;
	uint64_t tx_reordered;
};

UST_API void ust_memlink_config_init(struct ust_memlink_config *cfg);
/* Creates device a on stack sa and device b on stack sb, linked to each other.
 * Names are "mem0", "mem1", ... per stack. -1 with EINVAL or ENOMEM. */
UST_API int ust_memlink_create(struct ust_stack *sa, struct ust_stack *sb,
			       const struct ust_memlink_config *cfg,
			       struct ust_netdev **a, struct ust_netdev **b);

/*
 * pipe: a device whose far end is the application. ust_pipe_inject() hands
 * the stack one frame (an Ethernet frame or an IPv4 packet, by framing), which
 * it receives at once; ust_pipe_read() takes the oldest frame the stack sent
 * (0 when none is waiting; -1 with EMSGSIZE when buf is too small, the frame
 * stays). For tests, script runners and adapters. Names are "pipe0", ...
 * mtu 0 means 1500.
 */
UST_API int ust_pipe_create(struct ust_stack *st, enum ust_framing framing, uint32_t mtu,
			    struct ust_netdev **dev);
UST_API int ust_pipe_inject(struct ust_netdev *dev, const void *frame, size_t len);
UST_API ssize_t ust_pipe_read(struct ust_netdev *dev, void *buf, size_t len);
UST_API size_t ust_pipe_pending(struct ust_netdev *dev);

/*
 * tap and tun: a kernel TUN/TAP device (/dev/net/tun). The kernel's side is an
 * ordinary interface named name (NULL or "": the kernel chooses, e.g. tap0);
 * configure it with ip(8). ustack is the wire behind it: a TAP carries Ethernet
 * frames (our side gets its own locally administered MAC), a TUN bare IPv4
 * packets. The MTU is the kernel interface's (1500 if it cannot be read). The
 * fd is non-blocking; ust_stack_wait() sleeps on it. The stack's device name is
 * "tap0"/"tun0", ...; ust_tap_ifname() gives the kernel's name.
 * -1 with errno: EPERM/EACCES (no permission), ENOENT/ENODEV (no /dev/net/tun
 * or no tun module), EINVAL (bad name: too long or invalid characters), EBUSY
 * (the interface is in use), ENOMEM.
 */
UST_API int ust_tap_open(struct ust_stack *st, const char *name, struct ust_netdev **dev);
UST_API int ust_tun_open(struct ust_stack *st, const char *name, struct ust_netdev **dev);
/* The kernel's interface name of a tap/tun device; NULL (EINVAL) for others. */
UST_API const char *ust_tap_ifname(const struct ust_netdev *dev);

/* Gratuitous ARP: one broadcast request announcing each address of an up
 * Ethernet device, so the peers (re)learn its MAC (Linux's
 * netdev_notify_peers; also sent when the device comes up if the sysctl
 * arp_notify is 1). -1 with ENODEV (not a stack's device), ENETDOWN (down),
 * EOPNOTSUPP (not Ethernet). */
UST_API int ust_netdev_notify_peers(struct ust_netdev *dev);

UST_API const char *ust_netdev_name(const struct ust_netdev *dev);
UST_API int ust_netdev_ifindex(const struct ust_netdev *dev);
UST_API uint32_t ust_netdev_mtu(const struct ust_netdev *dev);
UST_API enum ust_framing ust_netdev_framing(const struct ust_netdev *dev);
UST_API void ust_netdev_get_mac(const struct ust_netdev *dev, uint8_t mac[6]);
UST_API void ust_netdev_get_stats(const struct ust_netdev *dev, struct ust_netdev_stats *stats);

/* Records every frame the device sends or receives into a pcap file
 * (LINKTYPE_ETHERNET or LINKTYPE_RAW), time-stamped with the stack's clock.
 * Replaces an open capture. -1 with errno from the file open. */
UST_API int ust_netdev_pcap_open(struct ust_netdev *dev, const char *path);
UST_API void ust_netdev_pcap_close(struct ust_netdev *dev);

#ifdef __cplusplus
}
#endif
#endif
