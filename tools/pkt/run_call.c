/*
 * System calls, second half: making the call with the ust_* API (on a worker
 * thread), then checking it as packetdrill's end_syscall() and the per-call
 * checks do (return value and errno, getsockopt's value, poll's revents, the
 * return time of a `...` call) and recording what it created (script fd to
 * live fd, the socket under test). Also the fd map and the expression helpers
 * the arguments are evaluated with.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include "run.h"
#include "ustack/ustack.h"

/* --- fd map ------------------------------------------------------------- */

static int fd_index(const struct pkt_run_fdmap *m, int script_fd)
{
	for (size_t k = 0; k < m->n; k++)
		if (m->e[k].script_fd == script_fd)
			return (int)k;
	return -1;
}

int pkt_run_fd_add(struct pkt_run_fdmap *m, int script_fd, int live_fd, int sock,
		   char *msg, size_t cap)
{
	if (fd_index(m, script_fd) >= 0)
		return snprintf(msg, cap, "duplicate fd %d in script", script_fd), -EEXIST;
	for (size_t k = 0; k < m->n; k++)
		if (m->e[k].live_fd == live_fd)
			return snprintf(msg, cap, "duplicate live fd %d", live_fd), -EEXIST;
	if (m->n == PKT_RUN_MAX_FDS)
		return snprintf(msg, cap, "too many open fds (%d)", PKT_RUN_MAX_FDS), -ENOSPC;
	m->e[m->n].script_fd = script_fd;
	m->e[m->n].live_fd = live_fd;
	m->e[m->n].sock = sock;
	m->n++;
	return 0;
}

int pkt_run_fd_live(const struct pkt_run_fdmap *m, int script_fd, int *live_fd,
		    char *msg, size_t cap)
{
	int k = fd_index(m, script_fd);

	if (k < 0) {
		*live_fd = -1;
		return snprintf(msg, cap, "unable to find fd with script fd %d", script_fd), -ENOENT;
	}
	*live_fd = m->e[k].live_fd;
	return 0;
}

int pkt_run_fd_sock(const struct pkt_run_fdmap *m, int script_fd)
{
	int k = fd_index(m, script_fd);

	return k < 0 ? -1 : m->e[k].sock;
}

void pkt_run_fd_del(struct pkt_run_fdmap *m, int script_fd)
{
	int k = fd_index(m, script_fd);

	if (k >= 0)
		m->e[k] = m->e[--m->n];
}

/* --- expressions -------------------------------------------------------- */

