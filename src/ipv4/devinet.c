/*
 * IPv4 addresses per device (Linux's devinet.c) and the routes they bring
 * (fib_add_ifaddr / fib_del_ifaddr in fib_frontend.c).
 *
 * ust_inet_addr_add -> insert (primary or secondary) -> ust_fib_add_ifaddr
 *                   (no gratuitous ARP, even with arp_notify: Linux 6.18 sends
 *                   it when the device comes up, not on `ip addr add`)
 * ust_inet_addr_del -> ust_fib_del_ifaddr -> unlink (secondaries of a primary go too)
 * ust_inet_select_addr: the source address choice of spec R-4 (inet_select_addr).
 *
 * Each device keeps its addresses in Linux's order: primaries first, sorted by
 * scope (global before link before host), then in insertion order; secondaries
 * after. A second address inside the subnet (same mask) of a primary is a
 * secondary, as __inet_insert_ifa makes it. Every address is also in a hash by
 * value so "is this address local" (R-2, __ip_dev_find) is one probe.
 */
#include <errno.h>
#include <stdlib.h>
#include "ipv4/ipv4.h"

static uint32_t addr_bucket(ust_be32 a)
{
	uint32_t h = ust_h(a);

	h ^= h >> 16;
	h *= 0x45d9f3bu;
	h ^= h >> 16;
	return h & (UST_INADDR_HASH_SIZE - 1);
}

struct ust_in_ifaddr *ust_inet_ifa_find(struct ust_ipv4 *ip, ust_be32 addr)
{
	struct ust_hlist_node *pos;

	ust_hlist_for_each(pos, &ip->addr_hash[addr_bucket(addr)]) {
		struct ust_in_ifaddr *ifa = container_of(pos, struct ust_in_ifaddr, hnode);

		if (ifa->local == addr)
			return ifa;
	}
	return NULL;
}

static bool ifa_match(const struct ust_in_ifaddr *ifa, ust_be32 addr)
{
	return ((addr ^ ifa->local) & ifa->mask) == 0;
}

/* fib_magic: a kernel route for ifa. */
static void kernel_route(struct ust_ipv4 *ip, struct ust_fib_table *t, bool add, uint8_t type,
			 ust_be32 dst, int plen, struct ust_in_ifaddr *ifa, uint8_t scope)
{
	struct ust_fib_info r = {
		.dst = dst, .plen = (uint8_t)plen, .type = type, .scope = scope,
		.flags = UST_FIB_F_KERNEL, .idev = ifa->idev, .prefsrc = ifa->local,
	};

	if (add)
		(void)ust_fib_insert(ip, t, &r);   /* -EEXIST: already there for this device */
	else
		(void)ust_fib_delete(ip, t, &r);
}

/* Whether another address of the same device still needs the route to dst/plen. */
static bool other_needs(const struct ust_in_ifaddr *ifa, ust_be32 local, ust_be32 bcast)
{
	struct ust_list *pos;

	ust_list_for_each(pos, &ifa->idev->addrs) {
		const struct ust_in_ifaddr *o = container_of(pos, struct ust_in_ifaddr, node);

		if (o == ifa)
			continue;
		if (local && o->local == local)
			return true;
		if (bcast && o->broadcast == bcast)
			return true;
	}
	return false;
}

/*
 * fib_add_ifaddr: "local ADDR" (/32, table local, scope host); for a primary
 * that is not a /32, the subnet route (table main, scope link, prefsrc ADDR;
 * RTN_LOCAL in table local on the loopback device) and the subnet broadcast
 * (/32 RTN_BROADCAST, table local) when the prefix is shorter than 31.
 */
