/* yx_csv: quoting, physical line numbers, blank lines, limits, hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "yx_csv.h"

static const yx_csv_limits_t s_roomy = {
    .max_rows = 1000000, .max_fields = 100, .max_field_len = 4096};
static char s_err[256];

/* Parses a copy without the terminating NUL, so that reading past the end is caught. */
static yx_csv_t *s_parse(const char *text, const yx_csv_limits_t *limits)
{
    size_t n = strlen(text);
    char *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    memcpy(copy, text, n);
    s_err[0] = '\0';
    yx_csv_t *csv = yx_csv_parse(copy, n, limits, s_err, sizeof s_err);
    free(copy);
    return csv;
}

/* Asserts that text fails to parse with a message containing want. */
static void s_refused(const char *text, const yx_csv_limits_t *limits, const char *want)
{
    yx_csv_t *csv = s_parse(text, limits);
    assert_null(csv);
    if (!strstr(s_err, want)) fail_msg("error \"%s\" does not mention \"%s\"", s_err, want);
}

static void test_basic_table(void **state)
{
    (void)state;
    yx_csv_t *csv = s_parse(" 工号 ,\t姓名\t,\"\xE3\x80\x80学科 \"\n"
                            "T001,张三,语文\n"
                            "T002,李四,\"数学,物理\"\n",
                            &s_roomy);
    assert_non_null(csv);
    assert_int_equal(yx_csv_cols(csv), 3);
    assert_int_equal(yx_csv_rows(csv), 2);
    assert_string_equal(yx_csv_header(csv, 0), "工号");
    assert_string_equal(yx_csv_header(csv, 1), "姓名");
    assert_string_equal(yx_csv_header(csv, 2), "学科");
    assert_string_equal(yx_csv_header(csv, 3), "");
    assert_int_equal(yx_csv_column(csv, "姓名"), 1);
    assert_int_equal(yx_csv_column(csv, "学科"), 2);
    assert_int_equal(yx_csv_column(csv, "职称"), -1);
    assert_int_equal(yx_csv_column(csv, " 工号 "), -1);
    assert_string_equal(yx_csv_cell(csv, 0, 0), "T001");
    assert_string_equal(yx_csv_cell(csv, 0, 1), "张三");
    assert_string_equal(yx_csv_cell(csv, 1, 2), "数学,物理");
    assert_int_equal(yx_csv_line(csv, 0), 2);
    assert_int_equal(yx_csv_line(csv, 1), 3);
    yx_csv_destroy(&csv);
    assert_null(csv);
    yx_csv_destroy(&csv);
}

static void test_quotes_and_blanks_in_cells(void **state)
{
    (void)state;
    yx_csv_t *csv = s_parse("a,b,c,d\n"
                            "\"He said \"\"hi\"\"\", \" kept \" ,  trimmed  ,\"\"\n"
                            "=1+1,-2+3,@x,\"\"\"\"\n",
                            &s_roomy);
    assert_non_null(csv);
    assert_string_equal(yx_csv_cell(csv, 0, 0), "He said \"hi\"");
    assert_string_equal(yx_csv_cell(csv, 0, 1), " kept ");
    assert_string_equal(yx_csv_cell(csv, 0, 2), "trimmed");
    assert_string_equal(yx_csv_cell(csv, 0, 3), "");
    /* formulas are data here: making them inert is the writer's business */
    assert_string_equal(yx_csv_cell(csv, 1, 0), "=1+1");
    assert_string_equal(yx_csv_cell(csv, 1, 3), "\"");
    yx_csv_destroy(&csv);
}

static void test_crlf_lf_and_no_final_newline(void **state)
{
    (void)state;
    yx_csv_t *csv = s_parse("id,name\r\n1,one\r\n2,two\n3,three", &s_roomy);
    assert_non_null(csv);
    assert_int_equal(yx_csv_rows(csv), 3);
    assert_string_equal(yx_csv_header(csv, 1), "name");
    assert_string_equal(yx_csv_cell(csv, 0, 1), "one");
    assert_string_equal(yx_csv_cell(csv, 2, 1), "three");
    assert_int_equal(yx_csv_line(csv, 2), 4);
    yx_csv_destroy(&csv);

    /* lone CRs, as old Mac spreadsheets wrote them */
    csv = s_parse("id,name\r1,one\r\r2,two\r", &s_roomy);
    assert_non_null(csv);
    assert_int_equal(yx_csv_rows(csv), 2);
    assert_int_equal(yx_csv_line(csv, 0), 2);
    assert_int_equal(yx_csv_line(csv, 1), 4);
    assert_string_equal(yx_csv_cell(csv, 1, 1), "two");
    yx_csv_destroy(&csv);
}

