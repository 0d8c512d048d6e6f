/*
 * What the examples share: where the stack runs (an in-memory link to a
 * second stack in the same process, or a kernel TAP/TUN device through
 * tools/netsetup.c, as `ustack serve` does), a thread that drives the stacks
 * for programs that block in socket calls, and writes that finish despite
 * short counts and EAGAIN.
 */
#ifndef UST_EXAMPLES_COMMON_H
#define UST_EXAMPLES_COMMON_H

#include <getopt.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include "cli.h"               /* tools/: struct ust_tool_device */
#include "ustack/ustack.h"

/* Memlink mode's addresses: the example's stack and its in-process peer. */
#define EX_ADDR "10.0.0.1"
#define EX_PEER_ADDR "10.0.0.2"

struct ex_net {
	struct ust_stack *st;         /* the example's own stack */
	struct ust_stack *peer;       /* memlink mode: the other end; NULL on a TAP */
	struct ust_netdev *dev, *peer_dev;
	struct in_addr addr;          /* st's address */
	pthread_t driver;
	bool driving;
	bool drive_st;                /* the driver thread polls st too */
	atomic_bool stop;
};

/* Device options every example takes; ex_net_parse_opt returns 1 when it
 * consumed opt, 0 when opt is not one of them, -1 on a bad value. */
struct ex_dev_opts {
	struct ust_tool_device dev;   /* ifname NULL: memlink mode */
};
#define EX_DEV_LONGOPTS \
	{ "tap", required_argument, NULL, 'T' }, { "tun", required_argument, NULL, 'U' }, \
	{ "addr", required_argument, NULL, 'A' }, { "pcap", required_argument, NULL, 'P' }, \
	{ "trace", no_argument, NULL, 'R' }
#define EX_DEV_USAGE \
	"  --tap NAME       run on the kernel TAP interface NAME (root), not in memory\n" \
	"  --tun NAME       the same with a TUN interface (bare IPv4)\n" \
	"  --addr A/N       the stack's address on the TAP/TUN, e.g. 192.0.2.2/24\n" \
	"  --pcap FILE      record the stack's frames to FILE\n" \
	"  --trace          print the stack's trace events on stderr\n"
int ex_dev_opt(const char *prog, struct ex_dev_opts *o, int opt, const char *arg);
/* getopt_long over longopts (which hold EX_DEV_LONGOPTS) that takes the
 * device options into o itself: the next of the example's own options, '?'
 * for an unknown one, -1 at the end. A bad device value exits with status 2
 * after its line, as the examples' own bad values do. */
int ex_getopt(const char *prog, int argc, char **argv, const struct option *longopts,
	      struct ex_dev_opts *o);
/* An option's number in lo..hi, or exit 2 after "PROG: NAME wants lo..hi". */
long ex_num_arg(const char *prog, const char *name, const char *arg, long lo, long hi);
/* --port's value, or exit 2 after "PROG: bad --port 'ARG'". */
int ex_port_arg(const char *prog, const char *arg);
/* Exit 2 after a line if operands remain past the options. */
void ex_no_operands(const char *prog, int argc, char **argv);

/* Builds the stacks: memlink (st at EX_ADDR, peer at EX_PEER_ADDR, both on
 * the real clock) or the TAP/TUN of o. One line on stderr and -1 on failure. */
int ex_net_open(const char *prog, struct ex_net *n, const struct ex_dev_opts *o);
/* Starts a thread that polls the peer (and st when drive_st) and sleeps on
 * their event fds; memlink has no fd, so in memory it sleeps 1 ms at most. */
int ex_net_drive(struct ex_net *n, bool drive_st);
void ex_net_close(struct ex_net *n);

/* Writes all of buf, waiting for POLLOUT on EAGAIN or a short count; 0 or -1
 * with errno. The socket may be blocking or not. */
int ex_write_all(struct ust_stack *st, int fd, const void *buf, size_t len);
/* Sends out and reads len bytes back into in, both at once so that neither
 * side's buffer fills while the other waits (what an echo client must do for
 * more than a window of data). 0, or -1 with errno. */
int ex_exchange(struct ust_stack *st, int fd, const void *out, void *in, size_t len);
/* Reads exactly len bytes unless EOF comes first; the count, or -1. */
ssize_t ex_read_full(struct ust_stack *st, int fd, void *buf, size_t len);
/* A blocking connect to ip:port from st; the fd, or -1 after a stderr line. */
int ex_connect(const char *prog, struct ust_stack *st, const char *ip, int port);
/* A listener on addr:port; the fd, or -1 after a stderr line. */
int ex_listen(const char *prog, struct ust_stack *st, struct in_addr addr, int port, int flags);
/* Parses a port (1..65535); -1 if bad. */
int ex_port(const char *text);



/* Echoes what arrives on fd back to it until EOF, then closes it (blocking). */
void ex_echo_conn(struct ust_stack *st, int fd);
/* Accepts on lfd until it is closed, one thread per connection running
 * ex_echo_conn. Stop closes lfd and waits for every thread, so the stack
 * can be freed after it. */
struct ex_echo_server {
	struct ust_stack *st;
	int lfd;
	pthread_t acceptor;
	atomic_int live;              /* connection threads still running */
};
int ex_echo_serve_start(struct ex_echo_server *srv, struct ust_stack *st, int lfd);
void ex_echo_serve_stop(struct ex_echo_server *srv);

/*
 * The single-threaded event loop of the epoll examples: the stack's event fd
 * and (on a TAP) a signalfd in a kernel epoll; each turn polls the stack and
 * hands what ust_epoll_wait(uep, ..., 0) reports to fn. It ends when done is
 * set (by a signal or another thread, with ust_stack_wakeup) and open
 * connections have closed, or 2000 turns after done.
 */
struct ex_loop {
	struct ust_stack *st;
	int uep;                      /* the ust_epoll instance */
	int sigfd;                    /* -1: none */
	int idle_ms;                  /* the longest sleep: -1 on a TAP, 1 in memory */
	void (*fn)(struct ex_loop *l, struct epoll_event *ev);
	void *ctx;
	unsigned long open, served;   /* connections, kept by fn */
	atomic_bool done;
};
/* The listener of an epoll server: non-blocking on addr:port, in a new
 * ust_epoll set (l->uep, l->st filled in) with data.ptr NULL. The fd, or -1
 * after a stderr line. */
int ex_loop_listen(const char *prog, struct ex_loop *l, struct ust_stack *st,
		   struct in_addr addr, int port);
void ex_loop_run(struct ex_loop *l);

#endif
