/* Splitting multipart/mixed bodies: statements with their attachments as platforms send
 * them, bare LFs, quoted boundaries, preambles and epilogues, and every malformed shape
 * refused with its reason. */
/* the service's headers are not on the unit tests' include path; reach them directly */
#include "../../services/credits/multipart.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define MAX 4

static yx_arena_t *s_arena;

static int s_setup(void **state)
{
    (void)state;
    s_arena = yx_arena_new();
    return s_arena ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void)state;
    yx_arena_destroy(&s_arena);
    return 0;
}

static int s_split(const char *type, const char *body, multipart_part_t *parts, const char **why)
{
    *why = NULL;
    return multipart_split(s_arena, type, (const uint8_t *)body, strlen(body), parts, MAX, why);
}

static void s_expect_data(const multipart_part_t *part, const char *data)
{
    assert_int_equal(part->len, strlen(data));
    assert_memory_equal(part->data, data, part->len);
}

static void test_statements_with_an_attachment(void **state)
{
    (void)state;
    const char *body = "--abc\r\n"
                       "Content-Type: application/json\r\n"
                       "\r\n"
                       "[{\"id\": 1}]\r\n"
                       "--abc\r\n"
                       "content-type: text/plain\r\n"
                       "Content-Transfer-Encoding:  binary \r\n"
                       "X-Experience-API-Hash: 0123abcd\r\n"
                       "\r\n"
                       "line one\r\nline two\r\n"
                       "--abc--\r\n";
    multipart_part_t parts[MAX];
    const char *why;
    assert_int_equal(s_split("multipart/mixed; boundary=abc", body, parts, &why), 2);
    assert_string_equal(parts[0].content_type, "application/json");
    assert_null(parts[0].hash);
    s_expect_data(&parts[0], "[{\"id\": 1}]");
    assert_string_equal(parts[1].content_type, "text/plain");
    assert_string_equal(parts[1].transfer_encoding, "binary");
    assert_string_equal(parts[1].hash, "0123abcd");
    /* the line break before the delimiter belongs to it, the ones inside to the data */
    s_expect_data(&parts[1], "line one\r\nline two");
}

static void test_lenient_shapes(void **state)
{
    (void)state;
    multipart_part_t parts[MAX];
    const char *why;
    /* a quoted boundary, a preamble, bare LFs, a part without headers, an epilogue */
    const char *body = "This is a preamble.\n"
                       "--a b'c\n"
                       "\n"
                       "no headers\n"
                       "--a b'c\n"
                       "Content-Type: application/octet-stream\n"
                       "\n"
                       "\n"
                       "--a b'c--\n"
                       "epilogue";
    assert_int_equal(s_split("Multipart/Mixed;charset=x; boundary=\"a b'c\"", body, parts, &why),
                     2);
    assert_null(parts[0].content_type);
    s_expect_data(&parts[0], "no headers");
    s_expect_data(&parts[1], "");
    /* an empty part whose blank line runs straight into the next delimiter */
    assert_int_equal(s_split("multipart/mixed; boundary=x",
                             "--x\r\n\r\n--x\r\nA: b\r\n\r\nz\r\n--x--", parts, &why),
                     2);
    s_expect_data(&parts[0], "");
    s_expect_data(&parts[1], "z");
    assert_true(multipart_is_mixed("multipart/mixed;boundary=x"));
    assert_true(multipart_is_mixed("MULTIPART/MIXED"));
    assert_false(multipart_is_mixed("multipart/mixedx"));
    assert_false(multipart_is_mixed("application/json"));
    assert_false(multipart_is_mixed(NULL));
}

static void test_malformed_bodies(void **state)
{
    (void)state;
    multipart_part_t parts[MAX];
    const char *why;
    static const struct {
        const char *type, *body, *reason;
    } cases[] = {
        {"multipart/mixed", "--x\r\n\r\na\r\n--x--", "boundary"},
        {"multipart/mixed; boundary=", "--x\r\n\r\na\r\n--x--", "boundary"},
        {"multipart/mixed; boundary=\"x", "--x\r\n\r\na\r\n--x--", "boundary"},
        {"multipart/mixed; boundary=y", "--x\r\n\r\na\r\n--x--", "no multipart delimiter"},
        {"multipart/mixed; boundary=x", "--x\r\nContent-Type: a\r\n\r\nno end",
         "closing delimiter"},
        {"multipart/mixed; boundary=x", "--x\r\nContent-Type: a\r\nno blank line", "empty line"},
        {"multipart/mixed; boundary=x", "--x\r\nnot a header\r\n\r\na\r\n--x--", "without a colon"},
        {"multipart/mixed; boundary=x", "--xjunk\r\n\r\na\r\n--x--", "trailing text"},
        {"multipart/mixed; boundary=x",
         "--x\r\n\r\n1\r\n--x\r\n\r\n2\r\n--x\r\n\r\n3\r\n--x\r\n\r\n4\r\n--x\r\n\r\n5\r\n--x--",
         "at most 4 parts"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(s_split(cases[i].type, cases[i].body, parts, &why), -1);
        assert_non_null(why);
        if (!strstr(why, cases[i].reason)) fail_msg("case %zu: %s", i, why);
    }
    /* a header block longer than the limit */
    static char big[MULTIPART_HEADERS_MAX + 64];
    strcpy(big, "--x\r\nX-Long: ");
    memset(big + strlen(big), 'a', MULTIPART_HEADERS_MAX);
    strcat(big, "\r\n\r\nz\r\n--x--");
    assert_int_equal(s_split("multipart/mixed; boundary=x", big, parts, &why), -1);
    assert_non_null(strstr(why, "empty line"));
    /* a boundary of 71 characters */
    char type[128];
    snprintf(type, sizeof type, "multipart/mixed; boundary=%071d", 0);
    assert_int_equal(s_split(type, "x", parts, &why), -1);
}

/* Ten thousand random mutations of a good body: whatever comes of each, the parts lie inside
 * it (ASan watches every read). */
static void test_mutated_bodies_stay_in_bounds(void **state)
{
    (void)state;
    static const char good[] = "--b\r\nContent-Type: application/json\r\n\r\n[{}]\r\n"
                               "--b\r\nX-Experience-API-Hash: ab\r\nContent-Transfer-Encoding: "
                               "binary\r\n\r\n\x00\x01--b\r\n\r\n--b--\r\n";
    static const char alphabet[] = "-b\r\n: \"\x00x";
    unsigned seed = 12345;
    multipart_part_t parts[MAX];
    for (int round = 0; round < 10000; round++) {
        size_t len = sizeof good - 1 - (size_t)(round % 7);
        uint8_t *body = malloc(len); /* exactly len: a read past the end is caught */
        assert_non_null(body);
        memcpy(body, good, len);
        for (int k = 0; k < 1 + round % 5; k++) {
            seed = seed * 1103515245u + 12345u;
            body[(seed >> 8) % len] = (uint8_t)alphabet[(seed >> 20) % (sizeof alphabet - 1)];
        }
        const char *why = NULL;
        int n =
            multipart_split(s_arena, "multipart/mixed; boundary=b", body, len, parts, MAX, &why);
        assert_true(n >= -1 && n <= MAX);
        if (n < 0) assert_non_null(why);
        for (int i = 0; i < n; i++)
            assert_true(parts[i].data >= body && parts[i].data + parts[i].len <= body + len);
        free(body);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_statements_with_an_attachment, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_lenient_shapes, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_malformed_bodies, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_mutated_bodies_stay_in_bounds, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
