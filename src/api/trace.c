/* Public trace calls: thin wrappers over the stack's core trace. */
#include <errno.h>
#include "stack.h"

void ust_trace_set_callback(struct ust_stack *st, ust_trace_fn fn, void *ctx)
{
	ust_trace_set_fn(&ust_stack_core(st)->trace, fn, ctx);
}

int ust_trace_set_ring(struct ust_stack *st, size_t events)
{
	int err = ust_trace_ring_resize(&ust_stack_core(st)->trace, events);

	if (err) {
		errno = -err;
		return -1;
	}
	return 0;
}

size_t ust_trace_read(struct ust_stack *st, struct ust_trace_event *out, size_t max, uint64_t *lost)
{
	return ust_trace_ring_read(&ust_stack_core(st)->trace, out, max, lost);
}
