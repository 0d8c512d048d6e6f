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
	s->nfds = n;
	return 0;
}

int ust_fd_alloc(struct ust_sockets *s, struct ust_sock *sk)
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
			s->fds[idx] = sk;
			s->hint = w;
			s->open++;
			sk->fd = (int)idx + UST_FD_BASE;
			return sk->fd;
		}
		int err = grow(s);

		if (err)
			return err;
	}
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

	if (fd < UST_FD_BASE || idx >= s->nfds || !s->fds[idx])
		return;
	s->fds[idx] = NULL;
	s->used[idx / 64] &= ~(1ULL << (idx % 64));
	if (idx / 64 < s->hint)
		s->hint = idx / 64;
	s->open--;
}
