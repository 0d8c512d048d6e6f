/*
 * The packet script lexer, the parser's arena and its error reporting.
 *
 * pkt_lex_advance() reads the next token from p->text at p->pos, tracking the
 * line and column (1-based; a tab counts as one column). Token choice mirrors
 * packetdrill's flex rules (see parse.h) so that a script splits into the same
 * tokens here as there; the few differences are deliberate and reported as
 * errors with a reason rather than as silent acceptance: a carriage return
 * (packetdrill has no rule for it either) and an unterminated comment, string
 * or code block.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "parse.h"

/* --- arena ------------------------------------------------------------ */

struct pkt_arena_chunk {
	struct pkt_arena_chunk *next;
	size_t used;
	size_t cap;
	_Alignas(16) unsigned char data[];
};

struct pkt_arena {
	struct pkt_arena_chunk *head;
};

#define ARENA_CHUNK 8192

struct pkt_arena *pkt_arena_new(void)
{
	return calloc(1, sizeof(struct pkt_arena));
}

void *pkt_arena_alloc(struct pkt_arena *a, size_t n)
{
	struct pkt_arena_chunk *c = a->head;
	size_t need = (n + 15) & ~(size_t)15;

	if (need < n)
		return NULL;
	if (!c || c->cap - c->used < need) {
		size_t cap = need > ARENA_CHUNK ? need : ARENA_CHUNK;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->next = a->head;
		c->used = 0;
		c->cap = cap;
		a->head = c;
	}
	void *r = c->data + c->used;

	c->used += need;
	memset(r, 0, n);
	return r;
}

void pkt_arena_free(struct pkt_arena *a)
{
	if (!a)
		return;
	while (a->head) {
		struct pkt_arena_chunk *next = a->head->next;

		free(a->head);
		a->head = next;
	}
	free(a);
}

char *pkt_arena_strndup(struct pkt_arena *a, const char *s, size_t n)
{
	char *d = pkt_arena_alloc(a, n + 1);

	if (d)
		memcpy(d, s, n);
	return d;
}

/* --- errors ----------------------------------------------------------- */

__attribute__((noreturn))
static void vfail(struct pkt_parser *p, int line, int col, const char *fmt, va_list ap)
{
	struct pkt_error *e = p->err;

	e->line = line;
	e->col = col;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	snprintf(e->text, sizeof(e->text), "%s:%d:%d: %s", p->path, line, col, e->msg);
	longjmp(p->fail, 1);
}

void pkt_fail_at(struct pkt_parser *p, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(p, line, col, fmt, ap);
	va_end(ap);
}

void pkt_fail(struct pkt_parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(p, p->tok.line, p->tok.col, fmt, ap);
	va_end(ap);
}

const char *pkt_tok_describe(const struct pkt_token *t, char *buf, size_t cap)
{
	if (t->type == PKT_TOK_EOF)
		snprintf(buf, cap, "end of file");
	else if (t->type == PKT_TOK_CHAR && t->ch == '\n')
		snprintf(buf, cap, "end of line");
	else
		snprintf(buf, cap, "'%.*s'", t->len > 40 ? 40 : (int)t->len, t->start);
	return buf;
}

char *pkt_tok_strdup(struct pkt_parser *p, const struct pkt_token *t)
{
	const char *s = t->start;
	size_t n = t->len;

	switch (t->type) {
	case PKT_TOK_STRING:
	case PKT_TOK_BACKQUOTE:
		s++;
		n -= 2;
		break;
	case PKT_TOK_OPTION:
		s += 2;
		n -= 2;
		break;
	default:
		break;
	}
	char *d = pkt_arena_strndup(p->arena, s, n);

	if (!d)
		pkt_fail(p, "out of memory");
	return d;
}

/* --- keywords --------------------------------------------------------- */

struct kw_entry {
	const char *name;
	enum pkt_kw kw;
};

/* Every reserved word of packetdrill's lexer: one of these is never a WORD,
 * so it cannot name a system call, a constant or an errno note word. */
