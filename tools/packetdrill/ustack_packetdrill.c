/*
 * ustack under packetdrill: the library packetdrill loads with
 * --so_filename=libustack-packetdrill.so. It runs one ustack stack on a
 * virtual clock behind a pipe device and maps packetdrill's callback table
 * (pd_interface.h) onto the ust_* API.
 *
 * Time. The stack's clock is virtual and only packetdrill's main thread moves
 * it: usleep(us) moves it by us; netdev_receive(), when the stack has nothing
 * queued, moves it to the stack's next timer (a retransmitted SYN-ACK appears
 * at exactly +1 s); a gettimeofday() that would read the same time as the
 * previous read moves it by 1 us (packetdrill spins on the clock for the last
 * 20 us before an event, so the clock must move when read). Time is stepped
 * one stack event at a time and every packet the stack sends is stamped with
 * the time it was sent.
 *
 * Threads. packetdrill runs blocking calls on a second thread and goes on
 * with the script once that thread sleeps. Before moving time the main
 * thread waits until every socket call in progress on another thread is
 * asleep in the stack (or has returned and read the clock), so a call woken
 * at t returns at t, however the threads are scheduled. ustack's calls sleep
 * on condition variables with the stack lock released; the adapter holds its
 * own mutex only for short bookkeeping, never across a ust_* call.
 *
 * Descriptors. packetdrill closes, with the kernel's close(), every socket a
 * script leaves open. Each ustack socket is therefore represented to
 * packetdrill by a kernel descriptor of its own (/dev/null, close-on-exec),
 * mapped to the ustack descriptor here.
 *
 * All state hangs off the userdata; there is no global mutable state.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <linux/sockios.h>
#include <time.h>
#include <unistd.h>

#include "ustack/ustack.h"
#include "ustack/epoll.h"
#include "ustack/ip.h"
#include "ustack/netdev.h"
#include "ustack/socket.h"
#include "ustack/trace.h"
#include "pd_interface.h"
#include "pd_script.h"
#include "threadstate.h"

#define PD_NAME "ustack-packetdrill"
/* gettimeofday() reads this epoch plus the virtual clock. */
#define PD_EPOCH_USEC (1700000000LL * 1000000LL)
#define PD_TICK_NS 1000000ULL          /* the stack's timer tick */
#define PD_PKT_MAX 65536
#define PD_QUEUE_MAX 65536
#define PD_MAX_CALLERS 8
#define PD_QUIESCE_REAL_NS (2ULL * 1000000000ULL)

struct pd_pkt {
	struct pd_pkt *next;
	uint64_t sent_ns;
	size_t len;
	unsigned char data[];
};

enum pd_call_phase { PD_IDLE = 0, PD_IN_CALL, PD_RETURNED };

struct pd_caller {
	pid_t tid;
	enum pd_call_phase phase;
};

struct pd_config {
	in_addr_t local_ip;
	int prefixlen;
	uint32_t mtu;
	uint64_t seed;
	uint64_t max_wait_ns;
	bool trace;
	char *pcap;
	char *script;                   /* script=PATH; NULL: from the command line */
};

struct pd_adapter {
	struct ust_stack *st;
	struct ust_netdev *dev;
	struct pd_config cfg;
	pthread_t main_thread;
	pid_t main_tid;
	/* Held by the main thread in every call that moves time or reads
	 * packets; another thread takes it to move time while the main thread
	 * waits for it (see other_thread_may_move_time). */
	pthread_mutex_t clock_mu;
	bool broken;                    /* bad --so_flags: every call fails */

	pthread_mutex_t mu;             /* guards everything below */
	int *fdmap;                     /* kernel placeholder fd -> ustack fd + 1 */
	size_t fdmap_len;
	struct pd_caller callers[PD_MAX_CALLERS];

	/* Main thread only, or the thread holding clock_mu. */
	struct pd_pkt *qhead, *qtail;
	size_t qlen;
	uint64_t last_read_ns;
	bool have_last_read;
	bool warned_dst, warned_quiesce, warned_queue;
	unsigned char rxbuf[PD_PKT_MAX];
};

static pid_t pd_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static bool on_main_thread(const struct pd_adapter *a)
{
	return pthread_equal(pthread_self(), a->main_thread) != 0;
}

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- threads in socket calls ------------------------------------------ */

/*
 * Waits until no other thread is running inside (or just out of) a socket
 * call, so time moves only while every such call sleeps in the stack. A thread
 * that has returned counts as running until it reads the clock (packetdrill
 * reads it right after a blocking call returns) or goes to sleep elsewhere.
 */
static void quiesce(struct pd_adapter *a)
{
	uint64_t deadline = 0;

	for (;;) {
		pid_t tids[PD_MAX_CALLERS], busy = 0, self = pd_gettid();
		int n = 0;

		/* Look at the threads without holding our mutex: a thread waiting
		 * for it would look asleep. */
		pthread_mutex_lock(&a->mu);
		for (int i = 0; i < PD_MAX_CALLERS; i++)
			if (a->callers[i].phase != PD_IDLE && a->callers[i].tid != self)
				tids[n++] = a->callers[i].tid;
		pthread_mutex_unlock(&a->mu);
		for (int i = 0; i < n && !busy; i++)
			if (pkt_thread_state(tids[i]) == PKT_THREAD_RUNNING)
				busy = tids[i];
		if (!busy)
			return;
		if (!deadline) {
			deadline = real_ns() + PD_QUIESCE_REAL_NS;
		} else if (real_ns() > deadline) {
			if (!a->warned_quiesce)
				fprintf(stderr, PD_NAME ": thread %d neither sleeps nor returns "
					"from a socket call; moving time anyway\n", (int)busy);
			a->warned_quiesce = true;
			return;
		}
		sched_yield();
	}
}

