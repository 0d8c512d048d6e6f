/*
 * The stack object: creates each layer and wires them together. This is the only
 * file that knows every layer; the layers know only what is below them and the
 * core they share.
 *
 * Event flow: ust_stack_poll() -> read the clock once -> run due timers ->
 * poll each device (each received frame goes up through its rx handler).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "stack.h"
#include "ipv4/ipv4.h"
#include "socket/socket.h"
#include "tcp/tcp.h"

#define UST_DEFAULT_POOL_MAX 65536
#define UST_DEFAULT_MAX_SOCKETS (1u << 20)
#define UST_DEFAULT_EHASH 16384
#define UST_POLL_BUDGET 64
/* ifindex 1 is kept for a loopback device, as in Linux. */
#define UST_FIRST_IFINDEX 2

struct ust_stack {
	struct ust_core core;
	struct ust_list netdevs;
	int next_ifindex;
	struct ust_ipv4 ipv4;
	struct ust_tcp tcp;
	struct ust_sockets sockets;
	pthread_mutex_t lock;         /* socket calls vs the stack's thread */
};

void ust_stack_config_init(struct ust_stack_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->name = "ustack";
	cfg->clock = UST_CLOCK_REAL;
}

static int config_check(const struct ust_stack_config *cfg)
{
	if (cfg->clock != UST_CLOCK_REAL && cfg->clock != UST_CLOCK_VIRTUAL)
		return -EINVAL;
	if (cfg->pkt_buf_size && cfg->pkt_buf_size < UST_PKT_HEADROOM + 64)
		return -EINVAL;
	if (cfg->name && strlen(cfg->name) >= sizeof(((struct ust_core *)0)->name))
		return -EINVAL;
	return 0;
}

struct ust_stack *ust_stack_new(const struct ust_stack_config *cfg)
{
	struct ust_stack_config defaults;
	struct ust_stack *st;
	uint32_t max_socks;
	int err;

	if (!cfg) {
		ust_stack_config_init(&defaults);
		cfg = &defaults;
	}
	err = config_check(cfg);
	if (err) {
		errno = -err;
		return NULL;
	}
	st = calloc(1, sizeof(*st));
	if (!st) {
		errno = ENOMEM;
		return NULL;
	}
	snprintf(st->core.name, sizeof(st->core.name), "%s", cfg->name ? cfg->name : "ustack");
	ust_clock_init(&st->core.clock, cfg->clock, cfg->clock_start_ns);
	ust_sysctl_init(&st->core.sysctl);
	ust_core_update_now(&st->core);
	ust_timer_wheel_init(&st->core.timers, ust_jiffies(&st->core));
	err = ust_pktpool_init(&st->core.pool, cfg->pkt_buf_size,
			       cfg->pkt_pool_max ? cfg->pkt_pool_max : UST_DEFAULT_POOL_MAX);
	if (!err)
		err = ust_secrets_init(&st->core.secrets, cfg->seed);
	if (err) {
		free(st);
		errno = -err;
		return NULL;
	}
	/* The PRNG stream differs from the secrets even for the same seed. */
	ust_rng_seed(&st->core.rng, cfg->seed ? cfg->seed ^ 0x9e3779b97f4a7c15ULL : 0);
	ust_list_init(&st->netdevs);
	st->next_ifindex = UST_FIRST_IFINDEX;
	err = ust_ipv4_init(&st->ipv4, &st->core);
	if (err) {
		ust_pktpool_destroy(&st->core.pool);
		free(st);
		errno = -err;
		return NULL;
	}
	max_socks = cfg->max_sockets ? cfg->max_sockets : UST_DEFAULT_MAX_SOCKETS;
	err = ust_tcp_init(&st->tcp, &st->core, &st->ipv4,
			   cfg->ehash_entries ? cfg->ehash_entries : UST_DEFAULT_EHASH, max_socks);
	if (err) {
		ust_ipv4_destroy(&st->ipv4);
		ust_pktpool_destroy(&st->core.pool);
		free(st);
		errno = -err;
		return NULL;
	}
	pthread_mutex_init(&st->lock, NULL);
	ust_sockets_init(&st->sockets, &st->tcp, &st->lock, max_socks);
	return st;
}

