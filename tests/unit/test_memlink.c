/* memlink (src/netdev/memlink.c) through the device layer (src/netdev/netdev.c). */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "netdev/netdev.h"

#define MS 1000000ULL
#define MAX_REC 20000

/* What one device handed up: the sequence number of each frame, a copy of the
 * last frame, and (with keep) the packets themselves. */
struct rec {
	uint32_t n;
	uint32_t seq[MAX_REC];
	uint8_t last[UST_ETH_HLEN + 1500];
	uint32_t last_len;
	uint32_t last_headroom;
	struct ust_netdev *last_dev;
	int keep;
	struct ust_pkt *kept[64];
	uint32_t nkept;
};

struct fx {
	struct ust_core ca, cb;
	struct ust_netdev *a, *b;
	struct rec ra, rb;
	int a_gone, b_gone;
};

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void on_rx(struct ust_netdev *dev, struct ust_pkt *pkt, void *ctx)
{
	struct rec *r = ctx;
	uint32_t off = dev->framing == UST_FRAMING_ETH ? UST_ETH_HLEN : 0;

	if (r->n < MAX_REC)
		r->seq[r->n] = pkt->len >= off + 4 ? get32(pkt->data + off) : UINT32_MAX;
	r->n++;
	r->last_len = UST_MIN(pkt->len, (uint32_t)sizeof(r->last));
	memcpy(r->last, pkt->data, r->last_len);
	r->last_headroom = ust_pkt_headroom(pkt);
	r->last_dev = pkt->dev;
	if (r->keep && r->nkept < UST_ARRAY_SIZE(r->kept)) {
		r->kept[r->nkept++] = pkt;
		return;
	}
	ust_pkt_free(pkt);
}

static void core_init(struct ust_core *c, uint32_t buf_size, uint32_t pool_max)
{
	memset(c, 0, sizeof(*c));
	assert_int_equal(ust_pktpool_init(&c->pool, buf_size, pool_max), 0);
}

static struct fx *fx_new_pool(const struct ust_memlink_config *cfg, uint32_t pool_b)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	core_init(&f->ca, 0, 4096);
	core_init(&f->cb, 0, pool_b);
	assert_int_equal(ust_memlink_pair(&f->ca, &f->cb, cfg, &f->a, &f->b), 0);
	ust_netdev_set_rx_handler(f->a, on_rx, &f->ra);
	ust_netdev_set_rx_handler(f->b, on_rx, &f->rb);
	return f;
}

static struct fx *fx_new(const struct ust_memlink_config *cfg)
{
	return fx_new_pool(cfg, 4096);
}

static void fx_free(struct fx *f)
{
	for (uint32_t i = 0; i < f->ra.nkept; i++)
		ust_pkt_free(f->ra.kept[i]);
	for (uint32_t i = 0; i < f->rb.nkept; i++)
		ust_pkt_free(f->rb.kept[i]);
	if (!f->a_gone) {
		ust_netdev_destroy(f->a);
		free(f->a);
	}
	if (!f->b_gone) {
		ust_netdev_destroy(f->b);
		free(f->b);
	}
	ust_pktpool_destroy(&f->ca.pool);
	ust_pktpool_destroy(&f->cb.pool);
	free(f);
}

/* Sends a frame of len bytes carrying seq right after the link header; the
 * other bytes are a pattern derived from seq. */
static int send_len(struct ust_netdev *dev, uint32_t seq, uint32_t len)
{
	struct ust_pkt *pkt = ust_pkt_alloc(&dev->core->pool);
	uint32_t off = dev->framing == UST_FRAMING_ETH ? UST_ETH_HLEN : 0;
	uint8_t *d;

	assert_non_null(pkt);
	d = ust_pkt_put(pkt, len);
	assert_non_null(d);
	for (uint32_t i = 0; i < len; i++)
		d[i] = (uint8_t)(i * 7 + seq);
	if (off) {
		memset(d, 0xff, 6);
		memcpy(d + 6, dev->mac, 6);
		d[12] = 0x08;
		d[13] = 0x00;
	}
	if (len >= off + 4)
		put32(d + off, seq);
	return ust_netdev_xmit(dev, pkt);
}

static int send_seq(struct ust_netdev *dev, uint32_t seq)
{
	return send_len(dev, seq, 64);
}

