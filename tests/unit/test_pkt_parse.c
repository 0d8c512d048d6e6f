/*
 * Tests for tools/pkt/ parsing (script.h): the example scripts of
 * tests/scripts/examples/ (which pass under packetdrill against Linux) parse
 * to exactly the AST they spell, every syntax form of the subset parses, and
 * every error names its line, column and reason.
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
#include "script.h"

#define EXAMPLES USTACK_TEST_DATA "/../scripts/examples/"

static struct pkt_script *parse_file(const char *name)
{
	struct pkt_script *s;
	struct pkt_error err;
	char path[512];
	int ret;

	snprintf(path, sizeof(path), "%s%s", EXAMPLES, name);
	ret = pkt_parse_file(path, &s, &err);
	if (ret)
		fail_msg("%s", err.text);
	return s;
}

static struct pkt_script *parse_str(const char *text)
{
	struct pkt_script *s;
	struct pkt_error err;

	if (pkt_parse_string("t.pkt", text, strlen(text), &s, &err))
		fail_msg("%s", err.text);
	return s;
}

static void assert_time(const struct pkt_event *ev, enum pkt_time_type type, int64_t usecs)
{
	assert_int_equal(ev->time.type, type);
	assert_int_equal(ev->time.usecs, usecs);
}

static void assert_opt_ts(const struct pkt_tcp_opt *o, uint32_t val, uint32_t ecr)
{
	assert_int_equal(o->kind, UST_TCPOPT_TIMESTAMP);
	assert_int_equal(o->len, 10);
	assert_int_equal(o->ts.val, val);
	assert_int_equal(o->ts.ecr, ecr);
}

static void assert_int_expr(const struct pkt_expr *e, int64_t v)
{
	assert_int_equal(e->type, PKT_EXPR_INT);
	assert_int_equal(e->num.value, v);
}

static void assert_word(const struct pkt_expr *e, const char *w)
{
	assert_int_equal(e->type, PKT_EXPR_WORD);
	assert_string_equal(e->word, w);
}

/* ===== The example scripts ===== */

