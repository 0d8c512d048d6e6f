/*
 * The socket calls, with the checks and errno values of Linux's af_inet.c:
 * __inet_bind (API-1), __inet_listen_sk (API-4/5), __inet_stream_connect
 * (API-7..API-13), inet_accept/inet_csk_accept (API-14/15), inet_shutdown,
 * inet_getname. Each public call takes the stack lock, reads the clock once,
 * and returns -1 with errno on failure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "socket/socket.h"
#include "stack.h"

struct ust_sockets *ust_sockets_enter(struct ust_stack *st)
{
	struct ust_sockets *s = ust_stack_sockets(st);

	pthread_mutex_lock(s->lock);
	ust_core_update_now(s->tcp->core);
	return s;
}

void ust_sockets_unlock(struct ust_sockets *s)
{
	if (s->evloop)
		ust_evloop_check(s->evloop);
	pthread_mutex_unlock(s->lock);
}

int ust_sockets_leave(struct ust_sockets *s, int ret)
{
	ust_sockets_unlock(s);
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	return ret;
}

static struct ust_sock *lookup(struct ust_sockets *s, int fd, int *err)
{
	struct ust_sock *sk = ust_fd_get(s, fd);

	if (!sk)
		*err = ust_fd_get_ep(s, fd) ? -ENOTSOCK : -EBADF;
	return sk;
}

int ust_socket(struct ust_stack *st, int domain, int type, int protocol)
{
	struct ust_sockets *s = ust_sockets_enter(st);
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct ust_sock *sk;
	int fd;

	if (domain != AF_INET)
		return ust_sockets_leave(s, -EAFNOSUPPORT);
	if (base != SOCK_STREAM)
		return ust_sockets_leave(s, base == SOCK_DGRAM || base == SOCK_RAW ? -EPROTONOSUPPORT : -EINVAL);
	if (protocol != 0 && protocol != IPPROTO_TCP)
		return ust_sockets_leave(s, -EPROTONOSUPPORT);
	sk = tcp_sock_alloc(s->tcp);
	if (!sk)
		return ust_sockets_leave(s, -ENOBUFS);
	fd = ust_fd_alloc(s, sk);
	if (fd < 0) {
		tcp_sock_free(sk);
		return ust_sockets_leave(s, fd);
	}
	if (type & SOCK_NONBLOCK)
		sk->sk_flags |= SOCK_NONBLOCK_F;
	return ust_sockets_leave(s, fd);
}

static int inet_bind(struct ust_sockets *s, struct ust_sock *sk, const struct sockaddr *addr, socklen_t len)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)addr;
	const struct ust_sysctl *sc = &s->tcp->core->sysctl;
	struct ust_tcp *tcp = s->tcp;
	uint16_t port;
	int err;

	if (!addr || len < sizeof(*sin))
		return -EINVAL;
	if (sin->sin_family != AF_INET &&
	    (sin->sin_family != AF_UNSPEC || sin->sin_addr.s_addr != htonl(INADDR_ANY)))
		return -EAFNOSUPPORT;
	port = ntohs(sin->sin_port);
	if (sin->sin_addr.s_addr != htonl(INADDR_ANY) && !sc->ip_nonlocal_bind &&
	    ust_inet_addr_type(tcp->ip, sin->sin_addr.s_addr) == UST_RTN_UNICAST)
		return -EADDRNOTAVAIL;
	/* The stack's "capability" is the process's: root may bind low ports. */
	if (port && port < sc->ip_unprivileged_port_start && geteuid() != 0)
		return -EACCES;
	if (sk->sk_state != TCP_CLOSE || sk->inet_num)
		return -EINVAL;
	sk->inet_rcv_saddr = sin->sin_addr.s_addr;
	err = inet_csk_get_port(&tcp->hashinfo, sk, port);
	if (err) {
		sk->inet_rcv_saddr = 0;
		return err == -ENOBUFS ? -EADDRINUSE : err;
	}
	if (sk->inet_rcv_saddr)
		sk->sk_userlocks |= SOCK_BINDADDR_LOCK;
	if (port)
		sk->sk_userlocks |= SOCK_BINDPORT_LOCK;
	sk->inet_dport = 0;
	sk->inet_daddr = 0;
	tcp_trace_sk(sk, UST_TRACE_TABLE, "inet_csk_get_port", "bound: port %u in bhash", sk->inet_num);
	return 0;
}

int ust_bind(struct ust_stack *st, int fd, const struct sockaddr *addr, socklen_t len)
{
	struct ust_sockets *s = ust_sockets_enter(st);
	int err = 0;
	struct ust_sock *sk = lookup(s, fd, &err);

	return ust_sockets_leave(s, sk ? inet_bind(s, sk, addr, len) : err);
}