struct pd_call {
	int slot;   /* -1: main thread, not tracked */
};

/* Every socket call starts here: fails when the flags were bad, and records
 * calls made from threads other than packetdrill's main one. */
static int call_begin(struct pd_adapter *a, struct pd_call *c)
{
	c->slot = -1;
	if (a->broken) {
		errno = EINVAL;
		return -1;
	}
	if (on_main_thread(a))
		return 0;
	pid_t tid = pd_gettid();

	pthread_mutex_lock(&a->mu);
	for (int i = 0; i < PD_MAX_CALLERS; i++)
		if (a->callers[i].phase != PD_IDLE && a->callers[i].tid == tid)
			c->slot = i;
	for (int i = 0; i < PD_MAX_CALLERS && c->slot < 0; i++)
		if (a->callers[i].phase == PD_IDLE)
			c->slot = i;
	if (c->slot >= 0) {
		a->callers[c->slot].tid = tid;
		a->callers[c->slot].phase = PD_IN_CALL;
	}
	pthread_mutex_unlock(&a->mu);
	return 0;
}

/* Keeps errno as the ust_* call left it. */
static void call_end(struct pd_adapter *a, struct pd_call *c)
{
	int saved = errno;

	if (c->slot >= 0) {
		pthread_mutex_lock(&a->mu);
		a->callers[c->slot].phase = PD_RETURNED;
		pthread_mutex_unlock(&a->mu);
	}
	errno = saved;
}

/* ---- descriptors -------------------------------------------------------- */

static int ufd(struct pd_adapter *a, int kfd)
{
	int u = -1;

	pthread_mutex_lock(&a->mu);
	if (kfd >= 0 && (size_t)kfd < a->fdmap_len && a->fdmap[kfd])
		u = a->fdmap[kfd] - 1;
	pthread_mutex_unlock(&a->mu);
	return u;   /* -1: ustack answers EBADF, as for any unknown descriptor */
}

/* Gives ustack descriptor u a kernel descriptor packetdrill can hold. */
static int fd_publish(struct pd_adapter *a, int u)
{
	int kfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int err = 0;

	if (kfd < 0) {
		err = errno;
	} else {
		pthread_mutex_lock(&a->mu);
		if ((size_t)kfd >= a->fdmap_len) {
			size_t n = (size_t)kfd * 2 + 16;
			int *m = realloc(a->fdmap, n * sizeof(*m));

			if (m) {
				memset(m + a->fdmap_len, 0, (n - a->fdmap_len) * sizeof(*m));
				a->fdmap = m;
				a->fdmap_len = n;
			} else {
				err = ENOMEM;
			}
		}
		if (!err)
			a->fdmap[kfd] = u + 1;
		pthread_mutex_unlock(&a->mu);
	}
	if (err) {
		if (kfd >= 0)
			close(kfd);
		ust_close(a->st, u);
		errno = err;
		return -1;
	}
	return kfd;
}

static bool fd_unpublish(struct pd_adapter *a, int kfd)
{
	bool had = false;

	pthread_mutex_lock(&a->mu);
	if (kfd >= 0 && (size_t)kfd < a->fdmap_len && a->fdmap[kfd]) {
		a->fdmap[kfd] = 0;
		had = true;
	}
	pthread_mutex_unlock(&a->mu);
	if (had)
		close(kfd);
	return had;
}

/* ---- time and packets --------------------------------------------------- */

static uint64_t vnow(const struct pd_adapter *a)
{
	return ust_stack_now(a->st);
}

/* Moves what the stack has sent into our queue, stamped with the current
 * time: packets are drained before every step of the clock, so that is the
 * time they were sent. */
static void drain(struct pd_adapter *a)
{
	for (;;) {
		ssize_t n = ust_pipe_read(a->dev, a->rxbuf, sizeof(a->rxbuf));
		struct pd_pkt *p;

		if (n <= 0)
			return;
		if (a->qlen >= PD_QUEUE_MAX || !(p = malloc(sizeof(*p) + (size_t)n))) {
			if (!a->warned_queue)
				fprintf(stderr, PD_NAME ": %zu packets unread; dropping\n", a->qlen);
			a->warned_queue = true;
			continue;
		}
		p->next = NULL;
		p->sent_ns = vnow(a);
		p->len = (size_t)n;
		memcpy(p->data, a->rxbuf, (size_t)n);
		pthread_mutex_lock(&a->mu);
		if (a->qtail)
			a->qtail->next = p;
		else
			a->qhead = p;
		a->qtail = p;
		a->qlen++;
		pthread_mutex_unlock(&a->mu);
	}
}

static struct pd_pkt *queue_pop(struct pd_adapter *a)
{
	struct pd_pkt *p;

	pthread_mutex_lock(&a->mu);
	p = a->qhead;
	if (p) {
		a->qhead = p->next;
		if (!a->qhead)
			a->qtail = NULL;
		a->qlen--;
	}
	pthread_mutex_unlock(&a->mu);
	return p;
}

