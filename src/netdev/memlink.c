/*
 * memlink: an in-memory point-to-point link between the cores of two stacks,
 * with reproducible loss, duplication, reordering and delay.
 *
 * Shape. One shared link object holds two directions (ring[0]: a -> b,
 * ring[1]: b -> a). Each direction is a bounded single-producer/single-consumer
 * ring of slots; a slot owns a byte copy of one frame (capacity mtu + 14 for
 * Ethernet framing, mtu for IP framing) and the time it may be delivered. The
 * sender's xmit is the only producer of its ring and the receiver's poll the
 * only consumer, synchronised with C11 acquire/release on the two indexes, so
 * the two stacks may be driven by different threads, each under its own lock.
 * Frames cross as bytes, never as packets: each stack allocates only from its
 * own pool, and nothing in a ring refers to either pool.
 *
 *   a: ust_netdev_xmit -> ml_xmit -> [impairments] -> ring[0] -> (b) ml_poll
 *      -> packet from b's pool -> ust_netdev_rx(b)
 *
 * Impairments are drawn, in the order loss, dup, reorder, from a PRNG owned by
 * the direction (touched by its producer only), seeded from cfg->seed and the
 * direction, so the same config and the same traffic give the same run:
 *  - loss: the frame is dropped (tx_lost) and never delivered;
 *  - dup: the frame enters the ring twice (tx_duplicated, counted only when the
 *    ring had room for the second copy, or when the frame is held with two
 *    copies);
 *  - reorder: the frame goes to a one-frame holding area of the direction and
 *    enters the ring right after the next frame that enters the ring (that
 *    swap is counted in tx_reordered). If the holding area is already in use
 *    the frame is sent normally and releases the held one behind it.
 *  - delay: deliver_at = sender's core->now + delay_ns; the receiver's poll
 *    hands up slots in FIFO order while deliver_at <= receiver's core->now.
 *
 * Release rule for a held frame. So that a held frame is never stuck when no
 * further frame follows, the receiver's poll also takes it once its own ring
 * holds nothing deliverable before it and the receiver's now >=
 * deliver_at + delay_ns (i.e. send time + 2 * delay; with no delay, the next
 * poll of the receiver). A frame released that way arrives in order and is not
 * counted as reordered. next_event reports that release time. The holding area
 * is claimed with a compare-and-swap (EMPTY -> BUSY) by whichever side releases
 * it, so sender and receiver never both deliver it.
 *
 * Ownership and teardown. ust_memlink_pair allocates the link (both rings, their
 * slot buffers, both holding areas) and both struct ust_netdev. Each device's
 * priv points at its end of the link; the link holds a reference for each end.
 * ml_destroy (through ust_netdev_destroy) drops one reference and the last one
 * frees the whole link, so the two devices may be destroyed in either order,
 * and frames still in flight are freed with the link (they are bytes, owned by
 * the ring). After one end is destroyed the other may still run: its frames
 * towards the dead end fill the ring and are dropped as ENOBUFS. The struct
 * ust_netdev itself is freed by its owner (the stack).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "netdev/netdev.h"

#define CACHE_LINE 64
#define ML_MTU_MIN 68u
#define ML_MTU_MAX 65535u
#define ML_QUEUE_MAX (1u << 20)

enum { HOLD_EMPTY, HOLD_FULL, HOLD_BUSY };

struct ml_slot {
	uint64_t deliver_at;
	uint32_t len;
};

struct ml_ring {
	/* Consumer's line: the receiver's poll writes these. */
	_Alignas(CACHE_LINE) _Atomic uint64_t head;   /* next slot to deliver */
	uint64_t tail_cache;                           /* last tail seen */

	/* Producer's line: the sender's xmit writes these. */
	_Alignas(CACHE_LINE) _Atomic uint64_t tail;   /* next slot to fill */
	uint64_t head_cache;                           /* last head seen */
	struct ust_rng rng;

	/* Holding area for reordering; see the release rule above. The plain
	 * fields belong to whoever moved hold_state away from EMPTY/FULL. */
	_Alignas(CACHE_LINE) _Atomic int hold_state;
	_Atomic uint64_t hold_release_at;              /* readable without the claim */
	uint64_t hold_deliver_at;
	uint32_t hold_len;
	uint32_t hold_copies;
	uint8_t *hold_buf;

	/* Fixed at creation. */
	uint32_t cap;            /* cfg->queue_len */
	uint32_t slot_cap;       /* bytes per slot */
	struct ml_slot *slots;
	uint8_t *bufs;           /* cap * slot_cap */
};

struct ml_link;

struct ml_end {
	struct ml_link *link;
	struct ml_ring *tx;      /* this end produces */
	struct ml_ring *rx;      /* this end consumes */
};

