/*
 * ARP and the neighbour table (Linux's arp.c and neighbour.c for arp_tbl).
 *
 * Entries are keyed by (device, IPv4 address) in a hash of
 * UST_ARP_HASH_SIZE buckets and hold at most gc_thresh3 entries; each has
 * its own timer from core->timers. States and timeouts, with Linux's
 * defaults (struct ust_ipv4_sysctl):
 *
 *   (new) --send--> INCOMPLETE: broadcast request now and every
 *        retrans_time (1 s); after mcast_solicit (3) requests, one more
 *        retrans_time, then FAILED: res_failed, every queued packet answered
 *        with ICMP host unreachable to its sender (so a connect() fails with
 *        EHOSTUNREACH after 3 s, as on Linux) and dropped (unres_discards)
 *   reply (unicast)           -> REACHABLE for reachable_ms, drawn once per
 *                                stack in [base/2, 3*base/2) as Linux does
 *   request or broadcast reply -> STALE (never closer than it was)
 *   REACHABLE expires         -> STALE; STALE used -> DELAY (5 s) -> PROBE:
 *                                unicast requests every 1 s, ucast_solicit (3)
 *                                of them, then FAILED
 *   STALE or FAILED unused for gc_stale_time (60 s) -> freed
 *
 * Packets waiting for resolution are queued on the entry, oldest first, up
 * to unres_qlen_bytes (212992) of buffer size (Linux counts truesize); on
 * overflow the oldest goes (unres_discards). When resolved, all are sent.
 *
 * Gratuitous ARP: arp_notify.c.
 *
 * arp_process: requests for any of our addresses (arp_ignore=0) are answered
 * and teach us the sender (STALE); other ARP updates only entries that exist
 * (arp_accept=0). A request from 0.0.0.0 (duplicate address detection) for
 * our address is answered to its sender's MAC.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "ipv4/ipv4.h"
#include "wire/arp.h"
#include "wire/eth.h"

static const uint8_t eth_bcast[UST_ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t eth_zero[UST_ETH_ALEN];

static uint32_t neigh_bucket(int ifindex, ust_be32 addr)
{
	uint32_t h = ust_h(addr) * 0x9e3779b1u ^ (uint32_t)ifindex * 0x85ebca6bu;

	h ^= h >> 15;
	return h & (UST_ARP_HASH_SIZE - 1);
}

static struct ust_ipv4 *tbl_ipv4(struct ust_arp_table *t)
{
	return container_of(t, struct ust_ipv4, arp);
}

static void neigh_timer_fire(struct ust_timer *t);

void ust_arp_table_init(struct ust_ipv4 *ip)
{
	uint32_t base = ip->sysctl.base_reachable_time_ms;

	memset(&ip->arp, 0, sizeof(ip->arp));
	/* neigh_rand_reach_time. */
	ip->arp.reachable_ms = base / 2 + (base ? ust_rng_below(&ip->core->rng, base) : 0);
}

static void queue_purge(struct ust_neigh *n, bool count)
{
	while (n->q_head) {
		struct ust_pkt *pkt = n->q_head;

		n->q_head = pkt->next;
		pkt->next = NULL;
		if (count)
			n->tbl->stats.unres_discards++;
		ust_pkt_free(pkt);
	}
	n->q_tail = NULL;
	n->q_len = 0;
	n->q_bytes = 0;
}

static void neigh_destroy(struct ust_ipv4 *ip, struct ust_neigh *n)
{
	ust_timer_cancel(&ip->core->timers, &n->timer);
	queue_purge(n, false);
	ust_hlist_del(&n->hnode);
	ip->arp.nr--;
	ip->arp.stats.destroys++;
	free(n);
}

void ust_arp_table_destroy(struct ust_ipv4 *ip)
{
	for (uint32_t i = 0; i < UST_ARP_HASH_SIZE; i++) {
		struct ust_hlist_node *pos, *tmp;

		ust_hlist_for_each_safe(pos, tmp, &ip->arp.hash[i])
			neigh_destroy(ip, container_of(pos, struct ust_neigh, hnode));
	}
}

