/* The clock: virtual time moves only when told, never backwards; real time is monotonic. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "core/clock.h"

static void test_virtual_clock_moves_only_when_told(void **state)
{
	struct ust_clock c;

	(void)state;
	ust_clock_init(&c, UST_CLOCK_VIRTUAL, 5000);
	assert_int_equal(ust_clock_read(&c), 5000);
	assert_int_equal(ust_clock_read(&c), 5000);
	assert_int_equal(ust_clock_advance(&c, 1000000000ULL), 0);
	assert_int_equal(ust_clock_read(&c), 1000005000ULL);
	assert_int_equal(ust_clock_set(&c, 2000000000ULL), 0);
	assert_int_equal(ust_clock_read(&c), 2000000000ULL);
}

static void test_virtual_clock_refuses_backwards_and_overflow(void **state)
{
	struct ust_clock c;

	(void)state;
	ust_clock_init(&c, UST_CLOCK_VIRTUAL, 100);
	assert_int_equal(ust_clock_set(&c, 99), -EINVAL);
	assert_int_equal(ust_clock_read(&c), 100);
	assert_int_equal(ust_clock_advance(&c, UINT64_MAX), -EINVAL);
	assert_int_equal(ust_clock_read(&c), 100);
}

static void test_real_clock_is_monotonic_and_not_settable(void **state)
{
	struct ust_clock c;
	uint64_t a, b;

	(void)state;
	ust_clock_init(&c, UST_CLOCK_REAL, 0);
	a = ust_clock_read(&c);
	b = ust_clock_read(&c);
	assert_true(a > 0);
	assert_true(b >= a);
	assert_int_equal(ust_clock_advance(&c, 1), -EINVAL);
	assert_int_equal(ust_clock_set(&c, b + 1), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_virtual_clock_moves_only_when_told),
		cmocka_unit_test(test_virtual_clock_refuses_backwards_and_overflow),
		cmocka_unit_test(test_real_clock_is_monotonic_and_not_settable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
