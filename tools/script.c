/*
 * ustack script: runs packet scripts in packetdrill's syntax against a fresh
 * ustack stack each, in virtual time (the engine is tools/pkt/run.h). Prints
 * "ok FILE (N events, T s virtual)" per passing script and packetdrill's
 * messages for a failing one; exits 0 only if every script passed.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "run.h"

#define MAX_SYSCTLS 64

void ust_cmd_script_usage(void)
{
	printf("usage: ustack script [OPTIONS] FILE...\n"
	       "\n"
	       "Runs each packet script (packetdrill syntax, tests/scripts/README.md) against\n"
	       "a fresh stack over a pipe device, in virtual time: `<` packets are injected,\n"
	       "`>` packets must be what the stack sends, at the scripted time within the\n"
	       "tolerance; system calls must return what the script says. Needs no root.\n"
	       "\n"
	       "  --verbose            print each event as it runs, with its virtual time,\n"
	       "                       and every packet the stack sends\n"
	       "  --trace              print the stack's trace events (state changes, queues,\n"
	       "                       timers) as they happen\n"
	       "  --pcap FILE          record the pipe to FILE (with several scripts, the\n"
	       "                       script's name is added: FILE-NAME.pcap)\n"
	       "  --sysctl NAME=VALUE  set a stack setting after the script's init command\n"
	       "                       (repeatable), e.g. --sysctl net.ipv4.tcp_syncookies=0\n"
	       "  --local_ip A         the stack's address (default 192.168.0.1)\n"
	       "  --remote_ip A        the script's peer (default 192.0.2.1)\n"
	       "  --tolerance_usecs N  timing tolerance (default 4000, or the script's)\n"
	       "  -h, --help           this text\n"
	       "\n"
	       "Semantics, as packetdrill's: times are relative to the script start (clock 0);\n"
	       "`+t` is relative to the previous event. A call written `...T name(...)` runs\n"
	       "in the background and must return at T; any other call holds the script\n"
	       "until it returns (time passes only through the stack's timers meanwhile).\n"
	       "A packet the stack sends that no `>` line accounts for is an error\n"
	       "(\"unexpected outbound packet\"); packets of other connections are skipped.\n"
	       "Shell lines may only be `sysctl -q NAME=VALUE` or `echo V > /proc/sys/...`.\n"
	       "Script options (--tolerance_usecs=, --local_ip=, ...) apply; the command\n"
	       "line overrides them.\n"
	       "\n"
	       "Exit status: 0 all passed, 1 a script failed, 2 usage.\n");
}

/* FILE-NAME.pcap for several scripts, FILE for one. */
static void pcap_name(const char *base, const char *script, int nscripts, char *out, size_t cap)
{
	const char *name = strrchr(script, '/');
	const char *dot = strrchr(base, '.');
	size_t stem = dot && !strchr(dot, '/') ? (size_t)(dot - base) : strlen(base);
	size_t nlen;

	if (nscripts == 1) {
		snprintf(out, cap, "%s", base);
		return;
	}
	name = name ? name + 1 : script;
	nlen = strcspn(name, ".");
	snprintf(out, cap, "%.*s-%.*s%s", (int)stem, base, (int)nlen, name,
		 dot && !strchr(dot, '/') ? dot : ".pcap");
}

static int run_one(const char *path, struct pkt_run_opts *o, const char *pcap, int nscripts)
{
	struct pkt_run_result *res = malloc(sizeof(*res));
	char pcap_path[1024];
	int ret;

	if (!res) {
		fprintf(stderr, "%s: out of memory\n", path);
		return UST_EXIT_FAIL;
	}
	if (pcap) {
		pcap_name(pcap, path, nscripts, pcap_path, sizeof(pcap_path));
		o->pcap_path = pcap_path;
	}
	ret = pkt_run_file(path, o, res);
	o->pcap_path = NULL;
	fflush(stdout);
	if (ret)
		fprintf(stderr, "%s\nFAIL %s\n", res->error, path);
	else
		printf("ok %s (%zu events, %.3f s virtual)\n", path, res->nevents,
		       (double)res->end_usecs / 1e6);
	fflush(stdout);
	free(res);
	return ret ? UST_EXIT_FAIL : UST_EXIT_OK;
}

int ust_cmd_script(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "trace", no_argument, NULL, 't' },
		{ "pcap", required_argument, NULL, 'p' },
		{ "sysctl", required_argument, NULL, 's' },
		{ "local_ip", required_argument, NULL, 'l' },
		{ "remote_ip", required_argument, NULL, 'r' },
		{ "tolerance_usecs", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sysctls[MAX_SYSCTLS];
	struct pkt_run_opts o;
	const char *pcap = NULL;
	int c, status = UST_EXIT_OK;
	char *end;

	pkt_run_opts_init(&o);
	o.sysctls = sysctls;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'v': o.verbose = true; break;
		case 't': o.trace = true; break;
		case 'p': pcap = optarg; break;
		case 'l': o.local_ip = optarg; break;
		case 'r': o.remote_ip = optarg; break;
		case 'h': ust_cmd_script_usage(); return UST_EXIT_OK;
		case 's':
			if (o.nsysctls == MAX_SYSCTLS || !strchr(optarg, '=')) {
				fprintf(stderr, "ustack script: --sysctl takes NAME=VALUE (at most %d)\n",
					MAX_SYSCTLS);
				return UST_EXIT_USAGE;
			}
			sysctls[o.nsysctls++] = optarg;
			break;
		case 'T':
			o.tolerance_usecs = strtoll(optarg, &end, 10);
			if (*end || o.tolerance_usecs <= 0) {
				fprintf(stderr, "ustack script: bad --tolerance_usecs '%s'\n", optarg);
				return UST_EXIT_USAGE;
			}
			break;
		default:
			fprintf(stderr, "`ustack script --help` lists the options.\n");
			return UST_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "ustack script: no script given\n");
		return UST_EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++)
		if (run_one(argv[i], &o, pcap, argc - optind) != UST_EXIT_OK)
			status = UST_EXIT_FAIL;
	return status;
}
