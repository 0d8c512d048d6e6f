/*
 * When the receiver ACKs (Linux's __tcp_ack_snd_check, tcp_send_delayed_ack,
 * tcp_cleanup_rbuf, quickack and pingpong of inet_connection_sock.h): at once
 * in quickack mode (the start of a connection, after out-of-order data or a
 * long silence), for more than a segment unACKed, when a hole fills or data
 * waits out of order; otherwise within ato (40 ms and up, 200 ms at most)
 * by the delack timer (tcp_timer.c). Interactive connections (replies sent
 * within ato) delay their ACKs to let them ride on the replies.
 */
#include "tcp/tcp_rcv.h"

/* --- quickack and pingpong (include/net/inet_connection_sock.h) ---------- */

void tcp_incr_quickack(struct ust_sock *sk, unsigned max_quickacks)
{
	unsigned quickacks = sk->rcv_wnd / (2u * sk->icsk_ack_rcv_mss);

	if (!quickacks)
		quickacks = 2;
	quickacks = UST_MIN(quickacks, max_quickacks);
	if (quickacks > sk->icsk_ack_quick)
		sk->icsk_ack_quick = (uint8_t)quickacks;
}

void tcp_enter_quickack_mode(struct ust_sock *sk, unsigned max_quickacks)
{
	tcp_rcv_ensure_init(sk);
	tcp_incr_quickack(sk, max_quickacks);
	sk->icsk_ack_pingpong = 0;
	sk->icsk_ack_ato = TCP_ATO_MIN;
}

static bool tcp_in_quickack_mode(const struct ust_sock *sk)
{
	return sk->icsk_ack_quick && !sk->icsk_ack_pingpong;
}

/* Every segment with our ACK on it: one quick ACK fewer, nothing owed. */
void tcp_event_ack_sent(struct ust_sock *sk)
{
	if (sk->icsk_ack_quick) {
		unsigned pkts = (sk->icsk_pending_ack & ICSK_ACK_SCHED) ? 1 : 0;

		if (pkts >= sk->icsk_ack_quick) {
			sk->icsk_ack_quick = 0;
			sk->icsk_ack_ato = TCP_ATO_MIN;   /* leaving quickack mode deflates ato */
		} else {
			sk->icsk_ack_quick -= (uint8_t)pkts;
		}
	}
	sk->icsk_pending_ack = 0;
	ust_timer_cancel(&sk->tcp->core->timers, &sk->icsk_delack_timer);
}

void tcp_event_data_sent(struct ust_sock *sk)
{
	if (tcp_time_ms(sk->tcp) - sk->icsk_ack_lrcvtime < sk->icsk_ack_ato)
		sk->icsk_ack_pingpong = 1;   /* TCP_PINGPONG_THRESH is 1 */
}

/* TCP_QUICKACK: 0 delays ACKs (pingpong); 1 ACKs what is owed now. */
void tcp_sock_set_quickack(struct ust_sock *sk, int val)
{
	if (!val) {
		sk->icsk_ack_pingpong = 1;
		return;
	}
	sk->icsk_ack_pingpong = 0;
	if ((TCPF(sk->sk_state) & (TCPF(TCP_ESTABLISHED) | TCPF(TCP_CLOSE_WAIT))) &&
	    (sk->icsk_pending_ack & ICSK_ACK_SCHED)) {
		sk->icsk_pending_ack |= ICSK_ACK_PUSHED;
		tcp_cleanup_rbuf(sk, 1);
		if (!(val & 1))
			sk->icsk_ack_pingpong = 1;
	}
}

/* --- when to ACK --------------------------------------------------------- */

