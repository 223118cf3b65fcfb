/* Text that arrives from spreadsheets: encodings, validity, inert cells. */
#include "yx_text.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

bool yx_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    const unsigned char *end = p + n;
    while (p < end) {
        /* most of a roster is ASCII: skip it eight bytes at a time */
        uint64_t word;
        if (end - p >= 8 && (memcpy(&word, p, 8), (word & 0x8080808080808080ULL) == 0)) {
            p += 8;
            continue;
        }
        unsigned c = *p;
        if (c < 0x80) {
            p++;
            continue;
        }
        size_t need;
        unsigned lo = 0x80, hi = 0xBF; /* narrowed to exclude overlongs and surrogates */
        if (c >= 0xC2 && c <= 0xDF)
            need = 1;
        else if (c == 0xE0)
            need = 2, lo = 0xA0;
        else if (c == 0xED)
            need = 2, hi = 0x9F;
        else if (c >= 0xE1 && c <= 0xEF)
            need = 2;
        else if (c == 0xF0)
            need = 3, lo = 0x90;
        else if (c >= 0xF1 && c <= 0xF3)
            need = 3;
        else if (c == 0xF4)
            need = 3, hi = 0x8F;
        else
            return false;
        if ((size_t)(end - p) <= need || p[1] < lo || p[1] > hi) return false;
        for (size_t i = 2; i <= need; i++)
            if ((p[i] & 0xC0) != 0x80) return false;
        p += need + 1;
    }
    return true;
}

static char *s_copy(const char *data, size_t n)
{
    char *copy = malloc(n + 1);
    if (!copy) return NULL;
    memcpy(copy, data, n);
    copy[n] = '\0';
    return copy;
}

static char *s_from_gb18030(const char *data, size_t n, size_t *out_len)
{
    iconv_t cd = iconv_open("UTF-8", "GB18030");
    if (cd == (iconv_t)-1) return NULL;
    /* a GB18030 character never takes more than 1.5 times its bytes in UTF-8 */
    size_t cap = n + n / 2 + 4;
    char *out = malloc(cap + 1);
    char *in = (char *)data, *o = out;
    size_t inleft = n, outleft = cap;
    if (!out || iconv(cd, &in, &inleft, &o, &outleft) == (size_t)-1 ||
        iconv(cd, NULL, NULL, &o, &outleft) == (size_t)-1) {
        free(out);
        iconv_close(cd);
        return NULL;
    }
    iconv_close(cd);
    *out_len = (size_t)(o - out);
    *o = '\0';
    return out;
}

char *yx_text_to_utf8(const char *data, size_t n, size_t *out_len, const char **encoding)
{
    if (n == 0) data = "";
    /* NUL never occurs in a spreadsheet's text; UTF-16 and binaries are full of it */
    if (memchr(data, '\0', n)) return NULL;
    bool bom = n >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0;
    if (bom) {
        data += 3;
        n -= 3;
    }
    size_t len = n;
    char *text = NULL;
    const char *enc = "utf-8";
    if (yx_utf8_valid(data, n))
        text = s_copy(data, n);
    else if (!bom) {
        text = s_from_gb18030(data, n, &len);
        enc = "gb18030";
    }
    if (!text) return NULL;
    if (out_len) *out_len = len;
    if (encoding) *encoding = enc;
    return text;
}

/* Digits with at most one decimal point: what a spreadsheet reads as a signed number. */
static bool s_plain_number(const char *s)
{
    bool digit = false, point = false;
    for (; *s; s++) {
        if (*s >= '0' && *s <= '9')
            digit = true;
        else if (*s == '.' && !point)
            point = true;
        else
            return false;
    }
    return digit;
}

bool yx_cell_is_formula(const char *s)
{
    if (!s) return false;
    switch (s[0]) {
    case '=':
    case '@':
    case '\t':
    case '\r':
        return true;
    case '+':
    case '-':
        /* a lone sign is text; a sign before anything but a number is an expression */
        return s[1] != '\0' && !s_plain_number(s + 1);
    default:
        return false;
    }
}

char *yx_cell_inert(const char *s)
{
    size_t n = strlen(s);
    if (!yx_cell_is_formula(s)) return s_copy(s, n);
    char *copy = malloc(n + 2);
    if (!copy) return NULL;
    copy[0] = '\'';
    memcpy(copy + 1, s, n + 1);
    return copy;
}

bool yx_text_is_plain(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max || !yx_utf8_valid(s, n)) return false;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) return false;
    return true;
}

void yx_hex(const void *data, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *b = data;
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * len] = '\0';
}
