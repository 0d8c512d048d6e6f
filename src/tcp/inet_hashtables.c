/*
 * The established, bind and listener tables, and port choice, after Linux's
 * net/ipv4/inet_hashtables.c and the port half of inet_connection_sock.c (the
 * tables themselves are described in inet_hashtables.h).
 *
 * How calls flow through this file:
 *   input    tcp_v4_rcv -> __inet_lookup_established, then __inet_lookup_listener
 *   bind     inet_csk_get_port [-> find_open_port -> scan_ports] -> bind_hash
 *   listen   inet_csk_listen_check_port (re-check, API-5) -> inet_hash
 *   connect  inet_hash_connect [-> connect_port_usable -> __inet_check_established]
 *            -> bind_hash -> inet_ehash_insert
 *   accept   __inet_inherit_port (H-6), inet_ehash_insert(child, req) (H-5)
 *   close    inet_unhash / inet_ehash_remove, then inet_put_port
 *
 * Nothing here locks or sends: the stack's one thread owns the tables (DESIGN
 * rule 4), so Linux's RCU lookups and lock-and-recheck steps become plain walks.
 * Every process-wide choice Linux makes per netns is per inet_hashinfo here.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/compiler.h"
#include "tcp/inet_hashtables.h"
#include "tcp/tcp.h"

#define BUCKETS_PER_SLAB 256

static uint32_t roundup_pow2(uint32_t v)
{
	uint32_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

int inet_hashinfo_init(struct inet_hashinfo *h, struct ust_core *core,
		       uint32_t ehash_entries, uint32_t max_entries)
{
	uint32_t size, max;

	memset(h, 0, sizeof(*h));
	if (!core)
		return -EINVAL;
	h->core = core;
	size = UST_MAX(ehash_entries, INET_EHASH_MIN_BUCKETS);
	size = roundup_pow2(UST_MIN(size, INET_EHASH_MAX_BUCKETS));
	max = max_entries ? UST_MIN(max_entries, INET_EHASH_MAX_BUCKETS) : INET_EHASH_MAX_BUCKETS;
	max = UST_MAX(roundup_pow2(max), size);
	h->ehash_mask = size - 1;
	h->ehash_max_mask = max - 1;
	h->ehash = calloc(size, sizeof(*h->ehash));
	h->lhash2 = calloc(INET_LHASH2_SIZE, sizeof(*h->lhash2));
	/* One bucket per port at most, so the pool's cap is exact. */
	if (!h->ehash || !h->lhash2 ||
	    ust_objpool_init(&h->bucket_pool, sizeof(struct inet_bind_bucket),
			     BUCKETS_PER_SLAB, INET_BIND_BUCKETS_MAX)) {
		free(h->ehash);
		free(h->lhash2);
		memset(h, 0, sizeof(*h));
		return -ENOMEM;
	}
	return 0;
}

void inet_hashinfo_destroy(struct inet_hashinfo *h)
{
	free(h->ehash);
	free(h->lhash2);
	free(h->bhash);
	free(h->table_perturb);
	ust_objpool_destroy(&h->bucket_pool);
	memset(h, 0, sizeof(*h));
}

/* ---- ehash: 4-tuple -> connection (P-7, L-2) ---------------------------- */

/* inet_ehashfn: one keyed mix of the two addresses and the two ports. */
uint32_t inet_ehashfn(const struct inet_hashinfo *h, ust_be32 laddr, uint16_t lport,
		      ust_be32 faddr, ust_be16 fport)
{
	return ust_hash_3words(laddr, faddr, (uint32_t)lport << 16 | fport,
			       h->core->secrets.hash_seed);
}

/*
 * inet_match: the stored hash first (cheap reject on a shared chain), then the
 * address pair and port pair each in one compare. An entry bound to a device
 * only matches segments from that device; an unbound one matches any.
 */
