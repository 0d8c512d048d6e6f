/*
 * Packet events: which connection a script packet belongs to (packetdrill's
 * socket under test: find_or_create_socket_for_script_packet and its
 * handle_listen/handle_connect helpers), injecting `<` packets, sniffing and
 * matching `>` packets, and the check that no packet the stack sent was left
 * unexpected.
 *
 * As in packetdrill there is a connection under test: the last socket
 * created, or the child a packet towards a listener creates (with the next
 * ephemeral port, from 40000, as the peer's), or the socket connect() was
 * called on. Beyond packetdrill, a packet written with `sport>dport` names
 * the connection with those ports (an inbound one creates it if new), so a
 * script can drive several connections; each keeps its own mapping state.
 * A `>` line takes the oldest packet of its connection; packets the stack
 * sends for no connection of the script are dropped, as packetdrill's
 * sniffer drops them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pkt_map.h"
#include "run.h"
#include "ustack/ustack.h"

#define RUN_WAIT_LIMIT_USECS (3600LL * 1000000LL)   /* `*` packets */

static struct pkt_run_sock *sut(struct pkt_run *r)
{
	return r->sut >= 0 ? &r->socks[r->sut] : NULL;
}

/* A new passive child for a packet injected towards a listener (or with no
 * socket at all): handle_listen_for_script_packet. Ports in host order. */
static int new_child(struct pkt_run *r, size_t i, uint16_t lport, uint16_t rport)
{
	struct pkt_run_sock *s;

	if (r->nsocks == PKT_RUN_MAX_SOCKS)
		return pkt_run_fail_at(r, i, "error handling packet: too many connections");
	s = &r->socks[r->nsocks];
	memset(s, 0, sizeof(*s));
	s->state = RUN_SOCK_PASSIVE_PKT_RCVD;
	s->local_port_known = true;
	pkt_conn_init(&s->conn, r->local_ip, htons(lport), r->remote_ip, htons(rport));
	r->sut = (int)r->nsocks++;
	return r->sut;
}

/* `sport>dport` names a connection: the one with those ports, or (inbound)
 * a new one. packetdrill has one connection under test and only rewrites
 * the injected packet's ports; naming connections by their ports lets a
 * script drive several at once and keeps single-connection scripts as they
 * are. -ENOENT: no such connection and the packet cannot make one. */
static int sock_by_ports(struct pkt_run *r, const struct pkt_packet *p, size_t i)
{
	bool in = p->dir == PKT_INBOUND;
	uint16_t lport = in ? p->tcp.dport : p->tcp.sport;
	uint16_t rport = in ? p->tcp.sport : p->tcp.dport;

	for (size_t k = 0; k < r->nsocks; k++) {
		const struct pkt_run_sock *s = &r->socks[k];

		if (s->local_port_known && s->conn.local_port == htons(lport) &&
		    s->conn.remote_port == htons(rport)) {
			r->sut = (int)k;
			return (int)k;
		}
	}
	if (in)
		return new_child(r, i, lport, rport);
	return -ENOENT;
}

static int sock_for_packet(struct pkt_run *r, const struct pkt_packet *p, size_t i)
{
	struct pkt_run_sock *s;
	int k;

	if (p->l4 == PKT_L4_TCP && p->tcp.sport && p->tcp.dport &&
	    (k = sock_by_ports(r, p, i)) != -ENOENT)
		return k;
	s = sut(r);
	if (p->l4 == PKT_L4_TCP) {
		if (p->dir == PKT_INBOUND && (!s || s->state == RUN_SOCK_LISTENING)) {
			k = new_child(r, i, r->bind_port, r->next_port);
			r->next_port++;
			return k;
		}
		if (p->dir == PKT_OUTBOUND && (p->tcp.flags & UST_TCP_SYN) &&
		    !(p->tcp.flags & UST_TCP_ACK) && s && s->state == RUN_SOCK_CONNECTING) {
			s->state = RUN_SOCK_SYN_SENT;
			return r->sut;
		}
	}
	if (s)
		return r->sut;
	return pkt_run_fail_at(r, i, "error handling packet: no matching socket for script packet");
}

/* The first SYN of an active open teaches the local address and port
 * (find_connect_for_live_packet). */
