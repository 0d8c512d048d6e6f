/*
 * bench_handshake: the whole life of one connection, both ends in this
 * process, against the Linux kernel doing the same over loopback in the same
 * run.
 *
 *   bench_handshake [N]          (default N = 100000 ustack connections)
 *   bench_handshake --callgrind-child N
 *                                (internal: the instruction count run, see below)
 *
 * ustack: two stacks (virtual clock, fixed seeds) joined by a memlink (raw IP
 * framing, no impairments). The server listens (backlog 4096, non-blocking);
 * per connection the client does a non-blocking connect(), both stacks are
 * polled until neither has work (SYN, SYN-ACK, ACK), the server accept()s and
 * closes its socket, both are polled until quiet (FIN, ACK), the client closes
 * and both are polled until quiet again (FIN, ACK; the client's socket freed,
 * the server's now a TIME_WAIT minisock); then both clocks move 100 us. The
 * loop is checked afterwards: every connection opened (TcpActiveOpens,
 * TcpPassiveOpens), none failed, no socket or request sock left over.
 * Measured: wall ns, thread CPU ns (CLOCK_THREAD_CPUTIME_ID) and user-space
 * instructions per connection. Instructions come from perf_event_open when the
 * kernel lets this process count them; otherwise, when valgrind is installed,
 * the program runs itself under callgrind (--callgrind-child) for
 * CALLGRIND_CONNS connections with collection switched on only inside
 * measured_loop() (--collect-atstart=no --toggle-collect=measured_loop), so
 * setup, warm-up and valgrind's start-up are not counted; Ir / N is exact and
 * reproducible (virtual clock, fixed seeds). The same file gives the functions
 * with the most self instructions per connection (the hot spots).
 *
 * Linux: a child process enters a fresh network namespace of its own
 * (unshare(CLONE_NEWNET); it disappears with the child, TIME_WAIT sockets
 * with it), brings lo up, listens on 127.0.0.1:0 and runs the same loop with
 * kernel sockets: blocking connect() (the whole handshake runs inside the
 * call, softirq included), accept(), close() of the accepted socket, close()
 * of the client. The server closes first, as in the ustack loop, so the
 * TIME_WAIT is the server's: the client's ephemeral port is free again at
 * once and ports never run out (a reused 4-tuple meets the server's TIME_WAIT
 * socket, which accepts the new SYN). CPU time is the process's user + sys
 * (getrusage): on loopback the receive side runs as softirq in this task's
 * context and, without CONFIG_IRQ_TIME_ACCOUNTING, is charged to it (with
 * that option the softirq part is missing from sys time). Softirq work the
 * kernel defers to ksoftirqd is charged to that thread, so the loop is pinned
 * to one CPU and the CPU time of ksoftirqd/<cpu> meanwhile is added on a
 * second line ("CPU us + ksoftirqd"; it may include unrelated softirq work).
 * Wall time is not CPU time on a shared machine: other processes' time slices
 * land in it.
 * Without root (no new namespace) the loop runs in the current namespace's
 * loopback, bounded the same way.
 *
 * Targets (DESIGN/README): <= 6,000 instructions per connection, and more than
 * 60x less CPU per connection than the kernel (~40 us). Not a test: nothing
 * here fails on a time; a missed target is printed as missed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "bench_common.h"
#include "stack.h"
#include "tcp/tcp.h"

#define N_DEFAULT 100000u
#define WARMUP_CONNS 1000u
#define CALLGRIND_CONNS 2000u
#define CALLGRIND_WARMUP 200u
#define CALLGRIND_TOP 12
#define LINUX_CONNS 20000u
#define LINUX_WARMUP 500u
#define LINUX_MAX_NS (8ULL * 1000000000ULL)
#define USTACK_MAX_NS (30ULL * 1000000000ULL)
#define TARGET_INSTR 6000.0
#define TARGET_RATIO 60.0
#define KERNEL_REF_US 40.0

#define CLIENT_IP "10.0.0.1"
#define SERVER_IP "10.0.0.2"
#define SERVER_PORT 8080

/* ---- clocks and counters ------------------------------------------------ */

static uint64_t now_ns(void) { return ts_ns(CLOCK_MONOTONIC); }
static uint64_t thread_cpu_ns(void) { return ts_ns(CLOCK_THREAD_CPUTIME_ID); }

