/*
 * The script runner's execution engine: plays one parsed packet script
 * (script.h) against one ustack stack over a pipe device (IPv4 framing) in
 * virtual time, the way packetdrill plays a script against a kernel.
 *
 * Semantics (packetdrill's run.c, run_packet.c and run_system_call.c carried
 * over to a virtual clock; tests/scripts/README.md has the mapping rules):
 *
 *   time     the clock starts at 0 and moves only when the engine advances it,
 *            one stack event (timer) at a time, so every packet the stack
 *            sends is stamped with the exact virtual time it left. Event times
 *            resolve as packetdrill's adjust_relative_event_times(): `+t` is
 *            relative to the previous event's time when both are inbound
 *            packets, else to the time the event is reached.
 *   `<`      the clock is advanced to the event's time, then the datagram
 *            built by pkt_build_inbound() is injected into the pipe.
 *   `>`      not waited for: the oldest packet the stack sent (and the engine
 *            has not consumed) is matched; if none is waiting, the clock is
 *            stepped until one is sent or packetdrill's timeout passes. Then
 *            fields (pkt_match_outbound) and time (pkt_check_time) are checked.
 *            `sport>dport` on a packet names a connection (several may run
 *            at once); a `>` takes the oldest packet of its connection.
 *            Packets of no connection the script knows are skipped, as
 *            packetdrill's sniffer skips them (noted in --verbose).
 *   extra    a packet of a known connection sent more than the
 *            tolerance before a later non-`>` event (or the end of the script)
 *            and not consumed by a `>` is "unexpected outbound packet", unless
 *            the next `>` event could still accept it (`*`, or an absolute
 *            time whose window covers it). packetdrill only notices such a
 *            packet when a later `>` meets it; ustack reports it where it is.
 *   calls    every call runs on a worker thread. A call without `...` holds
 *            the script (as in packetdrill, where the main thread makes it):
 *            while it sleeps in the stack, the engine steps the clock through
 *            the stack's own events (timers) only. A call with `...T` is
 *            started and the script moves on; its return value, errno and
 *            return time (T, within the tolerance) are checked when it returns.
 *            After every step the engine waits until each worker has either
 *            finished or is asleep in the stack, so runs are deterministic.
 *   shell    `sysctl [-q] [-w] NAME=VALUE ...` and
 *            `echo VALUE > /proc/sys/net/.../NAME` (joined by ; or &&) are
 *            applied with ust_sysctl_write; anything else is an error.
 *
 * Error messages are packetdrill's: "file:line: error handling packet: ...",
 * "file:line: runtime error in connect call: Expected result -1 but got 0
 * with errno 0 (Success)", "file:line: timing error: ...".
 */
#ifndef UST_PKT_RUN_H
#define UST_PKT_RUN_H

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>
#include "pkt.h"
#include "script.h"

/* --- the engine's interface -------------------------------------------- */

struct pkt_run_opts {
	const char *local_ip;           /* NULL: script's --local_ip or 192.168.0.1 */
	const char *remote_ip;          /* NULL: script's --remote_ip or 192.0.2.1 */
	int64_t tolerance_usecs;        /* <= 0: script's --tolerance_usecs or 4000 */
	const char *const *sysctls;     /* "NAME=VALUE", applied after the init command */
	size_t nsysctls;
	const char *pcap_path;          /* record the pipe; NULL: no capture */
	bool trace;                     /* print the stack's trace events */
	bool verbose;                   /* print each event with its virtual time */
	FILE *out;                      /* where trace and verbose lines go; NULL: stdout */
};

struct pkt_run_result {
	size_t nevents;                 /* events run */
	int64_t end_usecs;              /* virtual time when the run ended */
	char error[4096];               /* "file:line: ..." on failure, else "" */
};

void pkt_run_opts_init(struct pkt_run_opts *o);
/* Runs a parsed script. 0 if it passed; -1 with res->error. */
int pkt_run_script(const struct pkt_script *s, const struct pkt_run_opts *o,
		   struct pkt_run_result *res);
/* Parses and runs a file (a parse error is a failure too). */
int pkt_run_file(const char *path, const struct pkt_run_opts *o, struct pkt_run_result *res);

/* --- pieces exposed for the unit tests --------------------------------- */

#define PKT_RUN_MAX_FDS 64

/* Script fds to the stack's fds (packetdrill's struct fd_state list). */
struct pkt_run_fdmap {
	size_t n;
	struct {
		int script_fd;
		int live_fd;
		int sock;               /* index in the engine's sockets, -1: none */
	} e[PKT_RUN_MAX_FDS];
};

/* 0, or -EEXIST ("duplicate fd 3 in script" / "duplicate live fd 3"), -ENOSPC. */
int pkt_run_fd_add(struct pkt_run_fdmap *m, int script_fd, int live_fd, int sock,
		   char *msg, size_t cap);
