/*
 * read/recv and write/send on a connected socket: in-order bytes out of the
 * receive queue, bytes into segments. Blocking follows SO_RCVTIMEO/SO_SNDTIMEO
 * and O_NONBLOCK/MSG_DONTWAIT as Linux's tcp_recvmsg does.
 */
#include <errno.h>
#include <string.h>
#include "socket/socket.h"
#include "stack.h"

static bool readable(const struct ust_sock *sk)
{
	return sk->rcv_queued || (sk->sk_shutdown & RCV_SHUTDOWN) || sk->sk_err ||
	       sk->sk_state == TCP_CLOSE;
}

static ssize_t copy_out(struct ust_sock *sk, uint8_t *buf, size_t len, bool peek)
{
	struct ust_pkt *pkt = sk->rcv_head;
	size_t done = 0;

	while (pkt && done < len) {
		size_t n = UST_MIN(len - done, (size_t)pkt->len);
		struct ust_pkt *next = pkt->next;

		memcpy(buf + done, pkt->data, n);
		done += n;
		if (peek) {
			pkt = next;
			continue;
		}
		if (n < pkt->len) {
			ust_pkt_pull(pkt, (uint32_t)n);
			break;
		}
		sk->rcv_head = next;
		if (!next)
			sk->rcv_tail = NULL;
		ust_pkt_free(pkt);
		pkt = next;
	}
	if (!peek) {
		sk->rcv_queued -= (uint32_t)done;
		sk->copied_seq += (uint32_t)done;
	}
	return (ssize_t)done;
}

static ssize_t tcp_recvmsg(struct ust_sockets *s, struct ust_sock *sk, void *buf, size_t len, int flags)
{
	bool nonblock = (sk->sk_flags & SOCK_NONBLOCK_F) || (flags & MSG_DONTWAIT);

	if (sk->sk_state == TCP_LISTEN)
		return -ENOTCONN;
	if (!len)
		return 0;
	if (!readable(sk)) {
		if (nonblock)
			return -EAGAIN;
		if (ust_sk_wait(s, sk, sk->sk_rcvtimeo, readable, false))
			return -EAGAIN;
	}
	if (sk->rcv_queued)
		return copy_out(sk, buf, len, flags & MSG_PEEK);
	if (sk->sk_err) {
		int err = sk->sk_err;

		sk->sk_err = 0;
		return -err;
	}
	if (sk->sk_shutdown & RCV_SHUTDOWN)
		return 0;
	return sk->sk_state == TCP_CLOSE ? -ENOTCONN : -EAGAIN;
}

