/* Statements' attachments and the parts of their request (xAPI Communication 1.5.2). */
#ifndef CREDITS_XAPI_ATTACHMENTS_H
#define CREDITS_XAPI_ATTACHMENTS_H
#include "multipart.h"
#include "xapi_store.h"
#include "yx_pgarray.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#define XAPI_MAX_PARTS 1000

/* The attachment parts of one request (after the statements' own part). */
typedef struct {
    multipart_part_t *items;
    bool *used; /* named by an attachment of the statements */
    size_t count;
    bool multipart; /* the request was multipart/mixed */
} xapi_parts_t;

/* Splits a multipart/mixed request: *json is the statements' part (application/json), the
 * rest go to parts, each checked: X-Experience-API-Hash present and equal to the SHA-2 of its
 * bytes, Content-Transfer-Encoding binary. NULL, or the reason (in arena). */
const char *xapi_parts_read(yx_arena_t *arena, const char *content_type, const uint8_t *body,
                            size_t len, const uint8_t **json, size_t *json_len,
                            xapi_parts_t *parts);

/* Matches the attachments of one statement (`path` names it) with the parts: one without a
 * fileUrl needs its part, a signature's part must sign the statement. NULL, or the reason
 * with *where the attachment's path (in arena). */
const char *xapi_attachments_match(yx_arena_t *arena, const json_t *statement, const char *path,
                                   xapi_parts_t *parts, int major, const char **where);

/* The first part no attachment named, as a reason (in arena); NULL when every one was. */
const char *xapi_parts_unused(yx_arena_t *arena, const xapi_parts_t *parts);

/* Stores the parts, once per content. 0 or -1. */
int xapi_parts_store(PGconn *db, const char *county_id, const xapi_parts_t *parts);

/* The SHA-2 of every attachment of a stored statement's text, added to hashes. */
void xapi_attachment_hashes(const json_t *statement, yx_pgarray_t *hashes);

/* For GET ?attachments=true: appends a part for each stored content among hashes to body,
 * each opened by "--boundary". 0 or -1. */
int xapi_parts_append(PGconn *db, const char *county_id, yx_pgarray_t *hashes, xapi_buf_t *body,
                      const char *boundary);

#endif
