/*
 * Socket calls on a stack, as the BSD socket API and Linux define them: the
 * same arguments, the same errno values. File descriptors are the stack's own
 * (the lowest free number from 3, as a process's fresh descriptors would be);
 * they are not kernel descriptors.
 *
 * Blocking calls (connect, accept, poll, read) sleep until the stack's thread
 * makes progress: some thread must be running ust_stack_poll() (or advancing a
 * virtual clock) meanwhile. Timeouts (SO_RCVTIMEO, SO_SNDTIMEO, poll's) are
 * measured on the stack's clock, virtual or real. All calls are thread-safe.
 */
#ifndef USTACK_SOCKET_H
#define USTACK_SOCKET_H

#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include "ustack/stack.h"

#ifdef __cplusplus
extern "C" {
#endif

UST_API int ust_socket(struct ust_stack *st, int domain, int type, int protocol);
UST_API int ust_bind(struct ust_stack *st, int fd, const struct sockaddr *addr, socklen_t len);
UST_API int ust_listen(struct ust_stack *st, int fd, int backlog);
UST_API int ust_connect(struct ust_stack *st, int fd, const struct sockaddr *addr, socklen_t len);
UST_API int ust_accept(struct ust_stack *st, int fd, struct sockaddr *addr, socklen_t *len);
/* flags: SOCK_NONBLOCK (SOCK_CLOEXEC is accepted and means nothing here). */
UST_API int ust_accept4(struct ust_stack *st, int fd, struct sockaddr *addr, socklen_t *len, int flags);
UST_API int ust_close(struct ust_stack *st, int fd);
UST_API int ust_shutdown(struct ust_stack *st, int fd, int how);
UST_API int ust_getsockname(struct ust_stack *st, int fd, struct sockaddr *addr, socklen_t *len);
UST_API int ust_getpeername(struct ust_stack *st, int fd, struct sockaddr *addr, socklen_t *len);
UST_API int ust_setsockopt(struct ust_stack *st, int fd, int level, int name, const void *val, socklen_t len);
UST_API int ust_getsockopt(struct ust_stack *st, int fd, int level, int name, void *val, socklen_t *len);
/* F_GETFL and F_SETFL (O_NONBLOCK). */
UST_API int ust_fcntl(struct ust_stack *st, int fd, int cmd, long arg);
UST_API int ust_poll(struct ust_stack *st, struct pollfd *fds, nfds_t nfds, int timeout_ms);
UST_API ssize_t ust_read(struct ust_stack *st, int fd, void *buf, size_t len);
UST_API ssize_t ust_recv(struct ust_stack *st, int fd, void *buf, size_t len, int flags);
/* readv(2): fills the buffers in order, as one read of their total length. */
UST_API ssize_t ust_readv(struct ust_stack *st, int fd, const struct iovec *iov, int iovcnt);
UST_API ssize_t ust_write(struct ust_stack *st, int fd, const void *buf, size_t len);
UST_API ssize_t ust_send(struct ust_stack *st, int fd, const void *buf, size_t len, int flags);
/* write() of several buffers as one message: one PSH at its end. */
UST_API ssize_t ust_writev(struct ust_stack *st, int fd, const struct iovec *iov, int iovcnt);

/*
 * The sockets of a stack, as ss(8) shows the kernel's: one entry per socket
 * with a descriptor, and one per child still waiting in a listener's accept
 * queue (fd -1). For a listener, recv_q is the accept queue's length and
 * send_q its backlog, as ss reports them; for a connection, unread and
 * unacknowledged bytes. syn_queue is a listener's request socks (qlen).
 */
struct ust_socket_info {
	int fd;
	int state;                  /* Linux's TCP state number (ust_tcp_state_name) */
	struct sockaddr_in local, peer;
	uint32_t recv_q, send_q;
	uint32_t syn_queue;
};

/* Fills up to max entries; returns how many sockets there are (may be more). */
UST_API int ust_socket_list(struct ust_stack *st, struct ust_socket_info *out, int max);
/* Prints them as `ss -tan` does: State Recv-Q Send-Q Local Peer (and SynQ). */
UST_API int ust_socket_list_print(struct ust_stack *st, FILE *f);

#ifdef __cplusplus
}
#endif
#endif