static bool adopt_syn(const struct pkt_run_sock *s, const struct pkt_decoded *d)
{
	if (s->local_port_known ||
	    (s->state != RUN_SOCK_CONNECTING && s->state != RUN_SOCK_SYN_SENT) ||
	    d->pkt.l4 != PKT_L4_TCP || !(d->pkt.tcp.flags & UST_TCP_SYN) ||
	    (d->pkt.tcp.flags & UST_TCP_ACK) || d->daddr != s->conn.remote_ip ||
	    d->dport != s->conn.remote_port)
		return false;
	return true;
}

static bool sock_owns(const struct pkt_run_sock *s, const struct pkt_decoded *d, bool icmp_ok)
{
	if (adopt_syn(s, d))
		return true;
	if (d->saddr != s->conn.local_ip || d->daddr != s->conn.remote_ip)
		return false;
	if (d->pkt.l4 == PKT_L4_ICMP)
		return icmp_ok;
	return s->local_port_known && d->sport == s->conn.local_port &&
	       d->dport == s->conn.remote_port;
}

/* The connection a packet the stack sent belongs to: the one under test
 * first, then any other the script has named; -1 for none. With learn, an
 * active open's first SYN fixes its local port. */
static int decoded_owner(struct pkt_run *r, const struct pkt_decoded *d)
{
	if (r->sut >= 0 && sock_owns(&r->socks[r->sut], d, true))
		return r->sut;
	for (size_t j = 0; j < r->nsocks; j++)
		if (sock_owns(&r->socks[j], d, false))
			return (int)j;
	return -1;
}

static int packet_owner(struct pkt_run *r, const struct pkt_run_out *o, bool learn)
{
	struct pkt_decoded d;
	char msg[128];
	int k;

	if (pkt_decode(o->data, o->len, &d, msg, sizeof(msg)))
		return -1;
	k = decoded_owner(r, &d);
	if (k >= 0 && learn && adopt_syn(&r->socks[k], &d)) {
		r->socks[k].conn.local_ip = d.saddr;
		r->socks[k].conn.local_port = d.sport;
		r->socks[k].local_port_known = true;
	}
	return k;
}

/* Wire -> script numbers with what the connection under test has learnt,
 * without learning anything (pkt_match_outbound's mapping, read-only). */
static void map_actual(const struct pkt_conn *c, struct pkt_tcp_spec *t)
{
	bool syn = t->flags & UST_TCP_SYN;
	uint32_t ack_off = pkt_remote_seq_offset(c, syn);

	t->seq -= pkt_local_seq_offset(c, syn);
	if (t->flags & UST_TCP_ACK)
		t->ack -= ack_off;
	for (unsigned int i = 0; i < t->nopts; i++) {
		struct pkt_tcp_opt *o = &t->opts[i];

		for (unsigned int b = 0; o->kind == UST_TCPOPT_SACK && b < o->sack.n; b++) {
			o->sack.blocks[b].start -= ack_off;
			o->sack.blocks[b].end -= ack_off;
		}
		if (o->kind == UST_TCPOPT_TIMESTAMP && c->ts_known)
			o->ts.val = c->first_script_ts_val + (o->ts.val - c->first_live_ts_val);
	}
}

void pkt_run_format_actual(struct pkt_run *r, const uint8_t *ip, size_t len,
			   char *buf, size_t cap)
{
	struct pkt_decoded d;
	char msg[128];
	int k;

	if (pkt_decode(ip, len, &d, msg, sizeof(msg))) {
		snprintf(buf, cap, "[bad packet: %s]", msg);
		return;
	}
	k = decoded_owner(r, &d);
	if (d.pkt.l4 == PKT_L4_TCP && k >= 0)
		map_actual(&r->socks[k].conn, &d.pkt.tcp);
	pkt_format_packet(&d.pkt, buf, cap);
}

/* The next `>` event at or after i, or nevents. */
static size_t next_outbound(const struct pkt_run *r, size_t i)
{
	for (; i < r->script->nevents; i++) {
		const struct pkt_event *ev = &r->script->events[i];

		if (ev->type == PKT_EV_PACKET && ev->packet->dir == PKT_OUTBOUND)
			return i;
	}
	return i;
}

/* Could the next `>` event still take a packet sent at usecs? Only with `*`
 * or an absolute time whose window holds it: a relative time resolves to
 * now or later. */
