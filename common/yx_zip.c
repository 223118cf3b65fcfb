/* Reading an uploaded zip archive in memory with libarchive, bounded against bombs. */
#include "yx_zip.h"
#include "yx_text.h"

#include <archive.h>
#include <archive_entry.h>
#include <locale.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    struct archive *archive;
    const yx_zip_limits_t *limits;
    yx_zip_t *zip;
    size_t total; /* uncompressed bytes read so far */
    char *err;
    size_t errlen;
} s_read_t;

static int s_fail(s_read_t *ctx, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int s_fail(s_read_t *ctx, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->err, ctx->errlen, fmt, ap);
    va_end(ap);
    return rc;
}

static bool s_is_sep(char c)
{
    return c == '/' || c == '\\';
}

/* True when a folder or the file of path is named exactly part. */
static bool s_has_part(const char *path, const char *part)
{
    size_t n = strlen(part);
    for (const char *s = path; *s;) {
        size_t len = strcspn(s, "/\\");
        if (len == n && strncmp(s, part, n) == 0) return true;
        s += len + (s[len] != '\0');
    }
    return false;
}

/* Absolute (also "C:..." and "\\server"), or climbing out: never a bundle's file. */
static bool s_path_unsafe(const char *path)
{
    return s_is_sep(path[0]) || (path[0] && path[1] == ':') || s_has_part(path, "..");
}

/* macOS resource forks and hidden files are noise that Finder adds to every zip. */
static bool s_path_noise(const char *path, const char *base)
{
    return base[0] == '.' || s_has_part(path, "__MACOSX");
}

static const char *s_base(const char *path)
{
    const char *base = path;
    for (const char *s = path; *s; s++)
        if (s_is_sep(*s)) base = s + 1;
    return base;
}

/* Inflates the current entry into a buffer that never grows past the limit plus one
 * byte (enough to notice the excess), whatever the headers claim. */
static int s_read_data(s_read_t *ctx, const char *name, yx_zip_entry_t *entry)
{
    const yx_zip_limits_t *limits = ctx->limits;
    size_t left = limits->max_total_size - ctx->total;
    size_t limit = limits->max_entry_size < left ? limits->max_entry_size : left;
    size_t most = limit < SIZE_MAX - 1 ? limit + 1 : SIZE_MAX - 1;
    size_t cap = 0, len = 0; /* cap excludes the final NUL */
    char *data = NULL;
    for (;;) {
        if (len == cap) {
            size_t grown = cap == 0 ? 65536 : cap <= most / 2 ? cap * 2 : most;
            if (grown > most) grown = most;
            char *bigger = realloc(data, grown + 1);
            if (!bigger) {
                free(data);
                return s_fail(ctx, YX_ZIP_MALFORMED, "could not read %s: out of memory", name);
            }
            data = bigger;
            cap = grown;
        }
        la_ssize_t got = archive_read_data(ctx->archive, data + len, cap - len);
        if (got < 0) {
            free(data);
            return s_fail(ctx, YX_ZIP_MALFORMED, "could not read %s: %s", name,
                          archive_error_string(ctx->archive));
        }
        if (got == 0) break;
        len += (size_t)got;
        if (len > limit) {
            free(data);
            if (limit == limits->max_entry_size)
                return s_fail(ctx, YX_ZIP_TOO_LARGE, "%s is larger than %zu bytes uncompressed",
                              name, limit);
            return s_fail(ctx, YX_ZIP_TOO_LARGE,
                          "zip contents are larger than %zu bytes uncompressed",
                          limits->max_total_size);
        }
    }
    data[len] = '\0';
    char *fit = realloc(data, len + 1);
    entry->data = fit ? fit : data;
    entry->size = len;
    ctx->total += len;
    return YX_ZIP_OK;
}

