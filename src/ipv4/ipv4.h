/*
 * The IPv4 layer of one stack (struct ust_ipv4), between the device layer and
 * the transports. What lives where:
 *
 *   ipv4.c      the object, device registration, the loopback device, the
 *               protocol table (Linux's inet_protos), the public ust_* calls
 *   devinet.c   addresses per device (in_device/in_ifaddr), source selection
 *               (inet_select_addr), the routes an address brings (fib_add_ifaddr)
 *   route.c     the FIB (local and main tables, longest prefix match) and
 *               ust_ip_route_output (spec section 2, R-2..R-7)
 *   ip_input.c  device rx handler -> ust_ip_rcv -> ust_ip_local_deliver -> handler
 *   ip_output.c ust_ip_queue_xmit -> ust_ip_finish_output2 -> ARP or device
 *   arp.c       the neighbour table (arp_tbl): resolution, queue, timers, replies
 *   icmp.c      ust_icmp_rcv (echo, errors to err_handler), ust_icmp_send
 *
 * Conventions: internal functions return 0 or -errno; addresses are network
 * order (ust_be32); a function given a packet owns it from then on, on every
 * path. Nothing here allocates per packet: packets come from core->pool, and
 * only configuration (addresses, routes, neighbour entries) is malloc'ed.
 */
#ifndef UST_IPV4_IPV4_H
#define UST_IPV4_IPV4_H

#include <stdbool.h>
#include <stdint.h>
#include "core/core.h"
#include "core/list.h"
#include "netdev/netdev.h"
#include "ustack/ip.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

#define UST_LOOPBACK_IFINDEX 1
#define UST_INADDR_LOOPBACK 0x7f000001u      /* host order */

/*
 * pkt->flags bits owned by this layer on receive (the transport may read
 * them): bits 0-1 are the link-level packet type, as Linux's skb->pkt_type;
 * UST_PKT_F_IP_BCAST marks a datagram delivered as an IP broadcast
 * (RTCF_BROADCAST), which TCP drops and icmp_send never answers.
 */
#define UST_PKT_TYPE_MASK 0x3u
#define UST_PACKET_HOST 0u
#define UST_PACKET_BROADCAST 1u
#define UST_PACKET_MULTICAST 2u
#define UST_PACKET_OTHERHOST 3u
#define UST_PKT_F_IP_BCAST (1u << 2)

static inline uint32_t ust_pkt_type(const struct ust_pkt *pkt) { return pkt->flags & UST_PKT_TYPE_MASK; }

/* Address classes (network-order argument), as Linux's ipv4_is_*. */
static inline uint32_t ust_h(ust_be32 a) { return __builtin_bswap32(a); }
static inline bool ust_ipv4_is_multicast(ust_be32 a) { return (ust_h(a) & 0xf0000000u) == 0xe0000000u; }
static inline bool ust_ipv4_is_lbcast(ust_be32 a) { return a == 0xffffffffu; }
static inline bool ust_ipv4_is_zeronet(ust_be32 a) { return (ust_h(a) & 0xff000000u) == 0; }
static inline bool ust_ipv4_is_loopback(ust_be32 a) { return (ust_h(a) & 0xff000000u) == 0x7f000000u; }
static inline bool ust_ipv4_is_local_multicast(ust_be32 a) { return (ust_h(a) & 0xffffff00u) == 0xe0000000u; }
static inline ust_be32 ust_inet_make_mask(int len)
{
	return len <= 0 ? 0 : __builtin_bswap32(len >= 32 ? 0xffffffffu : ~(0xffffffffu >> len));
}

/* --- addresses (devinet.c) ---------------------------------------------- */

#define UST_IFA_F_SECONDARY 0x01

struct ust_in_device;

struct ust_in_ifaddr {
	struct ust_list node;           /* idev->addrs: primaries (by scope) first */
	struct ust_hlist_node hnode;    /* ipv4->addr_hash, by local */
	struct ust_in_device *idev;
	ust_be32 local;
	ust_be32 mask;
	ust_be32 broadcast;             /* prefix | ~mask when prefixlen < 31, else 0 */
	uint8_t prefixlen;
	uint8_t scope;                  /* enum ust_scope */
	uint8_t flags;                  /* UST_IFA_F_* */
};

struct ust_in_device {
	struct ust_list node;           /* ipv4->devs, loopback first */
	struct ust_netdev *dev;
	struct ust_list addrs;
	bool up;
};

