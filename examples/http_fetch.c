/* http_server's in-memory client (http_fetch.h). */
#define _GNU_SOURCE 1
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "http_fetch.h"

#define HEAD_MAX 8192
#define CHUNK 16384
#define MIN(a, b) ((a) < (b) ? (a) : (b))

/* Reads one answer's head into buf (NUL-terminated); its length, or -1. */
static ssize_t read_head(struct ust_stack *st, int fd, char *buf, size_t max)
{
	size_t got = 0;

	while (got + 1 < max) {
		ssize_t r = ust_read(st, fd, buf + got, 1);   /* a byte at a time: stop at the head's end */

		if (r <= 0)
			return -1;
		got++;
		if (got >= 4 && !memcmp(buf + got - 4, "\r\n\r\n", 4)) {
			buf[got] = '\0';
			return (ssize_t)got;
		}
	}
	return -1;
}

static bool fetch_one(struct http_fetcher *cl, int fd, const struct http_fetch *f)
{
	char req[512], head[HEAD_MAX], *status_end, *cl_hdr, hex[crypto_hash_sha256_BYTES * 2 + 1];
	unsigned char digest[crypto_hash_sha256_BYTES], buf[CHUNK];
	crypto_hash_sha256_state sha;
	long long length = -1, left;
	int n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: ustack\r\n\r\n", f->method, f->path);

	if (ex_write_all(cl->st, fd, req, (size_t)n) < 0 || read_head(cl->st, fd, head, sizeof(head)) < 0) {
		printf("%s %s -> no answer\n", f->method, f->path);
		return false;
	}
	status_end = strstr(head, "\r\n");
	*status_end = '\0';
	cl_hdr = strcasestr(status_end + 2, "\r\nContent-Length:");
	if (!cl_hdr && !strncasecmp(status_end + 2, "Content-Length:", 15))
		cl_hdr = status_end;
	if (cl_hdr)
		length = atoll(strchr(cl_hdr + 2, ':') + 1);
	left = strcmp(f->method, "HEAD") ? length : 0;
	crypto_hash_sha256_init(&sha);
	while (left > 0) {
		ssize_t r = ex_read_full(cl->st, fd, buf, (size_t)MIN(left, (long long)sizeof(buf)));

		if (r <= 0)
			break;
		crypto_hash_sha256_update(&sha, buf, (unsigned long long)r);
		left -= r;
	}
	crypto_hash_sha256_final(&sha, digest);
	sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
	printf("%s %s -> %s, %lld bytes, sha256 %s\n", f->method, f->path, head, length, hex);
	return length >= 0 && left == 0;
}

void *http_fetcher_run(void *arg)
{
	struct http_fetcher *cl = arg;
	int fd = sodium_init() < 0 ? -1 : ex_connect("http_server", cl->st, EX_ADDR, cl->port);

	for (int i = 0; fd >= 0 && i < cl->nfetch; i++)
		if (!fetch_one(cl, fd, &cl->fetch[i])) {
			cl->failed++;
			break;
		}
	if (fd < 0)
		cl->failed++;
	else
		ust_close(cl->st, fd);
	fflush(stdout);
	atomic_store(&cl->loop->done, true);
	ust_stack_wakeup(cl->loop->st);
	return NULL;
}

