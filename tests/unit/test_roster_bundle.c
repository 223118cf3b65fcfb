/* The roster's bundle reader on its own: everything it must catch before the store is
 * touched, with the exact file, line and column an admin needs to fix it. */
#include "sync.h"

#include <archive.h>
#include <archive_entry.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static const char *s_manifest = "propertyName,value\nmanifest.version,1.0\noneroster.version,1.1\n";
static const char *s_orgs =
    "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n"
    "d1,,,城关片区,district,,\ns1,,,县第一中学,school,GZ01,d1\n";
static const char *s_users_header =
    "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,"
    "givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,"
    "password,metadata.subject\n";

/* A zip of name/content pairs, NULL-terminated, in a malloc'd buffer. */
static void *s_zip(size_t *size, ...)
{
    size_t cap = 1 << 20;
    void *buf = malloc(cap);
    struct archive *a = archive_write_new();
    archive_write_set_format_zip(a);
    archive_write_open_memory(a, buf, cap, size);
    va_list ap;
    va_start(ap, size);
    for (const char *name; (name = va_arg(ap, const char *));) {
        const char *content = va_arg(ap, const char *);
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, name);
        archive_entry_set_size(e, (la_int64_t)strlen(content));
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_write_header(a, e);
        archive_write_data(a, content, strlen(content));
        archive_entry_free(e);
    }
    va_end(ap);
    archive_write_close(a);
    archive_write_free(a);
    return buf;
}

typedef struct {
    yx_arena_t *arena;
    sync_t *sync;
    Yx__Principal principal;
} fixture_t;

static int s_setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    yx__principal__init(&f->principal);
    f->principal.role = YX__ROLE__ROLE_COUNTY_ADMIN;
    f->arena = yx_arena_new();
    f->sync = sync_new(NULL, &f->principal, "county", "test", f->arena);
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    fixture_t *f = *state;
    sync_destroy(&f->sync);
    yx_arena_destroy(&f->arena);
    free(f);
    return 0;
}

static void s_load(fixture_t *f, const char *users)
{
    size_t size;
    char *full = malloc(strlen(s_users_header) + strlen(users) + 1);
    strcpy(full, s_users_header);
    strcat(full, users);
    void *zip =
        s_zip(&size, "manifest.csv", s_manifest, "orgs.csv", s_orgs, "users.csv", full, NULL);
    bundle_load(f->sync, zip, size);
    free(zip);
    free(full);
}

static const problem_t *s_problem_at(const problems_t *list, const char *file, unsigned line,
                                     const char *column)
{
    for (size_t i = 0; i < list->count; i++)
        if (strcmp(list->items[i].file, file) == 0 && list->items[i].line == line &&
            strcmp(list->items[i].column, column) == 0)
            return &list->items[i];
    return NULL;
}

static void test_clean_bundle_loads_every_row(void **state)
{
    fixture_t *f = *state;
    s_load(f, "t1,,,true,s1,teacher,zw,,伟,张,,T01,zw@x.cn,,,,,,数学\n"
              "t2,,,TRUE,s1,teacher,lf,,芳,李,,T02,,,,,,,语文\n");
    assert_int_equal(f->sync->problems.count, 0);
    assert_int_equal(f->sync->sets[E_DISTRICTS].count, 1);
    assert_int_equal(f->sync->sets[E_SCHOOLS].count, 1);
    assert_int_equal(f->sync->sets[E_USERS].count, 2);
    const row_t *t2 = sync_find_row(f->sync, E_USERS, "t2");
    assert_non_null(t2);
    assert_string_equal(t2->tenant, "s1");
    assert_string_equal(t2->values[entity_field(&roster_entities[E_USERS], "enabled")], "true");
    assert_string_equal(t2->values[entity_field(&roster_entities[E_USERS], "subject")], "语文");
    const row_t *s1 = sync_find_row(f->sync, E_SCHOOLS, "s1");
    assert_string_equal(s1->values[entity_field(&roster_entities[E_SCHOOLS], "district_id")], "d1");
}

