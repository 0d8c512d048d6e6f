/*
 * Trace: one structured event for every state change, table insert or removal,
 * queue move, timer arm or fire, packet in or out, and drop, named after the
 * Linux function and object involved, e.g.
 *
 *   tcp_v4_conn_request: reqsk 192.0.2.2:8080<-192.0.2.1:40000 added to SYN queue (qlen 1/128)
 *
 * Off by default; when off it costs one branch per event site. Events go to a
 * callback, to a ring that can be read back, or both.
 */
#ifndef USTACK_TRACE_H
#define USTACK_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include "ustack/stack.h"

#ifdef __cplusplus
extern "C" {
#endif

enum ust_trace_kind {
	UST_TRACE_STATE = 1,   /* a socket changed TCP state */
	UST_TRACE_TABLE,       /* inserted into / removed from ehash, bhash, lhash */
	UST_TRACE_QUEUE,       /* SYN queue or accept queue add / remove */
	UST_TRACE_TIMER,       /* timer armed, fired, cancelled */
	UST_TRACE_PKT_IN,      /* a segment arrived and was demultiplexed */
	UST_TRACE_PKT_OUT,     /* a segment was sent */
	UST_TRACE_DROP,        /* a segment or request was dropped; the reason is in msg */
	UST_TRACE_CALL,        /* a socket call entered the stack */
};

struct ust_trace_event {
	uint64_t ts_ns;            /* stack clock */
	enum ust_trace_kind kind;
	const char *func;          /* the Linux function mirrored, e.g. "tcp_check_req" */
	const char *object;        /* "sk", "reqsk", "listener", "child", "pkt" */
	uint32_t laddr, raddr;     /* network order; 0 when not applicable */
	uint16_t lport, rport;     /* host order */
	int old_state, new_state;  /* UST_TRACE_STATE: Linux's TCP state numbers */
	char msg[112];             /* what happened, in words */
};

typedef void (*ust_trace_fn)(const struct ust_trace_event *ev, void *ctx);

/* Sends every event to fn (NULL turns the callback off). */
UST_API void ust_trace_set_callback(struct ust_stack *st, ust_trace_fn fn, void *ctx);
/* Keeps the last `events` events in a ring (0 frees it). -1 with ENOMEM. */
UST_API int ust_trace_set_ring(struct ust_stack *st, size_t events);
/* Copies out up to max events from the ring, oldest first, and removes them.
 * Returns how many; a count of events lost to overwriting is in *lost. */
UST_API size_t ust_trace_read(struct ust_stack *st, struct ust_trace_event *out, size_t max,
			      uint64_t *lost);
/* One line of text: "  1.000000 tcp_v4_connect: sk 192.0.2.1:40000->192.0.2.2:8080 SYN_SENT -> ..." */
UST_API int ust_trace_format(const struct ust_trace_event *ev, char *buf, size_t len);
/* Linux's name of a TCP state number: "SYN_SENT", "NEW_SYN_RECV". */
UST_API const char *ust_tcp_state_name(int state);

#ifdef __cplusplus
}
#endif
#endif
