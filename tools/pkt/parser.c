/*
 * The packet script parser: options, commands, event times and packets, a
 * hand-written recursive descent over packetdrill's grammar (system calls are
 * in parse_syscall.c). Entry: pkt_parse_string() -> parse_script() ->
 * parse_event() -> parse_packet() | pkt_parse_syscall() | command | code.
 *
 * Grammar (packetdrill's, the subset ustack runs):
 *   script  := option* [`cmd`] event+ [`cmd`]
 *   option  := --name [= value]
 *   event   := time action
 *   time    := T | +T | * | T~T | +T~+T          (T: seconds, int or float)
 *   action  := packet | syscall | `cmd` | %{code}%
 *   packet  := (<|>) [ipinfo] tcp | (<|>) [ipinfo] icmp TYPE [CODE] [mtu N] [id N] [echoed]
 *   ipinfo  := ( '[' | '(' ) (tos 0xNN | noecn|ect0|ect1|ce|ect01 | ttl N) ( ']' | ')' )
 *   tcp     := [P>P] flags S:E(L) [ack N] [win N] [urg N] [<opt,...> | <...>]
 *
 * Semantic checks are packetdrill's, with its messages: window required on
 * inbound packets, <...> and time ranges and * only on outbound ones, seq
 * range consistent with the length, options padded to 4 and at most 40
 * bytes, valid flag letters, every number in its field's range.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "parse.h"

/* --- flags ---------------------------------------------------------------- */

int pkt_flags_parse(const char *s, size_t len, uint16_t *flags, bool *ace,
		    char *bad, bool *conflict)
{
	bool ecn = false, has_ace = false;
	uint16_t f = 0;

	*conflict = false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		switch (c) {
		case '.': f |= UST_TCP_ACK; break;
		case 'F': f |= UST_TCP_FIN; break;
		case 'S': f |= UST_TCP_SYN; break;
		case 'R': f |= UST_TCP_RST; break;
		case 'P': f |= UST_TCP_PSH; break;
		case 'U': f |= UST_TCP_URG; break;
		case 'E': f |= UST_TCP_ECE; break;
		case 'W': f |= UST_TCP_CWR; break;
		case 'A': f |= PKT_TCP_AE; break;
		default:
			if (c < '0' || c > '7') {
				*bad = c;
				return -EINVAL;
			}
			if (ecn || has_ace) {
				*bad = c;
				*conflict = true;
				return -EINVAL;
			}
			has_ace = true;
			/* ACE = AE:CWR:ECE (RFC 9768 3.2.2.1). */
			if (c & 1)
				f |= UST_TCP_ECE;
			if (c & 2)
				f |= UST_TCP_CWR;
			if (c & 4)
				f |= PKT_TCP_AE;
			continue;
		}
		if (c == 'E' || c == 'W' || c == 'A') {
			if (has_ace) {
				*bad = c;
				*conflict = true;
				return -EINVAL;
			}
			ecn = true;
		}
	}
	*flags = f;
	*ace = has_ace;
	return 0;
}

