/* Packet pool and packet buffer bounds (src/core/pktbuf.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/pktbuf.h"

static void test_init_rejects_bad_config(void **state)
{
	struct ust_pktpool p;

	assert_int_equal(ust_pktpool_init(&p, UST_PKT_HEADROOM, 16), -EINVAL);
	assert_int_equal(ust_pktpool_init(&p, 64, 16), -EINVAL);
	assert_int_equal(ust_pktpool_init(&p, 2048, 0), -EINVAL);
	assert_int_equal(ust_pktpool_init(&p, (1u << 24) + 1, 16), -EINVAL);
	assert_int_equal(ust_pktpool_init(&p, UST_PKT_HEADROOM + 1, 16), 0);
	assert_int_equal(ust_pktpool_init(&p, 0, 16), 0);
	assert_int_equal(p.buf_size, UST_PKT_DEFAULT_SIZE);
	/* Nothing allocated before the first packet. */
	assert_null(p.slabs);
	assert_int_equal(p.nr_total, 0);
	ust_pktpool_destroy(&p);
}

static void test_alloc_fresh_packet_layout(void **state)
{
	struct ust_pktpool p;
	struct ust_pkt *pkt;

	assert_int_equal(ust_pktpool_init(&p, 0, 64), 0);
	pkt = ust_pkt_alloc(&p);
	assert_non_null(pkt);
	assert_ptr_equal(pkt->pool, &p);
	assert_int_equal(pkt->len, 0);
	assert_int_equal(pkt->size, UST_PKT_DEFAULT_SIZE);
	assert_int_equal(ust_pkt_headroom(pkt), UST_PKT_HEADROOM);
	assert_int_equal(ust_pkt_tailroom(pkt), UST_PKT_DEFAULT_SIZE - UST_PKT_HEADROOM);
	assert_int_equal((uintptr_t)pkt % 64, 0);
	assert_int_equal((uintptr_t)pkt->head % 64, 0);
	assert_null(pkt->next);
	assert_null(pkt->dev);
	assert_int_equal(pkt->flags, 0);
	assert_int_equal(pkt->l3_off, 0);
	assert_int_equal(pkt->l4_off, 0);
	/* The whole buffer is writable (ASan checks the bounds). */
	memset(pkt->head, 0xab, pkt->size);
	ust_pkt_free(pkt);
	ust_pktpool_destroy(&p);
}

static void test_alloc_resets_reused_packet(void **state)
{
	struct ust_pktpool p;
	struct ust_pkt *pkt, *again;

	assert_int_equal(ust_pktpool_init(&p, 0, 64), 0);
	pkt = ust_pkt_alloc(&p);
	assert_non_null(ust_pkt_put(pkt, 100));
	assert_non_null(ust_pkt_push(pkt, 20));
	pkt->flags = 7;
	pkt->l3_off = 10;
	pkt->l4_off = 30;
	pkt->tstamp = 99;
	pkt->dev = (struct ust_netdev *)pkt;
	memset(pkt->cb, 0x5a, sizeof(pkt->cb));
	ust_pkt_free(pkt);

	again = ust_pkt_alloc(&p);
	assert_ptr_equal(again, pkt);   /* LIFO free list: the same buffer comes back */
	assert_int_equal(again->len, 0);
	assert_ptr_equal(again->data, again->head + UST_PKT_HEADROOM);
	assert_int_equal(again->flags, 0);
	assert_int_equal(again->l3_off, 0);
	assert_int_equal(again->l4_off, 0);
	assert_int_equal(again->tstamp, 0);
	assert_null(again->dev);
	/* cb is left as it was: the layer that uses it initialises it. */
	ust_pkt_free(again);
	ust_pktpool_destroy(&p);
}