static void test_passive_open_script(void **state)
{
	struct pkt_script *s = parse_file("passive-open.pkt");
	const struct pkt_event *ev = s->events;

	assert_int_equal(s->noptions, 1);
	assert_string_equal(s->options[0].name, "tolerance_usecs");
	assert_string_equal(s->options[0].value, "10000");
	assert_int_equal(s->options[0].line, 3);
	assert_null(s->init_command);
	assert_null(s->cleanup_command);
	assert_int_equal(s->nevents, 18);

	/* 0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3 */
	assert_int_equal(ev[0].line, 6);
	assert_int_equal(ev[0].col, 1);
	assert_time(&ev[0], PKT_TIME_ABSOLUTE, 0);
	assert_int_equal(ev[0].type, PKT_EV_SYSCALL);
	assert_string_equal(ev[0].syscall->name, "socket");
	assert_int_equal(ev[0].syscall->nargs, 3);
	assert_int_equal(ev[0].syscall->args[0]->type, PKT_EXPR_ELLIPSIS);
	assert_word(ev[0].syscall->args[1], "SOCK_STREAM");
	assert_word(ev[0].syscall->args[2], "IPPROTO_TCP");
	assert_int_expr(ev[0].syscall->result, 3);
	assert_null(ev[0].syscall->errno_name);
	assert_false(ev[0].syscall->blocking);

	/* setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0 */
	assert_time(&ev[1], PKT_TIME_RELATIVE, 0);
	assert_int_equal(ev[1].syscall->nargs, 5);
	assert_int_equal(ev[1].syscall->args[3]->type, PKT_EXPR_LIST);
	assert_int_equal(ev[1].syscall->args[3]->list.n, 1);
	assert_int_expr(ev[1].syscall->args[3]->list.items[0], 1);

	/* +0 < S 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7> */
	const struct pkt_packet *p = ev[4].packet;

	assert_int_equal(ev[4].line, 12);
	assert_int_equal(ev[4].type, PKT_EV_PACKET);
	assert_int_equal(p->dir, PKT_INBOUND);
	assert_int_equal(p->l4, PKT_L4_TCP);
	assert_int_equal(p->ip.tos_check, PKT_TOS_NONE);
	assert_int_equal(p->tcp.flags, UST_TCP_SYN);
	assert_false(p->tcp.ace);
	assert_int_equal(p->tcp.seq, 0);
	assert_int_equal(p->tcp.len, 0);
	assert_int_equal(p->tcp.ack, 0);
	assert_true(p->tcp.has_win);
	assert_int_equal(p->tcp.win, 65535);
	assert_false(p->tcp.opts_any);
	assert_int_equal(p->tcp.nopts, 5);
	assert_int_equal(p->tcp.opt_len, 20);
	assert_int_equal(p->tcp.opts[0].kind, UST_TCPOPT_MSS);
	assert_int_equal(p->tcp.opts[0].mss, 1460);
	assert_int_equal(p->tcp.opts[1].kind, UST_TCPOPT_SACK_PERM);
	assert_int_equal(p->tcp.opts[1].len, 2);
	assert_opt_ts(&p->tcp.opts[2], 100, 0);
	assert_int_equal(p->tcp.opts[3].kind, UST_TCPOPT_NOP);
	assert_int_equal(p->tcp.opts[3].len, 1);
	assert_int_equal(p->tcp.opts[4].kind, UST_TCPOPT_WINDOW);
	assert_int_equal(p->tcp.opts[4].wscale, 7);

	/* +0 > S. 0:0(0) ack 1 <... wscale 10>: no window: not checked */
	p = ev[5].packet;
	assert_int_equal(p->dir, PKT_OUTBOUND);
	assert_int_equal(p->tcp.flags, UST_TCP_SYN | UST_TCP_ACK);
	assert_int_equal(p->tcp.ack, 1);
	assert_false(p->tcp.has_win);
	assert_int_equal(p->tcp.opts[4].wscale, 10);

	/* +.01 < . 1:1(0) ack 1 win 514 <nop,nop,TS val 110 ecr 100> */
	assert_time(&ev[6], PKT_TIME_RELATIVE, 10000);
	p = ev[6].packet;
	assert_int_equal(p->tcp.flags, UST_TCP_ACK);
	assert_int_equal(p->tcp.seq, 1);
	assert_int_equal(p->tcp.win, 514);
	assert_int_equal(p->tcp.nopts, 3);
	assert_int_equal(p->tcp.opt_len, 12);
	assert_opt_ts(&p->tcp.opts[2], 110, 100);

	/* +0 < P. 1:11(10) ... and * > . 1:1(0) ack 11 */
	p = ev[8].packet;
	assert_int_equal(p->tcp.flags, UST_TCP_PSH | UST_TCP_ACK);
	assert_int_equal(p->tcp.seq, 1);
	assert_int_equal(p->tcp.len, 10);
	assert_int_equal(ev[9].line, 19);
	assert_time(&ev[9], PKT_TIME_ANY, 0);
	assert_int_equal(ev[9].packet->tcp.ack, 11);

	/* +0 > F. 21:21(0) ack 11 */
	assert_int_equal(ev[15].packet->tcp.flags, UST_TCP_FIN | UST_TCP_ACK);
	assert_int_equal(ev[15].packet->tcp.seq, 21);
	assert_int_equal(ev[17].line, 31);
	assert_int_equal(ev[17].packet->tcp.ack, 12);
	pkt_script_free(s);
}