/* Moves the virtual clock to target, one stack event at a time. */
static void advance_to(struct pd_adapter *a, uint64_t target)
{
	for (;;) {
		uint64_t now, next;

		quiesce(a);
		drain(a);
		now = vnow(a);
		if (now >= target)
			return;
		next = ust_stack_next_event(a->st);
		if (next <= now)
			next = now + PD_TICK_NS;
		if (next > target)
			next = target;
		ust_stack_advance(a->st, next - now);
	}
}

/*
 * A blocking call that starts after a delay (`+.01...0.011 connect(...)`)
 * waits for its start time on packetdrill's system-call thread while the
 * main thread sleeps until that thread has started the call: nobody would
 * move the clock. So a thread other than the main one may move it, but only
 * while the main thread sleeps outside the adapter's time paths (clock_mu
 * taken here; the caller unlocks it).
 */
static bool other_thread_may_move_time(struct pd_adapter *a)
{
	if (pthread_mutex_trylock(&a->clock_mu))
		return false;
	if (pkt_thread_state(a->main_tid) == PKT_THREAD_SLEEPING)
		return true;
	pthread_mutex_unlock(&a->clock_mu);
	return false;
}

static int pd_usleep(void *ud, useconds_t usec)
{
	struct pd_adapter *a = ud;

	if (!a->st) {
		errno = EINVAL;
		return -1;
	}
	if (on_main_thread(a)) {
		pthread_mutex_lock(&a->clock_mu);
		advance_to(a, vnow(a) + (uint64_t)usec * 1000ULL);
		pthread_mutex_unlock(&a->clock_mu);
	} else if (other_thread_may_move_time(a)) {
		advance_to(a, vnow(a) + (uint64_t)usec * 1000ULL);
		pthread_mutex_unlock(&a->clock_mu);
	}
	return 0;
}

static int pd_gettimeofday(void *ud, struct timeval *tv, struct timezone *tz)
{
	struct pd_adapter *a = ud;
	long long usec;
	uint64_t now;

	if (!a->st) {
		errno = EINVAL;
		return -1;
	}
	if (on_main_thread(a)) {
		pthread_mutex_lock(&a->clock_mu);
		now = vnow(a);
		if (a->have_last_read && now <= a->last_read_ns) {
			advance_to(a, a->last_read_ns + 1000);
			now = vnow(a);
		}
		a->last_read_ns = now;
		a->have_last_read = true;
		pthread_mutex_unlock(&a->clock_mu);
	} else {
		/* A call on this thread has returned and packetdrill reads its end
		 * time: from now on the main thread may move the clock. */
		pid_t tid = pd_gettid();

		pthread_mutex_lock(&a->mu);
		bool returned = false;

		for (int i = 0; i < PD_MAX_CALLERS; i++)
			if (a->callers[i].tid == tid && a->callers[i].phase == PD_RETURNED) {
				a->callers[i].phase = PD_IDLE;
				returned = true;
			}
		pthread_mutex_unlock(&a->mu);
		now = vnow(a);
		/* Spinning for a delayed blocking call's start: the clock must
		 * move when read, as on the main thread. (A call's end time is
		 * read as it is.) */
		if (!returned && other_thread_may_move_time(a)) {
			if (a->have_last_read && now <= a->last_read_ns) {
				advance_to(a, a->last_read_ns + 1000);
				now = vnow(a);
			}
			a->last_read_ns = now;
			a->have_last_read = true;
			pthread_mutex_unlock(&a->clock_mu);
		}
	}
	usec = PD_EPOCH_USEC + (long long)(now / 1000);
	if (tv) {
		tv->tv_sec = (time_t)(usec / 1000000);
		tv->tv_usec = (suseconds_t)(usec % 1000000);
	}
	if (tz)
		memset(tz, 0, sizeof(*tz));
	return 0;
}

static int netdev_send(void *ud, const void *buf, size_t count)
{
	struct pd_adapter *a = ud;

	if (a->broken || !a->st) {
		errno = EINVAL;
		return -1;
	}
	if (count >= 20 && (((const unsigned char *)buf)[0] >> 4) == 4 && !a->warned_dst) {
		in_addr_t dst;

		memcpy(&dst, (const unsigned char *)buf + 16, sizeof(dst));
		if (dst != a->cfg.local_ip) {
			char d[INET_ADDRSTRLEN], l[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, &dst, d, sizeof(d));
			inet_ntop(AF_INET, &a->cfg.local_ip, l, sizeof(l));
			fprintf(stderr, PD_NAME ": packetdrill sends to %s but the stack's address "
				"is %s: run packetdrill with --local_ip=%s (or --so_flags=local_ip=%s)\n",
				d, l, l, d);
			a->warned_dst = true;
		}
	}
	drain(a);   /* what was sent before this packet came in */
	if (ust_pipe_inject(a->dev, buf, count) < 0) {
		/* packetdrill prints no reason of its own for a failed send. */
		fprintf(stderr, PD_NAME ": cannot inject a %zu-byte packet into the stack: %s%s\n",
			count, strerror(errno), errno == EMSGSIZE ? " (larger than ustack's packet "
			"buffers: an inbound segment must fit the device MTU)" : "");
		return -1;
	}
	drain(a);
	return 0;
}

