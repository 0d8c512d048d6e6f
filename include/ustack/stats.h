/* Counters with Linux's names, read one by one or dumped as nstat prints them. */
#ifndef USTACK_STATS_H
#define USTACK_STATS_H

#include <stdint.h>
#include <stdio.h>
#include "ustack/stack.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The counter `name` as nstat spells it ("TcpActiveOpens", "TcpExtListenDrops").
 * -1 with ENOENT for an unknown name. */
UST_API int ust_stats_get(const struct ust_stack *st, const char *name, uint64_t *value);

#define UST_STATS_ZEROS 1   /* also print counters that are 0 (nstat -az) */
/* Writes the counters in nstat's format. Returns lines written or -1. */
UST_API int ust_stats_dump(const struct ust_stack *st, FILE *f, int flags);

#ifdef __cplusplus
}
#endif
#endif