static const struct kw_entry keywords[] = {
	{ "ack", PKT_KW_ACK }, { "win", PKT_KW_WIN }, { "urg", PKT_KW_URG },
	{ "eol", PKT_KW_EOL }, { "nop", PKT_KW_NOP }, { "mss", PKT_KW_MSS },
	{ "wscale", PKT_KW_WSCALE }, { "sackOK", PKT_KW_SACKOK },
	{ "sack", PKT_KW_SACK }, { "TS", PKT_KW_TS }, { "val", PKT_KW_VAL },
	{ "ecr", PKT_KW_ECR }, { "md5", PKT_KW_MD5 }, { "FO", PKT_KW_FO },
	{ "FOEXP", PKT_KW_FOEXP }, { "ECN", PKT_KW_ECN }, { "tos", PKT_KW_TOS },
	{ "ttl", PKT_KW_TTL }, { "flowlabel", PKT_KW_FLOWLABEL },
	{ "ect0", PKT_KW_ECT0 }, { "ect1", PKT_KW_ECT1 }, { "ect01", PKT_KW_ECT01 },
	{ "noecn", PKT_KW_NOECN }, { "ce", PKT_KW_CE }, { "icmp", PKT_KW_ICMP },
	{ "udp", PKT_KW_UDP }, { "raw", PKT_KW_RAW }, { "mtu", PKT_KW_MTU },
	{ "id", PKT_KW_ID }, { "ipv4", PKT_KW_IPV4 }, { "ipv6", PKT_KW_IPV6 },
	{ "gre", PKT_KW_GRE }, { "GREv0", PKT_KW_GRE }, { "mpls", PKT_KW_MPLS },
	{ "encap", PKT_KW_ENCAP }, { "sa_family", PKT_KW_SA_FAMILY },
	{ "sin_port", PKT_KW_SIN_PORT }, { "sin_addr", PKT_KW_SIN_ADDR },
	{ "htons", PKT_KW_HTONS }, { "inet_addr", PKT_KW_INET_ADDR },
	{ "inet6_addr", PKT_KW_INET6_ADDR }, { "fd", PKT_KW_FD },
	{ "events", PKT_KW_EVENTS }, { "revents", PKT_KW_REVENTS },
	{ "onoff", PKT_KW_ONOFF }, { "linger", PKT_KW_LINGER },
	{ "flags", PKT_KW_FLAGS }, { "Flags", PKT_KW_FLAGS },
	{ "msg_name", PKT_KW_MSG_NAME }, { "cmsg_level", PKT_KW_CMSG_LEVEL },
	{ "scm_sec", PKT_KW_SCM_SEC }, { "ee_errno", PKT_KW_EE_ERRNO },
	{ "msg_iov", PKT_KW_OTHER }, { "msg_flags", PKT_KW_OTHER },
	{ "msg_control", PKT_KW_OTHER }, { "cmsg_data", PKT_KW_OTHER },
	{ "cmsg_type", PKT_KW_OTHER }, { "ee_origin", PKT_KW_OTHER },
	{ "ee_type", PKT_KW_OTHER }, { "ee_code", PKT_KW_OTHER },
	{ "ee_info", PKT_KW_OTHER }, { "ee_data", PKT_KW_OTHER },
	{ "scm_nsec", PKT_KW_OTHER }, { "u32", PKT_KW_OTHER }, { "u64", PKT_KW_OTHER },
	{ "ptr", PKT_KW_OTHER }, { "sum", PKT_KW_OTHER }, { "off", PKT_KW_OTHER },
	{ "key", PKT_KW_OTHER }, { "seq", PKT_KW_OTHER }, { "none", PKT_KW_OTHER },
	{ "checksum", PKT_KW_OTHER }, { "present", PKT_KW_OTHER },
	{ "psp", PKT_KW_OTHER }, { "spi", PKT_KW_OTHER }, { "label", PKT_KW_OTHER },
	{ "tc", PKT_KW_OTHER }, { "e0b", PKT_KW_OTHER }, { "e1b", PKT_KW_OTHER },
	{ "ceb", PKT_KW_OTHER },
};

static bool find_keyword(const char *s, size_t n, enum pkt_kw *kw)
{
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
		if (strlen(keywords[i].name) == n && !memcmp(keywords[i].name, s, n)) {
			*kw = keywords[i].kw;
			return true;
		}
	}
	return false;
}

/* --- matchers: each returns the length its rule would match at s --------- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_xdigit(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_word(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static size_t span(const char *s, size_t n, bool (*pred)(char))
{
	size_t i = 0;

	while (i < n && pred(s[i]))
		i++;
	return i;
}

static size_t match_int(const char *s, size_t n)
{
	size_t i = (n > 0 && s[0] == '-') ? 1 : 0;
	size_t d = span(s + i, n - i, is_digit);

	return d ? i + d : 0;
}

static size_t match_float(const char *s, size_t n)
{
	size_t i = (n > 0 && s[0] == '-') ? 1 : 0;

	i += span(s + i, n - i, is_digit);
	if (i >= n || s[i] != '.')
		return 0;
	size_t f = span(s + i + 1, n - i - 1, is_digit);

	return f ? i + 1 + f : 0;
}

static size_t match_hex(const char *s, size_t n)
{
	if (n < 3 || s[0] != '0' || s[1] != 'x')
		return 0;
	size_t d = span(s + 2, n - 2, is_xdigit);

	return d ? 2 + d : 0;
}

static size_t match_ipv4(const char *s, size_t n)
{
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		size_t d = span(s + i, n - i, is_digit);

		if (!d)
			return 0;
		i += d;
		if (part < 3) {
			if (i >= n || s[i] != '.')
				return 0;
			i++;
		}
	}
	return i;
}

/* "..." or `...`: a backslash escapes any character, newlines allowed. */
static size_t match_quoted(const char *s, size_t n, char q)
{
	if (n == 0 || s[0] != q)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n)
			i++;
		else if (s[i] == q)
			return i + 1;
	}
	return SIZE_MAX;                /* unterminated */
}