static int netdev_receive(void *ud, void *buf, size_t *count, long long *time_usecs)
{
	struct pd_adapter *a = ud;
	uint64_t deadline;

	if (a->broken || !a->st) {
		*count = 0;   /* packetdrill fails on an empty packet */
		return 0;
	}
	deadline = vnow(a) + a->cfg.max_wait_ns;
	for (;;) {
		struct pd_pkt *p;
		uint64_t now, next;

		quiesce(a);
		drain(a);
		p = queue_pop(a);
		if (p) {
			size_t n = p->len < *count ? p->len : *count;

			memcpy(buf, p->data, n);
			*count = n;
			*time_usecs = PD_EPOCH_USEC + (long long)(p->sent_ns / 1000);
			free(p);
			return 0;
		}
		now = vnow(a);
		next = ust_stack_next_event(a->st);
		if (next == UINT64_MAX || now >= deadline) {
			fprintf(stderr, PD_NAME ": waiting for an outbound packet, but the stack has "
				"%s (t=%.6f)\n",
				next == UINT64_MAX ? "nothing to send and no timer pending"
						   : "sent nothing within max_wait",
				(double)now / 1e9);
			*count = 0;
			return 0;
		}
		if (next <= now)
			next = now + PD_TICK_NS;
		advance_to(a, next < deadline ? next : deadline);
	}
}

static int pd_netdev_send(void *ud, const void *buf, size_t count)
{
	struct pd_adapter *a = ud;
	int ret;

	pthread_mutex_lock(&a->clock_mu);
	ret = netdev_send(ud, buf, count);
	pthread_mutex_unlock(&a->clock_mu);
	return ret;
}

static int pd_netdev_receive(void *ud, void *buf, size_t *count, long long *time_usecs)
{
	struct pd_adapter *a = ud;
	int ret;

	pthread_mutex_lock(&a->clock_mu);
	ret = netdev_receive(ud, buf, count, time_usecs);
	pthread_mutex_unlock(&a->clock_mu);
	return ret;
}

/* ---- socket calls ------------------------------------------------------- */

#define PD_CALL(a, expr)                                   \
	({                                                 \
		struct pd_call c_;                         \
		__typeof__(expr) r_ = -1;                  \
		if (call_begin((a), &c_) == 0) {           \
			r_ = (expr);                       \
			call_end((a), &c_);                \
		}                                          \
		r_;                                        \
	})

static int pd_socket(void *ud, int domain, int type, int protocol)
{
	struct pd_adapter *a = ud;
	int u = PD_CALL(a, ust_socket(a->st, domain, type, protocol));

	return u < 0 ? -1 : fd_publish(a, u);
}

static int pd_bind(void *ud, int fd, const struct sockaddr *addr, socklen_t len)
{
	struct pd_adapter *a = ud;
	int r = PD_CALL(a, ust_bind(a->st, ufd(a, fd), addr, len));

	/* packetdrill binds to its --local_ip, which is random unless given:
	 * say how to make the two agree. */
	if (r < 0 && errno == EADDRNOTAVAIL && addr && len >= sizeof(struct sockaddr_in) &&
	    addr->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)addr;
		char want[INET_ADDRSTRLEN], have[INET_ADDRSTRLEN];
		int saved = errno;

		inet_ntop(AF_INET, &sin->sin_addr, want, sizeof(want));
		inet_ntop(AF_INET, &a->cfg.local_ip, have, sizeof(have));
		fprintf(stderr, PD_NAME ": bind to %s, but the stack's address is %s: run "
			"packetdrill with --local_ip=%s (or --so_flags=local_ip=%s)\n",
			want, have, have, want);
		errno = saved;
	}
	return r;
}

static int pd_listen(void *ud, int fd, int backlog)
{
	struct pd_adapter *a = ud;

	return PD_CALL(a, ust_listen(a->st, ufd(a, fd), backlog));
}

static int pd_accept(void *ud, int fd, struct sockaddr *addr, socklen_t *len)
{
	struct pd_adapter *a = ud;
	int u = PD_CALL(a, ust_accept(a->st, ufd(a, fd), addr, len));

	return u < 0 ? -1 : fd_publish(a, u);
}

static int pd_connect(void *ud, int fd, const struct sockaddr *addr, socklen_t len)
{
	struct pd_adapter *a = ud;

	return PD_CALL(a, ust_connect(a->st, ufd(a, fd), addr, len));
}

/* The kernel checks a user pointer when it copies; ustack's API trusts its
 * caller, so a script's NULL buffer (syscall_bad_arg tests) is answered
 * here with the kernel's EFAULT instead of a crash. An unknown descriptor
 * still gets ustack's EBADF. */
static bool null_buf(struct pd_adapter *a, int fd, const void *buf, size_t len)
{
	if (buf || !len || ufd(a, fd) < 0)
		return false;
	errno = EFAULT;
	return true;
}

static ssize_t pd_read(void *ud, int fd, void *buf, size_t count)
{
	struct pd_adapter *a = ud;

	if (null_buf(a, fd, buf, count))
		return -1;

	return PD_CALL(a, ust_read(a->st, ufd(a, fd), buf, count));
}

static ssize_t pd_recv(void *ud, int fd, void *buf, size_t len, int flags)
{
	struct pd_adapter *a = ud;

	if (null_buf(a, fd, buf, len))
		return -1;

	return PD_CALL(a, ust_recv(a->st, ufd(a, fd), buf, len, flags));
}

static ssize_t pd_write(void *ud, int fd, const void *buf, size_t count)
{
	struct pd_adapter *a = ud;

	if (null_buf(a, fd, buf, count))
		return -1;

	return PD_CALL(a, ust_write(a->st, ufd(a, fd), buf, count));
}