void ust_arp_flush_dev(struct ust_ipv4 *ip, const struct ust_in_device *idev)
{
	for (uint32_t i = 0; i < UST_ARP_HASH_SIZE; i++) {
		struct ust_hlist_node *pos, *tmp;

		ust_hlist_for_each_safe(pos, tmp, &ip->arp.hash[i]) {
			struct ust_neigh *n = container_of(pos, struct ust_neigh, hnode);

			if (n->idev == idev)
				neigh_destroy(ip, n);
		}
	}
}

struct ust_neigh *ust_neigh_lookup(struct ust_ipv4 *ip, const struct ust_in_device *idev, ust_be32 addr)
{
	struct ust_hlist_node *pos;

	ip->arp.stats.lookups++;
	ust_hlist_for_each(pos, &ip->arp.hash[neigh_bucket(idev->dev->ifindex, addr)]) {
		struct ust_neigh *n = container_of(pos, struct ust_neigh, hnode);

		if (n->ip == addr && n->idev == idev) {
			ip->arp.stats.hits++;
			return n;
		}
	}
	return NULL;
}

/* neigh_forced_gc: at the limit, one STALE or FAILED entry with nothing
 * queued makes room. Only a full table pays for the walk. */
static bool forced_gc(struct ust_ipv4 *ip)
{
	for (uint32_t i = 0; i < UST_ARP_HASH_SIZE; i++) {
		struct ust_hlist_node *pos;

		ust_hlist_for_each(pos, &ip->arp.hash[i]) {
			struct ust_neigh *n = container_of(pos, struct ust_neigh, hnode);

			if ((n->state & (UST_NUD_STALE | UST_NUD_FAILED)) && !n->q_head) {
				neigh_destroy(ip, n);
				return true;
			}
		}
	}
	return false;
}

static struct ust_neigh *neigh_create(struct ust_ipv4 *ip, struct ust_in_device *idev, ust_be32 addr)
{
	struct ust_neigh *n;