/* This process's user and system CPU time, ns. */
static void proc_cpu_ns(uint64_t *user, uint64_t *sys)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	*user = (uint64_t)ru.ru_utime.tv_sec * 1000000000ULL + (uint64_t)ru.ru_utime.tv_usec * 1000ULL;
	*sys = (uint64_t)ru.ru_stime.tv_sec * 1000000000ULL + (uint64_t)ru.ru_stime.tv_usec * 1000ULL;
}

/* Instructions of this thread, user space only or all; -1 with errno. */
static int open_instr_counter(bool user_only)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_HARDWARE;
	a.size = sizeof(a);
	a.config = PERF_COUNT_HW_INSTRUCTIONS;
	a.exclude_kernel = user_only;
	a.exclude_hv = 1;
	return (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
}

static uint64_t read_counter(int fd)
{
	uint64_t v = 0;

	if (fd < 0 || read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		return 0;
	return v;
}

/* 1234567 -> "1,234,567" (buf of 32). */
static const char *commas(char *buf, double v)
{
	char tmp[32];
	int len, o = 0;

	snprintf(tmp, sizeof(tmp), "%.0f", v);
	len = (int)strlen(tmp);
	for (int i = 0; i < len; i++) {
		buf[o++] = tmp[i];
		if (tmp[i] != '-' && (len - i - 1) % 3 == 0 && i != len - 1)
			buf[o++] = ',';
	}
	buf[o] = 0;
	return buf;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_handshake: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* ---- ustack: two stacks on a memlink ------------------------------------ */

struct pair {
	struct ust_stack *c, *s;
	struct ust_netdev *dc, *ds;
	int lfd;
	struct sockaddr_in srv;
	uint64_t polls;       /* ust_stack_poll calls */
};

static struct ust_stack *new_stack(const char *name, uint64_t seed)
{
	struct ust_stack *st = bench_vstack(name, seed, 0);

	if (!st)
		die("ust_stack_new");
	return st;
}

static void pair_init(struct pair *p)
{
	struct ust_memlink_config ml;
	struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = htons(SERVER_PORT) };

	memset(p, 0, sizeof(*p));
	p->c = new_stack("client", 11);
	p->s = new_stack("server", 22);
	ust_memlink_config_init(&ml);
	ml.framing = UST_FRAMING_IP;
	ml.seed = 1;
	if (ust_memlink_create(p->c, p->s, &ml, &p->dc, &p->ds))
		die("ust_memlink_create");
	if (ust_addr_add(p->c, p->dc, inet_addr(CLIENT_IP), 24) ||
	    ust_addr_add(p->s, p->ds, inet_addr(SERVER_IP), 24))
		die("ust_addr_add");
	p->lfd = ust_socket(p->s, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (p->lfd < 0 || ust_bind(p->s, p->lfd, (struct sockaddr *)&any, sizeof(any)) ||
	    ust_listen(p->s, p->lfd, 4096))
		die("server listen");
	p->srv.sin_family = AF_INET;
	p->srv.sin_port = htons(SERVER_PORT);
	p->srv.sin_addr.s_addr = inet_addr(SERVER_IP);
}

static void pair_free(struct pair *p)
{
	ust_close(p->s, p->lfd);
	ust_stack_free(p->c);
	ust_stack_free(p->s);
}

/* Virtual time between two connections: 100 us moves the ISN clock (64 ns
 * ticks) far past the previous connection's sequence space. */
#define CONN_GAP_NS 100000ULL

/* Polls both stacks until neither has anything to do. */
static void drive(struct pair *p)
{
	int work;

	do {
		work = ust_stack_poll(p->c);
		work += ust_stack_poll(p->s);
		p->polls += 2;
	} while (work > 0);
}

/* One connection, both ends, start to finish. 0, or -1 if it did not open. */
static int one_conn(struct pair *p)
{
	int cfd, sfd;

	cfd = ust_socket(p->c, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (cfd < 0)
		return -1;
	if (ust_connect(p->c, cfd, (const struct sockaddr *)&p->srv, sizeof(p->srv)) == 0 ||
	    errno != EINPROGRESS) {
		ust_close(p->c, cfd);
		return -1;
	}
	drive(p);
	sfd = ust_accept4(p->s, p->lfd, NULL, NULL, SOCK_NONBLOCK);
	if (sfd >= 0) {
		ust_close(p->s, sfd);   /* server closes first: FIN, ACK */
		drive(p);
	}
	ust_close(p->c, cfd);           /* client's FIN, server's ACK */
	drive(p);
	/* Time passes between connections, as it does for Linux's loop. Without
	 * it a reused client port would meet the server's TIME_WAIT with the
	 * very ISN and TSval of last time (both are clocks), and the SYN would be
	 * an old duplicate, not a new connection (tcp_timewait_state_process). */
	ust_stack_advance(p->c, CONN_GAP_NS);
	ust_stack_advance(p->s, CONN_GAP_NS);
	return sfd >= 0 ? 0 : -1;
}

/* Returns the number of connections that failed. */
static uint64_t conn_loop(struct pair *p, uint64_t n)
{
	uint64_t fails = 0;

	for (uint64_t i = 0; i < n; i++)
		fails += one_conn(p) != 0;
	return fails;
}

/* The only code callgrind counts (--toggle-collect=measured_loop). */
__attribute__((noinline, noclone, used)) static uint64_t measured_loop(struct pair *p, uint64_t n)
{
	return conn_loop(p, n);
}

static uint64_t stat_of(struct ust_stack *st, const char *name)
{
	uint64_t v = 0;

	ust_stats_get(st, name, &v);
	return v;
}

/* After the run: every connection opened and closed, nothing left over. */
static bool pair_check(struct pair *p, uint64_t total, uint64_t fails)
{
	struct ust_tcp *ct = ust_stack_tcp(p->c), *stp = ust_stack_tcp(p->s);
	bool ok = fails == 0 && stat_of(p->c, "TcpActiveOpens") == total &&
		  stat_of(p->s, "TcpPassiveOpens") == total && stat_of(p->c, "TcpAttemptFails") == 0 &&
		  stat_of(p->c, "TcpCurrEstab") == 0 && stat_of(p->s, "TcpCurrEstab") == 0 &&
		  ct->sock_pool.nr_used == 0 && stp->sock_pool.nr_used == 1 &&
		  stp->reqsk_pool.nr_used == 0;

	if (!ok)
		printf("  CHECK FAILED: %" PRIu64 " of %" PRIu64 " failed; ActiveOpens %" PRIu64
		       " PassiveOpens %" PRIu64 " AttemptFails %" PRIu64 " CurrEstab %" PRIu64 "/%" PRIu64
		       " socks in use %u/%u reqsks %u\n",
		       fails, total, stat_of(p->c, "TcpActiveOpens"), stat_of(p->s, "TcpPassiveOpens"),
		       stat_of(p->c, "TcpAttemptFails"), stat_of(p->c, "TcpCurrEstab"),
		       stat_of(p->s, "TcpCurrEstab"), ct->sock_pool.nr_used, stp->sock_pool.nr_used,
		       stp->reqsk_pool.nr_used);
	return ok;
}

/* ---- callgrind: the instruction count when perf is not available -------- */

static int callgrind_child(uint64_t n)
{
	struct pair p;
	uint64_t fails;

	pair_init(&p);
	fails = conn_loop(&p, CALLGRIND_WARMUP);
	fails += measured_loop(&p, n);
	if (!pair_check(&p, CALLGRIND_WARMUP + n, fails))
		return 3;
	pair_free(&p);
	return 0;
}

struct fn_cost {
	char *name;
	uint64_t self;
	uint64_t from_loop;   /* inclusive cost of the calls the loop itself makes to it */
};

struct fn_table {
	struct fn_cost *v;
	size_t n;
};

static long fn_index(struct fn_table *t, const char *name)
{
	struct fn_cost *tmp;

	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].name, name))
			return (long)i;
	tmp = realloc(t->v, (t->n + 1) * sizeof(*t->v));
	if (!tmp)
		return -1;
	t->v = tmp;
	t->v[t->n].name = strdup(name);
	t->v[t->n].self = 0;
	t->v[t->n].from_loop = 0;
	return t->v[t->n].name ? (long)t->n++ : -1;
}

