/* yx_zip: bundles as Windows and macOS make them, and hostile archives (bombs, traversal,
 * duplicates, other formats, corruption), all built in memory with libarchive's writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <locale.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "yx_zip.h"

typedef struct {
    const char *name;
    const char *data; /* NULL: a directory */
} s_file_t;

typedef struct {
    const char *format;  /* "zip" unless told */
    const char *options; /* writer options, e.g. "zip:compression=store" */
    bool utf8_names;     /* names flagged as UTF-8 */
} s_how_t;

static const yx_zip_limits_t s_limits = {
    .max_entries = 16, .max_entry_size = 1 << 20, .max_total_size = 4 << 20};
static char s_err[256];

static struct archive *s_writer(const s_how_t *how, char *buf, size_t cap, size_t *used)
{
    struct archive *w = archive_write_new();
    assert_non_null(w);
    if (how && how->format)
        assert_int_equal(archive_write_set_format_by_name(w, how->format), ARCHIVE_OK);
    else
        assert_int_equal(archive_write_set_format_zip(w), ARCHIVE_OK);
    if (how && how->options)
        assert_int_equal(archive_write_set_options(w, how->options), ARCHIVE_OK);
    if (how && how->utf8_names)
        assert_int_equal(archive_write_set_options(w, "hdrcharset=UTF-8"), ARCHIVE_OK);
    assert_int_equal(archive_write_open_memory(w, buf, cap, used), ARCHIVE_OK);
    return w;
}

static struct archive_entry *s_entry(const char *name, bool dir, int64_t size, bool utf8)
{
    struct archive_entry *e = archive_entry_new();
    assert_non_null(e);
    if (utf8)
        archive_entry_update_pathname_utf8(e, name);
    else
        archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(e, dir ? 0755 : 0644);
    if (size >= 0) archive_entry_set_size(e, size);
    return e;
}

/* An archive of the given files, malloc'd; its size in *len. */
static char *s_build(const s_file_t *files, size_t count, const s_how_t *how, size_t *len)
{
    size_t cap = 1 << 20;
    char *buf = malloc(cap);
    assert_non_null(buf);
    struct archive *w = s_writer(how, buf, cap, len);
    for (size_t i = 0; i < count; i++) {
        size_t size = files[i].data ? strlen(files[i].data) : 0;
        struct archive_entry *e =
            s_entry(files[i].name, !files[i].data, (int64_t)size, how && how->utf8_names);
        assert_int_equal(archive_write_header(w, e), ARCHIVE_OK);
        if (size) assert_int_equal(archive_write_data(w, files[i].data, size), (la_ssize_t)size);
        archive_entry_free(e);
    }
    assert_int_equal(archive_write_close(w), ARCHIVE_OK);
    archive_write_free(w);
    return buf;
}

/* A zip bomb: one entry of size zero bytes deflated to a few hundred kilobytes. When
 * declare is false the header carries no size (data descriptor), as streaming writers do. */
static char *s_bomb(size_t size, bool declare, size_t *len)
{
    static const char zeros[1 << 16];
    size_t cap = 4 << 20;
    char *buf = malloc(cap);
    assert_non_null(buf);
    struct archive *w = s_writer(NULL, buf, cap, len);
    struct archive_entry *e = s_entry("users.csv", false, declare ? (int64_t)size : -1, false);
    assert_int_equal(archive_write_header(w, e), ARCHIVE_OK);
    for (size_t done = 0; done < size; done += sizeof zeros)
        assert_int_equal(archive_write_data(w, zeros, sizeof zeros), (la_ssize_t)sizeof zeros);
    archive_entry_free(e);
    assert_int_equal(archive_write_close(w), ARCHIVE_OK);
    archive_write_free(w);
    return buf;
}

static int s_read(const char *buf, size_t len, const yx_zip_limits_t *limits, yx_zip_t *zip)
{
    s_err[0] = '\0';
    return yx_zip_read(buf, len, limits, zip, s_err, sizeof s_err);
}

