/*
 * The three tables every TCP packet and socket call goes through (Linux's
 * tcp_hashinfo, inet_hashtables.c):
 *
 *   ehash   4-tuple -> established, SYN_SENT, SYN_RECV sockets, request socks
 *           and TIME_WAIT minisocks. Power-of-two buckets of hash chains; doubles
 *           when it holds more entries than buckets, so lookups stay flat at a
 *           million connections.
 *   bhash   local port -> bind bucket -> the sockets that hold the port.
 *           Indexed directly by port: 65536 slots, no hashing.
 *   lhash2  (local address, port) -> listeners.
 *
 * Lookup order on input (L-2): ehash first; only then listeners, the bucket for
 * (daddr, dport) before (0.0.0.0, dport), so a specific address beats a wildcard.
 * Ports are chosen as Linux 6.x does (spec §3, RFC 6056 algorithm 4).
 *
 * Nothing here sends packets or takes locks: callers own the stack.
 */
#ifndef UST_TCP_INET_HASHTABLES_H
#define UST_TCP_INET_HASHTABLES_H

#include <stdbool.h>
#include <stdint.h>
#include "core/core.h"
#include "core/objpool.h"
#include "tcp/sock.h"

#define INET_LHASH2_SIZE 4096                  /* listener buckets */
#define INET_TABLE_PERTURB_SIZE (1u << 16)     /* port offsets per destination hash */
#define INET_PORT_RESHUFFLE_MS 10000           /* the 10 s time seed of P-3 */
#define INET_EHASH_MIN_BUCKETS 256u
#define INET_EHASH_MAX_BUCKETS (1u << 26)      /* growth cap when max_entries is 0 */
#define INET_BIND_BUCKETS_MAX 65536u           /* one bind bucket per port at most */

/* fastreuseport values (besides 0 and -1) */
#define FASTREUSEPORT_ANY    1   /* every owner has SO_REUSEPORT */
#define FASTREUSEPORT_STRICT 2   /* a socket like fast_* (address, device, reuse) fits */

/*
 * One local port's owners. The fast* fields cache, for the common case, the
 * answer of a full owner scan (API-2), as Linux's fastreuse/fastreuseport do:
 *   fastreuse > 0       every owner had SO_REUSEADDR and was not listening when it
 *                       joined (listen() re-checks and clears it), so a new
 *                       SO_REUSEADDR socket conflicts with none (exemption a);
 *   fastreuseport ANY   every owner has SO_REUSEPORT (exemption b for all);
 *   fastreuseport STRICT  the last SO_REUSEPORT socket that passed the full scan
 *                       had (fast_rcv_saddr, fast_bound_dev_if, fast_reuse) and no
 *                       owner without SO_REUSEPORT has joined since: a reuseport
 *                       socket with the same address and device (and SO_REUSEADDR
 *                       if that one had it) stands exactly where it stood.
 * The cache only ever says "no conflict"; when it cannot, the owners are scanned.
 * Both -1: the bucket was made by connect() (P-4) and may be shared by connects.
 */
struct inet_bind_bucket {
	struct ust_hlist_head owners;   /* ust_sock.sk_bind_node */
	uint32_t num_owners;            /* sockets on owners, and TIME_WAIT minisocks */
	uint32_t tw_count;              /* TIME_WAIT minisocks holding the port */
	uint32_t tw_noreuse;            /* ... of which without SO_REUSEADDR */
	uint16_t port;
	int8_t fastreuse;               /* 1, 0, or -1: made by connect() (P-4) */
	int8_t fastreuseport;           /* ANY, STRICT, 0, or -1: made by connect() */
	uint8_t fast_reuse;             /* STRICT: that socket's SO_REUSEADDR */
	ust_be32 fast_rcv_saddr;        /* STRICT: that socket's address */
	int fast_bound_dev_if;          /* STRICT: that socket's device */
};

struct inet_hashinfo {
	struct ust_core *core;          /* clock, PRNG, secrets, sysctls */
	struct ust_hlist_head *ehash;
	uint32_t ehash_mask;
	uint32_t ehash_count;           /* entries in ehash */
	uint32_t ehash_max_mask;        /* growth stops here */
	struct inet_bind_bucket **bhash;    /* [65536], lazily allocated */
	struct ust_hlist_head *lhash2;      /* [INET_LHASH2_SIZE] */
	uint32_t *table_perturb;            /* [INET_TABLE_PERTURB_SIZE], lazily */
	struct ust_objpool bucket_pool;
};

/* ehash_entries: initial buckets (rounded up to a power of two, at least 256);
 * max_entries: the most buckets it may grow to (rounded up to a power of two; 0 =
 * INET_EHASH_MAX_BUCKETS). 0, -EINVAL or -ENOMEM. */
int inet_hashinfo_init(struct inet_hashinfo *h, struct ust_core *core,
		       uint32_t ehash_entries, uint32_t max_entries);
void inet_hashinfo_destroy(struct inet_hashinfo *h);

