/* CSV exports for Excel on a Chinese Windows PC: a UTF-8 BOM (without it Excel reads the
 * bytes as GBK), CRLF rows, RFC 4180 quoting, and cells a spreadsheet would run as a formula
 * made inert, since ids and names come from uploads. */
#include "program.h"
#include "yx_text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void s_add(program_csv_t *self, const char *text, size_t n)
{
    program_buf_add(&self->buf, text, n);
}

void program_csv_init(program_csv_t *self)
{
    memset(self, 0, sizeof *self);
    s_add(self, "\xEF\xBB\xBF", 3);
}

void program_csv_cell(program_csv_t *self, const char *text)
{
    if (self->row_started) s_add(self, ",", 1);
    self->row_started = true;
    if (!text) return;
    char *inert = yx_cell_is_formula(text) ? yx_cell_inert(text) : NULL;
    const char *s = inert ? inert : text;
    if (!strpbrk(s, ",\"\r\n")) {
        s_add(self, s, strlen(s));
    } else {
        s_add(self, "\"", 1);
        for (const char *q = s; *q; q++) {
            if (*q == '"')
                s_add(self, "\"\"", 2);
            else
                s_add(self, q, 1);
        }
        s_add(self, "\"", 1);
    }
    free(inert);
}

void program_csv_num(program_csv_t *self, double v)
{
    char buf[32];
    double r = round(v * 10000) / 10000;
    if (r == 0) r = 0;
    snprintf(buf, sizeof buf, "%.4f", r);
    char *end = buf + strlen(buf); /* 12.5000 -> 12.5, 3.0000 -> 3 */
    while (end > buf && end[-1] == '0')
        *--end = '\0';
    if (end > buf && end[-1] == '.') *--end = '\0';
    program_csv_cell(self, buf);
}

void program_csv_end_row(program_csv_t *self)
{
    s_add(self, "\r\n", 2);
    self->row_started = false;
}

void program_csv_free(program_csv_t *self)
{
    program_buf_free(&self->buf);
    memset(self, 0, sizeof *self);
}

void program_reply_csv(request_t *req, Yx__CreditsReply *reply, program_csv_t *csv,
                       const char *filename)
{
    if (csv->buf.failed) {
        reply_error(req, reply, 500, "out of memory");
        return;
    }
    /* the name comes from ids: keep it to characters no header or file system minds */
    char safe[128];
    size_t k = 0;
    for (const char *s = filename; *s && k + 1 < sizeof safe; s++)
        safe[k++] = (strchr("\"\\/;\r\n", *s) || (unsigned char)*s < 0x20) ? '_' : *s;
    safe[k] = '\0';
    char *disposition = yx_arena_printf(req->arena, "attachment; filename=\"%s\"", safe);
    reply_header(req, reply, "Content-Disposition", disposition);
    reply_text(req, reply, 200, "text/csv; charset=utf-8", csv->buf.data, csv->buf.len);
}
