/*
 * Send path, as Linux's ip_queue_xmit / ip_build_and_send_pkt ->
 * ip_local_out -> ip_output -> ip_finish_output -> ip_finish_output2 ->
 * neigh_output.
 *
 *   ust_ip_build_and_send_pkt  route lookup (IpOutNoRoutes on failure)
 *   ust_ip_queue_xmit          IPv4 header, IpOutRequests, MTU check
 *                              (IpFragFails: there is no fragmentation)
 *   ust_ip_finish_output2      IpOutTransmits + IpExtOutOctets, then
 *                              IP-framed device (tun, loopback): xmit as is;
 *                              Ethernet: broadcast/multicast MAC, or ARP
 *                              (ust_arp_output), then ust_eth_output
 *
 * The IP ID (ip_select_ident): a DF datagram of a connected socket takes the
 * socket's counter (Linux's inet_id, random at connect/accept), a DF datagram
 * without one is 0 (SYN-ACK, RST: checked against Linux 6.18), and a datagram
 * that may be fragmented (ICMP) takes the next value of one of UST_IP_IDENTS
 * per-stack counters chosen by a keyed hash of (daddr, saddr, protocol), as
 * ip_idents; Linux also adds a random step per idle period, we do not.
 */
#include <errno.h>
#include <string.h>
#include "ipv4/ipv4.h"
#include "wire/eth.h"

uint16_t ust_ip_select_ident(struct ust_ipv4 *ip, ust_be32 daddr, ust_be32 saddr, uint8_t proto)
{
	uint32_t b = ust_hash_3words(daddr, saddr, proto, ip->core->secrets.hash_seed) % UST_IP_IDENTS;

	return ip->idents[b]++;
}

int ust_eth_output(struct ust_netdev *dev, const uint8_t dst[6], uint16_t ethertype, struct ust_pkt *pkt)
{
	struct ust_eth_info eth;
	uint8_t *hdr;

	/* eth.h: frames below the 60-byte minimum are padded by the sender. */
	if (pkt->len + UST_ETH_HLEN < UST_ETH_ZLEN) {
		uint32_t pad = UST_ETH_ZLEN - UST_ETH_HLEN - pkt->len;
		uint8_t *tail = ust_pkt_put(pkt, pad);

		if (!tail)
			goto drop;
		memset(tail, 0, pad);
	}
	hdr = ust_pkt_push(pkt, UST_ETH_HLEN);
	if (!hdr)
		goto drop;
	memset(&eth, 0, sizeof(eth));
	memcpy(eth.dst, dst, UST_ETH_ALEN);
	memcpy(eth.src, dev->mac, UST_ETH_ALEN);
	eth.ethertype = ethertype;
	(void)ust_eth_build(hdr, UST_ETH_HLEN, &eth);
	return ust_netdev_xmit(dev, pkt);
drop:
	dev->stats.tx_dropped++;
	ust_pkt_free(pkt);
	return -ENOBUFS;
}

int ust_ip_finish_output2(struct ust_ipv4 *ip, struct ust_pkt *pkt, const struct ust_rtable *rt)
{
	static const uint8_t bcast[UST_ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct ust_netdev *dev = rt->dev;
	struct ust_in_device *idev;
	uint8_t mac[UST_ETH_ALEN];

	UST_INC_STATS(ip->core, IPSTATS_MIB_OUTPKTS);
	UST_ADD_STATS(ip->core, IPSTATS_MIB_OUTOCTETS, pkt->len);
	if (dev->framing == UST_FRAMING_IP)
		return ust_netdev_xmit(dev, pkt);
	if (rt->type == UST_RTN_BROADCAST || ust_ipv4_is_lbcast(rt->nexthop))
		return ust_eth_output(dev, bcast, UST_ETH_P_IP, pkt);
	if (rt->type == UST_RTN_MULTICAST || ust_ipv4_is_multicast(rt->nexthop)) {
		/* RFC 1112 6.4: 01:00:5e and the low 23 bits of the group. */
		uint32_t g = ust_h(rt->nexthop);

		mac[0] = 0x01;
		mac[1] = 0x00;
		mac[2] = 0x5e;
		mac[3] = (uint8_t)((g >> 16) & 0x7f);
		mac[4] = (uint8_t)(g >> 8);
		mac[5] = (uint8_t)g;
		return ust_eth_output(dev, mac, UST_ETH_P_IP, pkt);
	}
	idev = ust_in_dev_get(ip, dev);
	if (!idev) {
		dev->stats.tx_dropped++;
		ust_pkt_free(pkt);
		return -ENODEV;
	}
	return ust_arp_output(ip, idev, rt->nexthop, pkt);
}

int ust_ip_queue_xmit(struct ust_ipv4 *ip, struct ust_pkt *pkt, const struct ust_rtable *rt,
		      const struct ust_ip_tx *tx)
{
	struct ust_ipv4_info iph;
	uint8_t *hdr;

	memset(&iph, 0, sizeof(iph));
	iph.saddr = tx->saddr ? tx->saddr : rt->saddr;
	iph.daddr = tx->daddr ? tx->daddr : rt->daddr;
	iph.protocol = tx->protocol;
	iph.tos = tx->tos;
	iph.ttl = tx->ttl ? tx->ttl : (uint8_t)ip->core->sysctl.ip_default_ttl;
	iph.df = tx->df;
	if (tx->df)
		iph.id = tx->inet_id ? (*tx->inet_id)++ : 0;
	else
		iph.id = ust_ip_select_ident(ip, iph.daddr, iph.saddr, iph.protocol);
	pkt->l4_off = (uint16_t)(pkt->data - pkt->head);
	if (pkt->len > 0xffff - UST_IPV4_HLEN || !(hdr = ust_pkt_push(pkt, UST_IPV4_HLEN))) {
		UST_INC_STATS(ip->core, IPSTATS_MIB_OUTDISCARDS);
		ust_pkt_free(pkt);
		return -ENOBUFS;
	}
	iph.tot_len = (uint16_t)pkt->len;
	(void)ust_ipv4_build(hdr, UST_IPV4_HLEN, &iph);
	pkt->l3_off = (uint16_t)(pkt->data - pkt->head);
	pkt->flags &= ~(UST_PKT_TYPE_MASK | UST_PKT_F_IP_BCAST);
	UST_INC_STATS(ip->core, IPSTATS_MIB_OUTREQUESTS);
	if (pkt->len > rt->mtu) {
		/* ip_fragment with DF (and, here, without: no fragmentation). */
		UST_INC_STATS(ip->core, IPSTATS_MIB_FRAGFAILS);
		ust_pkt_free(pkt);
		return -EMSGSIZE;
	}
	return ust_ip_finish_output2(ip, pkt, rt);
}

int ust_ip_build_and_send_pkt(struct ust_ipv4 *ip, struct ust_pkt *pkt, int oif,
			      const struct ust_ip_tx *tx)
{
	struct ust_flowi4 fl = {
		.daddr = tx->daddr, .saddr = tx->saddr, .oif = oif,
		.proto = tx->protocol, .tos = tx->tos, .flags = UST_FLOWI_F_NOSTATS,
	};
	struct ust_rtable rt;

	if (ust_ip_route_output(ip, &fl, &rt) < 0) {
		/* ip_queue_xmit's no_route. */
		UST_INC_STATS(ip->core, IPSTATS_MIB_OUTNOROUTES);
		ust_pkt_free(pkt);
		return -EHOSTUNREACH;
	}
	return ust_ip_queue_xmit(ip, pkt, &rt, tx);
}
