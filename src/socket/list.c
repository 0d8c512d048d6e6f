/*
 * ss for ustack: the stack's sockets with their queues (ust_socket_list). It
 * walks the descriptor table, and the accept queue of each listener for the
 * children nobody has accepted yet; then ehash, only for what no descriptor
 * holds: orphans (closed, still closing) and TIME_WAIT minisocks, shown in
 * their substate as ss shows them. Not on any packet path.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include "socket/socket.h"
#include "stack.h"
#include "ustack/trace.h"

static void fill(struct ust_socket_info *i, const struct ust_sock *sk, int fd)
{
	memset(i, 0, sizeof(*i));
	i->fd = fd;
	i->state = sk->sk_state;
	i->local.sin_family = i->peer.sin_family = AF_INET;
	i->local.sin_addr.s_addr = sk->inet_rcv_saddr;
	i->local.sin_port = htons(sk->inet_num);
	i->peer.sin_addr.s_addr = sk->inet_daddr;
	i->peer.sin_port = sk->inet_dport;
	if (sk->sk_state == TCP_LISTEN) {
		i->recv_q = sk->sk_ack_backlog;
		i->send_q = sk->sk_max_ack_backlog;
		i->syn_queue = sk->qlen;
	} else {
		i->recv_q = sk->rcv_queued;
		i->send_q = sk->snd_nxt - sk->snd_una;
	}
}

static void fill_tw(struct ust_socket_info *i, const struct inet_timewait_sock *tw)
{
	memset(i, 0, sizeof(*i));
	i->fd = -1;
	i->state = tw->tw_substate;
	i->local.sin_family = i->peer.sin_family = AF_INET;
	i->local.sin_addr.s_addr = tw->tw_rcv_saddr;
	i->local.sin_port = htons(tw->tw_num);
	i->peer.sin_addr.s_addr = tw->tw_daddr;
	i->peer.sin_port = tw->tw_dport;
}

/* The ehash entries no descriptor shows: orphans and minisocks. */
static int list_ehash(struct ust_sockets *s, struct ust_socket_info *out, int max, int n)
{
	const struct inet_hashinfo *h = &s->tcp->hashinfo;

	for (uint32_t b = 0; h->ehash && b <= h->ehash_mask; b++) {
		const struct ust_hlist_node *pos;

		ust_hlist_for_each(pos, &h->ehash[b]) {
			struct sock_common *c = container_of(pos, struct sock_common, skc_node);

			if (c->skc_state == TCP_TIME_WAIT) {
				if (n < max)
					fill_tw(&out[n], tw_from_common(c));
				n++;
			} else if (c->skc_state != TCP_NEW_SYN_RECV && (sk_from_common(c)->sk_flags & SOCK_DEAD)) {
				if (n < max)
					fill(&out[n], sk_from_common(c), -1);
				n++;
			}
		}
	}
	return n;
}

int ust_socket_list(struct ust_stack *st, struct ust_socket_info *out, int max)
{
	struct ust_sockets *s = ust_stack_sockets(st);
	int n = 0;

	if (max < 0 || (max && !out)) {
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_lock(s->lock);
	for (uint32_t idx = 0; idx < s->nfds; idx++) {
		struct ust_sock *sk = s->fds[idx];
		struct ust_list *pos;

		if (!sk)
			continue;
		if (n < max)
			fill(&out[n], sk, (int)idx + UST_FD_BASE);
		n++;
		if (sk->sk_state != TCP_LISTEN)
			continue;
		ust_list_for_each(pos, &sk->accept_queue) {
			if (n < max)
				fill(&out[n], ust_list_entry(pos, struct ust_sock, accept_node), -1);
			n++;
		}
	}
	n = list_ehash(s, out, max, n);
	pthread_mutex_unlock(s->lock);
	return n;
}

static const char *endpoint(const struct sockaddr_in *a, char *buf, size_t len)
{
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
	if (a->sin_addr.s_addr == 0 && a->sin_port == 0)
		snprintf(buf, len, "*:*");
	else if (a->sin_addr.s_addr == 0)
		snprintf(buf, len, "*:%u", ntohs(a->sin_port));
	else
		snprintf(buf, len, "%s:%u", ip, ntohs(a->sin_port));
	return buf;
}

int ust_socket_list_print(struct ust_stack *st, FILE *f)
{
	struct ust_socket_info info[256];
	char l[32], p[32];
	int n = ust_socket_list(st, info, 256);

	if (n < 0)
		return -1;
	fprintf(f, "%-12s %6s %6s  %-21s %-21s %4s %s\n", "State", "Recv-Q", "Send-Q", "Local Address:Port",
		"Peer Address:Port", "fd", "SynQ");
	for (int i = 0; i < n && i < 256; i++) {
		const struct ust_socket_info *s = &info[i];
		char fd[12];

		snprintf(fd, sizeof(fd), s->fd >= 0 ? "%d" : "-", s->fd);
		fprintf(f, "%-12s %6u %6u  %-21s %-21s %4s", ust_tcp_state_name(s->state), s->recv_q, s->send_q,
			endpoint(&s->local, l, sizeof(l)), endpoint(&s->peer, p, sizeof(p)), fd);
		if (s->state == 10)
			fprintf(f, " %u", s->syn_queue);
		fputc('\n', f);
	}
	if (n > 256)
		fprintf(f, "(%d more)\n", n - 256);
	return n;
}
