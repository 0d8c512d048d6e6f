/*
 * ICMP for IPv4 (RFC 792, RFC 1191 for the next-hop MTU, RFC 1812 4.3.2.3 for the
 * quoted datagram): parse of every message, decoding of echo and of the error
 * messages, build of echo replies and of errors quoting an offending datagram.
 *
 * Errors: -EMSGSIZE when len < 8, or when an error message quotes less than the
 * original IP header plus 8 bytes of its payload (as icmp_socket_deliver requires
 * in Linux before it hands the error to TCP); -EBADMSG when the quoted header is
 * not IPv4 or has ihl < 5. Other types parse with their raw `rest` for the caller
 * to ignore. The checksum is not checked by the parser: call ust_icmp_csum_ok.
 */
#ifndef UST_WIRE_ICMP_H
#define UST_WIRE_ICMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "wire/ipv4.h"
#include "wire/types.h"

#define UST_ICMP_HLEN 8

#define UST_ICMP_ECHOREPLY 0
#define UST_ICMP_DEST_UNREACH 3
#define UST_ICMP_SOURCE_QUENCH 4
#define UST_ICMP_REDIRECT 5
#define UST_ICMP_ECHO 8
#define UST_ICMP_TIME_EXCEEDED 11
#define UST_ICMP_PARAMETERPROB 12

/* Destination unreachable codes (RFC 792, RFC 1122 3.2.2.1, RFC 1812 5.2.7.1). */
#define UST_ICMP_NET_UNREACH 0
#define UST_ICMP_HOST_UNREACH 1
#define UST_ICMP_PROT_UNREACH 2
#define UST_ICMP_PORT_UNREACH 3
#define UST_ICMP_FRAG_NEEDED 4
#define UST_ICMP_SR_FAILED 5
#define UST_ICMP_NET_UNKNOWN 6
#define UST_ICMP_HOST_UNKNOWN 7
#define UST_ICMP_HOST_ISOLATED 8
#define UST_ICMP_NET_ANO 9
#define UST_ICMP_HOST_ANO 10
#define UST_ICMP_NET_UNR_TOS 11
#define UST_ICMP_HOST_UNR_TOS 12
#define UST_ICMP_PKT_FILTERED 13
#define UST_ICMP_PREC_VIOLATION 14
#define UST_ICMP_PREC_CUTOFF 15

/* Time exceeded codes. */
#define UST_ICMP_EXC_TTL 0
#define UST_ICMP_EXC_FRAGTIME 1

/* An ICMP error, with the IP header that carries it, is at most 576 bytes
 * (RFC 1812 4.3.2.3), which leaves 548 bytes for the quoted datagram; Linux's
 * icmp_send sizes its quote the same way. */
#define UST_ICMP_ERR_MAX_LEN 576
#define UST_ICMP_ERR_MAX_QUOTE (UST_ICMP_ERR_MAX_LEN - UST_IPV4_HLEN - UST_ICMP_HLEN)

struct ust_icmp_info {
	uint8_t type;
	uint8_t code;
	uint16_t check;
	/* Bytes 4..7 as a host-order number: what ust_icmp_build writes. The
	 * fields after it are parse-time views of it, by type. */
	uint32_t rest;
	uint16_t id;                    /* echo, echo reply: rest >> 16 */
	uint16_t seq;                   /* echo, echo reply: rest & 0xffff */
	uint16_t mtu;                   /* frag needed: next-hop MTU (RFC 1191), else 0 */
	uint8_t pointer;                /* parameter problem: offending octet */
	ust_be32 gateway;               /* redirect: the better gateway */
	bool is_error;                  /* unreach, quench, redirect, time exceeded, param problem */
	const uint8_t *payload;         /* after the 8-byte header, to len */
	size_t payload_len;
	/* When is_error: the quoted header; orig.payload holds at least the 8
	 * bytes of the original transport header (ports; TCP's seq). */
	struct ust_ipv4_info orig;
};

int ust_icmp_parse(const uint8_t *p, size_t len, struct ust_icmp_info *out);
/* The message checksum (over all len bytes) verifies. */
bool ust_icmp_csum_ok(const uint8_t *p, size_t len);
/* Writes type, code, rest, then payload_len bytes from payload (which may lie in
 * buf), and the checksum. Returns 8 + payload_len, or -ENOSPC. */
int ust_icmp_build(uint8_t *buf, size_t cap, const struct ust_icmp_info *ic);
/* The reply to the echo request req, as icmp_echo builds it: the request's header
 * with type 0 (the code is kept, as Linux keeps it), same id, seq and data. */
int ust_icmp_build_echo_reply(uint8_t *buf, size_t cap, const struct ust_icmp_info *req);
/*
 * An error of type/code with rest-of-header `rest` quoting the offending datagram
 * orig (orig_len bytes from its IP header, already trimmed to its tot_len): as
 * much of it as fits in UST_ICMP_ERR_MAX_QUOTE, as icmp_send does. Returns the
 * ICMP length, -ENOSPC, or -EINVAL if orig_len < 20.
 */
int ust_icmp_build_error(uint8_t *buf, size_t cap, uint8_t type, uint8_t code,
			 uint32_t rest, const uint8_t *orig, size_t orig_len);
/* Destination unreachable; mtu goes in the next-hop MTU field (code 4), pass 0
 * otherwise. */
int ust_icmp_build_unreach(uint8_t *buf, size_t cap, uint8_t code, uint16_t mtu,
			   const uint8_t *orig, size_t orig_len);

#endif