static inline bool ehash_match(const struct sock_common *c, uint32_t hash, uint64_t addrpair,
			       uint32_t portpair, int dif)
{
	return c->skc_hash == hash && c->skc_addrpair == addrpair &&
	       c->skc_portpair == portpair &&
	       (!c->skc_bound_dev_if || c->skc_bound_dev_if == dif);
}

/* saddr:sport is the peer (the entry's daddr:dport), daddr:hnum is us. */
struct sock_common *__inet_lookup_established(const struct inet_hashinfo *h,
					      ust_be32 saddr, ust_be16 sport,
					      ust_be32 daddr, uint16_t hnum, int dif)
{
	uint32_t hash = inet_ehashfn(h, daddr, hnum, saddr, sport);
	uint64_t addrpair = inet_addrpair(saddr, daddr);
	uint32_t portpair = inet_portpair(sport, hnum);
	struct ust_hlist_node *n;

	ust_hlist_for_each(n, &h->ehash[hash & h->ehash_mask]) {
		struct sock_common *c = container_of(n, struct sock_common, skc_node);

		if (ehash_match(c, hash, addrpair, portpair, dif))
			return c;
	}
	return NULL;
}

/*
 * Doubles ehash and re-links every entry by its stored skc_hash, so no hash is
 * recomputed. Linux sizes ehash once at boot; ustack starts small and grows, so
 * a chain stays about one entry long at any population. The doubling walks every
 * entry once (amortised O(1) per insert). If the new array cannot be had the
 * table keeps its size: lookups get slower, inserts never fail for it.
 */
static void ehash_grow(struct inet_hashinfo *h)
{
	uint32_t old_size = h->ehash_mask + 1;
	uint32_t new_mask = old_size * 2 - 1;
	struct ust_hlist_head *nt = calloc((size_t)old_size * 2, sizeof(*nt));

	if (!nt)
		return;
	for (uint32_t b = 0; b < old_size; b++) {
		struct ust_hlist_node *n, *tmp;

		ust_hlist_for_each_safe(n, tmp, &h->ehash[b]) {
			struct sock_common *c = container_of(n, struct sock_common, skc_node);

			ust_hlist_add_head(&nt[c->skc_hash & new_mask], n);
		}
	}
	free(h->ehash);
	h->ehash = nt;
	h->ehash_mask = new_mask;
}

/* inet_ehash_insert; with osk, the request -> child swap of H-5 step 2. */
int inet_ehash_insert(struct inet_hashinfo *h, struct sock_common *sk, struct sock_common *osk)
{
	uint32_t hash;

	/* The request was already replaced or dropped (tcp_check_req lost the
	 * race): the caller drops its child and re-looks the segment up. */
	if (osk && ust_hlist_unhashed(&osk->skc_node))
		return -ENOENT;
	hash = inet_ehashfn(h, sk->skc_rcv_saddr, sk->skc_num, sk->skc_daddr, sk->skc_dport);
	sk->skc_hash = hash;
	if (osk) {
		if (osk->skc_hash == hash) {
			ust_hlist_replace(&osk->skc_node, &sk->skc_node);
		} else {
			ust_hlist_del(&osk->skc_node);
			ust_hlist_add_head(&h->ehash[hash & h->ehash_mask], &sk->skc_node);
		}
		return 0;
	}
	ust_hlist_add_head(&h->ehash[hash & h->ehash_mask], &sk->skc_node);
	if (++h->ehash_count > h->ehash_mask + 1 && h->ehash_mask < h->ehash_max_mask)
		ehash_grow(h);
	return 0;
}

void inet_ehash_remove(struct inet_hashinfo *h, struct sock_common *sk)
{
	if (ust_hlist_unhashed(&sk->skc_node))
		return;
	ust_hlist_del(&sk->skc_node);
	h->ehash_count--;
}

/* ---- lhash2: (address, port) -> listeners (L-2) ------------------------- */