/* The benchmark's own loop functions: what they call is the per-call breakdown. */
static bool is_loop_fn(const char *name)
{
	return !strcmp(name, "one_conn") || !strcmp(name, "drive") || !strcmp(name, "conn_loop") ||
	       !strcmp(name, "measured_loop");
}

/* The Ir of a cost line ("<position> <Ir>"), or 0. */
static uint64_t cost_of(const char *line)
{
	const char *sp = strchr(line, ' ');

	return sp ? strtoull(sp + 1, NULL, 10) : 0;
}

/*
 * Reads callgrind's output: "summary:"/"totals:", the self cost of every
 * function (the cost lines after fn=) and, for calls made by the loop itself,
 * the inclusive cost per callee (the line after calls= under fn=one_conn...).
 * Names may be compressed as "(id) name" on first use, then "(id)".
 */
static int parse_callgrind(const char *path, uint64_t *total, struct fn_table *t)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	char **names = NULL;
	size_t nnames = 0;
	long cur = -1, callee = -1;
	bool in_call = false;

	if (!f)
		return -1;
	*total = 0;
	memset(t, 0, sizeof(*t));
	while (fgets(line, sizeof(line), f)) {
		bool is_cost = line[0] == '+' || line[0] == '-' || line[0] == '*' || (line[0] >= '0' && line[0] <= '9');

		line[strcspn(line, "\n")] = 0;
		if (in_call) {
			in_call = false;
			if (is_cost && cur >= 0 && callee >= 0 && is_loop_fn(t->v[cur].name) &&
			    !is_loop_fn(t->v[callee].name))
				t->v[callee].from_loop += cost_of(line);
			continue;
		}
		if (!strncmp(line, "summary:", 8) || !strncmp(line, "totals:", 7)) {
			uint64_t v = strtoull(strchr(line, ':') + 1, NULL, 10);

			if (v > *total)
				*total = v;
		} else if (!strncmp(line, "calls=", 6)) {
			in_call = true;
		} else if (!strncmp(line, "fn=", 3) || !strncmp(line, "cfn=", 4)) {
			const char *s = strchr(line, '=') + 1;
			const char *name = s;
			long id = -1, idx;

			if (*s == '(') {
				id = strtol(s + 1, NULL, 10);
				name = strchr(s, ')');
				name = name ? name + 1 : s;
				while (*name == ' ')
					name++;
			}
			if (id >= 0 && (size_t)id >= nnames) {
				size_t nn = (size_t)id + 64;
				char **tmp = realloc(names, nn * sizeof(*names));

				if (!tmp)
					break;
				memset(tmp + nnames, 0, (nn - nnames) * sizeof(*names));
				names = tmp;
				nnames = nn;
			}
			if (id >= 0 && *name && !names[id])
				names[id] = strdup(name);
			if (id >= 0)
				name = names[id];
			idx = name ? fn_index(t, name) : -1;
			if (line[0] == 'f')
				cur = idx;
			else
				callee = idx;
		} else if (is_cost && cur >= 0) {
			t->v[cur].self += cost_of(line);
		}
	}
	fclose(f);
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	return *total ? 0 : -1;
}

