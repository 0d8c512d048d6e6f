/*
 * read/recv/readv and write/send on a connected socket. The receive side is
 * Linux's tcp_recvmsg: copy in-order bytes (or peek at them), wait for
 * SO_RCVLOWAT bytes (all of them with MSG_WAITALL) within SO_RCVTIMEO unless
 * O_NONBLOCK/MSG_DONTWAIT, then report EOF, the pending error or ENOTCONN in
 * Linux's order; after copying, autotune the buffer and send the window
 * update or ACK the read made due (tcp_cleanup_rbuf).
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include "socket/socket.h"
#include "stack.h"

/* Where copied bytes go: one buffer or an iovec, walked in order; with
 * MSG_TRUNC nowhere (Linux's tcp_recvmsg then drops the bytes uncopied). */
struct rcv_dst {
	const struct iovec *iov;
	int iovcnt;
	size_t off;                  /* within iov[0] */
	bool discard;
};

static size_t dst_copy(struct rcv_dst *d, const uint8_t *src, size_t n)
{
	size_t done = 0;

	if (d->discard)
		return n;
	while (done < n && d->iovcnt > 0) {
		size_t room = d->iov->iov_len - d->off, k = UST_MIN(room, n - done);

		memcpy((uint8_t *)d->iov->iov_base + d->off, src + done, k);
		done += k;
		d->off += k;
		if (d->off == d->iov->iov_len) {
			d->iov++;
			d->iovcnt--;
			d->off = 0;
		}
	}
	return done;
}

/* Copies up to len bytes from `skip` bytes into the queue; consumes them unless peeking. */
static size_t copy_out(struct ust_sock *sk, struct rcv_dst *d, size_t len, size_t skip, bool peek)
{
	struct ust_pkt *pkt = sk->rcv_head;
	size_t done = 0;

	while (pkt && skip >= pkt->len) {
		skip -= pkt->len;
		pkt = pkt->next;
	}
	while (pkt && done < len) {
		size_t n = UST_MIN(len - done, (size_t)pkt->len - skip);
		struct ust_pkt *next = pkt->next;

		n = dst_copy(d, pkt->data + skip, n);
		done += n;
		skip = 0;
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
		sk->rmem_alloc -= tcp_truesize(pkt);
		ust_pkt_free(pkt);
		pkt = next;
	}
	if (!peek) {
		sk->rcv_queued -= (uint32_t)done;
		sk->copied_seq += (uint32_t)done;
	}
	return done;
}

/* A sleeping reader wakes for new data, the end of input, or an error. */
static bool data_or_end(const struct ust_sock *sk)
{
	return sk->rcv_queued > sk->rcv_wait_seen || (sk->sk_shutdown & RCV_SHUTDOWN) || sk->sk_err ||
	       sk->sk_state == TCP_CLOSE;
}

/* sock_rcvlowat: how many bytes satisfy this read. */
static size_t rcv_target(const struct ust_sock *sk, int flags, size_t len)
{
	size_t lowat = sk->sk_rcvlowat > 0 ? (size_t)sk->sk_rcvlowat : 1;

	if (flags & MSG_WAITALL)
		return len;
	return UST_MAX(UST_MIN(lowat, len), (size_t)1);
}

static ssize_t tcp_recvmsg(struct ust_sockets *s, struct ust_sock *sk, struct rcv_dst *d, size_t len, int flags)
{
	bool nonblock = (sk->sk_flags & SOCK_NONBLOCK_F) || (flags & MSG_DONTWAIT);
	bool peek = flags & MSG_PEEK;
	uint64_t timeo = sk->sk_rcvtimeo, deadline = 0;
	size_t target = rcv_target(sk, flags, len), copied = 0;
	ssize_t err = 0;

	if (sk->sk_state == TCP_LISTEN)
		return -ENOTCONN;
	if (flags & MSG_OOB)
		return -EINVAL;   /* no urgent data is kept */
	d->discard = flags & MSG_TRUNC;
	if (timeo)
		deadline = s->tcp->core->now + timeo;
	while (copied < len) {
		if (sk->rcv_queued > (peek ? copied : 0)) {
			copied += copy_out(sk, d, len - copied, peek ? copied : 0, peek);
			if (copied >= target || copied >= len)
				break;
			continue;
		}
		if (copied) {
			if (sk->sk_err || sk->sk_state == TCP_CLOSE || (sk->sk_shutdown & RCV_SHUTDOWN) || nonblock)
				break;
		} else {
			if (sk->sk_flags & SOCK_DONE)
				break;
			if (sk->sk_err) {
				err = -sk->sk_err;
				sk->sk_err = 0;
				break;
			}
			if (sk->sk_shutdown & RCV_SHUTDOWN)
				break;
			if (sk->sk_state == TCP_CLOSE) {
				err = -ENOTCONN;
				break;
			}
			if (nonblock) {
				err = -EAGAIN;
				break;
			}
		}
		/* Before sleeping, let the peer know the room this read made. */
		if (copied)
			tcp_cleanup_rbuf(sk, (int)copied);
		sk->rcv_wait_seen = peek ? (uint32_t)copied : 0;
		if (timeo && (int64_t)(deadline - s->tcp->core->now) <= 0) {
			err = copied ? 0 : -EAGAIN;
			break;
		}
		if (ust_sk_wait(s, sk, timeo ? deadline - s->tcp->core->now : 0, data_or_end, false)) {
			if (!data_or_end(sk)) {
				err = copied ? 0 : -EAGAIN;
				break;
			}
		}
	}
	tcp_rcv_space_adjust(sk);
	tcp_cleanup_rbuf(sk, (int)copied);   /* peeking too, as Linux: an owed ACK may go */
	return copied ? (ssize_t)copied : err;
}

static ssize_t recv_iov(struct ust_stack *st, int fd, const struct iovec *iov, int iovcnt, int flags)
{
	struct ust_sockets *s = ust_stack_sockets(st);
	struct rcv_dst d = { .iov = iov, .iovcnt = iovcnt };
	struct ust_sock *sk;
	size_t len = 0;
	ssize_t ret;

	if (iovcnt < 0 || iovcnt > 1024 /* UIO_MAXIOV */ || (iovcnt && !iov)) {
		errno = EINVAL;
		return -1;
	}
	for (int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > SSIZE_MAX - len) {
			errno = EINVAL;
			return -1;
		}
		len += iov[i].iov_len;
	}
	ust_sockets_enter(st);
	sk = ust_fd_get(s, fd);
	ret = sk ? tcp_recvmsg(s, sk, &d, len, flags) : -EBADF;
	if (sk)
		ust_sock_put_after_wait(s, sk);
	ust_sockets_unlock(s);
	if (ret < 0) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

ssize_t ust_recv(struct ust_stack *st, int fd, void *buf, size_t len, int flags)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	return recv_iov(st, fd, &iov, 1, flags);
}

ssize_t ust_read(struct ust_stack *st, int fd, void *buf, size_t len)
{
	return ust_recv(st, fd, buf, len, 0);
}

ssize_t ust_readv(struct ust_stack *st, int fd, const struct iovec *iov, int iovcnt)
{
	return recv_iov(st, fd, iov, iovcnt, 0);
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
	ust_sockets_enter(st);
	sk = ust_fd_get(s, fd);
	ret = sk ? tcp_send_iov(s, sk, iov, iovcnt, flags) : -EBADF;
	if (sk)
		ust_sock_put_after_wait(s, sk);
	ust_sockets_unlock(s);
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
