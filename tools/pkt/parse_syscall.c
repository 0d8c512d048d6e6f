/*
 * System call events: `[...T] name(arg, ...) = result [ERRNO (text)] [(note)]`
 * and their argument expressions, following packetdrill's grammar:
 *
 *   expr    := primary ('|' primary)*
 *   primary := ... | INT | HEX | WORD ['=' expr] | "str"+ | "str"... |
 *              '[' [expr (',' expr)*] ']' | inet_addr("a.b.c.d") | '{' brace '}'
 *   brace   := sa_family=AF_INET, sin_port=htons(N), sin_addr=inet_addr("a.b.c.d")
 *            | fd=expr, events=expr [, revents=expr]       (poll)
 *            | onoff=N, linger=N                           (SO_LINGER)
 *            | ..., N                                      (iovec)
 *            | expr (',' expr)*                            (any other struct)
 *
 * Calls are parsed generically whatever their name; which ones run, and how
 * words resolve (symbols.c), is the runner's business. The struct forms
 * packetdrill has and ustack does not use (msghdr, cmsg, epoll, GRE, MPLS,
 * extended errors, IPv6) are rejected with a reason.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "parse.h"

#define MAX_DEPTH 32

static struct pkt_expr *parse_expr(struct pkt_parser *p);

static struct pkt_expr *new_expr(struct pkt_parser *p, enum pkt_expr_type type,
				 const struct pkt_token *at)
{
	struct pkt_expr *e = pkt_arena_alloc(p->arena, sizeof(*e));

	if (!e)
		pkt_fail(p, "out of memory");
	e->type = type;
	e->line = at->line;
	e->col = at->col;
	return e;
}

static void expect_kw(struct pkt_parser *p, enum pkt_kw kw, const char *name)
{
	char buf[64];

	if (!pkt_tok_is_kw(&p->tok, kw))
		pkt_fail(p, "expected '%s', found %s", name,
			 pkt_tok_describe(&p->tok, buf, sizeof(buf)));
	pkt_lex_advance(p);
}

/* `field=` of a known struct: the keyword, then '='. */
static void expect_field(struct pkt_parser *p, enum pkt_kw kw, const char *name)
{
	expect_kw(p, kw, name);
	pkt_expect_char(p, '=', "after the field name");
}

static char *expect_string(struct pkt_parser *p, const char *what)
{
	char buf[64];

	if (p->tok.type != PKT_TOK_STRING)
		pkt_fail(p, "expected %s (a \"string\"), found %s", what,
			 pkt_tok_describe(&p->tok, buf, sizeof(buf)));
	char *s = pkt_tok_strdup(p, &p->tok);

	pkt_lex_advance(p);
	return s;
}

/* inet_addr("a.b.c.d"), current token at inet_addr; network order. */
static ust_be32 parse_inet_addr(struct pkt_parser *p)
{
	struct in_addr a;

	pkt_lex_advance(p);
	pkt_expect_char(p, '(', "after inet_addr");

	int line = p->tok.line, col = p->tok.col;
	char *s = expect_string(p, "an IPv4 address");

	if (inet_pton(AF_INET, s, &a) != 1)
		pkt_fail_at(p, line, col, "invalid IPv4 address \"%s\"", s);
	pkt_expect_char(p, ')', "after the address");
	return a.s_addr;
}

static struct pkt_expr *parse_sockaddr(struct pkt_parser *p, const struct pkt_token *at)
{
	struct pkt_expr *e = new_expr(p, PKT_EXPR_SOCKADDR, at);
	char buf[64];

