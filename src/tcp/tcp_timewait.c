/*
 * TIME_WAIT minisocks (Linux's inet_timewait_sock.c and the TIME_WAIT half of
 * tcp_minisocks.c): see tcp_timewait.h for the object and its death rows.
 *
 *   tcp_time_wait              full socket -> minisock (ehash swap, port kept)
 *   tcp_timewait_state_process a segment for a minisock (from tcp_v4_rcv)
 *   tcp_twsk_unique            connect() taking over a TIME_WAIT tuple
 *   inet_twsk_kill             expiry, RST, reuse: the minisock goes
 */
#include <arpa/inet.h>
#include "tcp/tcp.h"

#define TW_ROW_LEN   0     /* every timeout is TCP_TIMEWAIT_LEN */
#define TW_ROW_OTHER 1

_Static_assert(sizeof(struct inet_timewait_sock) <= INET_TW_MAX_SIZE, "TIME_WAIT minisock over 96 bytes");

static void tw_row_run(struct ust_tcp *tcp, struct inet_tw_row *row)
{
	uint32_t now = tcp_time_ms(tcp);
	struct inet_timewait_sock *tw;

	while ((tw = ust_list_first(&row->list, struct inet_timewait_sock, tw_death_node))) {
		int32_t left = (int32_t)(tw->tw_expires - now);

		if (left > 0) {
			ust_core_timer_arm_ms(tcp->core, &row->timer, (uint64_t)left);
			return;
		}
		inet_twsk_kill(tcp, tw);
	}
}

static void tw_row_len_timer(struct ust_timer *t)
{
	struct ust_tcp *tcp = container_of(t, struct ust_tcp, tw_rows[TW_ROW_LEN].timer);

	tw_row_run(tcp, &tcp->tw_rows[TW_ROW_LEN]);
}

static void tw_row_other_timer(struct ust_timer *t)
{
	struct ust_tcp *tcp = container_of(t, struct ust_tcp, tw_rows[TW_ROW_OTHER].timer);

	tw_row_run(tcp, &tcp->tw_rows[TW_ROW_OTHER]);
}

void inet_twsk_rows_init(struct ust_tcp *tcp)
{
	ust_list_init(&tcp->tw_rows[TW_ROW_LEN].list);
	ust_list_init(&tcp->tw_rows[TW_ROW_OTHER].list);
	ust_timer_init(&tcp->tw_rows[TW_ROW_LEN].timer, tw_row_len_timer);
	ust_timer_init(&tcp->tw_rows[TW_ROW_OTHER].timer, tw_row_other_timer);
}

/* Off its row; the row's timer follows a new first entry (or stops). */
static void tw_unschedule(struct ust_tcp *tcp, struct inet_timewait_sock *tw)
{
	struct inet_tw_row *row = &tcp->tw_rows[tw->tw_row];
	bool first = row->list.next == &tw->tw_death_node;

	if (!ust_list_linked(&tw->tw_death_node))
		return;
	ust_list_del(&tw->tw_death_node);
	if (!first)
		return;
	if (ust_list_empty(&row->list))
		ust_timer_cancel(&tcp->core->timers, &row->timer);
	else
		tw_row_run(tcp, row);
}

/*
 * inet_twsk_schedule / inet_twsk_reschedule: expiry in timeo_ms. The 60 s row
 * only ever appends; the other row is searched from its tail, where entries
 * with the same timeout (tcp_fin_timeout) stop the search at once.
 */
static void tw_schedule(struct ust_tcp *tcp, struct inet_timewait_sock *tw, uint32_t timeo_ms)
{
	struct inet_tw_row *row;
	struct ust_list *pos;

	tw_unschedule(tcp, tw);
	tw->tw_row = timeo_ms == TCP_TIMEWAIT_LEN ? TW_ROW_LEN : TW_ROW_OTHER;
	tw->tw_expires = tcp_time_ms(tcp) + timeo_ms;
	row = &tcp->tw_rows[tw->tw_row];
	for (pos = row->list.prev; pos != &row->list; pos = pos->prev) {
		const struct inet_timewait_sock *o = ust_list_entry(pos, struct inet_timewait_sock, tw_death_node);

		if ((int32_t)(o->tw_expires - tw->tw_expires) <= 0)
			break;
	}
	/* After pos (the list head when every entry expires later). */
	ust_list_add_head(pos, &tw->tw_death_node);
	if (row->list.next == &tw->tw_death_node)
		ust_core_timer_arm_ms(tcp->core, &row->timer, timeo_ms);
}