static void set_now(struct fx *f, uint64_t t)
{
	f->ca.now = t;
	f->cb.now = t;
}

/* --- configuration ------------------------------------------------------- */

static void test_config_init_defaults(void **state)
{
	struct ust_memlink_config cfg;

	memset(&cfg, 0x5a, sizeof(cfg));
	ust_memlink_config_init(&cfg);
	assert_int_equal(cfg.framing, UST_FRAMING_ETH);
	assert_int_equal(cfg.mtu, 1500);
	assert_int_equal(cfg.queue_len, 1024);
	assert_int_equal(cfg.delay_ns, 0);
	assert_true(cfg.loss == 0.0 && cfg.dup == 0.0 && cfg.reorder == 0.0);
	assert_int_equal(cfg.seed, 0);
}

static void expect_einval(const struct ust_memlink_config *cfg, uint32_t buf_size)
{
	struct ust_core ca, cb;
	struct ust_netdev *a = NULL, *b = NULL;

	core_init(&ca, buf_size, 16);
	core_init(&cb, buf_size, 16);
	assert_int_equal(ust_memlink_pair(&ca, &cb, cfg, &a, &b), -EINVAL);
	assert_null(a);
	assert_null(b);
	ust_pktpool_destroy(&ca.pool);
	ust_pktpool_destroy(&cb.pool);
}

static void test_config_rejects_invalid(void **state)
{
	struct ust_memlink_config cfg;

	ust_memlink_config_init(&cfg);
	cfg.mtu = 67;
	expect_einval(&cfg, 0);
	cfg.mtu = 65536;
	expect_einval(&cfg, 1 << 17);
	ust_memlink_config_init(&cfg);
	cfg.queue_len = 0;
	expect_einval(&cfg, 0);
	cfg.queue_len = (1u << 20) + 1;
	expect_einval(&cfg, 0);
	ust_memlink_config_init(&cfg);
	cfg.loss = -0.01;
	expect_einval(&cfg, 0);
	cfg.loss = 1.01;
	expect_einval(&cfg, 0);
	cfg.loss = NAN;
	expect_einval(&cfg, 0);
	ust_memlink_config_init(&cfg);
	cfg.dup = 2.0;
	expect_einval(&cfg, 0);
	ust_memlink_config_init(&cfg);
	cfg.reorder = -1.0;
	expect_einval(&cfg, 0);
	ust_memlink_config_init(&cfg);
	cfg.framing = (enum ust_framing)7;
	expect_einval(&cfg, 0);
	/* A 9000-byte MTU does not fit the default 2048-byte packet buffers. */
	ust_memlink_config_init(&cfg);
	cfg.mtu = 9000;
	expect_einval(&cfg, 0);
}

static void test_config_limits_accepted(void **state)
{
	struct ust_memlink_config cfg;
	struct fx *f;

	ust_memlink_config_init(&cfg);
	cfg.mtu = 68;
	cfg.queue_len = 1;
	cfg.loss = 1.0;
	cfg.dup = 1.0;
	cfg.reorder = 1.0;
	f = fx_new(&cfg);
	fx_free(f);
	/* NULL config: the defaults. */
	f = fx_new(NULL);
	assert_int_equal(f->a->mtu, 1500);
	assert_int_equal(f->a->framing, UST_FRAMING_ETH);
	fx_free(f);
}

static void test_pair_device_fields(void **state)
{
	struct ust_memlink_config cfg;
	struct fx *f;
	uint8_t mac_a[6], mac_b[6];

	ust_memlink_config_init(&cfg);
	cfg.seed = 7;
	cfg.mtu = 1400;
	f = fx_new(&cfg);
	assert_ptr_equal(f->a->core, &f->ca);
	assert_ptr_equal(f->b->core, &f->cb);
	assert_string_equal(ust_netdev_name(f->a), "");
	assert_int_equal(ust_netdev_ifindex(f->b), 0);
	assert_int_equal(ust_netdev_mtu(f->a), 1400);
	assert_int_equal(ust_netdev_framing(f->b), UST_FRAMING_ETH);
	ust_netdev_get_mac(f->a, mac_a);
	ust_netdev_get_mac(f->b, mac_b);
	/* Locally administered (bit 1) unicast (bit 0 clear), and distinct. */
	assert_int_equal(mac_a[0] & 0x03, 0x02);
	assert_int_equal(mac_b[0] & 0x03, 0x02);
	assert_memory_not_equal(mac_a, mac_b, 6);
	assert_int_equal(f->a->ops->get_fd(f->a), -1);
	assert_true(f->a->ops->next_event(f->a) == UINT64_MAX);
	assert_true(f->b->ops->next_event(f->b) == UINT64_MAX);
	fx_free(f);
}

