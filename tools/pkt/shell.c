/* Shell commands that set sysctls, parsed without a shell; see shell.h. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "shell.h"

#define MAX_WORDS 32

/* Splits one command into words in place: blanks separate, quotes group. */
static int split_words(char *s, char **w, int max)
{
	int n = 0;

	while (*s) {
		char *out;
		char q = 0;

		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		if (n == max)
			return -E2BIG;
		w[n++] = out = s;
		for (; *s && (q || (*s != ' ' && *s != '\t')); s++) {
			if (!q && (*s == '"' || *s == '\''))
				q = *s;
			else if (q && *s == q)
				q = 0;
			else
				*out++ = *s;
		}
		if (q)
			return -EINVAL;
		if (*s)
			s++;
		*out = '\0';
	}
	return n;
}

/* Output only goes away: a redirection to /dev/null changes no setting, so
 * it is dropped (defaults.sh silences sysctls a kernel may not have). */
static int drop_redirections(char **w, int n)
{
	int k = 0;

	for (int i = 0; i < n; i++) {
		const char *p = w[i];

		if (!strcmp(p, "2>&1") || !strcmp(p, ">&2") || !strcmp(p, "1>&2"))
			continue;
		if (*p == '1' || *p == '2' || *p == '&')
			p++;
		if (*p == '>' && !strcmp(p + 1, "/dev/null"))
			continue;
		if (*p == '>' && !p[1] && i + 1 < n && !strcmp(w[i + 1], "/dev/null")) {
			i++;
			continue;
		}
		w[k++] = w[i];
	}
	return k;
}

/* $((...)) with integers, + - * / and parentheses: enough for the
 * "4096 540000 $((15*1024*1024))" of packetdrill's defaults.sh. */
static bool arith_expr(const char **p, long long *v);

