/*
 * Tests for the script runner's engine (tools/pkt/run.h): event time
 * resolution (packetdrill's adjust_relative_event_times), the script fd map,
 * system call result checks and their messages, and whole scripts run
 * against a stack in virtual time: a passive open that must pass, and wrong
 * scripts that must fail with packetdrill's exact messages (a packet field, a
 * packet's time, a call's result, a `...` call's return time, an unexpected
 * packet, an unsupported shell command).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "run.h"

static struct pkt_script *parse(const char *text)
{
	struct pkt_script *s;
	struct pkt_error err;

	if (pkt_parse_string("t.pkt", text, strlen(text), &s, &err))
		fail_msg("%s", err.text);
	return s;
}

/* Runs text; returns pkt_run_script's value, the error in res. */
static int run(const char *text, struct pkt_run_result *res)
{
	struct pkt_script *s = parse(text);
	struct pkt_run_opts o;
	int ret;

	pkt_run_opts_init(&o);
	ret = pkt_run_script(s, &o, res);
	pkt_script_free(s);
	return ret;
}

static bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static struct pkt_run_result *result(void)
{
	struct pkt_run_result *res = calloc(1, sizeof(*res));

	assert_non_null(res);
	return res;
}

/* --- time --------------------------------------------------------------- */

static void test_event_times(void **state)
{
	struct pkt_script *s = parse("0 < S 0:0(0) win 1000\n"
				     "+0.1 < . 1:1(0) ack 1 win 1000\n"
				     "+0.2 > . 1:1(0) ack 1\n"
				     "0.5~0.7 > . 1:1(0) ack 1\n"
				     "+0.1~+0.3 > . 1:1(0) ack 1\n"
				     "* > . 1:1(0) ack 1\n"
				     "+0.1...0.4 accept(3, ..., ...) = 4\n"
				     "1.0...1.5 accept(3, ..., ...) = 4\n");
	struct pkt_run_times t;

	(void)state;
	pkt_run_event_times(&s->events[0], NULL, 0, 0, &t);
	assert_int_equal(t.start, 0);
	/* Two inbound packets: relative to the previous one's time, not now. */
	pkt_run_event_times(&s->events[1], &s->events[0], 50000, 70000, &t);
	assert_int_equal(t.start, 150000);
	assert_int_equal(t.offset, 50000);
	/* Otherwise relative to the time the event is reached. */
	pkt_run_event_times(&s->events[2], &s->events[1], 150000, 170000, &t);
	assert_int_equal(t.start, 370000);
	pkt_run_event_times(&s->events[3], &s->events[2], 370000, 400000, &t);
	assert_int_equal(t.start, 500000);
	assert_int_equal(t.end, 700000);
	pkt_run_event_times(&s->events[4], &s->events[3], 500000, 600000, &t);
	assert_int_equal(t.start, 700000);
	assert_int_equal(t.end, 900000);
	pkt_run_event_times(&s->events[5], &s->events[4], 700000, 800000, &t);
	assert_int_equal(t.start, 800000);
	/* `...T` with a relative start returns at offset + T, absolute at T. */
	pkt_run_event_times(&s->events[6], &s->events[5], 800000, 900000, &t);
	assert_int_equal(t.start, 1000000);
	assert_int_equal(t.call_end, 1300000);
	pkt_run_event_times(&s->events[7], &s->events[6], 1000000, 1000000, &t);
	assert_int_equal(t.start, 1000000);
	assert_int_equal(t.call_end, 1500000);
	pkt_script_free(s);
}

/* --- fds ---------------------------------------------------------------- */

static void test_fd_map(void **state)
{
	struct pkt_run_fdmap m = { 0 };
	char msg[128];
	int live;

	(void)state;
	assert_int_equal(pkt_run_fd_add(&m, 3, 3, 0, msg, sizeof(msg)), 0);
	assert_int_equal(pkt_run_fd_add(&m, 4, 7, 1, msg, sizeof(msg)), 0);
	assert_int_equal(pkt_run_fd_add(&m, 4, 8, 2, msg, sizeof(msg)), -EEXIST);
	assert_string_equal(msg, "duplicate fd 4 in script");
	assert_int_equal(pkt_run_fd_add(&m, 5, 7, 2, msg, sizeof(msg)), -EEXIST);
	assert_string_equal(msg, "duplicate live fd 7");
	assert_int_equal(pkt_run_fd_live(&m, 4, &live, msg, sizeof(msg)), 0);
	assert_int_equal(live, 7);
	assert_int_equal(pkt_run_fd_sock(&m, 4), 1);
	pkt_run_fd_del(&m, 4);
	assert_int_equal(pkt_run_fd_live(&m, 4, &live, msg, sizeof(msg)), -ENOENT);
	assert_string_equal(msg, "unable to find fd with script fd 4");
	assert_int_equal(pkt_run_fd_sock(&m, 4), -1);
	assert_int_equal(pkt_run_fd_live(&m, 3, &live, msg, sizeof(msg)), 0);
	assert_int_equal(live, 3);
}

