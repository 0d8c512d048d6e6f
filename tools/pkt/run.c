/*
 * The engine's life cycle: build the stack (virtual clock, fixed seed, a pipe
 * device with the local address and a default route through it), apply the
 * script's options and init command, run the events in order with packetdrill's
 * time rules (run.c there: get_next_event, adjust_relative_event_times,
 * wait_for_event), finish (leftover packets, the cleanup command, a `...`
 * call still in flight) and tear everything down.
 *
 * pkt_run_script() -> setup() -> run_event() for each event -> finish() ->
 * teardown(). The first error stops the run; its text is the result's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "run.h"
#include "ustack/ustack.h"

#define RUN_SEED 0x5eed5eedULL          /* secrets and ISNs: reproducible runs */
#define RUN_LOCAL_PREFIX 16             /* packetdrill's netmask 255.255.0.0 */
#define RUN_FIRST_PEER_PORT 40000       /* packetdrill asks the kernel for one */
#define RUN_CALL_DRAIN_USECS 1000000    /* packetdrill's await_idle_thread: 1 s */

void pkt_run_opts_init(struct pkt_run_opts *o)
{
	memset(o, 0, sizeof(*o));
}

static int vfail(struct pkt_run *r, const char *prefix, const char *fmt, va_list ap)
{
	size_t n;

	if (r->failed)
		return -1;
	r->failed = true;
	n = (size_t)snprintf(r->err, r->err_cap, "%s", prefix);
	if (n < r->err_cap)
		vsnprintf(r->err + n, r->err_cap - n, fmt, ap);
	return -1;
}

int pkt_run_fail(struct pkt_run *r, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vfail(r, "", fmt, ap);
	va_end(ap);
	return ret;
}

int pkt_run_fail_at(struct pkt_run *r, size_t event, const char *fmt, ...)
{
	char prefix[512];
	va_list ap;
	int ret;

	snprintf(prefix, sizeof(prefix), "%s:%d: ", r->script->path,
		 r->script->events[event].line);
	va_start(ap, fmt);
	ret = vfail(r, prefix, fmt, ap);
	va_end(ap);
	return ret;
}

void pkt_run_verbose(struct pkt_run *r, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(r->out, "%s\n", line);
}

static void trace_line(const struct ust_trace_event *ev, void *ctx)
{
	struct pkt_run *r = ctx;
	char line[512];

	ust_trace_format(ev, line, sizeof(line));
	fprintf(r->out, "  trace %s\n", line);
}

/* --- time ------------------------------------------------------------- */

static bool anchored(const struct pkt_event *ev)
{
	return ev->type == PKT_EV_PACKET && ev->packet->dir == PKT_INBOUND;
}

void pkt_run_event_times(const struct pkt_event *ev, const struct pkt_event *last,
			 int64_t last_start, int64_t now_usecs, struct pkt_run_times *t)
{
	enum pkt_time_type type = ev->time.type;
	bool rel = type == PKT_TIME_RELATIVE || type == PKT_TIME_RELATIVE_RANGE ||
		   type == PKT_TIME_ANY;
	int64_t offset = 0;

	if (rel)
		offset = last && anchored(last) && anchored(ev) ? last_start : now_usecs;
	pkt_time_resolve(&ev->time, offset, &t->start, &t->end);
	t->offset = offset;
	t->call_end = 0;
	if (ev->type == PKT_EV_SYSCALL && ev->syscall->blocking)
		t->call_end = ev->syscall->end_usecs + (type == PKT_TIME_RELATIVE ? offset : 0);
}

int pkt_run_wait_event(struct pkt_run *r, size_t i, const char *what)
{
	const struct pkt_run_times *t = &r->times[i];
	struct pkt_time_check tc;
	char msg[512];

	if (pkt_run_advance_to(r, t->start))
		return -1;
	if (r->has_last) {
		memset(&tc, 0, sizeof(tc));
		tc.type = r->script->events[i].time.type;
		tc.expected_usecs = t->start;
		tc.expected_end_usecs = t->end;
		tc.actual_usecs = pkt_run_now(r);
		tc.has_last = true;
		tc.last_event_usecs = r->times[r->last].start;
		tc.offset_usecs = t->offset;
		tc.description = what;
		if (pkt_check_time(&r->cfg, &tc, msg, sizeof(msg)))
			return pkt_run_fail_at(r, i, "%s", msg);
	}
	return pkt_run_check_stale(r, i);
}

static bool is_absolute(const struct pkt_event *ev)
{
	return ev->time.type == PKT_TIME_ABSOLUTE || ev->time.type == PKT_TIME_ABSOLUTE_RANGE;
}

/* --- events ------------------------------------------------------------ */

