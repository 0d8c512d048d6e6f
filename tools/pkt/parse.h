/*
 * Internals shared by the script lexer (lexer.c), the event and packet parser
 * (parser.c) and the system call parser (parse_syscall.c): the arena every
 * node is allocated from, the token, and the parser state.
 *
 * Tokens follow packetdrill's lexer exactly, longest match first and, on a
 * tie, its rule order: keyword, `...`, `--option`, float, integer, hex, word,
 * "string", `backquoted`, one character, %{code}%, IPv4 address. So `S.` is
 * the word S and '.', `+.1` is '+' and the float .1, `-1` one integer and
 * `0x1f` hex. Comments are // to end of line and C's slash-star ones.
 *
 * Errors unwind with longjmp to pkt_parse_string, which owns the arena: no
 * parser function has to clean up after itself.
 */
#ifndef UST_PKT_PARSE_H
#define UST_PKT_PARSE_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "script.h"

/* Zeroed, 16-byte aligned memory that lives until the arena is freed. */
struct pkt_arena *pkt_arena_new(void);
void *pkt_arena_alloc(struct pkt_arena *a, size_t n);
void pkt_arena_free(struct pkt_arena *a);

enum pkt_tok_type {
	PKT_TOK_EOF,
	PKT_TOK_INT,                    /* [-]?[0-9]+ */
	PKT_TOK_HEX,                    /* 0x[0-9a-fA-F]+ */
	PKT_TOK_FLOAT,                  /* [-]?[0-9]*.[0-9]+ */
	PKT_TOK_WORD,                   /* [a-zA-Z0-9_]+ that is no keyword */
	PKT_TOK_KEYWORD,                /* packetdrill's reserved words: kw says which */
	PKT_TOK_STRING,                 /* "..." (text without the quotes) */
	PKT_TOK_BACKQUOTE,              /* `...` */
	PKT_TOK_CODE,                   /* %{ ... }% */
	PKT_TOK_OPTION,                 /* --name (text without the dashes) */
	PKT_TOK_IPV4,                   /* a.b.c.d */
	PKT_TOK_ELLIPSIS,               /* ... */
	PKT_TOK_CHAR,                   /* any other single character: ch */
};

/* Keywords the grammar uses; every other reserved word is PKT_KW_OTHER. */
enum pkt_kw {
	PKT_KW_OTHER,
	PKT_KW_ACK, PKT_KW_WIN, PKT_KW_URG, PKT_KW_EOL, PKT_KW_NOP, PKT_KW_MSS,
	PKT_KW_WSCALE, PKT_KW_SACKOK, PKT_KW_SACK, PKT_KW_TS, PKT_KW_VAL,
	PKT_KW_ECR, PKT_KW_MD5, PKT_KW_FO, PKT_KW_FOEXP, PKT_KW_ECN,
	PKT_KW_TOS, PKT_KW_TTL, PKT_KW_FLOWLABEL, PKT_KW_ECT0, PKT_KW_ECT1,
	PKT_KW_ECT01, PKT_KW_NOECN, PKT_KW_CE,
	PKT_KW_ICMP, PKT_KW_UDP, PKT_KW_RAW, PKT_KW_MTU, PKT_KW_ID,
	PKT_KW_IPV4, PKT_KW_IPV6, PKT_KW_GRE, PKT_KW_MPLS, PKT_KW_ENCAP,
	PKT_KW_SA_FAMILY, PKT_KW_SIN_PORT, PKT_KW_SIN_ADDR, PKT_KW_HTONS,
	PKT_KW_INET_ADDR, PKT_KW_INET6_ADDR, PKT_KW_FD, PKT_KW_EVENTS,
	PKT_KW_REVENTS, PKT_KW_ONOFF, PKT_KW_LINGER, PKT_KW_FLAGS,
	PKT_KW_MSG_NAME, PKT_KW_CMSG_LEVEL, PKT_KW_SCM_SEC, PKT_KW_EE_ERRNO,
};

struct pkt_token {
	enum pkt_tok_type type;
	int line;
	int col;
	const char *start;              /* into the input */
	size_t len;
	int64_t ival;                   /* INT and HEX */
	bool overflow;                  /* INT/HEX beyond int64 */
	char ch;                        /* CHAR */
	enum pkt_kw kw;                 /* KEYWORD */
	bool spaced;                    /* whitespace or a comment came before it */
};

struct pkt_parser {
	const char *path;
	const char *text;
	size_t len;
	size_t pos;                     /* lexer position */
	int line;
	int col;
	struct pkt_token tok;           /* current token */
	struct pkt_token next;          /* one token of lookahead */
	bool have_next;
	struct pkt_arena *arena;
	struct pkt_error *err;
	jmp_buf fail;
	int depth;                      /* expression nesting */
};

/* Lexer: the token after the current one, and peeking one further. */
void pkt_lex_advance(struct pkt_parser *p);
const struct pkt_token *pkt_lex_peek(struct pkt_parser *p);

/* Reports an error at a line and column and unwinds (never returns). */
__attribute__((noreturn, format(printf, 4, 5)))
void pkt_fail_at(struct pkt_parser *p, int line, int col, const char *fmt, ...);
/* "unexpected X" style error at the current token. */
__attribute__((noreturn, format(printf, 2, 3)))
void pkt_fail(struct pkt_parser *p, const char *fmt, ...);
/* A printable description of a token for messages: 'S', end of file ... */
const char *pkt_tok_describe(const struct pkt_token *t, char *buf, size_t cap);

/* The token's text copied into the arena, NUL-terminated. */
char *pkt_tok_strdup(struct pkt_parser *p, const struct pkt_token *t);
char *pkt_arena_strndup(struct pkt_arena *a, const char *s, size_t n);
bool pkt_tok_is_char(const struct pkt_token *t, char c);
bool pkt_tok_is_kw(const struct pkt_token *t, enum pkt_kw kw);
/* Consumes the character c or fails with "expected 'c' <what>". */
void pkt_expect_char(struct pkt_parser *p, char c, const char *what);
/* An INT token within [lo, hi], consumed; else fails naming what. */
int64_t pkt_expect_int(struct pkt_parser *p, int64_t lo, int64_t hi, const char *what);
/* Parses a time (INT or FLOAT seconds) into microseconds, consumed. */
int64_t pkt_parse_time_value(struct pkt_parser *p);

/* parse_syscall.c: `name(args) = result [ERRNO (text)] [(note)]`, current
 * token at the name (or the `...` of a blocking call). */
struct pkt_syscall *pkt_parse_syscall(struct pkt_parser *p);

#endif