/* ipv4_portaddr_hash: a listener's bucket depends on its address and port. */
static struct ust_hlist_head *lhash2_bucket(const struct inet_hashinfo *h, ust_be32 addr,
					    uint16_t port)
{
	uint32_t hash = ust_hash_2words(addr, port, h->core->secrets.hash_seed);

	return &h->lhash2[hash & (INET_LHASH2_SIZE - 1)];
}

/*
 * Whether node n hangs off an lhash2 head. skc_node is shared by ehash and
 * lhash2, so walk back through pprev to the chain's head: each pprev points at
 * either a head or the previous node's next field, which is that node's first
 * member. This needs no state field and does not trust inet_num.
 */
static bool on_lhash2(const struct inet_hashinfo *h, const struct ust_hlist_node *n)
{
	uintptr_t llo = (uintptr_t)h->lhash2;
	uintptr_t lhi = (uintptr_t)(h->lhash2 + INET_LHASH2_SIZE);
	uintptr_t elo = (uintptr_t)h->ehash;
	uintptr_t ehi = (uintptr_t)(h->ehash + h->ehash_mask + 1);
	struct ust_hlist_node **pp = n->pprev;

	for (;;) {
		uintptr_t p = (uintptr_t)pp;

		if (p >= llo && p < lhi)
			return true;
		if (p >= elo && p < ehi)
			return false;
		pp = ((struct ust_hlist_node *)pp)->pprev;
	}
}

/*
 * __inet_hash for a listener. Appended, not pushed, so a bucket lists its
 * listeners in the order they were hashed: the SO_REUSEPORT pick below counts
 * group members in that order.
 */
void inet_hash(struct inet_hashinfo *h, struct ust_sock *sk)
{
	struct ust_hlist_node *n = &sk->sk_common.skc_node;
	struct ust_hlist_node **pp;

	if (!ust_hlist_unhashed(n))
		return;
	pp = &lhash2_bucket(h, sk->inet_rcv_saddr, sk->inet_num)->first;
	while (*pp)
		pp = &(*pp)->next;
	n->next = NULL;
	n->pprev = pp;
	*pp = n;
}

void inet_unhash(struct inet_hashinfo *h, struct ust_sock *sk)
{
	struct ust_hlist_node *n = &sk->sk_common.skc_node;

	if (ust_hlist_unhashed(n))
		return;
	if (!on_lhash2(h, n)) {
		inet_ehash_remove(h, &sk->sk_common);
		return;
	}
	ust_hlist_del(n);
}

/*
 * compute_score: -1 unless sk listens on exactly addr:hnum (the bucket is
 * shared by other addresses and ports) and, if bound to a device, that device
 * is dif. A device-bound listener scores higher than an unbound one. Linux's
 * other terms are constant here: every socket is AF_INET, and one thread runs
 * the stack, so there is no last-CPU bonus.
 */
static int compute_score(const struct ust_sock *sk, ust_be32 addr, uint16_t hnum, int dif)
{
	int score = 1;

	if (sk->sk_state != TCP_LISTEN || sk->inet_num != hnum || sk->inet_rcv_saddr != addr)
		return -1;
	if (sk->sk_bound_dev_if) {
		if (sk->sk_bound_dev_if != dif)
			return -1;
		score++;
	}
	return score;
}

/*
 * inet_lhash2_lookup over the bucket of addr:hnum. The first listener with the
 * best score wins; if it has SO_REUSEPORT, the winner is instead one of the
 * SO_REUSEPORT listeners with that best score (its group: same address, port
 * and device), chosen as inet_ehashfn(4-tuple) modulo the group's size, members
 * counted in the order they were hashed. Linux's reuseport_select_sock also
 * picks by the 4-tuple's ehash hash (it scales instead of taking the modulus);
 * for a given group a given tuple always lands on the same member.
 */
