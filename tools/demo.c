/*
 * ustack demo: what the foundation does today, end to end and in virtual time.
 *
 * Two stacks ("client", "server") share a memlink that loses packets. The client
 * sends a SYN laid out byte for byte as Linux lays it out and retransmits it on
 * Linux's schedule (RTO 1 s, tcp_syn_linear_timeouts=4 linear retries, then
 * doubling) from a timer on the stack's timing wheel, until the server's device
 * receives one. Every frame is written to a pcap file.
 * The handshake engine (SYN queue, SYN-ACK, accept queue) replaces this demo.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "cli.h"
#include "stack.h"
#include "wire/eth.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

#define MS 1000000ULL

struct demo {
	struct ust_stack *client, *server;
	struct ust_netdev *cdev, *sdev;
	struct ust_timer rtx;
	struct ust_core *ccore;
	unsigned retransmits;
	int received;
	uint8_t frame[128];
	size_t frame_len;
};

void ust_cmd_demo_usage(void)
{
	printf("usage: ustack demo [--pcap FILE] [--loss P] [--seed N]\n"
	       "\n"
	       "Runs two stacks joined by an in-memory link in virtual time; needs no root.\n"
	       "  --pcap FILE   write every frame to FILE (default ustack-demo.pcap)\n"
	       "  --loss P      probability the link loses a packet (default 0.6)\n"
	       "  --seed N      seed of the link's loss model (default 26)\n");
}

/* A SYN from 192.0.2.1:40000 to 192.0.2.2:8080 with Linux's option layout. */
static size_t build_syn(uint8_t *buf, const struct ust_netdev *src, const struct ust_netdev *dst)
{
	struct ust_eth_info eth = { .ethertype = UST_ETH_P_IP };
	struct ust_tcp_opts o = {
		.present = UST_TCPOPT_F_MSS | UST_TCPOPT_F_SACK_PERM | UST_TCPOPT_F_TIMESTAMP | UST_TCPOPT_F_WSCALE,
		.mss = 1460, .wscale = 10, .tsval = 1, .tsecr = 0,
	};
	uint8_t opts[40];
	int olen = ust_tcp_write_opts(opts, sizeof(opts), &o);
	struct ust_tcp_info th = {
		.sport = htons(40000), .dport = htons(8080), .seq = 0x1000, .flags = UST_TCP_SYN,
		.window = 64240, .opts = opts, .opt_len = (size_t)olen,
	};
	struct ust_ipv4_info ip = {
		.ttl = 64, .protocol = UST_IPPROTO_TCP, .df = true,
		.tot_len = (uint16_t)(UST_IPV4_HLEN + UST_TCP_HLEN + olen),
		.saddr = inet_addr("192.0.2.1"), .daddr = inet_addr("192.0.2.2"),
	};
	int tlen;

	ust_netdev_get_mac(src, eth.src);
	ust_netdev_get_mac(dst, eth.dst);
	ust_eth_build(buf, UST_ETH_HLEN, &eth);
	ust_ipv4_build(buf + UST_ETH_HLEN, UST_IPV4_HLEN, &ip);
	tlen = ust_tcp_build(buf + UST_ETH_HLEN + UST_IPV4_HLEN, 60, &th);
	ust_tcp_fill_csum(buf + UST_ETH_HLEN + UST_IPV4_HLEN, (size_t)tlen, ip.saddr, ip.daddr);
	return UST_ETH_HLEN + UST_IPV4_HLEN + (size_t)tlen;
}

static void send_syn(struct demo *d)
{
	struct ust_pkt *pkt = ust_pkt_alloc(&d->ccore->pool);

	if (!pkt)
		return;
	memcpy(ust_pkt_put(pkt, (uint32_t)d->frame_len), d->frame, d->frame_len);
	printf("  t=%5.3fs client: SYN sent%s\n", (double)d->ccore->now / 1e9,
	       d->retransmits ? " (retransmission)" : "");
	ust_netdev_xmit(d->cdev, pkt);
}

/* Linux >= 6.5: RTO stays 1 s through the 4th retransmission, then doubles:
 * SYNs at 0, 1, 2, 3, 4, 5, 7, 11, 19 s ... */
static void syn_rtx_timer(struct ust_timer *t)
{
	struct demo *d = container_of(t, struct demo, rtx);
	uint64_t rto_ms;

	if (d->received || d->retransmits >= 10)
		return;
	d->retransmits++;
	send_syn(d);
	rto_ms = d->retransmits <= 4 ? 1000 : 1000ULL << (d->retransmits - 4);
	ust_core_timer_arm_ms(d->ccore, &d->rtx, rto_ms);
}

