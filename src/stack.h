/* Internal view of a stack for the files that wire layers together and for tests. */
#ifndef UST_STACK_INTERNAL_H
#define UST_STACK_INTERNAL_H

#include "core/core.h"
#include "netdev/netdev.h"
#include "ustack/ustack.h"

struct ust_core *ust_stack_core(struct ust_stack *st);
/* The stack lock: every socket call and every poll hold it. */
void ust_stack_lock(struct ust_stack *st);
void ust_stack_unlock(struct ust_stack *st);
/* The stack's IPv4 layer (src/ipv4/ipv4.h). */
struct ust_ipv4;
struct ust_ipv4 *ust_stack_ipv4(struct ust_stack *st);
struct ust_tcp;
struct ust_sockets;
struct ust_tcp *ust_stack_tcp(struct ust_stack *st);
struct ust_sockets *ust_stack_sockets(struct ust_stack *st);
struct ust_netdev *ust_stack_netdev_by_name(struct ust_stack *st, const char *name);
/* Takes ownership of dev (allocated with malloc/calloc): names it prefix+N,
 * gives it the next ifindex and adds it to the device list. */
void ust_stack_attach_netdev(struct ust_stack *st, struct ust_netdev *dev, const char *prefix);
/* Copies the fd of each device that has one (ops->get_fd) into fds, at most
 * max; returns how many devices have one (may exceed max). Takes the lock. */
int ust_stack_fds(struct ust_stack *st, int *fds, int max);
int ust_stack_fds_locked(struct ust_stack *st, int *fds, int max);
uint64_t ust_stack_next_event_locked(const struct ust_stack *st);
/* The event fd (api/evloop.c); all with the lock held but ust_evloop_free. */
struct ust_evloop;
void ust_evloop_sync(struct ust_evloop *evl);
void ust_evloop_add_fd(struct ust_evloop *evl, int fd);
void ust_evloop_free(struct ust_evloop *evl);
/* The eventfd ust_stack_wakeup() writes (made on first use; -1 if it cannot
 * be). Takes the lock. */
int ust_evloop_eventfd(struct ust_stack *st);
/* The device with this ifindex, or NULL. */
struct ust_netdev *ust_stack_netdev(struct ust_stack *st, int ifindex);

#endif
