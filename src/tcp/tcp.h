/*
 * TCP for one stack: connection setup as Linux does it, function for function.
 *
 * Input:  ip_local_deliver -> tcp_v4_rcv (checks, ehash, then listeners)
 *           -> request sock:  tcp_check_req -> tcp_v4_syn_recv_sock -> child
 *                             -> tcp_child_process -> tcp_rcv_state_process
 *           -> full sock:     tcp_v4_do_rcv -> tcp_rcv_state_process
 *                               LISTEN    -> tcp_v4_conn_request (tcp_conn_request)
 *                               SYN_SENT  -> tcp_rcv_synsent_state_process
 *                               others    -> tcp_rcv_established / state handlers
 *           -> nothing:       tcp_v4_send_reset
 * Output: tcp_v4_connect -> inet_hash_connect -> tcp_connect -> tcp_transmit_skb
 *         -> tcp_ip_queue_xmit (IPv4 below)
 * Data:   tcp_sendmsg -> write queue -> tcp_push -> tcp_write_xmit (cwnd, window,
 *         Nagle) -> tcp_transmit_data; ACKs: tcp_ack -> tcp_clean_rtx_queue,
 *         tcp_fastretrans_alert (SACK/RACK, NewReno, PRR) -> tcp_cong_control.
 * Timers: tcp_retransmit_timer (SYN, data RTO, zero-window probe),
 *         reqsk_timer_handler (SYN-ACK), delayed ACK.
 * Timers: tcp_retransmit_timer (SYN), reqsk_timer_handler (SYN-ACK), delayed ACK,
 * tcp_keepalive_timer (sk_timer), TIME_WAIT death rows (tcp_timewait.c).
 * Close: tcp_close (tcp.c) -> FIN -> tcp_rcv_state_process / tcp_fin ->
 *        tcp_time_wait: a 96-byte minisock replaces the socket in ehash.
 *
 * Files: tcp_ipv4.c (demux, connect, conn_request, syn_recv_sock, resets),
 * tcp_input.c (state machine), tcp_minisocks.c (check_req, child creation),
 * tcp_output.c (segments, options, windows), tcp_timer.c, inet_connection_sock.c
 * (request socks, queues, accept, listen), secure_seq.c (ISN, timestamp offsets),
 * tcp_write.c (write queue, transmit, FIN), tcp_probe.c (zero-window probe),
 * tcp_ack.c (ACK processing, RTT and RTO), tcp_recovery.c (SACK scoreboard,
 * loss recovery), tcp_cong.c (congestion control ops: NewReno).
 */
#ifndef UST_TCP_TCP_H
#define UST_TCP_TCP_H

#include <stdbool.h>
#include <stdint.h>
#include "core/core.h"
#include "core/objpool.h"
#include "core/pktbuf.h"
#include "ipv4/ipv4.h"
#include "tcp/inet_hashtables.h"
#include "tcp/sock.h"
#include "tcp/tcp_timewait.h"
#include "wire/seq.h"
#include "wire/tcp.h"

struct ust_netdev;

/* Linux's constants (include/net/tcp.h), in ms where they are times. */
#define TCP_TIMEOUT_INIT      1000    /* RFC 6298 2.1 */
#define TCP_TIMEOUT_FALLBACK  3000    /* RFC 6298 5.7 */
#define TCP_TIMEOUT_MIN       2       /* 2 jiffies */
#define TCP_RTO_MAX           120000
#define TCP_RTO_MIN           200
#define TCP_DELACK_MAX        200
#define TCP_MSS_DEFAULT       536
#define TCP_MAX_WSCALE        14
#define TCP_PAWS_MSL          60      /* s */
#define TCP_PAWS_24DAYS       (60 * 60 * 24 * 24)
#define TCP_SYNCOOKIE_VALID   (2 * 60)   /* s since the last overflow */
#define IP_RT_MIN_ADVMSS      256
#define TCP_INIT_CWND         10

