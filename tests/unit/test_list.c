/* Intrusive lists: queue order, O(1) unlink, hash-chain replace. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "core/list.h"

struct item {
	int v;
	struct ust_list link;
	struct ust_hlist_node hnode;
};

static int list_values(struct ust_list *h, int *out, int max)
{
	struct ust_list *pos;
	int n = 0;

	ust_list_for_each(pos, h) {
		if (n < max)
			out[n] = ust_list_entry(pos, struct item, link)->v;
		n++;
	}
	return n;
}

static void test_list_fifo_and_unlink(void **state)
{
	struct ust_list head = UST_LIST_INIT(head);
	struct item it[4] = { { .v = 0 }, { .v = 1 }, { .v = 2 }, { .v = 3 } };
	int vals[4];

	(void)state;
	assert_true(ust_list_empty(&head));
	assert_null(ust_list_first(&head, struct item, link));
	for (int i = 0; i < 3; i++)
		ust_list_add_tail(&head, &it[i].link);
	ust_list_add_head(&head, &it[3].link);
	assert_int_equal(list_values(&head, vals, 4), 4);
	assert_int_equal(vals[0], 3);
	assert_int_equal(vals[1], 0);
	assert_int_equal(vals[3], 2);

	ust_list_del(&it[0].link);
	assert_false(ust_list_linked(&it[0].link));
	ust_list_del(&it[0].link);           /* a second del is harmless */
	assert_int_equal(list_values(&head, vals, 4), 3);
	assert_int_equal(vals[1], 1);
	assert_ptr_equal(ust_list_first(&head, struct item, link), &it[3]);
}

static void test_list_for_each_safe_allows_removal(void **state)
{
	struct ust_list head = UST_LIST_INIT(head), *pos, *tmp;
	struct item it[5];
	int vals[5];

	(void)state;
	for (int i = 0; i < 5; i++) {
		it[i].v = i;
		ust_list_add_tail(&head, &it[i].link);
	}
	ust_list_for_each_safe(pos, tmp, &head)
		if (ust_list_entry(pos, struct item, link)->v % 2 == 0)
			ust_list_del(pos);
	assert_int_equal(list_values(&head, vals, 5), 2);
	assert_int_equal(vals[0], 1);
	assert_int_equal(vals[1], 3);
}

static void test_hlist_add_del_replace(void **state)
{
	struct ust_hlist_head h = { NULL };
	struct item a = { .v = 1 }, b = { .v = 2 }, c = { .v = 3 }, d = { .v = 4 };
	struct ust_hlist_node *pos;
	int seen[3], n = 0;

	(void)state;
	ust_hlist_node_init(&a.hnode);
	assert_true(ust_hlist_unhashed(&a.hnode));
	ust_hlist_del(&a.hnode);               /* not on a list: nothing happens */
	ust_hlist_add_head(&h, &a.hnode);
	ust_hlist_add_head(&h, &b.hnode);
	ust_hlist_add_head(&h, &c.hnode);      /* chain: c b a */
	ust_hlist_replace(&b.hnode, &d.hnode); /* chain: c d a */
	assert_true(ust_hlist_unhashed(&b.hnode));
	ust_hlist_for_each(pos, &h)
		seen[n++] = ust_hlist_entry(pos, struct item, hnode)->v;
	assert_int_equal(n, 3);
	assert_int_equal(seen[0], 3);
	assert_int_equal(seen[1], 4);
	assert_int_equal(seen[2], 1);

	ust_hlist_del(&c.hnode);               /* the head moves to d */
	assert_ptr_equal(h.first, &d.hnode);
	assert_ptr_equal(d.hnode.pprev, &h.first);
	ust_hlist_del(&a.hnode);               /* the tail */
	assert_null(d.hnode.next);
	ust_hlist_del(&d.hnode);
	assert_true(ust_hlist_empty(&h));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_fifo_and_unlink),
		cmocka_unit_test(test_list_for_each_safe_allows_removal),
		cmocka_unit_test(test_hlist_add_del_replace),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
