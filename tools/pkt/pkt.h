/*
 * Packets between a script and the wire: build the IPv4 bytes of an inbound
 * (`<`) event, decode and match what the stack sent against an outbound (`>`)
 * event, print any packet in the script's syntax, and check event timing.
 *
 * Script numbers map to the wire as packetdrill maps them (run_packet.c and
 * socket.h there; tests/scripts/README.md has the rules with examples):
 *
 *   remote ISN R: the seq the script gives the first inbound SYN (passive
 *     open) or SYN-ACK (active open). packetdrill injects it unchanged, so
 *     script and wire agree on it.
 *   local ISN: script value Ls from the first expected `> S` or `> S.`, wire
 *     value Lw from the packet the stack sent for it.
 *   inbound seq  = SYN ? seq : seq + R
 *   inbound ack and SACK blocks = SYN ? v + (Lw - Ls) : v + Lw
 *     (ack only when the ACK flag is set; SACK blocks always)
 *   outbound seq = SYN ? wire - (Lw - Ls) : wire - Lw          (wire -> script)
 *   outbound ack and SACK blocks = SYN ? wire : wire - R       (ACK flag set)
 *   TS val inbound: as written. TS ecr inbound (ACK set): the wire TS val of
 *     the outbound packet whose script TS val equals it; else, with
 *     --tcp_ts_ecr_scaled, ecr - first script val + first wire val; else an
 *     error. Outbound TS val: first script val + (wire - first wire val),
 *     checked only when --tcp_ts_tick_usecs is set; TS ecr never checked.
 *   ICMP errors quote a segment local -> remote with seq = script seq + Lw.
 *
 * Addresses: inbound packets go remote_ip:remote_port -> local_ip:local_port
 * unless the script wrote `sport>dport` (then those ports). Inbound IPv4: id
 * 0, no DF, TTL 255 unless [ttl N], TOS from the script, payload zeros.
 *
 * All state lives in struct pkt_conn (one per connection under test).
 */
#ifndef UST_PKT_PKT_H
#define UST_PKT_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "script.h"
#include "wire/types.h"

/* packetdrill's defaults: --tolerance_usecs=4000, --tolerance_percent=12.5,
 * --tcp_ts_tick_usecs=0 (TS val not checked), no --tcp_ts_ecr_scaled. */
struct pkt_config {
	int64_t tolerance_usecs;
	double tolerance_percent;
	int64_t ts_tick_usecs;
	bool ts_ecr_scaled;
};

#define PKT_TS_MAP_SIZE 64

struct pkt_conn {
	ust_be32 local_ip;              /* the stack under test */
	ust_be32 remote_ip;             /* the script's peer */
	ust_be16 local_port;
	ust_be16 remote_port;
	bool remote_isn_known;
	uint32_t remote_isn;
	bool local_isn_known;
	uint32_t script_local_isn;
	uint32_t live_local_isn;
	bool ts_known;                  /* the first outbound TS val pair seen */
	uint32_t first_script_ts_val;
	uint32_t first_live_ts_val;
	unsigned int nts;               /* script -> wire TS val pairs, ring */
	struct {
		uint32_t script;
		uint32_t live;
	} ts_map[PKT_TS_MAP_SIZE];
};

void pkt_config_init(struct pkt_config *cfg);
/* Addresses and ports in network order; nothing learned yet. */
void pkt_conn_init(struct pkt_conn *c, ust_be32 local_ip, ust_be16 local_port,
		   ust_be32 remote_ip, ust_be16 remote_port);

/*
 * Builds the IPv4 datagram for an inbound packet into buf and returns its
 * length; -ENOSPC if cap is too small, -EINVAL (msg says why) if the packet
 * is outbound or its TS ecr cannot be mapped. A TCP SYN teaches c the remote
 * ISN if it is not known yet.
 */
int pkt_build_inbound(struct pkt_conn *c, const struct pkt_config *cfg,
		      const struct pkt_packet *p, uint8_t *buf, size_t cap,
		      char *msg, size_t msg_cap);

/* A decoded IPv4 TCP or ICMP datagram: the packet in script form, wire
 * values (absolute, dir PKT_OUTBOUND, every TCP field given). */
