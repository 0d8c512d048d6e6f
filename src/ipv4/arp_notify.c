/*
 * Gratuitous ARP (Linux's inetdev_send_gratuitous_arp and
 * netdev_notify_peers). With arp_notify=1, when the device comes up, one
 * broadcast request per address (sender = target = the address), as Linux's
 * NETDEV_UP does; ust_netdev_notify_peers sends the same
 * whatever arp_notify says (NETDEV_NOTIFY_PEERS). Adding an address sends
 * nothing, as on Linux 6.18 (checked with arp_notify=1 on a veth).
 */
#include <errno.h>
#include "ipv4/ipv4.h"

void ust_arp_notify_peers(struct ust_ipv4 *ip, struct ust_in_device *idev)
{
	struct ust_list *pos;

	ust_list_for_each(pos, &idev->addrs)
		(void)ust_arp_announce(ip, idev, container_of(pos, struct ust_in_ifaddr, node)->local);
}

/* netdev_notify_peers: what a driver calls when the device's peers may have
 * lost track of it (a link that came back, a moved guest). */
UST_API int ust_netdev_notify_peers(struct ust_netdev *dev)
{
	struct ust_ipv4 *ip;
	struct ust_in_device *idev;

	if (!dev || dev->rx_handler != ust_ipv4_rx) {
		errno = dev ? ENODEV : EINVAL;
		return -1;
	}
	ip = dev->rx_ctx;
	idev = ust_in_dev_get(ip, dev);
	if (!idev)
		errno = ENODEV;
	else if (dev->framing != UST_FRAMING_ETH)
		errno = EOPNOTSUPP;
	else if (!idev->up)
		errno = ENETDOWN;
	else {
		ust_arp_notify_peers(ip, idev);
		return 0;
	}
	return -1;
}