static struct ust_sock *lhash2_lookup(const struct inet_hashinfo *h, ust_be32 saddr,
				      ust_be16 sport, ust_be32 daddr, ust_be32 addr,
				      uint16_t hnum, int dif)
{
	struct ust_hlist_head *head = lhash2_bucket(h, addr, hnum);
	struct ust_sock *best = NULL;
	struct ust_hlist_node *n;
	uint32_t nr_reuse = 0, pick;
	int hiscore = -1;

	ust_hlist_for_each(n, head) {
		struct ust_sock *sk = sk_from_common(container_of(n, struct sock_common, skc_node));
		int score = compute_score(sk, addr, hnum, dif);

		if (score < 0 || score < hiscore)
			continue;
		if (score > hiscore) {
			best = sk;
			hiscore = score;
			nr_reuse = 0;
		}
		if (sk->sk_reuseport)
			nr_reuse++;
	}
	if (!best || !best->sk_reuseport || nr_reuse < 2)
		return best;
	pick = inet_ehashfn(h, daddr, hnum, saddr, sport) % nr_reuse;
	ust_hlist_for_each(n, head) {
		struct ust_sock *sk = sk_from_common(container_of(n, struct sock_common, skc_node));

		if (sk->sk_reuseport && compute_score(sk, addr, hnum, dif) == hiscore && pick-- == 0)
			return sk;
	}
	return best;
}

/* L-2: the (daddr, hnum) bucket, then (0.0.0.0, hnum); a specific listener
 * always beats a wildcard one, whatever their scores. */
struct ust_sock *__inet_lookup_listener(const struct inet_hashinfo *h,
					ust_be32 saddr, ust_be16 sport,
					ust_be32 daddr, uint16_t hnum, int dif)
{
	struct ust_sock *sk = lhash2_lookup(h, saddr, sport, daddr, daddr, hnum, dif);

	if (sk || !daddr)
		return sk;
	return lhash2_lookup(h, saddr, sport, daddr, 0, hnum, dif);
}

/* ---- bhash: port -> owners, and the bind() rules (API-2, API-3) --------- */

static int bhash_alloc(struct inet_hashinfo *h)
{
	if (!h->bhash)
		h->bhash = calloc(65536, sizeof(*h->bhash));
	return h->bhash ? 0 : -ENOMEM;
}

/* inet_bind_bucket_create: an empty bucket, fast* zero (the caller sets them). */
static struct inet_bind_bucket *bucket_create(struct inet_hashinfo *h, uint16_t port)
{
	struct inet_bind_bucket *tb = ust_objpool_alloc(&h->bucket_pool);

	if (!tb)
		return NULL;
	tb->port = port;
	h->bhash[port] = tb;
	return tb;
}

/* inet_bind_hash: sk becomes an owner of tb's port. */
static void bind_hash(struct inet_bind_bucket *tb, struct ust_sock *sk)
{
	ust_hlist_add_head(&tb->owners, &sk->sk_bind_node);
	tb->num_owners++;
	sk->icsk_bind_hash = tb;
	sk->inet_num = tb->port;
}

/* Links n right after prev (Linux's hlist_add_behind). */
static void hlist_add_behind(struct ust_hlist_node *n, struct ust_hlist_node *prev)
{
	n->next = prev->next;
	prev->next = n;
	n->pprev = &prev->next;
	if (n->next)
		n->next->pprev = &n->next;
}

/*
 * inet_bind_conflict for one owner sk2 (API-2). Only owners whose device and
 * address overlap sk's matter. Then exemption (a), both SO_REUSEADDR with sk2
 * not listening, holds only when relax; on the relaxed autobind pass
 * (!reuseport_ok) not between two SO_REUSEPORT sockets, so autobind never joins
 * a reuseport group. Exemption (b), both SO_REUSEPORT, holds only when
 * reuseport_ok; its "same effective UID, or sk2 in TIME_WAIT" part is always
 * true in ustack, where every socket belongs to the one process.
 */