static void test_push_pull_put_trim_bounds(void **state)
{
	struct ust_pktpool p;
	struct ust_pkt *pkt;
	uint8_t *d, *old_data;
	uint32_t tail;

	assert_int_equal(ust_pktpool_init(&p, 512, 4), 0);
	pkt = ust_pkt_alloc(&p);
	tail = ust_pkt_tailroom(pkt);
	assert_int_equal(tail, 512 - UST_PKT_HEADROOM);

	/* put: exactly the tailroom fits, one more byte does not. */
	d = ust_pkt_put(pkt, 10);
	assert_ptr_equal(d, pkt->head + UST_PKT_HEADROOM);
	assert_int_equal(pkt->len, 10);
	assert_null(ust_pkt_put(pkt, tail - 10 + 1));
	assert_int_equal(pkt->len, 10);
	assert_non_null(ust_pkt_put(pkt, tail - 10));
	assert_int_equal(ust_pkt_tailroom(pkt), 0);
	assert_null(ust_pkt_put(pkt, 1));
	assert_int_equal(pkt->len, tail);

	/* push: the whole headroom, then nothing more, data unchanged on failure. */
	old_data = pkt->data;
	assert_null(ust_pkt_push(pkt, UST_PKT_HEADROOM + 1));
	assert_ptr_equal(pkt->data, old_data);
	assert_int_equal(pkt->len, tail);
	d = ust_pkt_push(pkt, 14);
	assert_ptr_equal(d, old_data - 14);
	assert_int_equal(pkt->len, tail + 14);
	assert_non_null(ust_pkt_push(pkt, UST_PKT_HEADROOM - 14));
	assert_ptr_equal(pkt->data, pkt->head);
	assert_null(ust_pkt_push(pkt, 1));
	assert_ptr_equal(pkt->data, pkt->head);

	/* pull: up to len, not one byte past it. */
	assert_null(ust_pkt_pull(pkt, pkt->len + 1));
	assert_ptr_equal(pkt->data, pkt->head);
	assert_int_equal(pkt->len, 512);
	d = ust_pkt_pull(pkt, 20);
	assert_ptr_equal(d, pkt->head + 20);
	assert_int_equal(pkt->len, 492);
	assert_non_null(ust_pkt_pull(pkt, 492));
	assert_int_equal(pkt->len, 0);
	assert_null(ust_pkt_pull(pkt, 1));

	/* trim: only shortens. */
	pkt->data = pkt->head + UST_PKT_HEADROOM;
	pkt->len = 0;
	ust_pkt_put(pkt, 100);
	ust_pkt_trim(pkt, 200);
	assert_int_equal(pkt->len, 100);
	ust_pkt_trim(pkt, 40);
	assert_int_equal(pkt->len, 40);
	ust_pkt_trim(pkt, 0);
	assert_int_equal(pkt->len, 0);

	ust_pkt_free(pkt);
	ust_pktpool_destroy(&p);
}

static void test_exhaustion_returns_null_and_counts(void **state)
{
	struct ust_pktpool p;
	struct ust_pkt *pkts[10];

	assert_int_equal(ust_pktpool_init(&p, 256, 10), 0);
	for (int i = 0; i < 10; i++) {
		pkts[i] = ust_pkt_alloc(&p);
		assert_non_null(pkts[i]);
	}
	assert_int_equal(p.nr_total, 10);   /* max respected, even inside one slab */
	assert_int_equal(p.nr_free, 0);
	assert_null(ust_pkt_alloc(&p));
	assert_null(ust_pkt_alloc(&p));
	assert_int_equal(p.alloc_fail, 2);
	assert_int_equal(p.nr_total, 10);

	/* Free then alloc reuses the freed buffer. */
	ust_pkt_free(pkts[3]);
	assert_int_equal(p.nr_free, 1);
	assert_ptr_equal(ust_pkt_alloc(&p), pkts[3]);
	assert_null(ust_pkt_alloc(&p));
	assert_int_equal(p.alloc_fail, 3);

	for (int i = 0; i < 10; i++)
		ust_pkt_free(pkts[i]);
	assert_int_equal(p.nr_free, 10);
	ust_pktpool_destroy(&p);
}

static void test_free_null_is_noop(void **state)
{
	ust_pkt_free(NULL);
}

