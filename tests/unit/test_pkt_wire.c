/*
 * Tests for tools/pkt/ packets (pkt.h): inbound packets built to exact bytes
 * (parsed back with src/wire), packetdrill's script <-> wire mapping of
 * sequence numbers, SACK blocks and timestamps, outbound matching with one
 * test per field that can differ, printing that parses back, and timing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "pkt.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

#define LOCAL_IP htonl(0xc0a80001)      /* 192.168.0.1, the stack */
#define REMOTE_IP htonl(0xc0000201)     /* 192.0.2.1, the script's peer */
#define LOCAL_PORT htons(8080)
#define REMOTE_PORT htons(40000)

/* Parses "0 <dir> packet" and copies the packet out. */
static struct pkt_packet parse_pkt(const char *line)
{
	struct pkt_script *s;
	struct pkt_error err;
	struct pkt_packet p;
	char text[512];

	snprintf(text, sizeof(text), "0 %s\n", line);
	if (pkt_parse_string("t", text, strlen(text), &s, &err))
		fail_msg("%s", err.text);
	p = *s->events[0].packet;
	pkt_script_free(s);
	return p;
}

static void conn_init(struct pkt_conn *c)
{
	pkt_conn_init(c, LOCAL_IP, LOCAL_PORT, REMOTE_IP, REMOTE_PORT);
}

static int build(struct pkt_conn *c, const struct pkt_config *cfg, const char *line,
		 uint8_t *buf, size_t cap)
{
	struct pkt_packet p = parse_pkt(line);
	char msg[256] = "";
	int n = pkt_build_inbound(c, cfg, &p, buf, cap, msg, sizeof(msg));

	if (n < 0)
		fail_msg("build %s: %d %s", line, n, msg);
	return n;
}

static void parse_tcp(const uint8_t *b, int n, struct ust_ipv4_info *ip, struct ust_tcp_info *th)
{
	assert_int_equal(ust_ipv4_parse(b, (size_t)n, ip), 0);
	assert_true(ust_ipv4_csum_ok(b, ip->hdr_len));
	assert_int_equal(ip->protocol, UST_IPPROTO_TCP);
	assert_int_equal(ust_tcp_parse(ip->payload, ip->payload_len, th), 0);
	assert_true(ust_tcp_csum_ok(ip->payload, ip->payload_len, ip->saddr, ip->daddr));
}

/* The segment a stack would send: local -> remote unless swapped. */
struct seg {
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	const uint8_t *opts;
	size_t opt_len;
	size_t payload;
	uint8_t fill;                   /* payload byte */
	uint8_t tos;
};

static int make_seg(const struct seg *s, uint8_t *buf, size_t cap)
{
	struct ust_ipv4_info ip;
	struct ust_tcp_info th;
	size_t seg_len = UST_TCP_HLEN + s->opt_len + s->payload;

	memset(&ip, 0, sizeof(ip));
	ip.tos = s->tos;
	ip.tot_len = (uint16_t)(UST_IPV4_HLEN + seg_len);
	ip.ttl = 64;
	ip.df = true;
	ip.protocol = UST_IPPROTO_TCP;
	ip.saddr = LOCAL_IP;
	ip.daddr = REMOTE_IP;
	assert_int_equal(ust_ipv4_build(buf, cap, &ip), 20);
	memset(&th, 0, sizeof(th));
	th.sport = LOCAL_PORT;
	th.dport = REMOTE_PORT;
	th.seq = s->seq;
	th.ack = s->ack;
	th.flags = s->flags;
	th.window = s->win;
	th.opts = s->opts;
	th.opt_len = s->opt_len;
	assert_int_equal(ust_tcp_build(buf + 20, cap - 20, &th), (int)(20 + s->opt_len));
	memset(buf + 40 + s->opt_len, s->fill, s->payload);
	ust_tcp_fill_csum(buf + 20, seg_len, LOCAL_IP, REMOTE_IP);
	return (int)(UST_IPV4_HLEN + seg_len);
}

/* mss 1460, sackOK, TS val V ecr E, nop, wscale 7: Linux's SYN layout. */
static void syn_opts(uint8_t o[20], uint16_t mss, uint32_t val, uint32_t ecr)
{
	static const uint8_t base[20] = { 2, 4, 0, 0, 4, 2, 8, 10, 0, 0, 0, 0,
					  0, 0, 0, 0, 1, 3, 3, 7 };

	memcpy(o, base, 20);
	o[2] = (uint8_t)(mss >> 8);
	o[3] = (uint8_t)mss;
	o[8] = (uint8_t)(val >> 24);
	o[9] = (uint8_t)(val >> 16);
	o[10] = (uint8_t)(val >> 8);
	o[11] = (uint8_t)val;
	o[12] = (uint8_t)(ecr >> 24);
	o[13] = (uint8_t)(ecr >> 16);
	o[14] = (uint8_t)(ecr >> 8);
	o[15] = (uint8_t)ecr;
}

