/* A multipart/mixed body (RFC 2046 5.1) split into its parts, for statements sent with
 * their attachments (xAPI Communication 1.5.2). The parts' bytes are not copied: they point
 * into the body. */
#ifndef CREDITS_MULTIPART_H
#define CREDITS_MULTIPART_H
#include "yx_arena.h"

#include <stddef.h>
#include <stdint.h>

#define MULTIPART_HEADERS_MAX 8192 /* bytes of one part's header block */

typedef struct {
    const char *content_type;      /* NULL when the part names none */
    const char *transfer_encoding; /* Content-Transfer-Encoding */
    const char *hash;              /* X-Experience-API-Hash */
    const uint8_t *data;
    size_t len;
} multipart_part_t;

/* Whether content_type is multipart/mixed (its parameters aside). */
int multipart_is_mixed(const char *content_type);

/* Splits body by the boundary of content_type into parts[0..max). The number of parts, or -1
 * with *why (in arena): no boundary, no delimiter, a part without its header block's end,
 * more than max parts, a missing closing delimiter. Header values are copied into arena,
 * without surrounding blanks; names are matched without regard to case. */
int multipart_split(yx_arena_t *arena, const char *content_type, const uint8_t *body, size_t len,
                    multipart_part_t *parts, size_t max, const char **why);

#endif
