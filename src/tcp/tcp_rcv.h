/*
 * What the receiver's files (tcp_rcv.c, tcp_rcv_window.c, tcp_rcv_ack.c,
 * tcp_ofo.c) share: the per-segment control block of a queued packet and the
 * memory, window and ACK helpers.
 */
#ifndef UST_TCP_TCP_RCV_H
#define UST_TCP_TCP_RCV_H

#include "tcp/tcp.h"

static inline uint32_t len_of(uint32_t seq, uint32_t end_seq)
{
	return end_seq - seq;
}

int tcp_win_from_space(const struct ust_sock *sk, int space);
int tcp_space(const struct ust_sock *sk);
int tcp_full_space(const struct ust_sock *sk);
/* rmem + len fits the receive buffer (tcp_can_ingest). */
bool tcp_can_ingest(const struct ust_sock *sk, uint32_t len);
/* 0 when pkt may be charged to the receive buffer, after pruning if need be. */
int tcp_try_rmem_schedule(struct ust_sock *sk, const struct ust_pkt *pkt);
void tcp_grow_window(struct ust_sock *sk, uint32_t len);
void tcp_queue_rcv(struct ust_sock *sk, struct ust_pkt *pkt);
/* The FIN is in order: tcp_fin plus the receiver's part. True when sk may be
 * gone (an orphan in FIN_WAIT2 is freed). */
bool tcp_rcv_fin(struct ust_sock *sk);
void tcp_enter_quickack_mode(struct ust_sock *sk, unsigned max_quickacks);

/* tcp_rcv_window.c */
/* The first data or window question initialises rcv_mss, the clamp and the
 * autotuning baseline (tcp_initialize_rcv_mss, tcp_init_buffer_space). */
void tcp_rcv_ensure_init(struct ust_sock *sk);
void tcp_set_window_clamp(struct ust_sock *sk, int val);
/* The window the free buffer allows now, without committing to it. */
uint32_t __tcp_select_window(struct ust_sock *sk);
void tcp_clamp_window(struct ust_sock *sk);
void tcp_rcv_rtt_measure(struct ust_sock *sk, const struct tcp_seg *seg, uint32_t len);

/* tcp_rcv_ack.c */
void tcp_incr_quickack(struct ust_sock *sk, unsigned max_quickacks);
/* The ACK decision after a segment's data (__tcp_ack_snd_check). */
void tcp_ack_snd_check(struct ust_sock *sk);

/* tcp_ofo.c */
void tcp_data_queue_ofo(struct ust_sock *sk, struct ust_pkt *pkt);
bool tcp_ofo_queue(struct ust_sock *sk);
void tcp_ofo_purge(struct ust_sock *sk);
bool tcp_prune_ofo_queue(struct ust_sock *sk, uint32_t in_seq, uint32_t in_len);
void tcp_sack_remove(struct ust_sock *sk);
void tcp_dsack_set(struct ust_sock *sk, uint32_t seq, uint32_t end_seq);
void tcp_dsack_extend(struct ust_sock *sk, uint32_t seq, uint32_t end_seq);

#endif