static int inet_listen(struct ust_sockets *s, struct ust_sock *sk, int backlog)
{
	unsigned somaxconn = (unsigned)s->tcp->core->sysctl.somaxconn;
	int old = sk->sk_state;

	if (sk->sk_socket_state != SS_UNCONNECTED || !(TCPF(old) & (TCPF(TCP_CLOSE) | TCPF(TCP_LISTEN))))
		return -EINVAL;
	/* API-4: read as unsigned, so a negative backlog means somaxconn. */
	sk->sk_max_ack_backlog = UST_MIN((unsigned)backlog, somaxconn);
	if (old == TCP_LISTEN) {
		tcp_trace_sk(sk, UST_TRACE_CALL, "inet_listen", "backlog now %u", sk->sk_max_ack_backlog);
		return 0;
	}
	return inet_csk_listen_start(sk);
}

int ust_listen(struct ust_stack *st, int fd, int backlog)
{
	struct ust_sockets *s = ust_sockets_enter(st);
	int err = 0;
	struct ust_sock *sk = lookup(s, fd, &err);

	return ust_sockets_leave(s, sk ? inet_listen(s, sk, backlog) : err);
}

static bool connect_done(const struct ust_sock *sk)
{
	return !(TCPF(sk->sk_state) & (TCPF(TCP_SYN_SENT) | TCPF(TCP_SYN_RECV)));
}

/* sock_error: the pending error, cleared as it is read. */
static int sock_error(struct ust_sock *sk)
{
	int err = sk->sk_err;

	sk->sk_err = 0;
	return err;
}

static int inet_stream_connect(struct ust_sockets *s, struct ust_sock *sk, const struct sockaddr *addr,
			       socklen_t len)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)addr;
	uint64_t timeo;
	int err;

	if (!addr || len < sizeof(sa_family_t))
		return -EINVAL;
	if (addr->sa_family == AF_UNSPEC) {
		tcp_disconnect(sk);
		sk->sk_socket_state = SS_UNCONNECTED;
		return 0;
	}
	switch (sk->sk_socket_state) {
	case SS_CONNECTED:
		return -EISCONN;
	case SS_CONNECTING:
		err = -EALREADY;
		break;
	default:
		if (sk->sk_state != TCP_CLOSE)
			return -EISCONN;
		if (len < sizeof(*sin))
			return -EINVAL;
		if (sin->sin_family != AF_INET)
			return -EAFNOSUPPORT;
		err = tcp_v4_connect(sk, sin->sin_addr.s_addr, sin->sin_port);
		if (err)
			return err;
		sk->sk_socket_state = SS_CONNECTING;
		err = -EINPROGRESS;
	}
	timeo = (sk->sk_flags & SOCK_NONBLOCK_F) ? 0 : (sk->sk_sndtimeo ? sk->sk_sndtimeo : UINT64_MAX);
	if (!connect_done(sk)) {
		/* API-9: non-blocking, or SO_SNDTIMEO passed: the attempt goes on. */
		if (!timeo || ust_sk_wait(s, sk, timeo == UINT64_MAX ? 0 : timeo, connect_done, false))
			return err;
	}
	if (sk->sk_state == TCP_CLOSE) {
		err = sock_error(sk);
		sk->sk_socket_state = SS_UNCONNECTED;
		tcp_disconnect(sk);
		sk->sk_err = 0;
		return err ? -err : -ECONNABORTED;
	}
	sk->sk_socket_state = SS_CONNECTED;
	return 0;
}

int ust_connect(struct ust_stack *st, int fd, const struct sockaddr *addr, socklen_t len)
{
	struct ust_sockets *s = ust_sockets_enter(st);
	int err = 0;
	struct ust_sock *sk = lookup(s, fd, &err);

	if (sk) {
		err = inet_stream_connect(s, sk, addr, len);
		ust_sock_put_after_wait(s, sk);
	}
	return ust_sockets_leave(s, err);
}

static bool accept_ready(const struct ust_sock *sk)
{
	return sk->sk_state != TCP_LISTEN || !ust_list_empty(&sk->accept_queue);
}

static void fill_sockaddr(struct sockaddr *addr, socklen_t *len, ust_be32 a, ust_be16 port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = port, .sin_addr.s_addr = a };

	if (!addr || !len)
		return;
	memcpy(addr, &sin, UST_MIN((size_t)*len, sizeof(sin)));
	*len = sizeof(sin);
}