static void test_slab_growth(void **state)
{
	struct ust_pktpool p;
	enum { N = UST_PKT_SLAB * 2 + 1, MAX = UST_PKT_SLAB * 2 + 10 };
	struct ust_pkt **pkts = calloc(N, sizeof(*pkts));
	int slabs = 0;

	assert_non_null(pkts);

	assert_int_equal(ust_pktpool_init(&p, 256, MAX), 0);
	pkts[0] = ust_pkt_alloc(&p);
	assert_int_equal(p.nr_total, UST_PKT_SLAB);
	assert_int_equal(p.nr_free, UST_PKT_SLAB - 1);
	for (int i = 1; i < UST_PKT_SLAB; i++)
		pkts[i] = ust_pkt_alloc(&p);
	assert_int_equal(p.nr_total, UST_PKT_SLAB);   /* a full slab, no growth yet */
	pkts[UST_PKT_SLAB] = ust_pkt_alloc(&p);
	assert_int_equal(p.nr_total, 2 * UST_PKT_SLAB);
	for (int i = UST_PKT_SLAB + 1; i < N; i++)
		pkts[i] = ust_pkt_alloc(&p);
	/* The third slab is cut to what the maximum still allows. */
	assert_int_equal(p.nr_total, MAX);
	for (void *s = p.slabs; s; s = *(void **)s)
		slabs++;
	assert_int_equal(slabs, 3);

	/* Every packet distinct and its buffer its own: write all, check all. */
	for (int i = 0; i < N; i++) {
		assert_non_null(pkts[i]);
		memset(ust_pkt_put(pkts[i], 256 - UST_PKT_HEADROOM), i & 0xff, 256 - UST_PKT_HEADROOM);
	}
	for (int i = 0; i < N; i++)
		for (uint32_t k = 0; k < pkts[i]->len; k++)
			assert_int_equal(pkts[i]->data[k], i & 0xff);
	/* destroy frees every slab with packets still out (ASan reports leaks). */
	ust_pktpool_destroy(&p);
	assert_null(p.slabs);
	assert_int_equal(p.nr_total, 0);
	free(pkts);
}

static void test_clone_copies_bytes_and_offsets(void **state)
{
	struct ust_pktpool p;
	struct ust_pkt *pkt, *c;
	uint8_t *d;

	assert_int_equal(ust_pktpool_init(&p, 512, 2), 0);
	pkt = ust_pkt_alloc(&p);
	d = ust_pkt_put(pkt, 60);
	for (int i = 0; i < 60; i++)
		d[i] = (uint8_t)i;
	ust_pkt_push(pkt, 14);
	memset(pkt->data, 0xee, 14);
	pkt->l3_off = (uint16_t)(UST_PKT_HEADROOM);
	pkt->l4_off = (uint16_t)(UST_PKT_HEADROOM + 20);
	pkt->flags = 3;
	pkt->tstamp = 12345;
	pkt->cb[0] = 42;

	c = ust_pkt_clone(pkt);
	assert_non_null(c);
	assert_ptr_not_equal(c, pkt);
	assert_ptr_not_equal(c->head, pkt->head);
	assert_int_equal(c->len, pkt->len);
	assert_int_equal(ust_pkt_headroom(c), ust_pkt_headroom(pkt));
	assert_memory_equal(c->data, pkt->data, pkt->len);
	assert_int_equal(c->l3_off, pkt->l3_off);
	assert_int_equal(c->l4_off, pkt->l4_off);
	assert_int_equal(c->flags, 3);
	assert_int_equal(c->tstamp, 12345);
	assert_int_equal(c->cb[0], 42);
	/* Independent bytes. */
	c->data[0] = 0;
	assert_int_equal(pkt->data[0], 0xee);

	/* Pool exhausted: clone fails cleanly and counts. */
	assert_null(ust_pkt_clone(pkt));
	assert_int_equal(p.alloc_fail, 1);
	ust_pkt_free(c);
	ust_pkt_free(pkt);
	ust_pktpool_destroy(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_rejects_bad_config),
		cmocka_unit_test(test_alloc_fresh_packet_layout),
		cmocka_unit_test(test_alloc_resets_reused_packet),
		cmocka_unit_test(test_push_pull_put_trim_bounds),
		cmocka_unit_test(test_exhaustion_returns_null_and_counts),
		cmocka_unit_test(test_free_null_is_noop),
		cmocka_unit_test(test_slab_growth),
		cmocka_unit_test(test_clone_copies_bytes_and_offsets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
