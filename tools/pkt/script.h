/*
 * The parsed form (AST) of a packet script in packetdrill's syntax, and the
 * parser that builds it. A script is: `--option=value` lines, an optional
 * `shell` init command, a list of timed events, an optional `shell` cleanup
 * command. Each event has a time spec and one of: a TCP or ICMP packet
 * (`<` injected, `>` expected), a system call, a `shell` command or a
 * %{ code }% block (kept, not run).
 *
 * Numbers are kept as the script wrote them: sequence numbers are script
 * relative (see pkt.h for the mapping onto the wire), times are microseconds
 * (relative ones not yet resolved). Symbolic constants stay words; symbols.c
 * resolves them.
 *
 * Call order: pkt_parse_file() or pkt_parse_string() -> walk script->events ->
 * pkt_script_free(). Every node lives in the script's arena: nothing in the
 * tree is freed alone. On a parse error nothing is returned and err says
 * "file:line:col: message".
 */
#ifndef UST_PKT_SCRIPT_H
#define UST_PKT_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "wire/tcp.h"
#include "wire/types.h"

/* --- time specs ------------------------------------------------------- */

enum pkt_time_type {
	PKT_TIME_ABSOLUTE,              /* 0.100 */
	PKT_TIME_RELATIVE,              /* +0.1 */
	PKT_TIME_ANY,                   /* * (outbound packets only) */
	PKT_TIME_ABSOLUTE_RANGE,        /* 0.1~0.2 (outbound packets only) */
	PKT_TIME_RELATIVE_RANGE,        /* +0.1~+0.2 (outbound packets only) */
};

struct pkt_time {
	enum pkt_time_type type;
	int64_t usecs;                  /* start (or the only) time */
	int64_t end_usecs;              /* ranges: the end; else 0 */
};

/* --- packets ---------------------------------------------------------- */

enum pkt_direction {
	PKT_INBOUND,                    /* `<`: the runner injects it */
	PKT_OUTBOUND,                   /* `>`: the stack must send it */
};

/* What the script says about the IP TOS byte: `[ect0]`, `[tos 0x10]`... */
enum pkt_tos_check {
	PKT_TOS_NONE,                   /* not given: not checked, 0 when injected */
	PKT_TOS_ECN,                    /* noecn/ect0/ect1/ce: the ECN bits */
	PKT_TOS_ECT01,                  /* ect01: ECT(0) or ECT(1), outbound only */
	PKT_TOS_VALUE,                  /* tos 0xNN: the whole byte */
};

#define PKT_IP_ECN_NONE 0
#define PKT_IP_ECN_ECT1 1
#define PKT_IP_ECN_ECT0 2
#define PKT_IP_ECN_CE 3

struct pkt_ip_spec {
	enum pkt_tos_check tos_check;
	uint8_t tos;                    /* ECN bits or the whole byte */
	uint8_t ttl;                    /* 0: not given (255 injected, not checked) */
};

/* One TCP option as written (or as decoded from a packet). */
struct pkt_tcp_opt {
	uint8_t kind;                   /* UST_TCPOPT_* or, decoded, any kind */
	uint8_t len;                    /* bytes on the wire: 1 for eol and nop */
	union {
		uint16_t mss;
		uint8_t wscale;
		struct {
			uint32_t val;
			uint32_t ecr;
		} ts;
		struct {
			uint8_t n;
			struct ust_tcp_sack_block blocks[UST_TCP_MAX_SACKS];
		} sack;
		uint8_t raw[UST_TCP_OPT_SPACE]; /* decoded unknown kinds: len - 2 bytes */
	};
};

/* The AE bit (RFC 9768 AccECN), beside the UST_TCP_* bits. */
#define PKT_TCP_AE 0x100
#define PKT_MAX_TCP_OPTS UST_TCP_OPT_SPACE

struct pkt_tcp_spec {
	uint16_t flags;                 /* UST_TCP_* | PKT_TCP_AE from the letters */
	bool ace;                       /* flags held an ACE digit (0-7) */
	uint16_t sport;                 /* `sport>dport` given: else 0 (the runner's) */
	uint16_t dport;
	uint32_t seq;                   /* start of seq:end(len) */
	uint16_t len;                   /* payload bytes (zeros) */
	uint32_t ack;                   /* `ack N`, 0 when absent */
	bool has_win;                   /* `win N` given (required inbound) */
	uint16_t win;
	uint16_t urg;                   /* `urg N`, 0 when absent */
	bool opts_any;                  /* <...>: options not checked (outbound) */
	uint8_t nopts;
	uint8_t opt_len;                /* wire bytes of opts, a multiple of 4 */
	struct pkt_tcp_opt opts[PKT_MAX_TCP_OPTS];
};

/* What an ICMP error quotes: `[seq:end(len)]` (TCP), `[udp (N)]`, `[raw (N)]`. */
enum pkt_echoed {
	PKT_ECHOED_TCP,
	PKT_ECHOED_UDP,
	PKT_ECHOED_RAW,
};

struct pkt_icmp_spec {
	uint8_t type;
	uint8_t code;
	int32_t mtu;                    /* `mtu N` (unreachable frag_needed), else -1 */
	uint16_t echo_id;               /* `id N` */
	enum pkt_echoed echoed;
	uint32_t seq;                   /* TCP: the quoted segment's script seq */
	uint16_t len;                   /* TCP: its payload; UDP/RAW: the number */
};

enum pkt_l4 {
	PKT_L4_TCP,
	PKT_L4_ICMP,
};

struct pkt_packet {
	enum pkt_direction dir;
	enum pkt_l4 l4;
	struct pkt_ip_spec ip;
	union {
		struct pkt_tcp_spec tcp;
		struct pkt_icmp_spec icmp;
	};
};

