/*
 * A listener's two queues (Linux's icsk_accept_queue, spec §8, §11, §15):
 *
 *  SYN queue     request socks: hashed into ehash, counted in qlen (and young
 *                until their first timeout); each has its own timer.
 *  accept queue  children, FIFO, counted in sk_ack_backlog; accept() takes the
 *                head.
 *
 * A request becomes a child in inet_csk_complete_hashdance: the child takes the
 * request's place in ehash, the request leaves the SYN queue and is freed, the
 * child joins the accept queue. Closing a listener resets its queued children
 * (inet_csk_listen_stop); its requests die at their next timer or segment, and
 * the listener's memory stays until the last of them is gone.
 */
#include <errno.h>
#include <string.h>
#include "tcp/tcp.h"

struct request_sock *inet_reqsk_alloc(struct ust_sock *listener)
{
	struct request_sock *req = ust_objpool_alloc(&listener->tcp->reqsk_pool);

	if (!req)
		return NULL;
	req->__req_common.skc_state = TCP_NEW_SYN_RECV;
	req->rsk_listener = listener;
	ust_timer_init(&req->rsk_timer, reqsk_timer_handler);
	return req;
}

/* A closed listener lives on while requests point at it (Linux holds a ref). */
static void listener_put(struct ust_sock *lsk)
{
	if (lsk->sk_state == TCP_CLOSE && (lsk->sk_flags & SOCK_DEAD) && lsk->qlen == 0 &&
	    lsk->tcp->sk_destruct)
		lsk->tcp->sk_destruct(lsk->tcp->sock_ctx, lsk);
}

void reqsk_free(struct request_sock *req)
{
	struct ust_tcp *tcp = req->rsk_listener->tcp;

	ust_timer_cancel(&tcp->core->timers, &req->rsk_timer);
	ust_objpool_free(&tcp->reqsk_pool, req);
}

/* Q-1 step 9: into ehash, timer armed, qlen and young counted. */
void inet_csk_reqsk_queue_hash_add(struct ust_sock *lsk, struct request_sock *req, uint32_t timeout_ms)
{
	struct ust_tcp *tcp = lsk->tcp;

	inet_ehash_insert(&tcp->hashinfo, &req->__req_common, NULL);
	ust_core_timer_arm_ms(tcp->core, &req->rsk_timer, timeout_ms);
	lsk->qlen++;
	lsk->young++;
	tcp_trace_req(req, UST_TRACE_QUEUE, "inet_csk_reqsk_queue_hash_add",
		      "added to SYN queue and ehash (qlen %u/%u), SYN-ACK timer %u ms",
		      lsk->qlen, lsk->sk_max_ack_backlog, timeout_ms);
}

/* qlen/young bookkeeping for a request leaving the SYN queue. */
static void reqsk_queue_removed(struct ust_sock *lsk, struct request_sock *req)
{
	if (req->num_timeout == 0)
		lsk->young--;
	lsk->qlen--;
}

void inet_csk_reqsk_queue_drop(struct ust_sock *lsk, struct request_sock *req)
{
	if (!ust_hlist_unhashed(&req->__req_common.skc_node))
		inet_ehash_remove(&lsk->tcp->hashinfo, &req->__req_common);
	reqsk_queue_removed(lsk, req);
	tcp_trace_req(req, UST_TRACE_QUEUE, "inet_csk_reqsk_queue_drop", "removed from SYN queue (qlen %u/%u)",
		      lsk->qlen, lsk->sk_max_ack_backlog);
	reqsk_free(req);
	listener_put(lsk);
}

void inet_csk_reqsk_queue_add(struct ust_sock *lsk, struct ust_sock *child)
{
	child->parent = lsk;
	ust_list_add_tail(&lsk->accept_queue, &child->accept_node);
	lsk->sk_ack_backlog++;
	tcp_trace_sk(child, UST_TRACE_QUEUE, "inet_csk_reqsk_queue_add",
		     "added to accept queue (%u queued, backlog %u)", lsk->sk_ack_backlog, lsk->sk_max_ack_backlog);
}