static int s_read_entry(s_read_t *ctx, struct archive_entry *ae)
{
    const char *raw = archive_entry_pathname(ae);
    if (!raw)
        return s_fail(ctx, YX_ZIP_MALFORMED, "could not read zip: a file name cannot be decoded");
    /* names without the UTF-8 flag are in the writer's code page: GBK on Chinese Windows */
    char *path = yx_text_to_utf8(raw, strlen(raw), NULL, NULL);
    if (!path)
        return s_fail(ctx, YX_ZIP_MALFORMED, "could not read zip: a file name cannot be decoded");
    int rc = YX_ZIP_OK;
    const char *base = s_base(path);
    yx_zip_t *zip = ctx->zip;
    if (s_path_unsafe(path))
        rc = s_fail(ctx, YX_ZIP_MALFORMED, "refused zip entry %s: unsafe path", path);
    else if (archive_entry_filetype(ae) != AE_IFREG || !*base || s_path_noise(path, base))
        rc = YX_ZIP_OK;
    else if (yx_zip_find(zip, base))
        rc = s_fail(ctx, YX_ZIP_MALFORMED, "refused zip: two files named %s", base);
    else if (zip->count == ctx->limits->max_entries)
        rc = s_fail(ctx, YX_ZIP_TOO_LARGE, "zip has more than %zu files", ctx->limits->max_entries);
    else {
        yx_zip_entry_t *entries = realloc(zip->entries, (zip->count + 1) * sizeof *entries);
        yx_zip_entry_t entry = {.name = strdup(base)};
        if (entries) zip->entries = entries;
        if (!entries || !entry.name)
            rc = s_fail(ctx, YX_ZIP_MALFORMED, "could not read zip: out of memory");
        else
            rc = s_read_data(ctx, base, &entry);
        if (rc == YX_ZIP_OK)
            zip->entries[zip->count++] = entry;
        else
            free(entry.name);
    }
    free(path);
    return rc;
}

static int s_read_all(s_read_t *ctx, const void *buf, size_t n)
{
    struct archive *a = ctx->archive;
    /* an archive of no files is only its end record, which the seekable reader rejects */
    if (n == 22 && memcmp(buf, "PK\x05\x06", 4) == 0) return YX_ZIP_OK;
    /* the seekable reader starts from the central directory, so a truncated upload is
     * refused instead of yielding the files that happened to arrive */
    if (archive_read_support_format_zip_seekable(a) != ARCHIVE_OK ||
        archive_read_open_memory(a, buf, n) != ARCHIVE_OK)
        return s_fail(ctx, YX_ZIP_MALFORMED, "not a zip archive");
    for (;;) {
        struct archive_entry *ae;
        int rc = archive_read_next_header(a, &ae);
        if (rc == ARCHIVE_EOF) return YX_ZIP_OK;
        if (rc < ARCHIVE_WARN)
            return s_fail(ctx, YX_ZIP_MALFORMED, "could not read zip: %s", archive_error_string(a));
        rc = s_read_entry(ctx, ae);
        if (rc != YX_ZIP_OK) return rc;
    }
}

int yx_zip_read(const void *buf, size_t n, const yx_zip_limits_t *limits, yx_zip_t *out, char *err,
                size_t errlen)
{
    *out = (yx_zip_t){0};
    s_read_t ctx = {.limits = limits, .zip = out, .err = err, .errlen = errlen};
    ctx.archive = archive_read_new();
    if (!ctx.archive) return s_fail(&ctx, YX_ZIP_MALFORMED, "could not read zip: out of memory");
    /* libarchive converts UTF-8 names to the thread's locale, and fails under "C":
     * read in a UTF-8 locale for this thread only */
    locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    locale_t saved = utf8 ? uselocale(utf8) : (locale_t)0;
    int rc = s_read_all(&ctx, buf, n);
    archive_read_free(ctx.archive);
    if (utf8) {
        uselocale(saved);
        freelocale(utf8);
    }
    if (rc != YX_ZIP_OK) yx_zip_free(out);
    return rc;
}

const yx_zip_entry_t *yx_zip_find(const yx_zip_t *zip, const char *name)
{
    for (size_t i = 0; i < zip->count; i++)
        if (strcmp(zip->entries[i].name, name) == 0) return &zip->entries[i];
    return NULL;
}

void yx_zip_free(yx_zip_t *zip)
{
    if (!zip) return;
    for (size_t i = 0; i < zip->count; i++) {
        free(zip->entries[i].name);
        free(zip->entries[i].data);
    }
    free(zip->entries);
    *zip = (yx_zip_t){0};
}