/* flags := WORD ['.'] | [WORD] FLOAT | '.' | '-' */
static void parse_tcp_flags(struct pkt_parser *p, struct pkt_tcp_spec *tcp)
{
	char text[80];
	size_t n = 0;
	int line = p->tok.line, col = p->tok.col;
	char buf[64];

	text[0] = '\0';
	if (p->tok.type == PKT_TOK_WORD && p->tok.len < 32) {
		memcpy(text, p->tok.start, p->tok.len);
		n = p->tok.len;
		pkt_lex_advance(p);
		if (pkt_tok_is_char(&p->tok, '.')) {
			text[n++] = '.';
			pkt_lex_advance(p);
		} else if (p->tok.type == PKT_TOK_FLOAT && p->tok.len < 32) {
			memcpy(text + n, p->tok.start, p->tok.len);
			n += p->tok.len;
			pkt_lex_advance(p);
		}
	} else if (p->tok.type == PKT_TOK_FLOAT && p->tok.len < 32) {
		memcpy(text, p->tok.start, p->tok.len);
		n = p->tok.len;
		pkt_lex_advance(p);
	} else if (pkt_tok_is_char(&p->tok, '.')) {
		text[n++] = '.';
		pkt_lex_advance(p);
	} else if (pkt_tok_is_char(&p->tok, '-')) {
		pkt_lex_advance(p);
	} else {
		pkt_fail(p, "expected TCP flags (S, S., ., P., F., R, R., - ...), found %s",
			 pkt_tok_describe(&p->tok, buf, sizeof(buf)));
	}
	text[n] = '\0';

	char bad = 0;
	bool conflict;

	if (pkt_flags_parse(text, n, &tcp->flags, &tcp->ace, &bad, &conflict))
		pkt_fail_at(p, line, col, "%s TCP flag: '%c'",
			    conflict ? "Conflicting" : "Invalid", bad);
	/* "S.E": packetdrill reads the word S, the dot, then wants a number. */
	if (n && text[n - 1] == '.' && p->tok.type == PKT_TOK_WORD && !p->tok.spaced)
		pkt_fail(p, "unexpected '%.*s' after flags '%s': the ACK dot comes "
			 "last (write '%.*s%.*s.')", (int)p->tok.len, p->tok.start,
			 text, (int)(n - 1), text, (int)p->tok.len, p->tok.start);
}

/* --- TCP options ------------------------------------------------------------- */

static uint32_t expect_u32(struct pkt_parser *p, const char *what)
{
	return (uint32_t)pkt_expect_int(p, 0, UINT32_MAX, what);
}

static void add_opt(struct pkt_parser *p, struct pkt_tcp_spec *tcp,
		    const struct pkt_tcp_opt *o, int line, int col)
{
	if (tcp->nopts >= PKT_MAX_TCP_OPTS || tcp->opt_len + o->len > UST_TCP_OPT_SPACE)
		pkt_fail_at(p, line, col, "TCP option list too long");
	tcp->opts[tcp->nopts++] = *o;
	tcp->opt_len = (uint8_t)(tcp->opt_len + o->len);
}

static void parse_sack(struct pkt_parser *p, struct pkt_tcp_opt *o, int line, int col)
{
	o->kind = UST_TCPOPT_SACK;
	do {
		if (o->sack.n == UST_TCP_MAX_SACKS)
			pkt_fail_at(p, line, col, "TCP option list too long");
		o->sack.blocks[o->sack.n].start =
			expect_u32(p, "TCP SACK left sequence number");
		pkt_expect_char(p, ':', "in SACK block left:right");
		o->sack.blocks[o->sack.n].end =
			expect_u32(p, "TCP SACK right sequence number");
		o->sack.n++;
	} while (p->tok.type == PKT_TOK_INT);
	o->len = (uint8_t)(UST_TCPOLEN_SACK_BASE + UST_TCPOLEN_SACK_PERBLOCK * o->sack.n);
}

