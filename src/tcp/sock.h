/*
 * The objects of TCP connection setup, after Linux's (spec §0):
 *
 *   struct sock_common    what every object in the established hash (ehash)
 *                         begins with: 4-tuple, bound device, state, hash.
 *                         Lookup compares these without knowing the type.
 *   struct request_sock   a half-open connection (state TCP_NEW_SYN_RECV): the
 *                         ~100 bytes a SYN costs a listener. Lives in ehash.
 *   struct ust_sock       a full socket: listener, connecting, established.
 *
 * Names follow the kernel's (inet_num, sk_ack_backlog, icsk_retransmits, ...) so
 * the code reads like the design notes.
 */
#ifndef UST_TCP_SOCK_H
#define UST_TCP_SOCK_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "core/list.h"
#include "core/timer.h"
#include "ipv4/ipv4.h"
#include "wire/tcp.h"
#include "wire/types.h"

struct ust_tcp;
struct ust_pkt;
struct inet_bind_bucket;
struct tcp_congestion_ops;

/* TCP states, numbered as Linux numbers them (include/net/tcp_states.h). */
enum tcp_state {
	TCP_ESTABLISHED = 1,
	TCP_SYN_SENT,
	TCP_SYN_RECV,
	TCP_FIN_WAIT1,
	TCP_FIN_WAIT2,
	TCP_TIME_WAIT,
	TCP_CLOSE,
	TCP_CLOSE_WAIT,
	TCP_LAST_ACK,
	TCP_LISTEN,
	TCP_CLOSING,
	TCP_NEW_SYN_RECV,
	TCP_MAX_STATES
};

#define TCPF(s) (1u << (s))

/* The socket layer's view (struct socket's state). */
enum socket_state {
	SS_UNCONNECTED = 1,
	SS_CONNECTING,
	SS_CONNECTED,
};

struct sock_common {
	struct ust_hlist_node skc_node;   /* ehash chain, or a listener's lhash chain */
	union {
		uint64_t skc_addrpair;    /* daddr | rcv_saddr << 32, compared in one go */
		struct {
			ust_be32 skc_daddr;       /* foreign address */
			ust_be32 skc_rcv_saddr;   /* local address */
		};
	};
	union {
		uint32_t skc_portpair;    /* dport | num << 16 */
		struct {
			ust_be16 skc_dport;       /* foreign port, network order */
			uint16_t skc_num;         /* local port, host order (inet_num) */
		};
	};
	uint32_t skc_hash;                /* ehash hash of the 4-tuple */
	int skc_bound_dev_if;             /* SO_BINDTODEVICE / listener's device, 0 = any */
	uint8_t skc_state;                /* enum tcp_state */
	uint8_t skc_reuse : 1;            /* SO_REUSEADDR */
	uint8_t skc_reuseport : 1;        /* SO_REUSEPORT */
};

/* Makes the portpair of (foreign port, local port) as stored in sock_common. */
static inline uint32_t inet_portpair(ust_be16 dport, uint16_t num)
{
	return (uint32_t)dport | (uint32_t)num << 16;
}

static inline uint64_t inet_addrpair(ust_be32 daddr, ust_be32 rcv_saddr)
{
	return (uint64_t)daddr | (uint64_t)rcv_saddr << 32;
}

/*
 * A request sock: one per SYN a listener answered and has not yet completed.
 * Kept at or under 128 bytes (Linux's is 312); the accept queue holds children,
 * not requests, so a request dies when its child is created.
 */
struct request_sock {
	struct sock_common __req_common;  /* skc_state == TCP_NEW_SYN_RECV */
	struct ust_sock *rsk_listener;
	struct ust_timer rsk_timer;       /* SYN-ACK retransmission and expiry */
	uint32_t rcv_isn;                 /* the peer's ISN */
	uint32_t snt_isn;                 /* ours */
	uint32_t ts_recent;               /* the peer's last TSval */
	uint32_t ts_off;                  /* our timestamp offset for this pair */
	uint32_t snt_synack;              /* ms stamp of the first SYN-ACK, for RTT */
	uint32_t last_oow_ack_time;       /* ms stamp of the last rate-limited reply */
	uint32_t rcv_wnd;                 /* initial receive window we offered */
	uint16_t mss;                     /* the peer's MSS, clamped */
	uint8_t snd_wscale : 4;           /* the peer's shift */
	uint8_t rcv_wscale : 4;           /* ours */
	uint8_t tstamp_ok : 1, sack_ok : 1, wscale_ok : 1, ecn_ok : 1;
	uint8_t acked : 1;                /* final ACK seen but the child could not be made */
	uint8_t num_timeout;              /* SYN-ACK timeouts so far */
	uint8_t num_retrans;              /* SYN-ACK retransmissions so far */
	int ir_iif;                       /* the device the SYN came in on */
};

