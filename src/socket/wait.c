/*
 * Sleeping in a socket call (Linux's sk_wait_event, inet_wait_for_connect,
 * inet_csk_wait_for_connect). The timeout is a timer on the stack's own wheel,
 * so it runs on the stack's clock: virtual time in tests, like every other
 * timer. The timer lives on the sleeper's stack frame and is cancelled before
 * the call returns.
 */
#include <errno.h>
#include "socket/socket.h"

struct wait_timeout {
	struct ust_timer timer;
	struct ust_sock *sk;
	bool fired;
};

static void wait_timeout_fire(struct ust_timer *t)
{
	struct wait_timeout *wt = container_of(t, struct wait_timeout, timer);

	wt->fired = true;
	pthread_cond_broadcast(&wt->sk->sk_wq);
}

int ust_sk_wait(struct ust_sockets *s, struct ust_sock *sk, uint64_t timeo_ns,
		bool (*cond)(const struct ust_sock *sk), bool exclusive)
{
	struct ust_core *core = s->tcp->core;
	struct wait_timeout wt = { .sk = sk };
	bool ok;

	(void)exclusive;   /* wake-one is the waker's choice: see ust_sock_wake */
	if (timeo_ns) {
		ust_timer_init(&wt.timer, wait_timeout_fire);
		/* Round up: a timeout never ends early. */
		ust_timer_arm(&core->timers, &wt.timer,
			      ust_jiffies(core) + (timeo_ns + UST_TICK_NS - 1) / UST_TICK_NS);
	}
	if (s->evloop)
		ust_evloop_check(s->evloop);   /* the timeout may be the stack's next event */
	sk->sk_waiters++;
	while (!(ok = cond(sk)) && !wt.fired)
		pthread_cond_wait(&sk->sk_wq, s->lock);
	sk->sk_waiters--;
	if (timeo_ns)
		ust_timer_cancel(&core->timers, &wt.timer);
	return ok ? 0 : -EAGAIN;
}

/*
 * Wakes sleepers on sk and every poll(). A listener wakes one accept() at a
 * time (API-14: exclusive wake-up); the woken one re-checks the queue.
 */
void ust_sock_wake(struct ust_sock *sk)
{
	if (sk->sk_waiters) {
		if (sk->sk_state == TCP_LISTEN)
			pthread_cond_signal(&sk->sk_wq);
		else
			pthread_cond_broadcast(&sk->sk_wq);
	}
}