static bool next_outbound_accepts(struct pkt_run *r, size_t i, int64_t usecs)
{
	size_t j = next_outbound(r, i);
	const struct pkt_time *t;
	struct pkt_time_check tc;
	char msg[256];

	if (j >= r->script->nevents)
		return false;
	t = &r->script->events[j].time;
	if (t->type == PKT_TIME_ANY)
		return true;
	if (t->type != PKT_TIME_ABSOLUTE && t->type != PKT_TIME_ABSOLUTE_RANGE)
		return false;
	memset(&tc, 0, sizeof(tc));
	tc.type = t->type;
	tc.expected_usecs = t->usecs;
	tc.expected_end_usecs = t->type == PKT_TIME_ABSOLUTE_RANGE ? t->end_usecs : t->usecs;
	tc.actual_usecs = usecs;
	tc.has_last = true;
	tc.last_event_usecs = pkt_run_now(r);
	tc.description = "outbound packet";
	return pkt_check_time(&r->cfg, &tc, msg, sizeof(msg)) == 0;
}

int pkt_run_check_stale(struct pkt_run *r, size_t i)
{
	int64_t now = pkt_run_now(r);
	bool end = i >= r->script->nevents;
	size_t at = end ? r->last : i;
	char line[512];

	for (size_t k = 0; k < r->qlen; k++) {
		const struct pkt_run_out *o = &r->q[r->qhead + k];

		if (packet_owner(r, o, false) < 0)
			continue;
		if (o->usecs >= now - r->cfg.tolerance_usecs ||
		    next_outbound_accepts(r, i, o->usecs))
			return 0;
		pkt_run_format_actual(r, o->data, o->len, line, sizeof(line));
		return pkt_run_fail_at(r, at, "error handling packet: unexpected outbound packet "
				       "sent at %.6f sec (%s)\nactual packet: %9.6f %s",
				       (double)o->usecs / 1e6,
				       end ? "none expected after the last event"
					   : "none expected before this event",
				       (double)o->usecs / 1e6, line);
	}
	return 0;
}

static int run_inbound(struct pkt_run *r, size_t i, const struct pkt_packet *p)
{
	uint8_t buf[2048];
	char msg[512], line[512];
	struct pkt_run_sock *s;
	int sock = sock_for_packet(r, p, i), n;

	if (sock < 0)
		return -1;
	s = &r->socks[sock];
	if (p->l4 == PKT_L4_TCP) {
		if (s->state == RUN_SOCK_PASSIVE_SYNACK_SENT && (p->tcp.flags & UST_TCP_ACK))
			s->state = RUN_SOCK_PASSIVE_SYNACK_ACKED;
		else if (s->state == RUN_SOCK_SYN_SENT && (p->tcp.flags & UST_TCP_SYN) &&
			 (p->tcp.flags & UST_TCP_ACK))
			s->state = RUN_SOCK_SYN_ACKED;
	}
	if (pkt_run_wait_event(r, i, "inbound packet"))
		return -1;
	n = pkt_build_inbound(&s->conn, &r->cfg, p, buf, sizeof(buf), msg, sizeof(msg));
	if (n < 0)
		return pkt_run_fail_at(r, i, "error handling packet: %s",
				       n == -ENOSPC ? "packet too large" : msg);
	if (r->opts.verbose) {
		pkt_print_ip(buf, (size_t)n, line, sizeof(line));
		pkt_run_verbose(r, "%9.6f line %-4d < %s", (double)pkt_run_now(r) / 1e6,
				r->script->events[i].line, line);
	}
	if (ust_pipe_inject(r->dev, buf, (size_t)n))
		return pkt_run_fail_at(r, i, "error handling packet: injecting: %s", strerror(errno));
	return pkt_run_settle(r);
}

/* The oldest queued packet of connection sock, stepping the clock until one
 * is sent or the deadline passes (sniff_outbound_live_packet). Packets of
 * other connections the script knows stay queued for their own `>` lines;
 * packets of no known connection are dropped, as packetdrill's sniffer
 * drops them. */
static struct pkt_run_out *sniff(struct pkt_run *r, size_t i, int sock, int64_t deadline)
{
	char line[512];

