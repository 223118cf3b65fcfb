/* A whole CSV table in memory. libcsv does the quoting; this file feeds it one physical
 * line at a time so that every row knows the line it starts on, and stores all cells in
 * one text arena (offsets, so the arena may move while it grows). */
#include "yx_csv.h"

#include <csv.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest slice handed to libcsv at once: its field buffer grows linearly, so an
 * oversized field must be caught between slices, not after it is complete. */
#define S_SLICE 65536

typedef struct {
    size_t first; /* index of the row's first cell */
    size_t count; /* fields present */
    size_t line;  /* physical line where the row starts */
} s_row_t;

struct yx_csv {
    char *text; /* every cell, NUL-terminated, back to back */
    size_t text_len, text_cap;
    size_t *cells; /* offsets into text */
    size_t ncells, cells_cap;
    s_row_t *rows; /* rows[0] is the header */
    size_t nrows, rows_cap;
};

typedef struct {
    yx_csv_t *csv;
    const yx_csv_limits_t *limits;
    size_t line;      /* physical line being fed */
    size_t row_start; /* physical line where the open row started */
    size_t row_fields;
    bool row_filled; /* some field of the open row is not empty */
    bool row_ended;
    bool failed;
    char *err;
    size_t errlen;
} s_parse_t;

static void s_fail(s_parse_t *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_fail(s_parse_t *ctx, const char *fmt, ...)
{
    if (ctx->failed) return;
    ctx->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->err, ctx->errlen, fmt, ap);
    va_end(ap);
}

/* Makes room for extra more elements of size elem in *array; 0 or -1. */
static int s_reserve(void **array, size_t *cap, size_t len, size_t extra, size_t elem)
{
    if (len + extra <= *cap) return 0;
    size_t want = *cap ? *cap : 64;
    while (want < len + extra)
        want *= 2;
    void *grown = realloc(*array, want * elem);
    if (!grown) return -1;
    *array = grown;
    *cap = want;
    return 0;
}

static void s_on_field(void *s, size_t len, void *data)
{
    s_parse_t *ctx = data;
    yx_csv_t *csv = ctx->csv;
    if (ctx->failed) return;
    if (len > ctx->limits->max_field_len) {
        s_fail(ctx, "line %zu: field longer than %zu bytes", ctx->row_start,
               ctx->limits->max_field_len);
        return;
    }
    if (ctx->row_fields == ctx->limits->max_fields) {
        s_fail(ctx, "line %zu: more than %zu fields", ctx->row_start, ctx->limits->max_fields);
        return;
    }
    if (s_reserve((void **)&csv->text, &csv->text_cap, csv->text_len, len + 1, 1) != 0 ||
        s_reserve((void **)&csv->cells, &csv->cells_cap, csv->ncells, 1, sizeof(size_t)) != 0) {
        s_fail(ctx, "could not parse csv: out of memory");
        return;
    }
    csv->cells[csv->ncells++] = csv->text_len;
    if (len) memcpy(csv->text + csv->text_len, s, len);
    csv->text[csv->text_len + len] = '\0';
    csv->text_len += len + 1;
    ctx->row_fields++;
    ctx->row_filled |= len > 0;
}

/* Length of the blank character at s (ASCII space, no-break space, ideographic space,
 * stray BOM), 0 when s does not start with one. */