/* Asserts that the archive is refused with rc, a message containing want and no entries. */
static void s_refused(const char *buf, size_t len, const yx_zip_limits_t *limits, int rc,
                      const char *want)
{
    yx_zip_t zip;
    assert_int_equal(s_read(buf, len, limits, &zip), rc);
    assert_int_equal(zip.count, 0);
    assert_null(zip.entries);
    if (!strstr(s_err, want)) fail_msg("error \"%s\" does not mention \"%s\"", s_err, want);
}

static long s_peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* First, while the peak memory is still low: a bomb must not be inflated into memory. */
static void test_bomb_refused_without_inflating(void **state)
{
    (void)state;
    size_t len;
    char *bomb = s_bomb(200u << 20, true, &len);
    assert_true(len < (2u << 20));
    yx_zip_limits_t limits = {
        .max_entries = 16, .max_entry_size = 10 << 20, .max_total_size = 64 << 20};
    long before = s_peak_rss_kb();
    s_refused(bomb, len, &limits, YX_ZIP_TOO_LARGE,
              "users.csv is larger than 10485760 bytes uncompressed");
    long grown_mb = (s_peak_rss_kb() - before) / 1024;
    if (grown_mb > 100) fail_msg("reading the bomb took %ld MB", grown_mb);
    free(bomb);

    /* the total limit applies when it is the smaller one */
    limits.max_total_size = 1 << 20;
    bomb = s_bomb(200u << 20, false, &len);
    s_refused(bomb, len, &limits, YX_ZIP_TOO_LARGE,
              "zip contents are larger than 1048576 bytes uncompressed");
    free(bomb);
}

static void test_bomb_without_declared_size(void **state)
{
    (void)state;
    size_t len;
    char *bomb = s_bomb(64u << 20, false, &len);
    s_refused(bomb, len, &s_limits, YX_ZIP_TOO_LARGE, "users.csv is larger than");
    free(bomb);
}

static void test_folder_prefix_and_noise(void **state)
{
    (void)state;
    const s_file_t files[] = {
        {"bundle/", NULL},
        {"bundle/manifest.csv", "propertyName,value\n"},
        {"bundle/users.csv", "sourcedId,username\nu1,zhang\n"},
        {"bundle/empty.csv", ""},
        {"bundle/.DS_Store", "junk"},
        {"__MACOSX/", NULL},
        {"__MACOSX/bundle/._users.csv", "resource fork"},
        {"bundle/__MACOSX/x.csv", "nested noise"},
        {"./__MACOSX_notes.csv", "not noise"},
    };
    size_t len;
    char *buf = s_build(files, sizeof files / sizeof files[0], NULL, &len);
    yx_zip_t zip;
    assert_int_equal(s_read(buf, len, &s_limits, &zip), YX_ZIP_OK);
    assert_int_equal(zip.count, 4);
    assert_string_equal(yx_zip_find(&zip, "__MACOSX_notes.csv")->data, "not noise");
    const yx_zip_entry_t *users = yx_zip_find(&zip, "users.csv");
    assert_non_null(users);
    assert_string_equal(users->data, "sourcedId,username\nu1,zhang\n");
    assert_int_equal(users->size, strlen(users->data));
    assert_non_null(yx_zip_find(&zip, "manifest.csv"));
    const yx_zip_entry_t *empty = yx_zip_find(&zip, "empty.csv");
    assert_non_null(empty);
    assert_int_equal(empty->size, 0);
    assert_string_equal(empty->data, "");
    assert_null(yx_zip_find(&zip, "bundle/users.csv"));
    assert_null(yx_zip_find(&zip, ".DS_Store"));
    assert_null(yx_zip_find(&zip, "x.csv"));
    assert_null(yx_zip_find(&zip, "._users.csv"));
    yx_zip_free(&zip);
    assert_int_equal(zip.count, 0);
    assert_null(zip.entries);
    yx_zip_free(&zip);
    free(buf);
}

