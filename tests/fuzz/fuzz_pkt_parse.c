/*
 * Fuzz target for tools/pkt/ (the packet-script parser and the packet
 * builder, decoder and printer). Input bytes are a script: whatever parses
 * must print back (pkt_format_packet) to text that parses to the same
 * packet; inbound packets are built to bytes that must decode, print and
 * match cleanly. The same bytes also go to pkt_decode/pkt_print_ip and to
 * pkt_match_outbound as a raw datagram. Any inconsistency aborts.
 *
 * tests/fuzz/CMakeLists.txt links targets with the stack library only, so the
 * ustpkt sources are compiled into this target (one translation unit; their
 * static names are distinct): the fuzzer then also instruments them.
 */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "../../tools/pkt/lexer.c"
#include "../../tools/pkt/parser.c"
#include "../../tools/pkt/parse_syscall.c"
#include "../../tools/pkt/symbols.c"
#include "../../tools/pkt/pkt_map.c"
#include "../../tools/pkt/pkt_build.c"
#include "../../tools/pkt/pkt_match.c"
#include "../../tools/pkt/pkt_print.c"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static void roundtrip(const struct pkt_packet *p)
{
	struct pkt_script *s;
	struct pkt_error err;
	char text[1024];
	int n;

	text[0] = '0';
	text[1] = ' ';
	text[2] = p->dir == PKT_INBOUND ? '<' : '>';
	text[3] = ' ';
	n = pkt_format_packet(p, text + 4, sizeof(text) - 4);
	CHECK(n > 0 && (size_t)n < sizeof(text) - 4);
	CHECK(pkt_parse_string("rt", text, strlen(text), &s, &err) == 0);
	CHECK(s->nevents == 1 && s->events[0].type == PKT_EV_PACKET);
	CHECK(!memcmp(s->events[0].packet, p, sizeof(*p)));
	pkt_script_free(s);
}

static void build_and_decode(struct pkt_conn *c, const struct pkt_config *cfg,
			     const struct pkt_packet *p)
{
	static const struct pkt_match_ctx ctx = { 0, 0 };
	uint8_t buf[70000];
	char msg[1024], out[1024];
	struct pkt_decoded *d = malloc(sizeof(*d));
	int n;

	CHECK(d);
	n = pkt_build_inbound(c, cfg, p, buf, sizeof(buf), msg, sizeof(msg));
	if (n > 0) {
		CHECK(pkt_decode(buf, (size_t)n, d, msg, sizeof(msg)) == 0);
		CHECK(d->ip_csum_ok && d->l4_csum_ok);
		pkt_print_ip(buf, (size_t)n, out, sizeof(out));
		if (p->l4 == PKT_L4_TCP) {
			CHECK(d->pkt.tcp.len == p->tcp.len);
			CHECK(d->pkt.tcp.nopts == p->tcp.nopts);
		}
	}
	free(d);
	(void)ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt_script *s = NULL;
	struct pkt_error err;
	struct pkt_config cfg;
	struct pkt_conn c;
	struct pkt_match_ctx ctx = { 0, 0 };
	char msg[1024];
	char *copy = malloc(size ? size : 1);
	int ret;

	CHECK(copy);
	if (size)
		memcpy(copy, data, size);
	pkt_config_init(&cfg);
	pkt_conn_init(&c, 0x0100a8c0, 0x901f, 0x010200c0, 0x409c);
	ret = pkt_parse_string("fuzz", copy, size, &s, &err);
	CHECK(ret == 0 || ret == -EINVAL || ret == -ENOMEM);
	if (ret == 0) {
		for (size_t i = 0; i < s->nevents; i++) {
			const struct pkt_event *ev = &s->events[i];

			if (ev->type != PKT_EV_PACKET)
				continue;
			roundtrip(ev->packet);
			if (ev->packet->dir == PKT_INBOUND)
				build_and_decode(&c, &cfg, ev->packet);
			else
				pkt_match_outbound(&c, &cfg, ev->packet, data, size, &ctx,
						   msg, sizeof(msg));
		}
		pkt_script_free(s);
	} else {
		CHECK(err.line > 0 && err.col > 0 && err.msg[0]);
	}
	pkt_print_ip(data, size, msg, sizeof(msg));
	free(copy);
	return 0;
}
