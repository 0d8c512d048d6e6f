/*
 * The IPv4 layer object: creation and teardown, the devices it knows (the
 * loopback device it owns, and every device the stack attaches), the protocol
 * table (Linux's inet_protos), and the public configuration calls of
 * include/ustack/ip.h.
 *
 * Call order: ust_stack_new -> ust_ipv4_init (loopback up with 127.0.0.1/8,
 * ICMP registered as protocol 1); ust_stack_attach_netdev ->
 * ust_ipv4_netdev_register (rx handler installed, device up, no address);
 * ust_stack_free -> ust_ipv4_destroy (before the devices and the pool go).
 *
 * Loopback: a struct ust_netdev inside struct ust_ipv4 (ifindex 1, "lo", IP
 * framing). Its xmit queues the packet (at most lo_backlog) and arms lo_timer
 * for the current tick; the timer hands the queue to ust_netdev_rx at the
 * next ust_stack_poll, so a packet a transport sends to itself is received
 * after the sending call returns, as Linux's netif_rx backlog does it. Its
 * MTU is what a packet buffer holds (Linux: 65536).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ipv4/ipv4.h"
#include "stack.h"

static void sysctl_defaults(struct ust_ipv4_sysctl *s)
{
	s->icmp_echo_ignore_all = 0;
	s->icmp_echo_ignore_broadcasts = 1;
	s->retrans_time_ms = 1000;
	s->base_reachable_time_ms = 30000;
	s->delay_first_probe_time_ms = 5000;
	s->gc_stale_time_ms = 60000;
	s->locktime_ms = 1000;
	s->mcast_solicit = 3;
	s->ucast_solicit = 3;
	s->unres_qlen_bytes = 212992;
	s->gc_thresh3 = 1024;
	s->lo_backlog = 1000;
}

static int lo_xmit(struct ust_netdev *dev, struct ust_pkt *pkt)
{
	struct ust_ipv4 *ip = container_of(dev, struct ust_ipv4, lo);

	if (ip->lo_qlen >= ip->sysctl.lo_backlog) {
		ip->xstats.lo_dropped++;
		ust_pkt_free(pkt);
		return -ENOBUFS;
	}
	pkt->next = NULL;
	if (ip->lo_tail)
		ip->lo_tail->next = pkt;
	else
		ip->lo_head = pkt;
	ip->lo_tail = pkt;
	ip->lo_qlen++;
	if (!ust_timer_pending(&ip->lo_timer))
		ust_timer_arm(&ip->core->timers, &ip->lo_timer, ust_jiffies(ip->core));
	return 0;
}

static int lo_poll(struct ust_netdev *dev, int budget)
{
	struct ust_ipv4 *ip = container_of(dev, struct ust_ipv4, lo);
	int n = 0;

	while (ip->lo_head && n < budget) {
		struct ust_pkt *pkt = ip->lo_head;

		ip->lo_head = pkt->next;
		if (!ip->lo_head)
			ip->lo_tail = NULL;
		ip->lo_qlen--;
		pkt->next = NULL;
		ust_netdev_rx(dev, pkt);
		n++;
	}
	return n;
}

static const struct ust_netdev_ops lo_ops = {
	.xmit = lo_xmit,
	.poll = lo_poll,
};

/* Delivers what was queued before this run; what those packets cause to be
 * looped back waits for the next run. */
static void lo_timer_fire(struct ust_timer *t)
{
	struct ust_ipv4 *ip = container_of(t, struct ust_ipv4, lo_timer);

	lo_poll(&ip->lo, (int)ip->lo_qlen);
	if (ip->lo_head && !ust_timer_pending(&ip->lo_timer))
		ust_timer_arm(&ip->core->timers, &ip->lo_timer, ust_jiffies(ip->core));
}

static struct ust_in_device *in_dev_new(struct ust_ipv4 *ip, struct ust_netdev *dev)
{
	struct ust_in_device *idev = calloc(1, sizeof(*idev));

	if (!idev)
		return NULL;
	idev->dev = dev;
	idev->up = true;
	ust_list_init(&idev->addrs);
	ust_list_add_tail(&ip->devs, &idev->node);
	return idev;
}