static int inet_accept(struct ust_sockets *s, struct ust_sock *sk, struct sockaddr *addr, socklen_t *len,
		       int flags)
{
	struct ust_sock *child;
	uint64_t timeo;
	int fd;

	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	if (sk->sk_state != TCP_LISTEN)
		return -EINVAL;
	if (ust_list_empty(&sk->accept_queue)) {
		timeo = (sk->sk_flags & SOCK_NONBLOCK_F) ? 0 : sk->sk_rcvtimeo;
		if (sk->sk_flags & SOCK_NONBLOCK_F)
			return -EAGAIN;
		if (ust_sk_wait(s, sk, timeo, accept_ready, true))
			return -EAGAIN;
		if (sk->sk_state != TCP_LISTEN)
			return -EINVAL;
	}
	child = inet_csk_accept_dequeue(sk);
	fd = ust_fd_alloc(s, child);
	if (fd < 0) {
		/* No descriptor: the connection cannot be handed out; reset it. */
		tcp_send_active_reset(child);
		tcp_set_state(child, TCP_CLOSE);
		tcp_sock_free(child);
		return fd;
	}
	child->sk_socket_state = SS_CONNECTED;
	if (flags & SOCK_NONBLOCK)
		child->sk_flags |= SOCK_NONBLOCK_F;
	fill_sockaddr(addr, len, child->inet_daddr, child->inet_dport);
	return fd;
}

int ust_accept4(struct ust_stack *st, int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	struct ust_sockets *s = ust_sockets_enter(st);
	int err = 0;
	struct ust_sock *sk = lookup(s, fd, &err);

	if (sk) {
		err = inet_accept(s, sk, addr, len, flags);
		ust_sock_put_after_wait(s, sk);
	}
	return ust_sockets_leave(s, err);
}

int ust_accept(struct ust_stack *st, int fd, struct sockaddr *addr, socklen_t *len)
{
	return ust_accept4(st, fd, addr, len, 0);
}

static void sock_close(struct ust_sockets *s, struct ust_sock *sk, bool may_wait);

int ust_close(struct ust_stack *st, int fd)
{
	struct ust_sockets *s = ust_sockets_enter(st);
	int err = 0;
	struct ust_eventpoll *ep = ust_fd_get_ep(s, fd);
	struct ust_sock *sk;

	if (ep) {
		ep_close(s, fd, ep);
		return ust_sockets_leave(s, 0);
	}
	sk = lookup(s, fd, &err);
	if (!sk)
		return ust_sockets_leave(s, err);
	eventpoll_release(s, fd);
	ust_fd_release(s, fd);
	sk->fd = -1;
	if (sk->sk_waiters)
		sk->sk_flags |= SOCK_CLOSE_DEFERRED;
	else
		sock_close(s, sk, true);
	return ust_sockets_leave(s, 0);
}

void ust_sock_close(struct ust_sockets *s, struct ust_sock *sk)
{
	sock_close(s, sk, false);
}

static bool linger_done(const struct ust_sock *sk)
{
	return !tcp_close_lingering(sk);
}

/*
 * close(): FIN or RST, then with SO_LINGER {1, N} wait up to N s for the FIN
 * to be acknowledged (sk_stream_wait_close; O_NONBLOCK does not shorten it, as
 * in Linux), then the socket is an orphan. A deferred close (another thread
 * was sleeping on sk) does not wait.
 */
static void sock_close(struct ust_sockets *s, struct ust_sock *sk, bool may_wait)
{
	tcp_close_start(sk);
	if (may_wait && (sk->sk_flags & SOCK_LINGER) && sk->sk_lingertime && tcp_close_lingering(sk))
		ust_sk_wait(s, sk, (uint64_t)sk->sk_lingertime * 1000000000ULL, linger_done, false);
	if (tcp_close_finish(sk)) {
		if (sk->icsk_bind_hash)
			inet_put_port(&s->tcp->hashinfo, sk);
		tcp_sock_free(sk);
	}
}

void ust_sock_put_after_wait(struct ust_sockets *s, struct ust_sock *sk)
{
	if ((sk->sk_flags & SOCK_CLOSE_DEFERRED) && !sk->sk_waiters) {
		sk->sk_flags &= ~SOCK_CLOSE_DEFERRED;
		ust_sock_close(s, sk);
	}
}

