/*
 * Initial sequence numbers and timestamp offsets (spec §4, RFC 6528):
 * ISN = SipHash(net_secret; saddr, daddr, sport, dport) + a clock ticking every
 * 64 ns, and a per-address-pair offset added to every TSval, both as Linux's
 * secure_tcp_seq and secure_tcp_ts_off compute them.
 */
#include "tcp/tcp.h"

uint32_t secure_tcp_seq(const struct ust_tcp *tcp, ust_be32 saddr, ust_be32 daddr, ust_be16 sport, ust_be16 dport)
{
	struct {
		ust_be32 saddr, daddr;
		ust_be16 sport, dport;
	} in = { saddr, daddr, sport, dport };
	uint64_t h = ust_siphash(tcp->core->secrets.net_secret, &in, sizeof(in));

	/* The clock term makes a reused 4-tuple start above the old one (seq_scale). */
	return (uint32_t)h + (uint32_t)(tcp->core->now >> 6) + tcp->core->secrets.isn_base;
}

uint32_t secure_tcp_ts_off(const struct ust_tcp *tcp, ust_be32 saddr, ust_be32 daddr)
{
	struct {
		ust_be32 saddr, daddr;
	} in = { saddr, daddr };

	if (tcp->core->sysctl.tcp_timestamps != 1)
		return 0;
	return (uint32_t)ust_siphash(tcp->core->secrets.ts_secret, &in, sizeof(in));
}
