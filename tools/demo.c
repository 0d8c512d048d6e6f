/*
 * ustack demo: Linux's TCP connection setup, step by step, between two ustack
 * stacks joined by an in-memory Ethernet link, in virtual time (no root, no
 * network). It prints:
 *   1. the first connection, every step the trace reports: which function,
 *      which table, which queue, which state, which timer;
 *   2. more clients than the listener's backlog allows: the accept queue
 *      overflows, the SYN is dropped and retransmitted, the server accepts
 *      and the retried connection gets in;
 *   3. a little data and both closes, then the counters (nstat format);
 * and writes a pcap of the whole exchange.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "tcp/sock.h"
#include "ustack/ustack.h"

#define MS 1000000ULL
#define NCLIENTS 4
#define BACKLOG 2

struct demo {
	struct ust_stack *client, *server;
	struct ust_netdev *cdev, *sdev;
	int verbose;                 /* 1: every event; 0: queues, drops, timers */
	int trace_all;               /* --trace: every event of the whole run */
	const char *pcap;
};

/* What a trace callback needs: which side it prints for, and the verbosity. */
struct side {
	const char *name;
	const struct demo *d;
};

static const char *kind_tag(enum ust_trace_kind k)
{
	switch (k) {
	case UST_TRACE_STATE: return "state";
	case UST_TRACE_TABLE: return "table";
	case UST_TRACE_QUEUE: return "queue";
	case UST_TRACE_TIMER: return "timer";
	case UST_TRACE_PKT_IN: return "  in ";
	case UST_TRACE_PKT_OUT: return " out ";
	case UST_TRACE_DROP: return "drop ";
	default: return "call ";
	}
}

static void on_trace(const struct ust_trace_event *ev, void *ctx)
{
	const struct side *side = ctx;
	char line[256];

	if (side->d->trace_all)
		goto print;
	if (side->d->verbose < 0)
		return;
	if (!side->d->verbose && ev->kind != UST_TRACE_QUEUE && ev->kind != UST_TRACE_DROP &&
	    !(ev->kind == UST_TRACE_TIMER && strstr(ev->func, "timer")))
		return;
print:
	ust_trace_format(ev, line, sizeof(line));
	printf("  %-6s [%s] %s\n", side->name, kind_tag(ev->kind), line);
}

void ust_cmd_demo_usage(void)
{
	printf("usage: ustack demo [--trace] [--pcap FILE] [--quiet]\n"
	       "\n"
	       "Runs Linux's TCP connection setup between two ustack stacks on an in-memory\n"
	       "Ethernet link, in virtual time (no root, no network needed), and explains it.\n"
	       "  --trace       every trace event of both stacks, all through the run (by\n"
	       "                default parts 4 and 5 show only queue moves, drops, timers)\n"
	       "  --pcap FILE   write every frame to FILE (default ustack-demo.pcap)\n"
	       "  --quiet       only the summary lines and counters (and, with --trace, the\n"
	       "                trace events)\n"
	       "Exit status: 0 when every connection formed, carried data and closed.\n");
}

static struct ust_stack *demo_stack(const char *name, uint64_t seed)
{
	struct ust_stack_config cfg;

	ust_stack_config_init(&cfg);
	cfg.name = name;
	cfg.clock = UST_CLOCK_VIRTUAL;
	cfg.seed = seed;
	return ust_stack_new(&cfg);
}

/* Both clocks move together, event by event, up to `until` ns. */
static void run_until(struct demo *d, uint64_t until)
{
	for (;;) {
		uint64_t now = ust_stack_now(d->client);
		uint64_t a = ust_stack_next_event(d->client), b = ust_stack_next_event(d->server);
		uint64_t next = a < b ? a : b;

		if (next <= now)
			next = now + 1;
		if (next > until)
			break;
		ust_stack_advance(d->client, next - now);
		ust_stack_advance(d->server, next - now);
	}
	if (until > ust_stack_now(d->client)) {
		uint64_t step = until - ust_stack_now(d->client);

		ust_stack_advance(d->client, step);
		ust_stack_advance(d->server, step);
	}
}

static void heading(const char *text)
{
	printf("\n%s\n", text);
}

