/* ustack COMMAND [ARGS]: dispatch to a subcommand; `ustack help` lists them. */
#include <stdio.h>
#include <string.h>
#include "cli.h"

static void usage_all(FILE *f);

static const struct ust_cli_cmd commands[] = {
	{ "connect", "open TCP connections to HOST PORT from a TAP/TUN device (root)", ust_cmd_connect, ust_cmd_connect_usage },
	{ "demo", "run the in-memory handshake demo (no root needed)", ust_cmd_demo, ust_cmd_demo_usage },
	{ "script", "run packet scripts (packetdrill syntax) in virtual time", ust_cmd_script, ust_cmd_script_usage },
	{ "serve", "serve TCP (echo, discard, http) on a TAP/TUN device (root)", ust_cmd_serve, ust_cmd_serve_usage },
	{ "stat", "list the counters ustack keeps (nstat format)", ust_cmd_stat, ust_cmd_stat_usage },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage_all(FILE *f)
{
	fprintf(f, "usage: ustack COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n`ustack COMMAND --help` describes one command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage_all(stderr);
		return UST_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		if (argc > 2) {
			for (size_t i = 0; i < NCOMMANDS; i++)
				if (!strcmp(argv[2], commands[i].name)) {
					commands[i].usage();
					return UST_EXIT_OK;
				}
		}
		usage_all(stdout);
		return UST_EXIT_OK;
	}
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		for (int a = 2; a < argc; a++)
			if (!strcmp(argv[a], "--help") || !strcmp(argv[a], "-h")) {
				commands[i].usage();
				return UST_EXIT_OK;
			}
		return commands[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "ustack: unknown command '%s'\n", argv[1]);
	usage_all(stderr);
	return UST_EXIT_USAGE;
}