static int cmp_cost(const void *a, const void *b)
{
	const struct fn_cost *x = a, *y = b;

	return x->self < y->self ? 1 : x->self > y->self ? -1 : 0;
}

static bool have_valgrind(void)
{
	return system("valgrind --version >/dev/null 2>&1") == 0;
}

/* Runs this program under callgrind; returns instructions per connection or a
 * negative value (reason in why). */
static double callgrind_instr(char *why, size_t whylen, bool print_top)
{
	char self[4096], out[] = "/tmp/bench_handshake.cg.XXXXXX", log[] = "/tmp/bench_handshake.log.XXXXXX";
	char outarg[128], nstr[32];
	ssize_t sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int ofd = mkstemp(out), lfd = mkstemp(log), status = 0;
	struct fn_table t = { NULL, 0 };
	uint64_t total = 0;
	double per = -1;
	pid_t pid;

	if (sl <= 0 || ofd < 0 || lfd < 0) {
		snprintf(why, whylen, "no temporary file or /proc/self/exe");
		goto out;
	}
	self[sl] = 0;
	snprintf(outarg, sizeof(outarg), "--callgrind-out-file=%s", out);
	snprintf(nstr, sizeof(nstr), "%u", CALLGRIND_CONNS);
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		dup2(lfd, 1);
		dup2(lfd, 2);
		execlp("valgrind", "valgrind", "--tool=callgrind", outarg, "--collect-atstart=no",
		       "--toggle-collect=measured_loop", self, "--callgrind-child", nstr, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(why, whylen, "valgrind run failed (status %d), log in %s", status, log);
		close(lfd);
		close(ofd);
		return -1;   /* keep the log */
	}
	if (parse_callgrind(out, &total, &t)) {
		snprintf(why, whylen, "could not read %s", out);
		goto out;
	}
	per = (double)total / CALLGRIND_CONNS;
	if (print_top) {
		char b[32];

		printf("\nustack instructions per connection by call (callgrind, inclusive; %u connections\n"
		       "after %u of warm-up; total %s per connection):\n",
		       CALLGRIND_CONNS, CALLGRIND_WARMUP, commas(b, per));
		for (size_t i = 0; i < t.n; i++)
			if (t.v[i].from_loop >= 10ull * CALLGRIND_CONNS)
				printf("  %8.0f  %5.1f%%  %s\n", (double)t.v[i].from_loop / CALLGRIND_CONNS,
				       100.0 * (double)t.v[i].from_loop / (double)total, t.v[i].name);
		qsort(t.v, t.n, sizeof(*t.v), cmp_cost);
		printf("ustack hot spots (callgrind, self instructions per connection, both stacks):\n");
		for (size_t i = 0; i < t.n && i < CALLGRIND_TOP; i++)
			printf("  %8.0f  %5.1f%%  %s\n", (double)t.v[i].self / CALLGRIND_CONNS,
			       100.0 * (double)t.v[i].self / (double)total, t.v[i].name);
	}
out:
	for (size_t i = 0; i < t.n; i++)
		free(t.v[i].name);
	free(t.v);
	if (ofd >= 0) {
		close(ofd);
		unlink(out);
	}
	if (lfd >= 0) {
		close(lfd);
		unlink(log);
	}
	return per;
}

