/*
 * The TCP layer of one stack: setup, the single place where a socket changes
 * state (tcp_set_state), the end of a connection (tcp_done), and trace helpers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "tcp/tcp.h"

#define SOCKS_PER_SLAB 256
#define REQSKS_PER_SLAB 1024
#define TWS_PER_SLAB 1024

int ust_tcp_init(struct ust_tcp *tcp, struct ust_core *core, struct ust_ipv4 *ip, uint32_t ehash_entries,
		 uint32_t max_socks)
{
	int err;

	memset(tcp, 0, sizeof(*tcp));
	tcp->core = core;
	tcp->ip = ip;
	err = inet_hashinfo_init(&tcp->hashinfo, core, ehash_entries, max_socks);
	if (err)
		return err;
	err = ust_objpool_init(&tcp->sock_pool, sizeof(struct ust_sock), SOCKS_PER_SLAB, max_socks);
	if (!err)
		err = ust_objpool_init(&tcp->reqsk_pool, sizeof(struct request_sock), REQSKS_PER_SLAB, max_socks);
	if (!err)
		err = ust_objpool_init(&tcp->tw_pool, sizeof(struct inet_timewait_sock), TWS_PER_SLAB, max_socks);
	if (!err)
		err = tcp_v4_add_protocol(tcp);
	inet_twsk_rows_init(tcp);
	if (err) {
		ust_objpool_destroy(&tcp->sock_pool);
		ust_objpool_destroy(&tcp->reqsk_pool);
		ust_objpool_destroy(&tcp->tw_pool);
		inet_hashinfo_destroy(&tcp->hashinfo);
	}
	return err;
}

void ust_tcp_destroy(struct ust_tcp *tcp)
{
	inet_hashinfo_destroy(&tcp->hashinfo);
	ust_objpool_destroy(&tcp->sock_pool);
	ust_objpool_destroy(&tcp->reqsk_pool);
	ust_objpool_destroy(&tcp->tw_pool);
}

struct ust_sock *tcp_sock_alloc(struct ust_tcp *tcp)
{
	struct ust_sock *sk = ust_objpool_alloc(&tcp->sock_pool);

	if (!sk)
		return NULL;
	sk->tcp = tcp;
	sk->sk_state = TCP_CLOSE;
	sk->sk_socket_state = SS_UNCONNECTED;
	sk->fd = -1;
	ust_list_init(&sk->accept_queue);
	ust_list_init(&sk->accept_node);
	pthread_cond_init(&sk->sk_wq, NULL);
	sk->sk_rcvbuf = tcp->core->sysctl.tcp_rmem[1];
	sk->sk_sndbuf = tcp->core->sysctl.tcp_wmem[1];
	sk->icsk_rto = TCP_TIMEOUT_INIT;
	tcp_init_xmit_timers(sk);
	tcp_init_keepalive_timer(sk);
	return sk;
}

void tcp_sock_free(struct ust_sock *sk)
{
	tcp_rcv_purge(sk);
	tcp_write_queue_purge(sk);
	tcp_clear_xmit_timers(sk);
	inet_csk_delete_keepalive_timer(sk);
	pthread_cond_destroy(&sk->sk_wq);
	ust_objpool_free(&sk->tcp->sock_pool, sk);
}

static const char *sk_object(const struct ust_sock *sk)
{
	if (sk->sk_state == TCP_LISTEN)
		return "listener";
	return sk->parent ? "child" : "sk";
}

static void trace_vemit(struct ust_core *core, const struct sock_common *c, const char *object,
			enum ust_trace_kind kind, const char *func, int old_state, int new_state,
			const char *fmt, va_list ap)
{
	struct ust_trace_who who = {
		.object = object, .laddr = c->skc_rcv_saddr, .lport = c->skc_num,
		.raddr = c->skc_daddr, .rport = ntohs(c->skc_dport),
	};
	char msg[112];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	ust_trace_emit(&core->trace, core->now, kind, func, &who, old_state, new_state, "%s", msg);
}

void tcp_trace_sk(struct ust_sock *sk, enum ust_trace_kind kind, const char *func, const char *fmt, ...)
{
	va_list ap;

	if (!ust_trace_on(&sk->tcp->core->trace))
		return;
	va_start(ap, fmt);
	trace_vemit(sk->tcp->core, &sk->sk_common, sk_object(sk), kind, func, 0, 0, fmt, ap);
	va_end(ap);
}

void tcp_trace_req(struct request_sock *req, enum ust_trace_kind kind, const char *func, const char *fmt, ...)
{
	struct ust_core *core = req->rsk_listener->tcp->core;
	va_list ap;

	if (!ust_trace_on(&core->trace))
		return;
	va_start(ap, fmt);
	trace_vemit(core, &req->__req_common, "reqsk", kind, func, 0, 0, fmt, ap);
	va_end(ap);
}

static void trace_state(struct ust_sock *sk, int old, int state)
{
	struct ust_core *core = sk->tcp->core;

	if (!ust_trace_on(&core->trace))
		return;
	struct ust_trace_who who = {
		.object = sk_object(sk), .laddr = sk->inet_rcv_saddr, .lport = sk->inet_num,
		.raddr = sk->inet_daddr, .rport = ntohs(sk->inet_dport),
	};
	ust_trace_emit(&core->trace, core->now, UST_TRACE_STATE, "tcp_set_state", &who, old, state, "%s", "");
}

/*
 * The one place a socket changes TCP state, as Linux's tcp_set_state: it keeps
 * CurrEstab, counts EstabResets, and on CLOSE takes the socket out of ehash and
 * gives back a port that bind() did not fix.
 */