static void test_active_open_script(void **state)
{
	struct pkt_script *s = parse_file("active-open.pkt");
	const struct pkt_event *ev = s->events;
	const struct pkt_syscall *sc;
	const struct pkt_expr *e;

	assert_int_equal(s->noptions, 0);
	assert_int_equal(s->nevents, 15);

	/* fcntl(3, F_GETFL) = 0x2 (flags O_RDWR) */
	sc = ev[1].syscall;
	assert_int_equal(sc->nargs, 2);
	assert_int_expr(sc->result, 2);
	assert_true(sc->result->num.hex);
	assert_null(sc->errno_name);
	assert_string_equal(sc->note, "flags O_RDWR");

	/* fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0 */
	e = ev[2].syscall->args[2];
	assert_int_equal(e->type, PKT_EXPR_BINARY);
	assert_int_equal(e->bin.op, '|');
	assert_word(e->bin.lhs, "O_RDWR");
	assert_word(e->bin.rhs, "O_NONBLOCK");

	/* connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress) */
	sc = ev[3].syscall;
	assert_int_expr(sc->result, -1);
	assert_string_equal(sc->errno_name, "EINPROGRESS");
	assert_string_equal(sc->errno_text, "Operation now in progress");
	assert_null(sc->note);

	/* > S 0:0(0) <...wscale 10>; < S. 0:0(0) ack 1 win 65535 */
	assert_int_equal(ev[4].packet->tcp.flags, UST_TCP_SYN);
	assert_int_equal(ev[4].packet->dir, PKT_OUTBOUND);
	assert_int_equal(ev[5].packet->tcp.flags, UST_TCP_SYN | UST_TCP_ACK);
	assert_opt_ts(&ev[5].packet->tcp.opts[2], 200, 100);

	/* poll([{fd=3, events=POLLOUT, revents=POLLOUT}], 1, 0) = 1 */
	sc = ev[7].syscall;
	assert_string_equal(sc->name, "poll");
	e = sc->args[0];
	assert_int_equal(e->type, PKT_EXPR_LIST);
	assert_int_equal(e->list.n, 1);
	e = e->list.items[0];
	assert_int_equal(e->type, PKT_EXPR_POLLFD);
	assert_int_expr(e->pollfd.fd, 3);
	assert_word(e->pollfd.events, "POLLOUT");
	assert_word(e->pollfd.revents, "POLLOUT");

	/* getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0 */
	assert_int_equal(ev[8].syscall->nargs, 5);
	assert_int_expr(ev[8].syscall->args[4]->list.items[0], 4);

	/* setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0 */
	e = ev[12].syscall->args[3];
	assert_int_equal(e->type, PKT_EXPR_LINGER);
	assert_int_equal(e->linger.onoff, 1);
	assert_int_equal(e->linger.linger, 0);

	/* > R. 101:101(0) ack 1 <nop,nop,TS val 120 ecr 210> */
	assert_int_equal(ev[14].packet->tcp.flags, UST_TCP_RST | UST_TCP_ACK);
	assert_int_equal(ev[14].packet->tcp.seq, 101);
	assert_false(ev[14].packet->tcp.has_win);
	pkt_script_free(s);
}

static void test_rst_scripts(void **state)
{
	struct pkt_script *s = parse_file("rst-closed-port.pkt");

	assert_int_equal(s->nevents, 2);
	assert_int_equal(s->events[1].packet->tcp.flags, UST_TCP_RST | UST_TCP_ACK);
	assert_true(s->events[1].packet->tcp.has_win);
	assert_int_equal(s->events[1].packet->tcp.win, 0);
	assert_int_equal(s->events[0].packet->tcp.nopts, 6);
	pkt_script_free(s);

	s = parse_file("rst-established.pkt");
	assert_int_equal(s->nevents, 12);
	assert_string_equal(s->events[9].syscall->errno_name, "ECONNRESET");
	assert_string_equal(s->events[9].syscall->errno_text, "Connection reset by peer");
	assert_int_expr(s->events[10].syscall->result, 0);
	pkt_script_free(s);
}

static void test_icmp_script(void **state)
{
	struct pkt_script *s = parse_file("connect-icmp-unreachable.pkt");
	const struct pkt_event *ev = s->events;

	assert_int_equal(s->nevents, 4);
	/* +0...0.1 connect(3, ..., ...) = -1 ECONNREFUSED (Connection refused) */
	assert_time(&ev[1], PKT_TIME_RELATIVE, 0);
	assert_true(ev[1].syscall->blocking);
	assert_int_equal(ev[1].syscall->end_usecs, 100000);
	assert_string_equal(ev[1].syscall->errno_name, "ECONNREFUSED");
	assert_true(ev[2].packet->tcp.opts_any);
	/* +.1 < icmp unreachable port_unreachable [0:0(0)] */
	assert_int_equal(ev[3].packet->l4, PKT_L4_ICMP);
	assert_int_equal(ev[3].packet->icmp.type, 3);
	assert_int_equal(ev[3].packet->icmp.code, 3);
	assert_int_equal(ev[3].packet->icmp.mtu, -1);
	assert_int_equal(ev[3].packet->icmp.echoed, PKT_ECHOED_TCP);
	assert_int_equal(ev[3].packet->icmp.seq, 0);
	pkt_script_free(s);
}

