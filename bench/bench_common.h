/* What the benchmarks share: clocks, this process's RSS, a kernel slab's object
 * size, and the stacks they measure. */
#ifndef UST_BENCH_COMMON_H
#define UST_BENCH_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "ustack/ustack.h"

/* A stack on the virtual clock from 1 s, with fixed random choices, so every
 * run measures the same packets; max_sockets 0 keeps the default. NULL on
 * failure. */
static inline struct ust_stack *bench_vstack(const char *name, uint64_t seed, uint32_t max_sockets)
{
	struct ust_stack_config cfg;

	ust_stack_config_init(&cfg);
	cfg.name = name;
	cfg.clock = UST_CLOCK_VIRTUAL;
	cfg.clock_start_ns = 1000000000ULL;
	cfg.seed = seed;
	if (max_sockets)
		cfg.max_sockets = max_sockets;
	return ust_stack_new(&cfg);
}

static inline uint64_t ts_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Resident set size in KiB, from /proc/self/statm; -1 if unreadable. */
static inline long rss_kib(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = -1;
	fclose(f);
	return rss < 0 ? -1 : rss * (sysconf(_SC_PAGESIZE) / 1024);
}

/* The object size of kernel slab `name` (/proc/slabinfo, root only), or -1. */
static inline int slab_size(const char *name)
{
	char line[512];
	FILE *f = fopen("/proc/slabinfo", "r");
	int size = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char nm[64];
		unsigned long a, t;
		int sz;

		if (sscanf(line, "%63s %lu %lu %d", nm, &a, &t, &sz) == 4 && !strcmp(nm, name)) {
			size = sz;
			break;
		}
	}
	fclose(f);
	return size;
}

#endif
