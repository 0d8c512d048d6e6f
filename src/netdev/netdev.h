/*
 * The device layer under IP. A driver (memlink, tap, tun) fills in ops; the
 * stack registers one receive handler per device, the way Linux registers a
 * packet_type, so this layer never includes anything above it.
 *
 * Going down: ust_netdev_xmit(dev, pkt) -> pcap tap -> ops->xmit.
 * Going up:   ops->poll -> ust_netdev_rx(dev, pkt) -> pcap tap -> rx_handler.
 * The packet handed up belongs to the handler, which must free or keep it.
 */
#ifndef UST_NETDEV_NETDEV_H
#define UST_NETDEV_NETDEV_H

#include <stdint.h>
#include "core/core.h"
#include "core/list.h"
#include "ustack/netdev.h"

#define UST_IFNAMSIZ 16
#define UST_ETH_HLEN 14

struct ust_netdev;
struct ust_pcap;

struct ust_netdev_ops {
	/* Takes pkt (data at the link header) in every case. 0, or -errno after
	 * dropping it (the caller counts tx_dropped). */
	int (*xmit)(struct ust_netdev *dev, struct ust_pkt *pkt);
	/* Hands up to budget received packets to ust_netdev_rx; returns how many. */
	int (*poll)(struct ust_netdev *dev, int budget);
	/* Earliest clock ns at which poll will have something without new input
	 * (a delayed memlink packet); UINT64_MAX if none. May be NULL. */
	uint64_t (*next_event)(const struct ust_netdev *dev);
	/* A file descriptor that is readable when poll has work, or -1. May be NULL. */
	int (*get_fd)(const struct ust_netdev *dev);
	/* Releases the driver's state; the netdev itself is freed by the caller. */
	void (*destroy)(struct ust_netdev *dev);
};

typedef void (*ust_rx_handler_fn)(struct ust_netdev *dev, struct ust_pkt *pkt, void *ctx);

struct ust_netdev {
	const struct ust_netdev_ops *ops;
	struct ust_core *core;
	char name[UST_IFNAMSIZ];
	int ifindex;
	uint32_t mtu;                 /* IP MTU */
	enum ust_framing framing;
	uint8_t mac[6];
	ust_rx_handler_fn rx_handler;
	void *rx_ctx;
	struct ust_pcap *pcap;        /* NULL when not recording */
	struct ust_netdev_stats stats;
	struct ust_list node;         /* the stack's device list */
	void *priv;                   /* the driver's state */
};

/* Fills the common fields; the driver sets ops and priv. */
void ust_netdev_setup(struct ust_netdev *dev, struct ust_core *core, const char *name,
		      int ifindex, uint32_t mtu, enum ust_framing framing);
void ust_netdev_set_rx_handler(struct ust_netdev *dev, ust_rx_handler_fn fn, void *ctx);
/* Sends pkt (its data starts at the link header, or the IP header on an
 * IP-framed device). Takes pkt. Returns 0 or -errno. */
int ust_netdev_xmit(struct ust_netdev *dev, struct ust_pkt *pkt);
/* Called by drivers for each received packet; takes pkt. A device without a
 * handler drops it (rx_dropped). */
void ust_netdev_rx(struct ust_netdev *dev, struct ust_pkt *pkt);
/* Calls ops->destroy, closes any capture. Does not free dev. */
void ust_netdev_destroy(struct ust_netdev *dev);

/* pcap tap (pcap.c): libpcap's dumper behind a small interface. */
struct ust_pcap *ust_pcap_open(const char *path, enum ust_framing framing, uint32_t snaplen, int *err);
void ust_pcap_write(struct ust_pcap *p, uint64_t ts_ns, const uint8_t *data, uint32_t len);
void ust_pcap_close(struct ust_pcap *p);

/* memlink (memlink.c): creates the pair inside two cores. The stack owns the
 * returned devices and adds them to its lists. */
int ust_memlink_pair(struct ust_core *ca, struct ust_core *cb, const struct ust_memlink_config *cfg,
		     struct ust_netdev **a, struct ust_netdev **b);

#endif
