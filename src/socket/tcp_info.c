/*
 * getsockopt(TCP_INFO): the connection's state in the layout of Linux's
 * struct tcp_info (include/uapi/linux/tcp.h), up to tcpi_total_retrans, the
 * part every kernel since 2.6 fills. Programs and packetdrill scripts read it
 * as they read the kernel's; the rest of a longer caller's buffer is zeroed.
 * Units as Linux: times in microseconds except the last_* ages (ms).
 */
#include <errno.h>
#include <string.h>
#include "socket/socket.h"
#include "tcp/tcp.h"

#define TCPI_OPT_TIMESTAMPS 1
#define TCPI_OPT_SACK       2
#define TCPI_OPT_WSCALE     4
#define TCPI_OPT_ECN        8

struct tcpi_linux {
	uint8_t tcpi_state, tcpi_ca_state, tcpi_retransmits, tcpi_probes;
	uint8_t tcpi_backoff, tcpi_options;
	uint8_t tcpi_snd_wscale : 4, tcpi_rcv_wscale : 4;
	uint8_t tcpi_flags;
	uint32_t tcpi_rto, tcpi_ato, tcpi_snd_mss, tcpi_rcv_mss;
	uint32_t tcpi_unacked, tcpi_sacked, tcpi_lost, tcpi_retrans, tcpi_fackets;
	uint32_t tcpi_last_data_sent, tcpi_last_ack_sent, tcpi_last_data_recv, tcpi_last_ack_recv;
	uint32_t tcpi_pmtu, tcpi_rcv_ssthresh, tcpi_rtt, tcpi_rttvar, tcpi_snd_ssthresh, tcpi_snd_cwnd;
	uint32_t tcpi_advmss, tcpi_reordering, tcpi_rcv_rtt, tcpi_rcv_space, tcpi_total_retrans;
};

_Static_assert(sizeof(struct tcpi_linux) == 104, "the kernel's layout up to tcpi_total_retrans");

static void tcp_get_info(const struct ust_sock *sk, struct tcpi_linux *info)
{
	uint32_t now = tcp_time_ms(sk->tcp);

	memset(info, 0, sizeof(*info));
	info->tcpi_state = sk->sk_state;
	if (sk->sk_state == TCP_LISTEN) {
		/* tcp_get_info: a listener reports its accept queue here. */
		info->tcpi_unacked = sk->sk_ack_backlog;
		info->tcpi_sacked = sk->sk_max_ack_backlog;
		return;
	}
	info->tcpi_ca_state = sk->ca_state;
	info->tcpi_retransmits = sk->icsk_retransmits;
	info->tcpi_probes = sk->icsk_probes_out;
	info->tcpi_backoff = sk->icsk_backoff;
	if (sk->tstamp_ok)
		info->tcpi_options |= TCPI_OPT_TIMESTAMPS;
	if (sk->sack_ok)
		info->tcpi_options |= TCPI_OPT_SACK;
	if (sk->wscale_ok) {
		info->tcpi_options |= TCPI_OPT_WSCALE;
		info->tcpi_snd_wscale = sk->snd_wscale & 0xf;
		info->tcpi_rcv_wscale = sk->rcv_wscale & 0xf;
	}
	if (sk->ecn_ok)
		info->tcpi_options |= TCPI_OPT_ECN;
	info->tcpi_rto = sk->icsk_rto * 1000u;
	info->tcpi_ato = (uint32_t)sk->icsk_ack_ato * 1000u;
	info->tcpi_snd_mss = sk->mss_cache;
	info->tcpi_rcv_mss = sk->icsk_ack_rcv_mss;
	info->tcpi_unacked = sk->packets_out;
	info->tcpi_sacked = sk->sacked_out;
	info->tcpi_lost = sk->lost_out;
	info->tcpi_retrans = sk->retrans_out;
	info->tcpi_last_data_sent = now - sk->lsndtime;
	info->tcpi_last_data_recv = now - sk->icsk_ack_lrcvtime;
	info->tcpi_last_ack_recv = now - sk->rcv_tstamp;
	info->tcpi_pmtu = sk->dst.mtu;
	info->tcpi_rcv_ssthresh = sk->rcv_ssthresh;
	info->tcpi_rtt = sk->srtt_us >> 3;
	info->tcpi_rttvar = sk->mdev_us >> 2;
	info->tcpi_snd_ssthresh = sk->snd_ssthresh;
	info->tcpi_snd_cwnd = sk->snd_cwnd;
	info->tcpi_advmss = sk->advmss;
	info->tcpi_reordering = sk->reordering;
	info->tcpi_rcv_rtt = sk->rcv_rtt_us >> 3;
	info->tcpi_rcv_space = sk->rcvq_space_space;
	info->tcpi_total_retrans = sk->total_retrans;
}

int tcp_getsockopt_info(const struct ust_sock *sk, void *val, socklen_t *len)
{
	struct tcpi_linux info;
	socklen_t n;

	if (!len)
		return -EFAULT;
	if ((int)*len < 0)
		return -EINVAL;
	n = *len < (socklen_t)sizeof(info) ? *len : (socklen_t)sizeof(info);
	if (n && !val)
		return -EFAULT;
	tcp_get_info(sk, &info);
	memcpy(val, &info, n);
	*len = n;
	return 0;
}