/* --- routes (route.c) ---------------------------------------------------- */

#define UST_RT_TABLE_MAIN 254
#define UST_RT_TABLE_LOCAL 255
#define UST_FIB_F_KERNEL 0x01           /* added for an address: "proto kernel" */

/* One route ("fib alias + fib info" in Linux, one object here). */
struct ust_fib_info {
	struct ust_hlist_node hnode;    /* table bucket, by (dst, plen) */
	struct ust_list lnode;          /* table->routes */
	ust_be32 dst;
	uint8_t plen;
	uint8_t type;                   /* enum ust_route_type */
	uint8_t scope;                  /* enum ust_scope */
	uint8_t flags;                  /* UST_FIB_F_* */
	uint32_t metric;
	ust_be32 gw;
	struct ust_in_device *idev;     /* NULL for unreachable/prohibit/blackhole */
	ust_be32 prefsrc;
	uint32_t mtu;
	uint32_t advmss;
};

#define UST_FIB_CACHE_SIZE 4

/*
 * A table: one hash of every route keyed by (prefix, length), plus a bitmap of
 * the lengths present. A lookup tries each present length from 32 down, masks
 * the destination, and looks at one bucket: at most 33 probes of an O(1)
 * hash, whatever the table size, and usually 2 or 3 (host routes, the
 * subnets, the default). Buckets double when the table outgrows them.
 */
struct ust_fib_table {
	struct ust_hlist_head *buckets;
	uint32_t nbuckets;              /* power of two */
	uint32_t nr;
	uint32_t len_count[33];
	uint64_t len_map;               /* bit plen set <=> len_count[plen] > 0 */
	struct ust_list routes;
	uint8_t id;
	/* The last answers of ust_fib_table_lookup, by (daddr, oif), direct
	 * mapped by daddr: a connection's packets ask the same few questions
	 * over and over (route out, local delivery in). Emptied whenever a
	 * route goes in or out (the only things an answer depends on: routes
	 * and their devices' fixed ifindex); used under the stack lock, as the
	 * table is. */
	struct ust_fib_cache {
		ust_be32 daddr;
		int oif;
		bool valid;
		const struct ust_fib_info *res;   /* NULL: no route */
	} cache[UST_FIB_CACHE_SIZE];
};

/* The flow key of an output lookup (Linux's flowi4). saddr and daddr are
 * written back with the chosen values (ip_route_connect does the same). */
#define UST_FLOWI_F_ANYSRC 0x01         /* transparent/freebind: no local check */
#define UST_FLOWI_F_NOSTATS 0x02        /* do not count IpOutNoRoutes (ICMP) */

struct ust_flowi4 {
	ust_be32 daddr;
	ust_be32 saddr;                 /* 0, or the bound address */
	int oif;                        /* 0, or the bound device (SO_BINDTODEVICE) */
	uint8_t proto;
	uint8_t tos;
	uint32_t flags;                 /* UST_FLOWI_F_* */
};

/* rt->flags, as Linux's RTCF_*. */
#define UST_RTCF_LOCAL 0x1
#define UST_RTCF_BROADCAST 0x2
#define UST_RTCF_MULTICAST 0x4

/* The result of an output lookup: a value, nothing to release. */
struct ust_rtable {
	struct ust_netdev *dev;         /* output device: loopback for LOCAL */
	int fib_oif;                    /* device of the matched route (the address's, for LOCAL) */
	ust_be32 saddr;
	ust_be32 daddr;
	ust_be32 nexthop;               /* gateway, or daddr when on-link */
	bool uses_gateway;
	uint8_t type;                   /* enum ust_route_type */
	uint32_t flags;                 /* UST_RTCF_* */
	uint32_t mtu;                   /* route mtu metric, else the device's */
	uint32_t advmss;                /* route advmss metric, else max(mtu - 40, 256) */
};

/* --- neighbours (arp.c) --------------------------------------------------- */

enum ust_nud_state {
	UST_NUD_INCOMPLETE = 0x01,
	UST_NUD_REACHABLE = 0x02,
	UST_NUD_STALE = 0x04,
	UST_NUD_DELAY = 0x08,
	UST_NUD_PROBE = 0x10,
	UST_NUD_FAILED = 0x20,
};
#define UST_NUD_VALID (UST_NUD_REACHABLE | UST_NUD_STALE | UST_NUD_DELAY | UST_NUD_PROBE)