	for (;;) {
		for (size_t k = 0; k < r->qlen; k++) {
			struct pkt_run_out *o = &r->q[r->qhead + k];
			int owner = packet_owner(r, o, true);

			if (owner == sock) {
				if (k) {        /* bring it to the head */
					struct pkt_run_out t = *o;

					memmove(&r->q[r->qhead + 1], &r->q[r->qhead],
						k * sizeof(*o));
					r->q[r->qhead] = t;
				}
				return &r->q[r->qhead];
			}
			if (owner >= 0)
				continue;
			if (r->opts.verbose) {
				pkt_print_ip(o->data, o->len, line, sizeof(line));
				pkt_run_verbose(r, "%9.6f skipped   %s (no connection of the script)",
						(double)o->usecs / 1e6, line);
			}
			free(o->data);
			memmove(o, o + 1, (r->qlen - k - 1) * sizeof(*o));
			r->qlen--;
			k--;
		}
		if (pkt_run_now(r) >= deadline) {
			pkt_run_fail_at(r, i, "error handling packet: Timed out waiting for packet");
			return NULL;
		}
		if (pkt_run_step(r, deadline))
			return NULL;
	}
}

/* packetdrill waits max(start, end) - previous event, in whole seconds, plus 2. */
static int64_t sniff_deadline(struct pkt_run *r, size_t i)
{
	const struct pkt_run_times *t = &r->times[i];
	int64_t last = r->has_last ? r->times[r->last].start : 0;
	int64_t wait = (t->end > t->start ? t->end : t->start) - last;

	if (r->script->events[i].time.type == PKT_TIME_ANY)
		return pkt_run_now(r) + RUN_WAIT_LIMIT_USECS;
	return pkt_run_now(r) + (wait / 1000000 + 2) * 1000000;
}

static int check_outbound_time(struct pkt_run *r, size_t i, const struct pkt_packet *p,
			       const struct pkt_run_out *o)
{
	const struct pkt_run_times *t = &r->times[i];
	struct pkt_time_check tc;
	char msg[512], exp[512], act[512];

	memset(&tc, 0, sizeof(tc));
	tc.type = r->script->events[i].time.type;
	tc.expected_usecs = t->start;
	tc.expected_end_usecs = t->end;
	tc.actual_usecs = o->usecs;
	tc.has_last = r->has_last;
	tc.last_event_usecs = r->has_last ? r->times[r->last].start : 0;
	tc.offset_usecs = t->offset;
	tc.description = "outbound packet";
	if (!pkt_check_time(&r->cfg, &tc, msg, sizeof(msg)))
		return 0;
	pkt_format_packet(p, exp, sizeof(exp));
	pkt_run_format_actual(r, o->data, o->len, act, sizeof(act));
	return pkt_run_fail_at(r, i, "error handling packet: %s\nscript packet: %9.6f %s\n"
			       "actual packet: %9.6f %s", msg, (double)t->start / 1e6, exp,
			       (double)o->usecs / 1e6, act);
}

static int run_outbound(struct pkt_run *r, size_t i, const struct pkt_packet *p)
{
	struct pkt_match_ctx ctx;
	struct pkt_run_out *o;
	struct pkt_run_sock *s;
	char msg[2048], line[512];
	int sock = sock_for_packet(r, p, i);

	if (sock < 0)
		return -1;
	s = &r->socks[sock];
	o = sniff(r, i, sock, sniff_deadline(r, i));
	if (!o)
		return -1;
	if (s->state == RUN_SOCK_PASSIVE_PKT_RCVD && p->l4 == PKT_L4_TCP &&
	    (p->tcp.flags & UST_TCP_SYN) && (p->tcp.flags & UST_TCP_ACK))
		s->state = RUN_SOCK_PASSIVE_SYNACK_SENT;
	ctx.script_usecs = r->times[i].start;
	ctx.actual_usecs = o->usecs;
	if (pkt_match_outbound(&s->conn, &r->cfg, p, o->data, o->len, &ctx, msg, sizeof(msg)))
		return pkt_run_fail_at(r, i, "error handling packet: %s", msg);
	if (check_outbound_time(r, i, p, o))
		return -1;
	if (r->opts.verbose) {
		pkt_run_format_actual(r, o->data, o->len, line, sizeof(line));
		pkt_run_verbose(r, "%9.6f line %-4d > %s (sent at %.6f)",
				(double)pkt_run_now(r) / 1e6, r->script->events[i].line, line,
				(double)o->usecs / 1e6);
	}
	pkt_run_queue_pop(r);
	return 0;
}

int pkt_run_packet_event(struct pkt_run *r, size_t i)
{
	const struct pkt_packet *p = r->script->events[i].packet;

	if (p->dir == PKT_INBOUND)
		return run_inbound(r, i, p);
	return run_outbound(r, i, p);
}
