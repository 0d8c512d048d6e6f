/*
 * The FIB and the output route lookup (Linux's fib_trie.c lookups and
 * route.c:ip_route_output_key_hash_rcu, spec section 2).
 *
 * Tables: "local" (local and broadcast routes the addresses bring) and
 * "main" (connected subnets and configured routes). A lookup asks local, then
 * main, as the kernel does with its default rules. Each table is one hash of
 * routes keyed by (prefix, length) and a bitmap of lengths present; see
 * struct ust_fib_table.
 *
 * Within one prefix the candidates are taken by metric, lowest first (the
 * order of fib aliases); an unreachable/prohibit/blackhole route answers with
 * its error whatever the oif (fib_props is consulted before the nexthop
 * check); a unicast/local/broadcast route counts only when oif is 0 or its
 * device's. When nothing passes at a length the next shorter one is tried,
 * as the trie backtracks.
 *
 * ust_ip_route_output: saddr checks (R-2) -> oif checks (R-3, R-4) -> daddr 0
 * FIB -> on-link fallback with oif -> LOCAL via loopback (R-7) ->
 * source choice (R-4, R-6) -> make_route (type by daddr, MTU, advmss).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "ipv4/ipv4.h"

#define FIB_MIN_BUCKETS 64
#define IP_RT_MIN_ADVMSS 256

static uint32_t fib_hash(ust_be32 dst, uint8_t plen, uint32_t nbuckets)
{
	uint64_t h = ((uint64_t)ust_h(dst) << 6 | plen) * 0x9e3779b97f4a7c15ULL;

	return (uint32_t)(h >> 32) & (nbuckets - 1);
}

static void fib_cache_flush(struct ust_fib_table *t)
{
	memset(t->cache, 0, sizeof(t->cache));
}

int ust_fib_table_init(struct ust_fib_table *t, uint8_t id)
{
	memset(t, 0, sizeof(*t));
	t->buckets = calloc(FIB_MIN_BUCKETS, sizeof(*t->buckets));
	if (!t->buckets)
		return -ENOMEM;
	t->nbuckets = FIB_MIN_BUCKETS;
	t->id = id;
	ust_list_init(&t->routes);
	return 0;
}

void ust_fib_table_destroy(struct ust_fib_table *t)
{
	struct ust_list *pos, *tmp;

	if (!t->buckets)
		return;
	ust_list_for_each_safe(pos, tmp, &t->routes)
		free(container_of(pos, struct ust_fib_info, lnode));
	free(t->buckets);
	t->buckets = NULL;
	t->nr = 0;
	t->len_map = 0;
	fib_cache_flush(t);
}

/* Doubles the buckets; on allocation failure the table keeps working, longer chains. */
static void fib_grow(struct ust_fib_table *t)
{
	uint32_t n = t->nbuckets * 2;
	struct ust_hlist_head *b = calloc(n, sizeof(*b));
	struct ust_list *pos;

	if (!b)
		return;
	ust_list_for_each(pos, &t->routes) {
		struct ust_fib_info *r = container_of(pos, struct ust_fib_info, lnode);

		ust_hlist_del(&r->hnode);
		ust_hlist_add_head(&b[fib_hash(r->dst, r->plen, n)], &r->hnode);
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
}

static bool is_error_type(uint8_t type)
{
	return type == UST_RTN_UNREACHABLE || type == UST_RTN_PROHIBIT || type == UST_RTN_BLACKHOLE;
}

int ust_fib_insert(struct ust_ipv4 *ip, struct ust_fib_table *t, const struct ust_fib_info *r)
{
	struct ust_hlist_node *pos;
	struct ust_fib_info *n;

	(void)ip;
	ust_hlist_for_each(pos, &t->buckets[fib_hash(r->dst, r->plen, t->nbuckets)]) {
		const struct ust_fib_info *o = container_of(pos, struct ust_fib_info, hnode);

		if (o->dst != r->dst || o->plen != r->plen || o->metric != r->metric)
			continue;
		/* Kernel routes append (fib_magic's NLM_F_APPEND): they clash only
		 * with the same route of the same device. */
		if (!(r->flags & UST_FIB_F_KERNEL) || (o->idev == r->idev && o->type == r->type))
			return -EEXIST;
	}
	n = malloc(sizeof(*n));
	if (!n)
		return -ENOMEM;
	fib_cache_flush(t);
	*n = *r;
	ust_hlist_add_head(&t->buckets[fib_hash(n->dst, n->plen, t->nbuckets)], &n->hnode);
	ust_list_add_tail(&t->routes, &n->lnode);
	t->nr++;
	if (t->len_count[n->plen]++ == 0)
		t->len_map |= 1ULL << n->plen;
	if (t->nr > t->nbuckets)
		fib_grow(t);
	return 0;
}

static void fib_remove(struct ust_fib_table *t, struct ust_fib_info *r)
{
	fib_cache_flush(t);
	ust_hlist_del(&r->hnode);
	ust_list_del(&r->lnode);
	t->nr--;
	if (--t->len_count[r->plen] == 0)
		t->len_map &= ~(1ULL << r->plen);
	free(r);
}

int ust_fib_delete(struct ust_ipv4 *ip, struct ust_fib_table *t, const struct ust_fib_info *r)
{
	struct ust_hlist_node *pos;

	(void)ip;
	ust_hlist_for_each(pos, &t->buckets[fib_hash(r->dst, r->plen, t->nbuckets)]) {
		struct ust_fib_info *o = container_of(pos, struct ust_fib_info, hnode);

		if (o->dst != r->dst || o->plen != r->plen)
			continue;
		if ((r->metric && o->metric != r->metric) || (r->gw && o->gw != r->gw) ||
		    (r->idev && o->idev != r->idev) || (r->type && o->type != r->type))
			continue;
		fib_remove(t, o);
		return 0;
	}
	return -ESRCH;
}

static void flush_table(struct ust_fib_table *t, const struct ust_in_device *idev)
{
	struct ust_list *pos, *tmp;

	ust_list_for_each_safe(pos, tmp, &t->routes) {
		struct ust_fib_info *r = container_of(pos, struct ust_fib_info, lnode);

		if (r->idev == idev)
			fib_remove(t, r);
	}
}

void ust_fib_flush_dev(struct ust_ipv4 *ip, const struct ust_in_device *idev)
{
	flush_table(&ip->local, idev);
	flush_table(&ip->main, idev);
}

/* The best candidate for exactly (key, plen), or NULL. */
static const struct ust_fib_info *probe(const struct ust_fib_table *t, ust_be32 key, uint8_t plen, int oif)
{
	const struct ust_fib_info *best = NULL;
	struct ust_hlist_node *pos;

	ust_hlist_for_each(pos, &t->buckets[fib_hash(key, plen, t->nbuckets)]) {
		const struct ust_fib_info *r = container_of(pos, struct ust_fib_info, hnode);

		if (r->dst != key || r->plen != plen)
			continue;
		if (!is_error_type(r->type) && oif && (!r->idev || r->idev->dev->ifindex != oif))
			continue;
		if (!best || r->metric < best->metric)
			best = r;
	}
	return best;
}

static const struct ust_fib_info *fib_table_lookup_slow(const struct ust_fib_table *t, ust_be32 daddr, int oif)
{
	uint64_t map = t->len_map;

	while (map) {
		uint8_t plen = (uint8_t)(63 - __builtin_clzll(map));
		const struct ust_fib_info *r = probe(t, daddr & ust_inet_make_mask(plen), plen, oif);

		if (r)
			return r;
		map &= ~(1ULL << plen);
	}
	return NULL;
}

const struct ust_fib_info *ust_fib_table_lookup_miss(const struct ust_fib_table *t, ust_be32 daddr, int oif)
{
	/* The cache is the table's memo, not its contents: filling it does not
	 * change what the (const) table answers. */
	struct ust_fib_cache *c = (struct ust_fib_cache *)&t->cache[ust_fib_cache_slot(daddr)];

	c->res = fib_table_lookup_slow(t, daddr, oif);
	c->daddr = daddr;
	c->oif = oif;
	c->valid = true;
	return c->res;
}

const struct ust_fib_info *ust_fib_lookup(const struct ust_ipv4 *ip, ust_be32 daddr, int oif)
{
	const struct ust_fib_info *r = ust_fib_table_lookup(&ip->local, daddr, oif);

	return r ? r : ust_fib_table_lookup(&ip->main, daddr, oif);
}

int ust_inet_addr_type(const struct ust_ipv4 *ip, ust_be32 addr)
{
	const struct ust_fib_info *r;

	if (ust_ipv4_is_zeronet(addr) || ust_ipv4_is_lbcast(addr))
		return ust_ipv4_is_lbcast(addr) ? UST_RTN_BROADCAST : UST_RTN_UNICAST;
	if (ust_ipv4_is_multicast(addr))
		return UST_RTN_MULTICAST;
	r = ust_fib_table_lookup(&ip->local, addr, 0);
	return r ? r->type : UST_RTN_UNICAST;
}

static int route_error(uint8_t type)
{
	switch (type) {
	case UST_RTN_UNREACHABLE:
		return -EHOSTUNREACH;
	case UST_RTN_PROHIBIT:
		return -EACCES;
	default:
		return -EINVAL;
	}
}

static int no_route(struct ust_ipv4 *ip, const struct ust_flowi4 *fl)
{
	if (!(fl->flags & UST_FLOWI_F_NOSTATS))
		UST_INC_STATS(ip->core, IPSTATS_MIB_OUTNOROUTES);
	return -ENETUNREACH;
}

/* __mkroute_output: the type by destination, the metrics, the result. */
static int make_route(struct ust_ipv4 *ip, struct ust_flowi4 *fl, const struct ust_fib_info *res,
		      struct ust_in_device *odev, uint8_t type, struct ust_rtable *rt)
{
	if (ust_ipv4_is_loopback(fl->saddr) && odev != ip->lo_idev)
		return -EINVAL;
	if (ust_ipv4_is_lbcast(fl->daddr))
		type = UST_RTN_BROADCAST;
	else if (ust_ipv4_is_multicast(fl->daddr))
		type = UST_RTN_MULTICAST;
	else if (ust_ipv4_is_zeronet(fl->daddr))
		return -EINVAL;
	rt->dev = odev->dev;
	if (!rt->fib_oif)
		rt->fib_oif = odev->dev->ifindex;
	rt->saddr = fl->saddr;
	rt->daddr = fl->daddr;
	rt->uses_gateway = res && res->gw && type == UST_RTN_UNICAST;
	rt->nexthop = rt->uses_gateway ? res->gw : fl->daddr;
	rt->type = type;
	if (odev == ip->lo_idev)
		rt->flags |= UST_RTCF_LOCAL;
	if (type == UST_RTN_BROADCAST)
		rt->flags |= UST_RTCF_BROADCAST | UST_RTCF_LOCAL;
	else if (type == UST_RTN_MULTICAST)
		rt->flags |= UST_RTCF_MULTICAST | UST_RTCF_LOCAL;
	rt->mtu = res && res->mtu ? res->mtu : odev->dev->mtu;
	if (res && res->advmss)
		rt->advmss = res->advmss;
	else
		rt->advmss = UST_MAX(rt->mtu > 40 ? rt->mtu - 40 : 0, (uint32_t)IP_RT_MIN_ADVMSS);
	return 0;
}

/* a bound source must be a unicast address of this host. */
static int check_saddr(struct ust_ipv4 *ip, struct ust_flowi4 *fl, struct ust_in_device **odev)
{
	struct ust_in_ifaddr *ifa;

	if (ust_ipv4_is_multicast(fl->saddr) || ust_ipv4_is_lbcast(fl->saddr) ||
	    ust_ipv4_is_zeronet(fl->saddr))
		return -EINVAL;
	ifa = ust_inet_ifa_find(ip, fl->saddr);
	if (!fl->oif && (ust_ipv4_is_multicast(fl->daddr) || ust_ipv4_is_lbcast(fl->daddr))) {
		/* Linux's "special hack": out of the device owning saddr. */
		if (!ifa)
			return no_route(ip, fl);
		*odev = ifa->idev;
		fl->oif = ifa->idev->dev->ifindex;
		return 1;
	}
	if (!(fl->flags & UST_FLOWI_F_ANYSRC) && !ifa &&
	    ust_inet_addr_type(ip, fl->saddr) != UST_RTN_LOCAL)
		return no_route(ip, fl);
	return 0;
}

/* the bound device must exist and be up. */
static int check_oif(struct ust_ipv4 *ip, struct ust_flowi4 *fl, struct ust_in_device **odev)
{
	struct ust_in_device *d = ust_in_dev_by_index(ip, fl->oif);

	if (!d)
		return -ENODEV;
	if (!d->up)
		return no_route(ip, fl);
	*odev = d;
	if (ust_ipv4_is_local_multicast(fl->daddr) || ust_ipv4_is_lbcast(fl->daddr)) {
		if (!fl->saddr)
			fl->saddr = ust_inet_select_addr(ip, d, 0, UST_SCOPE_LINK);
		return 1;
	}
	if (!fl->saddr) {
		if (ust_ipv4_is_multicast(fl->daddr))
			fl->saddr = ust_inet_select_addr(ip, d, 0, UST_SCOPE_LINK);
		else if (!fl->daddr)
			fl->saddr = ust_inet_select_addr(ip, d, 0, UST_SCOPE_HOST);
	}
	return 0;
}

int ust_ip_route_output(struct ust_ipv4 *ip, struct ust_flowi4 *fl, struct ust_rtable *rt)
{
	struct ust_in_device *odev = NULL;
	const struct ust_fib_info *res;
	int err;

	memset(rt, 0, sizeof(*rt));
	if (fl->saddr) {
		err = check_saddr(ip, fl, &odev);
		if (err < 0)
			return err;
		if (err > 0)
			return make_route(ip, fl, NULL, odev, UST_RTN_UNICAST, rt);
	}
	if (fl->oif) {
		err = check_oif(ip, fl, &odev);
		if (err < 0)
			return err;
		if (err > 0)
			return make_route(ip, fl, NULL, odev, UST_RTN_UNICAST, rt);
	}
	if (!fl->daddr) {
		/* 0.0.0.0 is this host. */
		fl->daddr = fl->saddr;
		if (!fl->daddr)
			fl->daddr = fl->saddr = __builtin_bswap32(UST_INADDR_LOOPBACK);
		rt->fib_oif = UST_LOOPBACK_IFINDEX;
		return make_route(ip, fl, NULL, ip->lo_idev, UST_RTN_LOCAL, rt);
	}
	res = ust_fib_lookup(ip, fl->daddr, fl->oif);
	if (!res || is_error_type(res->type)) {
		if (fl->oif) {
			/* no route through the bound device: assume on-link. */
			if (!fl->saddr)
				fl->saddr = ust_inet_select_addr(ip, odev, 0, UST_SCOPE_LINK);
			return make_route(ip, fl, NULL, odev, UST_RTN_UNICAST, rt);
		}
		return res ? route_error(res->type) : no_route(ip, fl);
	}
	if (res->type == UST_RTN_LOCAL) {
		/* a local destination goes through loopback; its source is the
		 * route's prefsrc, else the destination itself. */
		if (!fl->saddr)
			fl->saddr = res->prefsrc ? res->prefsrc : fl->daddr;
		rt->fib_oif = res->idev->dev->ifindex;
		return make_route(ip, fl, res, ip->lo_idev, UST_RTN_LOCAL, rt);
	}
	/* fib_select_path / FIB_RES_PREFSRC: R-4 against the route's device and gateway. */
	if (!fl->saddr)
		fl->saddr = res->prefsrc ? res->prefsrc
					 : ust_inet_select_addr(ip, res->idev, res->gw, res->scope);
	return make_route(ip, fl, res, res->idev, res->type, rt);
}