/* ---- Linux: the same loop over loopback, in a namespace of its own ------ */

struct linux_result {
	int ok;
	int netns;                  /* 1: a fresh namespace; 0: the current one */
	int cpu;                    /* the CPU the loop was pinned to, -1 none */
	uint64_t conns, fails;
	uint64_t wall_ns, user_ns, sys_ns;
	uint64_t ksoftirqd_ticks, tick_hz;  /* ksoftirqd of the pinned CPU, -1: n/a */
	int have_ksoftirqd;
	uint64_t instr;             /* user+kernel, 0 = n/a */
	int instr_errno;
	char err[128];
};

static int lo_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int ret = -1;

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		ret = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return ret;
}

/* CPU time (utime + stime, clock ticks) of ksoftirqd/cpu: loopback softirq
 * work the kernel defers to that thread is charged to it, not to us. */
static int ksoftirqd_ticks(int cpu, uint64_t *ticks)
{
	char want[32], path[300], comm[64], buf[1024];
	struct dirent *d;
	DIR *dir = opendir("/proc");
	int ret = -1;

	if (!dir)
		return -1;
	snprintf(want, sizeof(want), "ksoftirqd/%d", cpu);
	while ((d = readdir(dir))) {
		FILE *f;
		char *p;
		unsigned long long ut = 0, stt = 0;

		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = 0;
		fclose(f);
		comm[strcspn(comm, "\n")] = 0;
		if (strcmp(comm, want))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", d->d_name);
		f = fopen(path, "r");
		if (!f)
			break;
		if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) &&
		    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &stt) == 2) {
			*ticks = ut + stt;
			ret = 0;
		}
		fclose(f);
		break;
	}
	closedir(dir);
	return ret;
}

static int kernel_conn(int lfd, const struct sockaddr_in *srv)
{
	int c = socket(AF_INET, SOCK_STREAM, 0), a;

	if (c < 0)
		return -1;
	if (connect(c, (const struct sockaddr *)srv, sizeof(*srv))) {
		close(c);
		return -1;
	}
	a = accept(lfd, NULL, NULL);
	if (a >= 0)
		close(a);
	close(c);
	return a >= 0 ? 0 : -1;
}

