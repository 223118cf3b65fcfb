/* Splitting multipart/mixed bodies (RFC 2046 5.1.1): a delimiter line "--boundary" before
 * each part, "--boundary--" after the last; a part is a header block, an empty line, then
 * its bytes up to the line break before the next delimiter. Lines end in CRLF; a bare LF is
 * taken too. */
#include "multipart.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define BOUNDARY_MAX 70

int multipart_is_mixed(const char *content_type)
{
    return content_type && strncasecmp(content_type, "multipart/mixed", 15) == 0 &&
           strchr("; \t", content_type[15]);
}

/* The boundary parameter of content_type into out (unquoted). 0 or -1. */
static int s_boundary(const char *content_type, char out[BOUNDARY_MAX + 1])
{
    for (const char *p = strchr(content_type, ';'); p; p = strchr(p + 1, ';')) {
        const char *name = p + 1 + strspn(p + 1, " \t");
        if (strncasecmp(name, "boundary=", 9) != 0) continue;
        const char *value = name + 9;
        size_t len;
        if (*value == '"') {
            const char *end = strchr(++value, '"');
            if (!end) return -1;
            len = (size_t)(end - value);
        } else {
            len = strcspn(value, "; \t");
        }
        if (len < 1 || len > BOUNDARY_MAX) return -1;
        memcpy(out, value, len);
        out[len] = '\0';
        return 0;
    }
    return -1;
}

/* Past one line break at *p (CRLF or LF). false when there is none. */
static bool s_line_break(const uint8_t **p, const uint8_t *end)
{
    const uint8_t *q = *p;
    if (q < end && *q == '\r') q++;
    if (q == end || *q != '\n') return false;
    *p = q + 1;
    return true;
}

static const char *s_header(const char *line, size_t len, const char *name)
{
    size_t n = strlen(name);
    return len > n && line[n] == ':' && strncasecmp(line, name, n) == 0 ? line + n + 1 : NULL;
}

/* Reads the header lines of [p, end) into part. 0, or -1 for a line without a colon. */
static int s_headers(yx_arena_t *arena, const uint8_t *p, const uint8_t *end,
                     multipart_part_t *part)
{
    while (p < end) {
        const uint8_t *eol = memchr(p, '\n', (size_t)(end - p));
        const uint8_t *next = eol ? eol + 1 : end;
        size_t len = (size_t)((eol ? eol : end) - p);
        if (len && p[len - 1] == '\r') len--;
        const char *line = (const char *)p, *value;
        if (!memchr(line, ':', len)) return -1;
        const char **slot = (value = s_header(line, len, "Content-Type")) ? &part->content_type
                            : (value = s_header(line, len, "Content-Transfer-Encoding"))
                                ? &part->transfer_encoding
                            : (value = s_header(line, len, "X-Experience-API-Hash")) ? &part->hash
                                                                                     : NULL;
        if (slot) {
            size_t skip = strspn(value, " \t");
            size_t n = len - (size_t)(value - line) - skip;
            while (n && (value[skip + n - 1] == ' ' || value[skip + n - 1] == '\t'))
                n--;
            *slot = yx_arena_strndup(arena, value + skip, n);
        }
        p = next;
    }
    return 0;
}

int multipart_split(yx_arena_t *arena, const char *content_type, const uint8_t *body, size_t len,
                    multipart_part_t *parts, size_t max, const char **why)
{
    char boundary[BOUNDARY_MAX + 1], delimiter[BOUNDARY_MAX + 4];
    if (!content_type || s_boundary(content_type, boundary) < 0)
        return *why = "Content-Type: multipart/mixed needs a boundary of 1 to 70 characters", -1;
    size_t dlen = (size_t)snprintf(delimiter, sizeof delimiter, "\n--%s", boundary);
    const uint8_t *end = body + len, *p;
    /* the first delimiter opens the body or follows a preamble's line break */
    if (len >= dlen - 1 && memcmp(body, delimiter + 1, dlen - 1) == 0)
        p = body + dlen - 1;
    else if ((p = memmem(body, len, delimiter, dlen)))
        p += dlen;
    else
        return *why = "the body holds no multipart delimiter line (--boundary)", -1;
    size_t n = 0;
    for (;;) {
        if (end - p >= 2 && p[0] == '-' && p[1] == '-') break; /* the closing delimiter */
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (!s_line_break(&p, end))
            return *why = "a multipart delimiter line has trailing text", -1;
        if (n == max) {
            *why = yx_arena_printf(arena, "a request may carry at most %zu parts", max);
            return -1;
        }
        /* the header block ends at an empty line; the bytes end before the next delimiter */
        const uint8_t *headers = p, *blank = NULL;
        if (end - p >= 1 && (*p == '\n' || (*p == '\r' && end - p >= 2 && p[1] == '\n'))) {
            blank = p;
        } else {
            const uint8_t *scan_end =
                end - p > MULTIPART_HEADERS_MAX ? p + MULTIPART_HEADERS_MAX : end;
            const uint8_t *crlf = memmem(p, (size_t)(scan_end - p), "\r\n\r\n", 4);
            const uint8_t *lf = memmem(p, (size_t)(scan_end - p), "\n\n", 2);
            blank = crlf && (!lf || crlf < lf) ? crlf + 2 : lf ? lf + 1 : NULL;
        }
        if (!blank) {
            *why = yx_arena_printf(
                arena, "part %zu: its headers do not end in an empty line within %d bytes", n + 1,
                MULTIPART_HEADERS_MAX);
            return -1;
        }
        multipart_part_t *part = &parts[n];
        *part = (multipart_part_t){0};
        if (s_headers(arena, headers, blank, part) < 0) {
            *why = yx_arena_printf(arena, "part %zu: a header line without a colon", n + 1);
            return -1;
        }
        p = blank;
        s_line_break(&p, end);
        /* an empty part may share the blank line's break with the next delimiter */
        const uint8_t *from = p[-1] == '\n' ? p - 1 : p;
        const uint8_t *next = memmem(from, (size_t)(end - from), delimiter, dlen);
        if (!next)
            return *why = "the multipart body ends without its closing delimiter (--boundary--)",
                   -1;
        part->data = p;
        part->len = next > p ? (size_t)(next - p) - (next[-1] == '\r') : 0;
        n++;
        p = next + dlen;
    }
    return (int)n;
}