static int inet_shutdown(struct ust_sock *sk, int how)
{
	int err = 0;

	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	how++;   /* SHUT_RD -> RCV_SHUTDOWN, SHUT_WR -> SEND_SHUTDOWN */
	if (sk->sk_socket_state == SS_CONNECTING && (TCPF(sk->sk_state) &
	    (TCPF(TCP_SYN_SENT) | TCPF(TCP_SYN_RECV) | TCPF(TCP_CLOSE))))
		sk->sk_socket_state = SS_CONNECTED;   /* as inet_shutdown does */
	switch (sk->sk_state) {
	case TCP_CLOSE:
		err = -ENOTCONN;
		sk->sk_shutdown |= (uint8_t)how;
		break;
	case TCP_LISTEN:
		if (!(how & RCV_SHUTDOWN))
			break;
		/* fall through */
	case TCP_SYN_SENT:
		tcp_disconnect(sk);
		sk->sk_socket_state = SS_UNCONNECTED;
		break;
	default:
		sk->sk_shutdown |= (uint8_t)how;
		tcp_shutdown(sk, how);
	}
	tcp_wake(sk);
	return err;
}

int ust_shutdown(struct ust_stack *st, int fd, int how)
{
	struct ust_sockets *s = ust_sockets_enter(st);
	int err = 0;
	struct ust_sock *sk = lookup(s, fd, &err);

	return ust_sockets_leave(s, sk ? inet_shutdown(sk, how) : err);
}

static int inet_getname(struct ust_sock *sk, struct sockaddr *addr, socklen_t *len, bool peer)
{
	if (!addr || !len)
		return -EFAULT;
	if (peer) {
		if (!sk->inet_dport || (TCPF(sk->sk_state) & (TCPF(TCP_CLOSE) | TCPF(TCP_SYN_SENT))))
			return -ENOTCONN;
		fill_sockaddr(addr, len, sk->inet_daddr, sk->inet_dport);
	} else {
		fill_sockaddr(addr, len, sk->inet_rcv_saddr, htons(sk->inet_num));
	}
	return 0;
}

int ust_getsockname(struct ust_stack *st, int fd, struct sockaddr *addr, socklen_t *len)
{
	struct ust_sockets *s = ust_sockets_enter(st);
	int err = 0;
	struct ust_sock *sk = lookup(s, fd, &err);

	return ust_sockets_leave(s, sk ? inet_getname(sk, addr, len, false) : err);
}

int ust_getpeername(struct ust_stack *st, int fd, struct sockaddr *addr, socklen_t *len)
{
	struct ust_sockets *s = ust_sockets_enter(st);
	int err = 0;
	struct ust_sock *sk = lookup(s, fd, &err);

	return ust_sockets_leave(s, sk ? inet_getname(sk, addr, len, true) : err);
}

int ust_fcntl(struct ust_stack *st, int fd, int cmd, long arg)
{
	struct ust_sockets *s = ust_sockets_enter(st);
	int err = 0;
	struct ust_sock *sk = lookup(s, fd, &err);

	if (!sk)
		return ust_sockets_leave(s, err);
	switch (cmd) {
	case F_GETFL:
		return ust_sockets_leave(s, O_RDWR | ((sk->sk_flags & SOCK_NONBLOCK_F) ? O_NONBLOCK : 0));
	case F_SETFL:
		if (arg & O_NONBLOCK)
			sk->sk_flags |= SOCK_NONBLOCK_F;
		else
			sk->sk_flags &= ~SOCK_NONBLOCK_F;
		return ust_sockets_leave(s, 0);
	default:
		return ust_sockets_leave(s, -EINVAL);
	}
}

/* Socket-layer lifetime: called by TCP when an orphan reaches CLOSE. */
static void sock_destruct(void *ctx, struct ust_sock *sk)
{
	struct ust_sockets *s = ctx;

	if (sk->fd >= 0)
		return;                    /* still open: close() will free it */
	if (sk->icsk_bind_hash)
		inet_put_port(&s->tcp->hashinfo, sk);
	tcp_sock_free(sk);
}

static void sock_wake(void *ctx, struct ust_sock *sk)
{
	struct ust_sockets *s = ctx;

	ust_sock_wake(sk);
	ep_sock_wake(s, sk);
	if (s->poll_waiters)
		pthread_cond_broadcast(&s->poll_wq);
}

int ust_sockets_init(struct ust_sockets *s, struct ust_tcp *tcp, pthread_mutex_t *lock, uint32_t max_fds)
{
	memset(s, 0, sizeof(*s));
	s->tcp = tcp;
	s->lock = lock;
	s->max_fds = max_fds;
	pthread_cond_init(&s->poll_wq, NULL);
	tcp->sk_wake = sock_wake;
	tcp->sk_destruct = sock_destruct;
	tcp->sock_ctx = s;
	return 0;
}

void ust_sockets_destroy(struct ust_sockets *s)
{
	ep_destroy_all(s);
	free(s->fds);
	free(s->used);
	pthread_cond_destroy(&s->poll_wq);
}
