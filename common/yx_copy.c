#include "yx_copy.h"
#include "yx_grow.h"
#include "yx_log.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK (1 << 20)

void yx_copy_init(yx_copy_t *self)
{
    *self = (yx_copy_t){0};
}

static int s_reserve(yx_copy_t *self, size_t more)
{
    return yx_grow(&self->data, &self->cap, self->len + more, 64 * 1024);
}

int yx_copy_field(yx_copy_t *self, const char *value)
{
    size_t n = value ? strlen(value) : 0;
    if (s_reserve(self, 2 * n + 3) < 0) return -1;
    char *out = self->data + self->len;
    if (self->fields++) *out++ = '\t';
    if (!value) {
        memcpy(out, "\\N", 2);
        out += 2;
    }
    for (size_t i = 0; i < n; i++) {
        char c = value[i];
        if (c == '\\' || c == '\t' || c == '\n' || c == '\r') {
            *out++ = '\\';
            c = c == '\t' ? 't' : c == '\n' ? 'n' : c == '\r' ? 'r' : '\\';
        }
        *out++ = c;
    }
    self->len = (size_t)(out - self->data);
    return 0;
}

int yx_copy_end_row(yx_copy_t *self)
{
    if (s_reserve(self, 1) < 0) return -1;
    self->data[self->len++] = '\n';
    self->fields = 0;
    self->rows++;
    return 0;
}

int yx_copy_send(PGconn *db, const char *copy_sql, const yx_copy_t *self)
{
    PGresult *res = PQexec(db, copy_sql);
    int ok = PQresultStatus(res) == PGRES_COPY_IN;
    PQclear(res);
    for (size_t off = 0; ok && off < self->len; off += CHUNK) {
        size_t n = self->len - off < CHUNK ? self->len - off : CHUNK;
        ok = PQputCopyData(db, self->data + off, (int)n) == 1;
    }
    if (PQputCopyEnd(db, ok ? NULL : "could not send rows") != 1) ok = 0;
    while ((res = PQgetResult(db))) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            yx_warn(NULL, "copy failed: %s", PQresultErrorMessage(res));
            ok = 0;
        }
        PQclear(res);
    }
    return ok ? 0 : -1;
}

void yx_copy_free(yx_copy_t *self)
{
    free(self->data);
    *self = (yx_copy_t){0};
}