/* --- delivery ------------------------------------------------------------ */

static void check_exact(struct fx *f, struct ust_netdev *from, struct ust_netdev *to,
			struct rec *r, uint32_t len)
{
	uint8_t want[UST_ETH_HLEN + 1500];
	struct ust_netdev_stats st;

	for (uint32_t i = 0; i < len; i++)
		want[i] = (uint8_t)(i * 7 + 0x11);
	memset(want, 0xff, 6);
	memcpy(want + 6, from->mac, 6);
	want[12] = 0x08;
	want[13] = 0x00;
	put32(want + UST_ETH_HLEN, 0x11);

	assert_int_equal(send_len(from, 0x11, len), 0);
	assert_int_equal(r->n, 0);
	assert_int_equal(to->ops->poll(to, 64), 1);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->last_len, len);
	assert_memory_equal(r->last, want, len);
	assert_int_equal(r->last_headroom, UST_PKT_HEADROOM);
	assert_ptr_equal(r->last_dev, to);

	ust_netdev_get_stats(from, &st);
	assert_int_equal(st.tx_packets, 1);
	assert_int_equal(st.tx_bytes, len);
	ust_netdev_get_stats(to, &st);
	assert_int_equal(st.rx_packets, 1);
	assert_int_equal(st.rx_bytes, len);
	assert_int_equal(st.rx_dropped, 0);
	/* Frames cross as bytes: the sender's packet went back to its own pool. */
	assert_int_equal(from->core->pool.nr_free, from->core->pool.nr_total);
	assert_int_equal(to->core->pool.nr_free, to->core->pool.nr_total);
}

static void test_frame_delivered_exactly_both_directions(void **state)
{
	struct fx *f = fx_new(NULL);

	check_exact(f, f->a, f->b, &f->rb, UST_ETH_HLEN + 1500);
	check_exact(f, f->b, f->a, &f->ra, UST_ETH_HLEN + 1500);
	fx_free(f);
}

static void test_ip_framing_delivers_mtu_bytes(void **state)
{
	struct ust_memlink_config cfg;
	struct fx *f;

	ust_memlink_config_init(&cfg);
	cfg.framing = UST_FRAMING_IP;
	f = fx_new(&cfg);
	assert_int_equal(send_len(f->a, 5, 1500), 0);
	assert_int_equal(send_len(f->a, 6, 1501), -EMSGSIZE);
	assert_int_equal(f->b->ops->poll(f->b, 64), 1);
	assert_int_equal(f->rb.last_len, 1500);
	assert_int_equal(f->rb.seq[0], 5);
	assert_int_equal(f->a->stats.tx_dropped, 1);
	fx_free(f);
}

static void test_fifo_order_and_budget(void **state)
{
	struct fx *f = fx_new(NULL);

	for (uint32_t i = 0; i < 100; i++)
		assert_int_equal(send_seq(f->a, i), 0);
	for (int k = 0; k < 10; k++)
		assert_int_equal(f->b->ops->poll(f->b, 10), 10);
	assert_int_equal(f->b->ops->poll(f->b, 10), 0);
	assert_int_equal(f->rb.n, 100);
	for (uint32_t i = 0; i < 100; i++)
		assert_int_equal(f->rb.seq[i], i);
	assert_int_equal(f->ra.n, 0);
	fx_free(f);
}

