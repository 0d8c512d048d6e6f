/*
 * Per-stack settings, named and defaulted as the Linux sysctls they mirror (a
 * fresh network namespace of a current kernel). Set them by name, with or
 * without the "net.ipv4." / "net.core." prefix: ust_sysctl_set(st,
 * "tcp_syncookies", "0"), or "ip_local_port_range" with "32768 60999".
 */
#ifndef UST_CORE_SYSCTL_H
#define UST_CORE_SYSCTL_H

#include <stdint.h>
#include <stdio.h>

/* X(field, prefix, count, default0, default1, default2, min, max) */
#define UST_SYSCTL_LIST(X) \
	X(somaxconn,               "net.core.", 1, 4096, 0, 0, 0, 2147483647) \
	X(tcp_max_syn_backlog,     "net.ipv4.", 1, 2048, 0, 0, 1, 2147483647) \
	X(tcp_syncookies,          "net.ipv4.", 1, 1, 0, 0, 0, 2) \
	X(tcp_abort_on_overflow,   "net.ipv4.", 1, 0, 0, 0, 0, 1) \
	X(tcp_syn_retries,         "net.ipv4.", 1, 6, 0, 0, 1, 127) \
	X(tcp_synack_retries,      "net.ipv4.", 1, 5, 0, 0, 0, 255) \
	X(tcp_retries1,            "net.ipv4.", 1, 3, 0, 0, 0, 255) \
	X(tcp_retries2,            "net.ipv4.", 1, 15, 0, 0, 0, 255) \
	X(tcp_slow_start_after_idle, "net.ipv4.", 1, 1, 0, 0, 0, 1) \
	X(tcp_syn_linear_timeouts, "net.ipv4.", 1, 4, 0, 0, 0, 12) \
	X(tcp_timestamps,          "net.ipv4.", 1, 1, 0, 0, 0, 2) \
	X(tcp_sack,                "net.ipv4.", 1, 1, 0, 0, 0, 1) \
	X(tcp_dsack,               "net.ipv4.", 1, 1, 0, 0, 0, 1) \
	X(tcp_moderate_rcvbuf,     "net.ipv4.", 1, 1, 0, 0, 0, 1) \
	X(tcp_window_scaling,      "net.ipv4.", 1, 1, 0, 0, 0, 1) \
	X(tcp_ecn,                 "net.ipv4.", 1, 2, 0, 0, 0, 2) \
	X(tcp_rmem,                "net.ipv4.", 3, 4096, 131072, 33554432, 1, 2147483647) \
	X(tcp_wmem,                "net.ipv4.", 3, 4096, 16384, 4194304, 1, 2147483647) \
	X(tcp_tw_reuse,            "net.ipv4.", 1, 2, 0, 0, 0, 2) \
	X(tcp_fin_timeout,         "net.ipv4.", 1, 60, 0, 0, 1, 2147483647) \
	X(tcp_max_tw_buckets,      "net.ipv4.", 1, 131072, 0, 0, 0, 2147483647) \
	X(tcp_tw_reuse_delay,      "net.ipv4.", 1, 1000, 0, 0, 1, 2147483647) \
	X(tcp_rfc1337,             "net.ipv4.", 1, 0, 0, 0, 0, 1) \
	X(tcp_keepalive_time,      "net.ipv4.", 1, 7200, 0, 0, 1, 32767) \
	X(tcp_keepalive_intvl,     "net.ipv4.", 1, 75, 0, 0, 1, 32767) \
	X(tcp_keepalive_probes,    "net.ipv4.", 1, 9, 0, 0, 1, 127) \
	X(tcp_invalid_ratelimit,   "net.ipv4.", 1, 500, 0, 0, 0, 2147483647) \
	X(tcp_challenge_ack_limit, "net.ipv4.", 1, 2147483647, 0, 0, 0, 2147483647) \
	X(tcp_migrate_req,         "net.ipv4.", 1, 0, 0, 0, 0, 1) \
	X(tcp_min_snd_mss,         "net.ipv4.", 1, 48, 0, 0, 48, 65535) \
	X(tcp_base_mss,            "net.ipv4.", 1, 1024, 0, 0, 48, 65535) \
	X(ip_local_port_range,     "net.ipv4.", 2, 32768, 60999, 0, 1, 65535) \
	X(ip_autobind_reuse,       "net.ipv4.", 1, 0, 0, 0, 0, 1) \
	X(ip_unprivileged_port_start, "net.ipv4.", 1, 1024, 0, 0, 0, 65535) \
	X(ip_nonlocal_bind,        "net.ipv4.", 1, 0, 0, 0, 0, 1) \
	X(ip_default_ttl,          "net.ipv4.", 1, 64, 0, 0, 1, 255) \
	X(rmem_max,                "net.core.", 1, 212992, 0, 0, 1, 2147483647) \
	X(wmem_max,                "net.core.", 1, 212992, 0, 0, 1, 2147483647) \
	X(icmp_ratelimit,          "net.ipv4.", 1, 1000, 0, 0, 0, 2147483647) \
	X(icmp_ratemask,           "net.ipv4.", 1, 0x1818, 0, 0, 0, 2147483647) \
	X(icmp_msgs_per_sec,       "net.ipv4.", 1, 1000, 0, 0, 0, 2147483647) \
	X(icmp_msgs_burst,         "net.ipv4.", 1, 50, 0, 0, 0, 2147483647) \
	X(arp_notify,              "net.ipv4.conf.all.", 1, 0, 0, 0, 0, 1)

