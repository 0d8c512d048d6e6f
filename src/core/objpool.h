/*
 * Fixed-size object pools: sockets, request socks, bind buckets. Like the packet
 * pool, a pool grows by slabs up to a hard maximum and recycles through a free
 * list, so opening a connection costs a pop, not a malloc, and a SYN flood is
 * bounded by the pool's maximum (the allocation fails, the caller counts a drop).
 */
#ifndef UST_CORE_OBJPOOL_H
#define UST_CORE_OBJPOOL_H

#include <stddef.h>
#include <stdint.h>

struct ust_objpool {
	void *free;                 /* singly linked through each free object's first word */
	void *slabs;
	size_t obj_size;
	uint32_t per_slab;
	uint32_t max;               /* objects at most */
	uint32_t nr_total;          /* objects created */
	uint32_t nr_used;
	uint64_t alloc_fail;
};

/* obj_size >= sizeof(void *); max > 0. Returns 0 or -EINVAL. Allocates nothing yet. */
int ust_objpool_init(struct ust_objpool *p, size_t obj_size, uint32_t per_slab, uint32_t max);
void ust_objpool_destroy(struct ust_objpool *p);
/* A zeroed object, or NULL when the pool is at its maximum or memory is out. */
void *ust_objpool_alloc(struct ust_objpool *p);
void ust_objpool_free(struct ust_objpool *p, void *obj);

#endif