/*
 * H-5: the child has replaced the request in ehash (own_req); the request
 * leaves the SYN queue, the child joins the accept queue.
 */
struct ust_sock *inet_csk_complete_hashdance(struct ust_sock *lsk, struct ust_sock *child,
					     struct request_sock *req, bool own_req)
{
	if (!own_req)
		return NULL;
	reqsk_queue_removed(lsk, req);
	tcp_trace_req(req, UST_TRACE_QUEUE, "inet_csk_complete_hashdance",
		      "request replaced by child in ehash, left SYN queue (qlen %u/%u)",
		      lsk->qlen, lsk->sk_max_ack_backlog);
	inet_csk_reqsk_queue_add(lsk, child);
	reqsk_free(req);
	return child;
}

struct ust_sock *inet_csk_accept_dequeue(struct ust_sock *lsk)
{
	struct ust_sock *child = ust_list_first(&lsk->accept_queue, struct ust_sock, accept_node);

	if (!child)
		return NULL;
	ust_list_del(&child->accept_node);
	lsk->sk_ack_backlog--;
	tcp_trace_sk(child, UST_TRACE_QUEUE, "inet_csk_accept", "taken from accept queue (%u left)",
		     lsk->sk_ack_backlog);
	child->parent = NULL;
	return child;
}

/* API-5, inet_csk_listen_start: LISTEN, the port (re)checked, into lhash2. */
int inet_csk_listen_start(struct ust_sock *sk)
{
	struct inet_hashinfo *h = &sk->tcp->hashinfo;
	int err;

	sk->sk_ack_backlog = 0;
	sk->qlen = sk->young = 0;
	tcp_set_state(sk, TCP_LISTEN);
	err = sk->icsk_bind_hash ? inet_csk_listen_check_port(h, sk) : inet_csk_get_port(h, sk, 0);
	if (!err) {
		inet_hash(h, sk);
		tcp_trace_sk(sk, UST_TRACE_TABLE, "inet_csk_listen_start", "inserted into lhash2 (backlog %u)",
			     sk->sk_max_ack_backlog);
		return 0;
	}
	tcp_set_state(sk, TCP_CLOSE);
	return err;
}

/*
 * Z-3: each queued child is aborted as tcp_disconnect does: RST if it is in a
 * state that has a peer to tell, ECONNRESET, CLOSE, freed. Requests are not
 * walked (Z-4).
 */
void inet_csk_listen_stop(struct ust_sock *lsk)
{
	struct ust_sock *child;

	while ((child = inet_csk_accept_dequeue(lsk)) != NULL) {
		if (TCPF(child->sk_state) & (TCPF(TCP_ESTABLISHED) | TCPF(TCP_SYN_RECV) | TCPF(TCP_CLOSE_WAIT) |
					      TCPF(TCP_FIN_WAIT1) | TCPF(TCP_FIN_WAIT2)))
			tcp_send_active_reset(child);
		child->sk_err = ECONNRESET;
		child->sk_flags |= SOCK_DEAD;
		tcp_set_state(child, TCP_CLOSE);
		tcp_clear_xmit_timers(child);
		if (lsk->tcp->sk_destruct)
			lsk->tcp->sk_destruct(lsk->tcp->sock_ctx, child);
	}
}

/*
 * __tcp_oow_rate_limited: one reply per tcp_invalid_ratelimit ms for the same
 * object; a stamp of 0 means "never", so a reply at ms 0 is stored as 1.
 */
bool tcp_oow_rate_limited(struct ust_tcp *tcp, uint32_t *last_oow_ack_time, int mib)
{
	uint32_t now = tcp_time_ms(tcp);

	if (*last_oow_ack_time) {
		int32_t elapsed = (int32_t)(now - *last_oow_ack_time);

		if (elapsed >= 0 && elapsed < tcp->core->sysctl.tcp_invalid_ratelimit) {
			UST_INC_STATS(tcp->core, mib);
			return true;
		}
	}
	*last_oow_ack_time = now ? now : 1;
	return false;
}