/* One field per entry of UST_SYSCTL_LIST: a scalar, or an array of `count`. */
struct ust_sysctl {
	int somaxconn;
	int tcp_max_syn_backlog;
	int tcp_syncookies;
	int tcp_abort_on_overflow;
	int tcp_syn_retries;
	int tcp_synack_retries;
	int tcp_retries1;
	int tcp_retries2;
	int tcp_slow_start_after_idle;
	int tcp_syn_linear_timeouts;
	int tcp_timestamps;
	int tcp_sack;
	int tcp_dsack;
	int tcp_moderate_rcvbuf;
	int tcp_window_scaling;
	int tcp_ecn;
	int tcp_rmem[3];
	int tcp_wmem[3];
	int tcp_tw_reuse;
	int tcp_fin_timeout;
	int tcp_max_tw_buckets;
	int tcp_tw_reuse_delay;
	int tcp_rfc1337;
	int tcp_keepalive_time;
	int tcp_keepalive_intvl;
	int tcp_keepalive_probes;
	int tcp_invalid_ratelimit;
	int tcp_challenge_ack_limit;
	int tcp_migrate_req;
	int tcp_min_snd_mss;
	int tcp_base_mss;
	int ip_local_port_range[2];
	int ip_autobind_reuse;
	int ip_unprivileged_port_start;
	int ip_nonlocal_bind;
	int ip_default_ttl;
	int rmem_max;
	int wmem_max;
	int icmp_ratelimit;        /* ms between errors to one peer (inet_peer) */
	int icmp_ratemask;         /* bit n set: ICMP type n is rate-limited */
	int icmp_msgs_per_sec;     /* global token bucket refill ... */
	int icmp_msgs_burst;       /* ... and its depth */
	int arp_notify;            /* gratuitous ARP on device up / address add */
};

/* Fills every setting with its Linux default. */
void ust_sysctl_init(struct ust_sysctl *s);
/* Sets `name` (short or full) from text holding its value(s). 0, -ENOENT for an
 * unknown name, -EINVAL for a malformed or out-of-range value (nothing changed).
 * ip_local_port_range also needs low <= high, as Linux requires. */
int ust_sysctl_set(struct ust_sysctl *s, const char *name, const char *value);
/* Writes the value(s) of `name` as `sysctl -n` prints them. 0 or -ENOENT/-ENOSPC. */
int ust_sysctl_get(const struct ust_sysctl *s, const char *name, char *buf, size_t len);
/* Writes every setting as `sysctl -a` does: "net.ipv4.tcp_syncookies = 1". */
void ust_sysctl_dump(const struct ust_sysctl *s, FILE *f);

#endif