	expect_field(p, PKT_KW_SA_FAMILY, "sa_family");
	if (p->tok.type != PKT_TOK_WORD)
		pkt_fail(p, "expected an address family, found %s",
			 pkt_tok_describe(&p->tok, buf, sizeof(buf)));
	if (p->tok.len != 7 || memcmp(p->tok.start, "AF_INET", 7))
		pkt_fail(p, "address family %.*s is not supported: ustack's runner is IPv4 only",
			 (int)p->tok.len, p->tok.start);
	pkt_lex_advance(p);
	pkt_expect_char(p, ',', "after sa_family");
	expect_field(p, PKT_KW_SIN_PORT, "sin_port");
	expect_kw(p, PKT_KW_HTONS, "htons");
	pkt_expect_char(p, '(', "after htons");
	e->sin.port = htons((uint16_t)pkt_expect_int(p, 0, UINT16_MAX, "port"));
	pkt_expect_char(p, ')', "after the port");
	pkt_expect_char(p, ',', "after sin_port");
	expect_field(p, PKT_KW_SIN_ADDR, "sin_addr");
	if (!pkt_tok_is_kw(&p->tok, PKT_KW_INET_ADDR))
		pkt_fail(p, "expected inet_addr(\"...\"), found %s",
			 pkt_tok_describe(&p->tok, buf, sizeof(buf)));
	e->sin.addr = parse_inet_addr(p);
	return e;
}

static struct pkt_expr *parse_pollfd(struct pkt_parser *p, const struct pkt_token *at)
{
	struct pkt_expr *e = new_expr(p, PKT_EXPR_POLLFD, at);

	expect_field(p, PKT_KW_FD, "fd");
	e->pollfd.fd = parse_expr(p);
	pkt_expect_char(p, ',', "after fd=...");
	expect_field(p, PKT_KW_EVENTS, "events");
	e->pollfd.events = parse_expr(p);
	if (pkt_tok_is_char(&p->tok, ',')) {
		pkt_lex_advance(p);
		expect_field(p, PKT_KW_REVENTS, "revents");
		e->pollfd.revents = parse_expr(p);
	} else {
		e->pollfd.revents = new_expr(p, PKT_EXPR_INT, &p->tok);
	}
	return e;
}

static struct pkt_expr *parse_linger(struct pkt_parser *p, const struct pkt_token *at)
{
	struct pkt_expr *e = new_expr(p, PKT_EXPR_LINGER, at);

	expect_field(p, PKT_KW_ONOFF, "onoff");
	e->linger.onoff = pkt_expect_int(p, INT64_MIN, INT64_MAX, "onoff");
	pkt_expect_char(p, ',', "after onoff=N");
	expect_field(p, PKT_KW_LINGER, "linger");
	e->linger.linger = pkt_expect_int(p, INT64_MIN, INT64_MAX, "linger");
	return e;
}

/* A comma-separated list up to close; the opening bracket is consumed. */
static void parse_list(struct pkt_parser *p, struct pkt_expr *e, char close)
{
	size_t cap = 0;

	if (pkt_tok_is_char(&p->tok, close))
		return;
	for (;;) {
		if (e->list.n == cap) {
			size_t ncap = cap ? cap * 2 : 4;
			struct pkt_expr **na = pkt_arena_alloc(p->arena, ncap * sizeof(*na));

			if (!na)
				pkt_fail(p, "out of memory");
			if (e->list.n)
				memcpy(na, e->list.items, e->list.n * sizeof(*na));
			e->list.items = na;
			cap = ncap;
		}
		e->list.items[e->list.n++] = parse_expr(p);
		if (!pkt_tok_is_char(&p->tok, ','))
			break;
		pkt_lex_advance(p);
	}
}

/* '{' ... '}'; the '{' is current. */
static struct pkt_expr *parse_brace(struct pkt_parser *p)
{
	const struct pkt_token at = p->tok;
	struct pkt_expr *e;

