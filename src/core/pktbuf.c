/*
 * Packet pool: slabs of UST_PKT_SLAB packets, a free list, a hard maximum.
 *
 * Layout of one slab (one malloc, cache-line aligned):
 *
 *   [slab link, padded to a line][pkt 0 | buf 0][pkt 1 | buf 1] ... [pkt N-1 | buf N-1]
 *
 * Each struct ust_pkt is padded to a whole number of cache lines and its buffer
 * follows it, also padded, so a packet's header and its buffer never share a line
 * with a neighbour. The first word of each slab links the pool's slabs, so
 * ust_pktpool_destroy frees everything in one walk.
 *
 * Calls: ust_pkt_alloc -> (free list empty) pool_grow -> one slab
 *        ust_pkt_free  -> free list push
 * Nothing here allocates per packet; a failed allocation is counted in
 * alloc_fail and the caller drops (DESIGN.md rule 5).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/pktbuf.h"

#define CACHE_LINE 64u
/* Bigger buffers than this are a configuration error, and the bound keeps the
 * slab size arithmetic far from overflow. */
#define PKT_BUF_MAX (1u << 24)

static size_t line_up(size_t n)
{
	return (n + CACHE_LINE - 1) & ~(size_t)(CACHE_LINE - 1);
}

static size_t pkt_stride(const struct ust_pktpool *p)
{
	return line_up(sizeof(struct ust_pkt)) + line_up(p->buf_size);
}

int ust_pktpool_init(struct ust_pktpool *p, uint32_t buf_size, uint32_t max)
{
	if (buf_size == 0)
		buf_size = UST_PKT_DEFAULT_SIZE;
	/* A buffer must hold the headroom and at least one byte of data. */
	if (buf_size <= UST_PKT_HEADROOM || buf_size > PKT_BUF_MAX || max == 0)
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	p->buf_size = buf_size;
	p->max = max;
	return 0;
}

void ust_pktpool_destroy(struct ust_pktpool *p)
{
	void *slab = p->slabs;

	while (slab) {
		void *next = *(void **)slab;

		free(slab);
		slab = next;
	}
	p->slabs = NULL;
	p->free = NULL;
	p->nr_total = 0;
	p->nr_free = 0;
}

/* Adds one slab (fewer packets if the maximum is near) to the free list. */
static int pool_grow(struct ust_pktpool *p)
{
	uint32_t n = UST_MIN((uint32_t)UST_PKT_SLAB, p->max - p->nr_total);
	size_t stride = pkt_stride(p);
	size_t hdr = line_up(sizeof(void *));
	uint8_t *slab, *at;

	if (n == 0)
		return -ENOBUFS;
	slab = aligned_alloc(CACHE_LINE, hdr + (size_t)n * stride);
	if (!slab)
		return -ENOMEM;
	*(void **)slab = p->slabs;
	p->slabs = slab;

	/* Push in reverse so the first allocations walk the slab forwards. */
	at = slab + hdr + (size_t)(n - 1) * stride;
	for (uint32_t i = 0; i < n; i++, at -= stride) {
		struct ust_pkt *pkt = (struct ust_pkt *)at;

		pkt->pool = p;
		pkt->head = at + line_up(sizeof(struct ust_pkt));
		pkt->size = p->buf_size;
		pkt->next = p->free;
		p->free = pkt;
	}
	p->nr_total += n;
	p->nr_free += n;
	return 0;
}

struct ust_pkt *ust_pkt_alloc(struct ust_pktpool *p)
{
	struct ust_pkt *pkt = p->free;

	if (unlikely(!pkt)) {
		if (pool_grow(p) < 0) {
			p->alloc_fail++;
			return NULL;
		}
		pkt = p->free;
	}
	p->free = pkt->next;
	p->nr_free--;

	/* Reset the header only: the buffer is overwritten by whoever fills it. */
	pkt->next = NULL;
	pkt->data = pkt->head + UST_PKT_HEADROOM;
	pkt->len = 0;
	pkt->l3_off = 0;
	pkt->l4_off = 0;
	pkt->flags = 0;
	pkt->dev = NULL;
	pkt->tstamp = 0;
	/* cb is not cleared: a layer that uses it sets what it reads. */
	return pkt;
}

void ust_pkt_free(struct ust_pkt *pkt)
{
	struct ust_pktpool *p;

	if (!pkt)
		return;
	p = pkt->pool;
	pkt->next = p->free;
	p->free = pkt;
	p->nr_free++;
}

struct ust_pkt *ust_pkt_clone(const struct ust_pkt *pkt)
{
	struct ust_pkt *c = ust_pkt_alloc(pkt->pool);

	if (!c)
		return NULL;
	/* Same pool, same buffer size: the bytes keep their offset from head, so
	 * l3_off/l4_off stay valid and the clone has the same headroom. */
	c->data = c->head + ust_pkt_headroom(pkt);
	c->len = pkt->len;
	memcpy(c->data, pkt->data, pkt->len);
	c->l3_off = pkt->l3_off;
	c->l4_off = pkt->l4_off;
	c->flags = pkt->flags;
	c->dev = pkt->dev;
	c->tstamp = pkt->tstamp;
	memcpy(c->cb, pkt->cb, sizeof(c->cb));
	return c;
}
