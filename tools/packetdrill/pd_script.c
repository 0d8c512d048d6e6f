/*
 * packetdrill runs a script's init command (the backtick command before the
 * first event) with system(), so against ustack its sysctls would change the
 * kernel and not the stack. The adapter therefore reads the script itself and
 * applies those settings to the stack, with the parser of ustack's own runner
 * (tools/pkt/shell.h). A shell script the command runs (upstream's
 * ../common/defaults.sh) is read the same way, one level deep, as are the
 * arguments of upstream's set_sysctls.py.
 *
 * Policy (README.md): a setting ustack has is applied, and a value it refuses
 * is fatal; a Linux mechanism ustack lacks is reported and the run goes on
 * unless the value asks for a congestion control other than reno/cubic; a
 * name ustack does not know is fatal in the script's own command (the
 * kernel's sysctl would fail there too) and reported in a file it runs
 * (where the kernel's sysctl fails without stopping the file).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ustack/ustack.h"
#include "pd_script.h"
#include "shell.h"

#define PD_NAME "ustack-packetdrill"
#define PD_FILE_MAX (256 * 1024)

struct pd_shell {
	struct ust_stack *st;
	const char *where;              /* the script, or the file it runs */
	int depth;                      /* 0: the script's own command */
	bool verbose;
	bool fatal;
};

/* Linux settings ustack has no sysctl for. `same` is the value that
 * describes what ustack does (setting it is silent); NULL when no value
 * does. */
static const struct {
	const char *name, *same, *what;
} linux_only[] = {
	{ "tcp_early_retrans", "0", "no tail loss probe or early retransmit" },
	{ "tcp_recovery", NULL, "no RACK reordering window or TLP; losses marked ustack's way" },
	{ "tcp_frto", "0", "no F-RTO" },
	{ "tcp_fack", "0", "no FACK (Linux removed it too)" },
	{ "tcp_reordering", "3", "fixed duplicate-ACK threshold 3" },
	{ "tcp_max_reordering", NULL, "fixed duplicate-ACK threshold 3" },
	{ "tcp_autocorking", "0", "no autocorking" },
	{ "tcp_tso_win_divisor", NULL, "no TSO" },
	{ "tcp_min_tso_segs", NULL, "no TSO" },
	{ "tcp_limit_output_bytes", NULL, "no TCP small queues" },
	{ "tcp_pacing_ss_ratio", NULL, "no pacing" },
	{ "tcp_pacing_ca_ratio", NULL, "no pacing" },
	{ "tcp_ecn_option", NULL, "no AccECN" },
	{ "tcp_fastopen", "0", "no TCP Fast Open" },
	{ "tcp_fastopen_key", NULL, "no TCP Fast Open" },
	{ "tcp_notsent_lowat", "4294967295", "no TCP_NOTSENT_LOWAT" },
	{ "tcp_no_metrics_save", "1", "no metrics cache" },
	{ "tcp_mtu_probing", "0", "no MTU probing" },
	{ "tcp_thin_linear_timeouts", "0", "no thin-stream timeouts" },
	{ "tcp_adv_win_scale", "1", "Linux's default window scaling of the buffer" },
};

__attribute__((format(printf, 3, 4)))
static void note(struct pd_shell *sh, bool fatal, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PD_NAME ": %s: ", sh->where);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", fatal ? " (fatal)" : "");
	if (fatal)
		sh->fatal = true;
}

static const char *short_name(const char *name)
{
	if (!strncmp(name, "net.ipv4.", 9))
		return name + 9;
	if (!strncmp(name, "net.core.", 9))
		return name + 9;
	return name;
}

static int on_sysctl(void *ctx, const char *name, const char *value, char *msg, size_t cap)
{
	struct pd_shell *sh = ctx;
	const char *n = short_name(name);

	(void)msg, (void)cap;
	if (!ust_sysctl_write(sh->st, name, value)) {
		if (sh->verbose)
			note(sh, false, "sysctl %s=%s applied to ustack", name, value);
		return 0;
	}
	if (errno != ENOENT) {
		note(sh, true, "sysctl %s=%s: ustack refuses the value: %s", name, value,
		     strerror(errno));
		return 0;
	}
	if (!strcmp(n, "tcp_congestion_control")) {
		if (!strcmp(value, "reno"))
			return 0;
		/* Cubic's growth differs from reno's only after a loss and
		 * over many RTTs; bbr or dctcp change the first flights. */
		note(sh, strcmp(value, "cubic") != 0,
		     "sysctl %s=%s: ustack has reno only%s", name, value,
		     strcmp(value, "cubic") ? "" : ", cubic runs as reno");
		return 0;
	}
	for (size_t i = 0; i < sizeof(linux_only) / sizeof(linux_only[0]); i++) {
		if (strcmp(n, linux_only[i].name))
			continue;
		if (!linux_only[i].same || strcmp(value, linux_only[i].same))
			note(sh, false, "sysctl %s=%s ignored: ustack has %s", name, value,
			     linux_only[i].what);
		return 0;
	}
	note(sh, sh->depth == 0, "sysctl %s=%s: no such setting in ustack%s", name, value,
	     sh->depth == 0 ? "" : ", ignored");
	return 0;
}

static void run_text(struct pd_shell *sh, const char *text);

static void run_file(struct pd_shell *sh, const char *path)
{
	struct pd_shell file = { sh->st, path, sh->depth + 1, sh->verbose, false };
	FILE *f = fopen(path, "r");
	char *text = calloc(1, PD_FILE_MAX + 1);
	size_t n = 0;

	if (!f || !text) {
		note(sh, true, "cannot read %s: %s", path, strerror(errno));
	} else {
		n = fread(text, 1, PD_FILE_MAX + 1, f);
		if (n > PD_FILE_MAX)
			note(sh, true, "%s is too long to read for its sysctls", path);
		else
			run_text(&file, text);
	}
	if (f)
		fclose(f);
	free(text);
	sh->fatal |= file.fatal;
}

