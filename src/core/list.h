/*
 * Intrusive lists, the two shapes the stack needs:
 *  - ust_list: circular doubly-linked list with a head node (queues: accept queue,
 *    SYN queue order, device lists). O(1) add at either end and O(1) unlink.
 *  - ust_hlist: a hash-chain list whose head is a single pointer, so a table of a
 *    million buckets costs 8 bytes a bucket. O(1) unlink through the pprev pointer.
 * Nodes live inside the objects they link; nothing here allocates.
 */
#ifndef UST_CORE_LIST_H
#define UST_CORE_LIST_H

#include <stdbool.h>
#include "core/compiler.h"

struct ust_list {
	struct ust_list *next, *prev;
};

#define UST_LIST_INIT(name) { &(name), &(name) }

static inline void ust_list_init(struct ust_list *h) { h->next = h->prev = h; }
static inline bool ust_list_empty(const struct ust_list *h) { return h->next == h; }

static inline void ust_list_insert__(struct ust_list *n, struct ust_list *prev,
				     struct ust_list *next)
{
	n->next = next;
	n->prev = prev;
	prev->next = n;
	next->prev = n;
}

static inline void ust_list_add_head(struct ust_list *h, struct ust_list *n)
{
	ust_list_insert__(n, h, h->next);
}

static inline void ust_list_add_tail(struct ust_list *h, struct ust_list *n)
{
	ust_list_insert__(n, h->prev, h);
}

/* Unlinks n and points it at itself, so a second del is harmless. */
static inline void ust_list_del(struct ust_list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = n->prev = n;
}

static inline bool ust_list_linked(const struct ust_list *n) { return n->next != n; }

#define ust_list_entry(p, type, m) container_of(p, type, m)
#define ust_list_first(h, type, m) (ust_list_empty(h) ? NULL : container_of((h)->next, type, m))

#define ust_list_for_each(pos, h) for ((pos) = (h)->next; (pos) != (h); (pos) = (pos)->next)
/* Safe against removal of pos inside the loop body. */
#define ust_list_for_each_safe(pos, tmp, h) \
	for ((pos) = (h)->next, (tmp) = (pos)->next; (pos) != (h); (pos) = (tmp), (tmp) = (pos)->next)

struct ust_hlist_node {
	struct ust_hlist_node *next, **pprev;
};

struct ust_hlist_head {
	struct ust_hlist_node *first;
};

static inline void ust_hlist_node_init(struct ust_hlist_node *n) { n->next = NULL; n->pprev = NULL; }
static inline bool ust_hlist_unhashed(const struct ust_hlist_node *n) { return n->pprev == NULL; }
static inline bool ust_hlist_empty(const struct ust_hlist_head *h) { return h->first == NULL; }

static inline void ust_hlist_add_head(struct ust_hlist_head *h, struct ust_hlist_node *n)
{
	n->next = h->first;
	if (n->next)
		n->next->pprev = &n->next;
	h->first = n;
	n->pprev = &h->first;
}

/* Unlinks n; a node not on a list (pprev NULL) is left alone. */
static inline void ust_hlist_del(struct ust_hlist_node *n)
{
	if (!n->pprev)
		return;
	*n->pprev = n->next;
	if (n->next)
		n->next->pprev = n->pprev;
	n->next = NULL;
	n->pprev = NULL;
}

/* Puts n where old was, in one step (request sock -> child in ehash, H-5). */
static inline void ust_hlist_replace(struct ust_hlist_node *old, struct ust_hlist_node *n)
{
	n->next = old->next;
	n->pprev = old->pprev;
	*n->pprev = n;
	if (n->next)
		n->next->pprev = &n->next;
	old->next = NULL;
	old->pprev = NULL;
}

#define ust_hlist_entry(p, type, m) ((p) ? container_of(p, type, m) : NULL)
#define ust_hlist_for_each(pos, h) for ((pos) = (h)->first; (pos); (pos) = (pos)->next)
#define ust_hlist_for_each_safe(pos, tmp, h) \
	for ((pos) = (h)->first; (pos) && ((tmp) = (pos)->next, 1); (pos) = (tmp))

#endif