struct ust_arp_table;

struct ust_neigh {
	struct ust_hlist_node hnode;
	struct ust_arp_table *tbl;
	struct ust_in_device *idev;
	ust_be32 ip;
	uint8_t mac[6];
	uint8_t state;                  /* enum ust_nud_state */
	uint8_t probes;
	uint64_t updated;               /* ns: last state or address change */
	uint64_t confirmed;             /* ns: last proof of reachability */
	uint64_t used;                  /* ns: last packet sent through it */
	struct ust_timer timer;
	struct ust_pkt *q_head, *q_tail;/* waiting for resolution, oldest first */
	uint32_t q_len;
	uint32_t q_bytes;               /* pkt->size of each, as Linux counts truesize */
};

/* Linux's per-table neighbour statistics (/proc/net/stat/arp_cache). */
struct ust_neigh_stats {
	uint64_t allocs, destroys, lookups, hits;
	uint64_t res_failed;            /* resolutions that failed */
	uint64_t unres_discards;        /* packets dropped unresolved */
	uint64_t table_fulls;
};

#define UST_ARP_HASH_SIZE 1024

struct ust_arp_table {
	struct ust_hlist_head hash[UST_ARP_HASH_SIZE];
	uint32_t nr;
	uint32_t reachable_ms;          /* drawn from base_reachable_time as Linux does */
	struct ust_neigh_stats stats;
};

/* --- the layer ------------------------------------------------------------ */

/* Settings of this layer, with Linux's sysctl names and defaults (the TTL is
 * core->sysctl.ip_default_ttl). */
struct ust_ipv4_sysctl {
	uint8_t icmp_echo_ignore_all;       /* 0 */
	uint8_t icmp_echo_ignore_broadcasts;/* 1 */
	uint32_t retrans_time_ms;           /* neigh: 1000 */
	uint32_t base_reachable_time_ms;    /* 30000 */
	uint32_t delay_first_probe_time_ms; /* 5000 */
	uint32_t gc_stale_time_ms;          /* 60000 */
	uint32_t locktime_ms;               /* 1000 */
	uint8_t mcast_solicit;              /* 3 */
	uint8_t ucast_solicit;              /* 3 */
	uint32_t unres_qlen_bytes;          /* 212992, counted in pkt->size (truesize) */
	uint32_t gc_thresh3;                /* 1024 entries at most */
	uint32_t lo_backlog;                /* netdev_max_backlog: 1000 */
};

/* Drops Linux counts in no SNMP counter (route cache stats, device stats). */
struct ust_ipv4_xstats {
	uint64_t in_martian_src;
	uint64_t in_martian_dst;
	uint64_t in_mcast_dropped;          /* multicast: no group is joined */
	uint64_t lo_dropped;                /* loopback backlog full */
	uint64_t arp_invalid;               /* malformed or not for us */
};

/* What ip_local_deliver hands a transport: pkt->data at the transport
 * header, pkt->len its length (the datagram trimmed to tot_len), l3_off and
 * l4_off set, pkt->dev the receiving device (loopback for local traffic).
 * The handler owns pkt. */
struct ust_icmp_err;
struct ust_inet_protocol {
	void (*handler)(void *ctx, struct ust_pkt *pkt, const struct ust_ipv4_info *iph);
	/* An ICMP error quoting a datagram of this protocol (tcp_v4_err). */
	void (*err_handler)(void *ctx, const struct ust_icmp_err *e);
};

/* An ICMP error as the transport needs it (icmp_socket_deliver's view). */
struct ust_icmp_err {
	uint8_t type;                   /* DEST_UNREACH, TIME_EXCEEDED, PARAMETERPROB */
	uint8_t code;
	uint32_t info;                  /* frag needed: next-hop MTU; param problem: pointer */
	ust_be32 icmp_saddr;            /* who sent the error */
	int ifindex;                    /* where it arrived */
	ust_be32 saddr, daddr;          /* the quoted header: our datagram */
	uint8_t protocol;
	uint8_t tos;
	uint8_t l4[8];                  /* first 8 bytes of the quoted transport header */
	ust_be16 sport, dport;          /* views of l4 */
	uint32_t seq;                   /* TCP: host order */
};

struct ust_ip_proto_slot {
	const struct ust_inet_protocol *ops;
	void *ctx;
};