static int run_command(struct pkt_run *r, size_t i)
{
	const struct pkt_event *ev = &r->script->events[i];
	char msg[512];

	if (pkt_run_wait_event(r, i, "command"))
		return -1;
	if (r->opts.verbose)
		pkt_run_verbose(r, "%9.6f line %-4d `%s`", (double)pkt_run_now(r) / 1e6,
				ev->line, ev->command);
	if (pkt_run_shell(r, ev->command, msg, sizeof(msg)))
		return pkt_run_fail_at(r, i, "error executing `%s` command: %s", ev->command, msg);
	return pkt_run_settle(r);
}

static int run_event(struct pkt_run *r, size_t i)
{
	const struct pkt_event *ev = &r->script->events[i];
	const struct pkt_event *last = r->has_last ? &r->script->events[r->last] : NULL;
	int64_t last_start = last ? r->times[r->last].start : 0;
	int ret = -1;

	if (!last && ev->time.usecs != 0)
		return pkt_run_fail_at(r, i, "first event should be at time 0");
	if (last && is_absolute(last) && is_absolute(ev) && ev->time.usecs < last_start)
		return pkt_run_fail_at(r, i, "time goes backward in script from %lld usec to "
				       "%lld usec", (long long)last_start, (long long)ev->time.usecs);
	pkt_run_event_times(ev, last, last_start, pkt_run_now(r), &r->times[i]);
	switch (ev->type) {
	case PKT_EV_PACKET:
		ret = pkt_run_packet_event(r, i);
		break;
	case PKT_EV_SYSCALL:
		ret = pkt_run_syscall_event(r, i);
		break;
	case PKT_EV_COMMAND:
		ret = run_command(r, i);
		break;
	case PKT_EV_CODE:
		ret = pkt_run_fail_at(r, i, "%%{ }%% code events are not supported by "
				      "ustack's runner (no Python post-processing)");
		break;
	}
	r->has_last = true;
	r->last = i;
	r->nevents++;
	return ret;
}

/* --- setup and teardown ------------------------------------------------ */

static int setup_stack(struct pkt_run *r)
{
	struct ust_stack_config cfg;
	struct ust_route_config rc;
	const char *path = r->script->path;

	ust_stack_config_init(&cfg);
	cfg.name = "ustack";
	cfg.clock = UST_CLOCK_VIRTUAL;
	cfg.clock_start_ns = 0;
	cfg.seed = RUN_SEED;
	r->st = ust_stack_new(&cfg);
	if (!r->st)
		return pkt_run_fail(r, "%s: creating the stack: %s", path, strerror(errno));
	if (ust_pipe_create(r->st, UST_FRAMING_IP, r->mtu, &r->dev))
		return pkt_run_fail(r, "%s: creating the pipe device: %s", path, strerror(errno));
	if (ust_addr_add(r->st, r->dev, r->local_ip, RUN_LOCAL_PREFIX))
		return pkt_run_fail(r, "%s: adding the local address: %s", path, strerror(errno));
	ust_route_config_init(&rc);
	rc.ifindex = ust_netdev_ifindex(r->dev);
	if (ust_route_add(r->st, &rc) && errno != EEXIST)
		return pkt_run_fail(r, "%s: adding the default route: %s", path, strerror(errno));
	if (r->opts.pcap_path && ust_netdev_pcap_open(r->dev, r->opts.pcap_path))
		return pkt_run_fail(r, "%s: opening %s: %s", path, r->opts.pcap_path,
				    strerror(errno));
	if (r->opts.trace)
		ust_trace_set_callback(r->st, trace_line, r);
	r->base_ns = ust_stack_now(r->st);
	if (pkt_run_worker_start(&r->plain, r->st) || pkt_run_worker_start(&r->blocking, r->st))
		return pkt_run_fail(r, "%s: starting the system call threads", path);
	return 0;
}

static int setup(struct pkt_run *r)
{
	char msg[512];

	pkt_config_init(&r->cfg);
	r->local_ip = htonl(0xc0a80001);        /* 192.168.0.1 */
	r->remote_ip = htonl(0xc0000201);       /* 192.0.2.1 */
	r->bind_port = 8080;
	r->connect_port = 8080;
	r->next_port = RUN_FIRST_PEER_PORT;
	r->mtu = 1500;
	r->sut = -1;
	if (pkt_run_options(r, msg, sizeof(msg)))
		return pkt_run_fail(r, "%s", msg);
	if (setup_stack(r))
		return -1;
	if (r->script->init_command &&
	    pkt_run_shell(r, r->script->init_command, msg, sizeof(msg)))
		return pkt_run_fail(r, "%s: error executing init command: %s", r->script->path, msg);
	for (size_t k = 0; k < r->opts.nsysctls; k++) {
		char cmd[512];

		snprintf(cmd, sizeof(cmd), "sysctl -q %s", r->opts.sysctls[k]);
		if (pkt_run_shell(r, cmd, msg, sizeof(msg)))
			return pkt_run_fail(r, "--sysctl %s: %s", r->opts.sysctls[k], msg);
	}
	return 0;
}

