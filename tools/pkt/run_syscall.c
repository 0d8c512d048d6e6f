/*
 * System call events: turning a call's script arguments into live values
 * (packetdrill's syscall_* argument handling in run_system_call.c: script fds
 * to live fds, `...` addresses to the configured ones, buffers of zeros,
 * option values), and running the call on a worker thread.
 *
 * A call without `...` holds the script: while it sleeps in the stack the
 * clock steps through the stack's own events (its timers), never through the
 * script's, exactly as packetdrill's main thread is stuck in the call while
 * the kernel's timers run. A `...T` call is started and left running; the
 * engine checks it when it returns (pkt_run_settle).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include "run.h"
#include "ustack/ustack.h"

#define RUN_BLOCK_LIMIT_USECS (3600LL * 1000000LL)
#define RUN_MAX_BUF (16u << 20)

static const struct {
	const char *name;
	enum pkt_run_call_kind kind;
	int nargs;                      /* 0: checked by the preparer */
} calls[] = {
	{ "socket", RUN_CALL_SOCKET, 3 }, { "bind", RUN_CALL_BIND, 3 },
	{ "listen", RUN_CALL_LISTEN, 2 }, { "accept", RUN_CALL_ACCEPT, 3 },
	{ "connect", RUN_CALL_CONNECT, 3 }, { "read", RUN_CALL_READ, 3 },
	{ "recv", RUN_CALL_RECV, 4 }, { "write", RUN_CALL_WRITE, 3 },
	{ "send", RUN_CALL_SEND, 4 }, { "close", RUN_CALL_CLOSE, 1 },
	{ "shutdown", RUN_CALL_SHUTDOWN, 2 }, { "fcntl", RUN_CALL_FCNTL, 0 },
	{ "setsockopt", RUN_CALL_SETSOCKOPT, 5 }, { "getsockopt", RUN_CALL_GETSOCKOPT, 5 },
	{ "poll", RUN_CALL_POLL, 3 }, { "getsockname", RUN_CALL_GETSOCKNAME, 3 },
	{ "getpeername", RUN_CALL_GETPEERNAME, 3 },
};

#define NCALLS (sizeof(calls) / sizeof(calls[0]))

struct prep {
	struct pkt_run *r;
	const struct pkt_syscall *sc;
	struct pkt_run_call *c;
	char *msg;
	size_t cap;
};

static int bad(struct prep *p, const char *fmt, const char *a)
{
	snprintf(p->msg, p->cap, fmt, a);
	return -1;
}

static int int_arg(struct prep *p, size_t k, long *v)
{
	int64_t x;

	if (pkt_run_expr_int(p->sc->args[k], &x, p->msg, p->cap))
		return -1;
	*v = (long)x;
	return 0;
}

static int fd_arg(struct prep *p, size_t k)
{
	long script_fd;

	if (int_arg(p, k, &script_fd))
		return -1;
	p->c->script_fd = (int)script_fd;
	return pkt_run_fd_live(&p->r->fds, (int)script_fd, &p->c->fd, p->msg, p->cap) ? -1 : 0;
}

static bool is_ellipsis(const struct pkt_expr *e)
{
	return e->type == PKT_EXPR_ELLIPSIS;
}

/* `[N]`: a one-element list (s32_bracketed_arg). */
static int bracketed_arg(struct prep *p, const struct pkt_expr *e, long *v)
{
	int64_t x;

	if (e->type != PKT_EXPR_LIST)
		return bad(p, "Bad type; expected: list [N]", "");
	if (e->list.n != 1)
		return bad(p, "Expected [<element>] but got %s elements",
			   e->list.n ? "multiple" : "no");
	if (pkt_run_expr_int(e->list.items[0], &x, p->msg, p->cap))
		return -1;
	*v = (long)x;
	return 0;
}

/* `...` means the configured address (bind: local ip and bind port;
 * connect: remote ip and connect port); a sockaddr is taken as written. */
static int addr_arg(struct prep *p, size_t k, bool local)
{
	const struct pkt_expr *e = p->sc->args[k];
	struct pkt_run_call *c = p->c;

	memset(&c->sa, 0, sizeof(c->sa));
	c->sa.sin_family = AF_INET;
	c->salen = sizeof(c->sa);
	if (is_ellipsis(e)) {
		c->sa.sin_addr.s_addr = local ? p->r->local_ip : p->r->remote_ip;
		c->sa.sin_port = htons(local ? p->r->bind_port : p->r->connect_port);
	} else if (e->type == PKT_EXPR_SOCKADDR) {
		c->sa.sin_addr.s_addr = e->sin.addr;
		c->sa.sin_port = e->sin.port;
	} else {
		return bad(p, "Bad type; expected: ... or a sockaddr", "");
	}
	if (!is_ellipsis(p->sc->args[k + 1])) {
		long len;

		if (int_arg(p, k + 1, &len))
			return -1;
		c->salen = (socklen_t)len;
	}
	return 0;
}