static void parse_one_opt(struct pkt_parser *p, struct pkt_tcp_spec *tcp)
{
	struct pkt_tcp_opt o;
	int line = p->tok.line, col = p->tok.col;
	enum pkt_kw kw = p->tok.type == PKT_TOK_KEYWORD ? p->tok.kw : PKT_KW_OTHER;
	char buf[64];

	memset(&o, 0, sizeof(o));
	if (p->tok.type != PKT_TOK_KEYWORD)
		pkt_fail(p, "expected a TCP option (mss, wscale, sackOK, sack, TS, nop, eol), found %s",
			 pkt_tok_describe(&p->tok, buf, sizeof(buf)));
	switch (kw) {
	case PKT_KW_NOP:
	case PKT_KW_EOL:
		o.kind = kw == PKT_KW_NOP ? UST_TCPOPT_NOP : UST_TCPOPT_EOL;
		o.len = 1;
		pkt_lex_advance(p);
		break;
	case PKT_KW_MSS:
		pkt_lex_advance(p);
		o.kind = UST_TCPOPT_MSS;
		o.len = UST_TCPOLEN_MSS;
		o.mss = (uint16_t)pkt_expect_int(p, 0, UINT16_MAX, "mss value");
		break;
	case PKT_KW_WSCALE:
		pkt_lex_advance(p);
		o.kind = UST_TCPOPT_WINDOW;
		o.len = UST_TCPOLEN_WINDOW;
		o.wscale = (uint8_t)pkt_expect_int(p, 0, UINT8_MAX, "window scale shift count");
		break;
	case PKT_KW_SACKOK:
		pkt_lex_advance(p);
		o.kind = UST_TCPOPT_SACK_PERM;
		o.len = UST_TCPOLEN_SACK_PERM;
		break;
	case PKT_KW_SACK:
		pkt_lex_advance(p);
		parse_sack(p, &o, line, col);
		break;
	case PKT_KW_TS:
		pkt_lex_advance(p);
		if (!pkt_tok_is_kw(&p->tok, PKT_KW_VAL))
			pkt_fail(p, "expected 'val' after TS");
		pkt_lex_advance(p);
		o.kind = UST_TCPOPT_TIMESTAMP;
		o.len = UST_TCPOLEN_TIMESTAMP;
		o.ts.val = expect_u32(p, "ts val");
		if (!pkt_tok_is_kw(&p->tok, PKT_KW_ECR))
			pkt_fail(p, "expected 'ecr' after TS val N");
		pkt_lex_advance(p);
		o.ts.ecr = expect_u32(p, "ecr val");
		break;
	case PKT_KW_MD5:
	case PKT_KW_FO:
	case PKT_KW_FOEXP:
	case PKT_KW_ECN:
		pkt_fail(p, "TCP option '%.*s' is not supported by ustack's runner",
			 (int)p->tok.len, p->tok.start);
	default:
		pkt_fail(p, "expected a TCP option (mss, wscale, sackOK, sack, TS, nop, eol), found %s",
			 pkt_tok_describe(&p->tok, buf, sizeof(buf)));
	}
	add_opt(p, tcp, &o, line, col);
}

/* '<' ( '...' | opt (',' opt)* ) '>'; the '<' is current. */
static void parse_tcp_options(struct pkt_parser *p, struct pkt_packet *pkt)
{
	struct pkt_tcp_spec *tcp = &pkt->tcp;
	int line = p->tok.line, col = p->tok.col;

	pkt_lex_advance(p);
	if (p->tok.type == PKT_TOK_ELLIPSIS) {
		pkt_lex_advance(p);
		pkt_expect_char(p, '>', "to close <...>");
		if (pkt->dir != PKT_OUTBOUND)
			pkt_fail_at(p, line, col, "<...> for TCP options can only be "
				    "used with outbound packets");
		tcp->opts_any = true;
		return;
	}
	for (;;) {
		parse_one_opt(p, tcp);
		if (!pkt_tok_is_char(&p->tok, ','))
			break;
		pkt_lex_advance(p);
	}
	pkt_expect_char(p, '>', "to close the TCP option list");
	if (tcp->opt_len & 3)
		pkt_fail_at(p, line, col, "TCP options are not padded correctly to "
			    "ensure TCP header is a multiple of 4 bytes: %d excess bytes",
			    tcp->opt_len & 3);
}

/* --- packets ---------------------------------------------------------------- */