	if (ip->arp.nr >= ip->sysctl.gc_thresh3 && !forced_gc(ip)) {
		ip->arp.stats.table_fulls++;
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->tbl = &ip->arp;
	n->idev = idev;
	n->ip = addr;
	n->updated = ip->core->now;
	ust_timer_init(&n->timer, neigh_timer_fire);
	ust_hlist_add_head(&ip->arp.hash[neigh_bucket(idev->dev->ifindex, addr)], &n->hnode);
	ip->arp.nr++;
	ip->arp.stats.allocs++;
	return n;
}

/* arp_send_dst: one ARP packet out of idev's device. */
static int arp_send(struct ust_ipv4 *ip, struct ust_in_device *idev, uint16_t op, const uint8_t *eth_dst,
		    ust_be32 sip, const uint8_t *tha, ust_be32 tip)
{
	struct ust_pkt *pkt = ust_pkt_alloc(&ip->core->pool);
	struct ust_arp_info a;
	uint8_t *d;

	if (!pkt)
		return -ENOBUFS;
	d = ust_pkt_put(pkt, UST_ARP_LEN);
	if (!d) {
		ust_pkt_free(pkt);
		return -ENOBUFS;
	}
	memset(&a, 0, sizeof(a));
	a.op = op;
	memcpy(a.sha, idev->dev->mac, UST_ETH_ALEN);
	a.spa = sip;
	memcpy(a.tha, tha, UST_ETH_ALEN);
	a.tpa = tip;
	(void)ust_arp_build(d, UST_ARP_LEN, &a);
	return ust_eth_output(idev->dev, eth_dst, UST_ETH_P_ARP, pkt);
}

int ust_arp_announce(struct ust_ipv4 *ip, struct ust_in_device *idev, ust_be32 addr)
{
	if (idev->dev->framing != UST_FRAMING_ETH || !idev->up)
		return -EINVAL;
	return arp_send(ip, idev, UST_ARPOP_REQUEST, eth_bcast, addr, eth_zero, addr);
}

/* arp_solicit: the sender address is the waiting packet's source when it is
 * ours (arp_announce=0), else inet_select_addr on the device. */
static void arp_solicit(struct ust_ipv4 *ip, struct ust_neigh *n)
{
	ust_be32 saddr = 0;

	if (n->q_tail && n->q_tail->len >= UST_IPV4_HLEN) {
		ust_be32 s = ust_load_be32(n->q_tail->data + 12);

		if (ust_inet_addr_type(ip, s) == UST_RTN_LOCAL)
			saddr = s;
	}
	if (!saddr)
		saddr = ust_inet_select_addr(ip, n->idev, n->ip, UST_SCOPE_LINK);
	n->probes++;
	(void)arp_send(ip, n->idev, UST_ARPOP_REQUEST, n->state == UST_NUD_PROBE ? n->mac : eth_bcast,
		       saddr, eth_zero, n->ip);
}

static void neigh_xmit(struct ust_neigh *n, struct ust_pkt *pkt)
{
	(void)ust_eth_output(n->idev->dev, n->mac, UST_ETH_P_IP, pkt);
}

static void arm_ms(struct ust_ipv4 *ip, struct ust_neigh *n, uint64_t ms)
{
	ust_core_timer_arm_ms(ip->core, &n->timer, ms);
}

static uint64_t ms_ns(uint32_t ms) { return (uint64_t)ms * 1000000ULL; }

/* neigh_invalidate: resolution failed; each waiting packet is reported to
 * its sender as host unreachable (arp_error_report -> ipv4_link_failure). */
static void neigh_fail(struct ust_ipv4 *ip, struct ust_neigh *n)
{
	n->state = UST_NUD_FAILED;
	n->updated = ip->core->now;
	ip->arp.stats.res_failed++;
	while (n->q_head) {
		struct ust_pkt *pkt = n->q_head;

		n->q_head = pkt->next;
		pkt->next = NULL;
		ip->arp.stats.unres_discards++;
		(void)ust_icmp_send(ip, pkt, UST_ICMP_DEST_UNREACH, UST_ICMP_HOST_UNREACH, 0);
		ust_pkt_free(pkt);
	}
	n->q_tail = NULL;
	n->q_len = 0;
	n->q_bytes = 0;
	arm_ms(ip, n, ip->sysctl.gc_stale_time_ms);
}

/* neigh_timer_handler. */
static void neigh_timer_fire(struct ust_timer *t)
{
	struct ust_neigh *n = container_of(t, struct ust_neigh, timer);
	struct ust_ipv4 *ip = tbl_ipv4(n->tbl);
	const struct ust_ipv4_sysctl *s = &ip->sysctl;
	uint64_t now = ip->core->now;

	switch (n->state) {
	case UST_NUD_REACHABLE:
		if (now < n->confirmed + ms_ns(n->tbl->reachable_ms)) {
			arm_ms(ip, n, (n->confirmed + ms_ns(n->tbl->reachable_ms) - now) / 1000000ULL + 1);
		} else if (now < n->used + ms_ns(s->delay_first_probe_time_ms)) {
			n->state = UST_NUD_DELAY;
			n->updated = now;
			arm_ms(ip, n, s->delay_first_probe_time_ms);
		} else {
			n->state = UST_NUD_STALE;
			n->updated = now;
			arm_ms(ip, n, s->gc_stale_time_ms);
		}
		break;
	case UST_NUD_DELAY:
		if (now <= n->confirmed + ms_ns(s->delay_first_probe_time_ms)) {
			n->state = UST_NUD_REACHABLE;
			n->updated = now;
			arm_ms(ip, n, n->tbl->reachable_ms);
			break;
		}
		n->state = UST_NUD_PROBE;
		n->updated = now;
		n->probes = 0;
		arm_ms(ip, n, s->retrans_time_ms);
		arp_solicit(ip, n);
		break;
	case UST_NUD_INCOMPLETE:
	case UST_NUD_PROBE:
		/* neigh_max_probes: ucast + mcast for INCOMPLETE (probes started
		 * at ucast_solicit), ucast for PROBE (started at 0). */
		if (n->probes >= s->ucast_solicit + (n->state == UST_NUD_INCOMPLETE ? s->mcast_solicit : 0)) {
			neigh_fail(ip, n);
			break;
		}
		arm_ms(ip, n, s->retrans_time_ms);
		arp_solicit(ip, n);
		break;
	default:
		/* STALE or FAILED unused for gc_stale_time. */
		if (!n->q_head)
			neigh_destroy(ip, n);
		break;
	}
}

/* neigh_update for the states ARP can set. */
static void neigh_update(struct ust_ipv4 *ip, struct ust_neigh *n, const uint8_t *mac, uint8_t state,
			 bool override)
{
	uint8_t old = n->state;
	bool same = memcmp(mac, n->mac, UST_ETH_ALEN) == 0;

	/* Only news of reachability confirms: a request from a REACHABLE peer
	 * keeps the entry as it is, timer and all. */
	if (state == UST_NUD_REACHABLE)
		n->confirmed = ip->core->now;
	if (old & UST_NUD_VALID) {
		if (!same && !override)
			return;
		if (same && state == UST_NUD_STALE)
			state = old;    /* valid and unchanged: STALE news changes nothing */
	}
	if (!same || state != old)
		n->updated = ip->core->now;
	memcpy(n->mac, mac, UST_ETH_ALEN);
	n->state = state;
	if (state != old && state == UST_NUD_REACHABLE)
		arm_ms(ip, n, n->tbl->reachable_ms);
	else if (state != old && state == UST_NUD_STALE)
		arm_ms(ip, n, ip->sysctl.gc_stale_time_ms);
	if (!(old & UST_NUD_VALID)) {
		while (n->q_head) {
			struct ust_pkt *pkt = n->q_head;

			n->q_head = pkt->next;
			pkt->next = NULL;
			neigh_xmit(n, pkt);
		}
		n->q_tail = NULL;
		n->q_len = 0;
		n->q_bytes = 0;
	}
}

static void enqueue(struct ust_ipv4 *ip, struct ust_neigh *n, struct ust_pkt *pkt)
{
	while (n->q_head && n->q_bytes + pkt->size > ip->sysctl.unres_qlen_bytes) {
		struct ust_pkt *old = n->q_head;

		n->q_head = old->next;
		if (!n->q_head)
			n->q_tail = NULL;
		n->q_len--;
		n->q_bytes -= old->size;
		ip->arp.stats.unres_discards++;
		ust_pkt_free(old);
	}
	pkt->next = NULL;
	if (n->q_tail)
		n->q_tail->next = pkt;
	else
		n->q_head = pkt;
	n->q_tail = pkt;
	n->q_len++;
	n->q_bytes += pkt->size;
}

/* neigh_resolve_output / __neigh_event_send. */
int ust_arp_output(struct ust_ipv4 *ip, struct ust_in_device *idev, ust_be32 nexthop, struct ust_pkt *pkt)
{
	struct ust_neigh *n = ust_neigh_lookup(ip, idev, nexthop);

	if (!n)
		n = neigh_create(ip, idev, nexthop);
	if (!n) {
		ip->arp.stats.unres_discards++;
		ust_pkt_free(pkt);
		return -ENOBUFS;
	}
	n->used = ip->core->now;
	switch (n->state) {
	case UST_NUD_STALE:
		n->state = UST_NUD_DELAY;
		n->updated = ip->core->now;
		arm_ms(ip, n, ip->sysctl.delay_first_probe_time_ms);
		/* fall through */
	case UST_NUD_REACHABLE:
	case UST_NUD_DELAY:
	case UST_NUD_PROBE:
		neigh_xmit(n, pkt);
		return 0;
	case UST_NUD_INCOMPLETE:
		enqueue(ip, n, pkt);
		return 0;
	default:
		/* New or FAILED: start resolving, first request now. */
		n->state = UST_NUD_INCOMPLETE;
		n->updated = ip->core->now;
		n->probes = ip->sysctl.ucast_solicit;
		enqueue(ip, n, pkt);
		arm_ms(ip, n, ip->sysctl.retrans_time_ms);
		arp_solicit(ip, n);
		return 0;
	}
}

void ust_arp_confirm(struct ust_ipv4 *ip, struct ust_in_device *idev, ust_be32 nexthop)
{
	struct ust_neigh *n = ust_neigh_lookup(ip, idev, nexthop);

	if (n && (n->state & UST_NUD_VALID))
		n->confirmed = ip->core->now;
}

/* arp_process for a well-formed packet. */
static void arp_process(struct ust_ipv4 *ip, struct ust_in_device *idev, const struct ust_pkt *pkt,
			const struct ust_arp_info *a)
{
	struct ust_neigh *n;
	bool garp = a->spa == a->tpa;

	if (ust_ipv4_is_multicast(a->tpa) || ust_ipv4_is_loopback(a->tpa)) {
		ip->xstats.arp_invalid++;
		return;
	}
	if (a->spa == 0) {
		/* RFC 5227 probe: answer if the address is ours. */
		if (a->op == UST_ARPOP_REQUEST && ust_inet_addr_type(ip, a->tpa) == UST_RTN_LOCAL)
			(void)arp_send(ip, idev, UST_ARPOP_REPLY, a->sha, a->tpa, a->sha, 0);
		return;
	}
	if (ust_ipv4_is_multicast(a->spa) || ust_ipv4_is_lbcast(a->spa) || ust_ipv4_is_loopback(a->spa) ||
	    ust_ipv4_is_zeronet(a->spa) || ust_inet_ifa_find(ip, a->spa)) {
		ip->xstats.arp_invalid++;      /* martian sender (ip_route_input) */
		return;
	}
	if (a->op == UST_ARPOP_REQUEST && ust_inet_addr_type(ip, a->tpa) == UST_RTN_LOCAL) {
		/* neigh_event_ns: the asker is learnt, then answered. */
		n = ust_neigh_lookup(ip, idev, a->spa);
		if (!n)
			n = neigh_create(ip, idev, a->spa);
		if (n) {
			neigh_update(ip, n, a->sha, UST_NUD_STALE, true);
			(void)arp_send(ip, idev, UST_ARPOP_REPLY, a->sha, a->tpa, a->sha, a->spa);
		}
		return;
	}
	n = ust_neigh_lookup(ip, idev, a->spa);
	if (n) {
		bool override = garp || ip->core->now > n->updated + ms_ns(ip->sysctl.locktime_ms);
		/* Broadcast replies and requests do not prove reachability. */
		uint8_t state = a->op == UST_ARPOP_REPLY && ust_pkt_type(pkt) == UST_PACKET_HOST ?
				UST_NUD_REACHABLE : UST_NUD_STALE;

		neigh_update(ip, n, a->sha, state, override || !(n->state & UST_NUD_VALID));
	}
}

void ust_arp_rcv(struct ust_ipv4 *ip, struct ust_pkt *pkt)
{
	struct ust_in_device *idev = ust_in_dev_get(ip, pkt->dev);
	struct ust_arp_info a;

	if (!idev || !idev->up || ust_pkt_type(pkt) == UST_PACKET_OTHERHOST)
		goto out;
	if (ust_arp_parse(pkt->data, pkt->len, &a) < 0) {
		ip->xstats.arp_invalid++;
		goto out;
	}
	arp_process(ip, idev, pkt, &a);
out:
	ust_pkt_free(pkt);
}