static ssize_t pd_send(void *ud, int fd, const void *buf, size_t len, int flags)
{
	struct pd_adapter *a = ud;

	if (null_buf(a, fd, buf, len))
		return -1;

	return PD_CALL(a, ust_send(a->st, ufd(a, fd), buf, len, flags));
}

/* Total length of an iovec array; -1 with EINVAL as readv(2) checks it. */
static ssize_t iov_total(const struct iovec *iov, int iovcnt)
{
	size_t total = 0;

	if (iovcnt < 0 || iovcnt > IOV_MAX || (iovcnt && !iov)) {
		errno = EINVAL;
		return -1;
	}
	for (int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > (size_t)SSIZE_MAX - total) {
			errno = EINVAL;
			return -1;
		}
		total += iov[i].iov_len;
	}
	return (ssize_t)total;
}

static void iov_scatter(const struct iovec *iov, int iovcnt, const unsigned char *src, size_t n)
{
	for (int i = 0; i < iovcnt && n; i++) {
		size_t k = iov[i].iov_len < n ? iov[i].iov_len : n;

		memcpy(iov[i].iov_base, src, k);
		src += k;
		n -= k;
	}
}

static unsigned char *iov_gather(const struct iovec *iov, int iovcnt, size_t total)
{
	unsigned char *buf = malloc(total ? total : 1), *p = buf;

	if (!buf) {
		errno = ENOMEM;
		return NULL;
	}
	for (int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len)
			memcpy(p, iov[i].iov_base, iov[i].iov_len);
		p += iov[i].iov_len;
	}
	return buf;
}

/* A stream socket reads into the iovecs as into one buffer. */
static ssize_t recv_iov(struct pd_adapter *a, int fd, const struct iovec *iov, int iovcnt,
			int flags, bool is_read)
{
	ssize_t total = iov_total(iov, iovcnt), n;
	unsigned char *buf;

	if (total < 0)
		return -1;
	buf = malloc(total ? (size_t)total : 1);
	if (!buf) {
		errno = ENOMEM;
		return -1;
	}
	n = is_read ? PD_CALL(a, ust_read(a->st, ufd(a, fd), buf, (size_t)total))
		    : PD_CALL(a, ust_recv(a->st, ufd(a, fd), buf, (size_t)total, flags));
	if (n > 0)
		iov_scatter(iov, iovcnt, buf, (size_t)n);
	int saved = errno;
	free(buf);
	errno = saved;
	return n;
}

static ssize_t send_iov(struct pd_adapter *a, int fd, const struct iovec *iov, int iovcnt,
			int flags, bool is_write)
{
	ssize_t total = iov_total(iov, iovcnt), n;
	unsigned char *buf;

	if (total < 0 || !(buf = iov_gather(iov, iovcnt, (size_t)total)))
		return -1;
	n = is_write ? PD_CALL(a, ust_write(a->st, ufd(a, fd), buf, (size_t)total))
		     : PD_CALL(a, ust_send(a->st, ufd(a, fd), buf, (size_t)total, flags));
	int saved = errno;
	free(buf);
	errno = saved;
	return n;
}

static ssize_t pd_readv(void *ud, int fd, const struct iovec *iov, int iovcnt)
{
	return recv_iov(ud, fd, iov, iovcnt, 0, true);
}

static ssize_t pd_writev(void *ud, int fd, const struct iovec *iov, int iovcnt)
{
	return send_iov(ud, fd, iov, iovcnt, 0, true);
}

/* TCP does not report the sender's address: Linux sets *addrlen to 0. */
static ssize_t pd_recvfrom(void *ud, int fd, void *buf, size_t len, int flags,
			   struct sockaddr *src, socklen_t *srclen)
{
	ssize_t n = pd_recv(ud, fd, buf, len, flags);

	(void)src;
	if (n >= 0 && srclen)
		*srclen = 0;
	return n;
}

static ssize_t pd_recvmsg(void *ud, int fd, struct msghdr *msg, int flags)
{
	ssize_t n;

	if (!msg) {
		errno = EFAULT;
		return -1;
	}
	n = recv_iov(ud, fd, msg->msg_iov, (int)msg->msg_iovlen, flags, false);
	if (n >= 0) {
		msg->msg_namelen = 0;
		msg->msg_controllen = 0;
		msg->msg_flags = 0;
	}
	return n;
}

/* A connected TCP socket ignores the destination (Linux does too, outside
 * TCP Fast Open, which ustack does not have). */
static ssize_t pd_sendto(void *ud, int fd, const void *buf, size_t len, int flags,
			 const struct sockaddr *dst, socklen_t dstlen)
{
	(void)dst;
	(void)dstlen;
	if (flags & MSG_FASTOPEN) {
		errno = EOPNOTSUPP;
		return -1;
	}
	return pd_send(ud, fd, buf, len, flags);
}

static ssize_t pd_sendmsg(void *ud, int fd, const struct msghdr *msg, int flags)
{
	if (!msg) {
		errno = EFAULT;
		return -1;
	}
	if (msg->msg_controllen || (flags & MSG_FASTOPEN)) {
		errno = EOPNOTSUPP;   /* no control messages, no Fast Open */
		return -1;
	}
	return send_iov(ud, fd, msg->msg_iov, (int)msg->msg_iovlen, flags, false);
}