/* icmp_ratelimit.c: the per-destination buckets (inet_peer's rate_tokens and
 * rate_last) in a fixed table, and the global bucket. */
#define UST_ICMP_PEERS 256

struct ust_icmp_peer {
	ust_be32 daddr;
	bool used;
	uint64_t tokens;                /* ms of credit, at most 6 * icmp_ratelimit */
	uint64_t last;                  /* ms of the last refill */
};

struct ust_icmp_ratelimit {
	int64_t credit;                 /* global; may go below 0 */
	uint64_t stamp;                 /* ms of the last global refill */
	uint32_t seed;
	struct ust_icmp_peer peers[UST_ICMP_PEERS];
};

#define UST_INADDR_HASH_SIZE 256
#define UST_IP_IDENTS 256

struct ust_ipv4 {
	struct ust_core *core;
	struct ust_ipv4_sysctl sysctl;
	struct ust_ipv4_xstats xstats;
	struct ust_list devs;                       /* struct ust_in_device */
	struct ust_hlist_head addr_hash[UST_INADDR_HASH_SIZE];
	struct ust_fib_table local;
	struct ust_fib_table main;
	struct ust_arp_table arp;
	struct ust_icmp_ratelimit icmp_rl;
	struct ust_ip_proto_slot protos[256];
	uint16_t idents[UST_IP_IDENTS];
	/* The loopback device: not on the stack's device list; its xmit queues,
	 * and lo_timer (armed for the current tick) hands the queue to ip_rcv at
	 * the next ust_stack_poll, as Linux's backlog defers loopback rx. */
	struct ust_netdev lo;
	struct ust_in_device *lo_idev;
	struct ust_pkt *lo_head, *lo_tail;
	uint32_t lo_qlen;
	struct ust_timer lo_timer;
};

/* ipv4.c */
int ust_ipv4_init(struct ust_ipv4 *ip, struct ust_core *core);
void ust_ipv4_destroy(struct ust_ipv4 *ip);
/* The stack tells the layer of a new device; installs the rx handler. */
int ust_ipv4_netdev_register(struct ust_ipv4 *ip, struct ust_netdev *dev);
struct ust_in_device *ust_in_dev_get(struct ust_ipv4 *ip, const struct ust_netdev *dev);
struct ust_in_device *ust_in_dev_by_index(struct ust_ipv4 *ip, int ifindex);
/* -EINVAL (NULL ops or handler), -EEXIST (slot taken). */
int ust_inet_add_protocol(struct ust_ipv4 *ip, uint8_t proto, const struct ust_inet_protocol *ops, void *ctx);
int ust_inet_del_protocol(struct ust_ipv4 *ip, uint8_t proto, const struct ust_inet_protocol *ops);
int ust_ipv4_set_up(struct ust_ipv4 *ip, struct ust_in_device *idev, bool up);

/* devinet.c */
int ust_inet_addr_add(struct ust_ipv4 *ip, struct ust_in_device *idev, ust_be32 addr,
		      int prefixlen, int scope);
int ust_inet_addr_del(struct ust_ipv4 *ip, struct ust_in_device *idev, ust_be32 addr, int prefixlen);
void ust_inet_addr_flush(struct ust_ipv4 *ip, struct ust_in_device *idev);
/* The address record of a local address, or NULL (__ip_dev_find). */
struct ust_in_ifaddr *ust_inet_ifa_find(struct ust_ipv4 *ip, ust_be32 addr);
/* inet_select_addr: a primary of idev of scope <= scope, in dst's subnet if
 * any, else the first; failing that, any device's non-link-scope primary. */
ust_be32 ust_inet_select_addr(struct ust_ipv4 *ip, const struct ust_in_device *idev,
			      ust_be32 dst, int scope);
/* Adds/removes the local, subnet and broadcast routes of ifa (fib_add_ifaddr). */
void ust_fib_add_ifaddr(struct ust_ipv4 *ip, struct ust_in_ifaddr *ifa);
void ust_fib_del_ifaddr(struct ust_ipv4 *ip, struct ust_in_ifaddr *ifa);

/* route.c */
int ust_fib_table_init(struct ust_fib_table *t, uint8_t id);
void ust_fib_table_destroy(struct ust_fib_table *t);
/* Inserts a copy of r. -EEXIST when a route of the same prefix, length and
 * metric exists (kernel routes only clash with the same device's). */