static void parse_tcp(struct pkt_parser *p, struct pkt_packet *pkt)
{
	struct pkt_tcp_spec *tcp = &pkt->tcp;

	pkt->l4 = PKT_L4_TCP;
	if (p->tok.type == PKT_TOK_INT && pkt_tok_is_char(pkt_lex_peek(p), '>')) {
		tcp->sport = (uint16_t)pkt_expect_int(p, 0, UINT16_MAX, "src port");
		pkt_lex_advance(p);
		tcp->dport = (uint16_t)pkt_expect_int(p, 0, UINT16_MAX, "dst port");
	}
	parse_tcp_flags(p, tcp);

	int line = p->tok.line, col = p->tok.col;
	uint32_t start = expect_u32(p, "TCP start sequence number");

	pkt_expect_char(p, ':', "in sequence range start:end(len)");
	uint32_t end = expect_u32(p, "TCP end sequence number");

	pkt_expect_char(p, '(', "in sequence range start:end(len)");
	tcp->len = (uint16_t)pkt_expect_int(p, 0, UINT16_MAX, "TCP payload size");
	pkt_expect_char(p, ')', "in sequence range start:end(len)");
	if ((uint64_t)start + tcp->len != end)
		pkt_fail_at(p, line, col, "inconsistent TCP sequence numbers and payload size");
	tcp->seq = start;

	if (pkt_tok_is_kw(&p->tok, PKT_KW_ACK)) {
		pkt_lex_advance(p);
		tcp->ack = expect_u32(p, "TCP ack sequence number");
	}
	if (pkt_tok_is_kw(&p->tok, PKT_KW_WIN)) {
		pkt_lex_advance(p);
		tcp->has_win = true;
		tcp->win = (uint16_t)pkt_expect_int(p, 0, UINT16_MAX, "TCP window value");
	}
	if (pkt_tok_is_kw(&p->tok, PKT_KW_URG)) {
		pkt_lex_advance(p);
		tcp->urg = (uint16_t)pkt_expect_int(p, 0, UINT16_MAX, "urg_ptr value");
	}
	if (pkt_tok_is_char(&p->tok, '<'))
		parse_tcp_options(p, pkt);
	if (!tcp->has_win && pkt->dir == PKT_INBOUND)
		pkt_fail_at(p, line, col, "window must be specified for inbound packets");
}

/* [seq] | [udp (N)] | [raw (N)] after an ICMP type; '[' is current. */
static void parse_icmp_echoed(struct pkt_parser *p, struct pkt_icmp_spec *ic)
{
	pkt_lex_advance(p);
	if (pkt_tok_is_kw(&p->tok, PKT_KW_UDP) || pkt_tok_is_kw(&p->tok, PKT_KW_RAW)) {
		ic->echoed = pkt_tok_is_kw(&p->tok, PKT_KW_UDP) ? PKT_ECHOED_UDP : PKT_ECHOED_RAW;
		pkt_lex_advance(p);
		pkt_expect_char(p, '(', "before the quoted length");
		int line = p->tok.line, col = p->tok.col;

		ic->len = (uint16_t)pkt_expect_int(p, 0, UINT16_MAX, "quoted payload size");
		pkt_expect_char(p, ')', "after the quoted length");
		/* raw (N) is the whole ICMP message, header included. */
		if (ic->echoed == PKT_ECHOED_RAW && ic->len < 8)
			pkt_fail_at(p, line, col, "icmp_bytes %u smaller than icmp "
				    "header length 8", ic->len);
	} else {
		int line = p->tok.line, col = p->tok.col;
		uint32_t start = expect_u32(p, "TCP start sequence number");

		pkt_expect_char(p, ':', "in sequence range start:end(len)");
		uint32_t end = expect_u32(p, "TCP end sequence number");

		pkt_expect_char(p, '(', "in sequence range start:end(len)");
		ic->len = (uint16_t)pkt_expect_int(p, 0, UINT16_MAX, "TCP payload size");
		pkt_expect_char(p, ')', "in sequence range start:end(len)");
		if ((uint64_t)start + ic->len != end)
			pkt_fail_at(p, line, col, "inconsistent TCP sequence numbers and payload size");
		ic->seq = start;
	}
	pkt_expect_char(p, ']', "to close the quoted packet");
}