static size_t match_code(const char *s, size_t n)
{
	if (n < 2 || s[0] != '%' || s[1] != '{')
		return 0;
	for (size_t i = 2; i + 1 < n; i++)
		if (s[i] == '}' && s[i + 1] == '%')
			return i + 2;
	return SIZE_MAX;
}

/* --- the lexer ----------------------------------------------------------- */

static void step(struct pkt_parser *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p->text[p->pos + i] == '\n') {
			p->line++;
			p->col = 1;
		} else {
			p->col++;
		}
	}
	p->pos += n;
}

/* Skips whitespace and comments; true if anything was skipped. */
static bool skip_blank(struct pkt_parser *p)
{
	bool skipped = false;

	while (p->pos < p->len) {
		const char *s = p->text + p->pos;
		size_t n = p->len - p->pos;

		if (s[0] == ' ' || s[0] == '\t' || s[0] == '\n') {
			step(p, 1);
		} else if (n >= 2 && s[0] == '/' && s[1] == '/') {
			size_t i = 2;

			while (i < n && s[i] != '\n')
				i++;
			step(p, i < n ? i + 1 : i);
		} else if (n >= 2 && s[0] == '/' && s[1] == '*') {
			size_t i = 2;

			while (i + 1 < n && !(s[i] == '*' && s[i + 1] == '/'))
				i++;
			if (i + 1 >= n)
				pkt_fail_at(p, p->line, p->col, "unterminated /* comment");
			step(p, i + 2);
		} else {
			break;
		}
		skipped = true;
	}
	return skipped;
}

static int64_t tok_number(const char *s, size_t n, int base, bool *overflow)
{
	bool neg = n > 0 && s[0] == '-';
	uint64_t v = 0;
	size_t i = neg ? 1 : (base == 16 ? 2 : 0);

	*overflow = false;
	for (; i < n; i++) {
		unsigned d = is_digit(s[i]) ? (unsigned)(s[i] - '0') :
			     (unsigned)((s[i] | 0x20) - 'a' + 10);

		if (v > (UINT64_MAX - d) / (unsigned)base) {
			*overflow = true;
			return 0;
		}
		v = v * (unsigned)base + d;
	}
	if (v > (uint64_t)INT64_MAX + (neg ? 1 : 0)) {
		*overflow = true;
		return 0;
	}
	return neg ? (int64_t)(0 - v) : (int64_t)v;
}

static void lex_one(struct pkt_parser *p, struct pkt_token *t)
{
	memset(t, 0, sizeof(*t));
	t->spaced = skip_blank(p);
	t->line = p->line;
	t->col = p->col;
	t->start = p->text + p->pos;
	if (p->pos >= p->len) {
		t->type = PKT_TOK_EOF;
		return;
	}

	const char *s = t->start;
	size_t n = p->len - p->pos;
	size_t best = 1;
	enum pkt_tok_type type = PKT_TOK_CHAR;
	size_t m;

	if (s[0] == '\r')
		pkt_fail_at(p, t->line, t->col, "carriage return in script "
			    "(packetdrill takes only \\n line ends)");
	if (s[0] == '\0')
		pkt_fail_at(p, t->line, t->col, "NUL byte in script");
	/* Candidates in flex's rule order: a later rule wins only if longer. */
#define CANDIDATE(len_expr, ty)                                 \
	do {                                                    \
		m = (len_expr);                                 \
		if (m != SIZE_MAX && m > best) {                \
			best = m;                               \
			type = ty;                              \
		}                                               \
	} while (0)
	best = 0;
	CANDIDATE(n >= 3 && !memcmp(s, "...", 3) ? 3 : 0, PKT_TOK_ELLIPSIS);
	CANDIDATE(n >= 3 && s[0] == '-' && s[1] == '-' && is_word(s[2]) ?
		  2 + span(s + 2, n - 2, is_word) : 0, PKT_TOK_OPTION);
	CANDIDATE(match_float(s, n), PKT_TOK_FLOAT);
	CANDIDATE(match_int(s, n), PKT_TOK_INT);
	CANDIDATE(match_hex(s, n), PKT_TOK_HEX);
	CANDIDATE(span(s, n, is_word), PKT_TOK_WORD);
	m = match_quoted(s, n, '"');
	if (m == SIZE_MAX)
		pkt_fail_at(p, t->line, t->col, "unterminated string");
	CANDIDATE(m, PKT_TOK_STRING);
	m = match_quoted(s, n, '`');
	if (m == SIZE_MAX)
		pkt_fail_at(p, t->line, t->col, "unterminated `command`");
	CANDIDATE(m, PKT_TOK_BACKQUOTE);
	CANDIDATE(1, PKT_TOK_CHAR);
	m = match_code(s, n);
	if (m == SIZE_MAX)
		pkt_fail_at(p, t->line, t->col, "unterminated %%{ code }%% block");
	CANDIDATE(m, PKT_TOK_CODE);
	CANDIDATE(match_ipv4(s, n), PKT_TOK_IPV4);
#undef CANDIDATE

	t->type = type;
	t->len = best;
	if (type == PKT_TOK_CHAR)
		t->ch = s[0];
	else if (type == PKT_TOK_INT)
		t->ival = tok_number(s, best, 10, &t->overflow);
	else if (type == PKT_TOK_HEX)
		t->ival = tok_number(s, best, 16, &t->overflow);
	else if (type == PKT_TOK_WORD && find_keyword(s, best, &t->kw))
		t->type = PKT_TOK_KEYWORD;
	step(p, best);
}