static int must(int rc, const char *what)
{
	if (rc < 0) {
		fprintf(stderr, "ustack demo: %s: %s\n", what, strerror(errno));
		exit(UST_EXIT_FAIL);
	}
	return rc;
}

static int setup(struct demo *d, struct side *side_c, struct side *side_s)
{
	struct ust_memlink_config lc;

	d->client = demo_stack("client", 1);
	d->server = demo_stack("server", 2);
	ust_memlink_config_init(&lc);
	lc.delay_ns = 1 * MS;     /* 1 ms each way: the steps stand apart in time */
	if (!d->client || !d->server || ust_memlink_create(d->client, d->server, &lc, &d->cdev, &d->sdev) ||
	    ust_addr_add(d->client, d->cdev, inet_addr("192.0.2.1"), 24) ||
	    ust_addr_add(d->server, d->sdev, inet_addr("192.0.2.2"), 24)) {
		fprintf(stderr, "ustack demo: setting up the stacks: %s\n", strerror(errno));
		return UST_EXIT_SETUP;
	}
	if (ust_netdev_pcap_open(d->cdev, d->pcap)) {
		fprintf(stderr, "ustack demo: cannot write %s: %s\n", d->pcap, strerror(errno));
		return UST_EXIT_SETUP;
	}
	ust_trace_set_callback(d->client, on_trace, side_c);
	ust_trace_set_callback(d->server, on_trace, side_s);
	return 0;
}

static int server_listen(struct demo *d)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(8080),
				  .sin_addr.s_addr = inet_addr("192.0.2.2") };
	int fd = must(ust_socket(d->server, AF_INET, SOCK_STREAM, 0), "socket");

	must(ust_bind(d->server, fd, (struct sockaddr *)&sa, sizeof(sa)), "bind");
	must(ust_listen(d->server, fd, BACKLOG), "listen");
	must(ust_fcntl(d->server, fd, F_SETFL, O_NONBLOCK), "fcntl");
	return fd;
}

static int client_connect(struct demo *d)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(8080),
				  .sin_addr.s_addr = inet_addr("192.0.2.2") };
	int fd = must(ust_socket(d->client, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), "socket");

	if (ust_connect(d->client, fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno != EINPROGRESS)
		must(-1, "connect");
	return fd;
}

static void print_counters(struct demo *d)
{
	static const char *const names[] = {
		"TcpActiveOpens", "TcpPassiveOpens", "TcpCurrEstab", "TcpInSegs", "TcpOutSegs",
		"TcpRetransSegs", "TcpExtTCPSynRetrans", "TcpExtTCPTimeouts",
		"TcpExtListenOverflows", "TcpExtListenDrops",
	};
	uint64_t c, s;

	printf("  %-28s %8s %8s\n", "counter (nstat name)", "client", "server");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ust_stats_get(d->client, names[i], &c);
		ust_stats_get(d->server, names[i], &s);
		printf("  %-28s %8llu %8llu\n", names[i], (unsigned long long)c, (unsigned long long)s);
	}
}