static void parse_icmp(struct pkt_parser *p, struct pkt_packet *pkt)
{
	struct pkt_icmp_spec *ic = &pkt->icmp;
	char name[64];
	int line, col;
	char buf[64];

	pkt->l4 = PKT_L4_ICMP;
	ic->mtu = -1;
	pkt_lex_advance(p);
	if (p->tok.type != PKT_TOK_WORD)
		pkt_fail(p, "expected an ICMP type (unreachable, type_N ...), found %s",
			 pkt_tok_describe(&p->tok, buf, sizeof(buf)));
	snprintf(name, sizeof(name), "%.*s", (int)p->tok.len, p->tok.start);
	if (pkt_icmp_type_parse(name, &ic->type))
		pkt_fail(p, "bad ICMP type %s", name);
	pkt_lex_advance(p);
	if (p->tok.type == PKT_TOK_WORD) {
		snprintf(name, sizeof(name), "%.*s", (int)p->tok.len, p->tok.start);
		if (pkt_icmp_code_parse(ic->type, name, &ic->code))
			pkt_fail(p, "bad ICMP code %s", name);
		pkt_lex_advance(p);
	}
	line = p->tok.line;
	col = p->tok.col;
	if (pkt_tok_is_kw(&p->tok, PKT_KW_MTU)) {
		pkt_lex_advance(p);
		ic->mtu = (int32_t)pkt_expect_int(p, 0, UINT16_MAX, "ICMPv4 MTU");
		if (ic->type != 3 || ic->code != 4)
			pkt_fail_at(p, line, col, "ICMPv4 MTU is only valid for "
				    "unreachable-frag_needed");
	}
	if (pkt_tok_is_kw(&p->tok, PKT_KW_ID)) {
		pkt_lex_advance(p);
		ic->echo_id = (uint16_t)pkt_expect_int(p, 0, UINT16_MAX, "echo_id");
	}
	if (pkt_tok_is_char(&p->tok, '['))
		parse_icmp_echoed(p, ic);
}

/* ip_info inside '[' ']' or '(' ')': tos_spec | ttl N | tos_spec, flowlabel */
static void parse_ip_info(struct pkt_parser *p, struct pkt_packet *pkt)
{
	char close = p->tok.ch == '[' ? ']' : ')';
	struct pkt_ip_spec *ip = &pkt->ip;
	int line = p->tok.line, col = p->tok.col;
	char buf[64];

	pkt_lex_advance(p);
	if (p->tok.type != PKT_TOK_KEYWORD)
		goto bad;
	switch (p->tok.kw) {
	case PKT_KW_NOECN: ip->tos = PKT_IP_ECN_NONE; goto ecn;
	case PKT_KW_ECT0: ip->tos = PKT_IP_ECN_ECT0; goto ecn;
	case PKT_KW_ECT1: ip->tos = PKT_IP_ECN_ECT1; goto ecn;
	case PKT_KW_CE: ip->tos = PKT_IP_ECN_CE; goto ecn;
	case PKT_KW_ECT01:
		if (pkt->dir != PKT_OUTBOUND)
			pkt_fail_at(p, line, col, "[ect01] can only be used with outbound packets");
		ip->tos_check = PKT_TOS_ECT01;
		pkt_lex_advance(p);
		break;
	case PKT_KW_TOS:
		pkt_lex_advance(p);
		if (p->tok.type != PKT_TOK_HEX)
			pkt_fail(p, "expected a hex TOS value (tos 0xNN), found %s",
				 pkt_tok_describe(&p->tok, buf, sizeof(buf)));
		if (p->tok.overflow || p->tok.ival > 0xff)
			pkt_fail(p, "tos out of range for 8 bits");
		ip->tos_check = PKT_TOS_VALUE;
		ip->tos = (uint8_t)p->tok.ival;
		pkt_lex_advance(p);
		break;
	case PKT_KW_TTL:
		pkt_lex_advance(p);
		ip->ttl = (uint8_t)pkt_expect_int(p, 0, UINT8_MAX, "ttl");
		break;
	case PKT_KW_FLOWLABEL:
		pkt_fail(p, "flowlabel is IPv6: ustack's runner is IPv4 only");
	default:
		goto bad;
	}
	if (pkt_tok_is_char(&p->tok, ',') && pkt_tok_is_kw(pkt_lex_peek(p), PKT_KW_FLOWLABEL)) {
		pkt_lex_advance(p);
		pkt_fail(p, "flowlabel is IPv6: ustack's runner is IPv4 only");
	}
	pkt_expect_char(p, close, "to close the IP info");
	return;
ecn:
	ip->tos_check = PKT_TOS_ECN;
	pkt_lex_advance(p);
	pkt_expect_char(p, close, "to close the IP info");
	return;
bad:
	pkt_fail(p, "expected IP info (tos 0xNN, ect0, ect1, ce, noecn, ect01, ttl N), found %s",
		 pkt_tok_describe(&p->tok, buf, sizeof(buf)));
}