ssize_t ust_recv(struct ust_stack *st, int fd, void *buf, size_t len, int flags)
{
	struct ust_sockets *s = ust_stack_sockets(st);
	struct ust_sock *sk;
	ssize_t ret;

	pthread_mutex_lock(s->lock);
	ust_core_update_now(s->tcp->core);
	sk = ust_fd_get(s, fd);
	ret = sk ? tcp_recvmsg(s, sk, buf, len, flags) : -EBADF;
	if (sk)
		ust_sock_put_after_wait(s, sk);
	pthread_mutex_unlock(s->lock);
	if (ret < 0) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

ssize_t ust_read(struct ust_stack *st, int fd, void *buf, size_t len)
{
	return ust_recv(st, fd, buf, len, 0);
}

/* sk_stream_wait_memory's condition: room in the buffer, or no point waiting. */
static bool send_space(const struct ust_sock *sk)
{
	return sk_stream_memory_free(sk) || sk->sk_err || (sk->sk_shutdown & SEND_SHUTDOWN) ||
	       sk->sk_state == TCP_CLOSE;
}

/* sk_stream_wait_connect's condition. */
static bool send_connected(const struct ust_sock *sk)
{
	return sk->sk_state != TCP_SYN_SENT && sk->sk_state != TCP_SYN_RECV;
}

/* sk_stream_error: a pending error (ECONNRESET after a reset) wins over EPIPE. */
static ssize_t send_error(struct ust_sock *sk, ssize_t err)
{
	if (err == -EPIPE && sk->sk_err) {
		err = -sk->sk_err;
		sk->sk_err = 0;
	}
	return err;
}

/*
 * tcp_sendmsg_locked's loop: wait for the connection, then copy as the
 * buffer allows; with no room, push what is queued and sleep until ACKs free
 * space (SO_SNDTIMEO), or return what was taken so far. EAGAIN for a
 * non-blocking call that took nothing. No SIGPIPE: a library raises no signals.
 */
static ssize_t tcp_send_iov(struct ust_sockets *s, struct ust_sock *sk, const struct iovec *iov, int iovcnt,
			    int flags)
{
	bool nonblock = (sk->sk_flags & SOCK_NONBLOCK_F) || (flags & MSG_DONTWAIT);
	size_t copied = 0;

	if (!send_connected(sk)) {
		if (sk->sk_err)
			return send_error(sk, -EPIPE);
		if (nonblock)
			return -EAGAIN;
		if (ust_sk_wait(s, sk, sk->sk_sndtimeo, send_connected, false))
			return -EAGAIN;
	}
	/* Checked before any byte, so a zero-length write reports it too. */
	if (sk->sk_err || (sk->sk_shutdown & SEND_SHUTDOWN) ||
	    !(TCPF(sk->sk_state) & (TCPF(TCP_ESTABLISHED) | TCPF(TCP_CLOSE_WAIT))))
		return send_error(sk, -EPIPE);
	for (int i = 0; i < iovcnt; i++) {
		const uint8_t *p = iov[i].iov_base;
		size_t left = iov[i].iov_len;
		int more = i + 1 < iovcnt ? MSG_MORE : 0;

		while (left) {
			uint32_t chunk = (uint32_t)UST_MIN(left, (size_t)UINT32_MAX);
			int n;

			if (sk->sk_err || (sk->sk_shutdown & SEND_SHUTDOWN))
				goto error;
			if (!(TCPF(sk->sk_state) & (TCPF(TCP_ESTABLISHED) | TCPF(TCP_CLOSE_WAIT))))
				goto error;
			n = tcp_sendmsg(sk, p, chunk, (flags & MSG_MORE) | (chunk < left ? MSG_MORE : more));
			p += n;
			left -= (size_t)n;
			copied += (size_t)n;
			if (!left)
				break;
			if (nonblock || ust_sk_wait(s, sk, sk->sk_sndtimeo, send_space, false))
				return copied ? (ssize_t)copied : -EAGAIN;
		}
	}
	return (ssize_t)copied;
error:
	return copied ? (ssize_t)copied : send_error(sk, -EPIPE);
}

static ssize_t send_common(struct ust_stack *st, int fd, const struct iovec *iov, int iovcnt, int flags)
{
	struct ust_sockets *s = ust_stack_sockets(st);
	struct ust_sock *sk;
	ssize_t ret;

	if (iovcnt < 0 || iovcnt > 1024) {
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_lock(s->lock);
	ust_core_update_now(s->tcp->core);
	sk = ust_fd_get(s, fd);
	ret = sk ? tcp_send_iov(s, sk, iov, iovcnt, flags) : -EBADF;
	if (sk)
		ust_sock_put_after_wait(s, sk);
	pthread_mutex_unlock(s->lock);
	if (ret < 0) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

ssize_t ust_send(struct ust_stack *st, int fd, const void *buf, size_t len, int flags)
{
	struct iovec iov = { .iov_base = (void *)(uintptr_t)buf, .iov_len = len };

	return send_common(st, fd, &iov, 1, flags);
}

ssize_t ust_write(struct ust_stack *st, int fd, const void *buf, size_t len)
{
	return ust_send(st, fd, buf, len, 0);
}

ssize_t ust_writev(struct ust_stack *st, int fd, const struct iovec *iov, int iovcnt)
{
	return send_common(st, fd, iov, iovcnt, 0);
}