/* `...` or 0 (NULL) and a count: a buffer of count zeros (buffer_arg). */
static int buffer_arg(struct prep *p, size_t k)
{
	const struct pkt_expr *e = p->sc->args[k];
	struct pkt_run_call *c = p->c;
	long n;

	if (int_arg(p, k + 1, &n))
		return -1;
	if (n < 0 || (unsigned long)n > RUN_MAX_BUF)
		return bad(p, "unsupported buffer length (at most 16 MiB)", "");
	c->len = (size_t)n;
	if (e->type == PKT_EXPR_INT && e->num.value == 0)
		return 0;
	if (!is_ellipsis(e))
		return bad(p, "Expected ... or NULL for buffer", "");
	c->buf = calloc(1, c->len ? c->len : 1);
	return c->buf ? 0 : bad(p, "out of memory", "");
}

/* An option value: [N], {onoff=, linger=}, {tv_sec, tv_usec}, "string". */
static int optval(struct prep *p, const struct pkt_expr *e, uint8_t *out, size_t cap,
		  size_t *len)
{
	int64_t x, y;

	if (e->type == PKT_EXPR_LIST) {
		long v;
		int32_t i;

		if (bracketed_arg(p, e, &v))
			return -1;
		i = (int32_t)v;
		memcpy(out, &i, sizeof(i));
		*len = sizeof(i);
	} else if (e->type == PKT_EXPR_LINGER) {
		struct linger l = { .l_onoff = (int)e->linger.onoff, .l_linger = (int)e->linger.linger };

		memcpy(out, &l, sizeof(l));
		*len = sizeof(l);
	} else if (e->type == PKT_EXPR_STRUCT && e->list.n == 2) {
		struct timeval tv;
		const struct pkt_expr *a = e->list.items[0], *b = e->list.items[1];

		if (a->type == PKT_EXPR_BINARY && a->bin.op == '=')
			a = a->bin.rhs;
		if (b->type == PKT_EXPR_BINARY && b->bin.op == '=')
			b = b->bin.rhs;
		if (pkt_run_expr_int(a, &x, p->msg, p->cap) || pkt_run_expr_int(b, &y, p->msg, p->cap))
			return -1;
		tv.tv_sec = (time_t)x;
		tv.tv_usec = (suseconds_t)y;
		memcpy(out, &tv, sizeof(tv));
		*len = sizeof(tv);
	} else if (e->type == PKT_EXPR_STRING) {
		*len = strlen(e->str.s);
		memcpy(out, e->str.s, *len < cap ? *len : cap);
	} else {
		return bad(p, "unsupported socket option value type (write [N], "
			   "{onoff=N, linger=N}, {tv_sec=N, tv_usec=N} or \"string\")", "");
	}
	return 0;
}

static int prep_sockopt(struct prep *p, bool set)
{
	struct pkt_run_call *c = p->c;
	uint8_t val[256] = { 0 };
	size_t vlen = 0;
	long optlen;

	if (fd_arg(p, 0) || int_arg(p, 1, &c->a[0]) || int_arg(p, 2, &c->a[1]))
		return -1;
	if (set ? int_arg(p, 4, &optlen) : bracketed_arg(p, p->sc->args[4], &optlen))
		return -1;
	if (optlen < 0 || optlen > 4096)
		return bad(p, "unsupported optlen", "");
	if (!is_ellipsis(p->sc->args[3]) && optval(p, p->sc->args[3], val, sizeof(val), &vlen))
		return -1;
	c->len = (size_t)optlen > sizeof(val) ? (size_t)optlen : sizeof(val);
	c->buf = calloc(1, c->len);
	if (!c->buf)
		return bad(p, "out of memory", "");
	if (set) {
		memcpy(c->buf, val, vlen);
	} else {
		c->want_len = vlen < sizeof(c->want) ? vlen : sizeof(c->want);
		memcpy(c->want, val, c->want_len);
		c->a[2] = optlen;
	}
	if (set && is_ellipsis(p->sc->args[3])) {
		free(c->buf);
		c->buf = NULL;
	}
	c->optlen = (socklen_t)optlen;
	return 0;
}