static int pd_fcntl(void *ud, int fd, int cmd, ...)
{
	struct pd_adapter *a = ud;
	long arg = 0;

	/* packetdrill passes a third (int) argument to every command but these. */
	if (cmd != F_GETFL && cmd != F_GETFD && cmd != F_GETOWN && cmd != F_GETSIG) {
		va_list ap;

		va_start(ap, cmd);
		arg = va_arg(ap, int);
		va_end(ap);
	}
	return PD_CALL(a, ust_fcntl(a->st, ufd(a, fd), cmd, arg));
}

static int pd_close(void *ud, int fd)
{
	struct pd_adapter *a = ud;
	int r = PD_CALL(a, ust_close(a->st, ufd(a, fd)));
	int saved = errno;

	if (!a->broken)
		fd_unpublish(a, fd);
	errno = saved;
	return r;
}

static int pd_shutdown(void *ud, int fd, int how)
{
	struct pd_adapter *a = ud;

	return PD_CALL(a, ust_shutdown(a->st, ufd(a, fd), how));
}

static int pd_getsockopt(void *ud, int fd, int level, int name, void *val, socklen_t *len)
{
	struct pd_adapter *a = ud;

	return PD_CALL(a, ust_getsockopt(a->st, ufd(a, fd), level, name, val, len));
}

static int pd_setsockopt(void *ud, int fd, int level, int name, const void *val, socklen_t len)
{
	struct pd_adapter *a = ud;

	return PD_CALL(a, ust_setsockopt(a->st, ufd(a, fd), level, name, val, len));
}

static int pd_poll(void *ud, struct pollfd *fds, nfds_t nfds, int timeout_ms)
{
	struct pd_adapter *a = ud;
	struct pollfd *mine;
	int r;

	if (nfds > (nfds_t)INT_MAX / sizeof(*mine)) {
		errno = EINVAL;
		return -1;
	}
	mine = calloc(nfds ? nfds : 1, sizeof(*mine));
	if (!mine) {
		errno = ENOMEM;
		return -1;
	}
	for (nfds_t i = 0; i < nfds; i++) {
		mine[i] = fds[i];
		/* Negative entries are skipped; a descriptor ustack does not know
		 * gets a number it answers POLLNVAL for. */
		if (fds[i].fd >= 0) {
			int u = ufd(a, fds[i].fd);

			mine[i].fd = u >= 0 ? u : INT_MAX;
		}
	}
	r = PD_CALL(a, ust_poll(a->st, mine, nfds, timeout_ms));
	int saved = errno;
	if (r >= 0)
		for (nfds_t i = 0; i < nfds; i++)
			fds[i].revents = mine[i].revents;
	free(mine);
	errno = saved;
	return r;
}

/* Not in ustack: "function not implemented". */
/* Bytes ready to read, for SIOCINQ: ustack has no ioctl, so they are
 * counted by peeking at most the receive buffer's worth (the most a socket
 * can hold). A listener gets Linux's EINVAL. */
