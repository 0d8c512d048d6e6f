/* pcap tap (src/netdev/pcap.c) through ust_netdev_pcap_open: a handshake over a
 * memlink, read back with libpcap and checked by tshark when it is installed. */
#include <errno.h>
#include <pcap/pcap.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "netdev/netdev.h"

#define NS_PER_S 1000000000ULL

struct fx {
	struct ust_core ca, cb;
	struct ust_netdev *a, *b;
};

struct frame {
	uint8_t b[128];
	uint32_t len;
};

static struct fx *fx_new(enum ust_framing framing)
{
	struct ust_memlink_config cfg;
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(ust_pktpool_init(&f->ca.pool, 0, 64), 0);
	assert_int_equal(ust_pktpool_init(&f->cb.pool, 0, 64), 0);
	ust_memlink_config_init(&cfg);
	cfg.framing = framing;
	assert_int_equal(ust_memlink_pair(&f->ca, &f->cb, &cfg, &f->a, &f->b), 0);
	return f;
}

static void fx_free(struct fx *f)
{
	ust_netdev_destroy(f->a);
	ust_netdev_destroy(f->b);
	free(f->a);
	free(f->b);
	ust_pktpool_destroy(&f->ca.pool);
	ust_pktpool_destroy(&f->cb.pool);
	free(f);
}

/* --- hand-built frames --------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* RFC 1071 one's-complement sum, folded, not inverted. */
static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

#define TCP_SYN 0x02
#define TCP_ACK 0x10

/* IPv4 + TCP (with an MSS option on SYNs), checksums filled in, preceded by an
 * Ethernet header when eth is set. Returns the frame length. */
static uint32_t build_tcp(struct frame *fr, int eth, const uint8_t *src_mac, const uint8_t *dst_mac,
			  uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport,
			  uint32_t seq, uint32_t ack, uint8_t flags)
{
	uint8_t *ip = fr->b + (eth ? UST_ETH_HLEN : 0);
	uint8_t *tcp = ip + 20;
	uint8_t pseudo[12];
	uint32_t tcplen = (flags & TCP_SYN) ? 24 : 20;
	uint32_t sum;

	memset(fr->b, 0, sizeof(fr->b));
	if (eth) {
		memcpy(fr->b, dst_mac, 6);
		memcpy(fr->b + 6, src_mac, 6);
		put16(fr->b + 12, 0x0800);
	}
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + tcplen));
	put16(ip + 4, 0x1234);
	put16(ip + 6, 0x4000);            /* DF */
	ip[8] = 64;
	ip[9] = 6;
	put32(ip + 12, saddr);
	put32(ip + 16, daddr);
	put16(ip + 10, (uint16_t)~sum16(0, ip, 20));

	put16(tcp, sport);
	put16(tcp + 2, dport);
	put32(tcp + 4, seq);
	put32(tcp + 8, ack);
	tcp[12] = (uint8_t)((tcplen / 4) << 4);
	tcp[13] = flags;
	put16(tcp + 14, 64240);
	if (flags & TCP_SYN) {
		tcp[20] = 2;                  /* MSS 1460 */
		tcp[21] = 4;
		put16(tcp + 22, 1460);
	}
	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = 6;
	put16(pseudo + 10, (uint16_t)tcplen);
	sum = sum16(sum16(0, pseudo, sizeof(pseudo)), tcp, tcplen);
	put16(tcp + 16, (uint16_t)~sum);

	fr->len = (uint32_t)(ip - fr->b) + 20 + tcplen;
	return fr->len;
}

static void xmit_frame(struct ust_netdev *dev, const struct frame *fr)
{
	struct ust_pkt *pkt = ust_pkt_alloc(&dev->core->pool);

	assert_non_null(pkt);
	memcpy(ust_pkt_put(pkt, fr->len), fr->b, fr->len);
	assert_int_equal(ust_netdev_xmit(dev, pkt), 0);
}

#define A_ADDR 0x0a000001u   /* 10.0.0.1 */
#define B_ADDR 0x0a000002u   /* 10.0.0.2 */

/* a -> SYN, b -> SYN-ACK, a -> ACK, with a's capture open. Returns the three
 * frames as a sees them and their capture times in ns. */