static void test_stored_entries_and_empty_zip(void **state)
{
    (void)state;
    const s_file_t files[] = {{"orgs.csv", "sourcedId,name\n"}, {"a\\b\\users.csv", "x"}};
    s_how_t how = {.options = "zip:compression=store"};
    size_t len;
    char *buf = s_build(files, 2, &how, &len);
    yx_zip_t zip;
    assert_int_equal(s_read(buf, len, &s_limits, &zip), YX_ZIP_OK);
    assert_int_equal(zip.count, 2);
    assert_string_equal(yx_zip_find(&zip, "orgs.csv")->data, "sourcedId,name\n");
    /* backslashes, as some Windows tools write them, separate folders too */
    assert_string_equal(yx_zip_find(&zip, "users.csv")->data, "x");
    yx_zip_free(&zip);
    free(buf);

    buf = s_build(NULL, 0, NULL, &len);
    assert_int_equal(s_read(buf, len, &s_limits, &zip), YX_ZIP_OK);
    assert_int_equal(zip.count, 0);
    yx_zip_free(&zip);
    free(buf);
}

static void test_chinese_names(void **state)
{
    (void)state;
    locale_t before = uselocale((locale_t)0);
    /* flagged UTF-8, as Windows 11 and macOS write them */
    const s_file_t utf8[] = {{"教师名单/工号.csv", "a"}};
    s_how_t how = {.utf8_names = true};
    size_t len;
    char *buf = s_build(utf8, 1, &how, &len);
    yx_zip_t zip;
    assert_int_equal(s_read(buf, len, &s_limits, &zip), YX_ZIP_OK);
    assert_int_equal(zip.count, 1);
    assert_string_equal(zip.entries[0].name, "工号.csv");
    yx_zip_free(&zip);
    free(buf);

    /* unflagged GBK, as older Chinese Windows writes them */
    const s_file_t gbk[] = {{"\xBD\xCC\xCA\xA6/\xB9\xA4\xBA\xC5.csv", "b"}};
    buf = s_build(gbk, 1, NULL, &len);
    assert_int_equal(s_read(buf, len, &s_limits, &zip), YX_ZIP_OK);
    assert_int_equal(zip.count, 1);
    assert_string_equal(zip.entries[0].name, "工号.csv");
    assert_string_equal(zip.entries[0].data, "b");
    yx_zip_free(&zip);
    free(buf);
    /* the reading locale was the thread's own, and is given back */
    assert_ptr_equal(uselocale((locale_t)0), before);
}

static void test_unsafe_paths_refused(void **state)
{
    (void)state;
    const char *names[] = {
        "../evil.csv", "bundle/../../evil.csv",      "/etc/passwd", "..\\evil.csv", "C:\\evil.csv",
        "bundle/..",   "\\\\server\\share\\evil.csv"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const s_file_t files[] = {{"users.csv", "ok"}, {names[i], "evil"}};
        size_t len;
        char *buf = s_build(files, 2, NULL, &len);
        s_refused(buf, len, &s_limits, YX_ZIP_MALFORMED, "unsafe path");
        free(buf);
    }
    /* dots inside names are fine */
    const s_file_t fine[] = {{"v1..2/users..csv", "ok"}};
    size_t len;
    char *buf = s_build(fine, 1, NULL, &len);
    yx_zip_t zip;
    assert_int_equal(s_read(buf, len, &s_limits, &zip), YX_ZIP_OK);
    assert_string_equal(zip.entries[0].name, "users..csv");
    yx_zip_free(&zip);
    free(buf);
}

static void test_duplicates_refused(void **state)
{
    (void)state;
    const s_file_t folders[] = {{"a/users.csv", "1"}, {"b/users.csv", "2"}};
    size_t len;
    char *buf = s_build(folders, 2, NULL, &len);
    s_refused(buf, len, &s_limits, YX_ZIP_MALFORMED, "two files named users.csv");
    free(buf);

    const s_file_t same[] = {{"users.csv", "1"}, {"orgs.csv", "2"}, {"users.csv", "3"}};
    buf = s_build(same, 3, NULL, &len);
    s_refused(buf, len, &s_limits, YX_ZIP_MALFORMED, "two files named users.csv");
    free(buf);
}