static bool owner_conflict(const struct ust_sock *sk, const struct ust_sock *sk2,
			   bool relax, bool reuseport_ok)
{
	int dev = sk->sk_bound_dev_if, dev2 = sk2->sk_bound_dev_if;
	ust_be32 addr = sk->inet_rcv_saddr, addr2 = sk2->inet_rcv_saddr;

	if (sk == sk2)
		return false;
	if (dev && dev2 && dev != dev2)
		return false;
	if (addr && addr2 && addr != addr2)
		return false;
	if (sk->sk_reuse && sk2->sk_reuse && sk2->sk_state != TCP_LISTEN)
		return !relax || (!reuseport_ok && sk->sk_reuseport && sk2->sk_reuseport);
	return !(reuseport_ok && sk->sk_reuseport && sk2->sk_reuseport);
}

/*
 * TIME_WAIT minisocks on the port are owners too (Linux keeps them on the
 * owners list, in state TIME_WAIT, never listening). They are only counted
 * here, so each is taken to overlap sk's address and device: exemption (a)
 * holds when sk and every one of them have SO_REUSEADDR.
 */
static bool tw_conflict(const struct inet_bind_bucket *tb, const struct ust_sock *sk, bool relax)
{
	if (!tb->tw_count)
		return false;
	return !relax || !sk->sk_reuse || tb->tw_noreuse;
}

bool inet_csk_bind_conflict(const struct inet_bind_bucket *tb, const struct ust_sock *sk,
			    bool relax, bool reuseport_ok)
{
	const struct ust_hlist_node *n;

	if (tw_conflict(tb, sk, relax))
		return true;

	for (n = tb->owners.first; n; n = n->next) {
		const struct ust_sock *sk2 = container_of(n, struct ust_sock, sk_bind_node);

		if (owner_conflict(sk, sk2, relax, reuseport_ok))
			return true;
	}
	return false;
}

/* sk_reuseport_match: see struct inet_bind_bucket for what ANY and STRICT
 * promise; the STRICT socket's SO_REUSEADDR matters because exemption (a) may
 * have been what let it in. */
static bool sk_reuseport_match(const struct inet_bind_bucket *tb, const struct ust_sock *sk)
{
	if (tb->fastreuseport <= 0 || !sk->sk_reuseport)
		return false;
	if (tb->fastreuseport == FASTREUSEPORT_ANY)
		return true;
	return sk->inet_rcv_saddr == tb->fast_rcv_saddr &&
	       sk->sk_bound_dev_if == tb->fast_bound_dev_if &&
	       (sk->sk_reuse || !tb->fast_reuse);
}

/* The fast path of inet_csk_get_port: no owner scan needed. */
bool inet_csk_bind_fast_ok(const struct inet_bind_bucket *tb, const struct ust_sock *sk)
{
	bool reuse = sk->sk_reuse && sk->sk_state != TCP_LISTEN;

	return (tb->fastreuse > 0 && reuse) || sk_reuseport_match(tb, sk);
}

/*
 * inet_csk_update_fastreuse: sk has passed the conflict test for tb (or is
 * joining it). A bucket sk has to itself takes sk's flags; otherwise each flag
 * can only fall, except that an SO_REUSEPORT socket the cache did not cover
 * becomes the new STRICT reference. A connect-owned bucket a bind() joins stops
 * being connect-owned (P-4: connect never shares a bind() port).
 */
static void update_fastreuse(struct inet_bind_bucket *tb, const struct ust_sock *sk)
{
	bool reuse = sk->sk_reuse && sk->sk_state != TCP_LISTEN;
	bool alone = !tb->num_owners || (tb->num_owners == 1 && sk->icsk_bind_hash == tb);

	if (alone) {
		tb->fastreuse = reuse;
		tb->fastreuseport = sk->sk_reuseport ? FASTREUSEPORT_ANY : 0;
		return;
	}
	if (!reuse || tb->fastreuse < 0)
		tb->fastreuse = 0;
	if (!sk->sk_reuseport) {
		tb->fastreuseport = 0;
	} else if (!sk_reuseport_match(tb, sk)) {
		tb->fastreuseport = FASTREUSEPORT_STRICT;
		tb->fast_rcv_saddr = sk->inet_rcv_saddr;
		tb->fast_bound_dev_if = sk->sk_bound_dev_if;
		tb->fast_reuse = sk->sk_reuse;
	}
}