/* --- results ------------------------------------------------------------ */

static void test_check_result(void **state)
{
	struct pkt_script *s = parse("0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n"
				     "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
				     "0 fcntl(3, F_GETFL) = O_RDWR|O_NONBLOCK\n");
	const struct pkt_syscall *conn = s->events[0].syscall;
	char msg[256];

	(void)state;
	assert_int_equal(pkt_run_check_result(conn, PKT_RUN_CHECK_EXACT, -1, EINPROGRESS, msg,
					      sizeof(msg)), 0);
	assert_int_equal(pkt_run_check_result(conn, PKT_RUN_CHECK_EXACT, 0, 0, msg, sizeof(msg)),
			 -EINVAL);
	assert_string_equal(msg, "Expected result -1 but got 0 with errno 0 (Success)");
	assert_int_equal(pkt_run_check_result(conn, PKT_RUN_CHECK_EXACT, -1, ECONNREFUSED, msg,
					      sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "Expected errno 115 (Operation now in progress) but got 111 "
			    "(Connection refused)");
	/* socket() and accept(): any fd will do for a non-negative script fd. */
	assert_int_equal(pkt_run_check_result(s->events[1].syscall, PKT_RUN_CHECK_FD, 9, 0, msg,
					      sizeof(msg)), 0);
	assert_int_equal(pkt_run_check_result(s->events[1].syscall, PKT_RUN_CHECK_FD, -1, EMFILE,
					      msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "Expected non-negative result but got -1 with errno 24 "
			    "(Too many open files)");
	/* Symbols and | in results. */
	assert_int_equal(pkt_run_check_result(s->events[2].syscall, PKT_RUN_CHECK_EXACT, 04002, 0,
					      msg, sizeof(msg)), 0);
	pkt_script_free(s);
}

static void test_expr(void **state)
{
	struct pkt_script *s = parse("0 f(O_RDWR|O_NONBLOCK, NO_SUCH_THING, [1], "
				     "{onoff=1, linger=0}, \"x\"...) = 0\n");
	const struct pkt_syscall *sc = s->events[0].syscall;
	char msg[128], buf[128];
	int64_t v;

	(void)state;
	assert_int_equal(pkt_run_expr_int(sc->args[0], &v, msg, sizeof(msg)), 0);
	assert_int_equal(v, 04002);
	assert_int_equal(pkt_run_expr_int(sc->args[1], &v, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "unknown symbol 'NO_SUCH_THING'");
	assert_int_equal(pkt_run_expr_int(sc->args[2], &v, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "Bad type; actual: list expected: integer");
	pkt_run_expr_format(sc->args[0], buf, sizeof(buf));
	assert_string_equal(buf, "O_RDWR|O_NONBLOCK");
	pkt_run_expr_format(sc->args[3], buf, sizeof(buf));
	assert_string_equal(buf, "{onoff=1, linger=0}");
	pkt_run_expr_format(sc->args[4], buf, sizeof(buf));
	assert_string_equal(buf, "\"x\"...");
	pkt_script_free(s);
}

/* --- whole scripts ------------------------------------------------------ */

#define LISTENER \
	"0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n" \
	"+0   setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0\n" \
	"+0   bind(3, ..., ...) = 0\n" \
	"+0   listen(3, 1) = 0\n"

static const char passive_open[] =
	"--tolerance_usecs=10000\n"
	"`sysctl -q net.ipv4.tcp_syncookies=1`\n"
	LISTENER
	"+0   < S 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>\n"
	"+0   > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 100 ecr 100,nop,wscale 10>\n"
	"+.01 < . 1:1(0) ack 1 win 514 <nop,nop,TS val 110 ecr 100>\n"
	"+0   accept(3, ..., ...) = 4\n"
	"+0   < P. 1:11(10) ack 1 win 514 <nop,nop,TS val 120 ecr 100>\n"
	"*    > . 1:1(0) ack 11 <nop,nop,TS val 110 ecr 120>\n"
	"+0   read(4, ..., 100) = 10\n"
	"+0   recv(4, ..., 100, MSG_DONTWAIT) = -1 EAGAIN (Resource temporarily unavailable)\n"
	"+0   poll([{fd=4, events=POLLIN|POLLOUT, revents=POLLOUT}], 1, 100) = 1\n"
	"+0   close(4) = 0\n"
	"+0   > F. 1:1(0) ack 11 <...>\n";

static void test_passive_open_passes(void **state)
{
	struct pkt_run_result *res = result();

	(void)state;
	if (run(passive_open, res))
		fail_msg("%s", res->error);
	assert_string_equal(res->error, "");
	assert_int_equal(res->nevents, 15);
	assert_int_equal(res->end_usecs, 10000);
	free(res);
}

/* The same script with a wrong ack in the SYN-ACK: packetdrill's message. */
static void test_wrong_packet_fails(void **state)
{
	struct pkt_run_result *res = result();
	char text[2048], *p;

	(void)state;
	snprintf(text, sizeof(text), "%s", passive_open);
	p = strstr(text, "> S. 0:0(0) ack 1");
	assert_non_null(p);
	p[16] = '2';
	assert_int_equal(run(text, res), -1);
	p = strchr(res->error, '\n');
	assert_non_null(p);
	*p = '\0';
	assert_string_equal(res->error, "t.pkt:8: error handling packet: live packet field "
			    "tcp_ack_seq: expected: 2 (0x2) vs actual: 1 (0x1)");
	assert_true(starts_with(p + 1, "script packet:  0.000000 S. 0:0(0) ack 2 <mss 1460,"
				"sackOK,TS val 100 ecr 100,nop,wscale 10>\n"
				"actual packet:  0.000000 S. 0:0(0) ack 1 win "));
	free(res);
}

static void test_wrong_time_fails(void **state)
{
	struct pkt_run_result *res = result();

	(void)state;
	assert_int_equal(run(LISTENER
			     "+0   < S 0:0(0) win 65535 <mss 1460>\n"
			     "+.5  > S. 0:0(0) ack 1 <mss 1460>\n", res), -1);
	assert_string_equal(res->error,
			    "t.pkt:6: error handling packet: timing error: expected outbound "
			    "packet at 0.500000 sec but happened at 0.000000 sec; tolerance "
			    "0.062500 sec\n"
			    "script packet:  0.500000 S. 0:0(0) ack 1 <mss 1460>\n"
			    "actual packet:  0.000000 S. 0:0(0) ack 1 win 64240 <mss 1460>");
	free(res);
}

static void test_wrong_result_fails(void **state)
{
	struct pkt_run_result *res = result();

	(void)state;
	assert_int_equal(run("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
			     "+0 bind(3, ..., ...) = 0\n"
			     "+0 listen(3, 1) = -1 EINVAL (Invalid argument)\n", res), -1);
	assert_string_equal(res->error, "t.pkt:3: runtime error in listen call: Expected result "
			    "-1 but got 0 with errno 0 (Success)");
	assert_int_equal(run("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
			     "+0 close(4) = 0\n", res), -1);
	assert_string_equal(res->error, "t.pkt:2: runtime error in close call: unable to find "
			    "fd with script fd 4");
	assert_int_equal(run("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
			     "+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [1], [4]) = 0\n", res), -1);
	assert_string_equal(res->error, "t.pkt:2: runtime error in getsockopt call: Bad "
			    "getsockopt optval: expected: 1 actual: 0");
	free(res);
}

/* A `...` accept returns when the handshake's ACK arrives, 0.1 s in. */
static void test_blocking_call(void **state)
{
	static const char ok[] = LISTENER
		"+0...0.1 accept(3, ..., ...) = 4\n"
		"+0   < S 0:0(0) win 65535 <mss 1460>\n"
		"+0   > S. 0:0(0) ack 1 <mss 1460>\n"
		"+.1  < . 1:1(0) ack 1 win 257\n"
		"+0   getsockopt(4, SOL_SOCKET, SO_ERROR, [0], [4]) = 0\n";
	struct pkt_run_result *res = result();
	char text[1024], *p;

	(void)state;
	if (run(ok, res))
		fail_msg("%s", res->error);
	snprintf(text, sizeof(text), "%s", ok);
	p = strstr(text, "...0.1");
	p[5] = '2';
	assert_int_equal(run(text, res), -1);
	assert_string_equal(res->error, "t.pkt:5: timing error: expected system call return "
			    "at 0.200000 sec but happened at 0.100000 sec; tolerance 0.025000 sec");
	free(res);
}

/* The SYN-ACK goes out at 0 and is retransmitted at 1 s; a script that
 * expects neither is told so at its next event. */
static void test_unexpected_packet(void **state)
{
	struct pkt_run_result *res = result();

	(void)state;
	assert_int_equal(run(LISTENER
			     "+0   < S 0:0(0) win 65535 <mss 1460>\n"
			     "+.5  < . 1:1(0) ack 1 win 257\n", res), -1);
	/* No `> S.` was matched: the local ISN is unknown, the seq is the wire's. */
	assert_true(starts_with(res->error, "t.pkt:6: error handling packet: unexpected outbound "
				"packet sent at 0.000000 sec (none expected before this event)\n"
				"actual packet:  0.000000 S. "));
	assert_non_null(strstr(res->error, " ack 1 win 64240 <mss 1460>"));
	/* Before a `*` packet it may still be what that line expects. */
	if (run(LISTENER
		"+0   < S 0:0(0) win 65535 <mss 1460>\n"
		"+.5  getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0\n"
		"*    > S. 0:0(0) ack 1 <mss 1460>\n", res))
		fail_msg("%s", res->error);
	/* A retransmission the script does not list, found at the end. */
	assert_int_equal(run(LISTENER
			     "+0   < S 0:0(0) win 65535 <mss 1460>\n"
			     "+0   > S. 0:0(0) ack 1 <mss 1460>\n"
			     "+1.5 getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0\n", res), -1);
	assert_string_equal(res->error, "t.pkt:7: error handling packet: unexpected outbound "
			    "packet sent at 1.000000 sec (none expected before this event)\n"
			    "actual packet:  1.000000 S. 0:0(0) ack 1 win 64240 <mss 1460>");
	free(res);
}

/* poll()'s timeout runs on the virtual clock; the script waits for it. */
static void test_poll_timeout(void **state)
{
	struct pkt_run_result *res = result();

	(void)state;
	if (run(LISTENER
		"+0   poll([{fd=3, events=POLLIN}], 1, 250) = 0\n"
		"+0   close(3) = 0\n", res))
		fail_msg("%s", res->error);
	assert_int_equal(res->end_usecs, 250000);
	assert_int_equal(run(LISTENER
			     "+0   poll([{fd=3, events=POLLIN, revents=POLLIN}], 1, 0) = 1\n", res), -1);
	assert_string_equal(res->error, "t.pkt:5: runtime error in poll call: Expected result 1 "
			    "but got 0 with errno 0 (Success)");
	free(res);
}

static void test_shell(void **state)
{
	struct pkt_run_result *res = result();

	(void)state;
	if (run("`sysctl -q -w net.ipv4.tcp_syncookies=0; echo 2 > /proc/sys/net/ipv4/tcp_synack_retries`\n"
		"0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n", res))
		fail_msg("%s", res->error);
	assert_int_equal(run("`ls /tmp`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n", res), -1);
	assert_string_equal(res->error, "t.pkt: error executing init command: unsupported shell "
			    "command `ls /tmp` (ustack's runner applies only `sysctl [-q] [-w] "
			    "NAME=VALUE` and `echo VALUE > /proc/sys/...`)");
	assert_int_equal(run("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
			     "+0 `sysctl -q net.ipv4.no_such_knob=1`\n", res), -1);
	assert_string_equal(res->error, "t.pkt:2: error executing `sysctl -q "
			    "net.ipv4.no_such_knob=1` command: sysctl net.ipv4.no_such_knob: no "
			    "such setting in ustack");
	assert_int_equal(run("--no_such_option=1\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n",
			     res), -1);
	assert_string_equal(res->error, "t.pkt:1: unknown option --no_such_option");
	assert_int_equal(run("0.5 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n", res), -1);
	assert_string_equal(res->error, "t.pkt:1: first event should be at time 0");
	free(res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_times),
		cmocka_unit_test(test_fd_map),
		cmocka_unit_test(test_check_result),
		cmocka_unit_test(test_expr),
		cmocka_unit_test(test_passive_open_passes),
		cmocka_unit_test(test_wrong_packet_fails),
		cmocka_unit_test(test_wrong_time_fails),
		cmocka_unit_test(test_wrong_result_fails),
		cmocka_unit_test(test_blocking_call),
		cmocka_unit_test(test_unexpected_packet),
		cmocka_unit_test(test_poll_timeout),
		cmocka_unit_test(test_shell),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
