/* The sysctls a script's init command sets, applied to the adapter's stack. */
#ifndef USTACK_PD_SCRIPT_H
#define USTACK_PD_SCRIPT_H

#include <stdbool.h>

struct ust_stack;

/* Applies to st the settings of the init command of the script at path, or,
 * with path NULL, of the script named last on packetdrill's command line
 * (/proc/self/cmdline). Settings ustack cannot honour are reported on
 * stderr; returns -1 when one of them must stop the run (README.md). */
int pd_script_apply(struct ust_stack *st, const char *path, bool verbose);

#endif