/* The stack's TCP layer: Linux's per-netns TCP state plus tcp_hashinfo. */
struct ust_tcp {
	struct ust_core *core;
	struct ust_ipv4 *ip;            /* below us: routes and ip_queue_xmit */
	struct inet_hashinfo hashinfo;
	struct ust_objpool sock_pool;
	struct ust_objpool reqsk_pool;
	/* The socket layer's hooks: a socket became readable, writable or
	 * errored (sk_state_change / sk_data_ready); an orphan reached CLOSE and
	 * may be freed. */
	void (*sk_wake)(void *ctx, struct ust_sock *sk);
	void (*sk_destruct)(void *ctx, struct ust_sock *sk);
	void *sock_ctx;
	/* close: TIME_WAIT minisocks (tcp_timewait.c) */
	struct ust_objpool tw_pool;
	uint32_t tw_count;              /* live minisocks (tcp_max_tw_buckets) */
	struct inet_tw_row tw_rows[2];  /* death rows: 60 s, other timeouts */
	/* close: the stack-wide RFC 5961 challenge ACK budget (tcp_challenge_ack_limit) */
	uint32_t challenge_timestamp;   /* s */
	uint32_t challenge_count;       /* left in that second */
};

/*
 * One received segment as every handler sees it: parsed once in tcp_v4_rcv, so
 * no handler re-parses (Linux keeps this in TCP_SKB_CB).
 */
struct tcp_seg {
	struct ust_pkt *pkt;            /* data at the TCP header */
	struct ust_tcp_info th;
	struct ust_tcp_opts opt;        /* parsed options (possibly partial, as Linux) */
	ust_be32 saddr, daddr;          /* IPv4 source and destination */
	uint32_t seq, end_seq, ack_seq; /* end_seq counts SYN and FIN */
	int iif;
	uint8_t tos;
	uint32_t tw_isn;                /* a SYN that reopened a TIME_WAIT tuple: our
					 * ISN for it, else 0 (TCP_SKB_CB's tcp_tw_isn) */
};

#define tcp_flag(seg, f) (((seg)->th.flags & (f)) != 0)

/* --- tcp.c: layer setup, state changes, socket lifetime ------------------ */
int ust_tcp_init(struct ust_tcp *tcp, struct ust_core *core, struct ust_ipv4 *ip, uint32_t ehash_entries,
		 uint32_t max_socks);
