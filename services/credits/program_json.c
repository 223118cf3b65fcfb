/* JSON written as text, for the one document that can be large (a transcript's entries):
 * thousands of small objects built with jansson cost more than the query behind them. */
#include "program.h"
#include "yx_grow.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void program_buf_add(program_buf_t *self, const char *text, size_t n)
{
    if (self->failed) return;
    if (yx_grow(&self->data, &self->cap, self->len + n + 1, 16384) < 0) {
        self->failed = true;
        return;
    }
    memcpy(self->data + self->len, text, n);
    self->len += n;
    self->data[self->len] = '\0';
}

void program_buf_str(program_buf_t *self, const char *text)
{
    program_buf_add(self, text, strlen(text));
}

void program_buf_json_str(program_buf_t *self, const char *s)
{
    if (!s) {
        program_buf_add(self, "null", 4);
        return;
    }
    program_buf_add(self, "\"", 1);
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        program_buf_add(self, run, (size_t)(s - run));
        char esc[8];
        if (c == '"' || c == '\\')
            snprintf(esc, sizeof esc, "\\%c", c);
        else
            snprintf(esc, sizeof esc, "\\u%04x", c);
        program_buf_str(self, esc);
        run = s + 1;
    }
    program_buf_add(self, run, (size_t)(s - run));
    program_buf_add(self, "\"", 1);
}

void program_buf_json_num(program_buf_t *self, double v)
{
    char buf[48];
    if (v == floor(v) && fabs(v) < 1e15) { /* the common case, without printf */
        long long n = (long long)v;
        char *p = buf + sizeof buf;
        *--p = '\0';
        unsigned long long u = n < 0 ? 0ULL - (unsigned long long)n : (unsigned long long)n;
        do
            *--p = (char)('0' + u % 10);
        while (u /= 10);
        if (n < 0) *--p = '-';
        program_buf_str(self, p);
        return;
    }
    double r = round(v * 10000) / 10000;
    if (r == 0) r = 0;
    snprintf(buf, sizeof buf, "%.4f", r);
    char *end = buf + strlen(buf); /* as program_num(): 12.5, 3 */
    while (end[-1] == '0')
        *--end = '\0';
    if (end[-1] == '.') *--end = '\0';
    program_buf_str(self, buf);
}

void program_buf_free(program_buf_t *self)
{
    free(self->data);
    memset(self, 0, sizeof *self);
}