	pkt_lex_advance(p);
	switch (p->tok.type == PKT_TOK_KEYWORD ? p->tok.kw : PKT_KW_OTHER) {
	case PKT_KW_SA_FAMILY:
		e = parse_sockaddr(p, &at);
		break;
	case PKT_KW_FD:
		e = parse_pollfd(p, &at);
		break;
	case PKT_KW_ONOFF:
		e = parse_linger(p, &at);
		break;
	case PKT_KW_MSG_NAME:
	case PKT_KW_CMSG_LEVEL:
	case PKT_KW_SCM_SEC:
	case PKT_KW_EE_ERRNO:
	case PKT_KW_EVENTS:
	case PKT_KW_GRE:
	case PKT_KW_MPLS:
		pkt_fail(p, "{%.*s=...} structs are not supported by ustack's runner",
			 (int)p->tok.len, p->tok.start);
	default:
		if (p->tok.type == PKT_TOK_ELLIPSIS && pkt_tok_is_char(pkt_lex_peek(p), ',')) {
			e = new_expr(p, PKT_EXPR_IOVEC, &at);
			pkt_lex_advance(p);
			pkt_lex_advance(p);
			e->iovec.len = pkt_expect_int(p, INT64_MIN, INT64_MAX, "iov_len");
			break;
		}
		e = new_expr(p, PKT_EXPR_STRUCT, &at);
		parse_list(p, e, '}');
		break;
	}
	pkt_expect_char(p, '}', "to close the struct");
	return e;
}

static struct pkt_expr *parse_strings(struct pkt_parser *p)
{
	struct pkt_expr *e = new_expr(p, PKT_EXPR_STRING, &p->tok);

	e->str.s = pkt_tok_strdup(p, &p->tok);
	pkt_lex_advance(p);
	if (p->tok.type == PKT_TOK_ELLIPSIS) {
		e->str.ellipsis = true;
		pkt_lex_advance(p);
		return e;
	}
	while (p->tok.type == PKT_TOK_STRING) {
		struct pkt_expr *rhs = new_expr(p, PKT_EXPR_STRING, &p->tok);
		struct pkt_expr *cat = new_expr(p, PKT_EXPR_BINARY, &p->tok);

		rhs->str.s = pkt_tok_strdup(p, &p->tok);
		pkt_lex_advance(p);
		cat->line = e->line;
		cat->col = e->col;
		cat->bin.op = '.';
		cat->bin.lhs = e;
		cat->bin.rhs = rhs;
		e = cat;
	}
	return e;
}

static struct pkt_expr *parse_primary(struct pkt_parser *p)
{
	const struct pkt_token at = p->tok;
	struct pkt_expr *e;
	char buf[64];

	switch (at.type) {
	case PKT_TOK_ELLIPSIS:
		pkt_lex_advance(p);
		return new_expr(p, PKT_EXPR_ELLIPSIS, &at);
	case PKT_TOK_INT:
	case PKT_TOK_HEX:
		if (at.overflow)
			pkt_fail(p, "number out of range");
		e = new_expr(p, PKT_EXPR_INT, &at);
		e->num.value = at.ival;
		e->num.hex = at.type == PKT_TOK_HEX;
		pkt_lex_advance(p);
		return e;
	case PKT_TOK_WORD:
		if (pkt_tok_is_char(pkt_lex_peek(p), '=')) {
			e = new_expr(p, PKT_EXPR_BINARY, &at);
			e->bin.op = '=';
			e->bin.lhs = new_expr(p, PKT_EXPR_WORD, &at);
			e->bin.lhs->word = pkt_tok_strdup(p, &at);
			pkt_lex_advance(p);
			pkt_lex_advance(p);
			e->bin.rhs = parse_expr(p);
			return e;
		}
		e = new_expr(p, PKT_EXPR_WORD, &at);
		e->word = pkt_tok_strdup(p, &at);
		pkt_lex_advance(p);
		return e;
	case PKT_TOK_STRING:
		return parse_strings(p);
	case PKT_TOK_KEYWORD:
		if (at.kw == PKT_KW_INET_ADDR) {
			e = new_expr(p, PKT_EXPR_INADDR, &at);
			e->inaddr = parse_inet_addr(p);
			return e;
		}
		if (at.kw == PKT_KW_INET6_ADDR)
			pkt_fail(p, "inet6_addr is IPv6: ustack's runner is IPv4 only");
		pkt_fail(p, "'%.*s' is a reserved word and cannot be an argument",
			 (int)at.len, at.start);
	case PKT_TOK_CHAR:
		if (at.ch == '[') {
			e = new_expr(p, PKT_EXPR_LIST, &at);
			pkt_lex_advance(p);
			parse_list(p, e, ']');
			pkt_expect_char(p, ']', "to close the array");
			return e;
		}
		if (at.ch == '{')
			return parse_brace(p);
		break;
	default:
		break;
	}
	pkt_fail(p, "expected an expression, found %s", pkt_tok_describe(&at, buf, sizeof(buf)));
}