/* 0 and *live_fd, or -ENOENT ("unable to find fd with script fd 7"). */
int pkt_run_fd_live(const struct pkt_run_fdmap *m, int script_fd, int *live_fd,
		    char *msg, size_t cap);
/* The entry's sock index, -1 when the fd is unknown. */
int pkt_run_fd_sock(const struct pkt_run_fdmap *m, int script_fd);
void pkt_run_fd_del(struct pkt_run_fdmap *m, int script_fd);

/* An event's times once resolved (all script microseconds). */
struct pkt_run_times {
	int64_t start;                  /* when it happens (or starts) */
	int64_t end;                    /* ranges: the end; else start */
	int64_t offset;                 /* what a relative time was added to */
	int64_t call_end;               /* `...T` calls: when the call must return */
};

/*
 * packetdrill's adjust_relative_event_times(): last is the previous event
 * (NULL for the first) and last_start its resolved time; now_usecs is the
 * time the event is reached. A `...T` call with a relative start returns at
 * offset + T; with an absolute one at T.
 */
void pkt_run_event_times(const struct pkt_event *ev, const struct pkt_event *last,
			 int64_t last_start, int64_t now_usecs, struct pkt_run_times *t);

enum pkt_run_check {
	PKT_RUN_CHECK_EXACT,            /* the result must be the script's */
	PKT_RUN_CHECK_FD,               /* a script fd >= 0 accepts any fd */
};

/*
 * packetdrill's end_syscall(): checks a call's return value and, when the
 * script names one, its errno. 0, or -EINVAL with msg "Expected result -1 but
 * got 0 with errno 0 (Success)" / "Expected errno 115 (Operation now in
 * progress) but got 111 (Connection refused)".
 */
int pkt_run_check_result(const struct pkt_syscall *sc, enum pkt_run_check mode,
			 long actual, int actual_errno, char *msg, size_t cap);

/* An integer argument: a number, a symbol (SOCK_STREAM) or an | of them.
 * 0, or -EINVAL with packetdrill's "Bad type; ..." style message. */
int pkt_run_expr_int(const struct pkt_expr *e, int64_t *v, char *msg, size_t cap);
/* Prints an expression back in script syntax; returns as snprintf. */
int pkt_run_expr_format(const struct pkt_expr *e, char *buf, size_t cap);

/* --- engine internals (run*.c) ------------------------------------------ */

#define PKT_RUN_MAX_SOCKS 64
#define PKT_RUN_MAX_POLLFDS 16

/* packetdrill's socket states (socket.h), for finding the connection a
 * script packet belongs to. */
enum pkt_run_sock_state {
	RUN_SOCK_NEW,
	RUN_SOCK_LISTENING,
	RUN_SOCK_CONNECTING,            /* connect() called */
	RUN_SOCK_SYN_SENT,              /* `> S` seen */
	RUN_SOCK_SYN_ACKED,             /* `< S.` injected */
	RUN_SOCK_PASSIVE_PKT_RCVD,      /* a packet injected towards a listener */
	RUN_SOCK_PASSIVE_SYNACK_SENT,
	RUN_SOCK_PASSIVE_SYNACK_ACKED,
};

struct pkt_run_sock {
	enum pkt_run_sock_state state;
	bool local_port_known;          /* active open: learnt from the first SYN */
	bool has_fd;                    /* a passive child has been accept()ed */
	struct pkt_conn conn;
};

/* A queued outbound packet: what the stack sent and when. */
struct pkt_run_out {
	uint8_t *data;
	size_t len;
	int64_t usecs;
};

enum pkt_run_call_kind {
	RUN_CALL_SOCKET, RUN_CALL_BIND, RUN_CALL_LISTEN, RUN_CALL_ACCEPT,
	RUN_CALL_CONNECT, RUN_CALL_READ, RUN_CALL_RECV, RUN_CALL_WRITE,
	RUN_CALL_SEND, RUN_CALL_CLOSE, RUN_CALL_SHUTDOWN, RUN_CALL_FCNTL,
	RUN_CALL_SETSOCKOPT, RUN_CALL_GETSOCKOPT, RUN_CALL_POLL,
	RUN_CALL_GETSOCKNAME, RUN_CALL_GETPEERNAME,
};

/* One system call, arguments already turned into live values. */
struct pkt_run_call {
	size_t event;                   /* index in script->events */
	enum pkt_run_call_kind kind;
	enum pkt_run_check check;
	int script_fd;                  /* the call's fd as the script numbers it */
	int fd;                         /* live fd */
	int nargs;                      /* ints used in a[] (fcntl: 2 or 3) */
	long a[3];
	struct sockaddr_in sa;
	socklen_t salen;
	uint8_t *buf;                   /* data or option value (heap) */
	size_t len;
	socklen_t optlen;               /* getsockopt: in and out */
	uint8_t want[64];               /* getsockopt: the value the script expects */
	size_t want_len;
	struct pollfd pfd[PKT_RUN_MAX_POLLFDS];
	nfds_t npfd;
	struct pkt_run_times times;
	long ret;                       /* filled by the worker */
	int err;
	int64_t done_usecs;             /* stamped by the engine */
};