static void arith_blank(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

static bool arith_factor(const char **p, long long *v)
{
	char *end;

	arith_blank(p);
	if (**p == '(') {
		(*p)++;
		if (!arith_expr(p, v))
			return false;
		arith_blank(p);
		if (**p != ')')
			return false;
		(*p)++;
		return true;
	}
	if (**p == '-') {
		(*p)++;
		if (!arith_factor(p, v))
			return false;
		*v = -*v;
		return true;
	}
	if (!isdigit((unsigned char)**p))
		return false;
	errno = 0;
	*v = strtoll(*p, &end, 0);
	*p = end;
	return errno == 0;
}

static bool arith_term(const char **p, long long *v)
{
	long long r;

	if (!arith_factor(p, v))
		return false;
	for (;;) {
		char op;

		arith_blank(p);
		op = **p;
		if (op != '*' && op != '/')
			return true;
		(*p)++;
		if (!arith_factor(p, &r) || (op == '/' && r == 0) ||
		    __builtin_mul_overflow(*v, op == '*' ? r : 1, v))
			return false;
		if (op == '/')
			*v /= r;
	}
}

static bool arith_expr(const char **p, long long *v)
{
	long long r;

	if (!arith_term(p, v))
		return false;
	for (;;) {
		char op;

		arith_blank(p);
		op = **p;
		if (op != '+' && op != '-')
			return true;
		(*p)++;
		if (!arith_term(p, &r) || __builtin_add_overflow(*v, op == '+' ? r : -r, v))
			return false;
	}
}

/* Copies cmd with every $((...)) replaced by its value; a '$' left over is
 * a variable or command substitution the parser cannot know. */
static int expand(const char *cmd, char *out, size_t cap)
{
	size_t o = 0;

	for (const char *p = cmd; *p;) {
		long long v;
		int k;

		if (strncmp(p, "$((", 3)) {
			if (*p == '$' || o + 1 >= cap)
				return -1;
			out[o++] = *p++;
			continue;
		}
		p += 3;
		if (!arith_expr(&p, &v) || strncmp(p, "))", 2))
			return -1;
		p += 2;
		k = snprintf(out + o, cap - o, "%lld", v);
		if (k < 0 || (size_t)k >= cap - o)
			return -1;
		o += (size_t)k;
	}
	out[o] = '\0';
	return 0;
}

static int run_sysctl(const struct pkt_shell_ops *ops, char **w, int n, char *msg, size_t cap)
{
	int set = 0;

	for (int i = 1; i < n; i++) {
		char *eq = strchr(w[i], '=');

		if (w[i][0] == '-' && !eq && strspn(w[i] + 1, "qwe") == strlen(w[i] + 1))
			continue;
		if (!eq || eq == w[i])
			return snprintf(msg, cap, "unsupported sysctl argument '%s' (only "
					"NAME=VALUE settings)", w[i]), -1;
		*eq = '\0';
		for (char *c = w[i]; *c; c++)
			if (*c == '/')
				*c = '.';
		if (ops->sysctl(ops->ctx, w[i], eq + 1, msg, cap))
			return -1;
		set++;
	}
	if (!set)
		return snprintf(msg, cap, "sysctl without NAME=VALUE"), -1;
	return 0;
}

/* echo VALUE... > /proc/sys/NAME (the > may touch the path); -ENOENT when
 * it is some other echo. */
static int run_echo(const struct pkt_shell_ops *ops, char **w, int n, char *msg, size_t cap)
{
	char value[256] = "";
	char *path = NULL;
	size_t len = 0;

	for (int i = 1; i < n; i++) {
		if (w[i][0] == '>') {
			path = w[i][1] ? w[i] + 1 : (i + 1 < n ? w[i + 1] : NULL);
			if (i + (w[i][1] ? 1 : 2) != n)
				path = NULL;
			break;
		}
		len += (size_t)snprintf(value + len, sizeof(value) - len, "%s%s",
					len ? " " : "", w[i]);
		if (len >= sizeof(value))
			return snprintf(msg, cap, "echo: value too long"), -1;
	}
	if (!path || strncmp(path, "/proc/sys/", 10))
		return -ENOENT;
	path += 10;
	for (char *c = path; *c; c++)
		if (*c == '/')
			*c = '.';
	return ops->sysctl(ops->ctx, path, value, msg, cap);
}

static int run_one(const struct pkt_shell_ops *ops, const char *cmd, char *msg, size_t cap)
{
	size_t len;
	char *buf;
	char *w[MAX_WORDS];
	int n, ret = -ENOENT;

	cmd += strspn(cmd, " \t");
	len = strlen(cmd) + 64;
	buf = malloc(len);
	if (!buf)
		return snprintf(msg, cap, "out of memory"), -1;
	n = expand(cmd, buf, len) ? -1 : split_words(buf, w, MAX_WORDS);
	if (n >= 0)
		n = drop_redirections(w, n);
	if (n == 0)
		ret = 0;
	else if (n > 0 && !strcmp(w[0], "sysctl"))
		ret = run_sysctl(ops, w, n, msg, cap);
	else if (n > 0 && !strcmp(w[0], "echo"))
		ret = run_echo(ops, w, n, msg, cap);
	free(buf);
	if (ret != -ENOENT)
		return ret;
	if (ops->other)
		return ops->other(ops->ctx, cmd, msg, cap);
	snprintf(msg, cap, "unsupported shell command `%s`", cmd);
	return -1;
}

/* Cuts cmd into commands at `;`, `&&` and newlines (outside quotes) and
 * drops `# comments`; a lone `&` (a background job) is refused. */
int pkt_shell_parse(const char *cmd, const struct pkt_shell_ops *ops, char *msg, size_t cap)
{
	size_t len = strlen(cmd);
	char *buf = malloc(len + 1);
	size_t o = 0;
	char q = 0;
	int ret = 0;

	if (!buf)
		return snprintf(msg, cap, "out of memory"), -1;
	for (size_t i = 0; i <= len && !ret; i++) {
		char c = cmd[i];
		bool word_start = o == 0 || buf[o - 1] == ' ' || buf[o - 1] == '\t';

		if (q) {
			q = c == q ? 0 : q;
		} else if (c == '"' || c == '\'') {
			q = c;
		} else if (c == '#' && word_start) {
			while (i < len && cmd[i + 1] != '\n')
				i++;
			continue;
		} else if (c == '&' && cmd[i + 1] == '&') {
			i++;
			c = '\0';
		} else if (c == '&' && !(o && buf[o - 1] == '>') && cmd[i + 1] != '>') {
			snprintf(msg, cap, "unsupported shell command `%s` (background jobs)", cmd);
			ret = -1;
			break;
		} else if (c == ';' || c == '\n') {
			c = '\0';
		}
		if (c) {
			buf[o++] = c;
			continue;
		}
		buf[o] = '\0';
		ret = run_one(ops, buf, msg, cap);
		o = 0;
	}
	free(buf);
	return ret;
}
