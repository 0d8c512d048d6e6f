/*
 * Handshake timers (spec §12), each embedded in the object it serves:
 *
 *  - the retransmit timer of a socket in SYN_SENT or SYN_RECV (simultaneous
 *    open) resends the SYN: RTO 1 s, kept for tcp_syn_linear_timeouts timeouts
 *    in SYN_SENT, then doubled up to TCP_RTO_MAX; the attempt ends with
 *    ETIMEDOUT after tcp_syn_retries (+ the linear ones) retransmissions
 *    (tcp_retransmit_timer, tcp_write_timeout);
 *  - past the handshake the same timer is the data RTO (tcp_retransmit_timer:
 *    Loss state, the head again, RTO doubled; ETIMEDOUT after tcp_retries2
 *    worth of time from TCP_RTO_MIN, 8 for orphans) or the zero-window probe
 *    timer (tcp_probe_timer), told apart by icsk_pending;
 *  - a request sock's timer resends the SYN-ACK at 1, 3, 7, 15, 31 s and lets
 *    the request die silently at 63 s (reqsk_timer_handler), sooner when the
 *    SYN queue is mostly old requests (T-5), later under TCP_DEFER_ACCEPT (T-6);
 *  - the delayed-ACK timer sends the ACK the receiver held back for ato
 *    (tcp_rcv_ack.c arms it; tcp_delack_timer).
 */
#include <errno.h>
#include "tcp/tcp.h"

static void tcp_retransmit_timer(struct ust_timer *t);
static void tcp_delack_timer(struct ust_timer *t);

void tcp_init_xmit_timers(struct ust_sock *sk)
{
	ust_timer_init(&sk->icsk_retransmit_timer, tcp_retransmit_timer);
	ust_timer_init(&sk->icsk_delack_timer, tcp_delack_timer);
}

void tcp_clear_xmit_timers(struct ust_sock *sk)
{
	struct ust_timer_wheel *w = &sk->tcp->core->timers;

	ust_timer_cancel(w, &sk->icsk_retransmit_timer);
	ust_timer_cancel(w, &sk->icsk_delack_timer);
	sk->icsk_pending = 0;
}

void tcp_reset_xmit_timer(struct ust_sock *sk, uint32_t when_ms)
{
	ust_core_timer_arm_ms(sk->tcp->core, &sk->icsk_retransmit_timer, when_ms);
	tcp_trace_sk(sk, UST_TRACE_TIMER, "inet_csk_reset_xmit_timer", "retransmit timer armed: %u ms", when_ms);
}

/* tcp_write_err: the stored ICMP error if there is one, else ETIMEDOUT. */
static void tcp_write_err(struct ust_sock *sk)
{
	sk->sk_err = sk->sk_err_soft ? sk->sk_err_soft : ETIMEDOUT;
	UST_INC_STATS(sk->tcp->core, LINUX_MIB_TCPABORTONTIMEOUT);
	tcp_trace_sk(sk, UST_TRACE_DROP, "tcp_write_err", "gave up after %u retransmissions", sk->icsk_retransmits);
	tcp_done(sk);
}

/*
 * tcp_model_timeout: how long `boundary` exponential retransmissions from
 * rto_base take, with the RTO capped at TCP_RTO_MAX.
 */
static uint32_t tcp_model_timeout(unsigned boundary, uint32_t rto_base)
{
	unsigned thresh = 0;

	while ((rto_base << (thresh + 1)) <= TCP_RTO_MAX)
		thresh++;       /* ilog2(TCP_RTO_MAX / rto_base) */
	if (boundary <= thresh)
		return ((2u << boundary) - 1) * rto_base;
	return ((2u << thresh) - 1) * rto_base + (boundary - thresh) * (uint32_t)TCP_RTO_MAX;
}

/*
 * T-2, tcp_write_timeout: the attempt is over when it has retransmitted
 * TCP_SYNCNT (or tcp_syn_retries) times, plus the linear ones in SYN_SENT, or
 * when as much time has passed since the first SYN as that many doubling
 * retransmissions would take (retransmits_timed_out). With the defaults both
 * end it at 131 s; TCP_SYNCNT=1 ends it by time, at 3 s.
 */
static bool tcp_write_timeout(struct ust_sock *sk)
{
	const struct ust_sysctl *sc = &sk->tcp->core->sysctl;
	unsigned retry_until = sk->icsk_syn_retries ? sk->icsk_syn_retries : (unsigned)sc->tcp_syn_retries;
	unsigned max = retry_until;

	if (sk->sk_state == TCP_SYN_SENT)
		max += (unsigned)sc->tcp_syn_linear_timeouts;
	if (sk->icsk_retransmits < max &&
	    (!sk->icsk_retransmits ||
	     (int32_t)(tcp_model_timeout(retry_until, TCP_TIMEOUT_INIT) -
		       (tcp_time_ms(sk->tcp) - sk->retrans_stamp)) > 0))
		return false;
	tcp_write_err(sk);
	return true;
}