/*
 * One autobind sweep of [low, high) (inet_csk_find_open_port): ports odd
 * relative to low first, then even, each pass from a random point and wrapping
 * as Linux wraps (port - remaining). connect() starts on low's parity (P-3), so
 * bind() starts on the other and the two crowd each other less. A port is
 * taken if it has no bucket or no owner conflicts (never with SO_REUSEPORT's
 * exemption, and exemption (a) only on the relaxed pass).
 */
static bool scan_ports(struct inet_hashinfo *h, const struct ust_sock *sk, uint32_t low,
		       uint32_t high, bool relax, uint16_t *portp, struct inet_bind_bucket **tbp)
{
	uint32_t remaining = high - low;
	uint32_t offset;

	if (remaining > 1)
		remaining &= ~1u;
	offset = ust_rng_below(&h->core->rng, remaining) | 1u;
	for (int pass = 0; pass < 2; pass++, offset--) {
		for (uint32_t i = 0; i < remaining; i += 2) {
			uint32_t port = low + offset + i;
			struct inet_bind_bucket *tb;

			if (port >= high)
				port -= remaining;
			tb = h->bhash[port];
			if (!tb || !inet_csk_bind_conflict(tb, sk, relax, false)) {
				*portp = (uint16_t)port;
				*tbp = tb;
				return true;
			}
		}
	}
	return false;
}

/*
 * API-3. An SO_REUSEADDR socket sweeps the lower half of ip_local_port_range
 * first, then the upper half (Linux's attempt_half). With ip_autobind_reuse=1
 * a second, relaxed round may share a port with SO_REUSEADDR owners.
 * Note: as in Linux, a port whose owners do not overlap sk (other specific
 * addresses or devices) is free here; "busy" means busy for sk.
 */
static int find_open_port(struct inet_hashinfo *h, const struct ust_sock *sk,
			  uint16_t *portp, struct inet_bind_bucket **tbp)
{
	const int *range = h->core->sysctl.ip_local_port_range;
	uint32_t low = (uint32_t)range[0], high = (uint32_t)range[1] + 1;
	bool relax = false;

	for (;;) {
		if (sk->sk_reuse && high - low >= 4) {
			uint32_t half = low + (((high - low) >> 2) << 1);

			if (scan_ports(h, sk, low, half, relax, portp, tbp) ||
			    scan_ports(h, sk, half, high, relax, portp, tbp))
				return 0;
		} else if (scan_ports(h, sk, low, high, relax, portp, tbp)) {
			return 0;
		}
		if (relax || !h->core->sysctl.ip_autobind_reuse)
			return -EADDRINUSE;
		relax = true;
	}
}

/* inet_csk_get_port for a socket that already owns its port: listen()'s
 * re-validation (API-5), now that sk is a listener. */
static int recheck_port(struct ust_sock *sk)
{
	struct inet_bind_bucket *tb = sk->icsk_bind_hash;

	if (!inet_csk_bind_fast_ok(tb, sk) && inet_csk_bind_conflict(tb, sk, true, true))
		return -EADDRINUSE;
	update_fastreuse(tb, sk);
	return 0;
}

int inet_csk_get_port(struct inet_hashinfo *h, struct ust_sock *sk, uint16_t snum)
{
	struct inet_bind_bucket *tb;
	uint16_t port = snum;
	int err;

	if (sk->icsk_bind_hash)
		return snum == sk->inet_num ? recheck_port(sk) : -EINVAL;
	if (bhash_alloc(h))
		return -ENOBUFS;
	if (!snum) {
		err = find_open_port(h, sk, &port, &tb);
		if (err)
			return err;
	} else {
		/* A bucket always has owners: it dies with its last one. */
		tb = h->bhash[snum];
		if (tb && !inet_csk_bind_fast_ok(tb, sk) && inet_csk_bind_conflict(tb, sk, true, true))
			return -EADDRINUSE;
	}
	if (!tb) {
		tb = bucket_create(h, port);
		if (!tb)
			return -ENOBUFS;
	}
	update_fastreuse(tb, sk);
	bind_hash(tb, sk);
	return 0;
}

