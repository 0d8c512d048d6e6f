/* The FIB and output route lookup (src/ipv4/route.c, devinet.c): longest
 * prefix match, address routes, and the source choice of spec section 2. */
#include "test_ipv4_fixture.h"

static struct ust_route_config rcfg(const char *dst, int len, const char *gw, int ifindex)
{
	struct ust_route_config c;

	ust_route_config_init(&c);
	c.dst = A(dst);
	c.prefixlen = len;
	c.gateway = gw ? A(gw) : 0;
	c.ifindex = ifindex;
	return c;
}

static int add(struct ust_stack *st, const char *dst, int len, const char *gw, int ifindex)
{
	struct ust_route_config c = rcfg(dst, len, gw, ifindex);

	return ust_route_add(st, &c);
}

static int out(struct fx *f, const char *daddr, const char *saddr, int oif, struct ust_rtable *rt)
{
	struct ust_flowi4 fl = { .daddr = A(daddr), .saddr = saddr ? A(saddr) : 0, .oif = oif };

	return ust_ip_route_output(f->ia, &fl, rt);
}

static ust_be32 nh(struct fx *f, const char *daddr)
{
	struct ust_rtable rt;

	assert_int_equal(out(f, daddr, NULL, 0, &rt), 0);
	return rt.nexthop;
}

/* --- longest prefix match ------------------------------------------------- */