static size_t s_blank_len(const unsigned char *s, size_t n)
{
    if (n >= 1 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\r' || s[0] == '\n')) return 1;
    if (n >= 2 && s[0] == 0xC2 && s[1] == 0xA0) return 2;
    if (n >= 3 && ((s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x80) ||
                   (s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)))
        return 3;
    return 0;
}

/* Length of the blank character that ends s[0..n), 0 when there is none. */
static size_t s_blank_end(const unsigned char *s, size_t n)
{
    for (size_t k = 1; k <= 3 && k <= n; k++)
        if (s_blank_len(s + n - k, k) == k) return k;
    return 0;
}

/* Trims a header name in place in the arena (its offset moves, its NUL is rewritten). */
static void s_trim_cell(yx_csv_t *csv, size_t cell)
{
    unsigned char *s = (unsigned char *)csv->text + csv->cells[cell];
    size_t n = strlen((char *)s), k;
    while ((k = s_blank_len(s, n)) > 0)
        s += k, n -= k;
    while ((k = s_blank_end(s, n)) > 0)
        n -= k;
    s[n] = '\0';
    csv->cells[cell] = (size_t)((char *)s - csv->text);
}

static void s_on_row(int c, void *data)
{
    (void)c;
    s_parse_t *ctx = data;
    yx_csv_t *csv = ctx->csv;
    size_t first = csv->ncells - ctx->row_fields;
    ctx->row_ended = true;
    if (ctx->failed) return;
    if (!ctx->row_filled) {
        /* a row of empty cells is a blank spreadsheet row: drop it like a blank line */
        if (ctx->row_fields) csv->text_len = csv->cells[first];
        csv->ncells = first;
    } else if (csv->nrows > ctx->limits->max_rows) {
        s_fail(ctx, "line %zu: more than %zu rows", ctx->row_start, ctx->limits->max_rows);
    } else if (s_reserve((void **)&csv->rows, &csv->rows_cap, csv->nrows, 1, sizeof(s_row_t))) {
        s_fail(ctx, "could not parse csv: out of memory");
    } else {
        if (csv->nrows == 0)
            for (size_t i = first; i < csv->ncells; i++)
                s_trim_cell(csv, i);
        csv->rows[csv->nrows++] = (s_row_t){first, ctx->row_fields, ctx->row_start};
    }
    ctx->row_fields = 0;
    ctx->row_filled = false;
}

/* Index of the first c in data[from..n), n when there is none. */
static size_t s_find(const char *data, size_t from, size_t n, char c)
{
    if (from >= n) return n;
    const char *hit = memchr(data + from, c, n - from);
    return hit ? (size_t)(hit - data) : n;
}

static bool s_blank_line(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') return false;
    return true;
}

/* Feeds one physical line; a line ends at LF, CRLF or a lone CR, or at the end. */
static void s_feed_line(s_parse_t *ctx, struct csv_parser *p, const char *s, size_t n)
{
    for (size_t at = 0; at < n && !ctx->failed; at += S_SLICE) {
        size_t len = n - at < S_SLICE ? n - at : S_SLICE;
        if (csv_parse(p, s + at, len, s_on_field, s_on_row, ctx) != len) {
            if (csv_error(p) == CSV_EPARSE)
                s_fail(ctx, "line %zu: malformed quoting (a stray or undoubled quote)", ctx->line);
            else
                s_fail(ctx, "line %zu: could not parse csv: %s", ctx->line,
                       csv_strerror(csv_error(p)));
        } else if (p->entry_pos > ctx->limits->max_field_len) {
            s_fail(ctx, "line %zu: field longer than %zu bytes", ctx->row_start,
                   ctx->limits->max_field_len);
        }
    }
}

static int s_parse(s_parse_t *ctx, struct csv_parser *p, const char *data, size_t n)
{
    bool row_open = false;
    size_t pos = 0, nl = s_find(data, 0, n, '\n'), cr = s_find(data, 0, n, '\r');
    while (pos < n && !ctx->failed) {
        /* the next LF and CR are cached so that a file of lone CRs stays linear */
        if (nl < pos) nl = s_find(data, pos, n, '\n');
        if (cr < pos) cr = s_find(data, pos, n, '\r');
        size_t end;
        if (cr < nl)
            end = cr + 1 < n && data[cr + 1] == '\n' ? cr + 2 : cr + 1;
        else
            end = nl < n ? nl + 1 : n;
        if (row_open || !s_blank_line(data + pos, end - pos)) {
            if (!row_open) ctx->row_start = ctx->line;
            ctx->row_ended = false;
            s_feed_line(ctx, p, data + pos, end - pos);
            row_open = !ctx->row_ended;
        }
        pos = end;
        ctx->line++;
    }
    if (!ctx->failed && csv_fini(p, s_on_field, s_on_row, ctx) != 0)
        s_fail(ctx, "line %zu: quoted field never closed", ctx->row_start);
    if (!ctx->failed && ctx->csv->nrows == 0) s_fail(ctx, "empty header: the file has no rows");
    return ctx->failed ? -1 : 0;
}

yx_csv_t *yx_csv_parse(const char *data, size_t n, const yx_csv_limits_t *limits, char *err,
                       size_t errlen)
{
    yx_csv_t *self = calloc(1, sizeof *self);
    /* cells never take more than the input plus one NUL: reserve it once */
    if (self) {
        self->text_cap = n + 1;
        self->text = malloc(self->text_cap);
    }
    if (!self || !self->text) {
        snprintf(err, errlen, "could not parse csv: out of memory");
        yx_csv_destroy(&self);
        return NULL;
    }
    struct csv_parser p;
    csv_init(&p, CSV_STRICT | CSV_STRICT_FINI);
    s_parse_t ctx = {.csv = self, .limits = limits, .line = 1, .err = err, .errlen = errlen};
    int rc = s_parse(&ctx, &p, data, n);
    csv_free(&p);
    if (rc != 0) yx_csv_destroy(&self);
    return self;
}

void yx_csv_destroy(yx_csv_t **self_p)
{
    if (!self_p || !*self_p) return;
    yx_csv_t *self = *self_p;
    free(self->text);
    free(self->cells);
    free(self->rows);
    free(self);
    *self_p = NULL;
}

size_t yx_csv_rows(const yx_csv_t *self)
{
    return self->nrows - 1;
}

size_t yx_csv_cols(const yx_csv_t *self)
{
    return self->rows[0].count;
}

const char *yx_csv_header(const yx_csv_t *self, size_t col)
{
    return col < self->rows[0].count ? self->text + self->cells[col] : "";
}

int yx_csv_column(const yx_csv_t *self, const char *name)
{
    for (size_t col = 0; col < self->rows[0].count; col++)
        if (strcmp(self->text + self->cells[col], name) == 0) return (int)col;
    return -1;
}

const char *yx_csv_cell(const yx_csv_t *self, size_t row, int col)
{
    if (row >= self->nrows - 1 || col < 0 || (size_t)col >= self->rows[row + 1].count) return "";
    return self->text + self->cells[self->rows[row + 1].first + (size_t)col];
}

size_t yx_csv_row_fields(const yx_csv_t *self, size_t row)
{
    return row < self->nrows - 1 ? self->rows[row + 1].count : 0;
}

size_t yx_csv_line(const yx_csv_t *self, size_t row)
{
    return row < self->nrows - 1 ? self->rows[row + 1].line : 0;
}
