/* The stack object: configuration, virtual time, device attachment. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "stack.h"
#include "vstack.h"

#define MS 1000000ULL

static void test_config_rejects_bad_values(void **state)
{
	struct ust_stack_config cfg;

	(void)state;
	ust_stack_config_init(&cfg);
	cfg.clock = (enum ust_clock_mode)7;
	errno = 0;
	assert_null(ust_stack_new(&cfg));
	assert_int_equal(errno, EINVAL);

	ust_stack_config_init(&cfg);
	cfg.pkt_buf_size = 100;   /* smaller than the headroom */
	errno = 0;
	assert_null(ust_stack_new(&cfg));
	assert_int_equal(errno, EINVAL);

	ust_stack_config_init(&cfg);
	cfg.name = "a-name-that-is-far-too-long";
	errno = 0;
	assert_null(ust_stack_new(&cfg));
	assert_int_equal(errno, EINVAL);
}

static void test_defaults_and_name(void **state)
{
	struct ust_stack *st = ust_stack_new(NULL);

	(void)state;
	assert_non_null(st);
	assert_string_equal(ust_stack_name(st), "ustack");
	/* A real clock cannot be advanced by hand. */
	errno = 0;
	assert_int_equal(ust_stack_advance(st, MS), -1);
	assert_int_equal(errno, EINVAL);
	ust_stack_free(st);
}

struct probe {
	struct ust_timer t;
	struct ust_core *core;
	uint64_t fired_at[8];
	int n;
	uint64_t period_ms;
};

static void probe_fire(struct ust_timer *t)
{
	struct probe *p = container_of(t, struct probe, t);

	p->fired_at[p->n++] = p->core->now;
	if (p->n < 3)
		ust_core_timer_arm_ms(p->core, &p->t, p->period_ms);
}

/* A jump of a minute runs each timer with the clock at its own due time. */
static void test_advance_steps_through_each_timer(void **state)
{
	struct ust_stack *st = vstack("a", 1);
	struct probe p = { .period_ms = 1000 };

	(void)state;
	assert_non_null(st);
	p.core = ust_stack_core(st);
	assert_int_equal(ust_stack_now(st), 0);
	ust_timer_init(&p.t, probe_fire);
	ust_core_timer_arm_ms(p.core, &p.t, 1000);
	/* For a timer beyond the wheel's first level, next_event is a lower
	 * bound (the slot where it will cascade), never later than the timer. */
	assert_true(ust_stack_next_event(st) > 0);
	assert_true(ust_stack_next_event(st) <= 1000 * MS);

	assert_int_equal(ust_stack_advance(st, 999 * MS), 0);
	assert_int_equal(p.n, 0);
	assert_int_equal(ust_stack_advance(st, 60000 * MS), 0);
	assert_int_equal(p.n, 3);
	assert_int_equal(p.fired_at[0], 1000 * MS);
	assert_int_equal(p.fired_at[1], 2000 * MS);
	assert_int_equal(p.fired_at[2], 3000 * MS);
	assert_int_equal(ust_stack_now(st), 60999 * MS);
	assert_int_equal(ust_stack_next_event(st), UINT64_MAX);
	ust_stack_free(st);
}

static void test_memlink_devices_are_named_and_indexed(void **state)
{
	struct ust_stack *a = vstack("a", 1), *b = vstack("b", 2);
	struct ust_netdev *da, *db, *da2, *db2;

	(void)state;
	assert_int_equal(ust_memlink_create(a, b, NULL, &da, &db), 0);
	assert_int_equal(ust_memlink_create(a, b, NULL, &da2, &db2), 0);
	assert_string_equal(ust_netdev_name(da), "mem0");
	assert_string_equal(ust_netdev_name(da2), "mem1");
	assert_string_equal(ust_netdev_name(db), "mem0");
	assert_int_equal(ust_netdev_ifindex(da), 2);
	assert_int_equal(ust_netdev_ifindex(da2), 3);
	assert_ptr_equal(ust_stack_netdev(a, 3), da2);
	assert_null(ust_stack_netdev(a, 4));
	assert_int_equal(ust_netdev_mtu(da), 1500);

	errno = 0;
	assert_int_equal(ust_memlink_create(a, a, NULL, &da, &db), -1);
	assert_int_equal(errno, EINVAL);
	ust_stack_free(a);
	ust_stack_free(b);
}

/* The same seed gives the same secrets; another seed, other secrets. */
static void test_seed_makes_secrets_reproducible(void **state)
{
	struct ust_stack *a = vstack("a", 42), *b = vstack("b", 42), *c = vstack("c", 43);

	(void)state;
	assert_memory_equal(&ust_stack_core(a)->secrets, &ust_stack_core(b)->secrets,
			    sizeof(struct ust_secrets));
	assert_memory_not_equal(&ust_stack_core(a)->secrets, &ust_stack_core(c)->secrets,
				sizeof(struct ust_secrets));
	ust_stack_free(a);
	ust_stack_free(b);
	ust_stack_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_rejects_bad_values),
		cmocka_unit_test(test_defaults_and_name),
		cmocka_unit_test(test_advance_steps_through_each_timer),
		cmocka_unit_test(test_memlink_devices_are_named_and_indexed),
		cmocka_unit_test(test_seed_makes_secrets_reproducible),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