struct pkt_decoded {
	struct pkt_packet pkt;
	ust_be32 saddr;
	ust_be32 daddr;
	ust_be16 sport;                 /* TCP */
	ust_be16 dport;
	uint16_t tot_len;               /* the IPv4 total length */
	uint8_t tos;
	uint8_t ttl;
	uint8_t res1;                   /* TCP reserved bits after doff, AE excluded */
	bool ip_csum_ok;
	bool l4_csum_ok;
	const uint8_t *payload;         /* TCP payload in the input */
	size_t payload_len;
};

/* 0, or -EBADMSG (msg says why) for anything not IPv4 TCP/ICMP or malformed. */
int pkt_decode(const uint8_t *ip, size_t len, struct pkt_decoded *d, char *msg, size_t msg_cap);

/* What an outbound match needs besides the packets. */
struct pkt_match_ctx {
	int64_t script_usecs;           /* the event's time (for messages, TS tolerance) */
	int64_t actual_usecs;           /* when the stack sent it (for messages) */
};

/*
 * Matches the datagram the stack sent against an expected outbound packet,
 * in packetdrill's order of checks: IP checksum, protocol, TOS/TTL if given,
 * TCP flags, reserved bits, seq, ack, window (if given), urgent pointer,
 * options (exact kinds in order and values, TS val within tolerance only if
 * cfg->ts_tick_usecs; <...> skips), payload (zeros). Learns the local ISN and
 * TS vals into c. Returns 0, or -EINVAL with msg:
 *   "live packet field tcp_window: expected: 65535 (0xffff) vs actual: ..."
 *   "script packet:  0.100000 S. 0:0(0) ack 1 win 65535 <...>"
 *   "actual packet:  0.100000 S. 0:0(0) ack 1 win 64240 <mss 1460,...>"
 * (the actual one mapped to script numbers), or -EBADMSG if undecodable.
 */
int pkt_match_outbound(struct pkt_conn *c, const struct pkt_config *cfg,
		       const struct pkt_packet *expected, const uint8_t *ip, size_t len,
		       const struct pkt_match_ctx *ctx, char *msg, size_t msg_cap);

/*
 * Formats a packet as the script writes it, without direction and time:
 * "S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>",
 * "icmp unreachable port_unreachable [1:1(0)]". Writes at most cap bytes
 * (NUL included) and returns the length it needed, as snprintf.
 */
int pkt_format_packet(const struct pkt_packet *p, char *buf, size_t cap);
/* One TCP option as the script writes it: "mss 1460", "TS val 1 ecr 0". */
int pkt_format_tcp_opt(const struct pkt_tcp_opt *o, char *buf, size_t cap);
/* A datagram as "192.0.2.1:40000 > 192.168.0.1:8080 S 0:0(0) win ... <...>"
 * (wire numbers); an undecodable one as "[bad packet: why]". */
int pkt_print_ip(const uint8_t *ip, size_t len, char *buf, size_t cap);

/* Timing of an event, packetdrill's verify_time(). All times are script
 * times in microseconds; expected ones already resolved (pkt_time_resolve). */
struct pkt_time_check {
	enum pkt_time_type type;
	int64_t expected_usecs;
	int64_t expected_end_usecs;     /* ranges */
	int64_t actual_usecs;
	bool has_last;                  /* a previous event exists */
	int64_t last_event_usecs;       /* its (resolved) time */
	int64_t offset_usecs;           /* relative ranges: the base they add to */
	const char *description;        /* "outbound packet", "system call start" ... */
};

/* 0, or -ETIME with packetdrill's message ("timing error: expected outbound
 * packet at 0.100000 sec but happened at 0.110000 sec; tolerance 0.004000 sec").
 * The tolerance is max(tolerance_usecs, tolerance_percent of the time since
 * the last event). */
int pkt_check_time(const struct pkt_config *cfg, const struct pkt_time_check *t,
		   char *msg, size_t msg_cap);
/* Absolute times as they are; relative ones plus offset, which is (as
 * packetdrill's adjust_relative_event_times) the previous event's time when
 * both are inbound packets, else the time now. */
void pkt_time_resolve(const struct pkt_time *t, int64_t offset, int64_t *start,
		      int64_t *end);

#endif
