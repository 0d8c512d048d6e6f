/* Fixed-size object pools grown by slabs; see objpool.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "core/compiler.h"
#include "core/objpool.h"

/* Objects are aligned to 64 bytes so that no two share a cache line. */
#define OBJ_ALIGN 64
#define SLAB_HDR OBJ_ALIGN

int ust_objpool_init(struct ust_objpool *p, size_t obj_size, uint32_t per_slab, uint32_t max)
{
	memset(p, 0, sizeof(*p));
	if (obj_size < sizeof(void *) || !max || !per_slab)
		return -EINVAL;
	p->obj_size = (obj_size + OBJ_ALIGN - 1) & ~(size_t)(OBJ_ALIGN - 1);
	p->per_slab = per_slab;
	p->max = max;
	return 0;
}

void ust_objpool_destroy(struct ust_objpool *p)
{
	void *slab = p->slabs;

	while (slab) {
		void *next = *(void **)slab;

		free(slab);
		slab = next;
	}
	memset(p, 0, sizeof(*p));
}

static int grow(struct ust_objpool *p)
{
	uint32_t n = UST_MIN(p->per_slab, p->max - p->nr_total);
	char *slab;

	if (!n)
		return -ENOBUFS;
	slab = aligned_alloc(OBJ_ALIGN, SLAB_HDR + (size_t)n * p->obj_size);
	if (!slab)
		return -ENOMEM;
	*(void **)slab = p->slabs;
	p->slabs = slab;
	for (uint32_t i = n; i-- > 0;) {
		void *obj = slab + SLAB_HDR + (size_t)i * p->obj_size;

		*(void **)obj = p->free;
		p->free = obj;
	}
	p->nr_total += n;
	return 0;
}

void *ust_objpool_alloc(struct ust_objpool *p)
{
	void *obj = p->free;

	if (unlikely(!obj)) {
		if (grow(p)) {
			p->alloc_fail++;
			return NULL;
		}
		obj = p->free;
	}
	p->free = *(void **)obj;
	p->nr_used++;
	memset(obj, 0, p->obj_size);
	return obj;
}

void ust_objpool_free(struct ust_objpool *p, void *obj)
{
	if (!obj)
		return;
	*(void **)obj = p->free;
	p->free = obj;
	p->nr_used--;
}
