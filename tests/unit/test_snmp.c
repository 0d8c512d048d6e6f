/* Counters: Linux's names, lookup, and nstat's exact output format. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "core/core.h"
#include "stack.h"

static void test_names_follow_nstat(void **state)
{
	(void)state;
	assert_string_equal(ust_mib_name(TCP_MIB_ACTIVEOPENS), "TcpActiveOpens");
	assert_string_equal(ust_mib_name(LINUX_MIB_LISTENOVERFLOWS), "TcpExtListenOverflows");
	assert_string_equal(ust_mib_name(LINUX_MIB_LISTENDROPS), "TcpExtListenDrops");
	assert_string_equal(ust_mib_name(IPSTATS_MIB_INRECEIVES), "IpInReceives");
	assert_string_equal(ust_mib_name(LINUX_MIB_TCPREQQFULLDROP), "TcpExtTCPReqQFullDrop");
	assert_null(ust_mib_name(UST_MIB_MAX));
	assert_null(ust_mib_name((enum ust_mib_field)-1));
}

static void test_lookup_every_name_round_trips(void **state)
{
	(void)state;
	for (int i = 0; i < UST_MIB_MAX; i++) {
		const char *n = ust_mib_name(i);

		assert_non_null(n);
		assert_int_equal(ust_mib_lookup(n), i);
	}
	assert_int_equal(ust_mib_lookup("TcpNoSuchCounter"), -1);
	assert_int_equal(ust_mib_lookup(""), -1);
	assert_int_equal(ust_mib_lookup(NULL), -1);
}

static char *dump_to_string(const struct ust_mib *mib, int zeros, int *lines)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	*lines = ust_mib_dump(mib, f, zeros);
	fclose(f);
	return buf;
}

/* Byte-exact against what nstat prints (iproute2 6.x: "%-32s%-16llu%6.1f"). */
static void test_dump_matches_nstat_layout(void **state)
{
	struct ust_mib mib;
	int lines;
	char *out;

	(void)state;
	memset(&mib, 0, sizeof(mib));
	mib.v[TCP_MIB_ACTIVEOPENS] = 3;
	mib.v[LINUX_MIB_LISTENDROPS] = 12345678901ULL;
	out = dump_to_string(&mib, 0, &lines);
	assert_int_equal(lines, 3);
	assert_string_equal(out,
		"#kernel\n"
		"TcpActiveOpens                  3                  0.0\n"
		"TcpExtListenDrops               12345678901        0.0\n");
	free(out);

	out = dump_to_string(&mib, 1, &lines);
	assert_int_equal(lines, 1 + UST_MIB_MAX);
	assert_non_null(strstr(out, "\nIpInReceives                    0                  0.0\n"));
	free(out);
}

static void test_public_stats_api(void **state)
{
	struct ust_stack_config cfg;
	struct ust_stack *st;
	uint64_t v = 99;

	(void)state;
	ust_stack_config_init(&cfg);
	cfg.clock = UST_CLOCK_VIRTUAL;
	cfg.seed = 1;
	st = ust_stack_new(&cfg);
	assert_non_null(st);
	UST_INC_STATS(ust_stack_core(st), TCP_MIB_OUTRSTS);
	assert_int_equal(ust_stats_get(st, "TcpOutRsts", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(ust_stats_get(st, "TcpActiveOpens", &v), 0);
	assert_int_equal(v, 0);
	errno = 0;
	assert_int_equal(ust_stats_get(st, "Bogus", &v), -1);
	assert_int_equal(errno, ENOENT);
	ust_stack_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_follow_nstat),
		cmocka_unit_test(test_lookup_every_name_round_trips),
		cmocka_unit_test(test_dump_matches_nstat_layout),
		cmocka_unit_test(test_public_stats_api),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
