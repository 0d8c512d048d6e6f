/*
 * Descriptors: the lowest free number from UST_FD_BASE, as POSIX gives, found
 * through a bitmap with a hint so that a million open sockets cost a few word
 * scans, not a walk.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "socket/socket.h"

static int grow(struct ust_sockets *s)
{
	uint32_t n = s->nfds ? s->nfds * 2 : 1024;
	struct ust_sock **fds;
	uint64_t *used;

	if (n > s->max_fds)
		n = s->max_fds;
	if (n <= s->nfds)
		return -EMFILE;
	fds = realloc(s->fds, n * sizeof(*fds));
	if (!fds)
		return -ENOMEM;
	s->fds = fds;
	used = realloc(s->used, (n + 63) / 64 * sizeof(*used));
	if (!used)
		return -ENOMEM;
	memset(used + (s->nfds + 63) / 64, 0, ((n + 63) / 64 - (s->nfds + 63) / 64) * sizeof(*used));
	memset(fds + s->nfds, 0, (n - s->nfds) * sizeof(*fds));
	s->used = used;
	if (s->fdep) {
		struct ust_fd_ep *fdep = realloc(s->fdep, n * sizeof(*fdep));

		if (!fdep)
			return -ENOMEM;
		memset(fdep + s->nfds, 0, (n - s->nfds) * sizeof(*fdep));
		s->fdep = fdep;
	}
	s->nfds = n;
	return 0;
}

/* The lowest free slot, marked used; its fds[] entry is the caller's to set. */
static int fd_take(struct ust_sockets *s)
{
	uint32_t words, w;

	for (;;) {
		words = (s->nfds + 63) / 64;
		for (w = s->hint; w < words; w++) {
			uint64_t free_bits = ~s->used[w];
			uint32_t idx;

			if (!free_bits)
				continue;
			idx = w * 64 + (uint32_t)__builtin_ctzll(free_bits);
			if (idx >= s->nfds)
				break;
			s->used[w] |= 1ULL << (idx % 64);
			s->hint = w;
			s->open++;
			return (int)idx;
		}
		int err = grow(s);

		if (err)
			return err;
	}
}

int ust_fd_alloc(struct ust_sockets *s, struct ust_sock *sk)
{
	int idx = fd_take(s);

	if (idx < 0)
		return idx;
	s->fds[idx] = sk;
	sk->fd = idx + UST_FD_BASE;
	return sk->fd;
}

int ust_fd_alloc_ep(struct ust_sockets *s, struct ust_eventpoll *ep)
{
	int idx;

	if (!s->fdep) {
		/* Sized to the table now; grow() keeps it in step from here on. */
		s->fdep = calloc(s->nfds ? s->nfds : 1, sizeof(*s->fdep));
		if (!s->fdep)
			return -ENOMEM;
	}
	idx = fd_take(s);
	if (idx < 0)
		return idx;
	s->fdep[idx].ep = ep;
	return idx + UST_FD_BASE;
}

struct ust_eventpoll *ust_fd_get_ep(struct ust_sockets *s, int fd)
{
	uint32_t idx = (uint32_t)(fd - UST_FD_BASE);

	if (fd < UST_FD_BASE || idx >= s->nfds || !s->fdep)
		return NULL;
	return s->fdep[idx].ep;
}

struct ust_hlist_head *ust_fd_watch(struct ust_sockets *s, int fd)
{
	uint32_t idx = (uint32_t)(fd - UST_FD_BASE);

	if (fd < UST_FD_BASE || idx >= s->nfds || !s->fdep)
		return NULL;
	return &s->fdep[idx].watch;
}

struct ust_sock *ust_fd_get(struct ust_sockets *s, int fd)
{
	uint32_t idx = (uint32_t)(fd - UST_FD_BASE);

	if (fd < UST_FD_BASE || idx >= s->nfds)
		return NULL;
	return s->fds[idx];
}

void ust_fd_release(struct ust_sockets *s, int fd)
{
	uint32_t idx = (uint32_t)(fd - UST_FD_BASE);

	if (fd < UST_FD_BASE || idx >= s->nfds || !(s->used[idx / 64] & (1ULL << (idx % 64))))
		return;
	s->fds[idx] = NULL;
	if (s->fdep)
		s->fdep[idx].ep = NULL;
	s->used[idx / 64] &= ~(1ULL << (idx % 64));
	if (idx / 64 < s->hint)
		s->hint = idx / 64;
	s->open--;
}
