/*
 * Fuzz target for TCP input (src/tcp/): arbitrary TCP segments, with a valid
 * IPv4 header and a correct checksum so they get past the IP and checksum
 * checks, arrive at a stack that has a listener on 8080 (backlog 2), an
 * established connection from 192.0.2.1:40000 and a socket in SYN_SENT to
 * 192.0.2.1:9000. Virtual time moves between segments, so timers (SYN-ACK and
 * SYN retransmission, request expiry) interleave with the input.
 *
 * Input: byte 0 picks settings (bit 0 tcp_syncookies=2, bit 1 =0,
 * bit 2 tcp_abort_on_overflow=1, bit 3 tcp_timestamps=0). Then records of
 * [length][milliseconds to advance][length bytes of TCP segment]; the ports
 * are written over so that most segments hit one of the sockets.
 * At the end everything is closed, 200 s pass, and every packet buffer must
 * be back in the pool: a leak or a crash aborts.
 */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "../unit/tcp_fixture.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static void drain(struct fx *f)
{
	uint8_t buf[2048];

	while (ust_pipe_read(f->dev, buf, sizeof(buf)) > 0)
		;
}

static void inject_raw(struct fx *f, const uint8_t *tcp, size_t len)
{
	uint8_t buf[UST_IPV4_HLEN + 1500];
	struct ust_ipv4_info ip = {
		.ttl = 64, .protocol = UST_IPPROTO_TCP, .tot_len = (uint16_t)(UST_IPV4_HLEN + len),
		.saddr = inet_addr(PEER_IP), .daddr = inet_addr(LOCAL_IP),
	};

	ust_ipv4_build(buf, sizeof(buf), &ip);
	memcpy(buf + UST_IPV4_HLEN, tcp, len);
	if (len >= UST_TCP_HLEN) {
		buf[UST_IPV4_HLEN + 16] = buf[UST_IPV4_HLEN + 17] = 0;
		ust_tcp_fill_csum(buf + UST_IPV4_HLEN, len, ip.saddr, ip.daddr);
	}
	ust_pipe_inject(f->dev, buf, UST_IPV4_HLEN + len);
}

/* An established connection from PEER_IP:40000 to the listener. */
static void establish(struct fx *f)
{
	struct seg syn = { .sport = 40000, .dport = 8080, .seq = 1000, .flags = UST_TCP_SYN, .win = 65535 };
	struct seg out;

	fx_send(f, &syn);
	if (fx_recv(f, &out) && out.flags == (UST_TCP_SYN | UST_TCP_ACK)) {
		struct seg ack = { .sport = 40000, .dport = 8080, .seq = 1001, .ack = out.seq + 1,
				   .flags = UST_TCP_ACK, .win = 65535 };

		fx_send(f, &ack);
	}
	drain(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t ports[4] = { 8080, 40000, 9000, 8081 };
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(9000),
				    .sin_addr.s_addr = inet_addr(PEER_IP) };
	struct fx f;
	int lfd, cfd;
	size_t i = 1;

	if (!size)
		return 0;
	fx_init(&f);
	if (data[0] & 1)
		ust_sysctl_write(f.st, "tcp_syncookies", "2");
	if (data[0] & 2)
		ust_sysctl_write(f.st, "tcp_syncookies", "0");
	if (data[0] & 4)
		ust_sysctl_write(f.st, "tcp_abort_on_overflow", "1");
	if (data[0] & 8)
		ust_sysctl_write(f.st, "tcp_timestamps", "0");
	lfd = fx_listen(&f, 2);
	establish(&f);
	cfd = ust_socket(f.st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK(cfd >= 0);
	ust_connect(f.st, cfd, (struct sockaddr *)&peer, sizeof(peer));
	drain(&f);

	while (i + 2 <= size) {
		size_t len = data[i], adv = data[i + 1];
		uint8_t seg[1500];

		i += 2;
		if (len > size - i)
			len = size - i;
		memcpy(seg, data + i, len);
		i += len;
		if (len >= 4) {
			/* Steer the ports at our sockets most of the time. */
			uint16_t sp = seg[0] & 0x80 ? 40000 : (uint16_t)(seg[0] << 8 | seg[1]);
			uint16_t dp = ports[seg[2] & 3];

			seg[0] = (uint8_t)(sp >> 8);
			seg[1] = (uint8_t)sp;
			seg[2] = (uint8_t)(dp >> 8);
			seg[3] = (uint8_t)dp;
		}
		inject_raw(&f, seg, len);
		ust_stack_advance(f.st, adv * MS);
		drain(&f);
	}
	/* Whatever was accepted gets closed too. */
	for (int fd; (fd = ust_accept(f.st, lfd, NULL, NULL)) >= 0;)
		ust_close(f.st, fd);
	ust_close(f.st, cfd);
	ust_close(f.st, lfd);
	ust_stack_advance(f.st, 200000 * MS);
	drain(&f);
	CHECK(ust_stack_core(f.st)->pool.nr_free == ust_stack_core(f.st)->pool.nr_total);
	fx_free(&f);
	return 0;
}