static struct pkt_packet *parse_packet(struct pkt_parser *p)
{
	struct pkt_packet *pkt = pkt_arena_alloc(p->arena, sizeof(*pkt));

	if (!pkt)
		pkt_fail(p, "out of memory");
	pkt->dir = p->tok.ch == '<' ? PKT_INBOUND : PKT_OUTBOUND;
	pkt_lex_advance(p);
	if (p->tok.type == PKT_TOK_KEYWORD) {
		switch (p->tok.kw) {
		case PKT_KW_IPV4:
		case PKT_KW_IPV6:
		case PKT_KW_GRE:
		case PKT_KW_MPLS:
		case PKT_KW_ENCAP:
			pkt_fail(p, "'%.*s' encapsulation is not supported by ustack's runner",
				 (int)p->tok.len, p->tok.start);
		default:
			break;
		}
	}
	if (pkt_tok_is_char(&p->tok, '[') || pkt_tok_is_char(&p->tok, '('))
		parse_ip_info(p, pkt);
	if (pkt_tok_is_kw(&p->tok, PKT_KW_ICMP))
		parse_icmp(p, pkt);
	else if (pkt_tok_is_kw(&p->tok, PKT_KW_UDP))
		pkt_fail(p, "udp packets are not supported: ustack is TCP only");
	else if (pkt_tok_is_kw(&p->tok, PKT_KW_ENCAP))
		pkt_fail(p, "'encap' is not supported by ustack's runner");
	else
		parse_tcp(p, pkt);
	return pkt;
}

/* --- events, options, the script ------------------------------------------------ */

static void parse_event_time(struct pkt_parser *p, struct pkt_time *t)
{
	char buf[64];

	if (pkt_tok_is_char(&p->tok, '*')) {
		t->type = PKT_TIME_ANY;
		pkt_lex_advance(p);
		return;
	}
	if (pkt_tok_is_char(&p->tok, '+')) {
		pkt_lex_advance(p);
		t->type = PKT_TIME_RELATIVE;
		t->usecs = pkt_parse_time_value(p);
		if (pkt_tok_is_char(&p->tok, '~')) {
			pkt_lex_advance(p);
			if (!pkt_tok_is_char(&p->tok, '+'))
				pkt_fail(p, "expected '+' in relative range +T~+T, found %s",
					 pkt_tok_describe(&p->tok, buf, sizeof(buf)));
			pkt_lex_advance(p);
			t->type = PKT_TIME_RELATIVE_RANGE;
			t->end_usecs = pkt_parse_time_value(p);
		}
		return;
	}
	t->type = PKT_TIME_ABSOLUTE;
	t->usecs = pkt_parse_time_value(p);
	if (pkt_tok_is_char(&p->tok, '~')) {
		pkt_lex_advance(p);
		t->type = PKT_TIME_ABSOLUTE_RANGE;
		t->end_usecs = pkt_parse_time_value(p);
	}
}

static bool at_event_start(const struct pkt_token *t)
{
	return t->type == PKT_TOK_INT || t->type == PKT_TOK_FLOAT ||
	       pkt_tok_is_char(t, '+') || pkt_tok_is_char(t, '*');
}

