/* ICMP (src/ipv4/icmp.c): echo replies, errors handed to the quoted
 * protocol's err_handler, malformed messages counted. */
#include "test_ipv4_fixture.h"
#include "wire/icmp.h"

struct errs {
	int n;
	struct ust_icmp_err e;
};

static void err_handler(void *ctx, const struct ust_icmp_err *e)
{
	struct errs *r = ctx;

	r->n++;
	r->e = *e;
}

static void tcp_handler(void *ctx, struct ust_pkt *pkt, const struct ust_ipv4_info *iph)
{
	(void)ctx;
	(void)iph;
	ust_pkt_free(pkt);
}

static const struct ust_inet_protocol fake_tcp = { .handler = tcp_handler, .err_handler = err_handler };

/* An ICMP message from 10.0.0.2 to 10.0.0.1 (or dst) in an IP datagram. */
static size_t icmp_dgram(uint8_t *b, const char *dst, const uint8_t *msg, size_t mlen)
{
	size_t len = build_ip(b, UST_IPPROTO_ICMP, "10.0.0.2", dst, mlen);

	memcpy(b + 20, msg, mlen);
	return len;
}

static void test_echo_request_gets_exact_reply(void **state)
{
	struct fx *f = fx_new(UST_FRAMING_IP, 1);
	uint8_t msg[64], b[128], want[128];
	size_t len;

	(void)state;
	fx_record(f, 1, 0);
	memset(msg, 0, sizeof(msg));
	msg[0] = UST_ICMP_ECHO;
	ust_put_be16(msg + 4, 0x1a2b);
	ust_put_be16(msg + 6, 7);
	for (int i = 8; i < 64; i++)
		msg[i] = (uint8_t)i;
	ust_put_be16(msg + 2, ust_csum(msg, 64));
	len = icmp_dgram(b, "10.0.0.1", msg, 64);
	b[1] = 0x10;                               /* TOS: copied into the reply */
	ip_fix_csum(b);
	inject(f->da, b, len, NULL, 0);
	fx_run(f, 1);
	assert_int_equal(f->rb.n, 1);
	assert_int_equal(f->rb.len[0], 84);
	memset(want, 0, sizeof(want));
	want[0] = 0x45;
	want[1] = 0x10;
	ust_put_be16(want + 2, 84);
	memcpy(want + 4, f->rb.f[0] + 4, 2);       /* id: per-stack counter, no DF */
	want[8] = 64;
	want[9] = UST_IPPROTO_ICMP;
	ust_store_be32(want + 12, A("10.0.0.1"));
	ust_store_be32(want + 16, A("10.0.0.2"));
	ip_fix_csum(want);
	memcpy(want + 20, msg, 64);
	want[20] = UST_ICMP_ECHOREPLY;
	ust_put_be16(want + 22, 0);
	ust_put_be16(want + 22, ust_csum(want + 20, 64));
	assert_memory_equal(f->rb.f[0], want, 84);
	assert_int_equal(stat(f->a, "IcmpInMsgs"), 1);
	assert_int_equal(stat(f->a, "IcmpInEchos"), 1);
	assert_int_equal(stat(f->a, "IcmpOutMsgs"), 1);
	assert_int_equal(stat(f->a, "IcmpOutEchoReps"), 1);
	assert_int_equal(stat(f->a, "IcmpInErrors"), 0);

	/* To the subnet broadcast: ignored (icmp_echo_ignore_broadcasts=1). */
	len = icmp_dgram(b, "10.0.0.255", msg, 64);
	inject(f->da, b, len, NULL, 0);
	fx_run(f, 1);
	assert_int_equal(f->rb.n, 1);
	assert_int_equal(stat(f->a, "IcmpInErrors"), 1);
	assert_int_equal(stat(f->a, "IcmpInEchos"), 2);
	fx_free(f);
}

/* Destination unreachable quoting one of our TCP segments. */
static size_t unreach(uint8_t *msg, uint8_t type, uint8_t code, uint16_t mtu, size_t quote_l4)
{
	uint8_t *q = msg + 8;

	memset(msg, 0, 8 + 20 + 8);
	msg[0] = type;
	msg[1] = code;
	ust_put_be16(msg + 6, mtu);
	q[0] = 0x45;
	ust_put_be16(q + 2, 60);
	q[8] = 63;
	q[9] = UST_IPPROTO_TCP;
	ust_store_be32(q + 12, A("10.0.0.1"));
	ust_store_be32(q + 16, A("10.0.0.2"));
	ust_put_be16(q + 20, 40000);
	ust_put_be16(q + 22, 80);
	ust_put_be32(q + 24, 0x11223344);
	ust_put_be16(msg + 2, ust_csum(msg, 8 + 20 + quote_l4));
	return 8 + 20 + quote_l4;
}