/* The design's bound (Linux's is 312 bytes); checked where it is defined. */
_Static_assert(sizeof(struct request_sock) <= 128, "a request sock stays within 128 bytes");

#define ireq_loc_addr __req_common.skc_rcv_saddr
#define ireq_rmt_addr __req_common.skc_daddr
#define ireq_rmt_port __req_common.skc_dport
#define ireq_num      __req_common.skc_num

/* sk_userlocks: what the user fixed with bind() (kept across a failed connect). */
#define SOCK_BINDADDR_LOCK 0x04
#define SOCK_BINDPORT_LOCK 0x08

/* sk_shutdown */
#define RCV_SHUTDOWN 1
#define SEND_SHUTDOWN 2

/* sk_flags bits */
#define SOCK_DEAD      (1u << 0)    /* orphaned: no file refers to it any more */
#define SOCK_DONE      (1u << 1)    /* the peer's FIN or RST ended the input */
#define SOCK_NONBLOCK_F (1u << 2)     /* O_NONBLOCK on the file */
#define SOCK_LINGER    (1u << 3)
#define SOCK_KEEPOPEN  (1u << 4)
#define SOCK_CLOSE_DEFERRED (1u << 5) /* close() came while a call slept on it */
#define SOCK_NOSPACE   (1u << 6)    /* a writer or poll() found the send buffer full */

/*
 * A full TCP socket. Fields group by who uses them: hashing (sock_common and
 * bind), the listener's queues, the socket layer, and TCP's sequence state.
 */
struct ust_sock {
	struct sock_common sk_common;     /* first: ehash/lhash entries start here */
	struct ust_tcp *tcp;              /* the stack's TCP layer (Linux: sock_net) */

	/* bind hash: the owners of one local port */
	struct ust_hlist_node sk_bind_node;
	struct inet_bind_bucket *icsk_bind_hash;
	uint8_t sk_userlocks;

	/* listener: SYN queue accounting and the accept queue (icsk_accept_queue) */
	uint32_t sk_ack_backlog;          /* children in the accept queue */
	uint32_t sk_max_ack_backlog;      /* listen()'s backlog, clamped to somaxconn */
	uint32_t qlen;                    /* live request socks */
	uint32_t young;                   /* requests that have not timed out yet */
	struct ust_list accept_queue;     /* children, FIFO */
	uint32_t synq_overflow_ts;        /* s stamp of the last SYN-queue overflow (cookies) */
	uint8_t defer_accept;             /* TCP_DEFER_ACCEPT as SYN-ACK retransmissions */
	uint8_t synflood_warned;

	/* child: its place in the parent's accept queue */
	struct ust_list accept_node;
	struct ust_sock *parent;

	/* socket layer */
	int fd;
	enum socket_state sk_socket_state;
	uint32_t sk_flags;
	uint8_t sk_shutdown;
	int sk_err;                       /* pending error, SO_ERROR */
	int sk_err_soft;                  /* an ICMP error kept for a later timeout */
	int sk_rcvbuf, sk_sndbuf;
	uint32_t sk_lingertime;           /* SO_LINGER seconds (with SOCK_LINGER) */
	uint8_t sk_rcvbuf_locked : 1, sk_sndbuf_locked : 1;
	uint64_t sk_rcvtimeo, sk_sndtimeo;  /* ns; 0 = wait forever */
	pthread_cond_t sk_wq;             /* blocked connect/accept/recv sleep here */
	uint32_t sk_waiters;
	uint32_t sk_wakeups;              /* bumped by every wake; waiters watch it */