int ust_fib_insert(struct ust_ipv4 *ip, struct ust_fib_table *t, const struct ust_fib_info *r);
/* Deletes the first route matching r's dst/plen and its non-zero fields. */
int ust_fib_delete(struct ust_ipv4 *ip, struct ust_fib_table *t, const struct ust_fib_info *r);
/* Removes every route through idev (device down, device gone). */
void ust_fib_flush_dev(struct ust_ipv4 *ip, const struct ust_in_device *idev);
/* The longest prefix match for a question t->cache does not hold; fills it. */
const struct ust_fib_info *ust_fib_table_lookup_miss(const struct ust_fib_table *t, ust_be32 daddr, int oif);

static inline unsigned ust_fib_cache_slot(ust_be32 daddr)
{
	uint32_t h = ust_h(daddr);

	return (h ^ (h >> 8)) & (UST_FIB_CACHE_SIZE - 1);
}

/* Longest prefix match in t (oif 0: any device); NULL when nothing matches.
 * A question asked before (and no route added or removed since) is answered
 * from t->cache. */
static inline const struct ust_fib_info *ust_fib_table_lookup(const struct ust_fib_table *t, ust_be32 daddr,
							      int oif)
{
	const struct ust_fib_cache *c = &t->cache[ust_fib_cache_slot(daddr)];

	if (c->valid && c->daddr == daddr && c->oif == oif)
		return c->res;
	return ust_fib_table_lookup_miss(t, daddr, oif);
}
/* Local table, then main. */
const struct ust_fib_info *ust_fib_lookup(const struct ust_ipv4 *ip, ust_be32 daddr, int oif);
/* RTN_LOCAL, RTN_BROADCAST, or RTN_UNICAST for what the local table has for addr. */
int ust_inet_addr_type(const struct ust_ipv4 *ip, ust_be32 addr);
/*
 * The output route for fl (ip_route_output_key_hash_rcu, spec 2 R-2..R-7).
 * Returns 0 with rt filled in and fl->saddr/daddr set to what was chosen, or:
 *   -EINVAL       bound saddr multicast, limited broadcast or 0.x; loopback
 *                 saddr off the loopback device; daddr 0.x (not 0.0.0.0);
 *                 a blackhole route
 *   -ENETUNREACH  no route; bound saddr not local (Linux 6.x; older kernels
 *                 said EINVAL); oif device down. Counted in IpOutNoRoutes
 *                 unless fl->flags has UST_FLOWI_F_NOSTATS (tcp_v4_connect,
 *                 ip_queue_xmit and udp_sendmsg count it; icmp does not)
 *   -ENODEV       oif names no device
 *   -EHOSTUNREACH / -EACCES  unreachable / prohibit route
 * A broadcast or multicast result is a success with rt->type BROADCAST or
 * MULTICAST: TCP turns it into ENETUNREACH (uncounted), as tcp_v4_connect does.
 */
int ust_ip_route_output(struct ust_ipv4 *ip, struct ust_flowi4 *fl, struct ust_rtable *rt);

/* ip_input.c */
void ust_ipv4_rx(struct ust_netdev *dev, struct ust_pkt *pkt, void *ctx);
/* pkt->data at the IP header. Takes pkt. */
void ust_ip_rcv(struct ust_ipv4 *ip, struct ust_pkt *pkt);
void ust_ip_local_deliver(struct ust_ipv4 *ip, struct ust_pkt *pkt, const struct ust_ipv4_info *iph);

/* ip_output.c */
struct ust_ip_tx {
	ust_be32 saddr, daddr;          /* 0: the route's */
	uint8_t protocol;
	uint8_t tos;
	uint8_t ttl;                    /* 0: core->sysctl ip_default_ttl */
	bool df;
	/* The IP ID rule (ip_select_ident): DF with a connected socket's counter
	 * (inet_id) takes *inet_id and advances it; DF without one (SYN-ACK, RST
	 * from the control socket) is 0; without DF a per-stack counter per
	 * (daddr, saddr, protocol) bucket, as Linux's ip_idents. */
	uint16_t *inet_id;
};
/*
 * ip_queue_xmit for a route already looked up: prepends the 20-byte header
 * to pkt (data at the transport header) and sends it towards rt->nexthop.
 * Counts IpOutRequests, then IpOutTransmits + IpExtOutOctets when it reaches
 * the neighbour layer. No fragmentation: a datagram above rt->mtu is dropped
 * with IpFragFails and -EMSGSIZE. Takes pkt in every case.
 */
