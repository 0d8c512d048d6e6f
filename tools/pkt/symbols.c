/*
 * Names scripts use, and their values: ICMPv4 type and code names as
 * packetdrill spells them (its icmp_packet.c tables: "unreachable",
 * "port_unreachable", and "type_N"/"code_N" for any number), and the Linux
 * values of the symbolic constants and errno names of the system calls in
 * scope (socket bind listen accept connect read write send recv close
 * shutdown fcntl setsockopt getsockopt poll). Values come from the C
 * library's headers, which are Linux's on the machines ustack builds on.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "script.h"
#include "wire/icmp.h"

struct name_value {
	const char *name;
	int64_t value;
};

static const struct name_value icmp_types[] = {
	{ "echo_reply", 0 }, { "unreachable", 3 }, { "source_quench", 4 },
	{ "redirect", 5 }, { "echo_request", 8 }, { "time_exceeded", 11 },
	{ "parameter_problem", 12 }, { "timestamp_request", 13 },
	{ "timestamp_reply", 14 }, { "information_request", 15 },
	{ "information_reply", 16 }, { "address_mask_request", 17 },
	{ "address_mask_reply", 18 },
};

/* Codes of destination unreachable, the only type with named codes. */
static const struct name_value unreach_codes[] = {
	{ "net_unreachable", 0 }, { "host_unreachable", 1 },
	{ "protocol_unreachable", 2 }, { "port_unreachable", 3 },
	{ "frag_needed", 4 }, { "source_route_failed", 5 }, { "net_unknown", 6 },
	{ "host_unknown", 7 }, { "source_host_isolated", 8 },
	{ "net_prohibited", 9 }, { "host_prohibited", 10 },
	{ "net_unreachable_for_tos", 11 }, { "host_unreachable_for_tos", 12 },
	{ "packet_filtered", 13 }, { "precedence_violation", 14 },
	{ "precedence_cutoff", 15 },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int lookup(const struct name_value *t, size_t n, const char *name, int64_t *v)
{
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(t[i].name, name)) {
			*v = t[i].value;
			return 0;
		}
	}
	return -ENOENT;
}

static const char *rlookup(const struct name_value *t, size_t n, int64_t v)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].value == v)
			return t[i].name;
	return NULL;
}

/* "prefix_N" with N a decimal 0..255. */
static int numbered(const char *name, const char *prefix, uint8_t *out)
{
	size_t pl = strlen(prefix);
	char *end;
	long v;

	if (strncmp(name, prefix, pl) || name[pl] < '0' || name[pl] > '9')
		return -ENOENT;
	v = strtol(name + pl, &end, 10);
	if (*end || v < 0 || v > 255)
		return -ENOENT;
	*out = (uint8_t)v;
	return 0;
}

int pkt_icmp_type_parse(const char *name, uint8_t *type)
{
	int64_t v;

	if (!numbered(name, "type_", type))
		return 0;
	if (lookup(icmp_types, NELEM(icmp_types), name, &v))
		return -ENOENT;
	*type = (uint8_t)v;
	return 0;
}

int pkt_icmp_code_parse(uint8_t type, const char *name, uint8_t *code)
{
	int64_t v;

	if (!numbered(name, "code_", code))
		return 0;
	if (type != UST_ICMP_DEST_UNREACH ||
	    lookup(unreach_codes, NELEM(unreach_codes), name, &v))
		return -ENOENT;
	*code = (uint8_t)v;
	return 0;
}

const char *pkt_icmp_type_name(uint8_t type)
{
	return rlookup(icmp_types, NELEM(icmp_types), type);
}

const char *pkt_icmp_code_name(uint8_t type, uint8_t code)
{
	if (type != UST_ICMP_DEST_UNREACH)
		return NULL;
	return rlookup(unreach_codes, NELEM(unreach_codes), code);
}

#define SYM(x) { #x, x }

