/*
 * TCP header and options (RFC 9293 3.1, RFC 7323 for window scale and timestamps,
 * RFC 2018 for SACK, RFC 3168 for ECE/CWR): checked parse, build, and an option
 * writer that lays options out byte for byte as Linux's tcp_options_write.
 *
 * Header errors, as tcp_v4_rcv counts them:
 *   -EMSGSIZE  len < 20, or doff*4 > len (cut short: a plain drop in Linux);
 *   -EBADMSG   doff < 5 (a bad packet, TCP InErrs).
 * Option errors: -EBADMSG when the option space is malformed (see
 * ust_tcp_parse_opts). Builders: -ENOSPC when the buffer is too small, -EINVAL for
 * an impossible request.
 *
 * Ports are network order; seq, ack, window, urg_ptr and check are host order. The
 * window is the raw 16-bit field: scaling is the caller's job.
 */
#ifndef UST_WIRE_TCP_H
#define UST_WIRE_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "wire/types.h"

#define UST_TCP_HLEN 20
#define UST_TCP_MAX_HLEN 60
#define UST_TCP_OPT_SPACE 40            /* MAX_TCP_OPTION_SPACE */

#define UST_TCP_FIN 0x01
#define UST_TCP_SYN 0x02
#define UST_TCP_RST 0x04
#define UST_TCP_PSH 0x08
#define UST_TCP_ACK 0x10
#define UST_TCP_URG 0x20
#define UST_TCP_ECE 0x40
#define UST_TCP_CWR 0x80

/* Option kinds and lengths (RFC 9293 3.2, RFC 7323, RFC 2018). */
#define UST_TCPOPT_EOL 0
#define UST_TCPOPT_NOP 1
#define UST_TCPOPT_MSS 2
#define UST_TCPOPT_WINDOW 3
#define UST_TCPOPT_SACK_PERM 4
#define UST_TCPOPT_SACK 5
#define UST_TCPOPT_TIMESTAMP 8
#define UST_TCPOLEN_MSS 4
#define UST_TCPOLEN_WINDOW 3
#define UST_TCPOLEN_SACK_PERM 2
#define UST_TCPOLEN_TIMESTAMP 10
#define UST_TCPOLEN_SACK_BASE 2
#define UST_TCPOLEN_SACK_PERBLOCK 8
#define UST_TCP_MAX_SACKS 4             /* 2 + 4*8 = 34 <= 40 */
#define UST_TCP_MAX_WSCALE 14           /* RFC 7323 2.3 */

struct ust_tcp_info {
	ust_be16 sport;
	ust_be16 dport;
	uint32_t seq;
	uint32_t ack;
	uint8_t hdr_len;                /* doff * 4, 20..60 */
	uint8_t res1;                   /* the 4 bits after doff (reserved, AE) as sent */
	uint8_t flags;                  /* UST_TCP_FIN ... UST_TCP_CWR */
	uint16_t window;
	uint16_t check;
	uint16_t urg_ptr;
	const uint8_t *opts;            /* hdr_len - 20 bytes of options */
	size_t opt_len;
	const uint8_t *payload;         /* after the header, to len */
	size_t payload_len;
};

int ust_tcp_parse(const uint8_t *p, size_t len, struct ust_tcp_info *out);
/*
 * Writes the header from th and the th->opt_len option bytes at th->opts (a
 * multiple of 4, at most 40; -EINVAL otherwise), and returns 20 + opt_len, or
 * -ENOSPC. th->hdr_len is ignored; th->check is written as given: to send, pass 0
 * and call ust_tcp_fill_csum once the payload follows the header.
 */
int ust_tcp_build(uint8_t *buf, size_t cap, const struct ust_tcp_info *th);
/* Computes and stores the checksum of the len-byte segment at seg (header and
 * payload, checksum field ignored) over the IPv4 pseudo-header. */
void ust_tcp_fill_csum(uint8_t *seg, size_t len, ust_be32 saddr, ust_be32 daddr);
/* The segment's checksum verifies over the IPv4 pseudo-header. */
bool ust_tcp_csum_ok(const uint8_t *seg, size_t len, ust_be32 saddr, ust_be32 daddr);

/* Bits of ust_tcp_opts.present. */
#define UST_TCPOPT_F_MSS (1u << 0)
#define UST_TCPOPT_F_WSCALE (1u << 1)
#define UST_TCPOPT_F_SACK_PERM (1u << 2)
#define UST_TCPOPT_F_TIMESTAMP (1u << 3)
#define UST_TCPOPT_F_SACK (1u << 4)

struct ust_tcp_sack_block {
	uint32_t start;
	uint32_t end;
};

struct ust_tcp_opts {
	uint32_t present;               /* UST_TCPOPT_F_* */
	uint16_t mss;
	uint8_t wscale;                 /* as received: may exceed 14 */
	uint32_t tsval;
	uint32_t tsecr;
	uint8_t num_sacks;              /* 1..4 when UST_TCPOPT_F_SACK */
	struct ust_tcp_sack_block sack[UST_TCP_MAX_SACKS];
};

/*
 * Parses len bytes of option space the way tcp_parse_options walks it: EOL ends
 * the list; NOP is skipped; any other kind needs a length byte >= 2 that fits in
 * what is left, else the walk stops and -EBADMSG is returned with the options
 * before it kept in out (Linux just stops, so it uses them too). A known kind with
 * the wrong length (MSS 4, WS 3, SACK_PERM 2, TS 10, SACK 2 + 8n) is skipped by its
 * length, as unknown kinds are. A later copy of an option overrides an earlier one.
 *
 * Everything is reported regardless of the SYN flag and of values; the caller
 * applies Linux's rules: MSS, WS and SACK_PERM count only on a SYN (and SYN-ACK)
 * before the connection is established; an MSS of 0 is ignored; a window scale
 * above 14 is used as 14 (RFC 7323 2.3; tcp_parse_options clamps and logs);
 * timestamps count on a SYN only if enabled, later only if negotiated; SACK
 * blocks only once SACK was negotiated.
 * Returns 0 or -EBADMSG.
 */
int ust_tcp_parse_opts(const uint8_t *p, size_t len, struct ust_tcp_opts *out);
/*
 * Writes o in tcp_options_write's order and layout:
 *   MSS(4);
 *   SACK_PERM+TS packed as 4,2,8,10,tsval,tsecr when both, else NOP,NOP,TS;
 *   NOP,NOP,SACK_PERM when SACK_PERM comes without TS;
 *   NOP,WS(3);
 *   NOP,NOP,SACK(2+8n).
 * The result is a multiple of 4 and at most 40 bytes (a full SYN set is 20). SACK
 * blocks that do not fit in what the other options leave are left out, as
 * tcp_established_options sizes them (3 at most beside timestamps). Returns the
 * length written, -EINVAL if num_sacks > 4 (or 0 with the SACK bit set), -ENOSPC
 * if cap is too small.
 */
int ust_tcp_write_opts(uint8_t *buf, size_t cap, const struct ust_tcp_opts *o);
/* The length ust_tcp_write_opts would write, or -EINVAL. */
int ust_tcp_opts_len(const struct ust_tcp_opts *o);
/* How many SACK blocks ust_tcp_write_opts writes for o. */
unsigned int ust_tcp_opts_sacks_written(const struct ust_tcp_opts *o);

#endif
