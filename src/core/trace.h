/*
 * Internal side of the trace (see include/ustack/trace.h). Event sites call
 * ust_trace() only behind ust_trace_on(), so a stack with tracing off pays a
 * single predictable branch.
 */
#ifndef UST_CORE_TRACE_H
#define UST_CORE_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/compiler.h"
#include "ustack/trace.h"

struct ust_trace {
	ust_trace_fn fn;
	void *ctx;
	struct ust_trace_event *ring;
	size_t ring_size;           /* events */
	size_t head, count;
	uint64_t lost;
	bool on;
};

/* Who an event is about; any field may be 0. */
struct ust_trace_who {
	const char *object;
	uint32_t laddr, raddr;
	uint16_t lport, rport;
};

static inline bool ust_trace_on(const struct ust_trace *t) { return unlikely(t->on); }

void ust_trace_emit(struct ust_trace *t, uint64_t now, enum ust_trace_kind kind, const char *func,
		    const struct ust_trace_who *who, int old_state, int new_state,
		    const char *fmt, ...) __attribute__((format(printf, 8, 9)));
void ust_trace_destroy(struct ust_trace *t);
int ust_trace_ring_resize(struct ust_trace *t, size_t events);
void ust_trace_set_fn(struct ust_trace *t, ust_trace_fn fn, void *ctx);
size_t ust_trace_ring_read(struct ust_trace *t, struct ust_trace_event *out, size_t max, uint64_t *lost);

#endif