void tcp_set_state(struct ust_sock *sk, int state)
{
	int old = sk->sk_state;
	struct ust_tcp *tcp = sk->tcp;

	if (old == state)
		return;
	/* CurrEstab counts ESTABLISHED and CLOSE_WAIT sockets. */
	if (state == TCP_ESTABLISHED || (state == TCP_CLOSE_WAIT && old == TCP_SYN_RECV)) {
		UST_INC_STATS(tcp->core, TCP_MIB_CURRESTAB);
	} else if (state != TCP_CLOSE_WAIT && (old == TCP_ESTABLISHED || old == TCP_CLOSE_WAIT)) {
		tcp->core->mib.v[TCP_MIB_CURRESTAB]--;
		if (state == TCP_CLOSE)
			UST_INC_STATS(tcp->core, TCP_MIB_ESTABRESETS);
	}
	trace_state(sk, old, state);
	sk->sk_state = (uint8_t)state;
	if (state == TCP_CLOSE) {
		if (!ust_hlist_unhashed(&sk->sk_common.skc_node)) {
			if (old == TCP_LISTEN)
				inet_unhash(&tcp->hashinfo, sk);
			else
				inet_ehash_remove(&tcp->hashinfo, &sk->sk_common);
		}
		if (sk->icsk_bind_hash && !(sk->sk_userlocks & SOCK_BINDPORT_LOCK))
			inet_put_port(&tcp->hashinfo, sk);
	}
}

/* Wakes whoever sleeps on sk (connect, accept, poll), as sk_state_change does. */
void tcp_wake(struct ust_sock *sk)
{
	sk->sk_wakeups++;
	if (sk->tcp->sk_wake)
		sk->tcp->sk_wake(sk->tcp->sock_ctx, sk);
}

/*
 * The connection is over (Linux's tcp_done): a failed attempt counts
 * AttemptFails; the socket goes to CLOSE, its timers stop, and a sleeping caller
 * is woken, or an orphan is freed.
 */
void tcp_done(struct ust_sock *sk)
{
	if (sk->sk_state == TCP_SYN_SENT || sk->sk_state == TCP_SYN_RECV)
		UST_INC_STATS(sk->tcp->core, TCP_MIB_ATTEMPTFAILS);
	tcp_set_state(sk, TCP_CLOSE);
	tcp_clear_xmit_timers(sk);
	inet_csk_delete_keepalive_timer(sk);
	sk->sk_shutdown = RCV_SHUTDOWN | SEND_SHUTDOWN;
	if (!(sk->sk_flags & SOCK_DEAD))
		tcp_wake(sk);
	else if (sk->tcp->sk_destruct)
		sk->tcp->sk_destruct(sk->tcp->sock_ctx, sk);
}

/* tcp_need_reset: states with a peer that must hear about an abort. */
static bool tcp_need_reset(int state)
{
	return TCPF(state) & (TCPF(TCP_ESTABLISHED) | TCPF(TCP_CLOSE_WAIT) | TCPF(TCP_FIN_WAIT1) |
			      TCPF(TCP_FIN_WAIT2) | TCPF(TCP_SYN_RECV));
}

static void purge_receive_queue(struct ust_sock *sk)
{
	tcp_rcv_purge(sk);
}

/*
 * tcp_disconnect: back to CLOSE so the socket can connect again (connect with
 * AF_UNSPEC, a failed attempt, shutdown of a listener). A listener drops its
 * queue; a synchronized connection is reset.
 */
int tcp_disconnect(struct ust_sock *sk)
{
	int old = sk->sk_state;

	/* The reset goes out before CLOSE gives the port back. */
	if (tcp_need_reset(old)) {
		tcp_send_active_reset(sk);
		sk->sk_err = ECONNRESET;
	} else if (old == TCP_SYN_SENT) {
		sk->sk_err = ECONNRESET;
	}
	if (old != TCP_CLOSE)
		tcp_set_state(sk, TCP_CLOSE);
	if (old == TCP_LISTEN)
		inet_csk_listen_stop(sk);
	tcp_clear_xmit_timers(sk);
	inet_csk_delete_keepalive_timer(sk);
	purge_receive_queue(sk);
	tcp_write_queue_purge(sk);
	sk->inet_dport = 0;
	if (!(sk->sk_userlocks & SOCK_BINDADDR_LOCK))
		sk->inet_rcv_saddr = 0;
	sk->sk_shutdown = 0;
	sk->sk_flags &= ~SOCK_DONE;
	sk->icsk_retransmits = 0;
	sk->icsk_rto = TCP_TIMEOUT_INIT;
	/* As Linux: the next attempt starts past anything the old one sent. */
	sk->write_seq += sk->max_window + 2;
	if (!sk->write_seq)
		sk->write_seq = 1;
	tcp_wake(sk);
	return 0;
}