static void test_embedded_newlines_keep_lines(void **state)
{
    (void)state;
    yx_csv_t *csv = s_parse("工号,姓名,备注\r\n"
                            "T1,张三,\"第一行\r\n第二行\r\n第三行\"\r\n"
                            "T2,\"李\n四\",ok\r\n"
                            "T3,王五,\"\"\r\n",
                            &s_roomy);
    assert_non_null(csv);
    assert_int_equal(yx_csv_rows(csv), 3);
    assert_int_equal(yx_csv_line(csv, 0), 2);
    assert_int_equal(yx_csv_line(csv, 1), 5);
    assert_int_equal(yx_csv_line(csv, 2), 7);
    assert_string_equal(yx_csv_cell(csv, 0, 2), "第一行\r\n第二行\r\n第三行");
    assert_string_equal(yx_csv_cell(csv, 1, 1), "李\n四");
    yx_csv_destroy(&csv);

    /* a quoted field that starts the row and spans lines */
    csv = s_parse("a,b\n\"x\ny\",1\n2,3\n", &s_roomy);
    assert_non_null(csv);
    assert_int_equal(yx_csv_line(csv, 0), 2);
    assert_int_equal(yx_csv_line(csv, 1), 4);
    assert_string_equal(yx_csv_cell(csv, 0, 0), "x\ny");
    yx_csv_destroy(&csv);
}

static void test_blank_lines_skipped(void **state)
{
    (void)state;
    yx_csv_t *csv = s_parse("\n\r\nid,name\n\n  \t \n1,one\n,,\n , \n2,\"\"\n\n\n", &s_roomy);
    assert_non_null(csv);
    assert_int_equal(yx_csv_rows(csv), 2);
    assert_string_equal(yx_csv_header(csv, 0), "id");
    assert_int_equal(yx_csv_line(csv, 0), 6);
    assert_int_equal(yx_csv_line(csv, 1), 9);
    assert_string_equal(yx_csv_cell(csv, 1, 0), "2");
    yx_csv_destroy(&csv);
}

static void test_short_and_long_rows(void **state)
{
    (void)state;
    yx_csv_t *csv = s_parse("a,b,c\n1\n1,2,3,4\n", &s_roomy);
    assert_non_null(csv);
    assert_int_equal(yx_csv_row_fields(csv, 0), 1);
    assert_int_equal(yx_csv_row_fields(csv, 1), 4);
    assert_string_equal(yx_csv_cell(csv, 0, 0), "1");
    assert_string_equal(yx_csv_cell(csv, 0, 1), "");
    assert_string_equal(yx_csv_cell(csv, 0, 2), "");
    assert_string_equal(yx_csv_cell(csv, 1, 3), "4");
    assert_string_equal(yx_csv_cell(csv, 1, -1), "");
    assert_string_equal(yx_csv_cell(csv, 1, yx_csv_column(csv, "zzz")), "");
    assert_string_equal(yx_csv_cell(csv, 2, 0), "");
    assert_int_equal(yx_csv_row_fields(csv, 2), 0);
    assert_int_equal(yx_csv_line(csv, 2), 0);
    yx_csv_destroy(&csv);
}

static void test_malformed_quoting(void **state)
{
    (void)state;
    s_refused("id,name\n1,ok\n2,\"never closed\n3,x\n4,y\n", &s_roomy, "line 3:");
    s_refused("id,name\n1,ok\n2,\"never closed", &s_roomy, "line 3:");
    s_refused("id,name\n1,ab\"c\n", &s_roomy, "line 2:");
    s_refused("id,name\n1,\"ab\"c\n", &s_roomy, "line 2:");
    /* the error names the physical line, after a multi-line field */
    s_refused("id,name\n1,\"a\nb\"\n2,\"x\" \"y\"\n", &s_roomy, "line 4:");
    s_refused("\"id,name\n", &s_roomy, "line 1:");
}

static void test_empty_header(void **state)
{
    (void)state;
    s_refused("", &s_roomy, "empty header");
    s_refused("\r\n\n \n", &s_roomy, "empty header");
    s_refused(",,\n,\n", &s_roomy, "empty header");
}

