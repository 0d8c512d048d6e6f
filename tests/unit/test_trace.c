/* The trace: events reach the callback and the ring, in order, with their
 * exact text; a full ring counts what it lost; tracing off costs nothing. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "tcp_fixture.h"

struct sink {
	int n;
	char last[256];
};

static void collect(const struct ust_trace_event *ev, void *ctx)
{
	struct sink *s = ctx;

	s->n++;
	ust_trace_format(ev, s->last, sizeof(s->last));
}

static void test_state_names_are_linux_names(void **state)
{
	(void)state;
	assert_string_equal(ust_tcp_state_name(1), "ESTABLISHED");
	assert_string_equal(ust_tcp_state_name(2), "SYN_SENT");
	assert_string_equal(ust_tcp_state_name(10), "LISTEN");
	assert_string_equal(ust_tcp_state_name(12), "NEW_SYN_RECV");
	assert_string_equal(ust_tcp_state_name(99), "UNKNOWN");
	assert_string_equal(ust_tcp_state_name(-1), "UNKNOWN");
}

/* listen() produces exactly the bind, state and lhash events, in order. */
static void test_listen_events_in_order(void **state)
{
	struct fx f;
	struct ust_trace_event ev[8];
	uint64_t lost = 99;
	char line[256];
	size_t n;

	(void)state;
	fx_init(&f);
	assert_int_equal(ust_trace_set_ring(f.st, 16), 0);
	fx_listen(&f, 5);
	n = ust_trace_read(f.st, ev, 8, &lost);
	assert_int_equal(n, 3);
	assert_int_equal(lost, 0);
	assert_int_equal(ev[0].kind, UST_TRACE_TABLE);
	assert_string_equal(ev[0].func, "inet_csk_get_port");
	assert_int_equal(ev[1].kind, UST_TRACE_STATE);
	assert_int_equal(ev[1].old_state, 7);      /* CLOSE */
	assert_int_equal(ev[1].new_state, 10);     /* LISTEN */
	ust_trace_format(&ev[1], line, sizeof(line));
	assert_string_equal(line, "   0.000000 tcp_set_state: sk 0.0.0.0:8080 CLOSE -> LISTEN");
	ust_trace_format(&ev[2], line, sizeof(line));
	assert_string_equal(line, "   0.000000 inet_csk_listen_start: listener 0.0.0.0:8080 inserted into lhash2 (backlog 5)");
	/* Read events are gone. */
	assert_int_equal(ust_trace_read(f.st, ev, 8, &lost), 0);
	fx_free(&f);
}

/* A ring of 2 keeps the newest 2 and counts the rest as lost. */
static void test_ring_overflow_counts_lost(void **state)
{
	struct fx f;
	struct ust_trace_event ev[4];
	uint64_t lost = 0;

	(void)state;
	fx_init(&f);
	assert_int_equal(ust_trace_set_ring(f.st, 2), 0);
	fx_listen(&f, 5);                          /* 3 events */
	assert_int_equal(ust_trace_read(f.st, ev, 4, &lost), 2);
	assert_int_equal(lost, 1);
	assert_string_equal(ev[0].func, "tcp_set_state");
	assert_string_equal(ev[1].func, "inet_csk_listen_start");
	fx_free(&f);
}

/* The callback sees the SYN's path: packet in, request queued, SYN-ACK out. */
static void test_callback_sees_syn_path(void **state)
{
	struct seg syn = { .sport = 40001, .dport = 8080, .seq = 7, .flags = UST_TCP_SYN, .win = 65535 };
	struct sink s = { 0 };
	struct fx f;
	struct seg out;

	(void)state;
	fx_init(&f);
	fx_listen(&f, 5);
	ust_trace_set_callback(f.st, collect, &s);
	fx_send(&f, &syn);
	assert_true(fx_recv(&f, &out));
	assert_int_equal(s.n, 3);
	assert_non_null(strstr(s.last, "tcp_transmit_skb: pkt 192.168.0.1:8080<->192.0.2.1:40001 > S. seq"));
	ust_trace_set_callback(f.st, NULL, NULL);
	fx_send(&f, &syn);                         /* retransmitted SYN: traced no more */
	assert_int_equal(s.n, 3);
	fx_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_names_are_linux_names),
		cmocka_unit_test(test_listen_events_in_order),
		cmocka_unit_test(test_ring_overflow_counts_lost),
		cmocka_unit_test(test_callback_sees_syn_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
