#include "yx_grow.h"

#include <stdlib.h>

int yx_grow(char **data, size_t *cap, size_t need, size_t first)
{
    if (need <= *cap) return 0;
    size_t size = *cap ? *cap : first;
    while (size < need)
        size *= 2;
    char *grown = realloc(*data, size);
    if (!grown) return -1;
    *data = grown;
    *cap = size;
    return 0;
}
