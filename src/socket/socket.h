/*
 * The socket layer: file descriptors over TCP sockets, the socket-call
 * semantics of Linux's af_inet.c (inet_stream_connect, inet_accept, ...), and
 * the waits of blocking calls.
 *
 * Locking: one mutex per stack (core->lock) serialises every call and the
 * stack's own thread; a blocked call sleeps on its socket's condition variable
 * (or the stack's poll condition) with the mutex released, and is woken by
 * tcp_wake() from the stack's thread.
 */
#ifndef UST_SOCKET_SOCKET_H
#define UST_SOCKET_SOCKET_H

#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include "tcp/tcp.h"

#define UST_FD_BASE 3

struct ust_sockets {
	struct ust_tcp *tcp;
	pthread_mutex_t *lock;
	pthread_cond_t poll_wq;       /* poll() sleepers: woken by any socket event */
	uint32_t poll_waiters;
	struct ust_sock **fds;        /* index fd - UST_FD_BASE */
	uint64_t *used;               /* bitmap of fds in use */
	uint32_t nfds;                /* capacity */
	uint32_t hint;                /* no free fd below hint * 64 */
	uint32_t open;
	uint32_t max_fds;
	/* Per descriptor, allocated with the first epoll instance: the instance
	 * an epoll fd is, or the epoll entries watching a socket fd (Linux's
	 * file->f_ep). Parallel to fds, so sockets pay nothing without epoll. */
	struct ust_fd_ep *fdep;
	struct ust_evloop *evloop;    /* the event fd's state, once asked for (api/evloop.c) */
};

struct ust_eventpoll;
struct ust_fd_ep {
	struct ust_eventpoll *ep;
	struct ust_hlist_head watch;  /* struct ust_epitem.fllink */
};

int ust_sockets_init(struct ust_sockets *s, struct ust_tcp *tcp, pthread_mutex_t *lock, uint32_t max_fds);
/* Frees the descriptor table. Nothing is sent and no socket is walked: the
 * sockets, open or orphaned, go with the TCP layer's pools right after. */
void ust_sockets_destroy(struct ust_sockets *s);

/* Every public socket and epoll call (socket.c): enter takes the stack lock
 * and reads the clock once; unlock lets the event fd re-arm for timers the
 * call may have moved and unlocks; leave also turns a negative ret into -1
 * and errno (calls returning a byte count use unlock and do that themselves). */
struct ust_stack;
struct ust_sockets *ust_sockets_enter(struct ust_stack *st);
void ust_sockets_unlock(struct ust_sockets *s);
int ust_sockets_leave(struct ust_sockets *s, int ret);

/* fd table (fdtable.c) */
int ust_fd_alloc(struct ust_sockets *s, struct ust_sock *sk);
struct ust_sock *ust_fd_get(struct ust_sockets *s, int fd);
void ust_fd_release(struct ust_sockets *s, int fd);
/* epoll descriptors share the numbers; ust_fd_get() returns NULL for them. */
int ust_fd_alloc_ep(struct ust_sockets *s, struct ust_eventpoll *ep);
struct ust_eventpoll *ust_fd_get_ep(struct ust_sockets *s, int fd);
/* The epoll entries watching fd, or NULL when no epoll instance was ever made. */
struct ust_hlist_head *ust_fd_watch(struct ust_sockets *s, int fd);

/* epoll (epoll.c) */
/* Linux's ep_poll_callback for every entry watching sk: called on each wake. */
void ep_sock_wake(struct ust_sockets *s, struct ust_sock *sk);
/* Linux's eventpoll_release: fd is being closed; drop it from every set. */
void eventpoll_release(struct ust_sockets *s, int fd);
/* ust_close() of an epoll descriptor. */
void ep_close(struct ust_sockets *s, int fd, struct ust_eventpoll *ep);
/* Threads asleep in ust_epoll_wait on epfd (tests use it to close at the right time). */
uint32_t ep_waiters(struct ust_sockets *s, int epfd);
/* Teardown: every instance and entry. */
void ep_destroy_all(struct ust_sockets *s);

/* The event fd (api/evloop.c): re-arm its timerfd if a call armed an earlier
 * timer. Called with the lock held, at the end of socket calls. */
void ust_evloop_check(struct ust_evloop *evl);

/* Waits (wait.c): sleep with the stack lock held until *cond(sk) or the
 * stack-clock timeout passes. timeo_ns 0 = forever. Returns 0 when cond holds,
 * -EAGAIN on timeout. */
int ust_sk_wait(struct ust_sockets *s, struct ust_sock *sk, uint64_t timeo_ns,
		bool (*cond)(const struct ust_sock *sk), bool exclusive);
void ust_sock_wake(struct ust_sock *sk);

/* close() of a socket: the connection side (tcp_close) and the memory. A call
 * still asleep on sk keeps it alive, as the file reference of a blocked
 * syscall does in Linux; the last sleeper to leave finishes the close. */
void ust_sock_close(struct ust_sockets *s, struct ust_sock *sk);
/* After a wait: finish a close that came meanwhile, if this was the last sleeper. */
void ust_sock_put_after_wait(struct ust_sockets *s, struct ust_sock *sk);

/* readiness (poll.c) */
short ust_tcp_poll(const struct ust_sock *sk);
/* getsockopt(TCP_INFO) in Linux's struct tcp_info layout (tcp_info.c). */
int tcp_getsockopt_info(const struct ust_sock *sk, void *val, socklen_t *len);

#endif
