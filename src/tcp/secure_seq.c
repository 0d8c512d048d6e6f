/*
 * Initial sequence numbers and timestamp offsets (spec §4, RFC 6528), as the
 * newest Linux computes them (secure_tcp_seq_and_ts_off, commit 165573e41f2f
 * "tcp: secure_seq: add back ports to TS offset", 2026, also in the stable
 * trees): ONE keyed 64-bit SipHash(net_secret; saddr, daddr, sport, dport) of
 * the connection's 4-tuple gives both values:
 *  - its low 32 bits + a clock ticking every 64 ns are the ISN (RFC 6528:
 *    ISN = M + F(4-tuple, secret); the same low half as before, so ISNs are
 *    unchanged);
 *  - its high 32 bits are the offset added to every TSval (0 unless
 *    tcp_timestamps == 1).
 * The timestamp offset is therefore per connection (per 4-tuple), keyed and
 * unpredictable, as Linux 4.10 first had it and the newest kernels have it
 * again. Kernels from 4.11 up to that commit used a separate ts_secret and
 * the address pair only (one offset for every connection between two hosts,
 * a leftover of tcp_tw_recycle, which went away in 4.12). A reused 4-tuple
 * (TIME_WAIT reuse, cookie check) gets the same offset again, which is what
 * keeps its timestamps monotonic for PAWS.
 */
#include "tcp/tcp.h"

struct tcp_seq_and_ts_off secure_tcp_seq_and_ts_off(const struct ust_tcp *tcp, ust_be32 saddr, ust_be32 daddr,
						    ust_be16 sport, ust_be16 dport)
{
	struct {
		ust_be32 saddr, daddr;
		ust_be16 sport, dport;
	} in = { saddr, daddr, sport, dport };
	uint64_t h = ust_siphash(tcp->core->secrets.net_secret, &in, sizeof(in));
	struct tcp_seq_and_ts_off st;

	/* The clock term makes a reused 4-tuple start above the old one (seq_scale). */
	st.seq = (uint32_t)h + (uint32_t)(tcp->core->now >> 6) + tcp->core->secrets.isn_base;
	st.ts_off = tcp->core->sysctl.tcp_timestamps == 1 ? (uint32_t)(h >> 32) : 0;
	return st;
}
