/*
 * What `ustack serve` and `ustack connect` share: putting a fresh stack on a
 * TAP or TUN device with an address (one stderr line per failure, naming the
 * likely cause), the trace printer, the wall clock, and the signalfd that lets
 * a single-threaded tool stop cleanly.
 */
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include "cli.h"
#include "ustack/ustack.h"

static const char *open_hint(int err, const char *ifname)
{
	switch (err) {
	case EPERM:
	case EACCES: return " (needs root or CAP_NET_ADMIN)";
	case ENOENT:
	case ENODEV: return " (no /dev/net/tun or no tun module)";
	case EBUSY: return " (the interface is in use)";
	case EINVAL:
		return strlen(ifname) >= IFNAMSIZ ? " (interface names have at most 15 characters)"
						  : " (bad interface name)";
	default: return "";
	}
}

static void on_trace(const struct ust_trace_event *ev, void *ctx)
{
	char line[256];

	(void)ctx;
	ust_trace_format(ev, line, sizeof(line));
	fprintf(stderr, "%s\n", line);
}

void ust_tool_trace_stderr(struct ust_stack *st)
{
	ust_trace_set_callback(st, on_trace, NULL);
}

int ust_tool_open_device(const char *cmd, struct ust_stack *st, const struct ust_tool_device *d,
			 struct ust_netdev **dev)
{
	if (d->trace)
		ust_tool_trace_stderr(st);
	if ((d->tun ? ust_tun_open : ust_tap_open)(st, d->ifname, dev) < 0) {
		int err = errno;

		fprintf(stderr, "ustack %s: cannot open %s %s: %s%s\n", cmd, d->tun ? "tun" : "tap",
			d->ifname, strerror(err), open_hint(err, d->ifname));
		return -1;
	}
	if (d->pcap && ust_netdev_pcap_open(*dev, d->pcap) < 0) {
		fprintf(stderr, "ustack %s: cannot open capture %s: %s\n", cmd, d->pcap, strerror(errno));
		return -1;
	}
	if (ust_addr_add(st, *dev, d->addr, d->prefixlen) < 0) {
		fprintf(stderr, "ustack %s: cannot add address %s: %s\n", cmd, d->addr_text, strerror(errno));
		return -1;
	}
	return 0;
}

double ust_tool_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int ust_tool_signals_fd(int with_usr1)
{
	sigset_t set;

	/* A shell's background job starts with SIGINT ignored; an ignored signal
	 * is discarded before the signalfd could see it. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (with_usr1)
		sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}