int ust_ipv4_init(struct ust_ipv4 *ip, struct ust_core *core)
{
	uint32_t lo_mtu;
	int err;

	memset(ip, 0, sizeof(*ip));
	ip->core = core;
	sysctl_defaults(&ip->sysctl);
	ust_list_init(&ip->devs);
	err = ust_fib_table_init(&ip->local, UST_RT_TABLE_LOCAL);
	if (!err)
		err = ust_fib_table_init(&ip->main, UST_RT_TABLE_MAIN);
	if (err)
		goto fail;
	ust_arp_table_init(ip);
	for (unsigned i = 0; i < UST_IP_IDENTS; i++)
		ip->idents[i] = (uint16_t)ust_rng_u32(&core->rng);

	lo_mtu = UST_MIN(65536u, core->pool.buf_size - UST_PKT_HEADROOM);
	ust_netdev_setup(&ip->lo, core, "lo", UST_LOOPBACK_IFINDEX, lo_mtu, UST_FRAMING_IP);
	ip->lo.ops = &lo_ops;
	ust_netdev_set_rx_handler(&ip->lo, ust_ipv4_rx, ip);
	ust_timer_init(&ip->lo_timer, lo_timer_fire);
	ip->lo_idev = in_dev_new(ip, &ip->lo);
	err = ip->lo_idev ? ust_inet_addr_add(ip, ip->lo_idev, __builtin_bswap32(UST_INADDR_LOOPBACK),
					      8, UST_SCOPE_HOST) : -ENOMEM;
	if (!err)
		err = ust_icmp_init(ip);
	if (err)
		goto fail;
	return 0;
fail:
	ust_ipv4_destroy(ip);
	return err;
}

void ust_ipv4_destroy(struct ust_ipv4 *ip)
{
	struct ust_list *pos, *tmp;

	if (!ip->core)
		return;
	ust_timer_cancel(&ip->core->timers, &ip->lo_timer);
	while (ip->lo_head) {
		struct ust_pkt *pkt = ip->lo_head;

		ip->lo_head = pkt->next;
		ust_pkt_free(pkt);
	}
	ip->lo_tail = NULL;
	ip->lo_qlen = 0;
	ust_arp_table_destroy(ip);
	ust_list_for_each_safe(pos, tmp, &ip->devs) {
		struct ust_in_device *idev = container_of(pos, struct ust_in_device, node);

		ust_inet_addr_flush(ip, idev);
		ust_list_del(&idev->node);
		free(idev);
	}
	ust_fib_table_destroy(&ip->local);
	ust_fib_table_destroy(&ip->main);
	ust_netdev_destroy(&ip->lo);
	ip->core = NULL;
}

int ust_ipv4_netdev_register(struct ust_ipv4 *ip, struct ust_netdev *dev)
{
	if (ust_in_dev_get(ip, dev))
		return -EEXIST;
	if (!in_dev_new(ip, dev))
		return -ENOMEM;
	ust_netdev_set_rx_handler(dev, ust_ipv4_rx, ip);
	return 0;
}

struct ust_in_device *ust_in_dev_get(struct ust_ipv4 *ip, const struct ust_netdev *dev)
{
	struct ust_list *pos;

	ust_list_for_each(pos, &ip->devs) {
		struct ust_in_device *idev = container_of(pos, struct ust_in_device, node);

		if (idev->dev == dev)
			return idev;
	}
	return NULL;
}

struct ust_in_device *ust_in_dev_by_index(struct ust_ipv4 *ip, int ifindex)
{
	struct ust_list *pos;

	ust_list_for_each(pos, &ip->devs) {
		struct ust_in_device *idev = container_of(pos, struct ust_in_device, node);

		if (idev->dev->ifindex == ifindex)
			return idev;
	}
	return NULL;
}

int ust_inet_add_protocol(struct ust_ipv4 *ip, uint8_t proto, const struct ust_inet_protocol *ops, void *ctx)
{
	if (!ops || !ops->handler)
		return -EINVAL;
	if (ip->protos[proto].ops)
		return -EEXIST;
	ip->protos[proto].ops = ops;
	ip->protos[proto].ctx = ctx;
	return 0;
}