static int prep_poll(struct prep *p)
{
	const struct pkt_expr *e = p->sc->args[0];
	struct pkt_run_call *c = p->c;
	long nfds;

	if (e->type != PKT_EXPR_LIST)
		return bad(p, "Bad type; expected: list of pollfd", "");
	if (e->list.n > PKT_RUN_MAX_POLLFDS)
		return bad(p, "too many pollfds", "");
	for (size_t k = 0; k < e->list.n; k++) {
		const struct pkt_expr *f = e->list.items[k];
		int64_t fd, ev;

		if (f->type != PKT_EXPR_POLLFD)
			return bad(p, "Bad type; expected: {fd=N, events=E, revents=E}", "");
		if (pkt_run_expr_int(f->pollfd.fd, &fd, p->msg, p->cap) ||
		    pkt_run_fd_live(&p->r->fds, (int)fd, &c->pfd[k].fd, p->msg, p->cap) ||
		    pkt_run_expr_int(f->pollfd.events, &ev, p->msg, p->cap))
			return -1;
		c->pfd[k].events = (short)ev;
	}
	c->npfd = e->list.n;
	if (int_arg(p, 1, &nfds) || int_arg(p, 2, &c->a[0]))
		return -1;
	if ((size_t)nfds != e->list.n) {
		snprintf(p->msg, p->cap, "nfds %ld does not match %zu-element pollfd array",
			 nfds, e->list.n);
		return -1;
	}
	return 0;
}

/* packetdrill's run_syscall_connect: the socket starts an active open. */
static void connect_socket(struct prep *p, long family, bool have_family)
{
	int sock = pkt_run_fd_sock(&p->r->fds, p->c->script_fd);
	struct pkt_run_sock *s;

	if (sock < 0)
		return;
	s = &p->r->socks[sock];
	if (have_family && family == AF_UNSPEC) {
		s->state = RUN_SOCK_NEW;
		return;
	}
	if (s->state != RUN_SOCK_NEW)
		return;
	s->state = RUN_SOCK_CONNECTING;
	s->local_port_known = false;
	pkt_conn_init(&s->conn, p->r->local_ip, 0, p->c->sa.sin_addr.s_addr, p->c->sa.sin_port);
}

static int prep_connect(struct prep *p)
{
	const struct pkt_expr *e = p->sc->args[1];
	long family = 0;
	bool have_family = false;

	if (fd_arg(p, 0))
		return -1;
	if (e->type == PKT_EXPR_INT || e->type == PKT_EXPR_WORD) {
		if (int_arg(p, 1, &family))
			return -1;
		have_family = true;
		memset(&p->c->sa, 0, sizeof(p->c->sa));
		p->c->sa.sin_family = (sa_family_t)family;
		p->c->salen = sizeof(p->c->sa);
	} else if (addr_arg(p, 1, false)) {
		return -1;
	}
	connect_socket(p, family, have_family);
	return 0;
}

static int prep_args(struct prep *p)
{
	struct pkt_run_call *c = p->c;

	switch (c->kind) {
	case RUN_CALL_SOCKET:
		c->a[0] = AF_INET;
		c->check = PKT_RUN_CHECK_FD;
		return (!is_ellipsis(p->sc->args[0]) && int_arg(p, 0, &c->a[0])) ||
		       int_arg(p, 1, &c->a[1]) || int_arg(p, 2, &c->a[2]) ? -1 : 0;
	case RUN_CALL_BIND:
		return fd_arg(p, 0) || addr_arg(p, 1, true) ? -1 : 0;
	case RUN_CALL_LISTEN:
	case RUN_CALL_SHUTDOWN:
		return fd_arg(p, 0) || int_arg(p, 1, &c->a[0]) ? -1 : 0;
	case RUN_CALL_ACCEPT:
		c->check = PKT_RUN_CHECK_FD;
		return fd_arg(p, 0);
	case RUN_CALL_CONNECT:
		return prep_connect(p);
	case RUN_CALL_READ:
	case RUN_CALL_WRITE:
		return fd_arg(p, 0) || buffer_arg(p, 1) ? -1 : 0;
	case RUN_CALL_RECV:
	case RUN_CALL_SEND:
		return fd_arg(p, 0) || buffer_arg(p, 1) || int_arg(p, 3, &c->a[0]) ? -1 : 0;
	case RUN_CALL_CLOSE:
		return fd_arg(p, 0);
	case RUN_CALL_FCNTL:
		if (p->sc->nargs != 2 && p->sc->nargs != 3) {
			snprintf(p->msg, p->cap, "fcntl expected 2-3 args but got %zu", p->sc->nargs);
			return -1;
		}
		c->nargs = (int)p->sc->nargs;
		return fd_arg(p, 0) || int_arg(p, 1, &c->a[0]) ||
		       (c->nargs == 3 && int_arg(p, 2, &c->a[1])) ? -1 : 0;
	case RUN_CALL_SETSOCKOPT:
	case RUN_CALL_GETSOCKOPT:
		return prep_sockopt(p, c->kind == RUN_CALL_SETSOCKOPT);
	case RUN_CALL_POLL:
		return prep_poll(p);
	case RUN_CALL_GETSOCKNAME:
	case RUN_CALL_GETPEERNAME:
		c->salen = sizeof(c->sa);
		return fd_arg(p, 0);
	}
	return 0;
}