static void test_ring_full_drops_with_enobufs(void **state)
{
	struct ust_memlink_config cfg;
	struct fx *f;

	ust_memlink_config_init(&cfg);
	cfg.queue_len = 4;
	f = fx_new(&cfg);
	for (uint32_t i = 0; i < 4; i++)
		assert_int_equal(send_seq(f->a, i), 0);
	assert_int_equal(send_seq(f->a, 4), -ENOBUFS);
	assert_int_equal(send_seq(f->a, 5), -ENOBUFS);
	assert_int_equal(f->a->stats.tx_dropped, 2);
	assert_int_equal(f->a->stats.tx_packets, 4);
	/* The dropped packets went back to the sender's pool. */
	assert_int_equal(f->ca.pool.nr_free, f->ca.pool.nr_total);
	/* The other direction is independent. */
	assert_int_equal(send_seq(f->b, 100), 0);
	assert_int_equal(f->b->ops->poll(f->b, 64), 4);
	assert_int_equal(send_seq(f->a, 6), 0);
	assert_int_equal(f->b->ops->poll(f->b, 64), 1);
	assert_int_equal(f->rb.n, 5);
	assert_int_equal(f->rb.seq[3], 3);
	assert_int_equal(f->rb.seq[4], 6);
	assert_int_equal(f->a->ops->poll(f->a, 64), 1);
	assert_int_equal(f->ra.seq[0], 100);
	fx_free(f);
}

static void test_frame_over_mtu_dropped_emsgsize(void **state)
{
	struct fx *f = fx_new(NULL);

	assert_int_equal(send_len(f->a, 1, UST_ETH_HLEN + 1501), -EMSGSIZE);
	assert_int_equal(f->a->stats.tx_dropped, 1);
	assert_int_equal(f->a->stats.tx_packets, 0);
	assert_int_equal(send_len(f->a, 2, UST_ETH_HLEN + 1500), 0);
	assert_int_equal(f->b->ops->poll(f->b, 64), 1);
	assert_int_equal(f->rb.seq[0], 2);
	assert_int_equal(f->ca.pool.nr_free, f->ca.pool.nr_total);
	fx_free(f);
}

/* --- impairments --------------------------------------------------------- */

static void test_loss_one_delivers_nothing(void **state)
{
	struct ust_memlink_config cfg;
	struct fx *f;

	ust_memlink_config_init(&cfg);
	cfg.loss = 1.0;
	f = fx_new(&cfg);
	for (uint32_t i = 0; i < 100; i++)
		assert_int_equal(send_seq(f->a, i), 0);
	assert_int_equal(f->b->ops->poll(f->b, 1000), 0);
	assert_int_equal(f->rb.n, 0);
	assert_int_equal(f->a->stats.tx_lost, 100);
	assert_int_equal(f->a->stats.tx_packets, 100);   /* sent; lost on the wire */
	assert_int_equal(f->a->stats.tx_dropped, 0);
	assert_true(f->b->ops->next_event(f->b) == UINT64_MAX);
	fx_free(f);
}

static uint32_t run_loss(uint64_t seed, double loss, uint32_t n)
{
	struct ust_memlink_config cfg;
	struct fx *f;
	uint32_t got;

	ust_memlink_config_init(&cfg);
	cfg.loss = loss;
	cfg.seed = seed;
	f = fx_new(&cfg);
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(send_seq(f->a, i), 0);
		f->b->ops->poll(f->b, 64);
	}
	got = f->rb.n;
	assert_int_equal(f->a->stats.tx_lost + got, n);
	/* What arrives is in order. */
	for (uint32_t i = 1; i < got && i < MAX_REC; i++)
		assert_true(f->rb.seq[i] > f->rb.seq[i - 1]);
	fx_free(f);
	return n - got;
}

static void test_loss_tenth_is_binomial_and_reproducible(void **state)
{
	uint32_t lost1 = run_loss(42, 0.1, 10000);
	uint32_t lost2 = run_loss(42, 0.1, 10000);
	uint32_t lost0 = run_loss(0, 0.1, 10000);

	/* Binomial(10000, 0.1): mean 1000, sd 30; 900..1100 is beyond 3 sd. */
	assert_in_range(lost1, 900, 1100);
	assert_int_equal(lost1, lost2);
	/* Seed 0 is a valid, fixed seed too. */
	assert_in_range(lost0, 900, 1100);
	assert_int_equal(lost0, run_loss(0, 0.1, 10000));
}

static void test_dup_one_delivers_each_twice(void **state)
{
	struct ust_memlink_config cfg;
	struct fx *f;

	ust_memlink_config_init(&cfg);
	cfg.dup = 1.0;
	f = fx_new(&cfg);
	for (uint32_t i = 0; i < 10; i++)
		assert_int_equal(send_seq(f->a, i), 0);
	assert_int_equal(f->b->ops->poll(f->b, 100), 20);
	assert_int_equal(f->rb.n, 20);
	for (uint32_t i = 0; i < 20; i++)
		assert_int_equal(f->rb.seq[i], i / 2);
	assert_int_equal(f->a->stats.tx_duplicated, 10);
	assert_int_equal(f->a->stats.tx_packets, 10);
	assert_int_equal(f->b->stats.rx_packets, 20);
	fx_free(f);
}