/* ===== Syntax forms ===== */

static void test_times(void **state)
{
	struct pkt_script *s = parse_str(
		"0.100 > . 1:1(0)\n+0.1 > . 1:1(0)\n0.1~0.25 > . 1:1(0)\n"
		"+0.1~+0.2 > . 1:1(0)\n* > . 1:1(0)\n2 > . 1:1(0)\n+.000001 > . 1:1(0)\n"
		"1.1234567 > . 1:1(0)\n");

	assert_time(&s->events[0], PKT_TIME_ABSOLUTE, 100000);
	assert_time(&s->events[1], PKT_TIME_RELATIVE, 100000);
	assert_time(&s->events[2], PKT_TIME_ABSOLUTE_RANGE, 100000);
	assert_int_equal(s->events[2].time.end_usecs, 250000);
	assert_time(&s->events[3], PKT_TIME_RELATIVE_RANGE, 100000);
	assert_int_equal(s->events[3].time.end_usecs, 200000);
	assert_time(&s->events[4], PKT_TIME_ANY, 0);
	assert_time(&s->events[5], PKT_TIME_ABSOLUTE, 2000000);
	assert_time(&s->events[6], PKT_TIME_RELATIVE, 1);
	assert_time(&s->events[7], PKT_TIME_ABSOLUTE, 1123456);
	pkt_script_free(s);
}

static void test_commands_options_comments(void **state)
{
	struct pkt_script *s = parse_str(
		"--ip_version=ipv4\n--local_ip=192.168.0.1 --tcp_ts_ecr_scaled\n"
		"--define=PROTO=IPPROTO_TCP\n"
		"`sysctl -q net.ipv4.tcp_timestamps=1`\n"
		"/* multi\n line */ 0 `echo hi` // trailing\n"
		"+0 %{ print(1) }%\n"
		"+1 close(3) = 0 // done\n"
		"`rm -f /tmp/x`\n");

	assert_int_equal(s->noptions, 4);
	assert_string_equal(s->options[0].name, "ip_version");
	assert_string_equal(s->options[0].value, "ipv4");
	assert_string_equal(s->options[1].value, "192.168.0.1");
	assert_string_equal(s->options[2].name, "tcp_ts_ecr_scaled");
	assert_null(s->options[2].value);
	assert_int_equal(s->options[2].line, 2);
	assert_string_equal(s->options[3].value, "PROTO=IPPROTO_TCP");
	assert_string_equal(s->init_command, "sysctl -q net.ipv4.tcp_timestamps=1");
	assert_int_equal(s->nevents, 3);
	assert_int_equal(s->events[0].type, PKT_EV_COMMAND);
	assert_int_equal(s->events[0].line, 6);
	assert_int_equal(s->events[0].col, 10);
	assert_string_equal(s->events[0].command, "echo hi");
	assert_int_equal(s->events[1].type, PKT_EV_CODE);
	assert_string_equal(s->events[1].code, "%{ print(1) }%");
	assert_int_equal(s->events[2].line, 8);
	assert_string_equal(s->cleanup_command, "rm -f /tmp/x");
	pkt_script_free(s);
}

