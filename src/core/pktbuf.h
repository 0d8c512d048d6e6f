/*
 * Packet buffers: one contiguous buffer per packet, taken from a per-stack pool.
 *
 * The pool grows in slabs (one malloc per UST_PKT_SLAB packets) up to a hard
 * maximum and never shrinks until destroyed, so the packet path costs a free-list
 * pop and push, never a malloc. When the pool is exhausted ust_pkt_alloc returns
 * NULL and the caller counts a drop: memory stays bounded under a flood.
 *
 * A fresh packet has `headroom` bytes before data so that each layer going down
 * can prepend its header with ust_pkt_push() without copying.
 */
#ifndef UST_CORE_PKTBUF_H
#define UST_CORE_PKTBUF_H

#include <stdint.h>
#include "core/compiler.h"

#define UST_PKT_HEADROOM 128
#define UST_PKT_DEFAULT_SIZE 2048     /* headroom + Ethernet frame of MTU 1500 + slack */
#define UST_PKT_SLAB 256
#define UST_PKT_CB_SIZE 48

struct ust_netdev;
struct ust_pktpool;

struct ust_pkt {
	struct ust_pkt *next;        /* free list, device and socket queues */
	struct ust_pktpool *pool;
	uint8_t *head;               /* start of the buffer */
	uint8_t *data;               /* first valid byte */
	uint32_t len;                /* valid bytes from data */
	uint32_t size;               /* buffer bytes from head */
	uint16_t l3_off;             /* network header, from head */
	uint16_t l4_off;             /* transport header, from head */
	uint32_t flags;
	struct ust_netdev *dev;      /* receiving or sending device */
	uint64_t tstamp;             /* ns, stack clock */
	/* Private to the layer that owns the packet at the moment (as skb->cb);
	 * not cleared on allocation: the layer initialises what it uses. */
	uint64_t cb[UST_PKT_CB_SIZE / 8];
};

struct ust_pktpool {
	struct ust_pkt *free;
	void *slabs;                 /* singly linked through the first word of each slab */
	uint32_t buf_size;
	uint32_t max;                /* packets at most */
	uint32_t nr_total;           /* packets created */
	uint32_t nr_free;
	uint64_t alloc_fail;         /* allocations refused */
};

/* buf_size 0 means UST_PKT_DEFAULT_SIZE. Returns 0 or -EINVAL (buf_size not
 * above the headroom or above 16 MiB, max 0). Allocates nothing until the
 * first packet. */
int ust_pktpool_init(struct ust_pktpool *p, uint32_t buf_size, uint32_t max);
/* Frees every slab. Packets still out are gone with them. */
void ust_pktpool_destroy(struct ust_pktpool *p);
/* A packet with len 0 and data at head + UST_PKT_HEADROOM, or NULL. */
struct ust_pkt *ust_pkt_alloc(struct ust_pktpool *p);
void ust_pkt_free(struct ust_pkt *pkt);
/* A new packet of the same pool holding a copy of pkt's bytes, or NULL. */
struct ust_pkt *ust_pkt_clone(const struct ust_pkt *pkt);

static inline uint32_t ust_pkt_headroom(const struct ust_pkt *pkt)
{
	return (uint32_t)(pkt->data - pkt->head);
}

static inline uint32_t ust_pkt_tailroom(const struct ust_pkt *pkt)
{
	return pkt->size - ust_pkt_headroom(pkt) - pkt->len;
}

/* Prepends n bytes; returns the new start, or NULL without headroom. */
static inline uint8_t *ust_pkt_push(struct ust_pkt *pkt, uint32_t n)
{
	if (unlikely(n > ust_pkt_headroom(pkt)))
		return NULL;
	pkt->data -= n;
	pkt->len += n;
	return pkt->data;
}

/* Removes n bytes from the front; returns the new start, or NULL if len < n. */
static inline uint8_t *ust_pkt_pull(struct ust_pkt *pkt, uint32_t n)
{
	if (unlikely(n > pkt->len))
		return NULL;
	pkt->data += n;
	pkt->len -= n;
	return pkt->data;
}

/* Appends n bytes; returns where they go, or NULL without tailroom. */
static inline uint8_t *ust_pkt_put(struct ust_pkt *pkt, uint32_t n)
{
	uint8_t *tail = pkt->data + pkt->len;

	if (unlikely(n > ust_pkt_tailroom(pkt)))
		return NULL;
	pkt->len += n;
	return tail;
}

/* Cuts the packet to n bytes (n <= len). */
static inline void ust_pkt_trim(struct ust_pkt *pkt, uint32_t n)
{
	if (n < pkt->len)
		pkt->len = n;
}

#endif
