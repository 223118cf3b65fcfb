/* Rows for COPY FROM STDIN in PostgreSQL's text format: the fastest way to hand the server
 * many rows (a staging table, then one set-based statement). */
#ifndef YX_COPY_H
#define YX_COPY_H
#include <libpq-fe.h>
#include <stddef.h>

typedef struct {
    char *data;
    size_t len, cap;
    size_t rows;
    int fields; /* in the row being written */
} yx_copy_t;

void yx_copy_init(yx_copy_t *self);
/* Appends one field (NULL is SQL NULL), escaping tab, newline, CR and backslash. */
int yx_copy_field(yx_copy_t *self, const char *value);
int yx_copy_end_row(yx_copy_t *self);
/* Runs `copy_sql` (a COPY ... FROM STDIN) and streams the rows. 0 or -1 (logged). */
int yx_copy_send(PGconn *db, const char *copy_sql, const yx_copy_t *self);
void yx_copy_free(yx_copy_t *self);

#endif
