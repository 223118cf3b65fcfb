/* Building PostgreSQL array literals, so a whole column of rows travels as one bind
 * parameter (INSERT ... SELECT FROM unnest($1::text[], ...)): one statement per table
 * instead of one per row, and no value ever enters the SQL text. */
#ifndef YX_PGARRAY_H
#define YX_PGARRAY_H
#include <stddef.h>

typedef struct {
    char *data;
    size_t len, cap;
    size_t count;
} yx_pgarray_t;

void yx_pgarray_init(yx_pgarray_t *self);
/* Appends one element (NULL appends SQL NULL). Returns 0 or -1 (out of memory). */
int yx_pgarray_add(yx_pgarray_t *self, const char *value);
/* The literal, e.g. {"a","b\"c"}; valid until the next add or free. */
const char *yx_pgarray_text(yx_pgarray_t *self);
void yx_pgarray_free(yx_pgarray_t *self);

#endif
