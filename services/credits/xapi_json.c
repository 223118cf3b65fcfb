/* The text buffer and the JSON writer the statement store and the queries share: compact
 * JSON whose numbers are written back as they were read (xapi_store.h); and the JSON media
 * type. */
#include "xapi_store.h"
#include "yx_grow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int xapi_buf_add(xapi_buf_t *self, const char *text, size_t len)
{
    if (yx_grow(&self->data, &self->cap, self->len + len + 1, 4096) < 0) return -1;
    memcpy(self->data + self->len, text, len);
    self->len += len;
    self->data[self->len] = '\0';
    return 0;
}

int xapi_buf_str(xapi_buf_t *self, const char *text)
{
    return xapi_buf_add(self, text, strlen(text));
}

void xapi_buf_free(xapi_buf_t *self)
{
    free(self->data);
    *self = (xapi_buf_t){0};
}

static int s_dump_string(xapi_buf_t *out, const char *s, size_t n)
{
    int rc = xapi_buf_add(out, "\"", 1);
    size_t plain = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        rc |= xapi_buf_add(out, s + plain, i - plain);
        char esc[8];
        if (c == '"' || c == '\\')
            snprintf(esc, sizeof esc, "\\%c", c);
        else if (c == '\n')
            snprintf(esc, sizeof esc, "\\n");
        else if (c == '\t')
            snprintf(esc, sizeof esc, "\\t");
        else if (c == '\r')
            snprintf(esc, sizeof esc, "\\r");
        else
            snprintf(esc, sizeof esc, "\\u%04x", c);
        rc |= xapi_buf_str(out, esc);
        plain = i + 1;
    }
    rc |= xapi_buf_add(out, s + plain, n - plain);
    return rc | xapi_buf_add(out, "\"", 1);
}

static int s_dump_real(xapi_buf_t *out, double d)
{
    char text[40];
    for (int precision = 15; precision <= 17; precision++) {
        snprintf(text, sizeof text, "%.*g", precision, d);
        if (strtod(text, NULL) == d) break;
    }
    /* keep it a real: "1.0" must not come back as the integer 1 */
    if (!strpbrk(text, ".eEn")) strcat(text, ".0");
    return xapi_buf_str(out, text);
}

int xapi_dump(xapi_buf_t *out, const json_t *value)
{
    char text[32];
    int rc = 0;
    switch (json_typeof(value)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *member;
        bool first = true;
        rc |= xapi_buf_add(out, "{", 1);
        json_object_foreach((json_t *)value, key, member)
        {
            if (!first) rc |= xapi_buf_add(out, ",", 1);
            first = false;
            rc |= s_dump_string(out, key, strlen(key));
            rc |= xapi_buf_add(out, ":", 1);
            rc |= xapi_dump(out, member);
        }
        return rc | xapi_buf_add(out, "}", 1);
    }
    case JSON_ARRAY: {
        rc |= xapi_buf_add(out, "[", 1);
        for (size_t i = 0; i < json_array_size(value); i++) {
            if (i) rc |= xapi_buf_add(out, ",", 1);
            rc |= xapi_dump(out, json_array_get(value, i));
        }
        return rc | xapi_buf_add(out, "]", 1);
    }
    case JSON_STRING:
        return s_dump_string(out, json_string_value(value), json_string_length(value));
    case JSON_INTEGER:
        snprintf(text, sizeof text, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
        return xapi_buf_str(out, text);
    case JSON_REAL:
        return s_dump_real(out, json_real_value(value));
    case JSON_TRUE:
        return xapi_buf_str(out, "true");
    case JSON_FALSE:
        return xapi_buf_str(out, "false");
    default:
        return xapi_buf_str(out, "null");
    }
}

bool xapi_is_json_type(const char *content_type)
{
    return content_type && strncasecmp(content_type, "application/json", 16) == 0 &&
           strchr("; \t", content_type[16]);
}