static void test_packet_forms(void **state)
{
	struct pkt_script *s = parse_str(
		"0 < [tos 0x2] 40000>8080 SEW 0:0(0) win 1 urg 5 <sack 1:2 3:4,nop,nop>\n"
		"0 > [ect01] FP. 1:1001(1000) ack 4294967295 <eol,nop,nop,nop>\n"
		"0 > (ttl 64) R 0:0(0) <...>\n"
		"0 > [ce] - 0:0(0)\n"
		"0 > S.5 0:0(0)\n"
		"0 > UA. 0:0(0)\n"
		"0 < icmp unreachable frag_needed mtu 1200 [5:5(0)]\n"
		"0 < icmp echo_reply id 7 [raw (12)]\n"
		"0 < icmp type_40 code_2 [udp (8)]\n"
		"0 < icmp time_exceeded\n");
	const struct pkt_packet *p = s->events[0].packet;

	assert_int_equal(p->ip.tos_check, PKT_TOS_VALUE);
	assert_int_equal(p->ip.tos, 2);
	assert_int_equal(p->tcp.sport, 40000);
	assert_int_equal(p->tcp.dport, 8080);
	assert_int_equal(p->tcp.flags, UST_TCP_SYN | UST_TCP_ECE | UST_TCP_CWR);
	assert_int_equal(p->tcp.urg, 5);
	assert_int_equal(p->tcp.nopts, 3);
	assert_int_equal(p->tcp.opt_len, 20);
	assert_int_equal(p->tcp.opts[0].len, 18);
	assert_int_equal(p->tcp.opts[0].sack.n, 2);
	assert_int_equal(p->tcp.opts[0].sack.blocks[1].start, 3);
	assert_int_equal(p->tcp.opts[0].sack.blocks[1].end, 4);

	p = s->events[1].packet;
	assert_int_equal(p->ip.tos_check, PKT_TOS_ECT01);
	assert_int_equal(p->tcp.flags, UST_TCP_FIN | UST_TCP_PSH | UST_TCP_ACK);
	assert_int_equal(p->tcp.len, 1000);
	assert_int_equal(p->tcp.ack, 4294967295u);
	assert_int_equal(p->tcp.opts[0].kind, UST_TCPOPT_EOL);

	p = s->events[2].packet;
	assert_int_equal(p->ip.ttl, 64);
	assert_int_equal(p->tcp.flags, UST_TCP_RST);
	assert_true(p->tcp.opts_any);

	p = s->events[3].packet;
	assert_int_equal(p->ip.tos_check, PKT_TOS_ECN);
	assert_int_equal(p->ip.tos, PKT_IP_ECN_CE);
	assert_int_equal(p->tcp.flags, 0);

	/* S.5: the word S and the float .5: ACE 5 = AE and ECE */
	p = s->events[4].packet;
	assert_true(p->tcp.ace);
	assert_int_equal(p->tcp.flags, UST_TCP_SYN | UST_TCP_ACK | UST_TCP_ECE | PKT_TCP_AE);
	assert_int_equal(s->events[5].packet->tcp.flags, UST_TCP_URG | PKT_TCP_AE | UST_TCP_ACK);

	p = s->events[6].packet;
	assert_int_equal(p->icmp.type, 3);
	assert_int_equal(p->icmp.code, 4);
	assert_int_equal(p->icmp.mtu, 1200);
	assert_int_equal(p->icmp.seq, 5);
	p = s->events[7].packet;
	assert_int_equal(p->icmp.type, 0);
	assert_int_equal(p->icmp.echo_id, 7);
	assert_int_equal(p->icmp.echoed, PKT_ECHOED_RAW);
	assert_int_equal(p->icmp.len, 12);
	p = s->events[8].packet;
	assert_int_equal(p->icmp.type, 40);
	assert_int_equal(p->icmp.code, 2);
	assert_int_equal(p->icmp.echoed, PKT_ECHOED_UDP);
	p = s->events[9].packet;
	assert_int_equal(p->icmp.type, 11);
	assert_int_equal(p->icmp.code, 0);
	assert_int_equal(p->icmp.echoed, PKT_ECHOED_TCP);
	pkt_script_free(s);
}