struct ml_link {
	struct ml_ring ring[2];
	struct ml_end end[2];
	_Atomic int refs;
	uint64_t delay_ns;
	double loss, dup, reorder;
};

static int ml_xmit(struct ust_netdev *dev, struct ust_pkt *pkt);
static int ml_poll(struct ust_netdev *dev, int budget);
static uint64_t ml_next_event(const struct ust_netdev *dev);
static int ml_get_fd(const struct ust_netdev *dev);
static void ml_destroy(struct ust_netdev *dev);

static const struct ust_netdev_ops memlink_ops = {
	.xmit = ml_xmit,
	.poll = ml_poll,
	.next_event = ml_next_event,
	.get_fd = ml_get_fd,
	.destroy = ml_destroy,
};

/* A 64-bit finaliser (murmur3's fmix64): turns seed and direction into
 * well-spread, distinct PRNG seeds and MAC bytes. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* --- ring: producer side ------------------------------------------------- */

static uint32_t ring_room(struct ml_ring *r)
{
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);

	if (t - r->head_cache >= r->cap)
		r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
	return r->cap - (uint32_t)(t - r->head_cache);
}

static bool ring_push(struct ml_ring *r, const uint8_t *data, uint32_t len, uint64_t at)
{
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint32_t i;

	if (ring_room(r) == 0)
		return false;
	i = (uint32_t)(t % r->cap);
	memcpy(r->bufs + (size_t)i * r->slot_cap, data, len);
	r->slots[i].len = len;
	r->slots[i].deliver_at = at;
	/* Publishes the slot's bytes to the consumer. */
	atomic_store_explicit(&r->tail, t + 1, memory_order_release);
	return true;
}

/* Parks a frame in the holding area if it is free. */
static bool hold_take(struct ml_ring *r, const struct ust_pkt *pkt, uint64_t at,
		      uint32_t copies, uint64_t delay_ns)
{
	/* Acquire pairs with the consumer's release of EMPTY: it has finished
	 * copying the previous frame out of hold_buf. */
	if (atomic_load_explicit(&r->hold_state, memory_order_acquire) != HOLD_EMPTY)
		return false;
	memcpy(r->hold_buf, pkt->data, pkt->len);
	r->hold_len = pkt->len;
	r->hold_copies = copies;
	r->hold_deliver_at = at;
	atomic_store_explicit(&r->hold_release_at, add_sat(at, delay_ns), memory_order_relaxed);
	atomic_store_explicit(&r->hold_state, HOLD_FULL, memory_order_release);
	return true;
}

/* Called after a frame entered the ring: the held frame goes right behind it.
 * Returns true if it did. Without room for all its copies it stays held. */
static bool hold_release(struct ml_ring *r)
{
	int expect = HOLD_FULL;

	if (atomic_load_explicit(&r->hold_state, memory_order_relaxed) != HOLD_FULL)
		return false;
	if (!atomic_compare_exchange_strong_explicit(&r->hold_state, &expect, HOLD_BUSY,
						     memory_order_acquire, memory_order_relaxed))
		return false;   /* the receiver took it */
	if (ring_room(r) < r->hold_copies) {
		atomic_store_explicit(&r->hold_state, HOLD_FULL, memory_order_release);
		return false;
	}
	for (uint32_t c = 0; c < r->hold_copies; c++)
		ring_push(r, r->hold_buf, r->hold_len, r->hold_deliver_at);
	atomic_store_explicit(&r->hold_state, HOLD_EMPTY, memory_order_release);
	return true;
}

static int ml_xmit(struct ust_netdev *dev, struct ust_pkt *pkt)
{
	struct ml_end *end = dev->priv;
	struct ml_link *l = end->link;
	struct ml_ring *r = end->tx;
	uint64_t at = add_sat(dev->core->now, l->delay_ns);
	uint32_t copies = 1;
	int rc = 0;

	if (unlikely(pkt->len > r->slot_cap)) {
		rc = -EMSGSIZE;
		goto out;
	}
	if (l->loss > 0 && ust_rng_chance(&r->rng, l->loss)) {
		dev->stats.tx_lost++;
		goto out;
	}
	if (l->dup > 0 && ust_rng_chance(&r->rng, l->dup))
		copies = 2;
	if (l->reorder > 0 && ust_rng_chance(&r->rng, l->reorder) &&
	    hold_take(r, pkt, at, copies, l->delay_ns)) {
		if (copies == 2)
			dev->stats.tx_duplicated++;
		goto out;
	}
	if (!ring_push(r, pkt->data, pkt->len, at)) {
		rc = -ENOBUFS;
		goto out;
	}
	if (copies == 2 && ring_push(r, pkt->data, pkt->len, at))
		dev->stats.tx_duplicated++;
	if (hold_release(r))
		dev->stats.tx_reordered++;
out:
	ust_pkt_free(pkt);
	return rc;
}

