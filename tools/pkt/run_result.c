/*
 * A system call's return, checked as packetdrill checks it: end_syscall()
 * (return value, errno), then the per-call checks (getsockopt's length and
 * value, poll's revents, and for getsockname/getpeername the address), then
 * the bookkeeping (run_syscall_socket, run_syscall_accept,
 * run_syscall_listen, run_syscall_close), and for a `...T` call its return
 * time against T ("system call return", the call's start as last event).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include "run.h"

static int new_socket(struct pkt_run *r, struct pkt_run_call *c, const struct pkt_syscall *sc,
		      char *msg, size_t cap)
{
	struct pkt_run_sock *s;
	int64_t script_fd;

	if (pkt_run_expr_int(sc->result, &script_fd, msg, cap))
		return -1;
	if (r->nsocks == PKT_RUN_MAX_SOCKS)
		return snprintf(msg, cap, "too many sockets"), -1;
	s = &r->socks[r->nsocks];
	memset(s, 0, sizeof(*s));
	s->state = RUN_SOCK_NEW;
	pkt_conn_init(&s->conn, r->local_ip, htons(r->bind_port), r->remote_ip,
		      htons(r->connect_port));
	if (pkt_run_fd_add(&r->fds, (int)script_fd, (int)c->ret, (int)r->nsocks, msg, cap))
		return -1;
	r->sut = (int)r->nsocks++;
	return 0;
}

/* The passive child the handshake made (SYN-ACK sent or acked). */
static int accepted(struct pkt_run *r, struct pkt_run_call *c, const struct pkt_syscall *sc,
		    char *msg, size_t cap)
{
	int64_t script_fd;

	if (pkt_run_expr_int(sc->result, &script_fd, msg, cap))
		return -1;
	for (size_t k = 0; k < r->nsocks; k++) {
		struct pkt_run_sock *s = &r->socks[k];

		if ((s->state == RUN_SOCK_PASSIVE_SYNACK_SENT ||
		     s->state == RUN_SOCK_PASSIVE_SYNACK_ACKED) && !s->has_fd) {
			s->has_fd = true;
			return pkt_run_fd_add(&r->fds, (int)script_fd, (int)c->ret, (int)k, msg,
					      cap) ? -1 : 0;
		}
	}
	return snprintf(msg, cap, "unable to find socket matching accept() call"), -1;
}

static void fmt_value(enum pkt_expr_type t, const uint8_t *v, size_t len, char *buf, size_t cap)
{
	if (t == PKT_EXPR_LINGER && len >= sizeof(struct linger)) {
		struct linger l;

		memcpy(&l, v, sizeof(l));
		snprintf(buf, cap, "{onoff=%d, linger=%d}", l.l_onoff, l.l_linger);
	} else if (t == PKT_EXPR_STRUCT && len >= sizeof(struct timeval)) {
		struct timeval tv;

		memcpy(&tv, v, sizeof(tv));
		snprintf(buf, cap, "{tv_sec=%lld, tv_usec=%lld}", (long long)tv.tv_sec,
			 (long long)tv.tv_usec);
	} else if (t == PKT_EXPR_STRING) {
		snprintf(buf, cap, "'%.*s'", (int)len, (const char *)v);
	} else {
		int32_t i = 0;

		memcpy(&i, v, len < sizeof(i) ? len : sizeof(i));
		snprintf(buf, cap, "%d", i);
	}
}

static int check_getsockopt(struct pkt_run_call *c, const struct pkt_syscall *sc,
			    char *msg, size_t cap)
{
	const struct pkt_expr *val = sc->args[3];
	int script_optlen = (int)c->a[2];
	char want[96], got[96];

	if (c->ret < 0)
		return 0;
	if ((int)c->optlen != script_optlen)
		return snprintf(msg, cap, "Bad getsockopt optlen: expected: %d actual: %d",
				script_optlen, (int)c->optlen), -1;
	if (val->type == PKT_EXPR_ELLIPSIS)
		return 0;
	if (val->type == PKT_EXPR_LIST && script_optlen != 4)
		return snprintf(msg, cap, "Unsupported getsockopt optlen: %d", script_optlen), -1;
	if (val->type == PKT_EXPR_STRING && (size_t)script_optlen != c->want_len)
		return snprintf(msg, cap, "Bad getsockopt optval: expected optlen (%d bytes) does "
				"not match length of expected optval string '%s' (%zu bytes)",
				script_optlen, val->str.s, c->want_len), -1;
	if (!memcmp(c->buf, c->want, c->want_len))
		return 0;
	fmt_value(val->type, c->want, c->want_len, want, sizeof(want));
	fmt_value(val->type, c->buf, c->want_len, got, sizeof(got));
	return snprintf(msg, cap, "Bad getsockopt optval: expected: %s actual: %s", want, got), -1;
}

static void poll_flags(int v, char *buf, size_t cap)
{
	static const struct {
		int bit;
		const char *name;
	} names[] = {
		{ POLLIN, "POLLIN" }, { POLLPRI, "POLLPRI" }, { POLLOUT, "POLLOUT" },
		{ POLLERR, "POLLERR" }, { POLLHUP, "POLLHUP" }, { POLLNVAL, "POLLNVAL" },
		{ POLLRDNORM, "POLLRDNORM" }, { POLLRDBAND, "POLLRDBAND" },
		{ POLLWRNORM, "POLLWRNORM" }, { POLLWRBAND, "POLLWRBAND" },
		{ 0x2000, "POLLRDHUP" },
	};
	size_t n = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]) && n < cap; k++) {
		if (!(v & names[k].bit))
			continue;
		n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? "|" : "", names[k].name);
		v &= ~names[k].bit;
	}
	if (v && n < cap)
		n += (size_t)snprintf(buf + n, cap - n, "%s%#x", n ? "|" : "", (unsigned int)v);
	if (!n)
		snprintf(buf, cap, "0");
}