static void handshake(struct fx *f, int eth, struct frame fr[3], uint64_t ts[3])
{
	/* a sends the SYN at 1.000001 s. */
	ts[0] = 1 * NS_PER_S + 1000;
	f->ca.now = ts[0];
	build_tcp(&fr[0], eth, f->a->mac, f->b->mac, A_ADDR, B_ADDR, 40000, 80, 1000, 0, TCP_SYN);
	xmit_frame(f->a, &fr[0]);

	/* b takes it in (no handler: dropped after counting) and answers. */
	f->cb.now = 1 * NS_PER_S + 400000;
	assert_int_equal(f->b->ops->poll(f->b, 8), 1);
	build_tcp(&fr[1], eth, f->b->mac, f->a->mac, B_ADDR, A_ADDR, 80, 40000, 5000, 1001,
		  TCP_SYN | TCP_ACK);
	xmit_frame(f->b, &fr[1]);

	/* a receives the SYN-ACK at 1.000600 s (recorded on input)... */
	ts[1] = 1 * NS_PER_S + 600000;
	f->ca.now = ts[1];
	assert_int_equal(f->a->ops->poll(f->a, 8), 1);
	/* ...and acknowledges at 2.000700999 s: pcap keeps microseconds, truncated. */
	ts[2] = 2 * NS_PER_S + 700999;
	f->ca.now = ts[2];
	build_tcp(&fr[2], eth, f->a->mac, f->b->mac, A_ADDR, B_ADDR, 40000, 80, 1001, 5001, TCP_ACK);
	xmit_frame(f->a, &fr[2]);
}

static void check_file(const char *path, int linktype, const struct frame fr[3], const uint64_t ts[3])
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p = pcap_open_offline(path, errbuf);
	int i = 0, rc;

	if (!p)
		fail_msg("pcap_open_offline(%s): %s", path, errbuf);
	assert_int_equal(pcap_datalink(p), linktype);
	assert_int_equal(pcap_snapshot(p), 65535);
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		assert_true(i < 3);
		assert_int_equal(h->caplen, fr[i].len);
		assert_int_equal(h->len, fr[i].len);
		assert_memory_equal(data, fr[i].b, fr[i].len);
		assert_int_equal(h->ts.tv_sec, ts[i] / NS_PER_S);
		assert_int_equal(h->ts.tv_usec, (ts[i] % NS_PER_S) / 1000);
		i++;
	}
	assert_int_equal(rc, PCAP_ERROR_BREAK);   /* clean end of file */
	assert_int_equal(i, 3);
	pcap_close(p);
}

/* --- tshark -------------------------------------------------------------- */

static int have_tshark(void)
{
	return system("command -v tshark >/dev/null 2>&1") == 0;
}

/* Runs tshark over the file with checksum validation on; every frame must be
 * the expected protocol stack, checksums good, nothing malformed and no expert
 * note of warning level or above. */
static void tshark_check(const char *path, const char *protocols, int frames)
{
	char cmd[1024], line[1024];
	FILE *pp;
	int n = 0;

	snprintf(cmd, sizeof(cmd),
		 "tshark -n -r '%s' -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE "
		 "-T fields -E separator=';' -E occurrence=a -E aggregator=',' "
		 "-e frame.number -e frame.protocols -e ip.checksum.status -e tcp.checksum.status "
		 "-e _ws.malformed -e _ws.expert.severity 2>/dev/null",
		 path);
	pp = popen(cmd, "r");
	assert_non_null(pp);
	while (fgets(line, sizeof(line), pp)) {
		char *field[6] = { 0 };
		char *s = line;
		int k;

		line[strcspn(line, "\n")] = '\0';
		print_message("tshark: %s\n", line);
		/* strtok would merge empty fields; split by hand. */
		for (k = 0; k < 6 && s; k++) {
			field[k] = s;
			s = strchr(s, ';');
			if (s)
				*s++ = '\0';
		}
		assert_int_equal(k, 6);
		assert_int_equal(atoi(field[0]), n + 1);
		assert_string_equal(field[1], protocols);
		assert_string_equal(field[2], "1");     /* 1: good */
		assert_string_equal(field[3], "1");
		assert_string_equal(field[4], "");      /* not malformed */
		/* Severities: chat 0x200000, note 0x400000, warn 0x600000, error 0x800000. */
		for (char *sev = field[5]; sev && *sev;) {
			long v = strtol(sev, &sev, 0);

			assert_true(v < 0x600000);
			if (*sev == ',')
				sev++;
		}
		n++;
	}
	assert_int_equal(pclose(pp), 0);
	assert_int_equal(n, frames);
}