static void test_dup_without_room_for_second_copy(void **state)
{
	struct ust_memlink_config cfg;
	struct fx *f;

	ust_memlink_config_init(&cfg);
	cfg.dup = 1.0;
	cfg.queue_len = 3;
	f = fx_new(&cfg);
	assert_int_equal(send_seq(f->a, 0), 0);   /* two slots */
	assert_int_equal(send_seq(f->a, 1), 0);   /* one slot: not duplicated */
	assert_int_equal(send_seq(f->a, 2), -ENOBUFS);
	assert_int_equal(f->a->stats.tx_duplicated, 1);
	assert_int_equal(f->b->ops->poll(f->b, 100), 3);
	assert_int_equal(f->rb.seq[0], 0);
	assert_int_equal(f->rb.seq[1], 0);
	assert_int_equal(f->rb.seq[2], 1);
	fx_free(f);
}

static void test_reorder_swaps_adjacent_frames(void **state)
{
	struct ust_memlink_config cfg;
	struct fx *f;
	const uint32_t want[] = { 1, 0, 3, 2, 5, 4 };

	ust_memlink_config_init(&cfg);
	cfg.reorder = 1.0;
	f = fx_new(&cfg);
	for (uint32_t i = 0; i < 6; i++)
		assert_int_equal(send_seq(f->a, i), 0);
	assert_int_equal(f->b->ops->poll(f->b, 100), 6);
	assert_int_equal(f->rb.n, 6);
	for (uint32_t i = 0; i < 6; i++)
		assert_int_equal(f->rb.seq[i], want[i]);
	assert_int_equal(f->a->stats.tx_reordered, 3);
	assert_int_equal(f->a->stats.tx_packets, 6);
	fx_free(f);
}

/* A held frame with nothing after it: released by the receiver's poll at
 * deliver_at + delay (= send time + 2 * delay), in order, not counted. */
static void test_reorder_held_frame_released_by_receiver(void **state)
{
	struct ust_memlink_config cfg;
	struct fx *f;

	ust_memlink_config_init(&cfg);
	cfg.reorder = 1.0;
	cfg.delay_ns = 10 * MS;
	f = fx_new(&cfg);
	set_now(f, 100 * MS);
	assert_int_equal(send_seq(f->a, 0), 0);
	assert_true(f->b->ops->next_event(f->b) == 120 * MS);
	set_now(f, 110 * MS);
	assert_int_equal(f->b->ops->poll(f->b, 64), 0);
	set_now(f, 120 * MS - 1);
	assert_int_equal(f->b->ops->poll(f->b, 64), 0);
	set_now(f, 120 * MS);
	assert_int_equal(f->b->ops->poll(f->b, 64), 1);
	assert_int_equal(f->rb.n, 1);
	assert_int_equal(f->rb.seq[0], 0);
	assert_int_equal(f->a->stats.tx_reordered, 0);
	assert_true(f->b->ops->next_event(f->b) == UINT64_MAX);
	/* The holding area is free again: the next pair swaps as usual. */
	assert_int_equal(send_seq(f->a, 1), 0);
	assert_int_equal(send_seq(f->a, 2), 0);
	set_now(f, 130 * MS);
	assert_int_equal(f->b->ops->poll(f->b, 64), 2);
	assert_int_equal(f->rb.seq[1], 2);
	assert_int_equal(f->rb.seq[2], 1);
	assert_int_equal(f->a->stats.tx_reordered, 1);
	fx_free(f);
}

static void test_reorder_without_delay_released_on_next_poll(void **state)
{
	struct ust_memlink_config cfg;
	struct fx *f;

	ust_memlink_config_init(&cfg);
	cfg.reorder = 1.0;
	f = fx_new(&cfg);
	assert_int_equal(send_seq(f->a, 0), 0);
	assert_true(f->b->ops->next_event(f->b) == 0);
	assert_int_equal(f->b->ops->poll(f->b, 64), 1);
	assert_int_equal(f->rb.seq[0], 0);
	fx_free(f);
}