static void test_syscall_forms(void **state)
{
	struct pkt_script *s = parse_str(
		"0 bind(3, {sa_family=AF_INET, sin_port=htons(8080), "
		"sin_addr=inet_addr(\"192.0.2.1\")}, 16) = 0\n"
		"+0 setsockopt(3, SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=0}, 8) = 0\n"
		"+0 write(3, \"ab\" \"cd\", 4) = 4\n"
		"+0 send(3, \"xy\"..., 0x10, MSG_DONTWAIT) = -1 EAGAIN (Resource temporarily unavailable)\n"
		"+0 sendmsg(3, {..., 10}, [], inet_addr(\"10.0.0.1\"), -5) = 0 (a note)\n"
		"+0 poll([{fd=4, events=POLLIN|POLLOUT}], 1, 100) = ...\n"
		"+0 getpid() = 1\n");
	const struct pkt_expr *e = s->events[0].syscall->args[1];

	assert_int_equal(e->type, PKT_EXPR_SOCKADDR);
	assert_int_equal(e->sin.port, htons(8080));
	assert_int_equal(e->sin.addr, htonl(0xc0000201));

	e = s->events[1].syscall->args[3];
	assert_int_equal(e->type, PKT_EXPR_STRUCT);
	assert_int_equal(e->list.n, 2);
	assert_int_equal(e->list.items[0]->type, PKT_EXPR_BINARY);
	assert_int_equal(e->list.items[0]->bin.op, '=');
	assert_word(e->list.items[0]->bin.lhs, "l_onoff");
	assert_int_expr(e->list.items[0]->bin.rhs, 1);

	e = s->events[2].syscall->args[1];
	assert_int_equal(e->type, PKT_EXPR_BINARY);
	assert_int_equal(e->bin.op, '.');
	assert_string_equal(e->bin.lhs->str.s, "ab");
	assert_string_equal(e->bin.rhs->str.s, "cd");

	e = s->events[3].syscall->args[1];
	assert_int_equal(e->type, PKT_EXPR_STRING);
	assert_true(e->str.ellipsis);
	assert_int_expr(s->events[3].syscall->args[2], 16);
	assert_true(s->events[3].syscall->args[2]->num.hex);

	const struct pkt_syscall *sc = s->events[4].syscall;

	assert_int_equal(sc->args[1]->type, PKT_EXPR_IOVEC);
	assert_int_equal(sc->args[1]->iovec.len, 10);
	assert_int_equal(sc->args[2]->type, PKT_EXPR_LIST);
	assert_int_equal(sc->args[2]->list.n, 0);
	assert_int_equal(sc->args[3]->type, PKT_EXPR_INADDR);
	assert_int_equal(sc->args[3]->inaddr, htonl(0x0a000001));
	assert_int_expr(sc->args[4], -5);
	assert_string_equal(sc->note, "a note");

	e = s->events[5].syscall->args[0]->list.items[0];
	assert_int_equal(e->pollfd.events->type, PKT_EXPR_BINARY);
	assert_int_expr(e->pollfd.revents, 0);
	assert_int_equal(s->events[5].syscall->result->type, PKT_EXPR_ELLIPSIS);
	assert_int_equal(s->events[6].syscall->nargs, 0);
	pkt_script_free(s);
}