	/* route cache (Linux: sk_dst_cache): where this connection's packets go */
	struct ust_rtable dst;
	uint16_t inet_id;                 /* IP ID of our DF segments (ip_select_ident) */

	/* TCP sequence space (tcp_sock) */
	uint32_t write_seq;               /* next sequence number to queue */
	uint32_t snd_una, snd_nxt;
	uint32_t snd_wl1, snd_wnd, max_window;
	uint32_t rcv_nxt, rcv_wup, copied_seq;
	uint32_t rcv_wnd, window_clamp;
	uint32_t rcv_ssthresh;            /* window growth limit (starts at rcv_wnd) */
	uint16_t mss_cache;               /* current send MSS */
	uint16_t advmss;                  /* MSS we advertise */
	uint16_t user_mss;                /* TCP_MAXSEG */
	uint16_t mss_clamp;               /* the peer's MSS, clamped by user_mss */
	uint8_t snd_wscale, rcv_wscale;
	uint8_t tstamp_ok : 1, sack_ok : 1, wscale_ok : 1, ecn_ok : 1;
	uint8_t tcp_header_len;
	uint32_t ts_recent;               /* the peer's last TSval */
	uint32_t ts_recent_stamp;         /* s stamp when ts_recent was taken; 0 = none */
	uint32_t tsoffset;                /* added to our TSvals */
	uint32_t retrans_stamp;           /* ms stamp of the first SYN (SYN_SENT) */
	uint32_t last_oow_ack_time;       /* ms stamp of the last rate-limited reply */
	uint32_t total_retrans;

	/* inet_connection_sock timers and retransmission state */
	struct ust_timer icsk_retransmit_timer;
	struct ust_timer icsk_delack_timer;
	uint32_t icsk_rto;                /* ms */
	uint8_t icsk_retransmits;         /* timeouts of the current segment */
	uint8_t icsk_syn_retries;         /* TCP_SYNCNT, 0 = the sysctl */
	uint8_t icsk_pending_ack;

	/* sender: write queue, congestion control, loss recovery (tcp_write.c,
	 * tcp_ack.c, tcp_recovery.c). Packets from wq_head to before send_head
	 * are in flight (Linux's rtx queue); send_head onwards are not yet sent. */
	struct ust_pkt *wq_head, *wq_tail, *send_head;
	const struct tcp_congestion_ops *icsk_ca_ops;
	uint32_t sk_wmem_queued;          /* payload bytes in the write queue */
	uint32_t snd_cwnd, snd_ssthresh, snd_cwnd_cnt, prior_cwnd;
	uint32_t packets_out, sacked_out, lost_out, retrans_out;
	uint32_t high_seq;                /* snd_nxt when recovery or loss began */
	uint32_t snd_sml;                 /* end of the last small segment (Minshall) */
	uint32_t pushed_seq;              /* last write_seq marked PSH */
	uint32_t srtt_us, mdev_us, mdev_max_us, rttvar_us, rtt_seq;  /* srtt << 3, mdev << 2 */
	uint32_t prr_delivered, prr_out;  /* RFC 6937 */
	uint32_t max_packets_out, cwnd_usage_seq;  /* tcp_cwnd_validate */
	uint32_t lsndtime;                /* ms stamp of the last data sent */
	uint8_t is_cwnd_limited;
	uint8_t ca_state;                 /* TCP_CA_Open ... TCP_CA_Loss */
	uint8_t nonagle;                  /* TCP_NAGLE_OFF / CORK / PUSH */
	uint8_t icsk_backoff, icsk_pending;   /* icsk_probes_out is shared with keepalive */
	uint8_t reordering;
	uint32_t rack_mstamp, rack_end_seq, rack_rtt_us, rtt_min_us;  /* RFC 8985 */
	uint8_t rack_valid;
	uint8_t newly_lost;               /* this ACK marked something lost */
	uint8_t syn_rtt_ok;               /* retrans_stamp holds the SYN (-ACK) send time */

	/* data that arrived before the application read it (in order) */
	struct ust_pkt *rcv_head, *rcv_tail;
	uint32_t rcv_queued;              /* bytes */