static void check_event_time(struct pkt_parser *p, const struct pkt_event *ev)
{
	bool outbound_pkt = ev->type == PKT_EV_PACKET && ev->packet->dir == PKT_OUTBOUND;
	const struct pkt_time *t = &ev->time;

	if ((t->type == PKT_TIME_ABSOLUTE_RANGE || t->type == PKT_TIME_RELATIVE_RANGE) &&
	    t->end_usecs < t->usecs)
		pkt_fail_at(p, ev->line, ev->col, "time range is backwards");
	if (t->type == PKT_TIME_ANY && !outbound_pkt)
		pkt_fail_at(p, ev->line, ev->col, "event time <star> can only be used "
			    "with outbound packets");
	if ((t->type == PKT_TIME_ABSOLUTE_RANGE || t->type == PKT_TIME_RELATIVE_RANGE) &&
	    !outbound_pkt)
		pkt_fail_at(p, ev->line, ev->col, "event time range can only be used "
			    "with outbound packets");
}

static void parse_event(struct pkt_parser *p, struct pkt_event *ev)
{
	char buf[64];

	ev->line = p->tok.line;
	ev->col = p->tok.col;
	parse_event_time(p, &ev->time);
	if (pkt_tok_is_char(&p->tok, '<') || pkt_tok_is_char(&p->tok, '>')) {
		ev->type = PKT_EV_PACKET;
		ev->packet = parse_packet(p);
	} else if (p->tok.type == PKT_TOK_BACKQUOTE) {
		ev->type = PKT_EV_COMMAND;
		ev->command = pkt_tok_strdup(p, &p->tok);
		pkt_lex_advance(p);
	} else if (p->tok.type == PKT_TOK_CODE) {
		ev->type = PKT_EV_CODE;
		ev->code = pkt_tok_strdup(p, &p->tok);
		pkt_lex_advance(p);
	} else if (p->tok.type == PKT_TOK_WORD || p->tok.type == PKT_TOK_ELLIPSIS) {
		ev->type = PKT_EV_SYSCALL;
		ev->syscall = pkt_parse_syscall(p);
	} else {
		pkt_fail(p, "expected a packet (< or >), a system call or a `command` "
			 "after the time, found %s", pkt_tok_describe(&p->tok, buf, sizeof(buf)));
	}
	check_event_time(p, ev);
}

/* Grows an arena array by doubling; the old copy is left to the arena. */
static void *grow(struct pkt_parser *p, void *arr, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return arr;
	size_t ncap = *cap ? *cap * 2 : 16;
	void *na = pkt_arena_alloc(p->arena, ncap * size);

	if (!na)
		pkt_fail(p, "out of memory");
	if (n)
		memcpy(na, arr, n * size);
	*cap = ncap;
	return na;
}

static void parse_option(struct pkt_parser *p, struct pkt_script *s, size_t *cap)
{
	struct pkt_option *o;
	char buf[64];

	s->options = grow(p, s->options, s->noptions, cap, sizeof(*o));
	o = &s->options[s->noptions++];
	o->name = pkt_tok_strdup(p, &p->tok);
	o->line = p->tok.line;
	pkt_lex_advance(p);
	if (!pkt_tok_is_char(&p->tok, '='))
		return;
	pkt_lex_advance(p);

	const struct pkt_token t = p->tok;

	if (!(t.type == PKT_TOK_INT || t.type == PKT_TOK_WORD || t.type == PKT_TOK_STRING ||
	      t.type == PKT_TOK_IPV4 || pkt_tok_is_kw(&t, PKT_KW_IPV4) ||
	      pkt_tok_is_kw(&t, PKT_KW_IPV6)))
		pkt_fail(p, "bad value for --%s: %s", o->name, pkt_tok_describe(&t, buf, sizeof(buf)));
	o->value = pkt_tok_strdup(p, &t);
	pkt_lex_advance(p);
	if (t.type == PKT_TOK_WORD && pkt_tok_is_char(&p->tok, '=')) {
		/* --define=NAME=value */
		pkt_lex_advance(p);
		const struct pkt_token v = p->tok;

		if (v.type != PKT_TOK_WORD && v.type != PKT_TOK_STRING &&
		    v.type != PKT_TOK_BACKQUOTE)
			pkt_fail(p, "bad value for --%s: %s", o->name,
				 pkt_tok_describe(&v, buf, sizeof(buf)));
		size_t n = (size_t)(v.start + v.len - t.start);

		o->value = pkt_arena_strndup(p->arena, t.start, n);
		if (!o->value)
			pkt_fail(p, "out of memory");
		pkt_lex_advance(p);
	}
}

