/*
 * Readiness, as tcp_poll computes it (API-12, API-16), and poll() over a set of
 * descriptors, sleeping on the stack clock.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <poll.h>
#include "socket/socket.h"
#include "stack.h"

short ust_tcp_poll(const struct ust_sock *sk)
{
	short mask = 0;
	int state = sk->sk_state;

	if (state == TCP_LISTEN)
		return ust_list_empty(&sk->accept_queue) ? 0 : (POLLIN | POLLRDNORM);
	if (sk->sk_shutdown == (RCV_SHUTDOWN | SEND_SHUTDOWN) || state == TCP_CLOSE)
		mask |= POLLHUP;
	if (sk->sk_shutdown & RCV_SHUTDOWN)
		mask |= POLLIN | POLLRDNORM | POLLRDHUP;
	if (state != TCP_SYN_SENT && state != TCP_SYN_RECV) {
		/* tcp_epollin_ready: SO_RCVLOWAT bytes, or a buffer or window too
		 * full for more to come (tcp_rmem_pressure). */
		uint32_t lowat = sk->sk_rcvlowat > 0 ? (uint32_t)sk->sk_rcvlowat : 1;
		uint32_t rcvbuf = (uint32_t)sk->sk_rcvbuf;

		if (sk->rcv_queued &&
		    (sk->rcv_queued >= lowat || sk->rmem_alloc > rcvbuf - (rcvbuf >> 3) ||
		     tcp_receive_window(sk) <= sk->icsk_ack_rcv_mss))
			mask |= POLLIN | POLLRDNORM;
		/* After shutdown(SHUT_WR) a write fails at once, so it is "ready". */
		if ((sk->sk_shutdown & SEND_SHUTDOWN) || sk_stream_is_writeable(sk))
			mask |= POLLOUT | POLLWRNORM;
		else   /* as tcp_poll: ask tcp_new_space to wake us when room frees */
			((struct ust_sock *)sk)->sk_flags |= SOCK_NOSPACE;
	}
	if (sk->sk_err)
		mask |= POLLERR;
	return mask;
}

static int scan(struct ust_sockets *s, struct pollfd *fds, nfds_t nfds)
{
	int ready = 0;

	for (nfds_t i = 0; i < nfds; i++) {
		struct ust_sock *sk;

		fds[i].revents = 0;
		if (fds[i].fd < 0)
			continue;
		sk = ust_fd_get(s, fds[i].fd);
		if (!sk) {
			fds[i].revents = POLLNVAL;
		} else {
			/* POLLERR and POLLHUP are reported whether asked for or not. */
			short m = ust_tcp_poll(sk);

			fds[i].revents = m & (fds[i].events | POLLERR | POLLHUP);
		}
		if (fds[i].revents)
			ready++;
	}
	return ready;
}

struct poll_timeout {
	struct ust_timer timer;
	pthread_cond_t *cv;
	bool fired;
};

static void poll_timeout_fire(struct ust_timer *t)
{
	struct poll_timeout *pt = container_of(t, struct poll_timeout, timer);

	pt->fired = true;
	pthread_cond_broadcast(pt->cv);
}

int ust_poll(struct ust_stack *st, struct pollfd *fds, nfds_t nfds, int timeout_ms)
{
	struct ust_sockets *s = ust_stack_sockets(st);
	struct ust_core *core = s->tcp->core;
	struct poll_timeout pt = { .cv = &s->poll_wq };
	int ready;

	if (nfds && !fds) {
		errno = EFAULT;
		return -1;
	}
	pthread_mutex_lock(s->lock);
	ust_core_update_now(core);
	ready = scan(s, fds, nfds);
	if (!ready && timeout_ms != 0) {
		if (timeout_ms > 0) {
			ust_timer_init(&pt.timer, poll_timeout_fire);
			ust_timer_arm(&core->timers, &pt.timer, ust_jiffies(core) + (uint64_t)timeout_ms);
		}
		if (s->evloop)
			ust_evloop_check(s->evloop);
		s->poll_waiters++;
		while (!(ready = scan(s, fds, nfds)) && !pt.fired)
			pthread_cond_wait(&s->poll_wq, s->lock);
		s->poll_waiters--;
		if (timeout_ms > 0)
			ust_timer_cancel(&core->timers, &pt.timer);
	}
	if (s->evloop)
		ust_evloop_check(s->evloop);
	pthread_mutex_unlock(s->lock);
	return ready;
}