/* Leftover packets, the cleanup command, and a `...` call still running
 * (given packetdrill's second to return, in virtual time). */
static int finish(struct pkt_run *r)
{
	char msg[512];
	int64_t limit;

	if (r->script->nevents && pkt_run_check_stale(r, r->script->nevents))
		return -1;
	if (r->script->cleanup_command &&
	    pkt_run_shell(r, r->script->cleanup_command, msg, sizeof(msg)))
		return pkt_run_fail(r, "%s: error executing cleanup command: %s",
				    r->script->path, msg);
	limit = pkt_run_now(r) + RUN_CALL_DRAIN_USECS;
	while (r->pending && pkt_run_now(r) < limit)
		if (pkt_run_step(r, limit))
			return -1;
	if (r->pending)
		return pkt_run_fail_at(r, r->pending->event, "runtime error: exiting while "
				       "a blocking system call is in progress");
	return 0;
}

/* A call still asleep in the stack cannot be joined: shutdown() its
 * sockets to wake it. If it still sleeps, the stack and the engine are left
 * to it (returns false: nothing may be freed). */
static bool stop_workers(struct pkt_run *r)
{
	bool asleep;

	for (int tries = 0; tries < 2; tries++) {
		bool busy = pkt_run_worker_poll(&r->plain, &asleep) == RUN_W_RUNNING ||
			    pkt_run_worker_poll(&r->blocking, &asleep) == RUN_W_RUNNING;

		if (!busy)
			break;
		for (size_t k = 0; k < r->fds.n; k++)
			ust_shutdown(r->st, r->fds.e[k].live_fd, SHUT_RDWR);
		r->failed = true;       /* keep the first error; settle quietly */
		pkt_run_step(r, pkt_run_now(r) + 1000);
	}
	if (pkt_run_worker_poll(&r->plain, &asleep) == RUN_W_RUNNING ||
	    pkt_run_worker_poll(&r->blocking, &asleep) == RUN_W_RUNNING)
		return false;
	pkt_run_worker_stop(&r->plain);
	pkt_run_worker_stop(&r->blocking);
	return true;
}

static bool teardown(struct pkt_run *r)
{
	bool failed = r->failed;

	if (r->st && !stop_workers(r))
		return false;
	r->failed = failed;
	if (r->pending) {
		pkt_run_call_free(r->pending);
		r->pending = NULL;
	}
	if (r->plain.call) {
		pkt_run_call_free(r->plain.call);
		r->plain.call = NULL;
	}
	while (r->qlen)
		pkt_run_queue_pop(r);
	free(r->q);
	if (r->st)
		ust_stack_free(r->st);
	free(r->times);
	return true;
}

int pkt_run_script(const struct pkt_script *s, const struct pkt_run_opts *o,
		   struct pkt_run_result *res)
{
	struct pkt_run *r = calloc(1, sizeof(*r));
	bool ok;

	memset(res, 0, sizeof(*res));
	if (!r) {
		snprintf(res->error, sizeof(res->error), "%s: out of memory", s->path);
		return -1;
	}
	r->script = s;
	r->opts = *o;
	r->out = o->out ? o->out : stdout;
	r->err = res->error;
	r->err_cap = sizeof(res->error);
	r->times = calloc(s->nevents ? s->nevents : 1, sizeof(*r->times));
	if (!r->times)
		pkt_run_fail(r, "%s: out of memory", s->path);
	else if (!setup(r))
		for (size_t i = 0; i < s->nevents && !r->failed; i++)
			run_event(r, i);
	if (!r->failed)
		finish(r);
	res->nevents = r->nevents;
	res->end_usecs = r->st ? pkt_run_now(r) : 0;
	ok = !r->failed;
	if (teardown(r))
		free(r);
	return ok ? 0 : -1;
}

int pkt_run_file(const char *path, const struct pkt_run_opts *o, struct pkt_run_result *res)
{
	struct pkt_script *s;
	struct pkt_error err;
	int ret;

	if (pkt_parse_file(path, &s, &err)) {
		memset(res, 0, sizeof(*res));
		snprintf(res->error, sizeof(res->error), "%s", err.text);
		return -1;
	}
	ret = pkt_run_script(s, o, res);
	pkt_script_free(s);
	return ret;
}