static void test_every_bad_row_is_reported_with_line_and_column(void **state)
{
    fixture_t *f = *state;
    s_load(f, "t1,,,true,s1,teacher,zw,,伟,,,,,,,,,,\n"      /* line 2: familyName */
              "t2,,,maybe,s1,teacher,lf,,芳,李,,,,,,,,,\n"   /* line 3: enabledUser */
              "t3,,,true,s1,wizard,x,,a,b,,,,,,,,,\n"        /* line 4: role */
              "t1,,,true,s1,teacher,dup,,a,b,,,,,,,,,\n"     /* line 5: duplicate */
              "t5,,,true,s1,teacher,x,,a,b\n"                /* line 6: short row */
              "t6,gone,,true,s1,teacher,x,,a,b,,,,,,,,,\n"); /* line 7: status */
    const problems_t *p = &f->sync->problems;
    assert_non_null(s_problem_at(p, "users.csv", 2, "familyName"));
    assert_non_null(s_problem_at(p, "users.csv", 3, "enabledUser"));
    assert_non_null(s_problem_at(p, "users.csv", 4, "role"));
    const problem_t *dup = s_problem_at(p, "users.csv", 5, "sourcedId");
    assert_non_null(dup);
    assert_non_null(strstr(dup->reason, "line 2"));
    assert_non_null(s_problem_at(p, "users.csv", 6, ""));
    assert_non_null(s_problem_at(p, "users.csv", 7, "status"));
    assert_int_equal(p->count, 6);
}

static void test_formula_cells_are_stored_inert(void **state)
{
    fixture_t *f = *state;
    s_load(f, "t1,,,true,s1,teacher,zw,,\"=cmd|' /C calc'!A0\",张,,,,,+8613800000000,,,,\n");
    assert_int_equal(f->sync->problems.count, 0);
    const row_t *t1 = sync_find_row(f->sync, E_USERS, "t1");
    const entity_t *users = &roster_entities[E_USERS];
    assert_string_equal(t1->values[entity_field(users, "given_name")], "'=cmd|' /C calc'!A0");
    assert_string_equal(t1->values[entity_field(users, "phone")], "+8613800000000");
}

static void test_not_a_zip_is_a_bad_request(void **state)
{
    fixture_t *f = *state;
    bundle_load(f->sync, (const uint8_t *)"PK\x03\x04garbage", 11);
    assert_int_equal(f->sync->fatal_code, 400);
}

static void test_invalid_utf8_names_its_line(void **state)
{
    fixture_t *f = *state;
    s_load(
        f,
        "t1,,,true,s1,teacher,zw,,ok,ok,,,,,,,,,\nt2,,,true,s1,teacher,lf,,\xC3\x28,b,,,,,,,,,\n");
    assert_non_null(s_problem_at(&f->sync->problems, "users.csv", 3, ""));
}

static void test_header_only_file_is_absent_not_empty(void **state)
{
    fixture_t *f = *state;
    s_load(f, "");
    assert_int_equal(f->sync->problems.count, 0);
    assert_false(f->sync->sets[E_USERS].present); /* bulk must not deactivate everyone */
    assert_true(f->sync->warnings.count >= 1);
}

static void test_missing_required_column(void **state)
{
    fixture_t *f = *state;
    size_t size;
    void *zip = s_zip(&size, "users.csv", "sourcedId,orgSourcedIds,role\nt1,s1,teacher\n", NULL);
    bundle_load(f->sync, zip, size);
    free(zip);
    assert_non_null(s_problem_at(&f->sync->problems, "users.csv", 1, "username"));
    assert_non_null(s_problem_at(&f->sync->problems, "users.csv", 1, "givenName"));
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        T(test_clean_bundle_loads_every_row),
        T(test_every_bad_row_is_reported_with_line_and_column),
        T(test_formula_cells_are_stored_inert),
        T(test_not_a_zip_is_a_bad_request),
        T(test_invalid_utf8_names_its_line),
        T(test_header_only_file_is_absent_not_empty),
        T(test_missing_required_column),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
