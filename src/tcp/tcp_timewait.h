/*
 * TIME_WAIT as Linux keeps it: when a connection reaches TIME_WAIT (or an
 * orphan waits in FIN_WAIT2, tw_substate FIN_WAIT2) its full socket is freed and
 * a minisock of at most 96 bytes takes its place in ehash, holding only what
 * tcp_timewait_state_process and tcp_twsk_unique read.
 *
 * Timers: a minisock has no timer of its own (a ust_timer and a stack pointer
 * would cost 40 of its 96 bytes). Each stack keeps two "death rows", lists
 * ordered by expiry with one wheel timer each: the TCP_TIMEWAIT_LEN row, where
 * every timeout is 60 s so appending keeps it sorted, and the row for the other
 * timeouts (the FIN_WAIT2 substate's tcp_fin_timeout), kept sorted by insertion
 * from the tail, where equal timeouts also append.
 *
 * Port: a minisock holds its bind bucket (num_owners and tw_count) so the port
 * stays in use until it dies; it is not on the owners list, and bind() counts it
 * as an owner with the socket's SO_REUSEADDR (tb->tw_noreuse).
 */
#ifndef UST_TCP_TCP_TIMEWAIT_H
#define UST_TCP_TCP_TIMEWAIT_H

#include <stdbool.h>
#include <stdint.h>
#include "core/list.h"
#include "core/timer.h"
#include "tcp/sock.h"

struct ust_tcp;
struct tcp_seg;

#define TCP_TIMEWAIT_LEN 60000u     /* ms: how long TIME_WAIT lasts */
#define INET_TW_MAX_SIZE 96

/* inet_timewait_sock + tcp_timewait_sock in one. */
struct inet_timewait_sock {
	struct sock_common __tw_common;   /* skc_state == TCP_TIME_WAIT */
	struct ust_list tw_death_node;    /* on one of the stack's death rows */
	uint32_t tw_expires;              /* ms stamp */
	uint32_t tw_rcv_nxt, tw_snd_nxt;
	uint32_t tw_ts_recent;
	uint32_t tw_ts_recent_stamp;      /* s stamp of tw_ts_recent */
	uint32_t tw_ts_offset;
	uint32_t tw_entry_stamp;          /* ms: entered TIME_WAIT (tcp_tw_reuse_delay) */
	uint32_t tw_last_oow_ack_time;
	uint16_t tw_rcv_wnd;              /* the window field its ACKs carry (scaled) */
	uint8_t tw_substate;              /* TCP_TIME_WAIT or TCP_FIN_WAIT2 */
	uint8_t tw_row;                   /* which death row */
	uint8_t tw_tstamp_ok : 1;         /* the connection had timestamps (Linux: ts_recent_stamp != 0) */
};

#define tw_daddr     __tw_common.skc_daddr
#define tw_rcv_saddr __tw_common.skc_rcv_saddr
#define tw_dport     __tw_common.skc_dport
#define tw_num       __tw_common.skc_num

/* A death row: minisocks by expiry, and the wheel timer for the first. */
struct inet_tw_row {
	struct ust_list list;
	struct ust_timer timer;
};

/* What tcp_timewait_state_process asks the caller to do. */
enum tcp_tw_status {
	TCP_TW_SUCCESS = 0,   /* consumed (or the minisock died) */
	TCP_TW_RST,           /* reset the sender, the minisock is gone */
	TCP_TW_ACK,           /* send the TIME_WAIT ACK */
	TCP_TW_SYN,           /* a new connection may reuse the tuple: to the listener */
};

static inline struct inet_timewait_sock *tw_from_common(struct sock_common *c)
{
	return (struct inet_timewait_sock *)c;
}

void inet_twsk_rows_init(struct ust_tcp *tcp);
/* tcp_time_wait: sk (reaching TIME_WAIT from FIN_WAIT2 or CLOSING, or an
 * orphan in FIN_WAIT2) is replaced by a minisock in substate `state` (TIME_WAIT
 * lasts TCP_TIMEWAIT_LEN; FIN_WAIT2 timeo_ms), then ended with tcp_done.
 * Without room (tcp_max_tw_buckets, pool) it just ends: TCPTimeWaitOverflow. */
void tcp_time_wait(struct ust_sock *sk, int state, uint32_t timeo_ms);
enum tcp_tw_status tcp_timewait_state_process(struct ust_tcp *tcp, struct inet_timewait_sock *tw,
					      const struct tcp_seg *seg, uint32_t *tw_isn);
void tcp_v4_timewait_ack(struct ust_tcp *tcp, struct inet_timewait_sock *tw, const struct tcp_seg *seg);
/* inet_twsk_deschedule_put: out of ehash, off its row, port released, freed. */
void inet_twsk_kill(struct ust_tcp *tcp, struct inet_timewait_sock *tw);
/* tcp_twsk_unique: may sk (connecting) take over tw's 4-tuple? If so sk gets
 * write_seq and ts_recent from it. bound: the port was the user's (no twp). */
bool tcp_twsk_unique(struct ust_sock *sk, const struct inet_timewait_sock *tw, bool bound);

#endif