static int inq(struct pd_adapter *a, int u, int *out)
{
	int listening = 0, rcvbuf = 0;
	socklen_t len = sizeof(int);
	unsigned char *buf;
	ssize_t n;

	if (ust_getsockopt(a->st, u, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0)
		return -1;
	if (listening) {
		errno = EINVAL;
		return -1;
	}
	len = sizeof(int);
	if (ust_getsockopt(a->st, u, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len) < 0)
		return -1;
	if (rcvbuf <= 0 || !(buf = malloc((size_t)rcvbuf))) {
		errno = ENOMEM;
		return -1;
	}
	n = ust_recv(a->st, u, buf, (size_t)rcvbuf, MSG_PEEK | MSG_DONTWAIT);
	free(buf);
	*out = n > 0 ? (int)n : 0;   /* nothing queued, EOF, or not connected */
	return 0;
}

static int pd_ioctl(void *ud, int fd, unsigned long request, ...)
{
	struct pd_adapter *a = ud;
	va_list ap;
	int *arg;

	va_start(ap, request);
	arg = va_arg(ap, int *);
	va_end(ap);
	if (request != SIOCINQ) {
		errno = ENOSYS;
		return -1;
	}
	if (!arg) {
		errno = EFAULT;
		return -1;
	}
	return PD_CALL(a, inq(a, ufd(a, fd), arg));
}

/* An epoll instance is a ustack descriptor like a socket, so it gets a
 * kernel placeholder too; the events' data (the script's fd=N) is the
 * caller's and passes through untouched. */
static int pd_epoll_create(void *ud, int size)
{
	struct pd_adapter *a = ud;
	int u = PD_CALL(a, ust_epoll_create(a->st, size));

	return u < 0 ? -1 : fd_publish(a, u);
}

static int pd_epoll_ctl(void *ud, int epfd, int op, int fd, struct epoll_event *ev)
{
	struct pd_adapter *a = ud;

	return PD_CALL(a, ust_epoll_ctl(a->st, ufd(a, epfd), op, ufd(a, fd), ev));
}

static int pd_epoll_wait(void *ud, int epfd, struct epoll_event *evs, int max, int timeout_ms)
{
	struct pd_adapter *a = ud;

	return PD_CALL(a, ust_epoll_wait(a->st, ufd(a, epfd), evs, max, timeout_ms));
}

static int pd_pipe(void *ud, int pipefd[2])
{
	(void)ud; (void)pipefd;
	errno = ENOSYS;
	return -1;
}

static int pd_splice(void *ud, int fd_in, loff_t *off_in, int fd_out, loff_t *off_out,
		     size_t len, unsigned int flags)
{
	(void)ud; (void)fd_in; (void)off_in; (void)fd_out; (void)off_out; (void)len; (void)flags;
	errno = ENOSYS;
	return -1;
}

/* ---- setup -------------------------------------------------------------- */

static void pd_trace(const struct ust_trace_event *ev, void *ctx)
{
	char line[256];

	(void)ctx;
	if (ust_trace_format(ev, line, sizeof(line)) >= 0)
		fprintf(stderr, "%s\n", line);
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

/* "40000-40999" and "4096:131072:6291456" become space-separated lists, the
 * form the sysctl files take (spaces are awkward inside --so_flags). */
static void sysctl_value(char *v)
{
	for (char *p = v; *p; p++)
		if (*p == ':' || (*p == '-' && p > v && isdigit((unsigned char)p[-1]) &&
				  isdigit((unsigned char)p[1])))
			*p = ' ';
}

struct pd_sysctl {
	char *name, *value;
};

/* Parses --so_flags. Returns 0, or -1 after printing what is wrong. */
static int parse_flags(const char *flags, struct pd_config *cfg,
		       struct pd_sysctl **sysctls, size_t *nsysctls)
{
	char *copy, *save = NULL;
	int bad = 0;

	if (!flags || !*flags)
		return 0;
	copy = strdup(flags);
	if (!copy) {
		fprintf(stderr, PD_NAME ": out of memory\n");
		return -1;
	}
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		char *key = tok, *val;
		uint64_t v;

		while (isspace((unsigned char)*key))
			key++;
		if (!*key)
			continue;
		if (!eq) {
			fprintf(stderr, PD_NAME ": --so_flags: \"%s\" is not key=value\n", key);
			bad = 1;
			continue;
		}
		*eq = '\0';
		val = eq + 1;
		if (!strcmp(key, "local_ip")) {
			if (ust_addr_parse(val, &cfg->local_ip, &cfg->prefixlen) < 0) {
				fprintf(stderr, PD_NAME ": --so_flags: bad local_ip \"%s\" "
					"(want A.B.C.D or A.B.C.D/LEN)\n", val);
				bad = 1;
			} else if (!strchr(val, '/')) {
				cfg->prefixlen = 16;   /* packetdrill's default netmask */
			}
		} else if (!strcmp(key, "mtu")) {
			if (parse_u64(val, 65535, &v) || v < 68) {
				fprintf(stderr, PD_NAME ": --so_flags: bad mtu \"%s\"\n", val);
				bad = 1;
			} else {
				cfg->mtu = (uint32_t)v;
			}
		} else if (!strcmp(key, "seed")) {
			if (parse_u64(val, UINT64_MAX, &v)) {
				fprintf(stderr, PD_NAME ": --so_flags: bad seed \"%s\"\n", val);
				bad = 1;
			} else {
				cfg->seed = v;
			}
		} else if (!strcmp(key, "max_wait")) {
			if (parse_u64(val, 1000000, &v) || !v) {
				fprintf(stderr, PD_NAME ": --so_flags: bad max_wait \"%s\" "
					"(seconds, 1..1000000)\n", val);
				bad = 1;
			} else {
				cfg->max_wait_ns = v * 1000000000ULL;
			}
		} else if (!strcmp(key, "trace")) {
			if (strcmp(val, "0") && strcmp(val, "1")) {
				fprintf(stderr, PD_NAME ": --so_flags: trace takes 0 or 1\n");
				bad = 1;
			} else {
				cfg->trace = val[0] == '1';
			}
		} else if (!strcmp(key, "pcap")) {
			free(cfg->pcap);
			cfg->pcap = strdup(val);
		} else if (!strcmp(key, "script")) {
			free(cfg->script);
			cfg->script = strdup(val);
		} else {
			struct pd_sysctl *s = realloc(*sysctls, (*nsysctls + 1) * sizeof(*s));

			if (!s) {
				bad = 1;
				break;
			}
			*sysctls = s;
			s[*nsysctls].name = strdup(key);
			s[*nsysctls].value = strdup(val);
			if (s[*nsysctls].value)
				sysctl_value(s[*nsysctls].value);
			(*nsysctls)++;
		}
	}
	free(copy);
	return bad ? -1 : 0;
}

/* Builds the stack, the device, its address and routes. -1 after printing. */
static int stack_setup(struct pd_adapter *a, const struct pd_sysctl *sysctls, size_t n, int bad)
{
	struct ust_stack_config sc;
	struct ust_route_config rc;
	char ip[INET_ADDRSTRLEN];

	ust_stack_config_init(&sc);
	sc.name = "ustack";
	sc.clock = UST_CLOCK_VIRTUAL;
	sc.clock_start_ns = 0;
	sc.seed = a->cfg.seed;
	a->st = ust_stack_new(&sc);
	if (!a->st) {
		fprintf(stderr, PD_NAME ": cannot create the stack: %s\n", strerror(errno));
		return -1;
	}
	if (ust_pipe_create(a->st, UST_FRAMING_IP, a->cfg.mtu, &a->dev) < 0) {
		fprintf(stderr, PD_NAME ": cannot create the pipe device: %s\n", strerror(errno));
		return -1;
	}
	inet_ntop(AF_INET, &a->cfg.local_ip, ip, sizeof(ip));
	if (ust_addr_add(a->st, a->dev, a->cfg.local_ip, a->cfg.prefixlen) < 0) {
		fprintf(stderr, PD_NAME ": cannot add %s/%d: %s\n", ip, a->cfg.prefixlen,
			strerror(errno));
		return -1;
	}
	/* Every remote address (packetdrill's 192.0.2.1 by default, or any
	 * --remote_ip) is reached through the device. */
	ust_route_config_init(&rc);
	rc.dst = 0;
	rc.prefixlen = 0;
	rc.ifindex = ust_netdev_ifindex(a->dev);
	if (ust_route_add(a->st, &rc) < 0) {
		fprintf(stderr, PD_NAME ": cannot add the default route: %s\n", strerror(errno));
		return -1;
	}
	/* The script's own settings first: --so_flags on the command line
	 * override them. script= (empty) reads no script. */
	if (!(a->cfg.script && !*a->cfg.script) &&
	    pd_script_apply(a->st, a->cfg.script, a->cfg.trace) < 0)
		bad = 1;
	for (size_t i = 0; i < n; i++) {
		if (!sysctls[i].name || !sysctls[i].value) {
			bad = 1;
			continue;
		}
		if (ust_sysctl_write(a->st, sysctls[i].name, sysctls[i].value) < 0) {
			if (errno == ENOENT)
				fprintf(stderr, PD_NAME ": --so_flags: unknown setting \"%s\" (neither "
					"an adapter flag nor a ustack sysctl)\n", sysctls[i].name);
			else
				fprintf(stderr, PD_NAME ": --so_flags: bad value \"%s\" for %s: %s\n",
					sysctls[i].value, sysctls[i].name, strerror(errno));
			bad = 1;
		}
	}
	if (a->cfg.trace)
		ust_trace_set_callback(a->st, pd_trace, a);
	if (a->cfg.pcap && ust_netdev_pcap_open(a->dev, a->cfg.pcap) < 0) {
		fprintf(stderr, PD_NAME ": cannot open %s: %s\n", a->cfg.pcap, strerror(errno));
		bad = 1;
	}
	return bad ? -1 : 0;
}

static void pd_free(void *ud)
{
	struct pd_adapter *a = ud;
	struct pd_pkt *p;

	if (!a)
		return;
	/* packetdrill has closed (with the kernel's close) every placeholder
	 * descriptor still open by now; only the stack is left. */
	if (a->dev)
		ust_netdev_pcap_close(a->dev);
	ust_stack_free(a->st);
	while ((p = a->qhead)) {
		a->qhead = p->next;
		free(p);
	}
	free(a->fdmap);
	free(a->cfg.pcap);
	free(a->cfg.script);
	pthread_mutex_destroy(&a->mu);
	pthread_mutex_destroy(&a->clock_mu);
	free(a);
}

__attribute__((visibility("default")))
void packetdrill_interface_init(const char *flags, struct packetdrill_interface *ifc)
{
	struct pd_adapter *a = calloc(1, sizeof(*a));
	struct pd_sysctl *sysctls = NULL;
	size_t nsysctls = 0;
	int bad;

	memset(ifc, 0, sizeof(*ifc));
	if (!a) {
		fprintf(stderr, PD_NAME ": out of memory\n");
		abort();
	}
	pthread_mutex_init(&a->mu, NULL);
	pthread_mutex_init(&a->clock_mu, NULL);
	a->main_thread = pthread_self();
	a->main_tid = pd_gettid();
	inet_pton(AF_INET, "192.168.0.2", &a->cfg.local_ip);
	a->cfg.prefixlen = 16;
	a->cfg.mtu = 1500;
	a->cfg.max_wait_ns = 600ULL * 1000000000ULL;

	bad = parse_flags(flags, &a->cfg, &sysctls, &nsysctls);
	if (stack_setup(a, sysctls, nsysctls, bad) < 0) {
		fprintf(stderr, PD_NAME ": setup failed (--so_flags=\"%s\"): every socket call "
			"and packet will fail\n", flags ? flags : "");
		a->broken = true;
	}
	for (size_t i = 0; i < nsysctls; i++) {
		free(sysctls[i].name);
		free(sysctls[i].value);
	}
	free(sysctls);

	ifc->userdata = a;
	ifc->free = pd_free;
	ifc->socket = pd_socket;
	ifc->bind = pd_bind;
	ifc->listen = pd_listen;
	ifc->accept = pd_accept;
	ifc->connect = pd_connect;
	ifc->read = pd_read;
	ifc->readv = pd_readv;
	ifc->recv = pd_recv;
	ifc->recvfrom = pd_recvfrom;
	ifc->recvmsg = pd_recvmsg;
	ifc->write = pd_write;
	ifc->writev = pd_writev;
	ifc->send = pd_send;
	ifc->sendto = pd_sendto;
	ifc->sendmsg = pd_sendmsg;
	ifc->fcntl = pd_fcntl;
	ifc->ioctl = pd_ioctl;
	ifc->close = pd_close;
	ifc->shutdown = pd_shutdown;
	ifc->getsockopt = pd_getsockopt;
	ifc->setsockopt = pd_setsockopt;
	ifc->poll = pd_poll;
	ifc->netdev_send = pd_netdev_send;
	ifc->netdev_receive = pd_netdev_receive;
	ifc->usleep = pd_usleep;
	ifc->gettimeofday = pd_gettimeofday;
	ifc->epoll_create = pd_epoll_create;
	ifc->epoll_ctl = pd_epoll_ctl;
	ifc->epoll_wait = pd_epoll_wait;
	ifc->pipe = pd_pipe;
	ifc->splice = pd_splice;
}