static const struct name_value symbols[] = {
	SYM(AF_INET), SYM(AF_INET6), SYM(AF_UNSPEC), SYM(PF_INET),
	SYM(SOCK_STREAM), SYM(SOCK_DGRAM), SYM(SOCK_NONBLOCK), SYM(SOCK_CLOEXEC),
	SYM(IPPROTO_IP), SYM(IPPROTO_TCP), SYM(IPPROTO_UDP), SYM(IPPROTO_ICMP),
	SYM(SOL_SOCKET), SYM(SOL_TCP), SYM(SOL_IP),
	SYM(SO_REUSEADDR), SYM(SO_REUSEPORT), SYM(SO_LINGER), SYM(SO_ERROR),
	SYM(SO_KEEPALIVE), SYM(SO_RCVBUF), SYM(SO_SNDBUF), SYM(SO_RCVLOWAT),
	SYM(SO_SNDLOWAT), SYM(SO_RCVTIMEO), SYM(SO_SNDTIMEO), SYM(SO_TYPE),
	SYM(SO_ACCEPTCONN), SYM(SO_DEBUG), SYM(SO_OOBINLINE),
	SYM(TCP_NODELAY), SYM(TCP_MAXSEG), SYM(TCP_CORK), SYM(TCP_KEEPIDLE),
	SYM(TCP_KEEPINTVL), SYM(TCP_KEEPCNT), SYM(TCP_SYNCNT), SYM(TCP_LINGER2),
	SYM(TCP_DEFER_ACCEPT), SYM(TCP_WINDOW_CLAMP), SYM(TCP_INFO),
	SYM(TCP_QUICKACK), SYM(TCP_USER_TIMEOUT), SYM(TCP_FASTOPEN),
	SYM(TCP_CONGESTION),
	SYM(O_NONBLOCK), SYM(O_RDWR), SYM(O_RDONLY), SYM(O_WRONLY),
	SYM(F_GETFL), SYM(F_SETFL), SYM(F_GETFD), SYM(F_SETFD), SYM(FD_CLOEXEC),
	SYM(POLLIN), SYM(POLLOUT), SYM(POLLERR), SYM(POLLHUP), SYM(POLLNVAL),
	SYM(POLLPRI), SYM(POLLRDNORM), SYM(POLLWRNORM), SYM(POLLRDBAND),
	SYM(POLLWRBAND),
	SYM(SHUT_RD), SYM(SHUT_WR), SYM(SHUT_RDWR),
	SYM(MSG_PEEK), SYM(MSG_DONTWAIT), SYM(MSG_WAITALL), SYM(MSG_OOB),
	SYM(MSG_NOSIGNAL), SYM(MSG_TRUNC), SYM(MSG_MORE),
	SYM(INADDR_ANY),
};

static const struct name_value errnos[] = {
	SYM(EPERM), SYM(ENOENT), SYM(EINTR), SYM(EIO), SYM(EBADF), SYM(EAGAIN),
	SYM(EWOULDBLOCK), SYM(ENOMEM), SYM(EACCES), SYM(EFAULT), SYM(EBUSY),
	SYM(EEXIST), SYM(EINVAL), SYM(ENFILE), SYM(EMFILE), SYM(ENOSPC),
	SYM(EPIPE), SYM(ENOSYS), SYM(ENOTSOCK), SYM(EDESTADDRREQ), SYM(EMSGSIZE),
	SYM(EPROTOTYPE), SYM(ENOPROTOOPT), SYM(EPROTONOSUPPORT),
	SYM(ESOCKTNOSUPPORT), SYM(EOPNOTSUPP), SYM(EPFNOSUPPORT),
	SYM(EAFNOSUPPORT), SYM(EADDRINUSE), SYM(EADDRNOTAVAIL), SYM(ENETDOWN),
	SYM(ENETUNREACH), SYM(ENETRESET), SYM(ECONNABORTED), SYM(ECONNRESET),
	SYM(ENOBUFS), SYM(EISCONN), SYM(ENOTCONN), SYM(ESHUTDOWN),
	SYM(ETIMEDOUT), SYM(ECONNREFUSED), SYM(EHOSTDOWN), SYM(EHOSTUNREACH),
	SYM(EALREADY), SYM(EINPROGRESS),
};

int pkt_symbol_value(const char *name, int64_t *value)
{
	return lookup(symbols, NELEM(symbols), name, value);
}

int pkt_errno_value(const char *name, int *value)
{
	int64_t v;

	if (lookup(errnos, NELEM(errnos), name, &v))
		return -ENOENT;
	*value = (int)v;
	return 0;
}