/* tcp_send_delayed_ack: within ato, keeping an earlier deadline. */
static void tcp_send_delayed_ack(struct ust_sock *sk)
{
	uint32_t ato = sk->icsk_ack_ato, now = tcp_time_ms(sk->tcp), timeout;

	if (ato > TCP_DELACK_MIN) {
		uint32_t max_ato = 500;   /* HZ / 2 */

		if (sk->icsk_ack_pingpong || (sk->icsk_pending_ack & ICSK_ACK_PUSHED))
			max_ato = TCP_DELACK_MAX;
		ato = UST_MIN(ato, max_ato);
	}
	ato = UST_MIN(ato, (uint32_t)TCP_DELACK_MAX);
	timeout = now + ato;
	if (sk->icsk_pending_ack & ICSK_ACK_TIMER) {
		/* The timer is about to fire anyway: ACK now. */
		if ((int32_t)(sk->icsk_ack_timeout - (now + (ato >> 2))) <= 0) {
			tcp_send_ack(sk);
			return;
		}
		if ((int32_t)(timeout - sk->icsk_ack_timeout) >= 0)
			timeout = sk->icsk_ack_timeout;
	}
	sk->icsk_pending_ack |= ICSK_ACK_SCHED | ICSK_ACK_TIMER;
	sk->icsk_ack_timeout = timeout;
	ust_core_timer_arm_ms(sk->tcp->core, &sk->icsk_delack_timer, timeout - now);
	tcp_trace_sk(sk, UST_TRACE_TIMER, "tcp_send_delayed_ack", "delayed ACK in %u ms", timeout - now);
}

/*
 * __tcp_ack_snd_check: ACK at once when more than a segment is unACKed and
 * the window would not shrink (or the reader waits below SO_RCVLOWAT), in
 * quickack mode, when something demands it (hole filled), or while data is
 * out of order; otherwise delay. Linux compresses the fourth and later
 * duplicate ACKs of one hole (tcp_comp_sack_*); these go out at once here.
 */
void tcp_ack_snd_check(struct ust_sock *sk)
{
	uint32_t lowat = sk->sk_rcvlowat ? (uint32_t)sk->sk_rcvlowat : 1;

	if (!(sk->icsk_pending_ack & ICSK_ACK_SCHED))
		return;
	if ((sk->rcv_nxt - sk->rcv_wup > sk->icsk_ack_rcv_mss &&
	     (sk->rcv_nxt - sk->copied_seq < lowat || __tcp_select_window(sk) >= sk->rcv_wnd)) ||
	    tcp_in_quickack_mode(sk) || (sk->icsk_pending_ack & ICSK_ACK_NOW) || sk->ofo_head) {
		tcp_send_ack(sk);
		return;
	}
	tcp_send_delayed_ack(sk);
}

/*
 * tcp_cleanup_rbuf: after a read, send the ACK we owe when more than a segment
 * waits for it or the reader emptied a queue of small pushed segments, or a
 * window update when the read at least doubled a window that had closed to
 * half the clamp or less.
 */
void tcp_cleanup_rbuf(struct ust_sock *sk, int copied)
{
	bool time_to_ack = false;

	if (!(TCPF(sk->sk_state) & (TCPF(TCP_ESTABLISHED) | TCPF(TCP_FIN_WAIT1) | TCPF(TCP_FIN_WAIT2) |
				    TCPF(TCP_CLOSE_WAIT))))
		return;
	tcp_rcv_ensure_init(sk);
	if (sk->icsk_pending_ack & ICSK_ACK_SCHED) {
		if (sk->rcv_nxt - sk->rcv_wup > sk->icsk_ack_rcv_mss ||
		    (copied > 0 &&
		     ((sk->icsk_pending_ack & ICSK_ACK_PUSHED2) ||
		      ((sk->icsk_pending_ack & ICSK_ACK_PUSHED) && !sk->icsk_ack_pingpong)) &&
		     !sk->rmem_alloc))
			time_to_ack = true;
	}
	if (copied > 0 && !time_to_ack && !(sk->sk_shutdown & RCV_SHUTDOWN)) {
		uint32_t now_win = tcp_receive_window(sk);

		if (2 * now_win <= sk->window_clamp) {
			uint32_t new_win = __tcp_select_window(sk);

			if (new_win && new_win >= 2 * now_win)
				time_to_ack = true;
		}
	}
	if (time_to_ack)
		tcp_send_ack(sk);
}

