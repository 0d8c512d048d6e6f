/*
 * What a script configures outside its events: `--name=value` option lines
 * (packetdrill's config.c names; the runner's command line overrides them)
 * and shell commands. The stack has no shell: the commands packetdrill
 * scripts use to set sysctls (shell.h) are applied with ust_sysctl_write(),
 * and anything else is refused.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "run.h"
#include "shell.h"
#include "ustack/ustack.h"

/* Options packetdrill knows that mean nothing here (no wire mode, no
 * gateway, no code, no .so) are accepted and ignored. */
static const char *const ignored_options[] = {
	"gateway_ip", "netmask_ip", "speed", "mss", "init_scripts", "wire_client",
	"wire_server", "wire_server_ip", "wire_server_at", "wire_server_port",
	"wire_client_dev", "wire_server_dev", "so_filename", "so_flags",
	"strict_segments", "non_fatal", "dry_run", "is_anyip", "send_omit_free",
	"psp_udp_port", "debug", "define", "code_command", "code_format",
	"code_sockopt",
};

static int parse_long(const char *v, long lo, long hi, long *out)
{
	char *end;
	long x;

	if (!v || !*v)
		return -EINVAL;
	errno = 0;
	x = strtol(v, &end, 10);
	if (errno || *end || x < lo || x > hi)
		return -EINVAL;
	*out = x;
	return 0;
}

static int parse_ip(const char *v, ust_be32 *out)
{
	struct in_addr a;

	if (!v || inet_pton(AF_INET, v, &a) != 1)
		return -EINVAL;
	*out = a.s_addr;
	return 0;
}

static int apply_option(struct pkt_run *r, const char *name, const char *v)
{
	long x;
	char *end;

	if (!strcmp(name, "tolerance_usecs")) {
		if (parse_long(v, 1, 1L << 40, &x))
			return -EINVAL;
		r->cfg.tolerance_usecs = x;
	} else if (!strcmp(name, "tolerance_percent")) {
		double d = v ? strtod(v, &end) : -1;

		if (!v || *end || d < 0 || d > 100)
			return -EINVAL;
		r->cfg.tolerance_percent = d;
	} else if (!strcmp(name, "local_ip")) {
		return parse_ip(v, &r->local_ip);
	} else if (!strcmp(name, "remote_ip")) {
		return parse_ip(v, &r->remote_ip);
	} else if (!strcmp(name, "bind_port") || !strcmp(name, "connect_port")) {
		if (parse_long(v, 1, 65535, &x))
			return -EINVAL;
		*(name[0] == 'b' ? &r->bind_port : &r->connect_port) = (uint16_t)x;
	} else if (!strcmp(name, "mtu")) {
		if (parse_long(v, 68, 65535, &x))
			return -EINVAL;
		r->mtu = (uint32_t)x;
	} else if (!strcmp(name, "tcp_ts_tick_usecs")) {
		if (parse_long(v, 0, 1L << 30, &x))
			return -EINVAL;
		r->cfg.ts_tick_usecs = x;
	} else if (!strcmp(name, "tcp_ts_ecr_scaled")) {
		r->cfg.ts_ecr_scaled = true;
	} else if (!strcmp(name, "ip_version")) {
		return v && !strcmp(v, "ipv4") ? 0 : -EOPNOTSUPP;
	} else if (!strcmp(name, "verbose")) {
		r->opts.verbose = true;
	} else {
		for (size_t i = 0; i < sizeof(ignored_options) / sizeof(ignored_options[0]); i++)
			if (!strcmp(name, ignored_options[i]))
				return 0;
		return -ENOENT;
	}
	return 0;
}

int pkt_run_options(struct pkt_run *r, char *msg, size_t cap)
{
	const struct pkt_script *s = r->script;
	char tol[32];

	for (size_t i = 0; i < s->noptions; i++) {
		const struct pkt_option *o = &s->options[i];
		int err = apply_option(r, o->name, o->value);

		if (err == -ENOENT)
			return snprintf(msg, cap, "%s:%d: unknown option --%s", s->path, o->line,
					o->name), -1;
		if (err == -EOPNOTSUPP)
			return snprintf(msg, cap, "%s:%d: --%s=%s: ustack's runner does IPv4 only",
					s->path, o->line, o->name, o->value ? o->value : ""), -1;
		if (err)
			return snprintf(msg, cap, "%s:%d: bad --%s: %s", s->path, o->line, o->name,
					o->value ? o->value : "(no value)"), -1;
	}
	snprintf(tol, sizeof(tol), "%lld", (long long)r->opts.tolerance_usecs);
	if ((r->opts.local_ip && apply_option(r, "local_ip", r->opts.local_ip)) ||
	    (r->opts.remote_ip && apply_option(r, "remote_ip", r->opts.remote_ip)) ||
	    (r->opts.tolerance_usecs > 0 && apply_option(r, "tolerance_usecs", tol)))
		return snprintf(msg, cap, "bad --local_ip, --remote_ip or --tolerance_usecs"), -1;
	return 0;
}

/* --- shell commands (parsed by shell.c) ------------------------------- */

/* Linux mechanisms ustack does not have (tail loss probe, F-RTO,
 * autocorking) and the one congestion control it has (reno): a script may
 * set these for the kernel, which leaves ustack as it is; any other value is
 * refused. */
static const struct { const char *name, *value; } linux_only_off[] = {
	{ "net.ipv4.tcp_early_retrans", "0" }, { "net.ipv4.tcp_frto", "0" },
	{ "net.ipv4.tcp_autocorking", "0" }, { "net.ipv4.tcp_congestion_control", "reno" },
};

static int sysctl_set(void *ctx, const char *name, const char *value, char *msg, size_t cap)
{
	struct pkt_run *r = ctx;

	for (size_t i = 0; i < sizeof(linux_only_off) / sizeof(linux_only_off[0]); i++) {
		const char *full = linux_only_off[i].name;

		if (strcmp(name, full) && strcmp(name, full + strlen("net.ipv4.")))
			continue;
		if (!strcmp(value, linux_only_off[i].value))
			return 0;
		snprintf(msg, cap, "sysctl %s=%s: ustack has only %s", name, value, linux_only_off[i].value);
		return -1;
	}
	if (!ust_sysctl_write(r->st, name, value)) {
		if (r->opts.verbose)
			pkt_run_verbose(r, "          sysctl    %s = %s", name, value);
		return 0;
	}
	if (errno == ENOENT)
		snprintf(msg, cap, "sysctl %s: no such setting in ustack", name);
	else
		snprintf(msg, cap, "sysctl %s=%s: %s", name, value, strerror(errno));
	return -1;
}

static int unsupported(void *ctx, const char *cmd, char *msg, size_t cap)
{
	(void)ctx;
	snprintf(msg, cap, "unsupported shell command `%s` (ustack's runner applies only "
		 "`sysctl [-q] [-w] NAME=VALUE` and `echo VALUE > /proc/sys/...`)", cmd);
	return -1;
}

int pkt_run_shell(struct pkt_run *r, const char *cmd, char *msg, size_t cap)
{
	const struct pkt_shell_ops ops = { .sysctl = sysctl_set, .other = unsupported, .ctx = r };

	return pkt_shell_parse(cmd, &ops, msg, cap);
}
