/* yx_strmap: insertion, duplicates, growth, lookups of absent keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yx_strmap.h"

static void test_put_get(void **state)
{
    (void)state;
    yx_strmap_t *map = yx_strmap_new(0);
    assert_non_null(map);
    int a = 1, b = 2;
    assert_int_equal(yx_strmap_put(map, "T001", &a), 0);
    assert_int_equal(yx_strmap_put(map, "工号-002", &b), 0);
    assert_int_equal(yx_strmap_size(map), 2);
    assert_ptr_equal(yx_strmap_get(map, "T001"), &a);
    assert_ptr_equal(yx_strmap_get(map, "工号-002"), &b);
    assert_null(yx_strmap_get(map, "T002"));
    assert_null(yx_strmap_get(map, "t001"));
    assert_null(yx_strmap_get(map, ""));
    yx_strmap_destroy(&map);
    assert_null(map);
    yx_strmap_destroy(&map);
}

static void test_duplicate_leaves_map_alone(void **state)
{
    (void)state;
    yx_strmap_t *map = yx_strmap_new(4);
    int first = 1, second = 2;
    /* equal keys at different addresses are duplicates: keys compare by content */
    char key[] = "S042";
    assert_int_equal(yx_strmap_put(map, "S042", &first), 0);
    assert_int_equal(yx_strmap_put(map, key, &second), 1);
    assert_int_equal(yx_strmap_size(map), 1);
    assert_ptr_equal(yx_strmap_get(map, key), &first);
    /* the empty string is a key like any other */
    assert_int_equal(yx_strmap_put(map, "", &second), 0);
    assert_int_equal(yx_strmap_put(map, "", &first), 1);
    assert_ptr_equal(yx_strmap_get(map, ""), &second);
    yx_strmap_destroy(&map);
}

static void test_grows_past_expected(void **state)
{
    (void)state;
    enum { N = 100000 };
    char(*keys)[16] = malloc(sizeof(*keys) * N);
    assert_non_null(keys);
    yx_strmap_t *map = yx_strmap_new(10); /* far too small: must grow many times */
    for (size_t i = 0; i < N; i++) {
        snprintf(keys[i], sizeof keys[i], "user-%zu", i);
        assert_int_equal(yx_strmap_put(map, keys[i], keys[i]), 0);
    }
    assert_int_equal(yx_strmap_size(map), N);
    for (size_t i = 0; i < N; i++) {
        char probe[16];
        snprintf(probe, sizeof probe, "user-%zu", i);
        assert_ptr_equal(yx_strmap_get(map, probe), keys[i]);
        assert_int_equal(yx_strmap_put(map, probe, NULL), 1);
    }
    assert_null(yx_strmap_get(map, "user-100000"));
    assert_null(yx_strmap_get(map, "user-"));
    assert_int_equal(yx_strmap_size(map), N);
    yx_strmap_destroy(&map);
    free(keys);
}

static void test_null_values_are_stored(void **state)
{
    (void)state;
    yx_strmap_t *map = yx_strmap_new(1);
    assert_int_equal(yx_strmap_put(map, "k", NULL), 0);
    assert_int_equal(yx_strmap_put(map, "k", map), 1);
    assert_int_equal(yx_strmap_size(map), 1);
    assert_null(yx_strmap_get(map, "k"));
    yx_strmap_destroy(&map);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get),
        cmocka_unit_test(test_duplicate_leaves_map_alone),
        cmocka_unit_test(test_grows_past_expected),
        cmocka_unit_test(test_null_values_are_stored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