enum pkt_run_wstate {
	RUN_W_IDLE, RUN_W_QUEUED, RUN_W_RUNNING, RUN_W_DONE, RUN_W_EXIT,
};

/* A thread that makes system calls (packetdrill's syscall thread). */
struct pkt_run_worker {
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	enum pkt_run_wstate state;      /* under mu */
	pid_t tid;                      /* under mu */
	struct ust_stack *st;
	struct pkt_run_call *call;      /* under mu from QUEUED to DONE */
};

struct pkt_run {
	const struct pkt_script *script;
	struct pkt_run_opts opts;
	struct pkt_config cfg;
	struct ust_stack *st;
	struct ust_netdev *dev;
	uint64_t base_ns;               /* the stack clock at script time 0 */
	ust_be32 local_ip, remote_ip;
	uint16_t bind_port, connect_port, next_port;
	uint32_t mtu;
	FILE *out;
	char *err;                      /* the result's error buffer */
	size_t err_cap;
	bool failed;
	size_t nevents;
	/* time */
	struct pkt_run_times *times;    /* per event, once resolved */
	bool has_last;
	size_t last;                    /* the previous event */
	/* packets the stack sent, oldest first */
	struct pkt_run_out *q;
	size_t qhead, qlen, qcap;
	uint8_t rxbuf[65536];
	/* sockets and fds */
	struct pkt_run_sock socks[PKT_RUN_MAX_SOCKS];
	size_t nsocks;
	int sut;                        /* socket under test, -1: none */
	struct pkt_run_fdmap fds;
	/* calls */
	struct pkt_run_worker plain;    /* calls the script waits for */
	struct pkt_run_worker blocking; /* `...` calls */
	struct pkt_run_call *pending;   /* the `...` call in flight, or NULL */
};

/* run.c */
int pkt_run_fail(struct pkt_run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int pkt_run_fail_at(struct pkt_run *r, size_t event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void pkt_run_verbose(struct pkt_run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* run_time.c: the clock, the outbound queue, the workers */
int64_t pkt_run_now(const struct pkt_run *r);
/* Advances the clock to script time usecs, one stack event at a time. */
int pkt_run_advance_to(struct pkt_run *r, int64_t usecs);
/* Steps the clock to the stack's next event, at most to limit usecs. */
int pkt_run_step(struct pkt_run *r, int64_t limit_usecs);
/* Waits for the workers to finish or sleep, then collects sent packets and
 * checks a `...` call that returned. */
int pkt_run_settle(struct pkt_run *r);
void pkt_run_queue_pop(struct pkt_run *r);
int pkt_run_worker_start(struct pkt_run_worker *w, struct ust_stack *st);
void pkt_run_worker_stop(struct pkt_run_worker *w);
void pkt_run_worker_submit(struct pkt_run_worker *w, struct pkt_run_call *c);
/* The worker's state; a running call that sleeps in the stack reads as
 * *asleep = true. */
enum pkt_run_wstate pkt_run_worker_poll(struct pkt_run_worker *w, bool *asleep);
void pkt_run_worker_reset(struct pkt_run_worker *w);

/* Advances to event i's time, checks it (packetdrill's wait_for_event) and
 * that no packet has been left unexpected. */
int pkt_run_wait_event(struct pkt_run *r, size_t i, const char *what);

/* run_packet.c */
int pkt_run_packet_event(struct pkt_run *r, size_t i);
/* Flags packets queued too long before event i (or the end: i = nevents). */
int pkt_run_check_stale(struct pkt_run *r, size_t i);
/* A datagram in script form, mapped with its connection's state. */
void pkt_run_format_actual(struct pkt_run *r, const uint8_t *ip, size_t len,
			   char *buf, size_t cap);

/* run_syscall.c and run_call.c */
int pkt_run_syscall_event(struct pkt_run *r, size_t i);
/* Checks a finished call and updates fds and sockets. */
int pkt_run_call_finish(struct pkt_run *r, struct pkt_run_call *c);
/* Runs one call with the ust_* API (on a worker thread). */
void pkt_run_call_invoke(struct ust_stack *st, struct pkt_run_call *c);
void pkt_run_call_free(struct pkt_run_call *c);

/* run_shell.c */
int pkt_run_shell(struct pkt_run *r, const char *cmd, char *msg, size_t cap);
int pkt_run_options(struct pkt_run *r, char *msg, size_t cap);

#endif