/*
 * The data RTO (tcp_retransmit_timer past the handshake): give up after
 * tcp_retries2 worth of backed-off time (from TCP_RTO_MIN, as
 * tcp_model_timeout counts it) since the first retransmission; otherwise
 * Loss state, the head again, and the RTO doubled.
 */
/*
 * tcp_orphan_retries: an orphan (closed by the application) has
 * tcp_orphan_retries, whose default 0 means 8 while the RTO has not reached
 * its maximum (about 100 s from TCP_RTO_MIN), and none after an ICMP error.
 */
static unsigned tcp_retry_until(const struct ust_sock *sk)
{
	bool alive = sk->icsk_rto < TCP_RTO_MAX;

	if (!(sk->sk_flags & SOCK_DEAD))
		return (unsigned)sk->tcp->core->sysctl.tcp_retries2;
	if (sk->sk_err_soft && !alive)
		return 0;
	return alive ? 8 : 0;
}

static void tcp_data_retransmit_timer(struct ust_sock *sk)
{
	struct ust_tcp *tcp = sk->tcp;
	unsigned retries2 = tcp_retry_until(sk);

	if (!sk->packets_out || !sk->wq_head)
		return;
	UST_INC_STATS(tcp->core, LINUX_MIB_TCPTIMEOUTS);
	tcp_trace_sk(sk, UST_TRACE_TIMER, "tcp_retransmit_timer", "fired (%u retransmissions so far, rto %u ms)",
		     sk->icsk_retransmits, sk->icsk_rto);
	if (sk->icsk_retransmits && sk->retrans_stamp &&
	    (int32_t)(tcp_time_ms(tcp) - sk->retrans_stamp - tcp_model_timeout(retries2, TCP_RTO_MIN)) >= 0) {
		tcp_write_err(sk);
		return;
	}
	/* The first timeout says which repair failed (tcp_retransmit_timer). */
	if (!sk->icsk_retransmits) {
		int mib = -1;

		if (sk->ca_state == TCP_CA_Recovery)
			mib = sk->sack_ok ? LINUX_MIB_TCPSACKRECOVERYFAIL : LINUX_MIB_TCPRENORECOVERYFAIL;
		else if (sk->ca_state == TCP_CA_Loss)
			mib = LINUX_MIB_TCPLOSSFAILURES;
		else if (sk->ca_state == TCP_CA_Disorder || sk->sacked_out)
			mib = sk->sack_ok ? LINUX_MIB_TCPSACKFAILURES : LINUX_MIB_TCPRENOFAILURES;
		if (mib >= 0)
			UST_INC_STATS(tcp->core, mib);
	}
	tcp_enter_loss(sk);
	if (sk->icsk_retransmits < 255)
		sk->icsk_retransmits++;
	if (tcp_retransmit_skb(sk, sk->wq_head) == 0 && sk->icsk_backoff < TCP_MAX_BACKOFF)
		sk->icsk_backoff++;
	sk->icsk_rto = UST_MIN(sk->icsk_rto * 2, (uint32_t)TCP_RTO_MAX);
	sk->icsk_pending = ICSK_TIME_RETRANS;
	tcp_reset_xmit_timer(sk, sk->icsk_rto);
}

/*
 * tcp_probe_timer: the window is still shut and nothing is in flight. After
 * tcp_retries2 unanswered probes the connection is given up, as Linux does.
 */
static void tcp_probe_timer(struct ust_sock *sk)
{
	if (sk->packets_out || !sk->send_head) {
		sk->icsk_probes_out = 0;
		return;
	}
	if (sk->icsk_probes_out >= tcp_retry_until(sk)) {
		tcp_write_err(sk);
		return;
	}
	tcp_send_probe0(sk);
}

static void tcp_retransmit_timer(struct ust_timer *t)
{
	struct ust_sock *sk = container_of(t, struct ust_sock, icsk_retransmit_timer);
	const struct ust_sysctl *sc = &sk->tcp->core->sysctl;

	if (sk->sk_state == TCP_FIN_WAIT2 && (sk->sk_flags & SOCK_DEAD)) {
		/* An orphan waited tcp_fin_timeout for the peer's FIN (tcp_fin_time). */
		tcp_trace_sk(sk, UST_TRACE_TIMER, "tcp_keepalive_timer", "FIN_WAIT2 timeout: orphan closed");
		tcp_done(sk);
		return;
	}
	if (!(TCPF(sk->sk_state) & (TCPF(TCP_SYN_SENT) | TCPF(TCP_SYN_RECV)))) {
		/* tcp_write_timer_handler: one timer, two uses. */
		uint8_t pending = sk->icsk_pending;

		sk->icsk_pending = 0;
		if (pending == ICSK_TIME_PROBE0)
			tcp_probe_timer(sk);
		else if (pending == ICSK_TIME_RETRANS)
			tcp_data_retransmit_timer(sk);
		return;
	}
	UST_INC_STATS(sk->tcp->core, LINUX_MIB_TCPTIMEOUTS);
	tcp_trace_sk(sk, UST_TRACE_TIMER, "tcp_retransmit_timer", "fired (%u retransmissions so far)",
		     sk->icsk_retransmits);
	if (tcp_write_timeout(sk))
		return;
	tcp_send_syn(sk, true);
	sk->icsk_retransmits++;
	/* Linux >= 6.5: SYN_SENT keeps RTO for the first tcp_syn_linear_timeouts. */
	if (sk->sk_state != TCP_SYN_SENT || sk->icsk_retransmits > (unsigned)sc->tcp_syn_linear_timeouts)
		sk->icsk_rto = UST_MIN(sk->icsk_rto * 2, (uint32_t)TCP_RTO_MAX);
	tcp_reset_xmit_timer(sk, sk->icsk_rto);
}

