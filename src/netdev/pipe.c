/*
 * pipe: a device whose far end is the application itself. What the stack
 * sends waits in a queue for ust_pipe_read(); what the application hands to
 * ust_pipe_inject() is received by the stack at once, under the stack lock, as
 * if it had come off a wire. Tests assert exact packets through it, the script
 * runner drives scripts through it, and the packetdrill adapter maps
 * packetdrill's netdev_send/netdev_receive onto it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "netdev/netdev.h"
#include "stack.h"

#define PIPE_DEFAULT_QLEN 4096

struct pipe_priv {
	struct ust_stack *st;
	struct ust_pkt *head, *tail;
	uint32_t qlen, max_qlen;
};

static int pipe_xmit(struct ust_netdev *dev, struct ust_pkt *pkt)
{
	struct pipe_priv *p = dev->priv;

	if (p->qlen >= p->max_qlen) {
		ust_pkt_free(pkt);
		return -ENOBUFS;
	}
	pkt->next = NULL;
	if (p->tail)
		p->tail->next = pkt;
	else
		p->head = pkt;
	p->tail = pkt;
	p->qlen++;
	return 0;
}

static int pipe_poll(struct ust_netdev *dev, int budget)
{
	(void)dev;
	(void)budget;
	return 0;   /* injection delivers synchronously */
}

static void pipe_destroy(struct ust_netdev *dev)
{
	struct pipe_priv *p = dev->priv;
	struct ust_pkt *pkt = p->head;

	while (pkt) {
		struct ust_pkt *next = pkt->next;

		ust_pkt_free(pkt);
		pkt = next;
	}
	free(p);
	dev->priv = NULL;
}

static const struct ust_netdev_ops pipe_ops = {
	.xmit = pipe_xmit,
	.poll = pipe_poll,
	.destroy = pipe_destroy,
};

int ust_pipe_create(struct ust_stack *st, enum ust_framing framing, uint32_t mtu, struct ust_netdev **out)
{
	struct ust_netdev *dev;
	struct pipe_priv *p;

	if (!st || !out || (framing != UST_FRAMING_ETH && framing != UST_FRAMING_IP) ||
	    (mtu && (mtu < 68 || mtu > 65535))) {
		errno = EINVAL;
		return -1;
	}
	dev = calloc(1, sizeof(*dev));
	p = calloc(1, sizeof(*p));
	if (!dev || !p) {
		free(dev);
		free(p);
		errno = ENOMEM;
		return -1;
	}
	p->st = st;
	p->max_qlen = PIPE_DEFAULT_QLEN;
	ust_netdev_setup(dev, ust_stack_core(st), NULL, 0, mtu ? mtu : 1500, framing);
	dev->ops = &pipe_ops;
	dev->priv = p;
	/* A locally administered address, distinct per device. */
	dev->mac[0] = 0x02;
	dev->mac[5] = 0x01;
	ust_stack_lock(st);
	ust_stack_attach_netdev(st, dev, "pipe");
	dev->mac[4] = (uint8_t)dev->ifindex;
	ust_stack_unlock(st);
	*out = dev;
	return 0;
}

static struct pipe_priv *pipe_of(struct ust_netdev *dev)
{
	return dev && dev->ops == &pipe_ops ? dev->priv : NULL;
}

int ust_pipe_inject(struct ust_netdev *dev, const void *frame, size_t len)
{
	struct pipe_priv *p = pipe_of(dev);
	struct ust_core *core;
	struct ust_pkt *pkt;

	if (!p || !frame) {
		errno = EINVAL;
		return -1;
	}
	core = dev->core;
	ust_stack_lock(p->st);
	ust_core_update_now(core);
	pkt = ust_pkt_alloc(&core->pool);
	if (!pkt || len > ust_pkt_tailroom(pkt)) {
		dev->stats.rx_dropped++;
		ust_pkt_free(pkt);
		ust_stack_unlock(p->st);
		errno = pkt ? EMSGSIZE : ENOBUFS;
		return -1;
	}
	memcpy(ust_pkt_put(pkt, (uint32_t)len), frame, len);
	pkt->dev = dev;
	ust_netdev_rx(dev, pkt);
	ust_stack_unlock(p->st);
	return 0;
}

ssize_t ust_pipe_read(struct ust_netdev *dev, void *buf, size_t len)
{
	struct pipe_priv *p = pipe_of(dev);
	struct ust_pkt *pkt;
	ssize_t n;

	if (!p || (!buf && len)) {
		errno = EINVAL;
		return -1;
	}
	ust_stack_lock(p->st);
	pkt = p->head;
	if (!pkt) {
		ust_stack_unlock(p->st);
		return 0;
	}
	if (pkt->len > len) {
		ust_stack_unlock(p->st);
		errno = EMSGSIZE;
		return -1;
	}
	p->head = pkt->next;
	if (!p->head)
		p->tail = NULL;
	p->qlen--;
	memcpy(buf, pkt->data, pkt->len);
	n = (ssize_t)pkt->len;
	ust_pkt_free(pkt);
	ust_stack_unlock(p->st);
	return n;
}

size_t ust_pipe_pending(struct ust_netdev *dev)
{
	struct pipe_priv *p = pipe_of(dev);
	size_t n;

	if (!p)
		return 0;
	ust_stack_lock(p->st);
	n = p->qlen;
	ust_stack_unlock(p->st);
	return n;
}
