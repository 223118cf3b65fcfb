/* yx_text: UTF-8 validity, GB18030 decoding, formula injection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "yx_text.h"

static bool s_valid(const char *s)
{
    return yx_utf8_valid(s, strlen(s));
}

static void test_utf8_valid_accepts_well_formed(void **state)
{
    (void)state;
    assert_true(yx_utf8_valid("", 0));
    assert_true(s_valid("teacher_id,name"));
    assert_true(s_valid("工号,姓名,学科"));
    assert_true(s_valid("\xC2\x80"));             /* U+0080, smallest two-byte */
    assert_true(s_valid("\xED\x9F\xBF"));         /* U+D7FF, just below the surrogates */
    assert_true(s_valid("\xEE\x80\x80"));         /* U+E000, just above them */
    assert_true(s_valid("\xEF\xBF\xBF"));         /* U+FFFF */
    assert_true(s_valid("\xF0\x90\x80\x80"));     /* U+10000 */
    assert_true(s_valid("\xF4\x8F\xBF\xBF"));     /* U+10FFFF, the last code point */
    assert_true(s_valid("0123456789abcdef张三")); /* multibyte after the ASCII fast path */
    assert_true(yx_utf8_valid("a\0b", 3));
}

static void test_utf8_valid_refuses_malformed(void **state)
{
    (void)state;
    assert_false(s_valid("\x80"));                     /* lone continuation */
    assert_false(s_valid("\xC0\xAF"));                 /* overlong '/' */
    assert_false(s_valid("\xC1\xBF"));                 /* overlong */
    assert_false(s_valid("\xE0\x80\xAF"));             /* overlong three-byte */
    assert_false(s_valid("\xE0\x9F\xBF"));             /* overlong three-byte, top */
    assert_false(s_valid("\xF0\x80\x80\xAF"));         /* overlong four-byte */
    assert_false(s_valid("\xF0\x8F\xBF\xBF"));         /* overlong four-byte, top */
    assert_false(s_valid("\xED\xA0\x80"));             /* U+D800, high surrogate */
    assert_false(s_valid("\xED\xBF\xBF"));             /* U+DFFF, low surrogate */
    assert_false(s_valid("\xED\xA0\xBD\xED\xB8\x80")); /* CESU-8 pair */
    assert_false(s_valid("\xF4\x90\x80\x80"));         /* U+110000 */
    assert_false(s_valid("\xF5\x80\x80\x80"));         /* lead byte beyond the range */
    assert_false(s_valid("\xFE"));
    assert_false(s_valid("\xFF"));
    assert_false(s_valid("\xE5\xB7"));             /* truncated at the end */
    assert_false(s_valid("\xE5\xB7x"));            /* truncated by ASCII */
    assert_false(s_valid("\xC3\xC3\xA9"));         /* lead byte as continuation */
    assert_false(s_valid("abcdefghijklmnop\xC3")); /* truncated after the fast path */
    /* the length is honoured: a valid character cut by n is invalid */
    assert_false(yx_utf8_valid("工", 2));
}

static void test_to_utf8_decodes_gb18030(void **state)
{
    (void)state;
    const char gb[] = "\xB9\xA4\xBA\xC5\x2C\xD0\xD5\xC3\xFB\r\n"
                      "\xD5\xC5\xC8\xFD\r\n";
    size_t len = 0;
    const char *enc = NULL;
    char *text = yx_text_to_utf8(gb, sizeof gb - 1, &len, &enc);
    assert_non_null(text);
    assert_string_equal(text, "工号,姓名\r\n张三\r\n");
    assert_int_equal(len, strlen("工号,姓名\r\n张三\r\n"));
    assert_string_equal(enc, "gb18030");
    free(text);

    /* a four-byte GB18030 sequence: U+20000 */
    text = yx_text_to_utf8("\x95\x32\x82\x36", 4, &len, &enc);
    assert_non_null(text);
    assert_string_equal(text, "\xF0\xA0\x80\x80");
    assert_int_equal(len, 4);
    free(text);
}

