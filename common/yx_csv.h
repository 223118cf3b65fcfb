/* A whole CSV table in memory, parsed by libcsv (RFC 4180 quoting), with the physical
 * line of every row kept for error reports. */
#ifndef YX_CSV_H
#define YX_CSV_H
#include <stddef.h>

typedef struct yx_csv yx_csv_t;

typedef struct {
    size_t max_rows;      /* data rows, header excluded */
    size_t max_fields;    /* per row */
    size_t max_field_len; /* bytes */
} yx_csv_limits_t;

/* Parses UTF-8 text (BOM already removed). The first row is the header; header names are
 * trimmed of surrounding blanks. Fails (NULL, message in err) on malformed quoting, on an
 * empty header, on a limit exceeded, naming the line. Blank lines are skipped. */
yx_csv_t *yx_csv_parse(const char *data, size_t n, const yx_csv_limits_t *limits, char *err,
                       size_t errlen);
void yx_csv_destroy(yx_csv_t **self_p);

size_t yx_csv_rows(const yx_csv_t *self);
size_t yx_csv_cols(const yx_csv_t *self);
const char *yx_csv_header(const yx_csv_t *self, size_t col);
/* Index of the column with exactly this header name, or -1. */
int yx_csv_column(const yx_csv_t *self, const char *name);
/* The cell, "" when the row is shorter than the header or col < 0. Never NULL. */
const char *yx_csv_cell(const yx_csv_t *self, size_t row, int col);
/* Fields actually present in a row (to report rows longer or shorter than the header). */
size_t yx_csv_row_fields(const yx_csv_t *self, size_t row);
/* 1-based physical line on which the row starts (the header is line 1). */
size_t yx_csv_line(const yx_csv_t *self, size_t row);

#endif