/* inet_csk_listen_start's get_port call. */
int inet_csk_listen_check_port(struct inet_hashinfo *h, struct ust_sock *sk)
{
	if (!sk->icsk_bind_hash)
		return inet_csk_get_port(h, sk, 0);
	return recheck_port(sk);
}

/* __inet_put_port */
void inet_put_port(struct inet_hashinfo *h, struct ust_sock *sk)
{
	struct inet_bind_bucket *tb = sk->icsk_bind_hash;

	if (!tb)
		return;
	ust_hlist_del(&sk->sk_bind_node);
	sk->icsk_bind_hash = NULL;
	sk->inet_num = 0;
	if (--tb->num_owners)
		return;
	h->bhash[tb->port] = NULL;
	ust_objpool_free(&h->bucket_pool, tb);
}

/*
 * H-6. The child goes right behind its listener rather than at the head, so a
 * bind() that conflicts with the listener meets it before its (possibly
 * thousands of) children. The cache is lowered, never raised, so it stays
 * sound without a scan (Linux leaves it as is: a child has its listener's flags
 * and is never listening).
 */
void __inet_inherit_port(struct inet_hashinfo *h, struct ust_sock *listener, struct ust_sock *child)
{
	struct inet_bind_bucket *tb = listener->icsk_bind_hash;

	(void)h;
	if (!tb || child->icsk_bind_hash)
		return;
	hlist_add_behind(&child->sk_bind_node, &listener->sk_bind_node);
	tb->num_owners++;
	child->icsk_bind_hash = tb;
	child->inet_num = tb->port;
	if (tb->fastreuse > 0 && !(child->sk_reuse && child->sk_state != TCP_LISTEN))
		tb->fastreuse = 0;
	if (tb->fastreuseport > 0 && !child->sk_reuseport)
		tb->fastreuseport = 0;
}

/* ---- connect(): port choice and 4-tuple uniqueness (P-1..P-6) ----------- */

static int perturb_alloc(struct inet_hashinfo *h)
{
	if (h->table_perturb)
		return 0;
	h->table_perturb = malloc(INET_TABLE_PERTURB_SIZE * sizeof(*h->table_perturb));
	if (!h->table_perturb)
		return -ENOMEM;
	for (uint32_t i = 0; i < INET_TABLE_PERTURB_SIZE; i++)
		h->table_perturb[i] = ust_rng_u32(&h->core->rng);
	return 0;
}

/* P-3: secure_ipv4_port_ephemeral, SipHash-2-4 over the destination with a
 * time seed that changes every 10 s. */
static uint64_t port_offset(const struct inet_hashinfo *h, const struct ust_sock *sk)
{
	uint32_t in[4] = {
		sk->inet_rcv_saddr, sk->inet_daddr, sk->inet_dport,
		(uint32_t)(h->core->now / 1000000u / INET_PORT_RESHUFFLE_MS),
	};

	return ust_siphash(h->core->secrets.net_secret, in, sizeof(in));
}

/*
 * P-5. A connection from rcv_saddr:lport to daddr:dport would receive exactly
 * the segments __inet_lookup_established maps to an existing entry, on sk's
 * own device (or any, if that entry is unbound). A TIME_WAIT entry may give
 * the tuple up (tcp_twsk_unique; bound: the port is the user's, Linux's NULL
 * twp); it is then killed here (TWRecycled) before sk takes its place.
 */
