/*
 * Fuzz target for src/wire/: the same bytes go to every parser (Ethernet, ARP,
 * IPv4 and its quoted form, ICMP, TCP, TCP options, checksum), and through the
 * layers from Ethernet down. Whatever parses is emitted again and re-parsed, and
 * the result must equal what was parsed: byte for byte where the emitter is
 * exact, field for field where it is not (IPv4 drops options, ICMP and TCP option
 * writers recompute or re-lay). Any mismatch aborts.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "wire/arp.h"
#include "wire/csum.h"
#include "wire/eth.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"
#include "wire/seq.h"
#include "wire/tcp.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

/* Exactly-sized copies, so an out-of-bounds read or write lands on a redzone. */
static uint8_t *dup_bytes(const uint8_t *p, size_t len)
{
	uint8_t *d = malloc(len ? len : 1);

	CHECK(d);
	d[0] = 0;
	if (len)
		memcpy(d, p, len);
	return d;
}

static uint16_t ref_csum(const uint8_t *p, size_t len)
{
	uint64_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void check_csum(const uint8_t *p, size_t len)
{
	uint8_t *un = malloc(len + 1);

	CHECK(un);
	memcpy(un + 1, p, len);
	CHECK(ust_csum(p, len) == ref_csum(p, len));
	CHECK(ust_csum(un + 1, len) == ref_csum(p, len));
	free(un);
}

static void check_arp(const uint8_t *p, size_t len)
{
	struct ust_arp_info a;
	uint8_t out[UST_ARP_LEN];

	if (ust_arp_parse(p, len, &a) != 0)
		return;
	CHECK(len >= UST_ARP_LEN);
	CHECK(ust_arp_build(out, sizeof(out), &a) == UST_ARP_LEN);
	CHECK(memcmp(out, p, UST_ARP_LEN) == 0);
}

static void same_ipv4(const struct ust_ipv4_info *a, const struct ust_ipv4_info *b)
{
	CHECK(a->tos == b->tos && a->id == b->id && a->ttl == b->ttl);
	CHECK(a->protocol == b->protocol && a->saddr == b->saddr && a->daddr == b->daddr);
	CHECK(a->rf == b->rf && a->df == b->df && a->mf == b->mf && a->frag_off == b->frag_off);
}

static void check_ipv4_quoted(const uint8_t *p, size_t len)
{
	struct ust_ipv4_info q;

	if (ust_ipv4_parse_quoted(p, len, &q) != 0)
		return;
	CHECK(q.hdr_len >= 20 && q.hdr_len + 8u <= len);
	CHECK(q.payload == p + q.hdr_len && q.payload_len == len - q.hdr_len);
}

static void check_icmp(const uint8_t *p, size_t len);
static void check_tcp(const uint8_t *p, size_t len);

static void check_ipv4(const uint8_t *p, size_t len)
{
	struct ust_ipv4_info ip, back;
	uint8_t *out;
	size_t olen;

	check_ipv4_quoted(p, len);
	if (ust_ipv4_parse(p, len, &ip) != 0)
		return;
	CHECK(ip.hdr_len >= 20 && ip.hdr_len <= 60 && ip.tot_len <= len);
	CHECK(ip.payload == p + ip.hdr_len && ip.hdr_len + ip.payload_len == ip.tot_len);
	CHECK(ip.opt_len == ip.hdr_len - 20u);

	/* Rebuilt without options around the same payload. */
	olen = UST_IPV4_HLEN + ip.payload_len;
	out = malloc(olen);
	CHECK(out);
	memcpy(out + UST_IPV4_HLEN, ip.payload, ip.payload_len);
	back = ip;
	back.tot_len = (uint16_t)olen;
	CHECK(ust_ipv4_build(out, olen, &back) == UST_IPV4_HLEN);
	CHECK(ust_ipv4_csum_ok(out, UST_IPV4_HLEN));
	CHECK(ust_ipv4_parse(out, olen, &back) == 0);
	same_ipv4(&ip, &back);
	CHECK(back.tot_len == olen && back.payload_len == ip.payload_len);
	/* Without options the header comes back byte for byte but for the
	 * checksum, which is recomputed (equal up to the form of zero when the
	 * input's was right). */
	if (ip.hdr_len == UST_IPV4_HLEN) {
		CHECK(memcmp(out, p, 10) == 0 && memcmp(out + 12, p + 12, 8) == 0);
		if (ust_ipv4_csum_ok(p, UST_IPV4_HLEN))
			CHECK(ust_get_be16(out + 10) == ip.check ||
			      (uint16_t)(ust_get_be16(out + 10) ^ ip.check) == 0xffff);
	}
	free(out);

	if (ip.protocol == UST_IPPROTO_ICMP)
		check_icmp(ip.payload, ip.payload_len);
	else if (ip.protocol == UST_IPPROTO_TCP)
		check_tcp(ip.payload, ip.payload_len);
}

static void check_icmp(const uint8_t *p, size_t len)
{
	struct ust_icmp_info ic, back;
	uint8_t *out;
	int n;

	if (ust_icmp_parse(p, len, &ic) != 0)
		return;
	CHECK(len >= UST_ICMP_HLEN && ic.payload_len == len - UST_ICMP_HLEN);
	out = malloc(len);
	CHECK(out);
	n = ust_icmp_build(out, len, &ic);
	CHECK(n == (int)len);
	/* Everything but the checksum is copied; the checksum is recomputed, so it
	 * equals the input's when the input's was right, up to the two forms of
	 * one's complement zero (0x0000 and 0xffff both verify). */
	CHECK(out[0] == p[0] && out[1] == p[1] && memcmp(out + 4, p + 4, len - 4) == 0);
	CHECK(ust_icmp_csum_ok(out, len));
	if (ust_icmp_csum_ok(p, len))
		CHECK(ust_get_be16(out + 2) == ic.check ||
		      (uint16_t)(ust_get_be16(out + 2) ^ ic.check) == 0xffff);
	CHECK(ust_icmp_parse(out, len, &back) == 0);
	CHECK(back.type == ic.type && back.code == ic.code && back.rest == ic.rest);
	CHECK(back.id == ic.id && back.seq == ic.seq && back.mtu == ic.mtu);
	CHECK(back.pointer == ic.pointer && back.gateway == ic.gateway);
	CHECK(back.is_error == ic.is_error);
	if (ic.is_error) {
		same_ipv4(&ic.orig, &back.orig);
		CHECK(back.orig.tot_len == ic.orig.tot_len);
		CHECK(back.orig.payload_len == ic.orig.payload_len);
	}
	if (ic.type == UST_ICMP_ECHO) {
		CHECK(ust_icmp_build_echo_reply(out, len, &ic) == (int)len);
		CHECK(ust_icmp_parse(out, len, &back) == 0);
		CHECK(back.type == UST_ICMP_ECHOREPLY && back.id == ic.id && back.seq == ic.seq);
		CHECK(memcmp(out + 8, p + 8, len - 8) == 0);
	}
	free(out);
}

/* An error quoting these bytes parses back iff they hold a quotable header. */
static void check_icmp_error_build(const uint8_t *p, size_t len)
{
	size_t q = len < UST_ICMP_ERR_MAX_QUOTE ? len : UST_ICMP_ERR_MAX_QUOTE;
	struct ust_ipv4_info want;
	struct ust_icmp_info ic;
	uint8_t *out;
	int n, wrc;

	out = malloc(UST_ICMP_HLEN + q + 1);
	CHECK(out);
	n = ust_icmp_build_unreach(out, UST_ICMP_HLEN + q, UST_ICMP_FRAG_NEEDED,
				   (uint16_t)len, p, len);
	if (len < UST_IPV4_HLEN) {
		CHECK(n == -EINVAL);
		free(out);
		return;
	}
	CHECK(n == (int)(UST_ICMP_HLEN + q));
	CHECK(ust_icmp_csum_ok(out, (size_t)n));
	wrc = ust_ipv4_parse_quoted(p, q, &want);
	CHECK(ust_icmp_parse(out, (size_t)n, &ic) == wrc);
	CHECK(ic.mtu == (uint16_t)len && ic.is_error);
	if (wrc == 0) {
		same_ipv4(&want, &ic.orig);
		CHECK(ic.orig.payload_len == want.payload_len);
	}
	free(out);
}

static void same_opts(const struct ust_tcp_opts *want, const struct ust_tcp_opts *got)
{
	unsigned int sent = ust_tcp_opts_sacks_written(want);
	uint32_t bits = want->present;

	if (!sent)
		bits &= ~UST_TCPOPT_F_SACK;
	CHECK(got->present == bits);
	if (bits & UST_TCPOPT_F_MSS)
		CHECK(got->mss == want->mss);
	if (bits & UST_TCPOPT_F_WSCALE)
		CHECK(got->wscale == want->wscale);
	if (bits & UST_TCPOPT_F_TIMESTAMP)
		CHECK(got->tsval == want->tsval && got->tsecr == want->tsecr);
	CHECK(got->num_sacks == sent);
	for (unsigned int i = 0; i < sent; i++)
		CHECK(got->sack[i].start == want->sack[i].start &&
		      got->sack[i].end == want->sack[i].end);
}

static void check_tcp_opts(const uint8_t *p, size_t len)
{
	struct ust_tcp_opts o, back;
	uint8_t out[UST_TCP_OPT_SPACE];
	int rc, n;

	rc = ust_tcp_parse_opts(p, len, &o);
	CHECK(rc == 0 || rc == -EBADMSG);
	CHECK(o.num_sacks <= UST_TCP_MAX_SACKS);
	CHECK(!!(o.present & UST_TCPOPT_F_SACK) == (o.num_sacks > 0));
	n = ust_tcp_write_opts(out, sizeof(out), &o);
	CHECK(n >= 0 && n % 4 == 0 && n <= UST_TCP_OPT_SPACE && n == ust_tcp_opts_len(&o));
	CHECK(ust_tcp_parse_opts(out, (size_t)n, &back) == 0);
	same_opts(&o, &back);
}

static void check_tcp(const uint8_t *p, size_t len)
{
	struct ust_tcp_info th, back;
	uint8_t out[UST_TCP_MAX_HLEN];

	if (ust_tcp_parse(p, len, &th) != 0)
		return;
	CHECK(th.hdr_len >= 20 && th.hdr_len <= 60 && th.hdr_len <= len);
	CHECK(th.opt_len == th.hdr_len - 20u && th.payload_len == len - th.hdr_len);
	CHECK(ust_tcp_build(out, sizeof(out), &th) == th.hdr_len);
	CHECK(memcmp(out, p, th.hdr_len) == 0);
	CHECK(ust_tcp_parse(out, th.hdr_len, &back) == 0);
	CHECK(back.seq == th.seq && back.ack == th.ack && back.flags == th.flags);
	CHECK(back.sport == th.sport && back.dport == th.dport && back.window == th.window);
	check_tcp_opts(th.opts, th.opt_len);
	/* Sequence helpers: exactly one of before/after/equal holds unless the two
	 * are 2^31 apart. */
	if (th.seq - th.ack != 0x80000000u)
		CHECK((int)before(th.seq, th.ack) + (int)after(th.seq, th.ack) +
		      (int)(th.seq == th.ack) == 1);
	CHECK(between(th.seq, th.seq, th.ack));
}

static void check_eth(const uint8_t *p, size_t len)
{
	struct ust_eth_info e;
	uint8_t out[UST_ETH_VLAN_HLEN];

	if (ust_eth_parse(p, len, &e) != 0) {
		CHECK(len < UST_ETH_VLAN_HLEN);
		return;
	}
	CHECK(ust_eth_build(out, sizeof(out), &e) == (int)e.hdr_len);
	CHECK(memcmp(out, p, e.hdr_len) == 0);
	CHECK(e.payload == p + e.hdr_len && e.payload_len == len - e.hdr_len);
	if (e.ethertype == UST_ETH_P_IP)
		check_ipv4(e.payload, e.payload_len);
	else if (e.ethertype == UST_ETH_P_ARP)
		check_arp(e.payload, e.payload_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *p = dup_bytes(data, size);

	check_eth(p, size);
	check_arp(p, size);
	check_ipv4(p, size);
	check_icmp(p, size);
	check_icmp_error_build(p, size);
	check_tcp(p, size);
	check_tcp_opts(p, size < UST_TCP_OPT_SPACE ? size : UST_TCP_OPT_SPACE);
	check_csum(p, size);
	free(p);
	return 0;
}