static int prepare(struct pkt_run *r, const struct pkt_syscall *sc, struct pkt_run_call *c,
		   char *msg, size_t cap)
{
	struct prep p = { .r = r, .sc = sc, .c = c, .msg = msg, .cap = cap };
	size_t k;

	for (k = 0; k < NCALLS && strcmp(calls[k].name, sc->name); k++)
		;
	if (k == NCALLS)
		return snprintf(msg, cap, "Unknown system call: '%s'", sc->name), -1;
	if (calls[k].nargs && sc->nargs != (size_t)calls[k].nargs)
		return snprintf(msg, cap, "Expected %d args but got %zu", calls[k].nargs,
				sc->nargs), -1;
	c->kind = calls[k].kind;
	c->check = PKT_RUN_CHECK_EXACT;
	return prep_args(&p);
}

static void verbose_call(struct pkt_run *r, size_t i, const char *what)
{
	const struct pkt_syscall *sc = r->script->events[i].syscall;
	char line[768];
	size_t n = (size_t)snprintf(line, sizeof(line), "%s(", sc->name);

	for (size_t k = 0; k < sc->nargs && n < sizeof(line); k++) {
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s", k ? ", " : "");
		if (n < sizeof(line))
			n += (size_t)pkt_run_expr_format(sc->args[k], line + n, sizeof(line) - n);
	}
	pkt_run_verbose(r, "%9.6f line %-4d %s) %s", (double)pkt_run_now(r) / 1e6,
			r->script->events[i].line, line, what);
}

/* The script waits for a call without `...`, stepping the stack's timers. */
static int wait_plain(struct pkt_run *r, size_t i, struct pkt_run_call *c)
{
	const char *name = r->script->events[i].syscall->name;
	int64_t limit = pkt_run_now(r) + RUN_BLOCK_LIMIT_USECS;
	bool asleep;
	int ret;

	for (;;) {
		if (pkt_run_settle(r))
			return -1;
		if (pkt_run_worker_poll(&r->plain, &asleep) == RUN_W_DONE)
			break;
		if (ust_stack_next_event(r->st) == UINT64_MAX)
			return pkt_run_fail_at(r, i, "runtime error in %s call: the call blocks and "
					       "nothing pending in the stack can wake it (a call "
					       "without `...` holds the script)", name);
		if (pkt_run_now(r) >= limit)
			return pkt_run_fail_at(r, i, "runtime error in %s call: still blocked after "
					       "%lld s of virtual time", name,
					       RUN_BLOCK_LIMIT_USECS / 1000000);
		if (pkt_run_step(r, limit))
			return -1;
	}
	pkt_run_worker_reset(&r->plain);
	c->done_usecs = pkt_run_now(r);
	ret = pkt_run_call_finish(r, c);
	pkt_run_call_free(c);
	return ret;
}

int pkt_run_syscall_event(struct pkt_run *r, size_t i)
{
	const struct pkt_syscall *sc = r->script->events[i].syscall;
	struct pkt_run_call *c;
	char msg[512];

	if (pkt_run_wait_event(r, i, "system call start"))
		return -1;
	if (sc->blocking && r->pending)
		return pkt_run_fail_at(r, i, "runtime error in %s call: blocking system call while "
				       "another blocking system call is already in progress",
				       sc->name);
	c = calloc(1, sizeof(*c));
	if (!c)
		return pkt_run_fail_at(r, i, "runtime error in %s call: out of memory", sc->name);
	c->event = i;
	c->times = r->times[i];
	if (prepare(r, sc, c, msg, sizeof(msg))) {
		pkt_run_call_free(c);
		return pkt_run_fail_at(r, i, "runtime error in %s call: %s", sc->name, msg);
	}
	if (r->opts.verbose)
		verbose_call(r, i, sc->blocking ? "starts (returns later)" : "starts");
	if (sc->blocking) {
		r->pending = c;
		pkt_run_worker_submit(&r->blocking, c);
		return pkt_run_settle(r);
	}
	pkt_run_worker_submit(&r->plain, c);
	return wait_plain(r, i, c);
}
