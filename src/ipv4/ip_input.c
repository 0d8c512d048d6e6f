/*
 * Receive path, as Linux's packet_type dispatch, ip_rcv_core, ip_rcv_finish
 * (ip_route_input for a host that does not forward) and ip_local_deliver.
 *
 *   ust_ipv4_rx (device rx handler)
 *     Ethernet: parse, pkt_type from the destination MAC; ARP -> ust_arp_rcv;
 *               IPv4 -> ust_ip_rcv; VLAN-tagged or other EtherType -> the
 *               device's rx_dropped (as __netif_receive_skb with no handler)
 *     IP framing (tun, IP memlink, loopback): ust_ip_rcv
 *   ust_ip_rcv      other host -> rx_dropped; IpInReceives/InOctets; header
 *                   checks in ip_rcv_core's order; trim the link padding
 *   ip_route_input  local, broadcast, or not for us (IpInAddrErrors: we do
 *                   not forward, so ip_error counts EHOSTUNREACH there)
 *   ust_ip_local_deliver  fragments dropped (IpReasmReqds + IpReasmFails:
 *                   no reassembly); the protocol's handler (IpInDelivers) or
 *                   ICMP protocol unreachable (IpInUnknownProtos)
 *
 * Looped-back packets (pkt->dev == the loopback) keep the route they were
 * sent with in Linux and skip ip_route_input; here they are local (or a
 * local broadcast) without the martian checks.
 */
#include <errno.h>
#include <string.h>
#include "ipv4/ipv4.h"
#include "wire/eth.h"

#define IP_HLEN_MIN UST_IPV4_HLEN

static void drop_dev(struct ust_pkt *pkt)
{
	if (pkt->dev)
		pkt->dev->stats.rx_dropped++;
	ust_pkt_free(pkt);
}

void ust_ipv4_rx(struct ust_netdev *dev, struct ust_pkt *pkt, void *ctx)
{
	struct ust_ipv4 *ip = ctx;
	struct ust_eth_info eth;
	uint32_t type;

	pkt->flags &= ~(UST_PKT_TYPE_MASK | UST_PKT_F_IP_BCAST);
	if (dev->framing == UST_FRAMING_IP) {
		ust_ip_rcv(ip, pkt);
		return;
	}
	if (ust_eth_parse(pkt->data, pkt->len, &eth) < 0 || eth.tagged ||
	    (eth.ethertype != UST_ETH_P_IP && eth.ethertype != UST_ETH_P_ARP)) {
		drop_dev(pkt);
		return;
	}
	if (memcmp(eth.dst, dev->mac, UST_ETH_ALEN) == 0)
		type = UST_PACKET_HOST;
	else if (ust_eth_is_broadcast(eth.dst))
		type = UST_PACKET_BROADCAST;
	else if (ust_eth_is_multicast(eth.dst))
		type = UST_PACKET_MULTICAST;
	else
		type = UST_PACKET_OTHERHOST;
	pkt->flags |= type;
	ust_pkt_pull(pkt, UST_ETH_HLEN);
	if (eth.ethertype == UST_ETH_P_ARP)
		ust_arp_rcv(ip, pkt);
	else
		ust_ip_rcv(ip, pkt);
}

/* A source no host may use, or one of ours arriving from outside
 * (fib_validate_source with rp_filter=0). */
static bool martian_source(struct ust_ipv4 *ip, ust_be32 saddr)
{
	return ust_ipv4_is_multicast(saddr) || ust_ipv4_is_lbcast(saddr) ||
	       ust_ipv4_is_loopback(saddr) || (saddr && ust_inet_ifa_find(ip, saddr));
}

/*
 * ip_route_input_slow for a non-forwarding host: returns UST_RTN_LOCAL or
 * UST_RTN_BROADCAST, or -errno after counting why the datagram is dropped.
 */