/*
 * tcp_delack_timer: the ACK we held back is due. A missed delayed ACK (data
 * kept coming slower than ato) doubles ato up to the RTO; in pingpong mode it
 * means the conversation is not interactive after all: leave it, ato back to
 * 40 ms. An earlier ACK may have moved the deadline: rearm for it.
 */
static void tcp_delack_timer(struct ust_timer *t)
{
	struct ust_sock *sk = container_of(t, struct ust_sock, icsk_delack_timer);
	uint32_t now = tcp_time_ms(sk->tcp);

	if ((TCPF(sk->sk_state) & (TCPF(TCP_CLOSE) | TCPF(TCP_LISTEN))) || !(sk->icsk_pending_ack & ICSK_ACK_TIMER))
		return;
	if ((int32_t)(sk->icsk_ack_timeout - now) > 0) {
		ust_core_timer_arm_ms(sk->tcp->core, &sk->icsk_delack_timer, sk->icsk_ack_timeout - now);
		return;
	}
	sk->icsk_pending_ack &= (uint8_t)~ICSK_ACK_TIMER;
	if (!(sk->icsk_pending_ack & ICSK_ACK_SCHED))
		return;
	if (!sk->icsk_ack_pingpong) {
		sk->icsk_ack_ato = (uint16_t)UST_MIN((uint32_t)sk->icsk_ack_ato << 1, sk->icsk_rto);
	} else {
		sk->icsk_ack_pingpong = 0;
		sk->icsk_ack_ato = TCP_ATO_MIN;
	}
	tcp_trace_sk(sk, UST_TRACE_TIMER, "tcp_delack_timer", "delayed ACK sent (ato now %u ms)", sk->icsk_ack_ato);
	tcp_send_ack(sk);
	UST_INC_STATS(sk->tcp->core, LINUX_MIB_DELAYEDACKS);
}

/*
 * T-3/T-5: how many SYN-ACK timeouts a request may have. Under load (more than
 * half the queue), one fewer for each doubling of qlen over the young requests,
 * down to 2, so old requests make room (reqsk_timer_handler).
 */
static unsigned synack_retry_limit(const struct ust_sock *lsk)
{
	const struct ust_sysctl *sc = &lsk->tcp->core->sysctl;
	unsigned max = lsk->icsk_syn_retries ? lsk->icsk_syn_retries : (unsigned)sc->tcp_synack_retries;
	uint32_t qlen = lsk->qlen;

	if ((qlen << 1) > UST_MAX(8u, lsk->sk_max_ack_backlog)) {
		uint64_t young = (uint64_t)lsk->young << 1;

		while (max > 2) {
			if (qlen < young)
				break;
			max--;
			young <<= 1;
		}
	}
	return max;
}

void reqsk_timer_handler(struct ust_timer *t)
{
	struct request_sock *req = container_of(t, struct request_sock, rsk_timer);
	struct ust_sock *lsk = req->rsk_listener;
	unsigned max = synack_retry_limit(lsk);
	unsigned defer = lsk->defer_accept;
	bool expire, resend;

	/* T-4: the listener is gone; the request goes with it. */
	if (lsk->sk_state != TCP_LISTEN) {
		inet_csk_reqsk_queue_drop(lsk, req);
		return;
	}
	/* T-6, syn_ack_recalc */
	if (!defer) {
		expire = req->num_timeout >= max;
		resend = true;
	} else {
		expire = req->num_timeout >= max && (!req->acked || req->num_timeout >= defer);
		resend = !req->acked || (unsigned)req->num_timeout + 1 >= defer;
	}
	UST_INC_STATS(lsk->tcp->core, LINUX_MIB_TCPTIMEOUTS);
	tcp_trace_req(req, UST_TRACE_TIMER, "reqsk_timer_handler", "fired (timeout %u of %u)%s",
		      req->num_timeout + 1, max, expire ? ": request expires" : "");
	if (!expire && (!resend || tcp_send_synack(req, NULL, true) == 0 || req->acked)) {
		if (req->num_timeout++ == 0)
			lsk->young--;
		ust_core_timer_arm_ms(lsk->tcp->core, &req->rsk_timer,
				      UST_MIN((uint64_t)TCP_TIMEOUT_INIT << req->num_timeout, (uint64_t)TCP_RTO_MAX));
		return;
	}
	inet_csk_reqsk_queue_drop(lsk, req);
}