static struct pkt_expr *parse_expr(struct pkt_parser *p)
{
	struct pkt_expr *e;

	if (++p->depth > MAX_DEPTH)
		pkt_fail(p, "expression nested too deeply");
	e = parse_primary(p);
	while (pkt_tok_is_char(&p->tok, '|')) {
		struct pkt_expr *or = new_expr(p, PKT_EXPR_BINARY, &p->tok);

		pkt_lex_advance(p);
		or->line = e->line;
		or->col = e->col;
		or->bin.op = '|';
		or->bin.lhs = e;
		or->bin.rhs = parse_primary(p);
		e = or;
	}
	p->depth--;
	return e;
}

/* '(' word+ ')': packetdrill takes plain words (and "flags") only. */
static const char *parse_note(struct pkt_parser *p)
{
	char buf[64];
	const char *start, *end;

	pkt_lex_advance(p);
	start = p->tok.start;
	end = start;
	do {
		if (p->tok.type != PKT_TOK_WORD && !pkt_tok_is_kw(&p->tok, PKT_KW_FLAGS))
			pkt_fail(p, "expected a word in the note (packetdrill takes "
				 "letters, digits and _ only), found %s",
				 pkt_tok_describe(&p->tok, buf, sizeof(buf)));
		end = p->tok.start + p->tok.len;
		pkt_lex_advance(p);
	} while (!pkt_tok_is_char(&p->tok, ')'));
	pkt_lex_advance(p);

	/* The words joined by single spaces, as packetdrill keeps them. */
	char *s = pkt_arena_alloc(p->arena, (size_t)(end - start) + 1);
	size_t n = 0;
	bool space = false;

	if (!s)
		pkt_fail(p, "out of memory");
	for (const char *c = start; c < end; c++) {
		if (*c == ' ' || *c == '\t' || *c == '\n') {
			space = n > 0;
			continue;
		}
		if (space)
			s[n++] = ' ';
		space = false;
		s[n++] = *c;
	}
	s[n] = '\0';
	return s;
}

struct pkt_syscall *pkt_parse_syscall(struct pkt_parser *p)
{
	struct pkt_syscall *sc = pkt_arena_alloc(p->arena, sizeof(*sc));
	struct pkt_expr list;
	char buf[64];

	if (!sc)
		pkt_fail(p, "out of memory");
	if (p->tok.type == PKT_TOK_ELLIPSIS) {
		pkt_lex_advance(p);
		sc->blocking = true;
		sc->end_usecs = pkt_parse_time_value(p);
	}
	if (p->tok.type != PKT_TOK_WORD)
		pkt_fail(p, "expected a system call name, found %s",
			 pkt_tok_describe(&p->tok, buf, sizeof(buf)));
	sc->name = pkt_tok_strdup(p, &p->tok);
	pkt_lex_advance(p);
	pkt_expect_char(p, '(', "after the system call name");
	memset(&list, 0, sizeof(list));
	parse_list(p, &list, ')');
	sc->args = list.list.items;
	sc->nargs = list.list.n;
	pkt_expect_char(p, ')', "to close the argument list");
	pkt_expect_char(p, '=', "before the expected result");
	sc->result = parse_expr(p);
	if (p->tok.type == PKT_TOK_WORD) {
		sc->errno_name = pkt_tok_strdup(p, &p->tok);
		pkt_lex_advance(p);
		if (!pkt_tok_is_char(&p->tok, '('))
			pkt_fail(p, "expected '(' and the error text after %s "
				 "(packetdrill requires it, e.g. EAGAIN (Resource "
				 "temporarily unavailable)), found %s", sc->errno_name,
				 pkt_tok_describe(&p->tok, buf, sizeof(buf)));
		sc->errno_text = parse_note(p);
	}
	if (pkt_tok_is_char(&p->tok, '('))
		sc->note = parse_note(p);
	return sc;
}