int ust_inet_del_protocol(struct ust_ipv4 *ip, uint8_t proto, const struct ust_inet_protocol *ops)
{
	if (ip->protos[proto].ops != ops)
		return -ENOENT;
	ip->protos[proto].ops = NULL;
	ip->protos[proto].ctx = NULL;
	return 0;
}

int ust_ipv4_set_up(struct ust_ipv4 *ip, struct ust_in_device *idev, bool up)
{
	struct ust_list *pos;

	if (idev->up == up)
		return 0;
	idev->up = up;
	if (!up) {
		/* NETDEV_DOWN: fib_disable_ip removes every route through the
		 * device; the neighbours go with it. */
		ust_fib_flush_dev(ip, idev);
		ust_arp_flush_dev(ip, idev);
		return 0;
	}
	ust_list_for_each(pos, &idev->addrs)
		ust_fib_add_ifaddr(ip, container_of(pos, struct ust_in_ifaddr, node));
	if (ip->core->sysctl.arp_notify)
		ust_arp_notify_peers(ip, idev);
	return 0;
}

/* --- public API ------------------------------------------------------------ */

static int fail(int err)
{
	errno = -err;
	return -1;
}

static struct ust_in_device *public_dev(struct ust_stack *st, struct ust_netdev *dev)
{
	if (!st || !dev)
		return NULL;
	return ust_in_dev_get(ust_stack_ipv4(st), dev);
}

UST_API int ust_addr_add(struct ust_stack *st, struct ust_netdev *dev, in_addr_t addr, int prefixlen)
{
	struct ust_in_device *idev = public_dev(st, dev);
	int err;

	if (!idev)
		return fail(st && dev ? -ENODEV : -EINVAL);
	/* iproute2's default scope: host for 127/8, else global. */
	err = ust_inet_addr_add(ust_stack_ipv4(st), idev, addr, prefixlen,
				ust_ipv4_is_loopback(addr) ? UST_SCOPE_HOST : UST_SCOPE_UNIVERSE);
	return err ? fail(err) : 0;
}

UST_API int ust_addr_del(struct ust_stack *st, struct ust_netdev *dev, in_addr_t addr, int prefixlen)
{
	struct ust_in_device *idev = public_dev(st, dev);
	int err;

	if (!idev)
		return fail(st && dev ? -ENODEV : -EINVAL);
	err = ust_inet_addr_del(ust_stack_ipv4(st), idev, addr, prefixlen);
	return err ? fail(err) : 0;
}

UST_API void ust_route_config_init(struct ust_route_config *cfg)
{
	if (cfg)
		memset(cfg, 0, sizeof(*cfg));
}

/* fib_create_info / fib_check_nh: what a route needs to be accepted. */
static int route_from_config(struct ust_ipv4 *ip, const struct ust_route_config *cfg,
			     struct ust_fib_info *r)
{
	uint8_t type = cfg->type ? (uint8_t)cfg->type : UST_RTN_UNICAST;
	struct ust_in_device *idev = NULL;

	if (cfg->prefixlen < 0 || cfg->prefixlen > 32 || (cfg->dst & ~ust_inet_make_mask(cfg->prefixlen)))
		return -EINVAL;
	if (type != UST_RTN_UNICAST && type != UST_RTN_LOCAL && type != UST_RTN_BROADCAST &&
	    type != UST_RTN_BLACKHOLE && type != UST_RTN_UNREACHABLE && type != UST_RTN_PROHIBIT)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->dst = cfg->dst;
	r->plen = (uint8_t)cfg->prefixlen;
	r->type = type;
	r->metric = cfg->metric;
	r->mtu = cfg->mtu;
	r->advmss = cfg->advmss;
	if (type == UST_RTN_BLACKHOLE || type == UST_RTN_UNREACHABLE || type == UST_RTN_PROHIBIT)
		return 0;
	if (cfg->ifindex) {
		idev = ust_in_dev_by_index(ip, cfg->ifindex);
		if (!idev)
			return -ENODEV;
	}
	if (cfg->gateway) {
		const struct ust_fib_info *nh;

		if (ust_inet_addr_type(ip, cfg->gateway) != UST_RTN_UNICAST)
			return -EINVAL;
		/* fib_check_nh_v4_gw: the gateway must be reachable on-link. */
		nh = ust_fib_table_lookup(&ip->main, cfg->gateway, idev ? idev->dev->ifindex : 0);
		if (!nh || nh->type != UST_RTN_UNICAST || nh->gw || !nh->idev)
			return idev && !idev->up ? -ENETDOWN : -ENETUNREACH;
		idev = nh->idev;
	}
	if (!idev)
		return -EINVAL;
	if (!idev->up)
		return -ENETDOWN;
	if (cfg->prefsrc && ust_inet_addr_type(ip, cfg->prefsrc) != UST_RTN_LOCAL)
		return -EINVAL;
	r->gw = cfg->gateway;
	r->idev = idev;
	r->prefsrc = cfg->prefsrc;
	r->scope = type == UST_RTN_LOCAL ? UST_SCOPE_HOST : cfg->gateway ? UST_SCOPE_UNIVERSE : UST_SCOPE_LINK;
	return 0;
}

