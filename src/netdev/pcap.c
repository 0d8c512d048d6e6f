/*
 * pcap tap: libpcap's savefile writer behind ust_pcap_open/write/close.
 *
 * The file is a classic microsecond pcap (what tcpdump -w writes), link type
 * LINKTYPE_ETHERNET for Ethernet-framed devices and LINKTYPE_RAW for IP-framed
 * ones, time-stamped with the stack's clock (virtual or real), so a capture of
 * a virtual-time test shows the exact retransmission intervals.
 *
 * We open the file ourselves and hand it to pcap_dump_fopen: pcap_dump_open
 * reports a failed open only as text in an error buffer, while fopen leaves
 * the precise errno (ENOENT, EACCES, ...) that the public API must return.
 *
 * The stream is flushed when at least FLUSH_NS of stack time has passed since
 * the last flush, and on close, so a capture being read while the stack runs is
 * at most about a second stale without an fflush per packet.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>

#include "netdev/netdev.h"

#define FLUSH_NS 1000000000ULL

struct ust_pcap {
	pcap_t *dead;            /* only carries link type and snaplen for the dumper */
	pcap_dumper_t *dumper;
	uint32_t snaplen;
	uint64_t last_flush_ns;
};

struct ust_pcap *ust_pcap_open(const char *path, enum ust_framing framing, uint32_t snaplen, int *err)
{
	struct ust_pcap *p;
	int linktype;
	FILE *f;
	int e;

	if (!path || (framing != UST_FRAMING_ETH && framing != UST_FRAMING_IP)) {
		e = EINVAL;
		goto fail;
	}
	if (snaplen == 0 || snaplen > 65535)
		snaplen = 65535;
	linktype = framing == UST_FRAMING_ETH ? DLT_EN10MB : DLT_RAW;

	p = calloc(1, sizeof(*p));
	if (!p) {
		e = ENOMEM;
		goto fail;
	}
	p->snaplen = snaplen;
	p->dead = pcap_open_dead(linktype, (int)snaplen);
	if (!p->dead) {
		e = ENOMEM;
		goto fail_free;
	}
	f = fopen(path, "wbe");
	if (!f) {
		e = errno;
		goto fail_dead;
	}
	/* Writes the file header. libpcap closes the stream itself when that
	 * write fails (its only failure for our two link types), so we must not. */
	p->dumper = pcap_dump_fopen(p->dead, f);
	if (!p->dumper) {
		e = EIO;
		goto fail_dead;
	}
	return p;

fail_dead:
	pcap_close(p->dead);
fail_free:
	free(p);
fail:
	if (err)
		*err = -e;
	return NULL;
}

void ust_pcap_write(struct ust_pcap *p, uint64_t ts_ns, const uint8_t *data, uint32_t len)
{
	struct pcap_pkthdr h;

	h.ts.tv_sec = (time_t)(ts_ns / 1000000000ULL);
	h.ts.tv_usec = (suseconds_t)((ts_ns % 1000000000ULL) / 1000ULL);
	h.caplen = UST_MIN(len, p->snaplen);
	h.len = len;
	pcap_dump((u_char *)p->dumper, &h, data);
	/* Unsigned: a clock set backwards also flushes. */
	if (ts_ns - p->last_flush_ns >= FLUSH_NS) {
		pcap_dump_flush(p->dumper);
		p->last_flush_ns = ts_ns;
	}
}

void ust_pcap_close(struct ust_pcap *p)
{
	if (!p)
		return;
	pcap_dump_close(p->dumper);   /* flushes and closes the FILE */
	pcap_close(p->dead);
	free(p);
}