static void test_not_a_zip(void **state)
{
    (void)state;
    const char csv[] = "sourcedId,name\nu1,zhang\n";
    s_refused(csv, sizeof csv - 1, &s_limits, YX_ZIP_MALFORMED, "not a zip archive");
    s_refused("", 0, &s_limits, YX_ZIP_MALFORMED, "not a zip archive");
    s_refused("PK\x03\x04", 4, &s_limits, YX_ZIP_MALFORMED, "zip");

    /* other archive formats are not accepted in its place */
    const s_file_t files[] = {{"users.csv", "x"}};
    s_how_t tar = {.format = "pax"};
    size_t len;
    char *buf = s_build(files, 1, &tar, &len);
    s_refused(buf, len, &s_limits, YX_ZIP_MALFORMED, "not a zip archive");
    free(buf);
}

static void test_corrupt_zip_refused(void **state)
{
    (void)state;
    const s_file_t files[] = {{"users.csv", "sourcedId,username\nu1,zhang\n"}};
    s_how_t how = {.options = "zip:compression=store"};
    size_t len;
    char *buf = s_build(files, 1, &how, &len);
    char *data = memmem(buf, len, "u1,zhang", 8);
    assert_non_null(data);
    data[0] = 'x'; /* the CRC no longer matches */
    s_refused(buf, len, &s_limits, YX_ZIP_MALFORMED, "users.csv");
    free(buf);

    /* cut in the middle of the deflated data */
    const s_file_t big[] = {{"users.csv", "a fairly long line that deflate must encode, "
                                          "a fairly long line that deflate must encode\n"}};
    buf = s_build(big, 1, NULL, &len);
    s_refused(buf, len / 2, &s_limits, YX_ZIP_MALFORMED, "");
    free(buf);
}

static void test_limits(void **state)
{
    (void)state;
    char a[4097], b[4097];
    memset(a, 'a', 4096);
    memset(b, 'b', 4096);
    a[4096] = b[4096] = '\0';
    const s_file_t files[] = {{"1.csv", a}, {"2.csv", b}, {"3.csv", a}};
    size_t len;
    char *buf = s_build(files, 3, NULL, &len);

    /* exactly at every limit */
    yx_zip_limits_t limits = {.max_entries = 3, .max_entry_size = 4096, .max_total_size = 12288};
    yx_zip_t zip;
    assert_int_equal(s_read(buf, len, &limits, &zip), YX_ZIP_OK);
    assert_int_equal(zip.count, 3);
    assert_memory_equal(yx_zip_find(&zip, "2.csv")->data, b, 4097);
    yx_zip_free(&zip);

    limits.max_entries = 2;
    s_refused(buf, len, &limits, YX_ZIP_TOO_LARGE, "more than 2 files");
    limits = (yx_zip_limits_t){.max_entries = 3, .max_entry_size = 4095, .max_total_size = 1 << 20};
    s_refused(buf, len, &limits, YX_ZIP_TOO_LARGE, "1.csv is larger than 4095 bytes");
    limits = (yx_zip_limits_t){.max_entries = 3, .max_entry_size = 4096, .max_total_size = 12287};
    s_refused(buf, len, &limits, YX_ZIP_TOO_LARGE, "zip contents are larger than 12287 bytes");
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bomb_refused_without_inflating),
        cmocka_unit_test(test_bomb_without_declared_size),
        cmocka_unit_test(test_folder_prefix_and_noise),
        cmocka_unit_test(test_stored_entries_and_empty_zip),
        cmocka_unit_test(test_chinese_names),
        cmocka_unit_test(test_unsafe_paths_refused),
        cmocka_unit_test(test_duplicates_refused),
        cmocka_unit_test(test_not_a_zip),
        cmocka_unit_test(test_corrupt_zip_refused),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