static void test_errors_reach_err_handler_with_quoted_ports_and_seq(void **state)
{
	struct fx *f = fx_new(UST_FRAMING_IP, 1);
	struct errs r = { 0 };
	uint8_t msg[64], b[128];
	size_t mlen, len;

	(void)state;
	fx_take_proto(f->ia, UST_IPPROTO_TCP);
	assert_int_equal(ust_inet_add_protocol(f->ia, UST_IPPROTO_TCP, &fake_tcp, &r), 0);
	mlen = unreach(msg, UST_ICMP_DEST_UNREACH, UST_ICMP_PORT_UNREACH, 0, 8);
	len = icmp_dgram(b, "10.0.0.1", msg, mlen);
	inject(f->da, b, len, NULL, 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.e.type, UST_ICMP_DEST_UNREACH);
	assert_int_equal(r.e.code, UST_ICMP_PORT_UNREACH);
	assert_int_equal(r.e.protocol, UST_IPPROTO_TCP);
	assert_int_equal(r.e.saddr, A("10.0.0.1"));
	assert_int_equal(r.e.daddr, A("10.0.0.2"));
	assert_int_equal(ntohs(r.e.sport), 40000);
	assert_int_equal(ntohs(r.e.dport), 80);
	assert_int_equal(r.e.seq, 0x11223344);
	assert_int_equal(r.e.icmp_saddr, A("10.0.0.2"));
	assert_int_equal(r.e.ifindex, f->da->ifindex);

	mlen = unreach(msg, UST_ICMP_DEST_UNREACH, UST_ICMP_FRAG_NEEDED, 1280, 8);
	inject(f->da, b, icmp_dgram(b, "10.0.0.1", msg, mlen), NULL, 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.e.info, 1280);

	mlen = unreach(msg, UST_ICMP_TIME_EXCEEDED, UST_ICMP_EXC_TTL, 0, 8);
	inject(f->da, b, icmp_dgram(b, "10.0.0.1", msg, mlen), NULL, 0);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.e.type, UST_ICMP_TIME_EXCEEDED);
	/* Reassembly timeouts are not the transport's business. */
	mlen = unreach(msg, UST_ICMP_TIME_EXCEEDED, UST_ICMP_EXC_FRAGTIME, 0, 8);
	inject(f->da, b, icmp_dgram(b, "10.0.0.1", msg, mlen), NULL, 0);
	assert_int_equal(r.n, 3);

	mlen = unreach(msg, UST_ICMP_PARAMETERPROB, 0, 0, 8);
	msg[4] = 9;
	ust_put_be16(msg + 2, 0);
	ust_put_be16(msg + 2, ust_csum(msg, mlen));
	inject(f->da, b, icmp_dgram(b, "10.0.0.1", msg, mlen), NULL, 0);
	assert_int_equal(r.n, 4);
	assert_int_equal(r.e.info, 9);
	assert_int_equal(stat(f->a, "IcmpInMsgs"), 5);
	assert_int_equal(stat(f->a, "IcmpInDestUnreachs"), 2);
	assert_int_equal(stat(f->a, "IcmpInTimeExcds"), 2);
	assert_int_equal(stat(f->a, "IcmpInParmProbs"), 1);
	assert_int_equal(stat(f->a, "IcmpInErrors"), 0);
	/* No error is ever sent about an error. */
	assert_int_equal(stat(f->a, "IcmpOutMsgs"), 0);
	fx_free(f);
}

static void test_malformed_icmp_dropped_and_counted(void **state)
{
	struct fx *f = fx_new(UST_FRAMING_IP, 1);
	struct errs r = { 0 };
	uint8_t msg[64], b[128];
	size_t mlen;

	(void)state;
	fx_take_proto(f->ia, UST_IPPROTO_TCP);
	assert_int_equal(ust_inet_add_protocol(f->ia, UST_IPPROTO_TCP, &fake_tcp, &r), 0);
	mlen = unreach(msg, UST_ICMP_DEST_UNREACH, UST_ICMP_PORT_UNREACH, 0, 8);
	msg[2] ^= 0xff;                                  /* checksum */
	inject(f->da, b, icmp_dgram(b, "10.0.0.1", msg, mlen), NULL, 0);
	assert_int_equal(stat(f->a, "IcmpInCsumErrors"), 1);
	assert_int_equal(stat(f->a, "IcmpInErrors"), 1);
	assert_int_equal(stat(f->a, "IcmpInDestUnreachs"), 0);

	mlen = unreach(msg, UST_ICMP_DEST_UNREACH, UST_ICMP_PORT_UNREACH, 0, 7);   /* quote short */
	inject(f->da, b, icmp_dgram(b, "10.0.0.1", msg, mlen), NULL, 0);
	assert_int_equal(stat(f->a, "IcmpInErrors"), 2);
	assert_int_equal(stat(f->a, "IcmpInDestUnreachs"), 1);

	mlen = unreach(msg, UST_ICMP_DEST_UNREACH, UST_ICMP_PORT_UNREACH, 0, 8);
	msg[8] = 0x44;                                   /* quoted ihl 4 */
	ust_put_be16(msg + 2, 0);
	ust_put_be16(msg + 2, ust_csum(msg, mlen));
	inject(f->da, b, icmp_dgram(b, "10.0.0.1", msg, mlen), NULL, 0);
	assert_int_equal(stat(f->a, "IcmpInErrors"), 3);

	memset(msg, 0, 8);
	msg[0] = 42;                                     /* no such type */
	ust_put_be16(msg + 2, ust_csum(msg, 8));
	inject(f->da, b, icmp_dgram(b, "10.0.0.1", msg, 8), NULL, 0);
	assert_int_equal(stat(f->a, "IcmpInErrors"), 4);

	msg[0] = 0xff;
	msg[1] = 0xff;
	msg[2] = 0;
	msg[3] = 0;
	msg[2] = 0x00;
	msg[3] = 0x00;
	ust_put_be16(msg + 2, ust_csum(msg, 2));         /* 4 bytes, checksum right */
	inject(f->da, b, icmp_dgram(b, "10.0.0.1", msg, 4), NULL, 0);
	assert_int_equal(stat(f->a, "IcmpInErrors"), 5);
	assert_int_equal(stat(f->a, "IcmpInMsgs"), 5);
	assert_int_equal(r.n, 0);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo_request_gets_exact_reply),
		cmocka_unit_test(test_errors_reach_err_handler_with_quoted_ports_and_seq),
		cmocka_unit_test(test_malformed_icmp_dropped_and_counted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
