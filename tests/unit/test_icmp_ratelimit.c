/* ICMP rate limits (src/ipv4/icmp_ratelimit.c): per destination 6 at once
 * then one per icmp_ratelimit ms, the global bucket of icmp_msgs_burst,
 * icmp_ratemask, echo replies never limited. Stack a answers datagrams of an
 * unknown protocol with protocol unreachables; b's side records them. */
#include "test_ipv4_fixture.h"
#include "wire/icmp.h"

#define PROTO_NONE 200

static void send_unknown_proto(struct fx *f, const char *src)
{
	uint8_t b[64];
	size_t len = build_ip(b, PROTO_NONE, src, "10.0.0.1", 8);

	inject(f->da, b, len, NULL, 0);
}

static void send_echo(struct fx *f, const char *src)
{
	uint8_t b[64], msg[16];
	size_t len;

	memset(msg, 0, sizeof(msg));
	msg[0] = UST_ICMP_ECHO;
	ust_put_be16(msg + 2, ust_csum(msg, sizeof(msg)));
	len = build_ip(b, UST_IPPROTO_ICMP, src, "10.0.0.1", sizeof(msg));
	memcpy(b + 20, msg, sizeof(msg));
	inject(f->da, b, len, NULL, 0);
}

static struct fx *fx_icmp(void)
{
	struct fx *f = fx_new(UST_FRAMING_IP, 1);

	fx_record(f, 1, 0);
	return f;
}

/* inet_peer_xrlim_allow: a new peer has 6 * 1000 ms of tokens, each error
 * costs 1000; then one per second. */
static void test_per_destination_burst_of_six_then_one_per_second(void **state)
{
	struct fx *f = fx_icmp();

	(void)state;
	for (int i = 0; i < 10; i++)
		send_unknown_proto(f, "10.0.0.2");
	fx_run(f, 1);
	assert_int_equal(f->rb.n, 6);
	assert_int_equal(f->rb.f[0][20], UST_ICMP_DEST_UNREACH);
	assert_int_equal(f->rb.f[0][21], UST_ICMP_PROT_UNREACH);
	assert_int_equal(stat(f->a, "IcmpOutDestUnreachs"), 6);
	assert_int_equal(stat(f->a, "IcmpOutRateLimitHost"), 4);
	assert_int_equal(stat(f->a, "IcmpOutRateLimitGlobal"), 0);
	assert_int_equal(stat(f->a, "IpInUnknownProtos"), 10);
	/* Another destination has its own bucket. */
	send_unknown_proto(f, "10.0.0.3");
	fx_run(f, 1);
	assert_int_equal(f->rb.n, 7);
	/* 998 ms of tokens earned since the burst: not yet one error's worth. */
	fx_run(f, 997);
	send_unknown_proto(f, "10.0.0.2");
	fx_run(f, 1);
	assert_int_equal(f->rb.n, 7);
	fx_run(f, 1);
	send_unknown_proto(f, "10.0.0.2");
	send_unknown_proto(f, "10.0.0.2");
	fx_run(f, 1);
	assert_int_equal(f->rb.n, 8);
	assert_int_equal(stat(f->a, "IcmpOutRateLimitHost"), 6);
	fx_free(f);
}

/* icmp_msgs_burst: with the per-peer limit off, the global bucket (50
 * credits, each error taking 0-2) stops the flood; it refills at
 * icmp_msgs_per_sec, no sooner than 20 ms after the last refill. */
static void test_global_bucket_caps_all_destinations(void **state)
{
	struct fx *f = fx_icmp();
	uint64_t sent, limited;

	(void)state;
	assert_int_equal(ust_sysctl_write(f->a, "net.ipv4.icmp_ratelimit", "0"), 0);
	for (int i = 0; i < 200; i++)
		send_unknown_proto(f, "10.0.0.2");
	fx_run(f, 1);
	sent = stat(f->a, "IcmpOutDestUnreachs");
	limited = stat(f->a, "IcmpOutRateLimitGlobal");
	assert_int_equal(f->rb.n, sent);
	assert_true(sent >= 25 && sent < 200);       /* at most 2 credits each */
	assert_int_equal(sent + limited, 200);
	assert_int_equal(stat(f->a, "IcmpOutRateLimitHost"), 0);
	/* 19 ms after the refill nothing is refilled yet; at 20 ms, 20 credits. */
	fx_run(f, 18);
	send_unknown_proto(f, "10.0.0.2");
	assert_int_equal(stat(f->a, "IcmpOutDestUnreachs"), sent);
	assert_int_equal(stat(f->a, "IcmpOutRateLimitGlobal"), limited + 1);
	fx_run(f, 1);
	send_unknown_proto(f, "10.0.0.2");
	assert_int_equal(stat(f->a, "IcmpOutDestUnreachs"), sent + 1);
	fx_free(f);
}

/* Types outside icmp_ratemask are never limited: echo replies by default,
 * unreachables once bit 3 is cleared. */
static void test_ratemask_exempts_echo_replies_and_cleared_types(void **state)
{
	struct fx *f = fx_icmp();

	(void)state;
	for (int i = 0; i < 60; i++)
		send_echo(f, "10.0.0.2");
	fx_run(f, 1);
	assert_int_equal(stat(f->a, "IcmpOutEchoReps"), 60);
	assert_int_equal(stat(f->a, "IcmpOutRateLimitGlobal"), 0);
	assert_int_equal(stat(f->a, "IcmpOutRateLimitHost"), 0);
	assert_int_equal(ust_sysctl_write(f->a, "icmp_ratemask", "6160"), 0);   /* 0x1818 & ~(1 << 3) */
	for (int i = 0; i < 60; i++)
		send_unknown_proto(f, "10.0.0.2");
	fx_run(f, 1);
	assert_int_equal(stat(f->a, "IcmpOutDestUnreachs"), 60);
	assert_int_equal(stat(f->a, "IcmpOutRateLimitHost"), 0);
	fx_free(f);
}

static void test_sysctls_have_linux_defaults(void **state)
{
	struct ust_stack *st = fx_stack("s", 1);
	char buf[32];

	(void)state;
	assert_int_equal(ust_sysctl_read(st, "net.ipv4.icmp_ratelimit", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1000");
	assert_int_equal(ust_sysctl_read(st, "net.ipv4.icmp_ratemask", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "6168");
	assert_int_equal(ust_sysctl_read(st, "net.ipv4.icmp_msgs_per_sec", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1000");
	assert_int_equal(ust_sysctl_read(st, "net.ipv4.icmp_msgs_burst", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "50");
	ust_stack_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_per_destination_burst_of_six_then_one_per_second),
		cmocka_unit_test(test_global_bucket_caps_all_destinations),
		cmocka_unit_test(test_ratemask_exempts_echo_replies_and_cleared_types),
		cmocka_unit_test(test_sysctls_have_linux_defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