void ust_fib_add_ifaddr(struct ust_ipv4 *ip, struct ust_in_ifaddr *ifa)
{
	bool lo = ifa->idev == ip->lo_idev;
	ust_be32 prefix = ifa->local & ifa->mask;

	if (!ifa->idev->up)
		return;
	kernel_route(ip, &ip->local, true, UST_RTN_LOCAL, ifa->local, 32, ifa, UST_SCOPE_HOST);
	if ((ifa->flags & UST_IFA_F_SECONDARY) || ust_ipv4_is_zeronet(prefix))
		return;
	if (ifa->prefixlen < 32) {
		if (lo)
			kernel_route(ip, &ip->local, true, UST_RTN_LOCAL, prefix, ifa->prefixlen, ifa,
				     UST_SCOPE_HOST);
		else
			kernel_route(ip, &ip->main, true, UST_RTN_UNICAST, prefix, ifa->prefixlen, ifa,
				     UST_SCOPE_LINK);
	}
	if (ifa->prefixlen < 31)
		kernel_route(ip, &ip->local, true, UST_RTN_BROADCAST, ifa->broadcast, 32, ifa,
			     UST_SCOPE_LINK);
}

void ust_fib_del_ifaddr(struct ust_ipv4 *ip, struct ust_in_ifaddr *ifa)
{
	bool lo = ifa->idev == ip->lo_idev;
	ust_be32 prefix = ifa->local & ifa->mask;

	if (!other_needs(ifa, ifa->local, 0))
		kernel_route(ip, &ip->local, false, UST_RTN_LOCAL, ifa->local, 32, ifa, UST_SCOPE_HOST);
	if (ifa->flags & UST_IFA_F_SECONDARY)
		return;
	if (ifa->prefixlen < 32)
		kernel_route(ip, lo ? &ip->local : &ip->main, false, lo ? UST_RTN_LOCAL : UST_RTN_UNICAST,
			     prefix, ifa->prefixlen, ifa, 0);
	if (ifa->prefixlen < 31 && !other_needs(ifa, 0, ifa->broadcast))
		kernel_route(ip, &ip->local, false, UST_RTN_BROADCAST, ifa->broadcast, 32, ifa, 0);
}

/* __inet_insert_ifa's ordering: a primary goes after the last primary of
 * scope <= its own; a secondary at the end. */
static void insert_ordered(struct ust_in_device *idev, struct ust_in_ifaddr *ifa)
{
	struct ust_list *pos, *after = &idev->addrs;

	if (ifa->flags & UST_IFA_F_SECONDARY) {
		ust_list_add_tail(&idev->addrs, &ifa->node);
		return;
	}
	ust_list_for_each(pos, &idev->addrs) {
		struct ust_in_ifaddr *o = container_of(pos, struct ust_in_ifaddr, node);

		if (!(o->flags & UST_IFA_F_SECONDARY) && o->scope <= ifa->scope)
			after = pos;
	}
	ust_list_add_head(after, &ifa->node);
}

int ust_inet_addr_add(struct ust_ipv4 *ip, struct ust_in_device *idev, ust_be32 addr,
		      int prefixlen, int scope)
{
	struct ust_in_ifaddr *ifa;
	struct ust_list *pos;
	ust_be32 mask;
	uint8_t flags = 0;

	if (prefixlen < 0 || prefixlen > 32 || scope < 0 || scope > UST_SCOPE_HOST)
		return -EINVAL;
	if (ust_ipv4_is_multicast(addr) || ust_ipv4_is_lbcast(addr) || addr == 0)
		return -EINVAL;
	mask = ust_inet_make_mask(prefixlen);
	ust_list_for_each(pos, &idev->addrs) {
		struct ust_in_ifaddr *o = container_of(pos, struct ust_in_ifaddr, node);

		if (o->mask != mask || !ifa_match(o, addr))
			continue;
		if (o->local == addr)
			return -EEXIST;
		if (o->scope != scope)
			return -EINVAL;
		flags |= UST_IFA_F_SECONDARY;
	}
	ifa = calloc(1, sizeof(*ifa));
	if (!ifa)
		return -ENOMEM;
	ifa->idev = idev;
	ifa->local = addr;
	ifa->mask = mask;
	ifa->prefixlen = (uint8_t)prefixlen;
	ifa->broadcast = prefixlen < 31 ? (addr | ~mask) : 0;
	ifa->scope = (uint8_t)scope;
	ifa->flags = flags;
	insert_ordered(idev, ifa);
	ust_hlist_add_head(&ip->addr_hash[addr_bucket(addr)], &ifa->hnode);
	ust_fib_add_ifaddr(ip, ifa);
	return 0;
}