/* The keyed 4-tuple hash (P-7). Addresses and fport in network order, lport in
 * host order (inet_num), as they lie in sock_common. */
uint32_t inet_ehashfn(const struct inet_hashinfo *h, ust_be32 laddr, uint16_t lport,
		      ust_be32 faddr, ust_be16 fport);

/* The ehash entry for a segment from saddr:sport to daddr:hnum, or NULL.
 * dif: the incoming device; an entry bound to another device does not match. */
struct sock_common *__inet_lookup_established(const struct inet_hashinfo *h,
					      ust_be32 saddr, ust_be16 sport,
					      ust_be32 daddr, uint16_t hnum, int dif);
/* The best listener for daddr:hnum (specific address, then wildcard; a listener
 * bound to the incoming device beats an unbound one; an SO_REUSEPORT group
 * picks a member by the 4-tuple's hash), or NULL. */
struct ust_sock *__inet_lookup_listener(const struct inet_hashinfo *h,
					ust_be32 saddr, ust_be16 sport,
					ust_be32 daddr, uint16_t hnum, int dif);

/* Adds sk (a ust_sock or request_sock, tuple filled) to ehash and stores its
 * skc_hash. When osk is given, sk takes osk's place in one step (request ->
 * child, H-5) and 0 is returned only if osk was still hashed; otherwise -ENOENT
 * and nothing changes. The caller makes sure the tuple is not already there.
 * Never fails for lack of memory: if growing the table fails it stays its size. */
int inet_ehash_insert(struct inet_hashinfo *h, struct sock_common *sk, struct sock_common *osk);
void inet_ehash_remove(struct inet_hashinfo *h, struct sock_common *sk);

/* Listeners (state TCP_LISTEN): add to / remove from lhash2. inet_unhash also
 * accepts an ehash entry (then it is inet_ehash_remove), as Linux's does; an
 * unhashed socket is left alone. */
void inet_hash(struct inet_hashinfo *h, struct ust_sock *sk);
void inet_unhash(struct inet_hashinfo *h, struct ust_sock *sk);

/* bind(): takes port snum for sk, or an ephemeral one when snum is 0 (API-3),
 * applying the conflict rules of API-2. On success sk->inet_num is set and sk is
 * an owner of the port's bucket. -EADDRINUSE, or -ENOBUFS if no bucket could be
 * allocated; -EINVAL if sk already holds another port (its own port again is the
 * re-check of inet_csk_listen_check_port). */
int inet_csk_get_port(struct inet_hashinfo *h, struct ust_sock *sk, uint16_t snum);
/* listen(): call on every listen() with sk_state already TCP_LISTEN (as
 * inet_csk_listen_start). An unbound sk gets an ephemeral port (API-5); a bound
 * one is re-checked as a listener (API-2) and the bucket's cache updated.
 * 0 or -EADDRINUSE (sk keeps its port then). */
int inet_csk_listen_check_port(struct inet_hashinfo *h, struct ust_sock *sk);
/* Releases sk's port and sets inet_num to 0 (the bucket goes when its last
 * owner does). Unhash sk first. */
void inet_put_port(struct inet_hashinfo *h, struct ust_sock *sk);
/* The child joins its listener's bucket (H-6), right behind the listener. */
void __inet_inherit_port(struct inet_hashinfo *h, struct ust_sock *listener, struct ust_sock *child);

/*
 * The API-2 test over every owner of tb (inet_csk_bind_conflict): true when some
 * owner other than sk keeps sk off the port. relax and reuseport_ok as in Linux:
 * both true for bind() and listen(); false, false for the first autobind pass
 * (any owner whose device and address overlap is a conflict); true, false for the
 * ip_autobind_reuse pass (exemption a only, and not between two SO_REUSEPORT
 * sockets).
 */
bool inet_csk_bind_conflict(const struct inet_bind_bucket *tb, const struct ust_sock *sk,
			    bool relax, bool reuseport_ok);
/* The cached shortcut of bind()/listen(): true when tb's fast* state alone shows
 * sk has no conflict there. Never true where inet_csk_bind_conflict(tb, sk, true,
 * true) is. */
bool inet_csk_bind_fast_ok(const struct inet_bind_bucket *tb, const struct ust_sock *sk);

/*
 * connect(): picks the local port if sk has none (P-2..P-4), checks the 4-tuple
 * is unique (P-1, P-5), makes sk an owner of the port and inserts it into ehash
 * (P-6). sk's daddr, dport and rcv_saddr must be set. 0 or -EADDRNOTAVAIL;
 * -ENOMEM if a table or bucket could not be allocated.
 */
int inet_hash_connect(struct inet_hashinfo *h, struct ust_sock *sk);
/* P-5: 0 when no ehash entry has sk's tuple with local port lport (and a
 * compatible device), else -EADDRNOTAVAIL. A TIME_WAIT entry that
 * tcp_twsk_unique lets go is killed (TWRecycled) and the tuple is free. */
int __inet_check_established(struct inet_hashinfo *h, struct ust_sock *sk, uint16_t lport);

#endif