/* ===== Build ===== */

/* `< S 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>`
 * from 192.0.2.1:40000 to 192.168.0.1:8080. */
static const uint8_t golden_syn[60] = {
	0x45, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00, 0x00, 0xff, 0x06, 0x39, 0x11,
	0xc0, 0x00, 0x02, 0x01, 0xc0, 0xa8, 0x00, 0x01, 0x9c, 0x40, 0x1f, 0x90,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xff, 0xff,
	0x09, 0x21, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a,
	0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
};

static void test_build_syn_golden(void **state)
{
	struct pkt_config cfg;
	struct pkt_conn c;
	uint8_t b[128];
	struct ust_ipv4_info ip;
	struct ust_tcp_info th;
	struct ust_tcp_opts o;
	int n;

	pkt_config_init(&cfg);
	conn_init(&c);
	n = build(&c, &cfg, "< S 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>",
		  b, sizeof(b));
	assert_int_equal(n, 60);
	assert_memory_equal(b, golden_syn, 60);

	parse_tcp(b, n, &ip, &th);
	assert_int_equal(ip.tos, 0);
	assert_int_equal(ip.ttl, 255);
	assert_int_equal(ip.id, 0);
	assert_false(ip.df);
	assert_int_equal(ip.saddr, REMOTE_IP);
	assert_int_equal(ip.daddr, LOCAL_IP);
	assert_int_equal(th.sport, REMOTE_PORT);
	assert_int_equal(th.dport, LOCAL_PORT);
	assert_int_equal(th.seq, 0);
	assert_int_equal(th.ack, 0);
	assert_int_equal(th.flags, UST_TCP_SYN);
	assert_int_equal(th.window, 65535);
	assert_int_equal(th.opt_len, 20);
	assert_int_equal(ust_tcp_parse_opts(th.opts, th.opt_len, &o), 0);
	assert_int_equal(o.mss, 1460);
	assert_int_equal(o.tsval, 100);
	assert_int_equal(o.wscale, 7);
	assert_true(c.remote_isn_known);
	assert_int_equal(c.remote_isn, 0);

	assert_int_equal(pkt_build_inbound(&c, &cfg, &(struct pkt_packet){ .dir = PKT_INBOUND },
					   b, 39, NULL, 0), -ENOSPC);
}