static void ifa_free(struct ust_ipv4 *ip, struct ust_in_ifaddr *ifa)
{
	ust_fib_del_ifaddr(ip, ifa);
	ust_list_del(&ifa->node);
	ust_hlist_del(&ifa->hnode);
	free(ifa);
}

int ust_inet_addr_del(struct ust_ipv4 *ip, struct ust_in_device *idev, ust_be32 addr, int prefixlen)
{
	struct ust_in_ifaddr *ifa = NULL;
	struct ust_list *pos, *tmp;

	if (prefixlen < 0 || prefixlen > 32)
		return -EINVAL;
	ust_list_for_each(pos, &idev->addrs) {
		struct ust_in_ifaddr *o = container_of(pos, struct ust_in_ifaddr, node);

		if (o->local == addr && o->prefixlen == prefixlen) {
			ifa = o;
			break;
		}
	}
	if (!ifa)
		return -EADDRNOTAVAIL;
	if (!(ifa->flags & UST_IFA_F_SECONDARY)) {
		/* promote_secondaries=0: the primary takes its subnet with it. */
		ust_list_for_each_safe(pos, tmp, &idev->addrs) {
			struct ust_in_ifaddr *o = container_of(pos, struct ust_in_ifaddr, node);

			if (o != ifa && (o->flags & UST_IFA_F_SECONDARY) && o->mask == ifa->mask &&
			    ifa_match(ifa, o->local))
				ifa_free(ip, o);
		}
	}
	ifa_free(ip, ifa);
	return 0;
}

void ust_inet_addr_flush(struct ust_ipv4 *ip, struct ust_in_device *idev)
{
	struct ust_list *pos, *tmp;

	ust_list_for_each_safe(pos, tmp, &idev->addrs)
		ifa_free(ip, container_of(pos, struct ust_in_ifaddr, node));
}

/* in_dev_select_addr: a primary of scope <= scope that is not link-scope. */
static ust_be32 dev_select_any(const struct ust_in_device *idev, int scope)
{
	struct ust_list *pos;

	ust_list_for_each(pos, &idev->addrs) {
		const struct ust_in_ifaddr *ifa = container_of(pos, struct ust_in_ifaddr, node);

		if (ifa->flags & UST_IFA_F_SECONDARY)
			continue;
		if (ifa->scope != UST_SCOPE_LINK && ifa->scope <= scope)
			return ifa->local;
	}
	return 0;
}

ust_be32 ust_inet_select_addr(struct ust_ipv4 *ip, const struct ust_in_device *idev,
			      ust_be32 dst, int scope)
{
	ust_be32 addr = 0;
	struct ust_list *pos;

	if (idev) {
		ust_list_for_each(pos, &idev->addrs) {
			const struct ust_in_ifaddr *ifa = container_of(pos, struct ust_in_ifaddr, node);

			if (ifa->flags & UST_IFA_F_SECONDARY)
				continue;
			if (ifa->scope > scope)
				continue;
			if (!dst || ifa_match(ifa, dst))
				return ifa->local;
			if (!addr)
				addr = ifa->local;
		}
		if (addr)
			return addr;
	}
	/* Loopback first, as Linux walks dev_base with lo at its head. */
	ust_list_for_each(pos, &ip->devs) {
		const struct ust_in_device *d = container_of(pos, struct ust_in_device, node);

		addr = dev_select_any(d, scope);
		if (addr)
			return addr;
	}
	return 0;
}