static void test_delay_delivers_at_exactly_now_plus_delay(void **state)
{
	struct ust_memlink_config cfg;
	struct fx *f;

	ust_memlink_config_init(&cfg);
	cfg.delay_ns = 5 * MS;
	f = fx_new(&cfg);
	set_now(f, 1 * MS);
	assert_int_equal(send_seq(f->a, 0), 0);
	set_now(f, 2 * MS);
	assert_int_equal(send_seq(f->a, 1), 0);
	assert_true(f->b->ops->next_event(f->b) == 6 * MS);
	assert_true(f->a->ops->next_event(f->a) == UINT64_MAX);
	assert_int_equal(f->b->ops->poll(f->b, 64), 0);
	set_now(f, 6 * MS - 1);
	assert_int_equal(f->b->ops->poll(f->b, 64), 0);
	assert_int_equal(f->rb.n, 0);
	set_now(f, 6 * MS);
	assert_int_equal(f->b->ops->poll(f->b, 64), 1);
	assert_int_equal(f->rb.seq[0], 0);
	assert_true(f->b->ops->next_event(f->b) == 7 * MS);
	set_now(f, 7 * MS);
	assert_int_equal(f->b->ops->poll(f->b, 64), 1);
	assert_int_equal(f->rb.seq[1], 1);
	assert_true(f->b->ops->next_event(f->b) == UINT64_MAX);
	fx_free(f);
}

/* --- receive side drops -------------------------------------------------- */

static void test_rx_pool_exhaustion_counts_rx_dropped(void **state)
{
	struct fx *f = fx_new_pool(NULL, 2);

	f->rb.keep = 1;
	for (uint32_t i = 0; i < 5; i++)
		assert_int_equal(send_seq(f->a, i), 0);
	assert_int_equal(f->b->ops->poll(f->b, 64), 5);   /* all taken off the link */
	assert_int_equal(f->rb.n, 2);
	assert_int_equal(f->b->stats.rx_dropped, 3);
	assert_int_equal(f->b->stats.rx_packets, 2);
	assert_int_equal(f->cb.pool.alloc_fail, 3);
	assert_true(f->b->ops->next_event(f->b) == UINT64_MAX);
	fx_free(f);
}

static void test_rx_without_handler_drops(void **state)
{
	struct fx *f = fx_new(NULL);

	ust_netdev_set_rx_handler(f->b, NULL, NULL);
	assert_int_equal(send_seq(f->a, 0), 0);
	assert_int_equal(f->b->ops->poll(f->b, 64), 1);
	assert_int_equal(f->b->stats.rx_dropped, 1);
	assert_int_equal(f->cb.pool.nr_free, f->cb.pool.nr_total);
	fx_free(f);
}

/* --- teardown ------------------------------------------------------------ */

static struct fx *fx_with_traffic_in_flight(void)
{
	struct ust_memlink_config cfg;
	struct fx *f;

	ust_memlink_config_init(&cfg);
	cfg.delay_ns = 50 * MS;
	cfg.reorder = 0.5;
	cfg.queue_len = 8;
	f = fx_new(&cfg);
	for (uint32_t i = 0; i < 6; i++) {
		send_seq(f->a, i);
		send_seq(f->b, 100 + i);
	}
	return f;
}

static void test_destroy_a_then_b(void **state)
{
	struct fx *f = fx_with_traffic_in_flight();

	ust_netdev_destroy(f->a);
	free(f->a);
	f->a_gone = 1;
	/* The surviving end still works: it drains what a sent, and its own
	 * frames towards the dead end fill the ring and are dropped. */
	set_now(f, 1000 * MS);
	assert_true(f->b->ops->poll(f->b, 64) >= 1);
	for (uint32_t i = 0; i < 20; i++)
		send_seq(f->b, 200 + i);
	assert_true(f->b->stats.tx_dropped > 0);
	fx_free(f);   /* destroys b, which frees the link (ASan: no leak) */
}

static void test_destroy_b_then_a(void **state)
{
	struct fx *f = fx_with_traffic_in_flight();

	ust_netdev_destroy(f->b);
	free(f->b);
	f->b_gone = 1;
	fx_free(f);
}

/* --- two threads --------------------------------------------------------- */

#define THREAD_FRAMES 200000u

struct thread_rx {
	uint8_t *seen;
	uint32_t n, dups, bad;
};