static void test_limits(void **state)
{
    (void)state;
    yx_csv_limits_t limits = {.max_rows = 2, .max_fields = 3, .max_field_len = 5};
    yx_csv_t *csv = s_parse("a,b,c\n1,2,3\n\n12345,x,y\n", &limits);
    assert_non_null(csv); /* exactly at every limit */
    assert_int_equal(yx_csv_rows(csv), 2);
    yx_csv_destroy(&csv);

    s_refused("a,b,c\n1\n2\n\n3\n", &limits, "line 5: more than 2 rows");
    s_refused("a,b,c\n1,2,3\n1,2,3,4\n", &limits, "line 3: more than 3 fields");
    s_refused("a,b,c,d\n", &limits, "line 1: more than 3 fields");
    s_refused("a,b,c\n1,123456\n", &limits, "line 2: field longer than 5 bytes");
    s_refused("a,b,c\n1,\"12\n3456\"\n", &limits, "line 2: field longer than 5 bytes");
    s_refused("abcdef\n", &limits, "line 1: field longer than 5 bytes");
}

static void test_huge_field_stops_early(void **state)
{
    (void)state;
    /* 32 MB in one quoted field: refused without buffering it all */
    size_t n = 32u << 20;
    char *text = malloc(n + 1);
    assert_non_null(text);
    memcpy(text, "a,b\n1,\"", 7);
    memset(text + 7, 'x', n - 7);
    text[n] = '\0';
    yx_csv_limits_t limits = {.max_rows = 10, .max_fields = 10, .max_field_len = 1000};
    clock_t start = clock();
    yx_csv_t *csv = yx_csv_parse(text, n, &limits, s_err, sizeof s_err);
    double secs = (double)(clock() - start) / CLOCKS_PER_SEC;
    assert_null(csv);
    assert_non_null(strstr(s_err, "line 2: field longer than 1000 bytes"));
    assert_true(secs < 1.0);
    free(text);
}

static void test_hundred_thousand_rows(void **state)
{
    (void)state;
    enum { ROWS = 100000 };
    size_t cap = (size_t)ROWS * 64 + 64, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    len += (size_t)snprintf(text, cap, "工号,姓名,学校,备注\r\n");
    for (int i = 0; i < ROWS; i++)
        len += (size_t)snprintf(text + len, cap - len, "T%06d,教师%d,S%03d,\"%s\"\r\n", i, i,
                                i % 300, i % 1000 == 0 ? "多\n行" : "");
    yx_csv_limits_t limits = {.max_rows = ROWS, .max_fields = 10, .max_field_len = 100};
    clock_t start = clock();
    yx_csv_t *csv = yx_csv_parse(text, len, &limits, s_err, sizeof s_err);
    double secs = (double)(clock() - start) / CLOCKS_PER_SEC;
    assert_non_null(csv);
    print_message("parsed %zu bytes in %.3f s\n", len, secs);
    assert_int_equal(yx_csv_rows(csv), ROWS);
    assert_string_equal(yx_csv_cell(csv, ROWS - 1, 0), "T099999");
    assert_string_equal(yx_csv_cell(csv, ROWS - 1, 1), "教师99999");
    assert_string_equal(yx_csv_cell(csv, 1000, 3), "多\n行");
    /* rows 0, 1000, 2000... each take two lines */
    assert_int_equal(yx_csv_line(csv, 0), 2);
    assert_int_equal(yx_csv_line(csv, 1), 4);
    assert_int_equal(yx_csv_line(csv, ROWS - 1), ROWS + 1 + ROWS / 1000);
    yx_csv_destroy(&csv);

    /* one row more than allowed is refused, naming its line */
    limits.max_rows = ROWS - 1;
    csv = yx_csv_parse(text, len, &limits, s_err, sizeof s_err);
    assert_null(csv);
    char want[64];
    snprintf(want, sizeof want, "line %d: more than %d rows", ROWS + 1 + ROWS / 1000, ROWS - 1);
    assert_string_equal(s_err, want);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_table),
        cmocka_unit_test(test_quotes_and_blanks_in_cells),
        cmocka_unit_test(test_crlf_lf_and_no_final_newline),
        cmocka_unit_test(test_embedded_newlines_keep_lines),
        cmocka_unit_test(test_blank_lines_skipped),
        cmocka_unit_test(test_short_and_long_rows),
        cmocka_unit_test(test_malformed_quoting),
        cmocka_unit_test(test_empty_header),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_huge_field_stops_early),
        cmocka_unit_test(test_hundred_thousand_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