static void linux_child(struct linux_result *r)
{
	struct sockaddr_in srv = { .sin_family = AF_INET };
	socklen_t sl = sizeof(srv);
	int lfd, one = 1, ifd;
	uint64_t t0, u0, s0, u1, s1, k0 = 0, k1 = 0, i0;
	cpu_set_t set;

	memset(r, 0, sizeof(*r));
	r->cpu = -1;
	if (unshare(CLONE_NEWNET) == 0) {
		if (lo_up()) {
			snprintf(r->err, sizeof(r->err), "bringing lo up: %s", strerror(errno));
			return;
		}
		r->netns = 1;
	}
	r->cpu = sched_getcpu();
	CPU_ZERO(&set);
	CPU_SET(r->cpu, &set);
	if (r->cpu < 0 || sched_setaffinity(0, sizeof(set), &set))
		r->cpu = -1;
	srv.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&srv, sizeof(srv)) || listen(lfd, 4096) ||
	    getsockname(lfd, (struct sockaddr *)&srv, &sl)) {
		snprintf(r->err, sizeof(r->err), "listen on 127.0.0.1: %s", strerror(errno));
		return;
	}
	for (unsigned i = 0; i < LINUX_WARMUP; i++)
		if (kernel_conn(lfd, &srv)) {
			snprintf(r->err, sizeof(r->err), "connect/accept: %s", strerror(errno));
			return;
		}
	ifd = open_instr_counter(false);
	r->instr_errno = ifd < 0 ? errno : 0;
	if (ifd >= 0)
		ioctl(ifd, PERF_EVENT_IOC_ENABLE, 0);
	r->tick_hz = (uint64_t)sysconf(_SC_CLK_TCK);
	r->have_ksoftirqd = r->cpu >= 0 && ksoftirqd_ticks(r->cpu, &k0) == 0;
	proc_cpu_ns(&u0, &s0);
	i0 = read_counter(ifd);
	t0 = now_ns();
	while (r->conns < LINUX_CONNS) {
		r->fails += kernel_conn(lfd, &srv) != 0;
		r->conns++;
		if ((r->conns & 255) == 0 && now_ns() - t0 > LINUX_MAX_NS)
			break;
	}
	r->wall_ns = now_ns() - t0;
	r->instr = ifd >= 0 ? read_counter(ifd) - i0 : 0;
	proc_cpu_ns(&u1, &s1);
	if (r->have_ksoftirqd && ksoftirqd_ticks(r->cpu, &k1) == 0)
		r->ksoftirqd_ticks = k1 - k0;
	else
		r->have_ksoftirqd = 0;
	r->user_ns = u1 - u0;
	r->sys_ns = s1 - s0;
	close(lfd);
	r->ok = 1;
}

static void linux_run(struct linux_result *r)
{
	int fds[2], status;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	if (pipe(fds)) {
		snprintf(r->err, sizeof(r->err), "pipe: %s", strerror(errno));
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		snprintf(r->err, sizeof(r->err), "fork: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		struct linux_result cr;

		close(fds[0]);
		linux_child(&cr);
		if (write(fds[1], &cr, sizeof(cr)) != (ssize_t)sizeof(cr))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], r, sizeof(*r)) != (ssize_t)sizeof(*r))
		snprintf(r->err, sizeof(r->err), "the Linux child died");
	close(fds[0]);
	waitpid(pid, &status, 0);
}

/* ---- the report ---------------------------------------------------------- */