static int check_poll(struct pkt_run_call *c, const struct pkt_syscall *sc, char *msg,
		      size_t cap)
{
	const struct pkt_expr *list = sc->args[0];
	char want[128], got[128];

	for (size_t k = 0; k < c->npfd; k++) {
		int64_t revents;

		if (pkt_run_expr_int(list->list.items[k]->pollfd.revents, &revents, msg, cap))
			return -1;
		if (c->pfd[k].revents == (short)revents)
			continue;
		poll_flags((int)revents, want, sizeof(want));
		poll_flags(c->pfd[k].revents, got, sizeof(got));
		return snprintf(msg, cap, "Expected revents of %s but got %s for pollfd %zu",
				want, got, k), -1;
	}
	return 0;
}

static int check_sockname(struct pkt_run_call *c, const struct pkt_syscall *sc, char *msg,
			  size_t cap)
{
	const struct pkt_expr *want = sc->args[1];
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	long len;

	if (c->ret < 0)
		return 0;
	if (sc->args[2]->type == PKT_EXPR_LIST && sc->args[2]->list.n == 1 &&
	    sc->args[2]->list.items[0]->type == PKT_EXPR_INT) {
		len = (long)sc->args[2]->list.items[0]->num.value;
		if (len != (long)c->salen)
			return snprintf(msg, cap, "Bad address length: expected: %ld actual: %u",
					len, (unsigned int)c->salen), -1;
	}
	if (want->type != PKT_EXPR_SOCKADDR)
		return 0;
	if (c->sa.sin_family == AF_INET && c->sa.sin_port == want->sin.port &&
	    c->sa.sin_addr.s_addr == want->sin.addr)
		return 0;
	inet_ntop(AF_INET, &want->sin.addr, a, sizeof(a));
	inet_ntop(AF_INET, &c->sa.sin_addr, b, sizeof(b));
	return snprintf(msg, cap, "Bad address: expected: %s:%u actual: %s:%u (family %u)", a,
			ntohs(want->sin.port), b, ntohs(c->sa.sin_port),
			(unsigned int)c->sa.sin_family), -1;
}

static int post_check(struct pkt_run *r, struct pkt_run_call *c, const struct pkt_syscall *sc,
		      char *msg, size_t cap)
{
	int sock;

	switch (c->kind) {
	case RUN_CALL_SOCKET:
		return c->ret >= 0 ? new_socket(r, c, sc, msg, cap) : 0;
	case RUN_CALL_ACCEPT:
		return c->ret >= 0 ? accepted(r, c, sc, msg, cap) : 0;
	case RUN_CALL_LISTEN:
		sock = pkt_run_fd_sock(&r->fds, c->script_fd);
		if (sock >= 0)
			r->socks[sock].state = RUN_SOCK_LISTENING;
		return 0;
	case RUN_CALL_CLOSE:
		pkt_run_fd_del(&r->fds, c->script_fd);
		return 0;
	case RUN_CALL_GETSOCKOPT:
		return check_getsockopt(c, sc, msg, cap);
	case RUN_CALL_POLL:
		return check_poll(c, sc, msg, cap);
	case RUN_CALL_GETSOCKNAME:
	case RUN_CALL_GETPEERNAME:
		return check_sockname(c, sc, msg, cap);
	default:
		return 0;
	}
}

static int check_return_time(struct pkt_run *r, struct pkt_run_call *c)
{
	struct pkt_time_check tc;
	char msg[512];

	memset(&tc, 0, sizeof(tc));
	tc.type = r->script->events[c->event].time.type;
	tc.expected_usecs = c->times.call_end;
	tc.expected_end_usecs = c->times.call_end;
	tc.actual_usecs = c->done_usecs;
	tc.has_last = true;
	tc.last_event_usecs = c->times.start;
	tc.offset_usecs = c->times.offset;
	tc.description = "system call return";
	if (pkt_check_time(&r->cfg, &tc, msg, sizeof(msg)))
		return pkt_run_fail_at(r, c->event, "%s", msg);
	return 0;
}

int pkt_run_call_finish(struct pkt_run *r, struct pkt_run_call *c)
{
	const struct pkt_event *ev = &r->script->events[c->event];
	const struct pkt_syscall *sc = ev->syscall;
	char msg[512];

	if (r->failed)          /* tearing down after an error: nothing to check */
		return -1;
	if (r->opts.verbose)
		pkt_run_verbose(r, "%9.6f line %-4d %s returned %ld%s%s", (double)c->done_usecs / 1e6,
				ev->line, sc->name, c->ret, c->ret < 0 ? " " : "",
				c->ret < 0 ? strerror(c->err) : "");
	if (pkt_run_check_result(sc, c->check, c->ret, c->err, msg, sizeof(msg)) ||
	    post_check(r, c, sc, msg, sizeof(msg)))
		return pkt_run_fail_at(r, c->event, "runtime error in %s call: %s", sc->name, msg);
	if (sc->blocking)
		return check_return_time(r, c);
	return 0;
}
