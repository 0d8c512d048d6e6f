/* Public settings calls by Linux sysctl name. */
#include <errno.h>
#include "stack.h"

int ust_sysctl_write(struct ust_stack *st, const char *name, const char *value)
{
	int err = ust_sysctl_set(&ust_stack_core(st)->sysctl, name, value);

	if (err) {
		errno = -err;
		return -1;
	}
	return 0;
}

int ust_sysctl_read(struct ust_stack *st, const char *name, char *buf, size_t len)
{
	int err = ust_sysctl_get(&ust_stack_core(st)->sysctl, name, buf, len);

	if (err) {
		errno = -err;
		return -1;
	}
	return 0;
}