int main(int argc, char **argv)
{
	uint64_t n = N_DEFAULT, fails, done = 0, t0, c0, wall, cpu, i0 = 0, instr = 0;
	double segs, polls, u_instr = -1, u_ns, u_cpu_ns, l_cpu_ns = 0, l_busy_ns = 0, l_instr = -1, ratio = 0;
	char why[256] = "", b1[32], b2[32], b3[32];
	struct linux_result lr;
	struct pair p;
	int ifd, perf_errno = 0;
	bool ok;

	if (argc == 3 && !strcmp(argv[1], "--callgrind-child"))
		return callgrind_child(strtoull(argv[2], NULL, 10));
	if (argc > 1) {
		char *end;

		n = strtoull(argv[1], &end, 10);
		if (*end || n == 0 || n > 10000000) {
			fprintf(stderr, "usage: %s [connections, 1..1e7]\n", argv[0]);
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	printf("bench_handshake: connect + accept + close of both ends, per connection\n");
	printf("  ustack: 2 stacks on a memlink (IP framing, virtual clock), %" PRIu64 " connections\n", n);
	printf("  Linux:  the same loop over loopback with kernel sockets, up to %u connections\n\n",
	       LINUX_CONNS);

	/* ustack, timed */
	pair_init(&p);
	fails = conn_loop(&p, WARMUP_CONNS);
	ifd = open_instr_counter(true);
	perf_errno = ifd < 0 ? errno : 0;
	if (ifd >= 0)
		ioctl(ifd, PERF_EVENT_IOC_ENABLE, 0);
	i0 = read_counter(ifd);
	c0 = thread_cpu_ns();
	t0 = now_ns();
	while (done < n) {
		uint64_t chunk = n - done < 1000 ? n - done : 1000;

		fails += measured_loop(&p, chunk);
		done += chunk;
		if (now_ns() - t0 > USTACK_MAX_NS)
			break;
	}
	wall = now_ns() - t0;
	cpu = thread_cpu_ns() - c0;
	if (ifd >= 0) {
		instr = read_counter(ifd) - i0;
		close(ifd);
	}
	ok = pair_check(&p, WARMUP_CONNS + done, fails);
	segs = (double)(stat_of(p.c, "TcpOutSegs") + stat_of(p.s, "TcpOutSegs")) / (double)(WARMUP_CONNS + done);
	polls = (double)p.polls / (double)(WARMUP_CONNS + done);
	pair_free(&p);
	if (done < n)
		printf("  note: stopped after %" PRIu64 " connections (time bound %llu s)\n", done,
		       USTACK_MAX_NS / 1000000000ULL);
	u_ns = (double)wall / (double)done;
	u_cpu_ns = (double)cpu / (double)done;
	printf("  per connection: %.1f TCP segments (both ends), %.1f ust_stack_poll calls, 5 socket calls\n",
	       segs, polls);
	if (ifd >= 0 && instr) {
		u_instr = (double)instr / (double)done;
		printf("  instructions: perf_event_open (user space, PERF_COUNT_HW_INSTRUCTIONS)\n");
	} else {
		printf("  instructions: n/a (perf_event_open: %s)\n",
		       ifd >= 0 ? "counter reads 0" : strerror(perf_errno));
		if (have_valgrind()) {
			printf("  instructions: counting under valgrind --tool=callgrind instead "
			       "(%u connections, measured_loop only)\n", CALLGRIND_CONNS);
			u_instr = callgrind_instr(why, sizeof(why), true);
			if (u_instr < 0)
				printf("  callgrind: %s\n", why);
		} else {
			printf("  callgrind: valgrind not installed, no instruction count\n");
		}
	}

	/* Linux */
	linux_run(&lr);
	printf("\n");
	if (!lr.ok) {
		printf("  Linux comparison skipped: %s\n", lr.err);
	} else {
		l_cpu_ns = (double)(lr.user_ns + lr.sys_ns) / (double)lr.conns;
		if (lr.have_ksoftirqd)
			l_busy_ns = l_cpu_ns + (double)lr.ksoftirqd_ticks * 1e9 / (double)lr.tick_hz /
						   (double)lr.conns;
		if (lr.instr)
			l_instr = (double)lr.instr / (double)lr.conns;
		printf("  Linux %s: %" PRIu64 " connections (%" PRIu64 " failed) in %.2f s; user %.3f s, "
		       "sys %.3f s%s\n",
		       lr.netns ? "(fresh network namespace, lo)" : "(current namespace, lo)", lr.conns,
		       lr.fails, (double)lr.wall_ns / 1e9, (double)lr.user_ns / 1e9, (double)lr.sys_ns / 1e9,
		       lr.cpu >= 0 ? "" : " (not pinned)");
		if (lr.have_ksoftirqd)
			printf("  Linux: ksoftirqd/%d ran %.3f s meanwhile (softirq work deferred off this "
			       "process)\n",
			       lr.cpu, (double)lr.ksoftirqd_ticks / (double)lr.tick_hz);
		if (!lr.instr)
			printf("  Linux instructions: n/a (perf_event_open: %s)\n",
			       lr.instr_errno ? strerror(lr.instr_errno) : "counter reads 0");
	}

	printf("\n%-24s %16s %16s %14s\n", "per connection", "ustack", "Linux", "Linux/ustack");
	printf("%-24s %16.0f %16s %14s\n", "wall ns", u_ns,
	       lr.ok ? commas(b1, (double)lr.wall_ns / (double)lr.conns) : "n/a",
	       lr.ok ? (snprintf(b2, sizeof(b2), "%.1fx", (double)lr.wall_ns / (double)lr.conns / u_ns), b2)
		     : "n/a");
	printf("%-24s %16.3f %16s %14s\n", "CPU us (user+sys)", u_cpu_ns / 1000.0,
	       lr.ok ? (snprintf(b1, sizeof(b1), "%.3f", l_cpu_ns / 1000.0), b1) : "n/a",
	       lr.ok ? (snprintf(b2, sizeof(b2), "%.1fx", l_cpu_ns / u_cpu_ns), b2) : "n/a");
	if (l_busy_ns > 0)
		printf("%-24s %16s %16.3f %14.1fx\n", "CPU us + ksoftirqd", "-", l_busy_ns / 1000.0,
		       l_busy_ns / u_cpu_ns);
	printf("%-24s %16s %16s %14s\n", "instructions",
	       u_instr >= 0 ? commas(b1, u_instr) : "n/a", l_instr >= 0 ? commas(b2, l_instr) : "n/a",
	       u_instr >= 0 && l_instr >= 0 ? (snprintf(b3, sizeof(b3), "%.1fx", l_instr / u_instr), b3)
					    : "n/a");
	printf("(ustack instructions: user space, both stacks and the socket calls; Linux's would be\n"
	       " user+kernel; ustack CPU is this thread's, Linux's is the process's user+sys)\n");

	printf("\ntargets:\n");
	if (u_instr >= 0)
		printf("  instructions/conn      %s (target <= %s: %s); %s per segment sent+received\n",
		       commas(b1, u_instr), commas(b2, TARGET_INSTR), u_instr <= TARGET_INSTR ? "met" : "MISSED",
		       commas(b3, u_instr / segs));
	else
		printf("  instructions/conn      n/a (target <= %s: not measured)\n", commas(b2, TARGET_INSTR));
	if (lr.ok) {
		ratio = l_cpu_ns / u_cpu_ns;
		printf("  CPU efficiency vs Linux %.1fx (target > %.0fx: %s); Linux CPU/conn %.1f us here "
		       "(reference ~%.0f us)\n",
		       ratio, TARGET_RATIO, ratio > TARGET_RATIO ? "met" : "MISSED", l_cpu_ns / 1000.0,
		       KERNEL_REF_US);
	} else {
		ratio = KERNEL_REF_US * 1000.0 / u_cpu_ns;
		printf("  CPU efficiency vs the ~%.0f us reference %.1fx (target > %.0fx: %s; Linux not "
		       "measured in this run)\n",
		       KERNEL_REF_US, ratio, TARGET_RATIO, ratio > TARGET_RATIO ? "met" : "MISSED");
	}
	{
		int kr = slab_size("request_sock_TCP"), ks = slab_size("TCP");

		printf("  sizeof(struct request_sock) %zu bytes (target <= 128: %s); kernel %d here "
		       "(/proc/slabinfo; 312 in the spec), %.1fx smaller\n",
		       sizeof(struct request_sock), sizeof(struct request_sock) <= 128 ? "met" : "MISSED",
		       kr > 0 ? kr : 312, (double)(kr > 0 ? kr : 312) / (double)sizeof(struct request_sock));
		printf("  sizeof(struct ust_sock)     %zu bytes (target <= 1024: %s); kernel %d here "
		       "(TCP slab; 2304 in the spec), %.1fx smaller\n",
		       sizeof(struct ust_sock), sizeof(struct ust_sock) <= 1024 ? "met" : "MISSED",
		       ks > 0 ? ks : 2304, (double)(ks > 0 ? ks : 2304) / (double)sizeof(struct ust_sock));
	}
	if (!ok)
		printf("\nbench_handshake: the ustack loop did not complete every connection (see CHECK)\n");
	return ok ? 0 : 1;
}