/* inet_twsk_bind_unhash: the minisock's hold on its port. */
static void tw_put_port(struct ust_tcp *tcp, struct inet_timewait_sock *tw)
{
	struct inet_hashinfo *h = &tcp->hashinfo;
	struct inet_bind_bucket *tb = h->bhash ? h->bhash[tw->tw_num] : NULL;

	if (!tb)
		return;
	tb->tw_count--;
	if (!tw->__tw_common.skc_reuse)
		tb->tw_noreuse--;
	if (--tb->num_owners)
		return;
	h->bhash[tb->port] = NULL;
	ust_objpool_free(&h->bucket_pool, tb);
}

void inet_twsk_kill(struct ust_tcp *tcp, struct inet_timewait_sock *tw)
{
	tw_unschedule(tcp, tw);
	inet_ehash_remove(&tcp->hashinfo, &tw->__tw_common);
	tw_put_port(tcp, tw);
	tcp->tw_count--;
	ust_objpool_free(&tcp->tw_pool, tw);
}

/* The window the minisock's ACKs carry: what the socket last offered. */
static uint16_t tw_window(struct ust_sock *sk)
{
	uint32_t win = sk->rcv_wup + sk->rcv_wnd - sk->rcv_nxt;

	if ((int32_t)win < 0)
		win = 0;
	return (uint16_t)UST_MIN(win >> sk->rcv_wscale, 65535u);
}

void tcp_time_wait(struct ust_sock *sk, int state, uint32_t timeo_ms)
{
	struct ust_tcp *tcp = sk->tcp;
	struct inet_timewait_sock *tw = NULL;
	struct inet_bind_bucket *tb = sk->icsk_bind_hash;

	if (state == TCP_TIME_WAIT)
		timeo_ms = TCP_TIMEWAIT_LEN;
	if (tcp->tw_count < (uint32_t)tcp->core->sysctl.tcp_max_tw_buckets && tb)
		tw = ust_objpool_alloc(&tcp->tw_pool);
	if (!tw) {
		UST_INC_STATS(tcp->core, LINUX_MIB_TCPTIMEWAITOVERFLOW);
		tcp_done(sk);
		return;
	}
	tw->__tw_common.skc_addrpair = sk->sk_common.skc_addrpair;
	tw->__tw_common.skc_portpair = sk->sk_common.skc_portpair;
	tw->__tw_common.skc_bound_dev_if = sk->sk_bound_dev_if;
	tw->__tw_common.skc_reuse = sk->sk_reuse;
	tw->__tw_common.skc_reuseport = sk->sk_reuseport;
	tw->__tw_common.skc_state = TCP_TIME_WAIT;
	ust_list_init(&tw->tw_death_node);
	tw->tw_substate = (uint8_t)state;
	tw->tw_rcv_nxt = sk->rcv_nxt;
	tw->tw_snd_nxt = sk->snd_nxt;
	tw->tw_rcv_wnd = tw_window(sk);
	tw->tw_tstamp_ok = sk->tstamp_ok;
	tw->tw_ts_recent = sk->ts_recent;
	tw->tw_ts_recent_stamp = sk->ts_recent_stamp;
	tw->tw_ts_offset = sk->tsoffset;
	tw->tw_entry_stamp = tcp_time_ms(tcp);
	tw->tw_last_oow_ack_time = sk->last_oow_ack_time;
	/* inet_twsk_hashdance: the minisock takes the socket's place in one step
	 * (a socket no longer hashed has no tuple to keep). */
	if (inet_ehash_insert(&tcp->hashinfo, &tw->__tw_common, &sk->sk_common)) {
		ust_objpool_free(&tcp->tw_pool, tw);
		tcp_done(sk);
		return;
	}
	tb->num_owners++;
	tb->tw_count++;
	if (!sk->sk_reuse)
		tb->tw_noreuse++;
	tcp->tw_count++;
	/* __inet_twsk_schedule: TW counts each entry, TWKilled the short ones. */
	UST_INC_STATS(tcp->core, timeo_ms <= 4000 ? LINUX_MIB_TIMEWAITKILLED : LINUX_MIB_TIMEWAITED);
	tw_schedule(tcp, tw, timeo_ms);
	tcp_trace_sk(sk, UST_TRACE_TABLE, "tcp_time_wait", "%s minisock took the socket's place in ehash",
		     state == TCP_TIME_WAIT ? "TIME_WAIT" : "FIN_WAIT2");
	tcp_done(sk);
}