/* upstream's set_sysctls.py /proc/sys/NAME=VALUE ...: the same settings as
 * `sysctl NAME=VALUE ...`, which the shell parser reads with its quoting. */
static void run_set_sysctls(struct pd_shell *sh, const char *args)
{
	size_t len = strlen(args);
	char *cmd = malloc(len + sizeof("sysctl "));
	char *o;

	if (!cmd) {
		note(sh, true, "out of memory");
		return;
	}
	o = cmd + sprintf(cmd, "sysctl ");
	for (const char *p = args; *p;) {
		bool word_start = p == args || p[-1] == ' ' || p[-1] == '\t';

		if (word_start && !strncmp(p, "/proc/sys/", 10))
			p += 10;
		else
			*o++ = *p++;
	}
	*o = '\0';
	run_text(sh, cmd);
	free(cmd);
}

/* A command that sets no sysctl by itself: a file of commands to read, or
 * something that does not concern the stack (ip tcp_metrics, tc qdisc). */
static int on_other(void *ctx, const char *cmd, char *msg, size_t cap)
{
	struct pd_shell *sh = ctx;
	char *copy = strdup(cmd), *w0, *rest = NULL;
	const char *base;

	(void)msg, (void)cap;
	if (!copy)
		return note(sh, true, "out of memory"), 0;
	w0 = strtok_r(copy, " \t", &rest);   /* rest: the arguments, quotes intact */
	if (w0 && (!strcmp(w0, "sh") || !strcmp(w0, "bash")))
		w0 = strtok_r(NULL, " \t", &rest);
	base = w0 && strrchr(w0, '/') ? strrchr(w0, '/') + 1 : w0;
	if (sh->depth == 0 && base && !strcmp(base, "set_sysctls.py"))
		run_set_sysctls(sh, rest ? rest : "");
	else if (sh->depth == 0 && w0 && strchr(w0, '/') && !(rest && *rest) &&
		 access(w0, R_OK) == 0)
		run_file(sh, w0);
	else
		note(sh, false, "`%s` not run against ustack (not a sysctl)", cmd);
	free(copy);
	return 0;
}

static void run_text(struct pd_shell *sh, const char *text)
{
	const struct pkt_shell_ops ops = { .sysctl = on_sysctl, .other = on_other, .ctx = sh };
	char msg[512];

	if (pkt_shell_parse(text, &ops, msg, sizeof(msg)))
		note(sh, sh->depth == 0, "%s", msg);
}

/* The backtick command before the first event: after blanks, comments and
 * --option lines, as packetdrill's grammar has it. NULL when there is none. */
static char *init_command(const char *s)
{
	const char *end;
	char *cmd;

	for (;;) {
		s += strspn(s, " \t\r\n");
		if (!strncmp(s, "//", 2) || !strncmp(s, "--", 2)) {
			s += strcspn(s, "\n");
		} else if (!strncmp(s, "/*", 2)) {
			end = strstr(s + 2, "*/");
			if (!end)
				return NULL;
			s = end + 2;
		} else {
			break;
		}
	}
	if (*s != '`' || !(end = strchr(s + 1, '`')))
		return NULL;
	cmd = strndup(s + 1, (size_t)(end - s - 1));
	return cmd;
}

/* packetdrill takes its scripts as the arguments that are not options;
 * the adapter cannot tell which of several is running. */
static char *script_from_cmdline(void)
{
	FILE *f = fopen("/proc/self/cmdline", "r");
	char arg[4096], *last = NULL;
	int n = 0, c, i = 0, nargs = 0;

	if (!f)
		return NULL;
	while ((c = fgetc(f)) != EOF) {
		if (c && i < (int)sizeof(arg) - 1) {
			arg[i++] = (char)c;
			continue;
		}
		arg[i] = '\0';
		if (n++ > 0 && arg[0] != '-' && i > 0) {
			free(last);
			last = strdup(arg);
			nargs++;
		}
		i = 0;
	}
	fclose(f);
	if (nargs > 1) {
		fprintf(stderr, PD_NAME ": %d scripts on packetdrill's command line: the adapter "
			"cannot tell which one runs; run one per packetdrill, or name it with "
			"--so_flags=script=PATH (fatal)\n", nargs);
		free(last);
		return (char *)-1;
	}
	return last;
}

int pd_script_apply(struct ust_stack *st, const char *path, bool verbose)
{
	char *found = NULL, *text = NULL, *cmd = NULL;
	struct pd_shell sh = { st, NULL, 0, verbose, false };
	FILE *f;
	size_t n;

	if (!path) {
		found = script_from_cmdline();
		if (found == (char *)-1)
			return -1;
		if (!found)
			return 0;       /* no script: a packetdrill without arguments fails anyway */
		path = found;
	}
	sh.where = path;
	f = fopen(path, "r");
	text = calloc(1, PD_FILE_MAX + 1);
	if (!f || !text) {
		note(&sh, true, "cannot read the script for its init command: %s",
		     strerror(errno));
	} else if ((n = fread(text, 1, PD_FILE_MAX + 1, f)) > PD_FILE_MAX) {
		note(&sh, true, "too long to read for its init command");
	} else if ((cmd = init_command(text))) {
		run_text(&sh, cmd);
	}
	if (f)
		fclose(f);
	free(cmd);
	free(text);
	free(found);
	return sh.fatal ? -1 : 0;
}