struct thread_fx {
	struct fx *f;
	_Atomic int done;
	int failed;
};

static void on_rx_thread(struct ust_netdev *dev, struct ust_pkt *pkt, void *ctx)
{
	struct thread_rx *r = ctx;
	uint32_t seq = pkt->len == 64 ? get32(pkt->data + UST_ETH_HLEN) : UINT32_MAX;

	if (seq >= THREAD_FRAMES || pkt->data[63] != (uint8_t)(63 * 7 + seq)) {
		r->bad++;
	} else {
		if (r->seen[seq])
			r->dups++;
		r->seen[seq] = 1;
	}
	r->n++;
	ust_pkt_free(pkt);
}

static void *producer(void *arg)
{
	struct thread_fx *tf = arg;

	for (uint32_t i = 0; i < THREAD_FRAMES;) {
		int rc = send_seq(tf->f->a, i);

		if (rc == 0) {
			i++;
		} else if (rc != -ENOBUFS) {
			tf->failed = 1;
			break;
		}
	}
	atomic_store(&tf->done, 1);
	return NULL;
}

/* The sender and the receiver run in different threads, each touching only its
 * own core and its own end: every frame arrives exactly once and intact, with
 * reordering (and its holding area claimed from both sides) switched on. */
static void test_two_threads_spsc(void **state)
{
	struct ust_memlink_config cfg;
	struct thread_fx tf = { 0 };
	struct thread_rx r = { 0 };
	pthread_t t;

	r.seen = calloc(THREAD_FRAMES, 1);
	assert_non_null(r.seen);
	ust_memlink_config_init(&cfg);
	cfg.queue_len = 64;
	cfg.reorder = 0.3;
	cfg.seed = 99;
	tf.f = fx_new(&cfg);
	ust_netdev_set_rx_handler(tf.f->b, on_rx_thread, &r);
	assert_int_equal(pthread_create(&t, NULL, producer, &tf), 0);
	for (;;) {
		int done = atomic_load(&tf.done);

		/* After the producer is done, a poll that finds nothing means the
		 * ring and the holding area are empty. */
		if (tf.f->b->ops->poll(tf.f->b, 32) == 0 && done)
			break;
	}
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(tf.failed, 0);
	assert_int_equal(r.bad, 0);
	assert_int_equal(r.dups, 0);
	assert_int_equal(r.n, THREAD_FRAMES);
	for (uint32_t i = 0; i < THREAD_FRAMES; i++)
		assert_int_equal(r.seen[i], 1);
	assert_int_equal(tf.f->b->stats.rx_dropped, 0);
	assert_int_equal(tf.f->a->stats.tx_packets, THREAD_FRAMES);
	assert_true(tf.f->a->stats.tx_reordered > 0);
	free(r.seen);
	fx_free(tf.f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_init_defaults),
		cmocka_unit_test(test_config_rejects_invalid),
		cmocka_unit_test(test_config_limits_accepted),
		cmocka_unit_test(test_pair_device_fields),
		cmocka_unit_test(test_frame_delivered_exactly_both_directions),
		cmocka_unit_test(test_ip_framing_delivers_mtu_bytes),
		cmocka_unit_test(test_fifo_order_and_budget),
		cmocka_unit_test(test_ring_full_drops_with_enobufs),
		cmocka_unit_test(test_frame_over_mtu_dropped_emsgsize),
		cmocka_unit_test(test_loss_one_delivers_nothing),
		cmocka_unit_test(test_loss_tenth_is_binomial_and_reproducible),
		cmocka_unit_test(test_dup_one_delivers_each_twice),
		cmocka_unit_test(test_dup_without_room_for_second_copy),
		cmocka_unit_test(test_reorder_swaps_adjacent_frames),
		cmocka_unit_test(test_reorder_held_frame_released_by_receiver),
		cmocka_unit_test(test_reorder_without_delay_released_on_next_poll),
		cmocka_unit_test(test_delay_delivers_at_exactly_now_plus_delay),
		cmocka_unit_test(test_rx_pool_exhaustion_counts_rx_dropped),
		cmocka_unit_test(test_rx_without_handler_drops),
		cmocka_unit_test(test_destroy_a_then_b),
		cmocka_unit_test(test_destroy_b_then_a),
		cmocka_unit_test(test_two_threads_spsc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