/* --- ring: consumer side ------------------------------------------------- */

/* A packet of the receiver's pool holding a copy of the frame, or NULL after
 * counting the drop. */
static struct ust_pkt *frame_to_pkt(struct ust_netdev *dev, const uint8_t *data, uint32_t len)
{
	struct ust_pkt *pkt = ust_pkt_alloc(&dev->core->pool);

	if (unlikely(!pkt || len > ust_pkt_tailroom(pkt))) {
		ust_pkt_free(pkt);
		dev->stats.rx_dropped++;
		return NULL;
	}
	memcpy(ust_pkt_put(pkt, len), data, len);
	return pkt;
}

/* The receiver's side of the release rule. Returns frames taken (0..2). */
static int hold_deliver(struct ust_netdev *dev, struct ml_ring *r, uint64_t now)
{
	struct ust_pkt *pkt[2] = { NULL, NULL };
	uint32_t copies;
	int expect = HOLD_FULL;

	if (atomic_load_explicit(&r->hold_state, memory_order_relaxed) != HOLD_FULL ||
	    atomic_load_explicit(&r->hold_release_at, memory_order_relaxed) > now)
		return 0;
	if (!atomic_compare_exchange_strong_explicit(&r->hold_state, &expect, HOLD_BUSY,
						     memory_order_acquire, memory_order_relaxed))
		return 0;
	/* The sender may have swapped in another frame between the check and the
	 * claim; the plain fields are stable now, so check again. */
	if (atomic_load_explicit(&r->hold_release_at, memory_order_relaxed) > now) {
		atomic_store_explicit(&r->hold_state, HOLD_FULL, memory_order_release);
		return 0;
	}
	copies = r->hold_copies;
	for (uint32_t c = 0; c < copies; c++)
		pkt[c] = frame_to_pkt(dev, r->hold_buf, r->hold_len);
	/* Release pairs with the sender's acquire in hold_take. */
	atomic_store_explicit(&r->hold_state, HOLD_EMPTY, memory_order_release);
	for (uint32_t c = 0; c < copies; c++)
		if (pkt[c])
			ust_netdev_rx(dev, pkt[c]);
	return (int)copies;
}

/* Takes up to budget frames that are due; returns how many were taken from the
 * link (frames dropped for want of a receive buffer count too, so a flood
 * under pool exhaustion still ends the call after budget frames). */
static int ml_poll(struct ust_netdev *dev, int budget)
{
	struct ml_end *end = dev->priv;
	struct ml_ring *r = end->rx;
	uint64_t now = dev->core->now;
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	bool drained = false;
	int n = 0;

	while (n < budget) {
		const struct ml_slot *s;
		struct ust_pkt *pkt;
		uint32_t i;

		if (h == r->tail_cache) {
			/* Acquire pairs with the sender's release in ring_push. */
			r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
			if (h == r->tail_cache) {
				drained = true;
				break;
			}
		}
		i = (uint32_t)(h % r->cap);
		s = &r->slots[i];
		if (s->deliver_at > now)
			break;   /* FIFO: nothing behind it is handed up first */
		pkt = frame_to_pkt(dev, r->bufs + (size_t)i * r->slot_cap, s->len);
		h++;
		/* The slot is free for the sender again once copied. */
		atomic_store_explicit(&r->head, h, memory_order_release);
		n++;
		if (pkt)
			ust_netdev_rx(dev, pkt);
	}
	if (drained && n < budget)
		n += hold_deliver(dev, r, now);
	return n;
}

static uint64_t ml_next_event(const struct ust_netdev *dev)
{
	const struct ml_end *end = dev->priv;
	struct ml_ring *r = end->rx;
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_acquire);

	if (h != t)
		return r->slots[h % r->cap].deliver_at;
	if (atomic_load_explicit(&r->hold_state, memory_order_acquire) == HOLD_FULL)
		return atomic_load_explicit(&r->hold_release_at, memory_order_relaxed);
	return UINT64_MAX;
}

static int ml_get_fd(const struct ust_netdev *dev)
{
	return -1;
}

/* --- setup and teardown -------------------------------------------------- */

static void link_free(struct ml_link *l)
{
	for (int i = 0; i < 2; i++) {
		free(l->ring[i].slots);
		free(l->ring[i].bufs);
		free(l->ring[i].hold_buf);
	}
	free(l);
}

static void ml_destroy(struct ust_netdev *dev)
{
	struct ml_end *end = dev->priv;

	if (!end)
		return;
	dev->priv = NULL;
	/* acq_rel: the last end to go sees every write of the other before freeing. */
	if (atomic_fetch_sub_explicit(&end->link->refs, 1, memory_order_acq_rel) == 1)
		link_free(end->link);
}