/* --- system calls ------------------------------------------------------ */

enum pkt_expr_type {
	PKT_EXPR_ELLIPSIS,              /* ... */
	PKT_EXPR_INT,                   /* 5, -1, 0x10 */
	PKT_EXPR_WORD,                  /* SOCK_STREAM (resolved by the runner) */
	PKT_EXPR_STRING,                /* "abc" (escapes kept as written), "abc"... */
	PKT_EXPR_BINARY,                /* a|b, name=value, "a" "b" (op '.') */
	PKT_EXPR_LIST,                  /* [a, b] */
	PKT_EXPR_STRUCT,                /* {a, b}: any other brace list */
	PKT_EXPR_INADDR,                /* inet_addr("192.0.2.1") */
	PKT_EXPR_SOCKADDR,              /* {sa_family=AF_INET, sin_port=htons(N), sin_addr=inet_addr("...")} */
	PKT_EXPR_POLLFD,                /* {fd=E, events=E[, revents=E]} */
	PKT_EXPR_LINGER,                /* {onoff=N, linger=N} */
	PKT_EXPR_IOVEC,                 /* {..., N} */
};

struct pkt_expr {
	enum pkt_expr_type type;
	int line;
	int col;
	union {
		struct {
			int64_t value;
			bool hex;               /* written 0x..: printed back in hex */
		} num;
		const char *word;
		struct {
			const char *s;
			bool ellipsis;          /* "abc"... */
		} str;
		struct {
			char op;                /* '|', '=' or '.' */
			struct pkt_expr *lhs;
			struct pkt_expr *rhs;
		} bin;
		struct {
			struct pkt_expr **items;
			size_t n;
		} list;                         /* LIST and STRUCT */
		ust_be32 inaddr;
		struct {
			ust_be16 port;
			ust_be32 addr;
		} sin;
		struct {
			struct pkt_expr *fd;
			struct pkt_expr *events;
			struct pkt_expr *revents; /* INT 0 when not given, as packetdrill */
		} pollfd;
		struct {
			int64_t onoff;
			int64_t linger;
		} linger;
		struct {
			int64_t len;
		} iovec;
	};
};

struct pkt_syscall {
	const char *name;
	struct pkt_expr **args;
	size_t nargs;
	bool blocking;                  /* `...T name(...)`: returns by time T */
	int64_t end_usecs;
	struct pkt_expr *result;
	const char *errno_name;         /* `= -1 ECONNREFUSED (...)`, else NULL */
	const char *errno_text;         /* the words in its parentheses */
	const char *note;               /* a second parenthesised note, else NULL */
};

/* --- events and the script -------------------------------------------- */

enum pkt_event_type {
	PKT_EV_PACKET,
	PKT_EV_SYSCALL,
	PKT_EV_COMMAND,                 /* `shell command` with a time */
	PKT_EV_CODE,                    /* %{ python }% with a time */
};

struct pkt_event {
	int line;                       /* of the time spec, as packetdrill reports */
	int col;
	struct pkt_time time;
	enum pkt_event_type type;
	union {
		struct pkt_packet *packet;
		struct pkt_syscall *syscall;
		const char *command;
		const char *code;
	};
};

struct pkt_option {
	const char *name;               /* without the -- */
	const char *value;              /* NULL for a bare --flag */
	int line;
};

struct pkt_arena;

struct pkt_script {
	const char *path;
	struct pkt_option *options;
	size_t noptions;
	const char *init_command;       /* `...` before the first event, or NULL */
	const char *cleanup_command;    /* `...` after the last event, or NULL */
	struct pkt_event *events;
	size_t nevents;
	struct pkt_arena *arena;        /* owns every node above */
};

struct pkt_error {
	int line;                       /* 0 when not about a place in the text */
	int col;
	char msg[256];                  /* the message alone */
	char text[512];                 /* "path:line:col: msg" */
};

/*
 * Parses len bytes of text (need not be NUL-terminated); path only names the
 * script in messages. Returns 0 and *out, -EINVAL with err filled on a syntax
 * or semantic error, -ENOMEM.
 */
int pkt_parse_string(const char *path, const char *text, size_t len,
		     struct pkt_script **out, struct pkt_error *err);
/* Reads and parses a file; -errno (err filled) when it cannot be read. */
int pkt_parse_file(const char *path, struct pkt_script **out, struct pkt_error *err);
void pkt_script_free(struct pkt_script *s);

/* Flags letters (packetdrill's ".FSRPEWAU01234567") to PKT/UST bits: 0, or
 * -EINVAL with the offending letter in *bad and conflict set when the letter
 * is valid but clashes (an ACE digit with E/W/A or another digit). */
int pkt_flags_parse(const char *s, size_t len, uint16_t *flags, bool *ace,
		    char *bad, bool *conflict);

/* ICMPv4 type and code names as packetdrill spells them ("unreachable",
 * "port_unreachable", "type_N", "code_N"). 0 or -ENOENT. */
int pkt_icmp_type_parse(const char *name, uint8_t *type);
int pkt_icmp_code_parse(uint8_t type, const char *name, uint8_t *code);
/* The name of a type or code, or NULL when packetdrill has none. */
const char *pkt_icmp_type_name(uint8_t type);
const char *pkt_icmp_code_name(uint8_t type, uint8_t code);

/* Linux values of the symbolic constants scripts use (SOCK_STREAM, O_NONBLOCK,
 * POLLIN, SO_LINGER ...) and of errno names. 0 or -ENOENT. */
int pkt_symbol_value(const char *name, int64_t *value);
int pkt_errno_value(const char *name, int *value);

#endif