	/* close: keepalive and orphan timing (tcp_keepalive.c). sk_timer is
	 * Linux's: keepalive probes, or an orphan's long FIN_WAIT2. */
	struct ust_timer sk_timer;
	uint32_t rcv_tstamp;              /* ms stamp of the last acceptable ACK */
	uint16_t keepalive_time;          /* TCP_KEEPIDLE, s; 0 = tcp_keepalive_time */
	uint16_t keepalive_intvl;         /* TCP_KEEPINTVL, s; 0 = tcp_keepalive_intvl */
	uint8_t keepalive_probes;         /* TCP_KEEPCNT; 0 = tcp_keepalive_probes */
	uint8_t icsk_probes_out;          /* keepalive or zero-window probes not answered */
	int32_t linger2;                  /* TCP_LINGER2, ms; 0 = tcp_fin_timeout, < 0 = none */
	/* receiver: out-of-order queue, SACK blocks we send, delayed ACKs
	 * (icsk_ack), receive memory and autotuning (tcp_rcv.c, tcp_ofo.c) */
	struct ust_pkt *ofo_head;         /* sorted by seq (Linux: an rbtree) */
	struct ust_pkt *ooo_last_skb;     /* the last inserted: the usual append point */
	uint32_t rmem_alloc;              /* truesize of both queues (sk_rmem_alloc) */
	struct ust_tcp_sack_block duplicate_sack[1];
	struct ust_tcp_sack_block selective_acks[4];
	uint8_t num_sacks;
	uint8_t dsack : 1;
	uint8_t scaling_ratio;            /* window per byte of buffer, /256; 0 = default */
	uint8_t icsk_ack_quick;           /* quick ACKs left */
	uint8_t icsk_ack_pingpong;        /* interactive session: delay ACKs */
	uint16_t icsk_ack_ato;            /* ms */
	uint16_t icsk_ack_rcv_mss;        /* the peer's segment size as we see it */
	uint16_t icsk_ack_last_seg_size;
	uint32_t icsk_ack_lrcvtime;       /* ms stamp of the last data */
	uint32_t icsk_ack_timeout;        /* ms stamp the delayed ACK is due */
	int sk_rcvlowat;                  /* 0 = 1 */
	uint32_t rcv_wait_seen;           /* bytes a sleeping reader has seen queued */
	uint32_t rcvq_space_space, rcvq_space_seq, rcvq_space_time;
	uint32_t rcv_rtt_us;              /* receiver RTT estimate << 3, 0 = none */
	uint32_t rcv_rtt_seq, rcv_rtt_time, rcv_rtt_last_tsecr;
};

/* The design's bound without buffers (Linux's is 2304 bytes). */
_Static_assert(sizeof(struct ust_sock) <= 1024, "a socket stays within 1 KiB without its buffers");

#define inet_daddr     sk_common.skc_daddr
#define inet_rcv_saddr sk_common.skc_rcv_saddr
#define inet_dport     sk_common.skc_dport
#define inet_num       sk_common.skc_num
#define sk_state       sk_common.skc_state
#define sk_bound_dev_if sk_common.skc_bound_dev_if
#define sk_reuse       sk_common.skc_reuse
#define sk_reuseport   sk_common.skc_reuseport

static inline struct ust_sock *sk_from_common(struct sock_common *c)
{
	return (struct ust_sock *)c;
}

static inline struct request_sock *req_from_common(struct sock_common *c)
{
	return (struct request_sock *)c;
}

/* Accept queue full: strictly greater, so it holds backlog + 1 (API-6). */
static inline bool sk_acceptq_is_full(const struct ust_sock *sk)
{
	return sk->sk_ack_backlog > sk->sk_max_ack_backlog;
}

/*
 * SYN queue full: more requests than the backlog. Linux 4.3 made it
 * qlen >= backlog; current kernels test qlen > backlog, so listen(fd, 0) still
 * takes one real request. Checked against Linux 6.18 (tests/scripts/listen/
 * listen-zero-*.pkt); the running kernel wins over the spec's older rule.
 */
static inline bool inet_csk_reqsk_queue_is_full(const struct ust_sock *sk)
{
	return sk->qlen > sk->sk_max_ack_backlog;
}

#endif