static void test_to_utf8_keeps_utf8_and_strips_bom(void **state)
{
    (void)state;
    size_t len = 99;
    const char *enc = NULL;
    char *text = yx_text_to_utf8("\xEF\xBB\xBF工号,姓名\n", 3 + 14, &len, &enc);
    assert_non_null(text);
    assert_string_equal(text, "工号,姓名\n");
    assert_int_equal(len, 14);
    assert_string_equal(enc, "utf-8");
    free(text);

    text = yx_text_to_utf8("工号", 6, &len, &enc);
    assert_string_equal(text, "工号");
    assert_string_equal(enc, "utf-8");
    free(text);

    /* out parameters are optional; empty input is empty text */
    text = yx_text_to_utf8("", 0, NULL, NULL);
    assert_string_equal(text, "");
    free(text);

    /* only the leading BOM goes */
    text = yx_text_to_utf8("\xEF\xBB\xBF\xEF\xBB\xBF", 6, &len, &enc);
    assert_string_equal(text, "\xEF\xBB\xBF");
    assert_int_equal(len, 3);
    free(text);
}

static void test_to_utf8_refuses_undecodable(void **state)
{
    (void)state;
    /* a UTF-8 BOM before invalid UTF-8 is not GB18030 either */
    assert_null(yx_text_to_utf8("\xEF\xBB\xBF\xB9\xA4", 5, NULL, NULL));
    /* UTF-16LE with its BOM, as Excel's "Unicode text" */
    assert_null(yx_text_to_utf8("\xFF\xFE\x65\x5E\x37\x53", 6, NULL, NULL));
    /* UTF-16LE of "id" without a BOM: NUL bytes */
    assert_null(yx_text_to_utf8("i\0d\0", 4, NULL, NULL));
    /* NUL in otherwise valid text */
    assert_null(yx_text_to_utf8("a\0b", 3, NULL, NULL));
    /* invalid in both encodings */
    assert_null(yx_text_to_utf8("\xFF", 1, NULL, NULL));
    assert_null(yx_text_to_utf8("ok,\x80", 4, NULL, NULL));
    /* a GB18030 character cut at the end */
    assert_null(yx_text_to_utf8("\xB9\xA4\xBA", 3, NULL, NULL));
}

static void test_cell_is_formula(void **state)
{
    (void)state;
    assert_true(yx_cell_is_formula("=1+1"));
    assert_true(yx_cell_is_formula("=HYPERLINK(\"http://x\",\"y\")"));
    assert_true(yx_cell_is_formula("@SUM(A1:A2)"));
    assert_true(yx_cell_is_formula("\t=1"));
    assert_true(yx_cell_is_formula("\r=1"));
    assert_true(yx_cell_is_formula("-2+3"));
    assert_true(yx_cell_is_formula("+cmd|' /C calc'!A0"));
    assert_true(yx_cell_is_formula("-1.2.3"));
    assert_true(yx_cell_is_formula("+86 138 0013 8000"));
    assert_true(yx_cell_is_formula("-."));
    assert_true(yx_cell_is_formula("--1"));

    assert_false(yx_cell_is_formula("+8613800138000"));
    assert_false(yx_cell_is_formula("-12.5"));
    assert_false(yx_cell_is_formula("-.5"));
    assert_false(yx_cell_is_formula("-"));
    assert_false(yx_cell_is_formula("+"));
    assert_false(yx_cell_is_formula(""));
    assert_false(yx_cell_is_formula(NULL));
    assert_false(yx_cell_is_formula("张三"));
    assert_false(yx_cell_is_formula("a=b"));
    assert_false(yx_cell_is_formula(" =1")); /* spreadsheets read a leading blank as text */
}

static void test_cell_inert(void **state)
{
    (void)state;
    const char *cases[][2] = {
        {"=1+1", "'=1+1"},
        {"+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"},
        {"@A1", "'@A1"},
        {"-2+3", "'-2+3"},
        {"\t=1", "'\t=1"},
        {"-12.5", "-12.5"},
        {"+8613800138000", "+8613800138000"},
        {"张三", "张三"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *inert = yx_cell_inert(cases[i][0]);
        assert_non_null(inert);
        assert_string_equal(inert, cases[i][1]);
        assert_false(yx_cell_is_formula(inert));
        free(inert);
    }
}

static void test_hex(void **state)
{
    (void)state;
    char out[9];
    yx_hex("\x00\x7f\xa5\xff", 4, out);
    assert_string_equal(out, "007fa5ff");
    yx_hex("", 0, out);
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_valid_accepts_well_formed),
        cmocka_unit_test(test_utf8_valid_refuses_malformed),
        cmocka_unit_test(test_to_utf8_decodes_gb18030),
        cmocka_unit_test(test_to_utf8_keeps_utf8_and_strips_bom),
        cmocka_unit_test(test_to_utf8_refuses_undecodable),
        cmocka_unit_test(test_cell_is_formula),
        cmocka_unit_test(test_cell_inert),
        cmocka_unit_test(test_hex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