static bool tw_in_window(uint32_t seq, uint32_t end_seq, uint32_t s_win, uint32_t e_win)
{
	if (seq == s_win)
		return true;
	if (after(end_seq, s_win) && before(seq, e_win))
		return true;
	return seq == e_win && seq == end_seq;
}

/* An ACK for an out-of-window segment, at most one per tcp_invalid_ratelimit
 * unless the segment carried data or FIN (tcp_timewait_check_oow_rate_limit). */
static enum tcp_tw_status tw_oow_ack(struct ust_tcp *tcp, struct inet_timewait_sock *tw,
				     const struct tcp_seg *seg, int mib)
{
	if ((seg->seq != seg->end_seq && !tcp_flag(seg, UST_TCP_SYN)) ||
	    !tcp_oow_rate_limited(tcp, &tw->tw_last_oow_ack_time, mib))
		return TCP_TW_ACK;
	return TCP_TW_SUCCESS;
}

/* The FIN_WAIT2 substate repeats tcp_rcv_state_process's checks; the peer's
 * FIN makes it a real TIME_WAIT. */
static enum tcp_tw_status tw_fin_wait2(struct ust_tcp *tcp, struct inet_timewait_sock *tw,
				       const struct tcp_seg *seg, bool paws_reject, bool saw_ts)
{
	if (paws_reject || !tw_in_window(seg->seq, seg->end_seq, tw->tw_rcv_nxt, tw->tw_rcv_nxt + tw->tw_rcv_wnd))
		return tw_oow_ack(tcp, tw, seg, LINUX_MIB_TCPACKSKIPPEDFINWAIT2);
	if (tcp_flag(seg, UST_TCP_RST)) {
		inet_twsk_kill(tcp, tw);
		return TCP_TW_SUCCESS;
	}
	if (tcp_flag(seg, UST_TCP_SYN) && !before(seg->seq, tw->tw_rcv_nxt))
		return TCP_TW_RST;
	if (!tcp_flag(seg, UST_TCP_ACK) || !after(seg->end_seq, tw->tw_rcv_nxt) || seg->end_seq == seg->seq)
		return TCP_TW_SUCCESS;         /* a duplicate ACK */
	/* Data after our half of the connection closed, or not just a FIN: reset. */
	if (!tcp_flag(seg, UST_TCP_FIN) || seg->end_seq != tw->tw_rcv_nxt + 1)
		return TCP_TW_RST;
	tw->tw_substate = TCP_TIME_WAIT;
	tw->tw_rcv_nxt = seg->end_seq;
	if (saw_ts) {
		tw->tw_entry_stamp = tcp_time_ms(tcp);
		tw->tw_ts_recent_stamp = tcp_time_s(tcp);
		tw->tw_ts_recent = seg->opt.tsval;
	}
	tw_schedule(tcp, tw, TCP_TIMEWAIT_LEN);
	return TCP_TW_ACK;
}

/*
 * tcp_timewait_state_process (RFC 793 TIME-WAIT, RFC 1122 4.2.2.13, RFC 7323):
 * in TIME_WAIT only a RST or a bare ACK at rcv_nxt is in window (a RST kills the
 * minisock, tcp_rfc1337 = 0); a SYN with a higher sequence number or a newer
 * timestamp may open a new connection; everything else is ACKed, and anything
 * with ACK (or rejected by PAWS) restarts the 60 s.
 */