void pkt_lex_advance(struct pkt_parser *p)
{
	if (p->have_next) {
		p->tok = p->next;
		p->have_next = false;
		return;
	}
	lex_one(p, &p->tok);
}

const struct pkt_token *pkt_lex_peek(struct pkt_parser *p)
{
	if (!p->have_next) {
		lex_one(p, &p->next);
		p->have_next = true;
	}
	return &p->next;
}

/* --- small parsing helpers shared by parser.c and parse_syscall.c ------ */

bool pkt_tok_is_char(const struct pkt_token *t, char c)
{
	return t->type == PKT_TOK_CHAR && t->ch == c;
}

bool pkt_tok_is_kw(const struct pkt_token *t, enum pkt_kw kw)
{
	return t->type == PKT_TOK_KEYWORD && t->kw == kw;
}

void pkt_expect_char(struct pkt_parser *p, char c, const char *what)
{
	char buf[64];

	if (!pkt_tok_is_char(&p->tok, c))
		pkt_fail(p, "expected '%c' %s, found %s", c, what,
			 pkt_tok_describe(&p->tok, buf, sizeof(buf)));
	pkt_lex_advance(p);
}

int64_t pkt_expect_int(struct pkt_parser *p, int64_t lo, int64_t hi, const char *what)
{
	char buf[64];

	if (p->tok.type != PKT_TOK_INT)
		pkt_fail(p, "expected %s (a number), found %s", what,
			 pkt_tok_describe(&p->tok, buf, sizeof(buf)));
	if (p->tok.overflow || p->tok.ival < lo || p->tok.ival > hi)
		pkt_fail(p, "%s out of range (%lld..%lld)", what, (long long)lo,
			 (long long)hi);
	int64_t v = p->tok.ival;

	pkt_lex_advance(p);
	return v;
}

/*
 * Seconds to microseconds. packetdrill multiplies a double by 1e6 and
 * truncates; this reads the decimal digits exactly (digits past the sixth
 * decimal are dropped), which gives the same number except where the double
 * product falls just under an integer (1.001 -> packetdrill 1000999).
 */
int64_t pkt_parse_time_value(struct pkt_parser *p)
{
	const struct pkt_token *t = &p->tok;
	char buf[64];
	int64_t secs = 0, frac = 0;
	size_t i = 0;
	int digits = 0;

	if (t->type != PKT_TOK_INT && t->type != PKT_TOK_FLOAT)
		pkt_fail(p, "expected a time in seconds, found %s",
			 pkt_tok_describe(t, buf, sizeof(buf)));
	if (t->start[0] == '-')
		pkt_fail(p, "negative time");
	for (; i < t->len && t->start[i] != '.'; i++) {
		if (secs > (INT64_MAX / 1000000 - 9) / 10)
			pkt_fail(p, "time out of range");
		secs = secs * 10 + (t->start[i] - '0');
	}
	if (i < t->len)
		i++;
	for (; i < t->len; i++, digits++)
		if (digits < 6)
			frac = frac * 10 + (t->start[i] - '0');
	for (; digits < 6; digits++)
		frac *= 10;
	pkt_lex_advance(p);
	return secs * 1000000 + frac;
}
