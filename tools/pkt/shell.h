/*
 * The shell commands packetdrill scripts use to set sysctls, parsed without a
 * shell: the runner (run_shell.c) and the packetdrill adapter
 * (tools/packetdrill/) apply what they set to a ustack stack, each with its
 * own policy for settings ustack does not have.
 *
 *   sysctl [-q] [-w] [-e] NAME=VALUE [NAME=VALUE ...]   (NAME with . or /)
 *   echo VALUE > /proc/sys/NAME
 *
 * joined by `;`, `&&` or newlines; values may be quoted and may hold
 * $((integer arithmetic)); `# comments` and redirections to /dev/null
 * (`>/dev/null`, `2>&1`, ...) are dropped.
 */
#ifndef USTPKT_SHELL_H
#define USTPKT_SHELL_H

#include <stddef.h>

struct pkt_shell_ops {
	/* One setting, NAME with '/' turned into '.'. 0 goes on; -1 stops
	 * with msg filled in. */
	int (*sysctl)(void *ctx, const char *name, const char *value, char *msg, size_t cap);
	/* A command that is not one of the above. NULL makes it an error;
	 * otherwise 0 skips it and -1 stops with msg filled in. */
	int (*other)(void *ctx, const char *cmd, char *msg, size_t cap);
	void *ctx;
};

/* Runs every command of cmd through ops. 0, or -1 with msg filled in. */
int pkt_shell_parse(const char *cmd, const struct pkt_shell_ops *ops, char *msg, size_t cap);

#endif