static int check_established(struct inet_hashinfo *h, struct ust_sock *sk, uint16_t lport, bool bound)
{
	struct sock_common *c = __inet_lookup_established(h, sk->inet_daddr, sk->inet_dport,
							 sk->inet_rcv_saddr, lport,
							 sk->sk_bound_dev_if);

	if (!c || c == &sk->sk_common)
		return 0;
	if (c->skc_state == TCP_TIME_WAIT && tcp_twsk_unique(sk, tw_from_common(c), bound)) {
		/* TIME_WAIT entries only ever live in a TCP layer's table. */
		struct ust_tcp *tcp = container_of(h, struct ust_tcp, hashinfo);

		UST_INC_STATS(h->core, LINUX_MIB_TIMEWAITRECYCLED);
		inet_twsk_kill(tcp, tw_from_common(c));
		return 0;
	}
	return -EADDRNOTAVAIL;
}

int __inet_check_established(struct inet_hashinfo *h, struct ust_sock *sk, uint16_t lport)
{
	return check_established(h, sk, lport, false);
}

/* P-1: the port is the user's; only the tuple is checked. A socket that is the
 * only owner of its port cannot share its tuple with anyone (every ehash entry
 * holds its port through a bucket), so it skips the lookup, as Linux does. */
static int connect_bound(struct inet_hashinfo *h, struct ust_sock *sk)
{
	const struct inet_bind_bucket *tb = sk->icsk_bind_hash;

	if (!(tb && tb->num_owners == 1) && check_established(h, sk, sk->inet_num, true))
		return -EADDRNOTAVAIL;
	return inet_ehash_insert(h, &sk->sk_common, NULL);
}

/* P-4 for one port: free, or made by connect() and the tuple is unique. */
static bool connect_port_usable(struct inet_hashinfo *h, struct ust_sock *sk, uint16_t port)
{
	const struct inet_bind_bucket *tb = h->bhash[port];

	if (!tb)
		return true;
	if (tb->fastreuse >= 0 || tb->fastreuseport >= 0)
		return false;   /* made by bind(): never shared with connect() */
	return __inet_check_established(h, sk, port) == 0;
}

/* __inet_hash_connect (RFC 6056 algorithm 4 as Linux >= 5.19 runs it). */
int inet_hash_connect(struct inet_hashinfo *h, struct ust_sock *sk)
{
	const int *range = h->core->sysctl.ip_local_port_range;
	uint32_t low = (uint32_t)range[0], high = (uint32_t)range[1] + 1;
	uint32_t remaining = high - low, index, offset, jitter, i = 0, port = 0;
	struct inet_bind_bucket *tb;
	uint64_t hash;

	if (sk->inet_num)
		return connect_bound(h, sk);
	if (bhash_alloc(h) || perturb_alloc(h))
		return -ENOMEM;
	if (remaining > 1)
		remaining &= ~1u;   /* P-2: step 2 */
	hash = port_offset(h, sk);
	index = (uint32_t)hash & (INET_TABLE_PERTURB_SIZE - 1);
	offset = (h->table_perturb[index] + (uint32_t)(hash >> 32)) % remaining;
	offset &= ~1u;          /* P-3: the first pass keeps low's parity */
	for (int pass = 0; pass < 2; pass++, offset++) {
		for (i = 0; i < remaining; i += 2) {
			port = low + offset + i;
			if (port >= high)
				port -= remaining;
			if (connect_port_usable(h, sk, (uint16_t)port))
				goto found;
		}
		if (remaining <= 1)
			break;
	}
	return -EADDRNOTAVAIL;

found:
	tb = h->bhash[port];
	if (!tb) {
		tb = bucket_create(h, (uint16_t)port);
		if (!tb)
			return -ENOMEM;
		tb->fastreuse = -1;   /* connect-owned (P-4) */
		tb->fastreuseport = -1;
	}
	/* P-4: the next connect to this destination starts a little further on:
	 * by the ports just skipped, or a random 0..14 when few were. */
	jitter = 2 * ust_rng_below(&h->core->rng, 8);
	h->table_perturb[index] += UST_MAX(i, jitter) + 2;
	bind_hash(tb, sk);
	return inet_ehash_insert(h, &sk->sk_common, NULL);   /* P-6 */
}
