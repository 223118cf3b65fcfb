/* Growing a byte buffer by doubling: the one rule behind every text buffer that carries
 * rows or documents (COPY rows, array literals, reports). */
#ifndef YX_GROW_H
#define YX_GROW_H
#include <stddef.h>

/* Makes room for `need` bytes in *data (capacity *cap, first allocation at least `first`).
 * 0, or -1 when memory ran out (the buffer is left as it was). */
int yx_grow(char **data, size_t *cap, size_t need, size_t first);

#endif
