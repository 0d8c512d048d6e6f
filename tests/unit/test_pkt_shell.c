/*
 * The shell-command parser shared by the script runner and the packetdrill
 * adapter (tools/pkt/shell.h): what it reports for the command lines
 * packetdrill scripts and upstream's defaults.sh use.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "shell.h"

struct seen {
	char log[2048];
	size_t len;
	int refuse_at;          /* the Nth setting fails; 0: none */
	int n;
};

static int on_sysctl(void *ctx, const char *name, const char *value, char *msg, size_t cap)
{
	struct seen *s = ctx;

	s->len += (size_t)snprintf(s->log + s->len, sizeof(s->log) - s->len, "[%s=%s]", name, value);
	if (++s->n == s->refuse_at)
		return snprintf(msg, cap, "refused %s", name), -1;
	return 0;
}

static int on_other(void *ctx, const char *cmd, char *msg, size_t cap)
{
	struct seen *s = ctx;

	(void)msg, (void)cap;
	s->len += (size_t)snprintf(s->log + s->len, sizeof(s->log) - s->len, "{%s}", cmd);
	return 0;
}

static int parse(struct seen *s, const char *cmd, bool other, char *msg)
{
	struct pkt_shell_ops ops = { .sysctl = on_sysctl, .other = other ? on_other : NULL, .ctx = s };

	memset(s->log, 0, sizeof(s->log));
	s->len = 0;
	s->n = 0;
	msg[0] = '\0';
	return pkt_shell_parse(cmd, &ops, msg, 256);
}

/* A file like upstream's defaults.sh: shebang and comments, arithmetic in
 * quotes, redirections to /dev/null, several settings on one line, and
 * commands that are not sysctls. */
static void test_defaults_file(void **state)
{
	struct seen s = { .refuse_at = 0 };
	char msg[256];

	(void)state;
	assert_int_equal(parse(&s,
		"#!/bin/bash\n"
		"# buffers\n"
		"ip tcp_metrics flush all > /dev/null 2>&1\n"
		"sysctl -q net.ipv4.tcp_rmem=\"4096 540000 $((15*1024*1024))\"\n"
		"sysctl -q net.ipv4.tcp_early_retrans=4 net.ipv4.tcp_recovery=1   # RACK\n"
		"sysctl -q net.ipv4.tcp_notsent_lowat=4294967295 > /dev/null 2>&1\n"
		"sysctl -q net/ipv4/tcp_pacing_ss_ratio=$(( (2 + 3) * 40 ))\n"
		"tc qdisc add dev tun0 root pfifo\n", true, msg), 0);
	assert_string_equal(s.log,
		"{ip tcp_metrics flush all > /dev/null 2>&1}"
		"[net.ipv4.tcp_rmem=4096 540000 15728640]"
		"[net.ipv4.tcp_early_retrans=4][net.ipv4.tcp_recovery=1]"
		"[net.ipv4.tcp_notsent_lowat=4294967295]"
		"[net.ipv4.tcp_pacing_ss_ratio=200]"
		"{tc qdisc add dev tun0 root pfifo}");
}

static void test_separators_and_echo(void **state)
{
	struct seen s = { .refuse_at = 0 };
	char msg[256];

	(void)state;
	assert_int_equal(parse(&s, "sysctl -w a=1; echo 2 >/proc/sys/net/ipv4/tcp_x && "
			       "echo '3 4' > /proc/sys/net/core/y", false, msg), 0);
	assert_string_equal(s.log, "[a=1][net.ipv4.tcp_x=2][net.core.y=3 4]");
	/* A ';' inside quotes does not end the command. */
	assert_int_equal(parse(&s, "sysctl -q a=\"1;2\"", false, msg), 0);
	assert_string_equal(s.log, "[a=1;2]");
}

static void test_errors(void **state)
{
	struct seen s = { .refuse_at = 0 };
	char msg[256];

	(void)state;
	assert_int_equal(parse(&s, "sysctl a=1 & sysctl b=2", false, msg), -1);
	assert_string_equal(msg, "unsupported shell command `sysctl a=1 & sysctl b=2` "
			    "(background jobs)");
	assert_int_equal(parse(&s, "ls /tmp", false, msg), -1);
	assert_string_equal(msg, "unsupported shell command `ls /tmp`");
	assert_int_equal(parse(&s, "sysctl -q", false, msg), -1);
	assert_string_equal(msg, "sysctl without NAME=VALUE");
	assert_int_equal(parse(&s, "sysctl -a", false, msg), -1);
	assert_string_equal(msg, "unsupported sysctl argument '-a' (only NAME=VALUE settings)");
	/* What the parser cannot evaluate goes to `other`, whole. */
	assert_int_equal(parse(&s, "sysctl a=$((1/0)); sysctl b=$HOME", true, msg), 0);
	assert_string_equal(s.log, "{sysctl a=$((1/0))}{sysctl b=$HOME}");
	/* A refused setting stops the parse, and later commands do not run. */
	s.refuse_at = 1;
	assert_int_equal(parse(&s, "sysctl a=1 b=2; sysctl c=3", false, msg), -1);
	assert_string_equal(s.log, "[a=1]");
	assert_string_equal(msg, "refused a");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_file),
		cmocka_unit_test(test_separators_and_echo),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