static int ip_route_input(struct ust_ipv4 *ip, const struct ust_pkt *pkt, const struct ust_ipv4_info *iph)
{
	ust_be32 saddr = iph->saddr, daddr = iph->daddr;
	const struct ust_fib_info *r;

	if (pkt->dev == &ip->lo)
		return ust_inet_addr_type(ip, daddr) == UST_RTN_BROADCAST ? UST_RTN_BROADCAST : UST_RTN_LOCAL;
	if (ust_ipv4_is_multicast(daddr)) {
		ip->xstats.in_mcast_dropped++;     /* no group joined */
		return -EINVAL;
	}
	if (ust_ipv4_is_lbcast(daddr) || (saddr == 0 && daddr == 0)) {
		if (saddr && martian_source(ip, saddr))
			goto martian_src;
		return UST_RTN_BROADCAST;
	}
	if (ust_ipv4_is_zeronet(saddr) || martian_source(ip, saddr))
		goto martian_src;
	if (ust_ipv4_is_zeronet(daddr) || ust_ipv4_is_loopback(daddr)) {
		ip->xstats.in_martian_dst++;
		return -EINVAL;
	}
	r = ust_fib_table_lookup(&ip->local, daddr, 0);
	if (r && (r->type == UST_RTN_LOCAL || r->type == UST_RTN_BROADCAST))
		return r->type;
	UST_INC_STATS(ip->core, IPSTATS_MIB_INADDRERRORS);
	return -EHOSTUNREACH;
martian_src:
	ip->xstats.in_martian_src++;
	return -EINVAL;
}

void ust_ip_rcv(struct ust_ipv4 *ip, struct ust_pkt *pkt)
{
	struct ust_core *core = ip->core;
	struct ust_ipv4_info iph;
	const uint8_t *p = pkt->data;
	uint32_t hl;
	int rt_type, err;

	if (ust_pkt_type(pkt) == UST_PACKET_OTHERHOST) {
		/* ip_rcv_core: rx_otherhost_dropped, before any IP counter. */
		drop_dev(pkt);
		return;
	}
	UST_INC_STATS(core, IPSTATS_MIB_INRECEIVES);
	UST_ADD_STATS(core, IPSTATS_MIB_INOCTETS, pkt->len);
	if (pkt->len < IP_HLEN_MIN)
		goto inhdr_error;
	hl = (uint32_t)(p[0] & 0x0f) * 4;
	if ((p[0] >> 4) != 4 || hl < IP_HLEN_MIN)
		goto inhdr_error;
	UST_INC_STATS(core, IPSTATS_MIB_NOECTPKTS + (p[1] & 3));
	if (pkt->len < hl)
		goto inhdr_error;
	if (!ust_ipv4_csum_ok(p, hl)) {
		UST_INC_STATS(core, IPSTATS_MIB_CSUMERRORS);
		goto inhdr_error;
	}
	err = ust_ipv4_parse(p, pkt->len, &iph);
	if (err == -EMSGSIZE) {
		UST_INC_STATS(core, IPSTATS_MIB_INTRUNCATEDPKTS);
		goto drop;
	}
	if (err)
		goto inhdr_error;
	ust_pkt_trim(pkt, iph.tot_len);
	pkt->l3_off = (uint16_t)(pkt->data - pkt->head);

	rt_type = ip_route_input(ip, pkt, &iph);
	if (rt_type < 0)
		goto drop;
	if (rt_type == UST_RTN_BROADCAST) {
		pkt->flags |= UST_PKT_F_IP_BCAST;
		UST_INC_STATS(core, IPSTATS_MIB_INBCASTPKTS);
		UST_ADD_STATS(core, IPSTATS_MIB_INBCASTOCTETS, pkt->len);
	}
	ust_ip_local_deliver(ip, pkt, &iph);
	return;

inhdr_error:
	UST_INC_STATS(core, IPSTATS_MIB_INHDRERRORS);
drop:
	ust_pkt_free(pkt);
}

void ust_ip_local_deliver(struct ust_ipv4 *ip, struct ust_pkt *pkt, const struct ust_ipv4_info *iph)
{
	const struct ust_ip_proto_slot *slot;

	if (ust_ipv4_is_fragment(iph)) {
		/* ip_defrag would queue it; without reassembly it can only fail. */
		UST_INC_STATS(ip->core, IPSTATS_MIB_REASMREQDS);
		UST_INC_STATS(ip->core, IPSTATS_MIB_REASMFAILS);
		ust_pkt_free(pkt);
		return;
	}
	ust_pkt_pull(pkt, iph->hdr_len);
	pkt->l4_off = (uint16_t)(pkt->data - pkt->head);
	slot = &ip->protos[iph->protocol];
	if (!slot->ops) {
		/* ip_protocol_deliver_rcu: no handler and no raw socket. */
		UST_INC_STATS(ip->core, IPSTATS_MIB_INUNKNOWNPROTOS);
		(void)ust_icmp_send(ip, pkt, UST_ICMP_DEST_UNREACH, UST_ICMP_PROT_UNREACH, 0);
		ust_pkt_free(pkt);
		return;
	}
	slot->ops->handler(slot->ctx, pkt, iph);
	UST_INC_STATS(ip->core, IPSTATS_MIB_INDELIVERS);
}
