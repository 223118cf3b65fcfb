/* Text that arrives from spreadsheets: encodings, validity, inert cells. */
#ifndef YX_TEXT_H
#define YX_TEXT_H
#include <stdbool.h>
#include <stddef.h>

/* True when s[0..n) is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
bool yx_utf8_valid(const char *s, size_t n);

/* Decodes what Excel writes: UTF-8 with or without BOM, else GB18030 (a superset of
 * GBK and GB2312). Returns a malloc'd NUL-terminated UTF-8 copy without BOM and sets
 * *out_len and *encoding ("utf-8" or "gb18030"); NULL when neither decodes. */
char *yx_text_to_utf8(const char *data, size_t n, size_t *out_len, const char **encoding);

/* True when a spreadsheet would evaluate the cell as a formula (=, @, tab, CR, or + / -
 * not followed by a plain number). */
bool yx_cell_is_formula(const char *s);

/* An id, name or label typed by a person: non-empty UTF-8 of at most max bytes without
 * control characters. */
bool yx_text_is_plain(const char *s, size_t max);

/* A malloc'd copy that no spreadsheet evaluates: formulas get a leading apostrophe. */
char *yx_cell_inert(const char *s);

/* data[0..len) as lower-case hexadecimal into out (2 * len + 1 bytes, NUL-terminated). */
void yx_hex(const void *data, size_t len, char *out);

#endif
