/*
 * IPv4 configuration: addresses and routes, as `ip addr` and `ip route` set
 * them on Linux. Addresses and gateways are in network byte order (in_addr_t
 * as inet_pton writes it). Every call returns 0, or -1 with errno set to what
 * the kernel answers `ip` with:
 *
 *   ust_addr_add   EINVAL (bad prefix length, multicast/broadcast/0 address),
 *                  EEXIST (the address with that prefix is on the device),
 *                  ENODEV (the device does not belong to this stack)
 *   ust_addr_del   EADDRNOTAVAIL (no such address on the device: Linux's answer
 *                  to `ip addr del`), ENODEV
 *   ust_route_add  EINVAL (host bits set, bad length, no device or gateway,
 *                  prefsrc not local, gateway is local), EEXIST (same table,
 *                  prefix, length and metric), ENODEV (unknown ifindex),
 *                  ENETUNREACH (gateway not on-link), ENETDOWN (device down)
 *   ust_route_del  ESRCH (no match: Linux's "No such process"), EINVAL
 *
 * A stack starts with a loopback device (ifindex 1) holding 127.0.0.1/8; the
 * devices it creates (memlink, tap) come up without an address.
 */
#ifndef USTACK_IP_H
#define USTACK_IP_H

#include <stdint.h>
#include "ustack/stack.h"

/* in_addr_t as <netinet/in.h> declares it (an identical typedef may be
 * repeated), without bringing that header's htonl/htons macros along. */
typedef uint32_t in_addr_t;

#ifdef __cplusplus
extern "C" {
#endif

struct ust_netdev;

/* Route types, numbered as Linux's RTN_*. */
enum ust_route_type {
	UST_RTN_UNSPEC = 0,       /* ust_route_add: unicast; ust_route_del: any */
	UST_RTN_UNICAST = 1,
	UST_RTN_LOCAL = 2,
	UST_RTN_BROADCAST = 3,
	UST_RTN_MULTICAST = 5,
	UST_RTN_BLACKHOLE = 6,    /* connect(): EINVAL */
	UST_RTN_UNREACHABLE = 7,  /* EHOSTUNREACH */
	UST_RTN_PROHIBIT = 8,     /* EACCES */
};

/* Scopes, numbered as Linux's RT_SCOPE_*. */
enum ust_scope {
	UST_SCOPE_UNIVERSE = 0,
	UST_SCOPE_LINK = 253,
	UST_SCOPE_HOST = 254,
};

struct ust_route_config {
	in_addr_t dst;            /* prefix, no host bits */
	int prefixlen;            /* 0..32 */
	in_addr_t gateway;        /* 0: directly connected */
	int ifindex;              /* 0: the device the gateway is reached through */
	in_addr_t prefsrc;        /* 0: chosen per lookup */
	uint32_t metric;          /* lower wins among equal prefixes */
	enum ust_route_type type;
	uint32_t mtu;             /* 0: the device's */
	uint32_t advmss;          /* 0: mtu - 40 */
};

UST_API void ust_route_config_init(struct ust_route_config *cfg);
UST_API int ust_route_add(struct ust_stack *st, const struct ust_route_config *cfg);
/* Deletes the first route of that prefix matching the fields given (gateway,
 * ifindex, metric and type when non-zero). */
UST_API int ust_route_del(struct ust_stack *st, const struct ust_route_config *cfg);

/* Adds addr/prefixlen to dev, with the routes Linux adds (local /32, the
 * connected subnet, the subnet broadcast): scope host for 127/8, else global.
 * A second address in the subnet of an existing one is a secondary. */
UST_API int ust_addr_add(struct ust_stack *st, struct ust_netdev *dev, in_addr_t addr, int prefixlen);
/* Removes it and its routes; removing a primary removes its secondaries
 * (promote_secondaries=0, the kernel default). */
UST_API int ust_addr_del(struct ust_stack *st, struct ust_netdev *dev, in_addr_t addr, int prefixlen);
/* "192.0.2.1/24" or "192.0.2.1" (prefix 32). -1 with EINVAL. */
UST_API int ust_addr_parse(const char *text, in_addr_t *addr, int *prefixlen);
/* Administrative state (devices start up). Down removes the device's routes
 * and neighbours; up adds its address routes again. -1 with ENODEV for a
 * device not attached to a stack. */
UST_API int ust_netdev_set_up(struct ust_netdev *dev, int up);

#ifdef __cplusplus
}
#endif
#endif
