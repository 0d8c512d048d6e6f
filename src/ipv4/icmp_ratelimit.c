/*
 * ICMP rate limits, as Linux 6.18's icmp_send applies them to the errors it
 * sends (echo replies are not in the default mask, so never limited):
 *
 *   icmpv4_mask_allow: types outside icmp_ratemask (0x1818: dest unreach,
 *       source quench, time exceeded, parameter problem), unknown types and
 *       fragmentation-needed (PMTU discovery) are never limited.
 *   icmpv4_global_allow: one token bucket per stack. While credit is left the
 *       message passes; at none, a refill of icmp_msgs_per_sec per second
 *       elapsed (at most one second's worth, not before 20 ms) up to
 *       icmp_msgs_burst. Refused: IcmpOutRateLimitGlobal. Not applied to
 *       errors about packets that came in on loopback.
 *   icmpv4_xrlim_allow + inet_peer_xrlim_allow: one bucket per destination,
 *       in ms, earning one ms per ms up to 6 * icmp_ratelimit, each message
 *       costing icmp_ratelimit. A peer seen for the first time starts full (a
 *       burst of 6, then one a second by default). Refused:
 *       IcmpOutRateLimitHost. Not applied when the error leaves through
 *       loopback, nor when the global check was skipped or the type is not
 *       in the mask (apply_ratelimit false). An allowed message consumes 0, 1 or 2 global credits at
 *       random (icmp_global_consume), which is why the global bucket can go
 *       negative.
 *
 * Linux keeps peers in the inet_peer tree, bounded by its own garbage
 * collection. Here they live in a fixed table of UST_ICMP_PEERS slots indexed
 * by a keyed hash of the address: memory never grows with the number of
 * destinations, and a destination that collides with another replaces it and
 * starts over with a full bucket (as a peer the kernel had collected would).
 * The global bucket still caps the total.
 */
#include <string.h>
#include "ipv4/ipv4.h"

#define XRLIM_BURST_FACTOR 6
#define GLOBAL_MIN_REFILL_MS 20     /* HZ / 50 */
#define NEW_PEER_CREDIT_MS 60000    /* inet_getpeer: rate_last = now - 60 s */

static bool mask_allow(const struct ust_sysctl *s, uint8_t type, uint8_t code)
{
	if (type > 18)
		return true;
	if (type == UST_ICMP_DEST_UNREACH && code == UST_ICMP_FRAG_NEEDED)
		return true;
	return !((1u << type) & (uint32_t)s->icmp_ratemask);
}

/* icmp_global_allow. */
static bool global_allow(struct ust_ipv4 *ip)
{
	struct ust_icmp_ratelimit *rl = &ip->icmp_rl;
	const struct ust_sysctl *s = &ip->core->sysctl;
	uint64_t now = ust_jiffies(ip->core), delta;
	int64_t incr;

	if (rl->credit > 0)
		return true;
	delta = UST_MIN(now - rl->stamp, (uint64_t)1000);
	if (delta < GLOBAL_MIN_REFILL_MS)
		return false;
	incr = (int64_t)s->icmp_msgs_per_sec * (int64_t)delta / 1000;
	if (!incr)
		return false;
	rl->stamp = now;
	rl->credit = UST_MIN(rl->credit + incr, (int64_t)s->icmp_msgs_burst);
	return true;
}

bool ust_icmp_global_allow(struct ust_ipv4 *ip, const struct ust_netdev *in_dev, uint8_t type, uint8_t code,
			   bool *apply)
{
	*apply = false;
	if ((in_dev && in_dev == &ip->lo) || mask_allow(&ip->core->sysctl, type, code))
		return true;
	if (global_allow(ip)) {
		*apply = true;
		return true;
	}
	UST_INC_STATS(ip->core, ICMP_MIB_RATELIMITGLOBAL);
	return false;
}

static struct ust_icmp_peer *peer_get(struct ust_ipv4 *ip, ust_be32 daddr, uint64_t now)
{
	struct ust_icmp_ratelimit *rl = &ip->icmp_rl;
	uint32_t h = ust_hash_2words(daddr, 0, rl->seed) & (UST_ICMP_PEERS - 1);
	struct ust_icmp_peer *p = &rl->peers[h];

	if (!p->used || p->daddr != daddr) {
		p->used = true;
		p->daddr = daddr;
		p->tokens = 0;
		p->last = now - NEW_PEER_CREDIT_MS;
	}
	return p;
}

bool ust_icmp_xrlim_allow(struct ust_ipv4 *ip, const struct ust_rtable *rt, bool apply)
{
	const struct ust_sysctl *s = &ip->core->sysctl;
	uint64_t now = ust_jiffies(ip->core);
	uint64_t timeout = (uint64_t)s->icmp_ratelimit;
	struct ust_icmp_peer *p;
	bool ok = false;

	if (!apply)
		return true;
	if (rt->dev == &ip->lo)
		goto consume;
	p = peer_get(ip, rt->daddr, now);
	if (now != p->last) {
		p->tokens = UST_MIN(p->tokens + (now - p->last), XRLIM_BURST_FACTOR * timeout);
		p->last = now;
	}
	if (p->tokens >= timeout) {
		p->tokens -= timeout;
		ok = true;
	}
	if (!ok) {
		UST_INC_STATS(ip->core, ICMP_MIB_RATELIMITHOST);
		return false;
	}
consume:
	ip->icmp_rl.credit -= ust_rng_below(&ip->core->rng, 3);   /* icmp_global_consume */
	return true;
}

void ust_icmp_ratelimit_init(struct ust_ipv4 *ip)
{
	memset(&ip->icmp_rl, 0, sizeof(ip->icmp_rl));
	ip->icmp_rl.seed = ust_rng_u32(&ip->core->rng);
	/* Credit 0 and stamp 0 as in a new namespace: the first error refills. */
	ip->icmp_rl.stamp = ust_jiffies(ip->core) - 1000;
}
