/*
 * A blocking echo server: one thread accepts, one thread per connection reads
 * and writes back, and a driver thread runs the stack (common.c). Socket calls
 * block as they would on a kernel socket.
 *
 *   echo_server [--port P] [--clients N] [--message TEXT]
 *       in memory: serves on 10.0.0.1:P and runs N clients on a second stack
 *       (10.0.0.2), each sending TEXT and checking the echo; exit 0 if all match
 *   echo_server --tap NAME --addr A/N [--port P]
 *       serves on a kernel TAP until killed (try `nc A P` from the kernel's side)
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <arpa/inet.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"

#define PROG "echo_server"

static void usage(void)
{
	printf("usage: " PROG " [--port P] [--clients N] [--message TEXT]\n"
	       "       " PROG " --tap NAME --addr A/N [--port P]\n"
	       "\n"
	       "A blocking echo server on ustack (a thread per connection).\n"
	       "Without --tap/--tun it runs in memory: the server on " EX_ADDR " and N clients\n"
	       "on a second stack (" EX_PEER_ADDR "), each sending TEXT and checking what comes\n"
	       "back; it prints one line per client and exits 0 when every echo matched.\n"
	       "With --tap/--tun it serves until SIGINT/SIGTERM.\n"
	       "\n"
	       "  --port P         the port to listen on (default 7)\n"
	       "  --clients N      in memory: how many clients (default 3)\n"
	       "  --message TEXT   in memory: what each client sends (default \"hello, ustack\")\n"
	       EX_DEV_USAGE
	       "  --help           this text\n");
}

struct client {
	struct ust_stack *st;
	int port, index, ok;
	const char *message;
	pthread_t t;
};

static void *client_run(void *arg)
{
	struct client *c = arg;
	size_t len = strlen(c->message);
	char *back = calloc(1, len + 1);
	int fd = ex_connect(PROG, c->st, EX_ADDR, c->port);

	if (fd >= 0 && back && ex_write_all(c->st, fd, c->message, len) == 0 &&
	    ex_read_full(c->st, fd, back, len) == (ssize_t)len)
		c->ok = memcmp(back, c->message, len) == 0;
	if (fd >= 0)
		ust_close(c->st, fd);
	printf("client %d: sent %zu bytes, got back '%s': %s\n", c->index, len, back ? back : "",
	       c->ok ? "ok" : "MISMATCH");
	free(back);
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "clients", required_argument, NULL, 'n' },
		{ "message", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		EX_DEV_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct ex_dev_opts o = { 0 };
	struct ex_echo_server srv;
	struct client *clients;
	const char *message = "hello, ustack";
	int port = 7, nclients = 3, opt, lfd, failed = 0;
	struct ex_net n;

	while ((opt = ex_getopt(PROG, argc, argv, longopts, &o)) != -1) {
		switch (opt) {
		case 'p':
			port = ex_port_arg(PROG, optarg);
			break;
		case 'n':
			nclients = (int)ex_num_arg(PROG, "--clients", optarg, 1, 1000);
			break;
		case 'm':
			message = optarg;
			break;
		case 'h':
			usage();
			return 0;
		default:
			fprintf(stderr, "usage: " PROG " [OPTIONS]; see --help\n");
			return 2;
		}
	}
	ex_no_operands(PROG, argc, argv);
	if (o.dev.ifname) {
		/* Blocked before any thread starts, so that sigwait below gets them. */
		sigset_t set;

		sigemptyset(&set);
		sigaddset(&set, SIGINT);
		sigaddset(&set, SIGTERM);
		pthread_sigmask(SIG_BLOCK, &set, NULL);
	}
	if (ex_net_open(PROG, &n, &o) < 0)
		return 3;
	lfd = ex_listen(PROG, n.st, n.addr, port, 0);
	if (lfd < 0 || ex_net_drive(&n, true) < 0 || ex_echo_serve_start(&srv, n.st, lfd) < 0) {
		ex_net_close(&n);
		return 3;
	}
	if (!n.peer) {
		sigset_t set;
		int sig;

		printf(PROG ": echoing on %s:%d (SIGINT to stop)\n", inet_ntoa(n.addr), port);
		fflush(stdout);
		sigemptyset(&set);
		sigaddset(&set, SIGINT);
		sigaddset(&set, SIGTERM);
		sigwait(&set, &sig);
	} else {
		clients = calloc((size_t)nclients, sizeof(*clients));
		for (int i = 0; clients && i < nclients; i++) {
			clients[i] = (struct client){ .st = n.peer, .port = port, .index = i, .message = message };
			pthread_create(&clients[i].t, NULL, client_run, &clients[i]);
		}
		for (int i = 0; clients && i < nclients; i++) {
			pthread_join(clients[i].t, NULL);
			failed += !clients[i].ok;
		}
		free(clients);
	}
	ex_echo_serve_stop(&srv);
	ex_net_close(&n);
	return failed ? 1 : 0;
}
