#include "yx_pgarray.h"
#include "yx_grow.h"

#include <stdlib.h>
#include <string.h>

void yx_pgarray_init(yx_pgarray_t *self)
{
    *self = (yx_pgarray_t){0};
}

static int s_reserve(yx_pgarray_t *self, size_t more)
{
    return yx_grow(&self->data, &self->cap, self->len + more + 2, 4096);
}

int yx_pgarray_add(yx_pgarray_t *self, const char *value)
{
    size_t n = value ? strlen(value) : 0;
    /* worst case every byte escaped, plus braces, quotes and the comma */
    if (s_reserve(self, 2 * n + 4) < 0) return -1;
    char *out = self->data + self->len;
    *out++ = self->count ? ',' : '{';
    if (!value) {
        memcpy(out, "NULL", 4);
        out += 4;
    } else {
        *out++ = '"';
        for (size_t i = 0; i < n; i++) {
            if (value[i] == '"' || value[i] == '\\') *out++ = '\\';
            *out++ = value[i];
        }
        *out++ = '"';
    }
    self->len = (size_t)(out - self->data);
    self->count++;
    return 0;
}

const char *yx_pgarray_text(yx_pgarray_t *self)
{
    if (s_reserve(self, 2) < 0) return NULL;
    if (!self->count) {
        memcpy(self->data, "{}", 3);
        return self->data;
    }
    self->data[self->len] = '}';
    self->data[self->len + 1] = '\0';
    return self->data;
}

void yx_pgarray_free(yx_pgarray_t *self)
{
    free(self->data);
    *self = (yx_pgarray_t){0};
}