static int parse_args(int argc, char **argv, struct demo *d)
{
	static const struct option opts[] = {
		{ "pcap", required_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "trace", no_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'p')
			d->pcap = optarg;
		else if (c == 'q')
			d->verbose = -1;
		else if (c == 't')
			d->trace_all = 1;
		else
			return -1;
	}
	if (optind != argc) {
		fprintf(stderr, "ustack demo: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return 0;
}

/* Part 1: one connection, every step. */
static int first_connection(struct demo *d, int lfd)
{
	int cfd, afd;

	heading("2. The client connects (connect() -> tcp_v4_connect): route and source address,\n"
		"   SYN_SENT, a port from ip_local_port_range into bhash and the 4-tuple into ehash,\n"
		"   then the SYN and its retransmission timer (the first frame waits 2 ms for ARP).\n"
		"   The listener keeps a request sock in its SYN queue and answers SYN-ACK; the final\n"
		"   ACK finds the request in ehash and turns it into a child in the accept queue.");
	cfd = client_connect(d);
	run_until(d, ust_stack_now(d->client) + 10 * MS);
	heading("3. accept() hands out the child (inet_csk_accept).");
	afd = must(ust_accept(d->server, lfd, NULL, NULL), "accept");
	printf("  server accept() = fd %d\n", afd);
	return cfd | afd << 16;
}

int ust_cmd_demo(int argc, char **argv)
{
	struct demo d = { .verbose = 1, .pcap = "ustack-demo.pcap" };
	struct side side_c = { "client", &d }, side_s = { "server", &d };
	int quiet;
	int lfd, fds, cfd[NCLIENTS + 1], afd[NCLIENTS + 1], accepted = 1, rc;
	char buf[64];

	if (parse_args(argc, argv, &d))
		return UST_EXIT_USAGE;
	quiet = d.verbose < 0;
	rc = setup(&d, &side_c, &side_s);
	if (rc)
		return rc;
	printf("ustack demo: Linux's TCP connection setup, step by step, in two userspace stacks\n"
	       "  client 192.0.2.1 (%s) <-- in-memory Ethernet, 1 ms each way --> server 192.0.2.2 (%s)\n"
	       "  time is virtual: the run takes milliseconds, the clock shows what Linux would live through\n",
	       ust_netdev_name(d.cdev), ust_netdev_name(d.sdev));

	heading("1. The server listens: socket(), bind(192.0.2.2:8080), listen(backlog 2).\n"
		"   The accept queue holds backlog + 1 = 3 children (full when 3 > 2); the SYN queue is\n"
		"   full above 2 requests (Linux 6.18: qlen > backlog).");
	lfd = server_listen(&d);

	fds = first_connection(&d, lfd);
	cfd[0] = fds & 0xffff;
	afd[0] = fds >> 16;

	d.verbose = quiet ? -1 : 0;
	heading("4. Four more clients connect, 10 ms apart; the server does not accept yet.\n"
		"   Three fit in the accept queue; the fourth SYN finds it full: Linux drops it\n"
		"   (ListenOverflows). Only queue moves, drops and timers are shown now.");
	for (int i = 1; i <= NCLIENTS; i++) {
		cfd[i] = client_connect(&d);
		run_until(&d, ust_stack_now(d.client) + 10 * MS);
	}
	heading("5. At 0.5 s the server accepts what is queued; the dropped client's SYN\n"
		"   retransmission (after its 1 s RTO) then gets in.");
	run_until(&d, 500 * MS);
	while (accepted <= NCLIENTS && (afd[accepted] = ust_accept(d.server, lfd, NULL, NULL)) >= 0)
		accepted++;
	printf("  server has accepted %d connections so far\n", accepted);
	run_until(&d, 1500 * MS);
	while (accepted <= NCLIENTS && (afd[accepted] = ust_accept(d.server, lfd, NULL, NULL)) >= 0)
		accepted++;
	printf("  server accepted %d connections in all\n", accepted);

	heading("6. The first connection carries a few bytes, then both ends close\n"
		"   (FIN_WAIT1, FIN_WAIT2, CLOSE_WAIT, LAST_ACK).");
	d.verbose = quiet ? -1 : 1;
	must((int)ust_write(d.client, cfd[0], "hello", 5), "write");
	run_until(&d, ust_stack_now(d.client) + 5 * MS);
	ust_fcntl(d.server, afd[0], F_SETFL, O_NONBLOCK);
	rc = (int)ust_read(d.server, afd[0], buf, sizeof(buf) - 1);
	printf("  server read %d bytes: \"%.*s\"\n", rc, rc > 0 ? rc : 0, buf);
	must(ust_close(d.client, cfd[0]), "close");
	run_until(&d, ust_stack_now(d.client) + 5 * MS);
	must(ust_close(d.server, afd[0]), "close");
	run_until(&d, ust_stack_now(d.client) + 5 * MS);

	heading("7. Counters, named as nstat names Linux's:");
	print_counters(&d);
	printf("\n  request sock %zu bytes (Linux: 312), socket %zu bytes without buffers (Linux: 2304)\n",
	       sizeof(struct request_sock), sizeof(struct ust_sock));
	printf("  capture: %s (tshark -r %s)\n", d.pcap, d.pcap);
	rc = accepted == NCLIENTS + 1 ? UST_EXIT_OK : UST_EXIT_FAIL;
	ust_stack_free(d.client);
	ust_stack_free(d.server);
	return rc;
}