static void parse_script(struct pkt_parser *p, struct pkt_script *s)
{
	size_t ocap = 0, ecap = 0;
	char buf[64];

	pkt_lex_advance(p);
	while (p->tok.type == PKT_TOK_OPTION)
		parse_option(p, s, &ocap);
	if (p->tok.type == PKT_TOK_BACKQUOTE) {
		s->init_command = pkt_tok_strdup(p, &p->tok);
		pkt_lex_advance(p);
	}
	while (at_event_start(&p->tok)) {
		s->events = grow(p, s->events, s->nevents, &ecap, sizeof(*s->events));
		parse_event(p, &s->events[s->nevents++]);
	}
	if (s->nevents && p->tok.type == PKT_TOK_BACKQUOTE) {
		s->cleanup_command = pkt_tok_strdup(p, &p->tok);
		pkt_lex_advance(p);
	}
	if (p->tok.type != PKT_TOK_EOF)
		pkt_fail(p, "expected an event (a time: 0.1, +0.1, *), found %s",
			 pkt_tok_describe(&p->tok, buf, sizeof(buf)));
	if (!s->nevents)
		pkt_fail(p, "script has no events");
}

int pkt_parse_string(const char *path, const char *text, size_t len,
		     struct pkt_script **out, struct pkt_error *err)
{
	struct pkt_parser p;
	struct pkt_script *s;

	memset(&p, 0, sizeof(p));
	memset(err, 0, sizeof(*err));
	*out = NULL;
	p.path = path ? path : "<script>";
	p.text = text;
	p.len = len;
	p.line = 1;
	p.col = 1;
	p.err = err;
	p.arena = pkt_arena_new();
	if (!p.arena)
		return -ENOMEM;
	s = pkt_arena_alloc(p.arena, sizeof(*s));
	if (!s) {
		pkt_arena_free(p.arena);
		return -ENOMEM;
	}
	s->arena = p.arena;
	s->path = pkt_arena_strndup(p.arena, p.path, strlen(p.path));
	if (setjmp(p.fail)) {
		pkt_arena_free(p.arena);
		return strcmp(err->msg, "out of memory") ? -EINVAL : -ENOMEM;
	}
	parse_script(&p, s);
	*out = s;
	return 0;
}

int pkt_parse_file(const char *path, struct pkt_script **out, struct pkt_error *err)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int ret;

	*out = NULL;
	memset(err, 0, sizeof(*err));
	if (!f) {
		ret = -errno;
		snprintf(err->msg, sizeof(err->msg), "%s", strerror(-ret));
		snprintf(err->text, sizeof(err->text), "%s: %s", path, err->msg);
		return ret;
	}
	for (;;) {
		if (len == cap) {
			char *nb = realloc(buf, cap ? cap * 2 : 4096);

			if (!nb) {
				free(buf);
				fclose(f);
				return -ENOMEM;
			}
			buf = nb;
			cap = cap ? cap * 2 : 4096;
		}
		size_t n = fread(buf + len, 1, cap - len, f);

		len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	ret = pkt_parse_string(path, buf, len, out, err);
	free(buf);
	return ret;
}

void pkt_script_free(struct pkt_script *s)
{
	if (s)
		pkt_arena_free(s->arena);
}