static void test_symbols(void **state)
{
	int64_t v;
	int e;
	uint8_t t;

	assert_int_equal(pkt_symbol_value("SOCK_STREAM", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(pkt_symbol_value("O_NONBLOCK", &v), 0);
	assert_int_equal(v, 04000);
	assert_int_equal(pkt_symbol_value("POLLOUT", &v), 0);
	assert_int_equal(v, 4);
	assert_int_equal(pkt_symbol_value("SO_LINGER", &v), 0);
	assert_int_equal(v, 13);
	assert_int_equal(pkt_symbol_value("NOPE", &v), -ENOENT);
	assert_int_equal(pkt_errno_value("EINPROGRESS", &e), 0);
	assert_int_equal(e, 115);
	assert_int_equal(pkt_errno_value("EFOO", &e), -ENOENT);
	assert_int_equal(pkt_icmp_code_parse(3, "code_9", &t), 0);
	assert_int_equal(t, 9);
	assert_int_equal(pkt_icmp_code_parse(11, "port_unreachable", &t), -ENOENT);
	assert_string_equal(pkt_icmp_code_name(3, 13), "packet_filtered");
}

/* ===== Errors: file:line:col: message ===== */

struct bad {
	const char *text;
	const char *error;
};

static const struct bad bads[] = {
	{ "0 > X 0:0(0)\n", "t.pkt:1:5: Invalid TCP flag: 'X'" },
	{ "0 > S1E 0:0(0)\n", "t.pkt:1:5: Conflicting TCP flag: 'E'" },
	{ "0 > S.E 0:0(0)\n", "t.pkt:1:7: unexpected 'E' after flags 'S.': the ACK dot "
	  "comes last (write 'SE.')" },
	{ "0 > 0:0(0)\n", "t.pkt:1:5: expected TCP flags (S, S., ., P., F., R, R., - ...), found '0'" },
	{ "0 > S 0:1(0)\n", "t.pkt:1:7: inconsistent TCP sequence numbers and payload size" },
	{ "0 > S 0:4294967296(0)\n", "t.pkt:1:9: TCP end sequence number out of range "
	  "(0..4294967295)" },
	{ "0 > S 0:0(0) win 65536\n", "t.pkt:1:18: TCP window value out of range (0..65535)" },
	{ "0 > S 0:0(0) ack x\n", "t.pkt:1:18: expected TCP ack sequence number (a number), found 'x'" },
	{ "0 > S 0:0(0\n", "t.pkt:2:1: expected ')' in sequence range start:end(len), found end of file" },
	{ "0 > S 0:0(0) <mss 1460\n", "t.pkt:2:1: expected '>' to close the TCP option list, "
	  "found end of file" },
	{ "0 > S 0:0(0) <mss 70000>\n", "t.pkt:1:19: mss value out of range (0..65535)" },
	{ "0 > S 0:0(0) <mss 1460,nop>\n", "t.pkt:1:14: TCP options are not padded correctly "
	  "to ensure TCP header is a multiple of 4 bytes: 1 excess bytes" },
	{ "0 > S 0:0(0) <sack 1:2 3:4 5:6 7:8 9:10>\n", "t.pkt:1:15: TCP option list too long" },
	{ "0 > S 0:0(0) <md5 00>\n", "t.pkt:1:15: TCP option 'md5' is not supported by "
	  "ustack's runner" },
	{ "0 > S 0:0(0) <TS 1 ecr 2>\n", "t.pkt:1:18: expected 'val' after TS" },
	{ "0 < S 0:0(0) <mss 1460>\n", "t.pkt:1:7: window must be specified for inbound packets" },
	{ "0 < S 0:0(0) win 1 <...>\n", "t.pkt:1:20: <...> for TCP options can only be used "
	  "with outbound packets" },
	{ "* < S 0:0(0) win 1\n", "t.pkt:1:1: event time <star> can only be used with "
	  "outbound packets" },
	{ "0.1~0.2 close(3) = 0\n", "t.pkt:1:1: event time range can only be used with "
	  "outbound packets" },
	{ "+0.2~0.1 > S 0:0(0)\n", "t.pkt:1:6: expected '+' in relative range +T~+T, found '0.1'" },
	{ "0.2~0.1 > S 0:0(0)\n", "t.pkt:1:1: time range is backwards" },
	{ "-1 close(3) = 0\n", "t.pkt:1:1: negative time" },
	{ "0 close(3 = 0\n", "t.pkt:1:11: expected ')' to close the argument list, found '='" },
	{ "0 close(3) 0\n", "t.pkt:1:12: expected '=' before the expected result, found '0'" },
	{ "0 connect(3, ..., ...) = -1 EINPROGRESS\n", "t.pkt:2:1: expected '(' and the error "
	  "text after EINPROGRESS (packetdrill requires it, e.g. EAGAIN (Resource temporarily "
	  "unavailable)), found end of file" },
	{ "0 close(3) = -1 ENOTSOCK (Socket operation on non-socket)\n", "t.pkt:1:50: expected a "
	  "word in the note (packetdrill takes letters, digits and _ only), found '-'" },
	{ "0 setsockopt(3, 1, 2, {onoff=1, linger=0, 8) = 0\n", "t.pkt:1:41: expected '}' to "
	  "close the struct, found ','" },
	{ "0 poll([{fd=3, events=POLLIN}, 1, 0) = 1\n", "t.pkt:1:36: expected ']' to close "
	  "the array, found ')'" },
	{ "0 bind(3, {sa_family=AF_INET6, sin_port=htons(1), sin_addr=inet_addr(\"::1\")}, 1) = 0\n",
	  "t.pkt:1:22: address family AF_INET6 is not supported: ustack's runner is IPv4 only" },
	{ "0 bind(3, {sa_family=AF_INET, sin_port=htons(1), sin_addr=inet_addr(\"1.2.3\")}, 1) = 0\n",
	  "t.pkt:1:69: invalid IPv4 address \"1.2.3\"" },
	{ "0 f(htons(3)) = 0\n", "t.pkt:1:5: 'htons' is a reserved word and cannot be an argument" },
	{ "0 f(99999999999999999999) = 0\n", "t.pkt:1:5: number out of range" },
	{ "0 f([[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]) = 0\n",
	  "t.pkt:1:37: expression nested too deeply" },
	{ "0 < icmp bogus\n", "t.pkt:1:10: bad ICMP type bogus" },
	{ "0 < icmp unreachable nope\n", "t.pkt:1:22: bad ICMP code nope" },
	{ "0 < icmp unreachable port_unreachable mtu 1000\n", "t.pkt:1:39: ICMPv4 MTU is only "
	  "valid for unreachable-frag_needed" },
	{ "0 < icmp echo_request [raw (4)]\n", "t.pkt:1:29: icmp_bytes 4 smaller than icmp "
	  "header length 8" },
	{ "0 < udp (10)\n", "t.pkt:1:5: udp packets are not supported: ustack is TCP only" },
	{ "0 < ipv4 1.1.1.1 > 2.2.2.2: S 0:0(0) win 1\n", "t.pkt:1:5: 'ipv4' encapsulation is "
	  "not supported by ustack's runner" },
	{ "0 < [tos 16] S 0:0(0) win 1\n", "t.pkt:1:10: expected a hex TOS value (tos 0xNN), "
	  "found '16'" },
	{ "0 < [ect01] S 0:0(0) win 1\n", "t.pkt:1:5: [ect01] can only be used with outbound packets" },
	{ "0 > S 0:0(0)\n/* open\n", "t.pkt:2:1: unterminated /* comment" },
	{ "0 write(3, \"abc, 3) = 3\n", "t.pkt:1:12: unterminated string" },
	{ "0 `ls\n", "t.pkt:1:3: unterminated `command`" },
	{ "0 > S 0:0(0)\r\n", "t.pkt:1:13: carriage return in script (packetdrill takes only "
	  "\\n line ends)" },
	{ "--tolerance_usecs=1.5\n0 > S 0:0(0)\n", "t.pkt:1:19: bad value for --tolerance_usecs: '1.5'" },
	{ "--ip_version=ipv4\n", "t.pkt:2:1: script has no events" },
	{ "", "t.pkt:1:1: script has no events" },
	{ "0 > S 0:0(0)\nclose(3) = 0\n", "t.pkt:2:1: expected an event (a time: 0.1, +0.1, *), "
	  "found 'close'" },
	{ "0 ; \n", "t.pkt:1:3: expected a packet (< or >), a system call or a `command` after "
	  "the time, found ';'" },
	{ "0 `a`\n`b`\n`c`\n", "t.pkt:3:1: expected an event (a time: 0.1, +0.1, *), found '`c`'" },
};

static void test_errors(void **state)
{
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		struct pkt_script *s = (void *)1;
		struct pkt_error err;
		int ret = pkt_parse_string("t.pkt", bads[i].text, strlen(bads[i].text), &s, &err);

		if (ret != -EINVAL || strcmp(err.text, bads[i].error))
			fail_msg("case %zu (%s): got %d \"%s\"\n  want \"%s\"", i, bads[i].text,
				 ret, err.text, bads[i].error);
		assert_null(s);
	}
}

static void test_error_fields_and_missing_file(void **state)
{
	struct pkt_script *s;
	struct pkt_error err;

	assert_int_equal(pkt_parse_string(NULL, "\n\n  0 > Q 0:0(0)", 15, &s, &err), -EINVAL);
	assert_int_equal(err.line, 3);
	assert_int_equal(err.col, 7);
	assert_string_equal(err.msg, "Invalid TCP flag: 'Q'");
	assert_string_equal(err.text, "<script>:3:7: Invalid TCP flag: 'Q'");

	/* Not NUL-terminated: the parser stops at len. */
	assert_int_equal(pkt_parse_string("t", "0 close(3) = 0XXXX", 14, &s, &err), 0);
	assert_int_equal(s->nevents, 1);
	pkt_script_free(s);
	assert_int_equal(pkt_parse_string("t", "0 close(3) = 0\0x", 16, &s, &err), -EINVAL);
	assert_string_equal(err.text, "t:1:15: NUL byte in script");

	assert_int_equal(pkt_parse_file("/nonexistent/x.pkt", &s, &err), -ENOENT);
	assert_null(s);
	assert_string_equal(err.text, "/nonexistent/x.pkt: No such file or directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_passive_open_script),
		cmocka_unit_test(test_active_open_script),
		cmocka_unit_test(test_rst_scripts),
		cmocka_unit_test(test_icmp_script),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_commands_options_comments),
		cmocka_unit_test(test_packet_forms),
		cmocka_unit_test(test_syscall_forms),
		cmocka_unit_test(test_symbols),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_error_fields_and_missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
