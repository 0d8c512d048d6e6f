/*
 * ustack: one stack object holds everything (tables, timers, clock, secrets,
 * counters); there is no global state, so a process may run many stacks.
 *
 * Conventions of the whole public API (ust_*): functions return 0 or a count on
 * success and -1 with errno set on failure; constructors return NULL with errno.
 * A stack is driven by one thread (ust_stack_poll); socket calls from other
 * threads are serialised by the stack.
 */
#ifndef USTACK_STACK_H
#define USTACK_STACK_H

#include <stddef.h>
#include <stdint.h>

#ifndef UST_API
#define UST_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

struct ust_stack;

enum ust_clock_mode {
	UST_CLOCK_REAL = 0,     /* CLOCK_MONOTONIC */
	UST_CLOCK_VIRTUAL = 1,  /* moves only through ust_stack_advance() */
};

struct ust_stack_config {
	const char *name;             /* shown in traces and captures; default "ustack" */
	enum ust_clock_mode clock;
	uint64_t clock_start_ns;      /* virtual clock's first reading */
	uint64_t seed;                /* 0: secrets from the system CSPRNG; else reproducible */
	uint32_t pkt_buf_size;        /* bytes per packet buffer; 0: 2048 */
	uint32_t pkt_pool_max;        /* packet buffers at most; 0: 65536 */
	uint32_t max_sockets;         /* sockets and request socks at most; 0: 1048576 */
	uint32_t ehash_entries;       /* initial established-hash buckets; 0: 16384 (grows) */
};

/* Fills cfg with the defaults (real clock, random secrets). */
UST_API void ust_stack_config_init(struct ust_stack_config *cfg);
/* cfg may be NULL for the defaults. NULL with errno EINVAL (bad config),
 * ENOMEM, or EIO (no randomness). */
UST_API struct ust_stack *ust_stack_new(const struct ust_stack_config *cfg);
UST_API void ust_stack_free(struct ust_stack *st);
UST_API const char *ust_stack_name(const struct ust_stack *st);

/* The stack's clock, in nanoseconds. */
UST_API uint64_t ust_stack_now(const struct ust_stack *st);
/* Virtual clock only (else EINVAL): moves time forward by ns, then runs what
 * became due (timers, delayed packets). */
UST_API int ust_stack_advance(struct ust_stack *st, uint64_t ns);
/* Runs due timers and takes in what the devices have; returns the number of
 * events handled (0: nothing to do). */
UST_API int ust_stack_poll(struct ust_stack *st);
/*
 * The event loop's sleep (src/api/run.c): waits until a device's fd is
 * readable or the stack's next timer is due, at most max_ms (negative: no
 * bound but the next event). With a virtual clock only the devices and max_ms
 * count. A timer armed by another thread during the sleep is seen at the
 * latest after max_ms, so keep it small (e.g. 100), or have that thread call
 * ust_stack_wakeup(), which ends the sleep at once. Returns the number of
 * readable devices (0: timeout, a wake-up or a signal), -1 with errno.
 *   for (;;) { ust_stack_wait(st, 100); ust_stack_poll(st); }
 */
UST_API int ust_stack_wait(struct ust_stack *st, int max_ms);

/*
 * The stack as one kernel descriptor, for a program with its own event loop
 * (epoll, poll, libuv, ...): readable whenever the stack has work — a device
 * has a frame, a timer or delayed packet is due, or ust_stack_wakeup() was
 * called. When it is readable, call ust_stack_poll(), which also re-arms it;
 * then handle the sockets (ust_epoll_wait(..., 0) or ust_poll(..., 0)).
 *
 *   int sfd = ust_stack_event_fd(st);            add sfd to your epoll for EPOLLIN
 *   for (;;) {
 *       epoll_wait(myep, evs, n, -1);
 *       if (sfd is among evs) ust_stack_poll(st);
 *       ... ust_epoll_wait(st, uep, uevs, n, 0); handle sockets ...
 *   }
 *
 * Socket calls re-arm the descriptor's timer themselves when they start an
 * earlier timer. A device without a kernel fd (memlink, pipe) cannot make it
 * readable: whoever feeds it calls ust_stack_wakeup(). The descriptor is the
 * stack's (do not close it); it is freed with the stack. With a virtual clock
 * it is readable only while a timer is already due. -1 with errno (EMFILE,
 * ENOMEM) if the kernel objects cannot be made.
 */
UST_API int ust_stack_event_fd(struct ust_stack *st);
/* Makes ust_stack_event_fd readable and ends a ust_stack_wait() sleep; from
 * any thread (it takes the stack lock: not from a signal handler). */
UST_API int ust_stack_wakeup(struct ust_stack *st);

/* When the stack next has work without new input (a timer or a delayed packet),
 * in the clock's nanoseconds; UINT64_MAX when nothing is pending. */
UST_API uint64_t ust_stack_next_event(const struct ust_stack *st);

/*
 * Settings, by the name of the Linux sysctl they mirror, with or without its
 * "net.ipv4." / "net.core." prefix: ust_sysctl_write(st, "tcp_syncookies", "0"),
 * ust_sysctl_write(st, "net.ipv4.ip_local_port_range", "40000 40999").
 * Defaults are those of a fresh network namespace of Linux 6.x.
 * -1 with ENOENT (unknown name), EINVAL (bad value), ENOSPC (buf too small).
 */
UST_API int ust_sysctl_write(struct ust_stack *st, const char *name, const char *value);
UST_API int ust_sysctl_read(struct ust_stack *st, const char *name, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
