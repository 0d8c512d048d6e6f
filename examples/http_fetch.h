/*
 * http_server's in-memory client: fetches each request in order over one
 * persistent connection from the peer stack and prints, per request,
 * `METHOD PATH -> STATUS-LINE, N bytes, sha256 HEX`; then tells the server's
 * loop to stop.
 */
#ifndef UST_EXAMPLES_HTTP_FETCH_H
#define UST_EXAMPLES_HTTP_FETCH_H

#include "common.h"

#define HTTP_MAX_FETCH 64

struct http_fetch {
	const char *method, *path;
};

struct http_fetcher {
	struct ust_stack *st;         /* the client's stack */
	int port;
	struct ex_loop *loop;         /* the server's, set done at the end */
	int nfetch, failed;
	struct http_fetch fetch[HTTP_MAX_FETCH];
	pthread_t t;
};

/* A thread body: arg is a struct http_fetcher. */
void *http_fetcher_run(void *arg);

#endif