static void test_build_fields(void **state)
{
	struct pkt_config cfg;
	struct pkt_conn c;
	uint8_t b[2048];
	struct ust_ipv4_info ip;
	struct ust_tcp_info th;
	int n;

	pkt_config_init(&cfg);
	conn_init(&c);
	n = build(&c, &cfg, "< [tos 0x3] 1234>5678 FPUEWA. 7:1007(1000) ack 9 win 7 urg 3",
		  b, sizeof(b));
	assert_int_equal(n, 1040);
	parse_tcp(b, n, &ip, &th);
	assert_int_equal(ip.tos, 3);
	assert_int_equal(th.sport, htons(1234));
	assert_int_equal(th.dport, htons(5678));
	assert_int_equal(th.flags, UST_TCP_FIN | UST_TCP_PSH | UST_TCP_URG | UST_TCP_ECE |
			 UST_TCP_CWR | UST_TCP_ACK);
	assert_int_equal(th.res1, 1);   /* AE */
	assert_int_equal(th.seq, 7);    /* no SYN seen: remote ISN 0 */
	assert_int_equal(th.ack, 9);
	assert_int_equal(th.urg_ptr, 3);
	assert_int_equal(th.payload_len, 1000);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(th.payload[i], 0);

	n = build(&c, &cfg, "< [ttl 9] - 0:0(0) win 0", b, sizeof(b));
	parse_tcp(b, n, &ip, &th);
	assert_int_equal(ip.ttl, 9);
	assert_int_equal(th.flags, 0);

	struct pkt_packet out = parse_pkt("> S 0:0(0)");
	char msg[128];

	assert_int_equal(pkt_build_inbound(&c, &cfg, &out, b, sizeof(b), msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "not an inbound packet");
}

/* Passive open: remote ISN from the SYN, local ISN from the SYN-ACK. */
static void test_map_passive(void **state)
{
	struct pkt_config cfg;
	struct pkt_conn c;
	uint8_t b[256], a[256];
	uint8_t o[20];
	struct ust_ipv4_info ip;
	struct ust_tcp_info th;
	struct pkt_match_ctx ctx = { 0, 0 };
	char msg[1024];
	int n;

	pkt_config_init(&cfg);
	conn_init(&c);
	n = build(&c, &cfg, "< S 1000:1000(0) win 100", b, sizeof(b));
	parse_tcp(b, n, &ip, &th);
	assert_int_equal(th.seq, 1000);
	assert_int_equal(c.remote_isn, 1000);

	/* The stack's SYN-ACK: ISN 5555, TS val 777777. */
	struct pkt_packet exp = parse_pkt("> S. 0:0(0) ack 1001 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>");

	syn_opts(o, 1460, 777777, 0);
	n = make_seg(&(struct seg){ .seq = 5555, .ack = 1001, .flags = UST_TCP_SYN | UST_TCP_ACK,
				    .win = 64240, .opts = o, .opt_len = 20 }, a, sizeof(a));
	assert_int_equal(pkt_match_outbound(&c, &cfg, &exp, a, (size_t)n, &ctx, msg, sizeof(msg)), 0);
	assert_true(c.local_isn_known);
	assert_int_equal(c.script_local_isn, 0);
	assert_int_equal(c.live_local_isn, 5555);

	/* ACK with SACK: seq + R, ack and SACK + Lw; TS ecr 100 -> 777777. */
	n = build(&c, &cfg, "< . 1:1(0) ack 1 win 100 <sack 1:2,nop,nop,nop,nop,TS val 5 ecr 100>",
		  b, sizeof(b));
	parse_tcp(b, n, &ip, &th);
	assert_int_equal(th.seq, 1001);
	assert_int_equal(th.ack, 5556);
	struct ust_tcp_opts to;

	assert_int_equal(ust_tcp_parse_opts(th.opts, th.opt_len, &to), 0);
	assert_int_equal(to.sack[0].start, 5556);
	assert_int_equal(to.sack[0].end, 5557);
	assert_int_equal(to.tsval, 5);
	assert_int_equal(to.tsecr, 777777);

	/* An ecr no outbound packet carried. */
	struct pkt_packet in = parse_pkt("< . 1:1(0) ack 1 win 100 <nop,nop,TS val 5 ecr 101>");

	assert_int_equal(pkt_build_inbound(&c, &cfg, &in, b, sizeof(b), msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "unable to infer live TS ecr for script TS ecr 101;  "
			    "no matching or preceding outbound TS val");
	cfg.ts_ecr_scaled = true;
	n = pkt_build_inbound(&c, &cfg, &in, b, sizeof(b), msg, sizeof(msg));
	parse_tcp(b, n, &ip, &th);
	assert_int_equal(ust_tcp_parse_opts(th.opts, th.opt_len, &to), 0);
	assert_int_equal(to.tsecr, 777778);

	/* Outbound data: wire seq 5556 -> 1, ack 1011 -> 11. */
	exp = parse_pkt("> P. 1:11(10) ack 11 win 501");
	n = make_seg(&(struct seg){ .seq = 5556, .ack = 1011, .flags = UST_TCP_PSH | UST_TCP_ACK,
				    .win = 501, .payload = 10 }, a, sizeof(a));
	assert_int_equal(pkt_match_outbound(&c, &cfg, &exp, a, (size_t)n, &ctx, msg, sizeof(msg)), 0);
}

/* Active open: the SYN teaches Lw; the SYN-ACK's ack is v + Lw - Ls. */
static void test_map_active(void **state)
{
	struct pkt_config cfg;
	struct pkt_conn c;
	uint8_t b[256], a[256];
	struct ust_ipv4_info ip;
	struct ust_tcp_info th;
	struct pkt_match_ctx ctx = { 0, 0 };
	char msg[1024];
	int n;

	pkt_config_init(&cfg);
	conn_init(&c);
	struct pkt_packet exp = parse_pkt("> S 0:0(0) <...>");
	uint8_t o[20];

	syn_opts(o, 1460, 1, 0);
	n = make_seg(&(struct seg){ .seq = 0xdeadbeef, .flags = UST_TCP_SYN, .win = 64240,
				    .opts = o, .opt_len = 20 }, a, sizeof(a));
	assert_int_equal(pkt_match_outbound(&c, &cfg, &exp, a, (size_t)n, &ctx, msg, sizeof(msg)), 0);
	assert_int_equal(c.live_local_isn, 0xdeadbeef);

	n = build(&c, &cfg, "< S. 300:300(0) ack 1 win 100", b, sizeof(b));
	parse_tcp(b, n, &ip, &th);
	assert_int_equal(th.seq, 300);
	assert_int_equal(th.ack, 0xdeadbef0);
	assert_int_equal(c.remote_isn, 300);

	n = build(&c, &cfg, "< . 1:1(0) ack 1 win 100", b, sizeof(b));
	parse_tcp(b, n, &ip, &th);
	assert_int_equal(th.seq, 301);
	assert_int_equal(th.ack, 0xdeadbef0);

	/* ICMP port unreachable quoting our SYN: seq = script seq + Lw. */
	struct ust_icmp_info ic;

	n = build(&c, &cfg, "< icmp unreachable port_unreachable [0:0(0)]", b, sizeof(b));
	assert_int_equal(n, 56);
	assert_int_equal(ust_ipv4_parse(b, (size_t)n, &ip), 0);
	assert_int_equal(ip.protocol, UST_IPPROTO_ICMP);
	assert_int_equal(ip.saddr, REMOTE_IP);
	assert_int_equal(ip.ttl, 255);
	assert_int_equal(ust_icmp_parse(ip.payload, ip.payload_len, &ic), 0);
	assert_true(ust_icmp_csum_ok(ip.payload, ip.payload_len));
	assert_int_equal(ic.type, UST_ICMP_DEST_UNREACH);
	assert_int_equal(ic.code, UST_ICMP_PORT_UNREACH);
	assert_int_equal(ic.orig.saddr, LOCAL_IP);
	assert_int_equal(ic.orig.daddr, REMOTE_IP);
	assert_int_equal(ic.orig.protocol, UST_IPPROTO_TCP);
	assert_int_equal(ic.orig.tot_len, 40);
	assert_int_equal(ust_load_be16(ic.orig.payload), LOCAL_PORT);
	assert_int_equal(ust_load_be16(ic.orig.payload + 2), REMOTE_PORT);
	assert_int_equal(ust_get_be32(ic.orig.payload + 4), 0xdeadbeef);

	n = build(&c, &cfg, "< icmp unreachable frag_needed mtu 1200 [raw (8)]", b, sizeof(b));
	assert_int_equal(n, 28);
	assert_int_equal(b[20], UST_ICMP_DEST_UNREACH);
	assert_int_equal(b[21], UST_ICMP_FRAG_NEEDED);
	assert_int_equal(ust_get_be16(b + 26), 1200);
	assert_true(ust_icmp_csum_ok(b + 20, 8));
}

/* ===== Match: one single-field difference at a time ===== */

struct mcase {
	const char *expected;
	struct seg actual;
	const char *msg;                /* first line of the message, NULL: matches */
};

static const uint8_t opts_ts[12] = { 1, 1, 8, 10, 0, 0, 0, 100, 0, 0, 0, 0 };
/* nop, nop, sack 1002:1012 on the wire: 2:12 in script numbers (- R). */
static const uint8_t opts_sack[12] = { 1, 1, 5, 10, 0, 0, 0x03, 0xea, 0, 0, 0x03, 0xf4 };

/* Connection state for every case: R = 1000, Ls = 0, Lw = 5000. */
static const struct mcase mcases[] = {
	{ "> . 1:1(0) ack 1 win 100", { .seq = 5001, .ack = 1001, .flags = UST_TCP_ACK, .win = 100 },
	  NULL },
	{ "> . 1:1(0) ack 1", { .seq = 5001, .ack = 1001, .flags = UST_TCP_ACK, .win = 9 }, NULL },
	{ "> . 1:1(0) ack 1 <...>", { .seq = 5001, .ack = 1001, .flags = UST_TCP_ACK,
	  .opts = opts_ts, .opt_len = 12 }, NULL },
	{ "> . 1:1(0) ack 1 win 100", { .seq = 5001, .ack = 1001, .flags = UST_TCP_ACK, .win = 99 },
	  "live packet field tcp_window: expected: 100 (0x64) vs actual: 99 (0x63)" },
	{ "> . 1:1(0) ack 1", { .seq = 5002, .ack = 1001, .flags = UST_TCP_ACK },
	  "live packet field tcp_seq: expected: 1 (0x1) vs actual: 2 (0x2)" },
	{ "> . 1:1(0) ack 1", { .seq = 5001, .ack = 1000, .flags = UST_TCP_ACK },
	  "live packet field tcp_ack_seq: expected: 1 (0x1) vs actual: 0 (0x0)" },
	{ "> . 1:1(0) ack 1", { .seq = 5001, .ack = 1001, .flags = UST_TCP_ACK | UST_TCP_PSH },
	  "live packet field tcp_psh: expected: 0 (0x0) vs actual: 1 (0x1)" },
	{ "> F. 1:1(0) ack 1", { .seq = 5001, .ack = 1001, .flags = UST_TCP_ACK },
	  "live packet field tcp_fin: expected: 1 (0x1) vs actual: 0 (0x0)" },
	{ "> R 1:1(0)", { .seq = 5001, .ack = 1001, .flags = UST_TCP_RST | UST_TCP_ACK },
	  "live packet field tcp_ack: expected: 0 (0x0) vs actual: 1 (0x1)" },
	{ "> E. 1:1(0) ack 1", { .seq = 5001, .ack = 1001, .flags = UST_TCP_ACK },
	  "live packet field tcp_ece: expected: 1 (0x1) vs actual: 0 (0x0)" },
	{ "> P. 1:11(10) ack 1", { .seq = 5001, .ack = 1001, .flags = UST_TCP_ACK | UST_TCP_PSH,
	  .payload = 9 }, "live packet field ipv4_total_length: expected: 50 (0x32) vs actual: "
	  "49 (0x31)" },
	{ "> P. 1:11(10) ack 1", { .seq = 5001, .ack = 1001, .flags = UST_TCP_ACK | UST_TCP_PSH,
	  .payload = 10, .fill = 'x' }, "incorrect outbound data payload" },
	{ "> . 1:1(0) ack 1", { .seq = 5001, .ack = 1001, .flags = UST_TCP_ACK, .opts = opts_ts,
	  .opt_len = 12 }, "live packet field ipv4_total_length: expected: 40 (0x28) vs "
	  "actual: 52 (0x34)" },
	{ "> . 1:1(0) ack 1 <nop,nop,TS val 100 ecr 0>", { .seq = 5001, .ack = 1001,
	  .flags = UST_TCP_ACK, .opts = opts_ts, .opt_len = 12 }, NULL },
	{ "> . 1:1(0) ack 1 <nop,nop,sack 2:12>", { .seq = 5001, .ack = 1001,
	  .flags = UST_TCP_ACK, .opts = opts_sack, .opt_len = 12 }, NULL },
	{ "> . 1:1(0) ack 1 <nop,nop,sack 2:13>", { .seq = 5001, .ack = 1001,
	  .flags = UST_TCP_ACK, .opts = opts_sack, .opt_len = 12 },
	  "bad value in outbound TCP option (kind=5): expected: sack 2:13 actual: sack 2:12" },
	{ "> . 1:1(0) ack 1 <nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop>",
	  { .seq = 5001, .ack = 1001, .flags = UST_TCP_ACK, .opts = opts_ts, .opt_len = 12 },
	  "bad outbound TCP options" },
	{ "> [ect0] . 1:1(0) ack 1", { .seq = 5001, .ack = 1001, .flags = UST_TCP_ACK },
	  "live packet field ip_ecn: expected: 2 (0x2) vs actual: 0 (0x0)" },
	{ "> [ect01] . 1:1(0) ack 1", { .seq = 5001, .ack = 1001, .flags = UST_TCP_ACK, .tos = 1 },
	  NULL },
	{ "> [tos 0x10] . 1:1(0) ack 1", { .seq = 5001, .ack = 1001, .flags = UST_TCP_ACK },
	  "live packet field tos: expected: 16 (0x10) vs actual: 0 (0x0)" },
	{ "> [ttl 65] . 1:1(0) ack 1", { .seq = 5001, .ack = 1001, .flags = UST_TCP_ACK },
	  "live packet field ttl: expected: 65 (0x41) vs actual: 64 (0x40)" },
};

static void learned(struct pkt_conn *c)
{
	conn_init(c);
	c->remote_isn_known = true;
	c->remote_isn = 1000;
	c->local_isn_known = true;
	c->live_local_isn = 5000;
}

static void test_match_cases(void **state)
{
	struct pkt_config cfg;
	struct pkt_match_ctx ctx = { 0, 0 };

	pkt_config_init(&cfg);
	for (size_t i = 0; i < sizeof(mcases) / sizeof(mcases[0]); i++) {
		struct pkt_conn c;
		struct pkt_packet exp = parse_pkt(mcases[i].expected);
		uint8_t a[256];
		char msg[1024];
		int n = make_seg(&mcases[i].actual, a, sizeof(a));
		int ret;

		learned(&c);
		ret = pkt_match_outbound(&c, &cfg, &exp, a, (size_t)n, &ctx, msg, sizeof(msg));
		char *nl = strchr(msg, '\n');

		if (nl)
			*nl = '\0';
		if (!mcases[i].msg ? ret != 0 :
		    ret != -EINVAL || strcmp(msg, mcases[i].msg))
			fail_msg("case %zu (%s): %d \"%s\"\n  want \"%s\"", i, mcases[i].expected,
				 ret, msg, mcases[i].msg ? mcases[i].msg : "(match)");
	}
}

static void test_match_full_message(void **state)
{
	struct pkt_config cfg;
	struct pkt_conn c;
	struct pkt_match_ctx ctx = { 100000, 101000 };
	uint8_t o[20], a[256];
	char msg[1024];
	struct pkt_packet exp = parse_pkt("> S. 0:0(0) ack 1 win 65535 "
					  "<mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>");
	int n;

	pkt_config_init(&cfg);
	conn_init(&c);
	c.remote_isn_known = true;
	syn_opts(o, 1460, 4242, 0);
	n = make_seg(&(struct seg){ .seq = 77, .ack = 1, .flags = UST_TCP_SYN | UST_TCP_ACK,
				    .win = 29200, .opts = o, .opt_len = 20 }, a, sizeof(a));
	assert_int_equal(pkt_match_outbound(&c, &cfg, &exp, a, (size_t)n, &ctx, msg, sizeof(msg)),
			 -EINVAL);
	assert_string_equal(msg,
		"live packet field tcp_window: expected: 65535 (0xffff) vs actual: 29200 (0x7210)\n"
		"script packet:  0.100000 S. 0:0(0) ack 1 win 65535 "
		"<mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>\n"
		"actual packet:  0.101000 S. 0:0(0) ack 1 win 29200 "
		"<mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>");

	/* An option value: MSS. */
	conn_init(&c);
	syn_opts(o, 1400, 4242, 0);
	exp = parse_pkt("> S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>");
	n = make_seg(&(struct seg){ .seq = 77, .ack = 1, .flags = UST_TCP_SYN | UST_TCP_ACK,
				    .win = 29200, .opts = o, .opt_len = 20 }, a, sizeof(a));
	assert_int_equal(pkt_match_outbound(&c, &cfg, &exp, a, (size_t)n, &ctx, msg, sizeof(msg)),
			 -EINVAL);
	*strchr(msg, '\n') = '\0';
	assert_string_equal(msg, "bad value in outbound TCP option (kind=2): expected: mss 1460 "
			    "actual: mss 1400");
}

static void test_match_checksums_tuple_ts(void **state)
{
	struct pkt_config cfg;
	struct pkt_conn c;
	struct pkt_match_ctx ctx = { 0, 0 };
	uint8_t a[256];
	char msg[1024];
	struct pkt_packet exp = parse_pkt("> . 1:1(0) ack 1");
	const struct seg ack = { .seq = 5001, .ack = 1001, .flags = UST_TCP_ACK };
	int n;

	pkt_config_init(&cfg);
	learned(&c);
	n = make_seg(&ack, a, sizeof(a));
	a[39] ^= 1;                     /* urgent pointer: breaks the TCP checksum */
	assert_int_equal(pkt_match_outbound(&c, &cfg, &exp, a, (size_t)n, &ctx, msg, sizeof(msg)),
			 -EINVAL);
	*strchr(msg, '\n') = '\0';
	assert_string_equal(msg, "bad outbound TCP checksum");

	n = make_seg(&ack, a, sizeof(a));
	a[8] = 1;                       /* TTL: breaks the IP checksum */
	assert_int_equal(pkt_match_outbound(&c, &cfg, &exp, a, (size_t)n, &ctx, msg, sizeof(msg)),
			 -EINVAL);
	*strchr(msg, '\n') = '\0';
	assert_string_equal(msg, "bad outbound IP checksum");

	n = make_seg(&ack, a, sizeof(a));
	c.remote_port = htons(1);
	assert_int_equal(pkt_match_outbound(&c, &cfg, &exp, a, (size_t)n, &ctx, msg, sizeof(msg)),
			 -EINVAL);
	*strchr(msg, '\n') = '\0';
	assert_string_equal(msg, "outbound packet 192.168.0.1:8080 > 192.0.2.1:40000 is not "
			    "for the connection under test");

	assert_int_equal(pkt_match_outbound(&c, &cfg, &exp, a, 10, &ctx, msg, sizeof(msg)), -EBADMSG);
	assert_string_equal(msg, "malformed IPv4 header");

	/* TS val checked only with a tick: first pair maps 100 -> 5000000, then
	 * script 110 against wire 5000050 (script 150): 40 ticks of 1 ms. */
	uint8_t o[12] = { 1, 1, 8, 10, 0, 0x4c, 0x4b, 0x40, 0, 0, 0, 0 };

	learned(&c);
	cfg.ts_tick_usecs = 1000;
	exp = parse_pkt("> . 1:1(0) ack 1 <nop,nop,TS val 100 ecr 0>");
	n = make_seg(&(struct seg){ .seq = 5001, .ack = 1001, .flags = UST_TCP_ACK, .opts = o,
				    .opt_len = 12 }, a, sizeof(a));
	assert_int_equal(pkt_match_outbound(&c, &cfg, &exp, a, (size_t)n, &ctx, msg, sizeof(msg)), 0);
	o[7] = 0x40 + 50;
	exp = parse_pkt("> . 1:1(0) ack 1 <nop,nop,TS val 110 ecr 0>");
	n = make_seg(&(struct seg){ .seq = 5001, .ack = 1001, .flags = UST_TCP_ACK, .opts = o,
				    .opt_len = 12 }, a, sizeof(a));
	assert_int_equal(pkt_match_outbound(&c, &cfg, &exp, a, (size_t)n, &ctx, msg, sizeof(msg)),
			 -EINVAL);
	assert_string_equal(msg, "bad outbound TCP timestamp value, tolerance 4000\n"
			    "script packet:  0.000000 . 1:1(0) ack 1 <nop,nop,TS val 110 ecr 0>\n"
			    "actual packet:  0.000000 . 1:1(0) ack 1 win 0 <nop,nop,TS val 150 ecr 0>");
	cfg.ts_tick_usecs = 0;
	assert_int_equal(pkt_match_outbound(&c, &cfg, &exp, a, (size_t)n, &ctx, msg, sizeof(msg)), 0);
}

/* ===== Print ===== */

static void test_print_ip(void **state)
{
	char buf[256];

	assert_int_equal(pkt_print_ip(golden_syn, sizeof(golden_syn), buf, sizeof(buf)), 101);
	assert_string_equal(buf, "192.0.2.1:40000 > 192.168.0.1:8080 S 0:0(0) win 65535 "
			    "<mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>");
	/* Truncated output: the length needed, a terminated prefix. */
	assert_int_equal(pkt_print_ip(golden_syn, sizeof(golden_syn), buf, 10), 101);
	assert_string_equal(buf, "192.0.2.1");
	pkt_print_ip(golden_syn, 30, buf, sizeof(buf));
	assert_string_equal(buf, "[bad packet: malformed IPv4 header]");
}

static const char *const roundtrip[] = {
	"> S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>",
	"< S 0:0(0) win 65535 <mss 1460,sackOK,TS val 4294967295 ecr 0,nop,wscale 14>",
	"> P. 1:1001(1000) ack 4294967295 win 0",
	"> . 1:1(0) ack 1 <nop,nop,sack 1:2 3:4 5:6>",
	"> R 0:0(0) <...>",
	"> - 5:5(0)",
	"< [tos 0x10] 1>2 FSRPUEWA. 1:2(1) ack 3 win 4 urg 5",
	"> [ect01] S.3 0:0(0)",
	"> [ce] SEW 0:0(0)",
	"> .5 0:0(0) ack 1",
	"> R7 0:0(0)",
	"< [ttl 1] F. 9:9(0) win 1 <eol,nop,nop,nop>",
	"< icmp unreachable port_unreachable [7:9(2)]",
	"< icmp unreachable frag_needed mtu 1400 [0:0(0)]",
	"< icmp echo_request id 5 [raw (64)]",
	"< icmp type_99 code_3 [udp (4)]",
	"< icmp unreachable",
};

static void test_print_roundtrip(void **state)
{
	for (size_t i = 0; i < sizeof(roundtrip) / sizeof(roundtrip[0]); i++) {
		struct pkt_packet p = parse_pkt(roundtrip[i]);
		char text[300], line[320];

		pkt_format_packet(&p, text, sizeof(text));
		snprintf(line, sizeof(line), "%c %s", roundtrip[i][0], text);
		struct pkt_packet q = parse_pkt(line);

		if (memcmp(&p, &q, sizeof(p)))
			fail_msg("case %zu: %s -> %s differs", i, roundtrip[i], line);
	}
	struct pkt_packet p = parse_pkt("> SE. 0:0(0)");
	char text[64];

	assert_int_equal(pkt_format_packet(&p, text, sizeof(text)), 16);
	assert_string_equal(text, "SE. 0:0(0) ack 0");
	p = parse_pkt("< icmp unreachable");
	pkt_format_packet(&p, text, sizeof(text));
	assert_string_equal(text, "icmp unreachable net_unreachable [0:0(0)]");
}

/* ===== Time ===== */

static void test_time_check(void **state)
{
	struct pkt_config cfg;
	char msg[256];
	struct pkt_time_check t = { .type = PKT_TIME_ABSOLUTE, .expected_usecs = 100000,
				    .actual_usecs = 104000, .description = "outbound packet" };

	pkt_config_init(&cfg);
	assert_int_equal(cfg.tolerance_usecs, 4000);
	assert_int_equal(pkt_check_time(&cfg, &t, msg, sizeof(msg)), 0);
	t.actual_usecs = 104001;
	assert_int_equal(pkt_check_time(&cfg, &t, msg, sizeof(msg)), -ETIME);
	assert_string_equal(msg, "timing error: expected outbound packet at 0.100000 sec but "
			    "happened at 0.104001 sec; tolerance 0.004000 sec");

	/* 12.5% of the 1 s since the last event. */
	t.expected_usecs = 1000000;
	t.has_last = true;
	t.last_event_usecs = 0;
	t.actual_usecs = 1125000;
	assert_int_equal(pkt_check_time(&cfg, &t, msg, sizeof(msg)), 0);
	t.actual_usecs = 874999;
	assert_int_equal(pkt_check_time(&cfg, &t, msg, sizeof(msg)), -ETIME);
	assert_string_equal(msg, "timing error: expected outbound packet at 1.000000 sec but "
			    "happened at 0.874999 sec; tolerance 0.125000 sec");

	t = (struct pkt_time_check){ .type = PKT_TIME_ABSOLUTE_RANGE, .expected_usecs = 100000,
				     .expected_end_usecs = 200000, .actual_usecs = 204000,
				     .description = "outbound packet" };
	assert_int_equal(pkt_check_time(&cfg, &t, msg, sizeof(msg)), 0);
	t.actual_usecs = 250000;
	assert_int_equal(pkt_check_time(&cfg, &t, msg, sizeof(msg)), -ETIME);
	assert_string_equal(msg, "timing error: expected outbound packet in time range "
			    "0.100000~0.200000 sec but happened at 0.250000 sec");
	t.type = PKT_TIME_RELATIVE_RANGE;
	t.offset_usecs = 50000;
	assert_int_equal(pkt_check_time(&cfg, &t, msg, sizeof(msg)), -ETIME);
	assert_string_equal(msg, "timing error: expected outbound packet in relative time range "
			    "+0.050000~+0.150000 sec but happened at +0.200000 sec");
	t.type = PKT_TIME_ANY;
	assert_int_equal(pkt_check_time(&cfg, &t, msg, sizeof(msg)), 0);

	int64_t s, e;

	pkt_time_resolve(&(struct pkt_time){ PKT_TIME_RELATIVE, 100, 0 }, 1000, &s, &e);
	assert_int_equal(s, 1100);
	assert_int_equal(e, 1100);
	pkt_time_resolve(&(struct pkt_time){ PKT_TIME_ABSOLUTE, 100, 0 }, 1000, &s, &e);
	assert_int_equal(s, 100);
	pkt_time_resolve(&(struct pkt_time){ PKT_TIME_RELATIVE_RANGE, 100, 200 }, 1000, &s, &e);
	assert_int_equal(s, 1100);
	assert_int_equal(e, 1200);
	pkt_time_resolve(&(struct pkt_time){ PKT_TIME_ABSOLUTE_RANGE, 100, 200 }, 1000, &s, &e);
	assert_int_equal(s, 100);
	assert_int_equal(e, 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_syn_golden),
		cmocka_unit_test(test_build_fields),
		cmocka_unit_test(test_map_passive),
		cmocka_unit_test(test_map_active),
		cmocka_unit_test(test_match_cases),
		cmocka_unit_test(test_match_full_message),
		cmocka_unit_test(test_match_checksums_tuple_ts),
		cmocka_unit_test(test_print_ip),
		cmocka_unit_test(test_print_roundtrip),
		cmocka_unit_test(test_time_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
