/* The buffers that carry rows to PostgreSQL keep hostile values intact (quotes,
 * backslashes, braces, tabs, newlines, NULL), and the arena behind each request. */
#include "yx_arena.h"
#include "yx_copy.h"
#include "yx_pgarray.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

static void test_empty_array(void **state)
{
    (void)state;
    yx_pgarray_t a;
    yx_pgarray_init(&a);
    assert_string_equal(yx_pgarray_text(&a), "{}");
    yx_pgarray_free(&a);
}

static void test_escaping(void **state)
{
    (void)state;
    yx_pgarray_t a;
    yx_pgarray_init(&a);
    yx_pgarray_add(&a, "plain");
    yx_pgarray_add(&a, "say \"hi\"");
    yx_pgarray_add(&a, "back\\slash");
    yx_pgarray_add(&a, "{brace},comma");
    yx_pgarray_add(&a, NULL);
    yx_pgarray_add(&a, "");
    yx_pgarray_add(&a, "张伟");
    assert_int_equal(a.count, 7);
    assert_string_equal(yx_pgarray_text(&a), "{\"plain\",\"say \\\"hi\\\"\",\"back\\\\slash\","
                                             "\"{brace},comma\",NULL,\"\",\"张伟\"}");
    yx_pgarray_free(&a);
}

static void test_growth(void **state)
{
    (void)state;
    yx_pgarray_t a;
    yx_pgarray_init(&a);
    for (int i = 0; i < 100000; i++)
        assert_int_equal(yx_pgarray_add(&a, "0123456789"), 0);
    const char *text = yx_pgarray_text(&a);
    assert_int_equal(strlen(text), 100000 * 13 - 1 + 2);
    yx_pgarray_free(&a);
}

static void test_copy_rows(void **state)
{
    (void)state;
    yx_copy_t c;
    yx_copy_init(&c);
    yx_copy_field(&c, "a\tb");
    yx_copy_field(&c, NULL);
    yx_copy_field(&c, "line1\nline2\r");
    yx_copy_field(&c, "back\\slash");
    yx_copy_end_row(&c);
    yx_copy_field(&c, "");
    yx_copy_field(&c, "王芳");
    yx_copy_end_row(&c);
    assert_int_equal(c.rows, 2);
    const char expect[] = "a\\tb\t\\N\tline1\\nline2\\r\tback\\\\slash\n\t王芳\n";
    assert_int_equal(c.len, strlen(expect));
    assert_memory_equal(c.data, expect, c.len);
    yx_copy_free(&c);
}

static void test_arena(void **state)
{
    (void)state;
    yx_arena_t *arena = yx_arena_new();
    char *s = yx_arena_printf(arena, "%s-%d", "row", 42);
    assert_string_equal(s, "row-42");
    char *big = yx_arena_alloc(arena, 1 << 20); /* larger than a block */
    memset(big, 'x', 1 << 20);
    char *after = yx_arena_strdup(arena, "still fine");
    assert_string_equal(after, "still fine");
    assert_string_equal(s, "row-42");
    int *zeroed = yx_arena_alloc(arena, 64 * sizeof(int));
    for (int i = 0; i < 64; i++)
        assert_int_equal(zeroed[i], 0);
    yx_arena_destroy(&arena);
    assert_null(arena);
}

/* Many allocations across blocks that start small and grow: each is zeroed, aligned and
 * keeps what was written to it (ASan checks the bounds). */
static void test_arena_blocks_grow(void **state)
{
    (void)state;
    yx_arena_t *arena = yx_arena_new();
    enum { N = 5000 };
    unsigned char *parts[N];
    for (size_t i = 0; i < N; i++) {
        size_t size = 1 + i % 300;
        parts[i] = yx_arena_alloc(arena, size);
        assert_non_null(parts[i]);
        assert_int_equal((uintptr_t)parts[i] % sizeof(max_align_t), 0);
        for (size_t k = 0; k < size; k++)
            assert_int_equal(parts[i][k], 0);
        memset(parts[i], (int)(i & 0xff), size);
    }
    for (size_t i = 0; i < N; i++)
        for (size_t k = 0; k < 1 + i % 300; k++)
            assert_int_equal(parts[i][k], i & 0xff);
    yx_arena_destroy(&arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_array), cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_growth),      cmocka_unit_test(test_copy_rows),
        cmocka_unit_test(test_arena),       cmocka_unit_test(test_arena_blocks_grow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
