/*
 * ustack stat: the counters ustack keeps, in nstat's format. ustack is a
 * library, not a daemon: the live counters belong to the process that runs a
 * stack, so there is nothing to attach to. This prints the counters of a fresh
 * in-memory stack (every value 0): the names, as `nstat -az` would list them.
 * `ustack serve` prints its live counters at exit and on SIGUSR1.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "ustack/ustack.h"

void ust_cmd_stat_usage(void)
{
	printf("usage: ustack stat [--all] [--trace] [--pcap FILE] [NAME...]\n"
	       "\n"
	       "Lists the counters ustack keeps, with Linux's names, in nstat's format.\n"
	       "ustack runs inside the process that uses it, so there is no daemon to read\n"
	       "live values from: this prints a fresh in-memory stack, every value 0.\n"
	       "Live counters: `ustack serve` prints them at exit and on SIGUSR1\n"
	       "(kill -USR1 PID); programs call ust_stats_dump() (include/ustack/stats.h).\n"
	       "\n"
	       "  --all        every counter (the default without NAMEs)\n"
	       "  NAME...      only these counters, e.g. TcpPassiveOpens TcpExtListenDrops\n"
	       "  --trace      print the stack's trace events to stderr, as every command\n"
	       "               does (a fresh stack that sends nothing has none)\n"
	       "  --pcap FILE  record the stack's device to FILE, as every command does\n"
	       "               (here an empty capture: nothing is sent)\n"
	       "  -h, --help   this text\n"
	       "\n"
	       "Exit status: 0, 1 a NAME is not a counter ustack keeps, 2 usage.\n");
}

int ust_cmd_stat(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "trace", no_argument, NULL, 't' },
		{ "pcap", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ust_stack_config cfg;
	struct ust_stack *st;
	struct ust_netdev *dev;
	const char *pcap = NULL;
	int c, trace = 0, status = UST_EXIT_OK;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'a': break;
		case 't': trace = 1; break;
		case 'p': pcap = optarg; break;
		case 'h': ust_cmd_stat_usage(); return UST_EXIT_OK;
		default:
			fprintf(stderr, "ustack stat: bad option '%s' (usage: ustack stat [--all] [NAME...])\n",
				argv[optind - 1]);
			return UST_EXIT_USAGE;
		}
	}
	ust_stack_config_init(&cfg);
	cfg.clock = UST_CLOCK_VIRTUAL;
	cfg.seed = 1;            /* no randomness needed for a stack that only counts */
	st = ust_stack_new(&cfg);
	if (!st) {
		fprintf(stderr, "ustack stat: cannot create a stack: %s\n", strerror(errno));
		return UST_EXIT_SETUP;
	}
	if (trace)
		ust_tool_trace_stderr(st);
	if (pcap && (ust_pipe_create(st, UST_FRAMING_ETH, 0, &dev) < 0 || ust_netdev_pcap_open(dev, pcap) < 0)) {
		fprintf(stderr, "ustack stat: cannot open capture %s: %s\n", pcap, strerror(errno));
		ust_stack_free(st);
		return UST_EXIT_SETUP;
	}
	if (optind == argc) {
		if (ust_stats_dump(st, stdout, UST_STATS_ZEROS) < 0) {
			fprintf(stderr, "ustack stat: %s\n", strerror(errno));
			status = UST_EXIT_FAIL;
		}
	}
	for (int i = optind; i < argc; i++) {
		uint64_t v;

		if (ust_stats_get(st, argv[i], &v) < 0) {
			fprintf(stderr, "ustack stat: no counter '%s'\n", argv[i]);
			status = UST_EXIT_FAIL;
			continue;
		}
		printf("%-32s%-19llu0.0\n", argv[i], (unsigned long long)v);
	}
	ust_stack_free(st);
	return status;
}