int ust_ip_queue_xmit(struct ust_ipv4 *ip, struct ust_pkt *pkt, const struct ust_rtable *rt,
		      const struct ust_ip_tx *tx);
/* ip_build_and_send_pkt (SYN-ACK, RST): looks the route up from tx's
 * addresses and oif (IpOutNoRoutes and -EHOSTUNREACH when none, as
 * ip_queue_xmit), then ust_ip_queue_xmit. */
int ust_ip_build_and_send_pkt(struct ust_ipv4 *ip, struct ust_pkt *pkt, int oif,
			      const struct ust_ip_tx *tx);
/* The neighbour step (ip_finish_output2): pkt->data at the IP header. */
int ust_ip_finish_output2(struct ust_ipv4 *ip, struct ust_pkt *pkt, const struct ust_rtable *rt);
uint16_t ust_ip_select_ident(struct ust_ipv4 *ip, ust_be32 daddr, ust_be32 saddr, uint8_t proto);
/* Prepends the Ethernet header (padding to 60 bytes first) and sends. Takes pkt. */
int ust_eth_output(struct ust_netdev *dev, const uint8_t dst[6], uint16_t ethertype, struct ust_pkt *pkt);

/* arp.c */
void ust_arp_table_init(struct ust_ipv4 *ip);
void ust_arp_table_destroy(struct ust_ipv4 *ip);
void ust_arp_rcv(struct ust_ipv4 *ip, struct ust_pkt *pkt);
/* Sends pkt (data at the IP header) to nexthop on idev's Ethernet device:
 * at once when resolved, else queued while resolving. Takes pkt. */
int ust_arp_output(struct ust_ipv4 *ip, struct ust_in_device *idev, ust_be32 nexthop, struct ust_pkt *pkt);
/* A gratuitous ARP request for addr on idev (arping -U, arp_notify). */
int ust_arp_announce(struct ust_ipv4 *ip, struct ust_in_device *idev, ust_be32 addr);
/* inetdev_send_gratuitous_arp: one announcement per address of an up
 * Ethernet device (device up with arp_notify, ust_netdev_notify_peers). */
void ust_arp_notify_peers(struct ust_ipv4 *ip, struct ust_in_device *idev);
/* Upper-layer proof that nexthop answers (dst_confirm_neigh). */
void ust_arp_confirm(struct ust_ipv4 *ip, struct ust_in_device *idev, ust_be32 nexthop);
void ust_arp_flush_dev(struct ust_ipv4 *ip, const struct ust_in_device *idev);
struct ust_neigh *ust_neigh_lookup(struct ust_ipv4 *ip, const struct ust_in_device *idev, ust_be32 addr);

/* icmp.c */
/* Registers ICMP as protocol 1 (inet_init's icmp_protocol). */
int ust_icmp_init(struct ust_ipv4 *ip);
/*
 * icmp_send: an error of type/code about pkt (its IP header at
 * head + l3_off, its length that header's tot_len), with info in bytes 4..7
 * (frag needed: the MTU). Sends nothing, as Linux, when the datagram was a
 * broadcast or multicast (link or IP), a non-first fragment, an ICMP error
 * or unknown ICMP type, or from 0/broadcast/multicast. Rate-limited as
 * Linux's (icmp_ratelimit.c): -EAGAIN when a limit refuses.
 * Does not take pkt. Returns 0 if sent, else -errno.
 */
int ust_icmp_send(struct ust_ipv4 *ip, const struct ust_pkt *pkt, uint8_t type, uint8_t code, uint32_t info);

/* icmp_ratelimit.c (see there). global_allow: false when the global bucket
 * refuses (counted); *apply says whether xrlim_allow must check the peer.
 * in_dev: the offending packet's device (errors about loopback packets skip
 * the global check), NULL for replies, which always take it.
 * xrlim_allow: false when the destination's bucket refuses (counted). */
void ust_icmp_ratelimit_init(struct ust_ipv4 *ip);
bool ust_icmp_global_allow(struct ust_ipv4 *ip, const struct ust_netdev *in_dev, uint8_t type, uint8_t code,
			   bool *apply);
bool ust_icmp_xrlim_allow(struct ust_ipv4 *ip, const struct ust_rtable *rt, bool apply);

#endif