static void server_rx(struct ust_netdev *dev, struct ust_pkt *pkt, void *ctx)
{
	struct demo *d = ctx;
	struct ust_tcp_opts o;
	struct ust_tcp_info th;

	if (ust_tcp_parse(pkt->data + UST_ETH_HLEN + UST_IPV4_HLEN,
			  pkt->len - UST_ETH_HLEN - UST_IPV4_HLEN, &th) == 0 &&
	    ust_tcp_parse_opts(th.opts, th.opt_len, &o) == 0) {
		printf("  t=%5.3fs server: SYN received on %s: seq %u win %u <mss %u,sackOK,TS val %u ecr %u,nop,wscale %u>\n",
		       (double)dev->core->now / 1e9, ust_netdev_name(dev), th.seq, th.window,
		       o.mss, o.tsval, o.tsecr, o.wscale);
		d->received = 1;
	}
	ust_pkt_free(pkt);
}

/* Both stacks' virtual clocks move together, event by event. */
static void run_until_quiet(struct demo *d, uint64_t limit_ns)
{
	for (;;) {
		uint64_t now = ust_stack_now(d->client);
		uint64_t a = ust_stack_next_event(d->client), b = ust_stack_next_event(d->server);
		uint64_t next = a < b ? a : b;

		if (next == UINT64_MAX || next > limit_ns)
			break;
		ust_stack_advance(d->client, next > now ? next - now : 0);
		ust_stack_advance(d->server, next > now ? next - now : 0);
	}
}

static int parse_args(int argc, char **argv, const char **pcap, double *loss, uint64_t *seed)
{
	static const struct option opts[] = {
		{ "pcap", required_argument, NULL, 'p' },
		{ "loss", required_argument, NULL, 'l' },
		{ "seed", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	char *end;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p': *pcap = optarg; break;
		case 'l':
			*loss = strtod(optarg, &end);
			if (*end || *loss < 0 || *loss >= 1) {
				fprintf(stderr, "ustack demo: --loss wants a number in [0, 1), not '%s'\n", optarg);
				return -1;
			}
			break;
		case 's':
			*seed = strtoull(optarg, &end, 0);
			if (*end) {
				fprintf(stderr, "ustack demo: --seed wants a number, not '%s'\n", optarg);
				return -1;
			}
			break;
		default:
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "ustack demo: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return 0;
}

static struct ust_stack *demo_stack(const char *name, uint64_t seed)
{
	struct ust_stack_config cfg;

	ust_stack_config_init(&cfg);
	cfg.name = name;
	cfg.clock = UST_CLOCK_VIRTUAL;
	cfg.seed = seed;
	return ust_stack_new(&cfg);
}

int ust_cmd_demo(int argc, char **argv)
{
	const char *pcap = "ustack-demo.pcap";
	struct ust_memlink_config lc;
	struct ust_netdev_stats ls;
	struct demo d = { 0 };
	int rc = UST_EXIT_OK;

	ust_memlink_config_init(&lc);
	lc.loss = 0.6;
	lc.seed = 26;
	lc.delay_ns = 5 * MS;
	if (parse_args(argc, argv, &pcap, &lc.loss, &lc.seed))
		return UST_EXIT_USAGE;

	d.client = demo_stack("client", 1);
	d.server = demo_stack("server", 2);
	if (!d.client || !d.server || ust_memlink_create(d.client, d.server, &lc, &d.cdev, &d.sdev)) {
		perror("ustack demo: setting up the stacks");
		return UST_EXIT_SETUP;
	}
	if (ust_netdev_pcap_open(d.cdev, pcap)) {
		fprintf(stderr, "ustack demo: cannot write %s: %s\n", pcap, strerror(errno));
		rc = UST_EXIT_SETUP;
		goto out;
	}
	d.ccore = ust_stack_core(d.client);
	ust_netdev_set_rx_handler(d.sdev, server_rx, &d);
	d.frame_len = build_syn(d.frame, d.cdev, d.sdev);

	printf("ustack demo: two stacks on a memlink (%s <-> %s, %.0f%% loss, 5 ms delay), virtual time\n\n",
	       ust_netdev_name(d.cdev), ust_netdev_name(d.sdev), lc.loss * 100);
	printf("The client sends a SYN and retransmits it on Linux's schedule until it gets through:\n");
	ust_timer_init(&d.rtx, syn_rtx_timer);
	send_syn(&d);
	ust_core_timer_arm_ms(d.ccore, &d.rtx, 1000);
	run_until_quiet(&d, 200ULL * 1000 * MS);

	ust_netdev_get_stats(d.cdev, &ls);
	printf("\nlink %s: %llu sent, %llu lost on purpose\n", ust_netdev_name(d.cdev),
	       (unsigned long long)ls.tx_packets, (unsigned long long)ls.tx_lost);
	printf("capture: %s (open it with tshark -r %s)\n", pcap, pcap);
	printf("\nNext: the handshake engine answers this SYN from a listener's SYN queue.\n");
	if (!d.received)
		rc = UST_EXIT_FAIL;
out:
	ust_stack_free(d.client);
	ust_stack_free(d.server);
	return rc;
}
