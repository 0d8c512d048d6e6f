/* The trace: event building, the ring, the callback and the text format. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/trace.h"

static void update_on(struct ust_trace *t)
{
	t->on = t->fn != NULL || t->ring != NULL;
}

void ust_trace_set_fn(struct ust_trace *t, ust_trace_fn fn, void *ctx)
{
	t->fn = fn;
	t->ctx = ctx;
	update_on(t);
}

int ust_trace_ring_resize(struct ust_trace *t, size_t events)
{
	struct ust_trace_event *ring = NULL;

	if (events) {
		ring = calloc(events, sizeof(*ring));
		if (!ring)
			return -ENOMEM;
	}
	free(t->ring);
	t->ring = ring;
	t->ring_size = events;
	t->head = t->count = 0;
	t->lost = 0;
	update_on(t);
	return 0;
}

void ust_trace_destroy(struct ust_trace *t)
{
	free(t->ring);
	memset(t, 0, sizeof(*t));
}

void ust_trace_emit(struct ust_trace *t, uint64_t now, enum ust_trace_kind kind, const char *func,
		    const struct ust_trace_who *who, int old_state, int new_state, const char *fmt, ...)
{
	struct ust_trace_event ev = {
		.ts_ns = now, .kind = kind, .func = func,
		.old_state = old_state, .new_state = new_state,
	};
	va_list ap;

	if (who) {
		ev.object = who->object;
		ev.laddr = who->laddr;
		ev.raddr = who->raddr;
		ev.lport = who->lport;
		ev.rport = who->rport;
	}
	va_start(ap, fmt);
	vsnprintf(ev.msg, sizeof(ev.msg), fmt, ap);
	va_end(ap);
	if (t->ring) {
		size_t slot = (t->head + t->count) % t->ring_size;

		t->ring[slot] = ev;
		if (t->count < t->ring_size) {
			t->count++;
		} else {
			t->head = (t->head + 1) % t->ring_size;
			t->lost++;
		}
	}
	if (t->fn)
		t->fn(&ev, t->ctx);
}

size_t ust_trace_ring_read(struct ust_trace *t, struct ust_trace_event *out, size_t max, uint64_t *lost)
{
	size_t n = 0;

	while (n < max && t->count) {
		out[n++] = t->ring[t->head];
		t->head = (t->head + 1) % t->ring_size;
		t->count--;
	}
	if (lost) {
		*lost = t->lost;
		t->lost = 0;
	}
	return n;
}

static const char *const state_names[] = {
	[0] = "UNKNOWN", [1] = "ESTABLISHED", [2] = "SYN_SENT", [3] = "SYN_RECV",
	[4] = "FIN_WAIT1", [5] = "FIN_WAIT2", [6] = "TIME_WAIT", [7] = "CLOSE",
	[8] = "CLOSE_WAIT", [9] = "LAST_ACK", [10] = "LISTEN", [11] = "CLOSING",
	[12] = "NEW_SYN_RECV",
};

const char *ust_tcp_state_name(int state)
{
	if (state < 0 || state >= (int)UST_ARRAY_SIZE(state_names))
		return "UNKNOWN";
	return state_names[state];
}

static int endpoint(char *buf, size_t len, uint32_t addr, uint16_t port)
{
	char a[INET_ADDRSTRLEN];
	struct in_addr in = { .s_addr = addr };

	inet_ntop(AF_INET, &in, a, sizeof(a));
	return snprintf(buf, len, "%s:%u", a, port);
}

int ust_trace_format(const struct ust_trace_event *ev, char *buf, size_t len)
{
	char l[32], r[32];
	int n;

	n = snprintf(buf, len, "%4llu.%06llu %s:", (unsigned long long)(ev->ts_ns / 1000000000ULL),
		     (unsigned long long)(ev->ts_ns % 1000000000ULL / 1000), ev->func ? ev->func : "?");
	if (n < 0 || (size_t)n >= len)
		return n;
	if (ev->object) {
		if (ev->lport || ev->laddr) {
			endpoint(l, sizeof(l), ev->laddr, ev->lport);
			endpoint(r, sizeof(r), ev->raddr, ev->rport);
			n += snprintf(buf + n, len - (size_t)n, " %s %s%s%s", ev->object, l,
				      ev->raddr || ev->rport ? "<->" : "", ev->raddr || ev->rport ? r : "");
		} else {
			n += snprintf(buf + n, len - (size_t)n, " %s", ev->object);
		}
	}
	if ((size_t)n >= len)
		return n;
	if (ev->kind == UST_TRACE_STATE)
		n += snprintf(buf + n, len - (size_t)n, " %s -> %s", ust_tcp_state_name(ev->old_state),
			      ust_tcp_state_name(ev->new_state));
	if ((size_t)n < len && ev->msg[0])
		n += snprintf(buf + n, len - (size_t)n, "%s%s", ev->kind == UST_TRACE_STATE ? " " : " ", ev->msg);
	return n;
}
