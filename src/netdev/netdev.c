/*
 * The device layer: common fields, the pcap tap, per-device counters, and the
 * public getters of include/ustack/netdev.h.
 *
 * Going down: ust_netdev_xmit -> pcap tap -> ops->xmit -> tx_packets/tx_bytes,
 *             or tx_dropped when the driver refuses the frame.
 * Going up:   driver poll -> ust_netdev_rx -> pcap tap -> rx_packets/rx_bytes
 *             -> rx_handler, or rx_dropped without one.
 *
 * Both directions are recorded by the tap, time-stamped with core->now, as
 * tcpdump on a Linux interface sees both directions.
 */
#include <errno.h>
#include <string.h>

#include "netdev/netdev.h"

#define PCAP_SNAPLEN 65535

void ust_netdev_setup(struct ust_netdev *dev, struct ust_core *core, const char *name,
		      int ifindex, uint32_t mtu, enum ust_framing framing)
{
	dev->core = core;
	memset(dev->name, 0, sizeof(dev->name));
	if (name)
		memcpy(dev->name, name, strnlen(name, sizeof(dev->name) - 1));
	dev->ifindex = ifindex;
	dev->mtu = mtu;
	dev->framing = framing;
	dev->rx_handler = NULL;
	dev->rx_ctx = NULL;
	dev->pcap = NULL;
	memset(&dev->stats, 0, sizeof(dev->stats));
	ust_list_init(&dev->node);
}

void ust_netdev_set_rx_handler(struct ust_netdev *dev, ust_rx_handler_fn fn, void *ctx)
{
	dev->rx_handler = fn;
	dev->rx_ctx = ctx;
}

int ust_netdev_xmit(struct ust_netdev *dev, struct ust_pkt *pkt)
{
	uint32_t len;
	int rc;

	if (unlikely(!pkt))
		return -EINVAL;
	len = pkt->len;
	pkt->dev = dev;
	if (dev->pcap)
		ust_pcap_write(dev->pcap, dev->core->now, pkt->data, len);
	rc = dev->ops->xmit(dev, pkt);   /* pkt is gone from here on */
	if (likely(rc == 0)) {
		dev->stats.tx_packets++;
		dev->stats.tx_bytes += len;
	} else {
		dev->stats.tx_dropped++;
	}
	return rc;
}

void ust_netdev_rx(struct ust_netdev *dev, struct ust_pkt *pkt)
{
	pkt->dev = dev;
	pkt->tstamp = dev->core->now;
	if (dev->pcap)
		ust_pcap_write(dev->pcap, dev->core->now, pkt->data, pkt->len);
	dev->stats.rx_packets++;
	dev->stats.rx_bytes += pkt->len;
	if (unlikely(!dev->rx_handler)) {
		dev->stats.rx_dropped++;
		ust_pkt_free(pkt);
		return;
	}
	dev->rx_handler(dev, pkt, dev->rx_ctx);
}

void ust_netdev_destroy(struct ust_netdev *dev)
{
	if (dev->ops && dev->ops->destroy)
		dev->ops->destroy(dev);
	dev->ops = NULL;
	dev->priv = NULL;
	ust_pcap_close(dev->pcap);
	dev->pcap = NULL;
}

/* Public API. */

UST_API void ust_memlink_config_init(struct ust_memlink_config *cfg)
{
	if (!cfg)
		return;
	memset(cfg, 0, sizeof(*cfg));
	cfg->framing = UST_FRAMING_ETH;
	cfg->mtu = 1500;
	cfg->queue_len = 1024;
}

UST_API const char *ust_netdev_name(const struct ust_netdev *dev)
{
	if (!dev) {
		errno = EINVAL;
		return NULL;
	}
	return dev->name;
}

UST_API int ust_netdev_ifindex(const struct ust_netdev *dev)
{
	if (!dev) {
		errno = EINVAL;
		return -1;
	}
	return dev->ifindex;
}

/* 0 (no valid MTU) with EINVAL for a NULL device. */
UST_API uint32_t ust_netdev_mtu(const struct ust_netdev *dev)
{
	if (!dev) {
		errno = EINVAL;
		return 0;
	}
	return dev->mtu;
}

UST_API enum ust_framing ust_netdev_framing(const struct ust_netdev *dev)
{
	if (!dev) {
		errno = EINVAL;
		return UST_FRAMING_ETH;
	}
	return dev->framing;
}

UST_API void ust_netdev_get_mac(const struct ust_netdev *dev, uint8_t mac[6])
{
	if (!mac)
		return;
	if (!dev) {
		errno = EINVAL;
		memset(mac, 0, 6);
		return;
	}
	memcpy(mac, dev->mac, 6);
}

UST_API void ust_netdev_get_stats(const struct ust_netdev *dev, struct ust_netdev_stats *stats)
{
	if (!stats)
		return;
	if (!dev) {
		errno = EINVAL;
		memset(stats, 0, sizeof(*stats));
		return;
	}
	*stats = dev->stats;
}

UST_API int ust_netdev_pcap_open(struct ust_netdev *dev, const char *path)
{
	struct ust_pcap *p;
	int err = 0;

	if (!dev || !path) {
		errno = EINVAL;
		return -1;
	}
	/* Open the new file first: a failed open leaves the running capture alone. */
	p = ust_pcap_open(path, dev->framing, PCAP_SNAPLEN, &err);
	if (!p) {
		errno = -err;
		return -1;
	}
	ust_pcap_close(dev->pcap);
	dev->pcap = p;
	return 0;
}

UST_API void ust_netdev_pcap_close(struct ust_netdev *dev)
{
	if (!dev)
		return;
	ust_pcap_close(dev->pcap);
	dev->pcap = NULL;
}