static void test_lpm_overlapping_prefixes_and_default(void **state)
{
	struct fx *f = fx_new(UST_FRAMING_IP, 1);
	struct ust_route_config c;

	(void)state;
	assert_int_equal(add(f->a, "0.0.0.0", 0, "10.0.0.254", 0), 0);
	assert_int_equal(add(f->a, "192.168.0.0", 16, "10.0.0.2", 0), 0);
	assert_int_equal(add(f->a, "192.168.1.0", 24, "10.0.0.3", 0), 0);
	assert_int_equal(add(f->a, "192.168.1.128", 25, "10.0.0.4", 0), 0);
	assert_int_equal(add(f->a, "192.168.1.200", 32, "10.0.0.5", 0), 0);

	assert_int_equal(nh(f, "8.8.8.8"), A("10.0.0.254"));
	assert_int_equal(nh(f, "192.168.7.1"), A("10.0.0.2"));
	assert_int_equal(nh(f, "192.168.1.1"), A("10.0.0.3"));
	assert_int_equal(nh(f, "192.168.1.129"), A("10.0.0.4"));
	assert_int_equal(nh(f, "192.168.1.200"), A("10.0.0.5"));
	assert_int_equal(nh(f, "192.168.1.201"), A("10.0.0.4"));
	assert_int_equal(nh(f, "10.0.0.77"), A("10.0.0.77"));    /* connected */

	/* Equal prefix: the lower metric wins; deleting it uncovers the other. */
	c = rcfg("192.168.1.0", 24, "10.0.0.6", 0);
	c.metric = 10;
	assert_int_equal(ust_route_add(f->a, &c), 0);
	assert_int_equal(nh(f, "192.168.1.1"), A("10.0.0.3"));
	c = rcfg("192.168.1.0", 24, NULL, 0);
	c.metric = 0;
	c.gateway = A("10.0.0.3");
	assert_int_equal(ust_route_del(f->a, &c), 0);
	assert_int_equal(nh(f, "192.168.1.1"), A("10.0.0.6"));

	/* ip route's answers. */
	errno = 0;
	assert_int_equal(add(f->a, "192.168.0.0", 16, "10.0.0.9", 0), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(add(f->a, "192.168.0.1", 16, "10.0.0.9", 0), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(add(f->a, "172.16.0.0", 12, "10.9.9.9", 0), -1);
	assert_int_equal(errno, ENETUNREACH);
	assert_int_equal(add(f->a, "172.16.0.0", 12, NULL, 99), -1);
	assert_int_equal(errno, ENODEV);
	assert_int_equal(add(f->a, "172.16.0.0", 12, "10.0.0.1", 0), -1);
	assert_int_equal(errno, EINVAL);
	c = rcfg("172.31.0.0", 16, NULL, 0);
	assert_int_equal(ust_route_del(f->a, &c), -1);
	assert_int_equal(errno, ESRCH);
	fx_free(f);
}

static void test_lpm_thousands_of_routes(void **state)
{
	struct fx *f = fx_new(UST_FRAMING_IP, 1);
	char buf[32];

	(void)state;
	for (int i = 0; i < 4096; i++) {
		snprintf(buf, sizeof(buf), "100.%d.%d.0", i / 256, i % 256);
		assert_int_equal(add(f->a, buf, 24, (i & 1) ? "10.0.0.3" : "10.0.0.4", 0), 0);
	}
	assert_int_equal(add(f->a, "100.0.0.0", 8, "10.0.0.5", 0), 0);
	assert_true(f->ia->main.nbuckets >= 4096);
	for (int i = 0; i < 4096; i += 7) {
		snprintf(buf, sizeof(buf), "100.%d.%d.9", i / 256, i % 256);
		assert_int_equal(nh(f, buf), (i & 1) ? A("10.0.0.3") : A("10.0.0.4"));
	}
	assert_int_equal(nh(f, "100.99.1.1"), A("10.0.0.5"));
	fx_free(f);
}

/* --- addresses and the routes they bring ------------------------------------ */

static void test_addr_add_brings_local_subnet_and_broadcast_routes(void **state)
{
	struct fx *f = fx_new(UST_FRAMING_IP, 1);
	const struct ust_fib_info *r;
	in_addr_t a;
	int len;

	(void)state;
	r = ust_fib_table_lookup(&f->ia->local, A("10.0.0.1"), 0);
	assert_non_null(r);
	assert_int_equal(r->type, UST_RTN_LOCAL);
	assert_int_equal(r->plen, 32);
	r = ust_fib_table_lookup(&f->ia->local, A("10.0.0.255"), 0);
	assert_non_null(r);
	assert_int_equal(r->type, UST_RTN_BROADCAST);
	r = ust_fib_table_lookup(&f->ia->main, A("10.0.0.9"), 0);
	assert_non_null(r);
	assert_int_equal(r->plen, 24);
	assert_int_equal(r->scope, UST_SCOPE_LINK);
	assert_int_equal(r->prefsrc, A("10.0.0.1"));

	/* A second address in the subnet is a secondary: no new subnet route. */
	assert_int_equal(ust_addr_add(f->a, f->da, A("10.0.0.7"), 24), 0);
	assert_int_equal(f->ia->main.nr, 1);
	errno = 0;
	assert_int_equal(ust_addr_add(f->a, f->da, A("10.0.0.7"), 24), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(ust_addr_add(f->a, f->da, A("10.0.0.8"), 33), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(ust_addr_del(f->a, f->da, A("10.0.0.99"), 24), -1);
	assert_int_equal(errno, EADDRNOTAVAIL);

	/* Deleting the primary takes the secondary and every route along. */
	assert_int_equal(ust_addr_del(f->a, f->da, A("10.0.0.1"), 24), 0);
	assert_null(ust_inet_ifa_find(f->ia, A("10.0.0.7")));
	assert_int_equal(f->ia->main.nr, 0);
	assert_null(ust_fib_table_lookup(&f->ia->local, A("10.0.0.255"), 0));
	assert_null(ust_fib_table_lookup(&f->ia->local, A("10.0.0.1"), 0));

	assert_int_equal(ust_addr_parse("192.0.2.1/24", &a, &len), 0);
	assert_int_equal(a, A("192.0.2.1"));
	assert_int_equal(len, 24);
	assert_int_equal(ust_addr_parse("192.0.2.1", &a, &len), 0);
	assert_int_equal(len, 32);
	assert_int_equal(ust_addr_parse("192.0.2.256/24", &a, &len), -1);
	assert_int_equal(ust_addr_parse("192.0.2.1/33", &a, &len), -1);
	assert_int_equal(ust_addr_parse("192.0.2.1/24x", &a, &len), -1);
	assert_int_equal(ust_addr_parse("192.0.2.1x", &a, &len), -1);
	fx_free(f);
}

/* --- spec section 2: the four cases ---------------------------------------- */

/* R-6 (case D): the FIB picks device and gateway, the source is the device's
 * primary in the gateway's subnet; a prefsrc overrides. */
static void test_r6_unbound_source_matches_gateway_subnet_or_prefsrc(void **state)
{
	struct fx *f = fx_new(UST_FRAMING_IP, 1);
	struct ust_route_config c;
	struct ust_rtable rt;

	(void)state;
	assert_int_equal(ust_addr_add(f->a, f->da, A("172.16.5.1"), 16), 0);
	assert_int_equal(add(f->a, "0.0.0.0", 0, "172.16.0.254", 0), 0);
	assert_int_equal(out(f, "198.51.100.7", NULL, 0, &rt), 0);
	assert_int_equal(rt.saddr, A("172.16.5.1"));
	assert_int_equal(rt.nexthop, A("172.16.0.254"));
	assert_true(rt.uses_gateway);
	assert_ptr_equal(rt.dev, f->da);
	assert_int_equal(rt.type, UST_RTN_UNICAST);
	assert_int_equal(rt.mtu, 1500);
	assert_int_equal(rt.advmss, 1460);

	c = rcfg("203.0.113.0", 24, "172.16.0.254", 0);
	c.prefsrc = A("10.0.0.1");
	c.mtu = 1400;
	assert_int_equal(ust_route_add(f->a, &c), 0);
	assert_int_equal(out(f, "203.0.113.9", NULL, 0, &rt), 0);
	assert_int_equal(rt.saddr, A("10.0.0.1"));
	assert_int_equal(rt.mtu, 1400);
	assert_int_equal(rt.advmss, 1360);
	c.prefsrc = A("10.9.9.9");      /* not local */
	c.dst = A("203.0.114.0");
	assert_int_equal(ust_route_add(f->a, &c), -1);
	assert_int_equal(errno, EINVAL);
	fx_free(f);
}

/* R-4 (case B): bound to a device only; no route through it -> on-link; the
 * device's primary, or else another device's non-link-scope address. */
static void test_r4_device_only_on_link_fallback(void **state)
{
	struct fx *f = fx_new(UST_FRAMING_IP, 1);
	struct ust_netdev *d2, *peer;
	struct ust_rtable rt;

	(void)state;
	assert_int_equal(ust_memlink_create(f->a, f->b, NULL, &d2, &peer), 0);
	assert_int_equal(add(f->a, "0.0.0.0", 0, "10.0.0.254", 0), 0);
	/* d2 has no address: a source from another device. */
	assert_int_equal(out(f, "198.51.100.7", NULL, d2->ifindex, &rt), 0);
	assert_ptr_equal(rt.dev, d2);
	assert_int_equal(rt.nexthop, A("198.51.100.7"));
	assert_false(rt.uses_gateway);
	assert_int_equal(rt.saddr, A("10.0.0.1"));
	/* With its own address it is the source. */
	assert_int_equal(ust_addr_add(f->a, d2, A("192.168.9.1"), 24), 0);
	assert_int_equal(out(f, "198.51.100.7", NULL, d2->ifindex, &rt), 0);
	assert_int_equal(rt.saddr, A("192.168.9.1"));
	/* A route through the bound device is used, with its source rule. */
	assert_int_equal(out(f, "192.168.9.40", NULL, d2->ifindex, &rt), 0);
	assert_int_equal(rt.saddr, A("192.168.9.1"));
	assert_int_equal(rt.nexthop, A("192.168.9.40"));
	/* The default route is through the other device: not taken. */
	assert_int_equal(out(f, "198.51.100.7", NULL, f->da->ifindex, &rt), 0);
	assert_true(rt.uses_gateway);
	fx_free(f);
}

/* R-3 (case A) and R-5 (case C): a bound source is never changed. */
static void test_r3_r5_bound_source_is_kept(void **state)
{
	struct fx *f = fx_new(UST_FRAMING_IP, 1);
	struct ust_netdev *d2, *peer;
	struct ust_rtable rt;

	(void)state;
	assert_int_equal(ust_memlink_create(f->a, f->b, NULL, &d2, &peer), 0);
	assert_int_equal(ust_addr_add(f->a, d2, A("192.168.9.1"), 24), 0);
	/* A: device + address, on-link through d2 with the other device's address. */
	assert_int_equal(out(f, "198.51.100.7", "10.0.0.1", d2->ifindex, &rt), 0);
	assert_ptr_equal(rt.dev, d2);
	assert_int_equal(rt.saddr, A("10.0.0.1"));
	/* C: address only; the route decides the device. */
	assert_int_equal(out(f, "192.168.9.5", "10.0.0.1", 0, &rt), 0);
	assert_ptr_equal(rt.dev, d2);
	assert_int_equal(rt.saddr, A("10.0.0.1"));
	fx_free(f);
}

/* a bound source that is not ours. Linux 6.x answers ENETUNREACH and
 * tcp_v4_connect counts IpOutNoRoutes (checked on 6.18; the spec's EINVAL is
 * older kernels'); multicast, broadcast and 0.x sources are EINVAL. */
static void test_r2_bound_source_validation(void **state)
{
	struct fx *f = fx_new(UST_FRAMING_IP, 1);
	struct ust_rtable rt;

	(void)state;
	assert_int_equal(out(f, "10.0.0.2", "10.0.0.99", 0, &rt), -ENETUNREACH);
	assert_int_equal(stat(f->a, "IpOutNoRoutes"), 1);
	assert_int_equal(out(f, "10.0.0.2", "224.0.0.1", 0, &rt), -EINVAL);
	assert_int_equal(out(f, "10.0.0.2", "255.255.255.255", 0, &rt), -EINVAL);
	assert_int_equal(out(f, "10.0.0.2", "0.1.2.3", 0, &rt), -EINVAL);
	/* Another device's address, and lo's 127/8, are local. */
	assert_int_equal(out(f, "127.0.0.1", "127.0.0.5", 0, &rt), 0);
	assert_int_equal(stat(f->a, "IpOutNoRoutes"), 1);
	fx_free(f);
}

static void test_no_route_and_route_types(void **state)
{
	struct fx *f = fx_new(UST_FRAMING_IP, 1);
	struct ust_route_config c;
	struct ust_flowi4 fl = { .daddr = A("8.8.8.8"), .flags = UST_FLOWI_F_NOSTATS };
	struct ust_rtable rt;

	(void)state;
	assert_int_equal(out(f, "8.8.8.8", NULL, 0, &rt), -ENETUNREACH);
	assert_int_equal(stat(f->a, "IpOutNoRoutes"), 1);
	assert_int_equal(ust_ip_route_output(f->ia, &fl, &rt), -ENETUNREACH);
	assert_int_equal(stat(f->a, "IpOutNoRoutes"), 1);
	/* Multicast with no route: no route (counted), as Linux. */
	assert_int_equal(out(f, "224.0.0.1", NULL, 0, &rt), -ENETUNREACH);
	assert_int_equal(stat(f->a, "IpOutNoRoutes"), 2);
	assert_int_equal(out(f, "1.2.3.4", NULL, 99, &rt), -ENODEV);

	ust_route_config_init(&c);
	c.dst = A("10.9.1.0");
	c.prefixlen = 24;
	c.type = UST_RTN_UNREACHABLE;
	assert_int_equal(ust_route_add(f->a, &c), 0);
	c.dst = A("10.9.2.0");
	c.type = UST_RTN_PROHIBIT;
	assert_int_equal(ust_route_add(f->a, &c), 0);
	c.dst = A("10.9.3.0");
	c.type = UST_RTN_BLACKHOLE;
	assert_int_equal(ust_route_add(f->a, &c), 0);
	assert_int_equal(out(f, "10.9.1.1", NULL, 0, &rt), -EHOSTUNREACH);
	assert_int_equal(out(f, "10.9.2.1", NULL, 0, &rt), -EACCES);
	assert_int_equal(out(f, "10.9.3.1", NULL, 0, &rt), -EINVAL);
	assert_int_equal(stat(f->a, "IpOutNoRoutes"), 2);
	/* A bound device falls back on-link past them, as fib_lookup's error does. */
	assert_int_equal(out(f, "10.9.1.1", NULL, f->da->ifindex, &rt), 0);
	assert_int_equal(rt.type, UST_RTN_UNICAST);
	fx_free(f);
}

/* 0.0.0.0, local and broadcast destinations. */
static void test_r7_special_destinations(void **state)
{
	struct fx *f = fx_new(UST_FRAMING_IP, 1);
	struct ust_rtable rt;

	(void)state;
	assert_int_equal(out(f, "0.0.0.0", NULL, 0, &rt), 0);
	assert_int_equal(rt.type, UST_RTN_LOCAL);
	assert_int_equal(rt.daddr, A("127.0.0.1"));
	assert_int_equal(rt.saddr, A("127.0.0.1"));
	assert_int_equal(rt.dev->ifindex, UST_LOOPBACK_IFINDEX);

	assert_int_equal(out(f, "10.0.0.1", NULL, 0, &rt), 0);
	assert_int_equal(rt.type, UST_RTN_LOCAL);
	assert_true(rt.flags & UST_RTCF_LOCAL);
	assert_int_equal(rt.saddr, A("10.0.0.1"));
	assert_int_equal(rt.dev->ifindex, UST_LOOPBACK_IFINDEX);
	assert_int_equal(rt.fib_oif, f->da->ifindex);

	assert_int_equal(out(f, "127.3.4.5", NULL, 0, &rt), 0);
	assert_int_equal(rt.type, UST_RTN_LOCAL);
	assert_int_equal(rt.saddr, A("127.0.0.1"));

	assert_int_equal(out(f, "10.0.0.255", NULL, 0, &rt), 0);
	assert_int_equal(rt.type, UST_RTN_BROADCAST);
	assert_true(rt.flags & UST_RTCF_BROADCAST);
	assert_int_equal(out(f, "255.255.255.255", NULL, f->da->ifindex, &rt), 0);
	assert_int_equal(rt.type, UST_RTN_BROADCAST);
	assert_int_equal(rt.saddr, A("10.0.0.1"));
	assert_int_equal(stat(f->a, "IpOutNoRoutes"), 0);
	fx_free(f);
}

static void test_device_down_removes_routes(void **state)
{
	struct fx *f = fx_new(UST_FRAMING_IP, 1);
	struct ust_rtable rt;

	(void)state;
	assert_int_equal(add(f->a, "0.0.0.0", 0, "10.0.0.254", 0), 0);
	assert_int_equal(ust_netdev_set_up(f->da, 0), 0);
	assert_int_equal(out(f, "10.0.0.2", NULL, 0, &rt), -ENETUNREACH);
	assert_int_equal(out(f, "10.0.0.2", NULL, f->da->ifindex, &rt), -ENETUNREACH);
	assert_int_equal(add(f->a, "10.5.0.0", 16, NULL, f->da->ifindex), -1);
	assert_int_equal(errno, ENETDOWN);
	assert_int_equal(ust_netdev_set_up(f->da, 1), 0);
	assert_int_equal(out(f, "10.0.0.2", NULL, 0, &rt), 0);
	assert_int_equal(out(f, "8.8.8.8", NULL, 0, &rt), -ENETUNREACH);   /* user routes are gone */
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lpm_overlapping_prefixes_and_default),
		cmocka_unit_test(test_lpm_thousands_of_routes),
		cmocka_unit_test(test_addr_add_brings_local_subnet_and_broadcast_routes),
		cmocka_unit_test(test_r6_unbound_source_matches_gateway_subnet_or_prefsrc),
		cmocka_unit_test(test_r4_device_only_on_link_fallback),
		cmocka_unit_test(test_r3_r5_bound_source_is_kept),
		cmocka_unit_test(test_r2_bound_source_validation),
		cmocka_unit_test(test_no_route_and_route_types),
		cmocka_unit_test(test_r7_special_destinations),
		cmocka_unit_test(test_device_down_removes_routes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