static int ring_init(struct ml_ring *r, const struct ust_memlink_config *cfg,
		     uint32_t slot_cap, int dir)
{
	uint64_t seed = mix64(cfg->seed ^ mix64((uint64_t)dir + 1));

	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	atomic_init(&r->hold_state, HOLD_EMPTY);
	atomic_init(&r->hold_release_at, 0);
	r->cap = cfg->queue_len;
	r->slot_cap = slot_cap;
	/* ust_rng_seed(0) would draw from the CSPRNG: keep the run reproducible. */
	ust_rng_seed(&r->rng, seed ? seed : 1);
	r->slots = calloc(cfg->queue_len, sizeof(*r->slots));
	r->bufs = malloc((size_t)cfg->queue_len * slot_cap);
	r->hold_buf = malloc(slot_cap);
	if (!r->slots || !r->bufs || !r->hold_buf)
		return -ENOMEM;
	return 0;
}

static bool prob_ok(double p)
{
	return p >= 0.0 && p <= 1.0;   /* false for NaN too */
}

static int config_check(const struct ust_memlink_config *cfg)
{
	if (cfg->framing != UST_FRAMING_ETH && cfg->framing != UST_FRAMING_IP)
		return -EINVAL;
	if (cfg->mtu < ML_MTU_MIN || cfg->mtu > ML_MTU_MAX)
		return -EINVAL;
	if (cfg->queue_len < 1 || cfg->queue_len > ML_QUEUE_MAX)
		return -EINVAL;
	if (!prob_ok(cfg->loss) || !prob_ok(cfg->dup) || !prob_ok(cfg->reorder))
		return -EINVAL;
	return 0;
}

int ust_memlink_pair(struct ust_core *ca, struct ust_core *cb, const struct ust_memlink_config *cfg,
		     struct ust_netdev **a, struct ust_netdev **b)
{
	struct ust_core *core[2] = { ca, cb };
	struct ust_netdev *dev[2] = { NULL, NULL };
	struct ust_memlink_config defaults;
	struct ml_link *l;
	uint32_t slot_cap;
	uint64_t macbits;
	int err;

	if (!ca || !cb || !a || !b)
		return -EINVAL;
	if (!cfg) {
		ust_memlink_config_init(&defaults);
		cfg = &defaults;
	}
	err = config_check(cfg);
	if (err)
		return err;
	slot_cap = cfg->mtu + (cfg->framing == UST_FRAMING_ETH ? UST_ETH_HLEN : 0);
	/* A frame of the link MTU must fit a receive buffer after the headroom,
	 * or every full-size frame would be dropped on arrival. */
	for (int i = 0; i < 2; i++)
		if (core[i]->pool.buf_size < UST_PKT_HEADROOM + slot_cap)
			return -EINVAL;

	l = aligned_alloc(CACHE_LINE, (sizeof(*l) + CACHE_LINE - 1) & ~(size_t)(CACHE_LINE - 1));
	if (!l)
		return -ENOMEM;
	memset(l, 0, sizeof(*l));
	err = 0;
	for (int i = 0; i < 2; i++)
		if (ring_init(&l->ring[i], cfg, slot_cap, i) < 0)
			err = -ENOMEM;
	for (int i = 0; i < 2 && !err; i++) {
		dev[i] = calloc(1, sizeof(*dev[i]));
		if (!dev[i])
			err = -ENOMEM;
	}
	if (err) {
		free(dev[0]);
		free(dev[1]);
		link_free(l);
		return err;
	}
	l->delay_ns = cfg->delay_ns;
	l->loss = cfg->loss;
	l->dup = cfg->dup;
	l->reorder = cfg->reorder;
	atomic_init(&l->refs, 2);

	/* 02:xx:xx:xx:xx:01 and ...:02: locally administered, unicast, distinct. */
	macbits = mix64(cfg->seed ^ 0x6d656d6c696e6bULL);
	for (int i = 0; i < 2; i++) {
		l->end[i].link = l;
		l->end[i].tx = &l->ring[i];
		l->end[i].rx = &l->ring[1 - i];
		ust_netdev_setup(dev[i], core[i], NULL, 0, cfg->mtu, cfg->framing);
		dev[i]->ops = &memlink_ops;
		dev[i]->priv = &l->end[i];
		dev[i]->mac[0] = 0x02;
		for (int k = 1; k < 5; k++)
			dev[i]->mac[k] = (uint8_t)(macbits >> (8 * (k - 1)));
		dev[i]->mac[5] = (uint8_t)(i + 1);
	}
	*a = dev[0];
	*b = dev[1];
	return 0;
}