/* --- tests --------------------------------------------------------------- */

static void test_eth_capture_reads_back_exactly(void **state)
{
	const char *path = USTACK_TEST_TMP "/test_pcap_eth.pcap";
	struct fx *f = fx_new(UST_FRAMING_ETH);
	struct frame fr[3];
	uint64_t ts[3];

	remove(path);
	assert_int_equal(ust_netdev_pcap_open(f->a, path), 0);
	handshake(f, 1, fr, ts);
	ust_netdev_pcap_close(f->a);
	assert_null(f->a->pcap);
	check_file(path, DLT_EN10MB, fr, ts);

	if (!have_tshark()) {
		print_message("skipped: tshark not in PATH, capture not dissected\n");
		fx_free(f);
		skip();
	}
	tshark_check(path, "eth:ethertype:ip:tcp", 3);
	fx_free(f);
}

static void test_raw_ip_capture_reads_back_exactly(void **state)
{
	const char *path = USTACK_TEST_TMP "/test_pcap_raw.pcap";
	struct fx *f = fx_new(UST_FRAMING_IP);
	struct frame fr[3];
	uint64_t ts[3];

	remove(path);
	assert_int_equal(ust_netdev_pcap_open(f->a, path), 0);
	handshake(f, 0, fr, ts);
	/* Destroying the device closes the capture too. */
	fx_free(f);
	check_file(path, DLT_RAW, fr, ts);

	if (!have_tshark()) {
		print_message("skipped: tshark not in PATH, capture not dissected\n");
		skip();
	}
	tshark_check(path, "raw:ip:tcp", 3);
}

static void test_open_in_missing_dir_gives_enoent(void **state)
{
	struct fx *f = fx_new(UST_FRAMING_ETH);

	errno = 0;
	assert_int_equal(ust_netdev_pcap_open(f->a, USTACK_TEST_TMP "/no-such-dir/x.pcap"), -1);
	assert_int_equal(errno, ENOENT);
	assert_null(f->a->pcap);
	errno = 0;
	assert_int_equal(ust_netdev_pcap_open(f->a, NULL), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(ust_netdev_pcap_open(NULL, USTACK_TEST_TMP "/x.pcap"), -1);
	assert_int_equal(errno, EINVAL);
	fx_free(f);
}

static uint32_t count_frames(const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p = pcap_open_offline(path, errbuf);
	uint32_t n = 0;

	if (!p)
		fail_msg("pcap_open_offline(%s): %s", path, errbuf);
	while (pcap_next_ex(p, &h, &data) == 1)
		n++;
	pcap_close(p);
	return n;
}

static void test_open_replaces_capture_and_failed_open_keeps_it(void **state)
{
	const char *p1 = USTACK_TEST_TMP "/test_pcap_first.pcap";
	const char *p2 = USTACK_TEST_TMP "/test_pcap_second.pcap";
	struct fx *f = fx_new(UST_FRAMING_ETH);
	struct frame fr;

	build_tcp(&fr, 1, f->a->mac, f->b->mac, A_ADDR, B_ADDR, 1, 2, 3, 0, TCP_SYN);
	assert_int_equal(ust_netdev_pcap_open(f->a, p1), 0);
	xmit_frame(f->a, &fr);
	assert_int_equal(ust_netdev_pcap_open(f->a, p2), 0);   /* p1 closed, complete */
	assert_int_equal(count_frames(p1), 1);
	xmit_frame(f->a, &fr);
	assert_int_equal(ust_netdev_pcap_open(f->a, USTACK_TEST_TMP "/no-such-dir/y.pcap"), -1);
	assert_int_equal(errno, ENOENT);
	xmit_frame(f->a, &fr);                                  /* still into p2 */
	ust_netdev_pcap_close(f->a);
	ust_netdev_pcap_close(f->a);                            /* harmless twice */
	assert_int_equal(count_frames(p2), 2);
	assert_int_equal(count_frames(p1), 1);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eth_capture_reads_back_exactly),
		cmocka_unit_test(test_raw_ip_capture_reads_back_exactly),
		cmocka_unit_test(test_open_in_missing_dir_gives_enoent),
		cmocka_unit_test(test_open_replaces_capture_and_failed_open_keeps_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
