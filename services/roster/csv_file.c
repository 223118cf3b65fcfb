#include "csv_file.h"
#include "yx_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const yx_csv_limits_t s_limits = {
    .max_rows = 2000000, .max_fields = 256, .max_field_len = 64 * 1024};

/* The first line holding bytes that are not UTF-8, so the error can point at it. */
static unsigned s_first_bad_line(const char *data, size_t size)
{
    unsigned line = 1;
    for (size_t start = 0; start < size; line++) {
        const char *nl = memchr(data + start, '\n', size - start);
        size_t end = nl ? (size_t)(nl - data) : size;
        if (!yx_utf8_valid(data + start, end - start)) return line;
        start = end + 1;
    }
    return 0;
}

yx_csv_t *csv_file_open(sync_t *sync, const char *file, const char *data, size_t size,
                        bool gb18030_ok)
{
    if (sync->ntables == (int)(sizeof sync->tables / sizeof sync->tables[0])) {
        sync_problem(sync, file, 0, NULL, "too many files in one upload");
        return NULL;
    }
    const char *text = data;
    size_t len = size;
    char *decoded = NULL;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        len -= 3;
    }
    if (memchr(text, '\0', len)) {
        sync_problem(sync, file, 0, NULL,
                     "file contains NUL bytes: save it as CSV (UTF-8 or GB18030), not UTF-16");
        return NULL;
    }
    if (!yx_utf8_valid(text, len)) {
        const char *encoding = NULL;
        if (gb18030_ok) decoded = yx_text_to_utf8(data, size, &len, &encoding);
        if (!decoded) {
            sync_problem(sync, file, s_first_bad_line(text, len), NULL,
                         gb18030_ok ? "text is neither UTF-8 nor GB18030"
                                    : "text is not valid UTF-8 (OneRoster files are UTF-8)");
            return NULL;
        }
        text = decoded;
    }
    char err[256];
    yx_csv_t *table = yx_csv_parse(text, len, &s_limits, err, sizeof err);
    free(decoded);
    if (!table) {
        /* the parser names the line in its message; report it where an admin looks */
        unsigned line = 0;
        int skip = 0;
        if (sscanf(err, "line %u: %n", &line, &skip) < 1) skip = 0;
        sync_problem(sync, file, line, NULL, "%s", err + skip);
        return NULL;
    }
    sync->tables[sync->ntables++] = table;
    return table;
}

const char *csv_file_cell(sync_t *sync, const yx_csv_t *table, size_t row, int col)
{
    const char *cell = yx_csv_cell(table, row, col);
    if (!yx_cell_is_formula(cell)) return cell;
    char *inert = yx_cell_inert(cell);
    const char *copy = inert ? yx_arena_strdup(sync->arena, inert) : "";
    free(inert);
    return copy;
}

bool csv_file_ragged(sync_t *sync, const char *file, const yx_csv_t *table, size_t row)
{
    size_t fields = yx_csv_row_fields(table, row);
    if (fields == yx_csv_cols(table)) return false;
    sync_problem(sync, file, (unsigned)yx_csv_line(table, row), NULL,
                 "row has %zu fields but the header has %zu", fields, yx_csv_cols(table));
    return true;
}