static const char *expr_type_name(enum pkt_expr_type t)
{
	static const char *const names[] = {
		"ellipsis", "integer", "word", "string", "binary_expression", "list",
		"struct", "inet_addr", "socket_address", "pollfd", "linger", "iovec",
	};

	return (size_t)t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

int pkt_run_expr_int(const struct pkt_expr *e, int64_t *v, char *msg, size_t cap)
{
	int64_t a, b;

	switch (e->type) {
	case PKT_EXPR_INT:
		*v = e->num.value;
		return 0;
	case PKT_EXPR_WORD:
		if (!pkt_symbol_value(e->word, v))
			return 0;
		return snprintf(msg, cap, "unknown symbol '%s'", e->word), -EINVAL;
	case PKT_EXPR_BINARY:
		if (e->bin.op == '|') {
			if (pkt_run_expr_int(e->bin.lhs, &a, msg, cap) ||
			    pkt_run_expr_int(e->bin.rhs, &b, msg, cap))
				return -EINVAL;
			*v = a | b;
			return 0;
		}
		break;
	default:
		break;
	}
	return snprintf(msg, cap, "Bad type; actual: %s expected: integer",
			expr_type_name(e->type)), -EINVAL;
}

static int fmt_list(const struct pkt_expr *e, char *buf, size_t cap, char open, char close)
{
	size_t n = (size_t)snprintf(buf, cap, "%c", open);

	for (size_t k = 0; k < e->list.n; k++) {
		if (k)
			n += (size_t)snprintf(n < cap ? buf + n : NULL, n < cap ? cap - n : 0, ", ");
		n += (size_t)pkt_run_expr_format(e->list.items[k], n < cap ? buf + n : NULL,
						 n < cap ? cap - n : 0);
	}
	n += (size_t)snprintf(n < cap ? buf + n : NULL, n < cap ? cap - n : 0, "%c", close);
	return (int)n;
}

int pkt_run_expr_format(const struct pkt_expr *e, char *buf, size_t cap)
{
	char a[INET_ADDRSTRLEN], l[256], r[256];

	switch (e->type) {
	case PKT_EXPR_ELLIPSIS:
		return snprintf(buf, cap, "...");
	case PKT_EXPR_INT:
		return e->num.hex ? snprintf(buf, cap, "%#llx", (unsigned long long)e->num.value)
				  : snprintf(buf, cap, "%lld", (long long)e->num.value);
	case PKT_EXPR_WORD:
		return snprintf(buf, cap, "%s", e->word);
	case PKT_EXPR_STRING:
		return snprintf(buf, cap, "\"%s\"%s", e->str.s, e->str.ellipsis ? "..." : "");
	case PKT_EXPR_BINARY:
		pkt_run_expr_format(e->bin.lhs, l, sizeof(l));
		pkt_run_expr_format(e->bin.rhs, r, sizeof(r));
		return e->bin.op == '.' ? snprintf(buf, cap, "%s %s", l, r)
					: snprintf(buf, cap, "%s%c%s", l, e->bin.op, r);
	case PKT_EXPR_LIST:
		return fmt_list(e, buf, cap, '[', ']');
	case PKT_EXPR_STRUCT:
		return fmt_list(e, buf, cap, '{', '}');
	case PKT_EXPR_INADDR:
		inet_ntop(AF_INET, &e->inaddr, a, sizeof(a));
		return snprintf(buf, cap, "inet_addr(\"%s\")", a);
	case PKT_EXPR_SOCKADDR:
		inet_ntop(AF_INET, &e->sin.addr, a, sizeof(a));
		return snprintf(buf, cap, "{sa_family=AF_INET, sin_port=htons(%u), "
				"sin_addr=inet_addr(\"%s\")}", ntohs(e->sin.port), a);
	case PKT_EXPR_POLLFD:
		pkt_run_expr_format(e->pollfd.events, l, sizeof(l));
		pkt_run_expr_format(e->pollfd.revents, r, sizeof(r));
		pkt_run_expr_format(e->pollfd.fd, a, sizeof(a));
		return snprintf(buf, cap, "{fd=%s, events=%s, revents=%s}", a, l, r);
	case PKT_EXPR_LINGER:
		return snprintf(buf, cap, "{onoff=%lld, linger=%lld}", (long long)e->linger.onoff,
				(long long)e->linger.linger);
	case PKT_EXPR_IOVEC:
		return snprintf(buf, cap, "{..., %lld}", (long long)e->iovec.len);
	}
	return snprintf(buf, cap, "?");
}

/* --- results --------------------------------------------------------- */

int pkt_run_check_result(const struct pkt_syscall *sc, enum pkt_run_check mode,
			 long actual, int actual_errno, char *msg, size_t cap)
{
	int64_t expected;
	int want;

	if (pkt_run_expr_int(sc->result, &expected, msg, cap))
		return -EINVAL;
	if (mode == PKT_RUN_CHECK_FD && expected >= 0) {
		if (actual < 0)
			return snprintf(msg, cap, "Expected non-negative result but got %ld with "
					"errno %d (%s)", actual, actual_errno,
					strerror(actual_errno)), -EINVAL;
	} else if (actual != expected) {
		return snprintf(msg, cap, "Expected result %lld but got %ld with errno %d (%s)",
				(long long)expected, actual, actual_errno,
				strerror(actual_errno)), -EINVAL;
	}
	if (!sc->errno_name)
		return 0;
	if (pkt_errno_value(sc->errno_name, &want))
		return snprintf(msg, cap, "unknown errno name %s", sc->errno_name), -EINVAL;
	if (actual_errno != want)
		return snprintf(msg, cap, "Expected errno %d (%s) but got %d (%s)", want,
				strerror(want), actual_errno, strerror(actual_errno)), -EINVAL;
	return 0;
}

void pkt_run_call_invoke(struct ust_stack *st, struct pkt_run_call *c)
{
	struct sockaddr *sa = (struct sockaddr *)&c->sa;
	long ret = -1;

	errno = 0;
	switch (c->kind) {
	case RUN_CALL_SOCKET:
		ret = ust_socket(st, (int)c->a[0], (int)c->a[1], (int)c->a[2]);
		break;
	case RUN_CALL_BIND:
		ret = ust_bind(st, c->fd, sa, c->salen);
		break;
	case RUN_CALL_LISTEN:
		ret = ust_listen(st, c->fd, (int)c->a[0]);
		break;
	case RUN_CALL_ACCEPT:
		c->salen = sizeof(c->sa);
		ret = ust_accept(st, c->fd, sa, &c->salen);
		break;
	case RUN_CALL_CONNECT:
		ret = ust_connect(st, c->fd, sa, c->salen);
		break;
	case RUN_CALL_READ:
		ret = ust_read(st, c->fd, c->buf, c->len);
		break;
	case RUN_CALL_RECV:
		ret = ust_recv(st, c->fd, c->buf, c->len, (int)c->a[0]);
		break;
	case RUN_CALL_WRITE:
		ret = ust_write(st, c->fd, c->buf, c->len);
		break;
	case RUN_CALL_SEND:
		ret = ust_send(st, c->fd, c->buf, c->len, (int)c->a[0]);
		break;
	case RUN_CALL_CLOSE:
		ret = ust_close(st, c->fd);
		break;
	case RUN_CALL_SHUTDOWN:
		ret = ust_shutdown(st, c->fd, (int)c->a[0]);
		break;
	case RUN_CALL_FCNTL:
		ret = ust_fcntl(st, c->fd, (int)c->a[0], c->nargs == 3 ? c->a[1] : 0);
		break;
	case RUN_CALL_SETSOCKOPT:
		ret = ust_setsockopt(st, c->fd, (int)c->a[0], (int)c->a[1], c->buf, c->optlen);
		break;
	case RUN_CALL_GETSOCKOPT:
		ret = ust_getsockopt(st, c->fd, (int)c->a[0], (int)c->a[1], c->buf, &c->optlen);
		break;
	case RUN_CALL_POLL:
		ret = ust_poll(st, c->pfd, c->npfd, (int)c->a[0]);
		break;
	case RUN_CALL_GETSOCKNAME:
		ret = ust_getsockname(st, c->fd, sa, &c->salen);
		break;
	case RUN_CALL_GETPEERNAME:
		ret = ust_getpeername(st, c->fd, sa, &c->salen);
		break;
	}
	c->ret = ret;
	c->err = ret < 0 ? errno : 0;
}

void pkt_run_call_free(struct pkt_run_call *c)
{
	if (c) {
		free(c->buf);
		free(c);
	}
}
