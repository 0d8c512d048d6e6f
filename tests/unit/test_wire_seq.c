/* Tests for src/wire/seq.h: sequence comparisons modulo 2^32, across wraparound. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "wire/seq.h"

static void test_before_after_plain(void **state)
{
	assert_true(before(1, 2));
	assert_false(before(2, 1));
	assert_false(before(7, 7));
	assert_false(after(7, 7));
	assert_true(after(2, 1));
	assert_false(after(1, 2));
}

static void test_before_after_wraparound(void **state)
{
	assert_true(before(0xffffffffu, 0));
	assert_true(after(0, 0xffffffffu));
	assert_true(before(0xfffffff0u, 0x10));
	assert_false(after(0xfffffff0u, 0x10));
	/* The farthest "after": 2^31 - 1 ahead. */
	assert_true(before(0, 0x7fffffffu));
	assert_true(after(0x7fffffffu, 0));
	assert_true(before(0x80000000u, 0xffffffffu));
	/* Exactly 2^31 apart, each is before the other, as in Linux: a window
	 * never spans that far, so no caller asks. */
	assert_true(before(0, 0x80000000u));
	assert_true(before(0x80000000u, 0));
}

static void test_between_inclusive(void **state)
{
	assert_true(between(5, 3, 10));
	assert_true(between(3, 3, 10));
	assert_true(between(10, 3, 10));
	assert_false(between(2, 3, 10));
	assert_false(between(11, 3, 10));
	assert_true(between(4, 4, 4));
	assert_false(between(5, 4, 4));
}

static void test_between_wraparound(void **state)
{
	assert_true(between(0xfffffff0u, 0xfffffff0u, 0x10));
	assert_true(between(0xffffffffu, 0xfffffff0u, 0x10));
	assert_true(between(0, 0xfffffff0u, 0x10));
	assert_true(between(0x10, 0xfffffff0u, 0x10));
	assert_false(between(0x11, 0xfffffff0u, 0x10));
	assert_false(between(0xffffffefu, 0xfffffff0u, 0x10));
	assert_false(between(0x80000000u, 0xfffffff0u, 0x10));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_before_after_plain),
		cmocka_unit_test(test_before_after_wraparound),
		cmocka_unit_test(test_between_inclusive),
		cmocka_unit_test(test_between_wraparound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