/* Registers tcp_v4_rcv and tcp_v4_err as IPv4's handlers for protocol 6. */
int tcp_v4_add_protocol(struct ust_tcp *tcp);
void ust_tcp_destroy(struct ust_tcp *tcp);
struct ust_sock *tcp_sock_alloc(struct ust_tcp *tcp);
void tcp_sock_free(struct ust_sock *sk);
void tcp_set_state(struct ust_sock *sk, int state);
void tcp_done(struct ust_sock *sk);
/* ms clock (tcp_time_stamp) and seconds (for ts_recent_stamp). */
static inline uint32_t tcp_time_ms(const struct ust_tcp *tcp) { return (uint32_t)(tcp->core->now / 1000000ULL); }
static inline uint32_t tcp_time_s(const struct ust_tcp *tcp) { return (uint32_t)(tcp->core->now / 1000000000ULL); }
void tcp_trace_sk(struct ust_sock *sk, enum ust_trace_kind kind, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void tcp_trace_req(struct request_sock *req, enum ust_trace_kind kind, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void tcp_wake(struct ust_sock *sk);

/* --- secure_seq.c --------------------------------------------------------- */
/* ISN and TSval offset of a connection from one keyed hash of its 4-tuple
 * (secure_seq.c). */
struct tcp_seq_and_ts_off {
	uint32_t seq, ts_off;
};
struct tcp_seq_and_ts_off secure_tcp_seq_and_ts_off(const struct ust_tcp *tcp, ust_be32 saddr, ust_be32 daddr,
						    ust_be16 sport, ust_be16 dport);

/* --- tcp_ipv4.c ----------------------------------------------------------- */
/* The IPv4 protocol handler for TCP: takes pkt (data at the TCP header). */
int tcp_v4_rcv(struct ust_tcp *tcp, struct ust_pkt *pkt, ust_be32 saddr, ust_be32 daddr, int iif, uint8_t tos);
int tcp_v4_connect(struct ust_sock *sk, ust_be32 daddr, ust_be16 dport);
int tcp_v4_conn_request(struct ust_sock *sk, struct tcp_seg *seg);
struct ust_sock *tcp_v4_syn_recv_sock(struct ust_sock *listener, struct tcp_seg *seg, struct request_sock *req);
void tcp_v4_send_reset(struct ust_tcp *tcp, struct ust_sock *sk, const struct tcp_seg *seg);
void tcp_v4_reqsk_send_ack(struct request_sock *req, const struct tcp_seg *seg);
int tcp_v4_do_rcv(struct ust_sock *sk, struct tcp_seg *seg);

/* --- tcp_input.c ---------------------------------------------------------- */
/* Returns 0 when the segment was consumed, 1 when the caller must send a reset. */
int tcp_rcv_state_process(struct ust_sock *sk, struct tcp_seg *seg);
void tcp_finish_connect(struct ust_sock *sk);
void tcp_reset(struct ust_sock *sk);
void tcp_fin(struct ust_sock *sk);
/* tcp_paws_reject (RFC 7323 5): tsval is older than ts_recent and not stale. */
bool tcp_paws_reject(const struct ust_tcp *tcp, uint32_t ts_recent, uint32_t ts_recent_stamp, uint32_t tsval,
		     bool rst);
/* tcp_fin_time: how long an orphan waits in FIN_WAIT2, ms (at least 3.5 RTO). */
uint32_t tcp_fin_time(const struct ust_sock *sk);

/* --- tcp_ack.c ------------------------------------------------------------ */
/* tcp_ack: >0 it moved us on, 0 an old ACK (the segment's text still
 * counts), <0 invalid: TCP_ACK_TOO_OLD (a challenge ACK went out) or
 * TCP_ACK_UNSENT (it acknowledges what we never sent). */
#define TCP_ACK_TOO_OLD (-1)
#define TCP_ACK_UNSENT  (-2)
int tcp_ack(struct ust_sock *sk, struct tcp_seg *seg);

/* --- tcp_rcv.c, tcp_ofo.c: the receiver ---------------------------------- */
#define TCP_ATO_MIN           40      /* ms: HZ / 25 */
#define TCP_DELACK_MIN        40
#define TCP_MAX_QUICKACKS     16
#define TCP_DEFAULT_SCALING_RATIO 128 /* window = half the buffer until measured */
/* icsk_pending_ack bits (inet_csk_ack_state_t) */
#define ICSK_ACK_SCHED   1
#define ICSK_ACK_TIMER   2
#define ICSK_ACK_PUSHED  4
#define ICSK_ACK_PUSHED2 8
#define ICSK_ACK_NOW     16
#define ICSK_ACK_NOMEM   32
/* What a queued packet costs the receive buffer: its whole buffer plus the
 * kernel's per-skb overhead, as skb->truesize charges Linux's (a 1000-byte
 * segment costs 2304 there too), so tiny segments cannot hide. */
#define TCP_SKB_OVERHEAD 256
static inline uint32_t tcp_truesize(const struct ust_pkt *pkt)
{
	return pkt->size + TCP_SKB_OVERHEAD;
}
void tcp_data_queue(struct ust_sock *sk, struct tcp_seg *seg);
/* tcp_send_dupack's D-SACK for a segment below the window (tcp_validate_incoming). */
void tcp_dupack_dsack(struct ust_sock *sk, const struct tcp_seg *seg);
/* Data went out: a reply within ato of the data it answers makes the
 * connection interactive (pingpong: ACKs wait to ride on replies). */
void tcp_event_data_sent(struct ust_sock *sk);
/* Bookkeeping of every segment that carries our ACK (tcp_event_ack_sent). */
void tcp_event_ack_sent(struct ust_sock *sk);
/* After the application took `copied` bytes: window update or owed ACK. */
void tcp_cleanup_rbuf(struct ust_sock *sk, int copied);
/* Receiver autotuning after a read (tcp_rcv_space_adjust). */
void tcp_rcv_space_adjust(struct ust_sock *sk);
/* SO_RCVLOWAT (tcp_set_rcvlowat): the buffer grows to hold that much. */
void tcp_set_rcvlowat(struct ust_sock *sk, int val);
/* TCP_QUICKACK */
void tcp_sock_set_quickack(struct ust_sock *sk, int val);
/* The SACK blocks (D-SACK first) our next segment carries; clears the D-SACK. */
void tcp_sack_options(struct ust_sock *sk, struct ust_tcp_opts *o);
uint32_t tcp_receive_window(const struct ust_sock *sk);
/* Frees both receive queues (close, disconnect, free). */
void tcp_rcv_purge(struct ust_sock *sk);
/* tcp_close / tcp_disconnect / tcp_shutdown (the state side of close, connect
 * AF_UNSPEC and shutdown). tcp_close returns true when sk may be freed now. */
bool tcp_close(struct ust_sock *sk);
/* tcp_close in two halves around the SO_LINGER wait of the socket layer:
 * start (RST or FIN), lingering (is our FIN unacknowledged?), finish (orphan;
 * true when sk may be freed now). */
void tcp_close_start(struct ust_sock *sk);
bool tcp_close_lingering(const struct ust_sock *sk);
bool tcp_close_finish(struct ust_sock *sk);
int tcp_disconnect(struct ust_sock *sk);
void tcp_shutdown(struct ust_sock *sk, int how);
/* The options of a SYN or SYN-ACK with Linux's rules applied (O-2, RFC 7323). */
void tcp_syn_options_apply(const struct ust_tcp *tcp, const struct ust_tcp_opts *in, uint16_t user_mss,
			   uint16_t *mss, bool *wscale_ok, uint8_t *snd_wscale, bool *sack_ok, bool *tstamp_ok);

/* --- tcp_minisocks.c ------------------------------------------------------ */
/* NULL: the segment was handled (dropped, answered). listener: hand it to the
 * listener (it will reset). Otherwise the new child. */
struct ust_sock *tcp_check_req(struct ust_sock *listener, struct tcp_seg *seg, struct request_sock *req);
struct ust_sock *tcp_create_openreq_child(struct ust_sock *listener, struct request_sock *req, struct tcp_seg *seg);
int tcp_child_process(struct ust_sock *parent, struct ust_sock *child, struct tcp_seg *seg);

/* --- tcp_output.c --------------------------------------------------------- */
/* The route for a TCP flow: ip_route_output, with broadcast and multicast
 * results refused as ENETUNREACH (tcp_v4_connect). */
int tcp_route_output(struct ust_tcp *tcp, ust_be32 daddr, ust_be32 saddr, int oif, struct ust_rtable *rt);
uint16_t tcp_advertise_mss(const struct ust_rtable *rt, uint16_t user_mss);
/* The initial window and shift for a connection of sk (the connecting socket,
 * or the listener for a request), whose receive buffer and SO_RCVBUF lock count. */
void tcp_select_initial_window(const struct ust_sock *sk, uint32_t mss, uint32_t *rcv_wnd,
			       uint32_t *window_clamp, bool wscale_ok, uint8_t *rcv_wscale);
int tcp_connect(struct ust_sock *sk);
int tcp_send_syn(struct ust_sock *sk, bool retrans);
/* rt: the route tcp_v4_conn_request just looked up, or NULL to look it up
 * (retransmits), as tcp_v4_send_synack's dst. */
int tcp_send_synack(struct request_sock *req, const struct ust_rtable *rt, bool retrans);
void tcp_send_ack(struct ust_sock *sk);
void tcp_send_active_reset(struct ust_sock *sk);
void tcp_send_challenge_ack(struct ust_sock *sk);
/* The window field of a non-SYN segment; lives with the receiver (tcp_rcv_window.c). */
uint16_t tcp_select_window(struct ust_sock *sk);
/* One segment of the connection's data, as tcp_transmit_skb sends it: seq,
 * flags (ACK added), the current ACK, window and timestamps. */
int tcp_transmit_data(struct ust_sock *sk, uint32_t seq, uint8_t flags, const void *data, uint32_t len);
/* A segment the peer must answer with an ACK (tcp_xmit_probe_skb):
 * SEQ=SND.UNA-1, no data. */
int tcp_xmit_probe_skb(struct ust_sock *sk);

/* --- the sender: tcp_write.c, tcp_probe.c, tcp_ack.c, tcp_recovery.c, tcp_cong.c */
/* Per queued packet (Linux's TCP_SKB_CB), in pkt->cb: write and retransmission
 * queue packets (all fields), receive and out-of-order queue packets (seq,
 * end_seq, and FIN in tcp_flags). */
struct __attribute__((may_alias)) tcp_skb_cb {
	uint32_t seq, end_seq;          /* end_seq counts the FIN */
	uint32_t tx_us;                 /* last transmission, us clock (low 32 bits) */
	uint8_t tcp_flags;              /* PSH, FIN */
	uint8_t sacked;                 /* TCPCB_* */
};
#define TCP_SKB_CB(pkt) ((struct tcp_skb_cb *)(void *)(pkt)->cb)
_Static_assert(sizeof(struct tcp_skb_cb) <= UST_PKT_CB_SIZE, "tcp_skb_cb fits in pkt->cb");
#define TCPCB_SACKED_ACKED   0x01
#define TCPCB_SACKED_RETRANS 0x02   /* retransmitted and not yet known lost again */
#define TCPCB_LOST           0x04
#define TCPCB_EVER_RETRANS   0x80   /* Karn: no RTT sample from it */

enum tcp_ca_state { TCP_CA_Open, TCP_CA_Disorder, TCP_CA_CWR, TCP_CA_Recovery, TCP_CA_Loss };
#define TCP_NAGLE_OFF  1            /* TCP_NODELAY */
#define TCP_NAGLE_CORK 2            /* TCP_CORK */
#define TCP_NAGLE_PUSH 4            /* send what is queued regardless of Nagle */
#define ICSK_TIME_RETRANS 1
#define ICSK_TIME_PROBE0  3
#define TCP_INFINITE_SSTHRESH 0x7fffffff
#define TCP_MAX_BACKOFF 15          /* icsk_backoff saturates here */

/* Congestion control hook (tcp_congestion_ops): NewReno is the only one. */
struct tcp_congestion_ops {
	const char *name;
	uint32_t (*ssthresh)(struct ust_sock *sk);
	void (*cong_avoid)(struct ust_sock *sk, uint32_t acked);
	uint32_t (*undo_cwnd)(struct ust_sock *sk);
};
const struct tcp_congestion_ops *tcp_ca_find(const char *name);
const struct tcp_congestion_ops *tcp_ca_default(void);

static inline uint32_t tcp_now_us(const struct ust_tcp *tcp) { return (uint32_t)(tcp->core->now / 1000ULL); }
/* Segments in the network: sent, not SACKed, not lost, plus retransmissions. */
static inline uint32_t tcp_packets_in_flight(const struct ust_sock *sk)
{
	return sk->packets_out - (sk->sacked_out + sk->lost_out) + sk->retrans_out;
}
static inline bool tcp_in_slow_start(const struct ust_sock *sk) { return sk->snd_cwnd < sk->snd_ssthresh; }

/* tcp_write.c */
/* Copies up to len bytes into the write queue (bounded by sk_sndbuf) and
 * sends what may go now. Returns the bytes taken (0: no room). */
int tcp_sendmsg(struct ust_sock *sk, const void *buf, uint32_t len, int flags);
void tcp_push(struct ust_sock *sk, int nonagle);
/* Sends from send_head while window, cwnd and Nagle allow. True when
 * nothing could be sent although data waits (tcp_write_xmit's return). */
bool tcp_write_xmit(struct ust_sock *sk, int nonagle);
/* The FIN goes at the end of the write queue: on the last unsent segment or
 * as its own segment, and it is retransmitted like data. */
int tcp_send_fin(struct ust_sock *sk);
void tcp_write_queue_purge(struct ust_sock *sk);
int tcp_retransmit_skb(struct ust_sock *sk, struct ust_pkt *pkt);
/* The free space rule of sk_stream_is_writeable / sk_stream_memory_free. */
bool sk_stream_is_writeable(const struct ust_sock *sk);
bool sk_stream_memory_free(const struct ust_sock *sk);
void tcp_sndbuf_expand(struct ust_sock *sk);
/* Sender state at ESTABLISHED (tcp_init_transfer): cwnd, sndbuf, the RTT of
 * the handshake when it was not retransmitted. */
void tcp_init_transfer(struct ust_sock *sk);
void tcp_rearm_rto(struct ust_sock *sk);
/* The send MSS now (tcp_current_mss); one queued packet onto the wire, its
 * send time noted (for RTT, RACK and idle restart). */
uint32_t tcp_current_mss(const struct ust_sock *sk);
int tcp_transmit_pkt(struct ust_sock *sk, struct ust_pkt *pkt);

/* tcp_probe.c */
void tcp_check_probe_timer(struct ust_sock *sk);
void tcp_send_probe0(struct ust_sock *sk);

/* tcp_ack.c */
void tcp_rtt_estimator(struct ust_sock *sk, int32_t mrtt_us);
void tcp_set_rto(struct ust_sock *sk);

/* tcp_recovery.c */
/* RACK (RFC 8985): pkt was delivered (acknowledged or SACKed) just now. */
void tcp_rack_advance(struct ust_sock *sk, const struct ust_pkt *pkt);
/* Marks the SACKed ranges of seg; returns how many packets were newly SACKed. */
uint32_t tcp_sacktag_write_queue(struct ust_sock *sk, const struct tcp_seg *seg, uint32_t prior_snd_una);
/* Loss detection and recovery after an ACK (tcp_fastretrans_alert). */
void tcp_fastretrans_alert(struct ust_sock *sk, uint32_t prior_snd_una, bool is_dupack, uint32_t newly_acked,
			   uint32_t newly_sacked);
void tcp_enter_loss(struct ust_sock *sk);
void tcp_xmit_retransmit_queue(struct ust_sock *sk);
/* acked: packets newly acknowledged; delivered: also newly SACKed (or, without
 * SACK, the one a duplicate ACK stands for). */
void tcp_cong_control(struct ust_sock *sk, uint32_t acked, uint32_t delivered, bool una_advanced);
/* tcp_v4_send_ack: an ACK with no socket behind it (TIME_WAIT), from the
 * segment's addresses reversed; opts NULL for none. */
void tcp_v4_send_ack(struct ust_tcp *tcp, const struct tcp_seg *seg, uint32_t seq, uint32_t ack, uint16_t win,
		     const struct ust_tcp_opts *opts, int oif);

/* --- tcp_timer.c ---------------------------------------------------------- */
void tcp_init_xmit_timers(struct ust_sock *sk);
void tcp_clear_xmit_timers(struct ust_sock *sk);
void tcp_reset_xmit_timer(struct ust_sock *sk, uint32_t when_ms);
void reqsk_timer_handler(struct ust_timer *t);

/* --- tcp_keepalive.c ------------------------------------------------------ */
void tcp_init_keepalive_timer(struct ust_sock *sk);
/* (Re)arms the keepalive timer for `ms`, or stops it when keepalive is off. */
void inet_csk_reset_keepalive_timer(struct ust_sock *sk, uint32_t ms);
void inet_csk_delete_keepalive_timer(struct ust_sock *sk);
/* SO_KEEPALIVE on/off and TCP_KEEPIDLE: the timer follows (tcp_set_keepalive). */
void tcp_set_keepalive(struct ust_sock *sk, bool on);
int tcp_sock_set_keepidle(struct ust_sock *sk, int secs);
uint32_t keepalive_time_when(const struct ust_sock *sk);

/* --- inet_connection_sock.c ----------------------------------------------- */
struct request_sock *inet_reqsk_alloc(struct ust_sock *listener);
void reqsk_free(struct request_sock *req);
void inet_csk_reqsk_queue_hash_add(struct ust_sock *listener, struct request_sock *req, uint32_t timeout_ms);
/* Unhashes req, stops its timer and frees it; qlen/young adjusted. */
void inet_csk_reqsk_queue_drop(struct ust_sock *listener, struct request_sock *req);
void inet_csk_reqsk_queue_add(struct ust_sock *listener, struct ust_sock *child);
struct ust_sock *inet_csk_complete_hashdance(struct ust_sock *listener, struct ust_sock *child,
					     struct request_sock *req, bool own_req);
int inet_csk_listen_start(struct ust_sock *sk);
void inet_csk_listen_stop(struct ust_sock *sk);
/* Takes the head of the accept queue, or NULL. */
struct ust_sock *inet_csk_accept_dequeue(struct ust_sock *listener);
bool tcp_oow_rate_limited(struct ust_tcp *tcp, uint32_t *last_oow_ack_time, int mib);

#endif