/* tcp_close_state: the state a FIN takes us to, and whether to send one. */
static bool tcp_close_state(struct ust_sock *sk)
{
	switch (sk->sk_state) {
	case TCP_ESTABLISHED:
	case TCP_SYN_RECV:
		tcp_set_state(sk, TCP_FIN_WAIT1);
		return true;
	case TCP_CLOSE_WAIT:
		tcp_set_state(sk, TCP_LAST_ACK);
		return true;
	default:
		return false;
	}
}

void tcp_shutdown(struct ust_sock *sk, int how)
{
	if (!(how & SEND_SHUTDOWN))
		return;
	if (tcp_close_state(sk))
		tcp_send_fin(sk);
}

/*
 * tcp_close, first half: what close() does to the connection before any
 * SO_LINGER wait. Unread data means the peer is told at once with a RST (RFC
 * 2525 2.17, TCPAbortOnClose); SO_LINGER {1, 0} aborts (TCPAbortOnData, as
 * Linux counts it); a connection sends its FIN.
 */
void tcp_close_start(struct ust_sock *sk)
{
	struct ust_core *core = sk->tcp->core;
	uint32_t unread = sk->rcv_queued;

	sk->sk_shutdown = RCV_SHUTDOWN | SEND_SHUTDOWN;
	if (sk->sk_state == TCP_LISTEN)
		return;
	purge_receive_queue(sk);
	if (sk->sk_state == TCP_CLOSE)
		return;
	if (unread && tcp_need_reset(sk->sk_state)) {
		UST_INC_STATS(core, LINUX_MIB_TCPABORTONCLOSE);
		tcp_send_active_reset(sk);   /* before CLOSE gives the port back */
		tcp_set_state(sk, TCP_CLOSE);
	} else if ((sk->sk_flags & SOCK_LINGER) && !sk->sk_lingertime) {
		tcp_disconnect(sk);
		UST_INC_STATS(core, LINUX_MIB_TCPABORTONDATA);
	} else if (tcp_close_state(sk)) {
		tcp_send_fin(sk);
	} else if (!(TCPF(sk->sk_state) & (TCPF(TCP_FIN_WAIT1) | TCPF(TCP_FIN_WAIT2) | TCPF(TCP_LAST_ACK) |
					   TCPF(TCP_CLOSING)))) {
		tcp_set_state(sk, TCP_CLOSE);  /* SYN_SENT sends nothing; later segments get RST */
	}
}

/* SO_LINGER waits while our FIN is unacknowledged (sk_stream_closing). */
bool tcp_close_lingering(const struct ust_sock *sk)
{
	return TCPF(sk->sk_state) & (TCPF(TCP_FIN_WAIT1) | TCPF(TCP_CLOSING) | TCPF(TCP_LAST_ACK));
}

/*
 * tcp_close, second half (adjudge_to_death): the socket is an orphan. One in
 * FIN_WAIT2 waits tcp_fin_time for the peer's FIN, as a minisock when that is
 * at most TCP_TIMEWAIT_LEN. Returns true when sk may be freed now.
 */
bool tcp_close_finish(struct ust_sock *sk)
{
	uint32_t tmo;

	sk->sk_flags |= SOCK_DEAD;
	if (sk->sk_state == TCP_LISTEN) {
		tcp_set_state(sk, TCP_CLOSE);
		inet_csk_listen_stop(sk);
		return sk->qlen == 0;      /* requests still point at it (Z-4) */
	}
	if (sk->sk_state == TCP_FIN_WAIT2 && sk->linger2 < 0) {
		/* TCP_LINGER2 < 0: no waiting for the peer's FIN. */
		UST_INC_STATS(sk->tcp->core, LINUX_MIB_TCPABORTONLINGER);
		tcp_send_active_reset(sk);
		tcp_set_state(sk, TCP_CLOSE);
	} else if (sk->sk_state == TCP_FIN_WAIT2) {
		tmo = tcp_fin_time(sk);
		if (tmo <= TCP_TIMEWAIT_LEN) {
			/* Not yet dead for tcp_done, which would free it: our
			 * caller frees it. */
			sk->sk_flags &= ~SOCK_DEAD;
			tcp_time_wait(sk, TCP_FIN_WAIT2, tmo);
			sk->sk_flags |= SOCK_DEAD;
			return true;
		}
		inet_csk_reset_keepalive_timer(sk, tmo - TCP_TIMEWAIT_LEN);
		return false;
	}
	if (sk->sk_state != TCP_CLOSE)
		return false;
	tcp_clear_xmit_timers(sk);
	inet_csk_delete_keepalive_timer(sk);
	return true;
}

bool tcp_close(struct ust_sock *sk)
{
	tcp_close_start(sk);
	return tcp_close_finish(sk);
}