void ust_stack_free(struct ust_stack *st)
{
	struct ust_list *pos, *tmp;

	if (!st)
		return;
	ust_evloop_free(st->sockets.evloop);
	ust_sockets_destroy(&st->sockets);
	ust_tcp_destroy(&st->tcp);
	ust_ipv4_destroy(&st->ipv4);   /* frees queued packets before the pool goes */
	ust_list_for_each_safe(pos, tmp, &st->netdevs) {
		struct ust_netdev *dev = ust_list_entry(pos, struct ust_netdev, node);

		ust_list_del(&dev->node);
		ust_netdev_destroy(dev);
		free(dev);
	}
	ust_pktpool_destroy(&st->core.pool);
	ust_trace_destroy(&st->core.trace);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

const char *ust_stack_name(const struct ust_stack *st) { return st->core.name; }
uint64_t ust_stack_now(const struct ust_stack *st) { return ust_clock_read(&st->core.clock); }
struct ust_core *ust_stack_core(struct ust_stack *st) { return &st->core; }
void ust_stack_lock(struct ust_stack *st) { pthread_mutex_lock(&st->lock); }
void ust_stack_unlock(struct ust_stack *st) { pthread_mutex_unlock(&st->lock); }

void ust_stack_attach_netdev(struct ust_stack *st, struct ust_netdev *dev, const char *prefix)
{
	unsigned n = 0;
	struct ust_list *pos;

	ust_list_for_each(pos, &st->netdevs)
		if (strncmp(ust_list_entry(pos, struct ust_netdev, node)->name, prefix, strlen(prefix)) == 0)
			n++;
	snprintf(dev->name, sizeof(dev->name), "%s%u", prefix, n);
	dev->ifindex = st->next_ifindex++;
	ust_list_add_tail(&st->netdevs, &dev->node);
	/* On ENOMEM the device stays without IPv4 and drops what it receives. */
	(void)ust_ipv4_netdev_register(&st->ipv4, dev);
	if (st->sockets.evloop && dev->ops->get_fd && dev->ops->get_fd(dev) >= 0)
		ust_evloop_add_fd(st->sockets.evloop, dev->ops->get_fd(dev));
}

struct ust_ipv4 *ust_stack_ipv4(struct ust_stack *st) { return &st->ipv4; }
struct ust_tcp *ust_stack_tcp(struct ust_stack *st) { return &st->tcp; }
struct ust_sockets *ust_stack_sockets(struct ust_stack *st) { return &st->sockets; }

struct ust_netdev *ust_stack_netdev_by_name(struct ust_stack *st, const char *name)
{
	struct ust_list *pos;

	ust_list_for_each(pos, &st->netdevs) {
		struct ust_netdev *dev = ust_list_entry(pos, struct ust_netdev, node);

		if (!strcmp(dev->name, name))
			return dev;
	}
	return NULL;
}

struct ust_netdev *ust_stack_netdev(struct ust_stack *st, int ifindex)
{
	struct ust_list *pos;

	ust_list_for_each(pos, &st->netdevs) {
		struct ust_netdev *dev = ust_list_entry(pos, struct ust_netdev, node);

		if (dev->ifindex == ifindex)
			return dev;
	}
	return NULL;
}

int ust_stack_fds(struct ust_stack *st, int *fds, int max)
{
	int n;

	pthread_mutex_lock(&st->lock);
	n = ust_stack_fds_locked(st, fds, max);
	pthread_mutex_unlock(&st->lock);
	return n;
}

int ust_stack_fds_locked(struct ust_stack *st, int *fds, int max)
{
	struct ust_list *pos;
	int n = 0;

	ust_list_for_each(pos, &st->netdevs) {
		struct ust_netdev *dev = ust_list_entry(pos, struct ust_netdev, node);
		int fd = dev->ops->get_fd ? dev->ops->get_fd(dev) : -1;

		if (fd < 0)
			continue;
		if (n < max)
			fds[n] = fd;
		n++;
	}
	return n;
}

int ust_memlink_create(struct ust_stack *sa, struct ust_stack *sb,
		       const struct ust_memlink_config *cfg,
		       struct ust_netdev **a, struct ust_netdev **b)
{
	struct ust_memlink_config defaults;
	int err;

	if (!sa || !sb || sa == sb || !a || !b) {
		errno = EINVAL;
		return -1;
	}
	if (!cfg) {
		ust_memlink_config_init(&defaults);
		cfg = &defaults;
	}
	err = ust_memlink_pair(&sa->core, &sb->core, cfg, a, b);
	if (err) {
		errno = -err;
		return -1;
	}
	ust_stack_attach_netdev(sa, *a, "mem");
	ust_stack_attach_netdev(sb, *b, "mem");
	return 0;
}

/* One pass: due timers, then up to a budget of frames from each device. */
static int stack_poll_locked(struct ust_stack *st)
{
	struct ust_list *pos;
	uint64_t tick;
	int work = 0;

	ust_core_update_now(&st->core);
	tick = ust_jiffies(&st->core);
	/* Most polls have no timer due: two compares, no call. */
	if (!ust_timer_wheel_idle(&st->core.timers, tick))
		work = (int)ust_timer_wheel_run(&st->core.timers, tick);
	ust_list_for_each(pos, &st->netdevs) {
		struct ust_netdev *dev = ust_list_entry(pos, struct ust_netdev, node);

		work += dev->ops->poll(dev, UST_POLL_BUDGET);
	}
	return work;
}

int ust_stack_poll(struct ust_stack *st)
{
	int work;

	pthread_mutex_lock(&st->lock);
	work = stack_poll_locked(st);
	if (st->sockets.evloop)
		ust_evloop_sync(st->sockets.evloop);
	pthread_mutex_unlock(&st->lock);
	return work;
}

uint64_t ust_stack_next_event_locked(const struct ust_stack *st)
{
	uint64_t next = UINT64_MAX, tick;
	const struct ust_list *pos;

	tick = ust_timer_wheel_next(&st->core.timers);
	if (tick != UST_TIMER_NEVER)
		next = tick * UST_TICK_NS;
	ust_list_for_each(pos, &st->netdevs) {
		const struct ust_netdev *dev = ust_list_entry(pos, struct ust_netdev, node);

		if (dev->ops->next_event)
			next = UST_MIN(next, dev->ops->next_event(dev));
	}
	return next;
}

uint64_t ust_stack_next_event(const struct ust_stack *st)
{
	pthread_mutex_t *lock = (pthread_mutex_t *)&st->lock;
	uint64_t next;

	pthread_mutex_lock(lock);
	next = ust_stack_next_event_locked(st);
	pthread_mutex_unlock(lock);
	return next;
}

/* Sets the virtual clock and runs everything due, under the stack lock. */
static void step_to(struct ust_stack *st, uint64_t t)
{
	pthread_mutex_lock(&st->lock);
	if (t > st->core.clock.virt_ns)
		ust_clock_set(&st->core.clock, t);
	while (stack_poll_locked(st) > 0)
		;
	pthread_mutex_unlock(&st->lock);
}

/*
 * Steps the virtual clock through every event on the way to now+ns, so a timer
 * due at 1 s runs with the clock reading 1 s and the packets it sends carry that
 * time, even when a test jumps by a minute.
 */
int ust_stack_advance(struct ust_stack *st, uint64_t ns)
{
	uint64_t target, next, now;

	if (st->core.clock.mode != UST_CLOCK_VIRTUAL || st->core.clock.virt_ns + ns < st->core.clock.virt_ns) {
		errno = EINVAL;
		return -1;
	}
	now = st->core.clock.virt_ns;
	target = now + ns;
	step_to(st, now);
	for (;;) {
		next = ust_stack_next_event(st);
		now = ust_stack_now(st);
		/* A wheel bound for a far timer may read <= now until it cascades;
		 * a tick forward always makes progress. */
		if (next <= now)
			next = now + UST_TICK_NS;
		if (next > target)
			break;
		step_to(st, next);
	}
	step_to(st, target);
	if (st->sockets.evloop) {
		pthread_mutex_lock(&st->lock);
		ust_evloop_sync(st->sockets.evloop);
		pthread_mutex_unlock(&st->lock);
	}
	return 0;
}

int ust_stats_get(const struct ust_stack *st, const char *name, uint64_t *value)
{
	int f = ust_mib_lookup(name);

	if (f < 0 || !value) {
		errno = f < 0 ? ENOENT : EINVAL;
		return -1;
	}
	*value = st->core.mib.v[f];
	return 0;
}

int ust_stats_dump(const struct ust_stack *st, FILE *f, int flags)
{
	int n = ust_mib_dump(&st->core.mib, f, flags & UST_STATS_ZEROS);

	if (n < 0) {
		errno = -n;
		return -1;
	}
	return n;
}