enum tcp_tw_status tcp_timewait_state_process(struct ust_tcp *tcp, struct inet_timewait_sock *tw,
					      const struct tcp_seg *seg, uint32_t *tw_isn)
{
	bool rst = tcp_flag(seg, UST_TCP_RST), saw_ts = false, paws_reject = false;

	if (tw->tw_tstamp_ok && (seg->opt.present & UST_TCPOPT_F_TIMESTAMP)) {
		saw_ts = true;
		paws_reject = tcp_paws_reject(tcp, tw->tw_ts_recent, tw->tw_ts_recent_stamp, seg->opt.tsval, rst);
	}
	if (tw->tw_substate == TCP_FIN_WAIT2)
		return tw_fin_wait2(tcp, tw, seg, paws_reject, saw_ts);

	if (!paws_reject && seg->seq == tw->tw_rcv_nxt && (seg->seq == seg->end_seq || rst)) {
		if (rst && !tcp->core->sysctl.tcp_rfc1337) {
			inet_twsk_kill(tcp, tw);     /* TIME_WAIT assassination (RFC 1337) */
			return TCP_TW_SUCCESS;
		}
		if (!rst)
			tw_schedule(tcp, tw, TCP_TIMEWAIT_LEN);
		if (saw_ts) {
			tw->tw_ts_recent = seg->opt.tsval;
			tw->tw_ts_recent_stamp = tcp_time_s(tcp);
		}
		return TCP_TW_SUCCESS;
	}
	if (tcp_flag(seg, UST_TCP_SYN) && !rst && !tcp_flag(seg, UST_TCP_ACK) && !paws_reject &&
	    (after(seg->seq, tw->tw_rcv_nxt) || (saw_ts && (int32_t)(tw->tw_ts_recent - seg->opt.tsval) < 0))) {
		uint32_t isn = tw->tw_snd_nxt + 65535 + 2;

		*tw_isn = isn ? isn : 1;
		return TCP_TW_SYN;
	}
	if (paws_reject)
		UST_INC_STATS(tcp->core, LINUX_MIB_PAWS_TW_REJECTED);
	if (rst)
		return TCP_TW_SUCCESS;
	/* An ACK-less SYN below rcv_nxt may be a new connection's random ISN, not
	 * an old duplicate: it does not extend the wait. */
	if (paws_reject || tcp_flag(seg, UST_TCP_ACK))
		tw_schedule(tcp, tw, TCP_TIMEWAIT_LEN);
	return tw_oow_ack(tcp, tw, seg, LINUX_MIB_TCPACKSKIPPEDTIMEWAIT);
}

/* tcp_v4_timewait_ack: <SEQ=snd_nxt><ACK=rcv_nxt>, the last window, and
 * timestamps if the connection had them. */
void tcp_v4_timewait_ack(struct ust_tcp *tcp, struct inet_timewait_sock *tw, const struct tcp_seg *seg)
{
	struct ust_tcp_opts opts = { .present = UST_TCPOPT_F_TIMESTAMP };

	opts.tsval = tcp_time_ms(tcp) + tw->tw_ts_offset;
	opts.tsecr = tw->tw_ts_recent;
	tcp_v4_send_ack(tcp, seg, tw->tw_snd_nxt, tw->tw_rcv_nxt, tw->tw_rcv_wnd,
			tw->tw_tstamp_ok ? &opts : NULL, tw->__tw_common.skc_bound_dev_if);
}

static bool ipv4_is_loopback(ust_be32 a)
{
	return (ntohl(a) >> 24) == 127;
}

/*
 * tcp_twsk_unique (Linux 6.18): a bound port may always take over a TIME_WAIT
 * that had timestamps (PAWS keeps the old segments out); an ephemeral one only
 * with tcp_tw_reuse (2: loopback only), never from the FIN_WAIT2 substate, and
 * only tcp_tw_reuse_delay ms after the minisock was made. The new connection
 * starts past anything the old one sent, with its ts_recent.
 */
bool tcp_twsk_unique(struct ust_sock *sk, const struct inet_timewait_sock *tw, bool bound)
{
	const struct ust_sysctl *sc = &sk->tcp->core->sysctl;
	int reuse = sc->tcp_tw_reuse;
	uint32_t seq;

	if (tw->tw_substate == TCP_FIN_WAIT2)
		reuse = 0;
	if (reuse == 2 && !ipv4_is_loopback(tw->tw_daddr) &&
	    !ipv4_is_loopback(tw->tw_rcv_saddr))
		reuse = 0;
	if (!tw->tw_tstamp_ok)
		return false;      /* no PAWS to keep the old segments out */
	if (!bound && !(reuse && (int32_t)(tcp_time_ms(sk->tcp) - (tw->tw_entry_stamp + (uint32_t)sc->tcp_tw_reuse_delay)) > 0))
		return false;
	seq = tw->tw_snd_nxt + 65535 + 2;
	sk->write_seq = seq ? seq : 1;
	sk->ts_recent = tw->tw_ts_recent;
	sk->ts_recent_stamp = tw->tw_ts_recent_stamp;
	return true;
}