UST_API int ust_route_add(struct ust_stack *st, const struct ust_route_config *cfg)
{
	struct ust_ipv4 *ip;
	struct ust_fib_info r;
	int err;

	if (!st || !cfg)
		return fail(-EINVAL);
	ip = ust_stack_ipv4(st);
	err = route_from_config(ip, cfg, &r);
	if (!err)
		err = ust_fib_insert(ip, r.type == UST_RTN_LOCAL || r.type == UST_RTN_BROADCAST ?
				     &ip->local : &ip->main, &r);
	return err ? fail(err) : 0;
}

UST_API int ust_route_del(struct ust_stack *st, const struct ust_route_config *cfg)
{
	struct ust_fib_info r;
	struct ust_ipv4 *ip;
	int err;

	if (!st || !cfg || cfg->prefixlen < 0 || cfg->prefixlen > 32)
		return fail(-EINVAL);
	ip = ust_stack_ipv4(st);
	memset(&r, 0, sizeof(r));
	r.dst = cfg->dst;
	r.plen = (uint8_t)cfg->prefixlen;
	r.metric = cfg->metric;
	r.gw = cfg->gateway;
	r.type = (uint8_t)cfg->type;
	if (cfg->ifindex) {
		r.idev = ust_in_dev_by_index(ip, cfg->ifindex);
		if (!r.idev)
			return fail(-ENODEV);
	}
	err = ust_fib_delete(ip, &ip->main, &r);
	if (err == -ESRCH)
		err = ust_fib_delete(ip, &ip->local, &r);
	return err ? fail(err) : 0;
}

UST_API int ust_addr_parse(const char *text, in_addr_t *addr, int *prefixlen)
{
	unsigned int b[4], len = 32;
	char tail[2];
	int n;

	if (!text || !addr || !prefixlen)
		return fail(-EINVAL);
	n = sscanf(text, "%3u.%3u.%3u.%3u/%2u%1s", &b[0], &b[1], &b[2], &b[3], &len, tail);
	if (n == 4) {
		/* No prefix: nothing may follow the address. */
		if (sscanf(text, "%*3u.%*3u.%*3u.%*3u%1s", tail) == 1)
			return fail(-EINVAL);
	} else if (n != 5) {
		return fail(-EINVAL);
	}
	if (b[0] > 255 || b[1] > 255 || b[2] > 255 || b[3] > 255 || len > 32)
		return fail(-EINVAL);
	*addr = __builtin_bswap32(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
	*prefixlen = (int)len;
	return 0;
}

UST_API int ust_netdev_set_up(struct ust_netdev *dev, int up)
{
	struct ust_ipv4 *ip;
	struct ust_in_device *idev;

	/* The device's rx context is its stack's IPv4 layer once attached. */
	if (!dev || dev->rx_handler != ust_ipv4_rx)
		return fail(dev ? -ENODEV : -EINVAL);
	ip = dev->rx_ctx;
	idev = ust_in_dev_get(ip, dev);
	if (!idev)
		return fail(-ENODEV);
	return ust_ipv4_set_up(ip, idev, up != 0) ? -1 : 0;
}
