/* Reading statements back: GET /xapi/statements (one statement, or a filtered page with
 * "more"), and the county's list of actors no teacher matches yet. */
#ifndef CREDITS_XAPI_QUERY_H
#define CREDITS_XAPI_QUERY_H
#include "credits.h"

#include <jansson.h>

/* Largest page; "limit=0" asks for it (Communication 2.1.3). */
#define XAPI_MAX_LIMIT 500
/* The resource "more" points back to; the gateway routes it to GetStatements. */
#define XAPI_MORE_PATH "/xapi/statements?cursor="

/* The opaque cursor of "more": the query's own parameters (a JSON object of strings) and
 * the seq the page ended at, as URL-safe base64 of a small JSON document. It is not
 * signed: a decoded cursor is checked exactly like a fresh query, and what a caller may
 * see is decided by who asks, never by the cursor. Returns a string in `arena`. */
const char *xapi_cursor_encode(yx_arena_t *arena, const json_t *params, long long seq);
/* 0, or -1 when the text is not a cursor this service made. *params is a new reference. */
int xapi_cursor_decode(const char *cursor, json_t **params, long long *seq);

/* format=ids (Communication 2.1.3): Agents, Groups, Activities and Verbs reduced to what
 * identifies them, in place. */
void xapi_format_ids(json_t *statement);

/* format=canonical (xapi_language.c): the reader's languages from Accept-Language, best
 * first (the county's zh-CN when it says nothing), and every language map of a statement
 * reduced, in place, to the one language that suits them best. */
#define XAPI_MAX_LANGUAGES 16
typedef struct {
    char tags[XAPI_MAX_LANGUAGES][36];
    double q[XAPI_MAX_LANGUAGES];
    size_t count;
} xapi_languages_t;
void xapi_languages_parse(xapi_languages_t *langs, const char *header);
void xapi_format_canonical(json_t *statement, const xapi_languages_t *langs);

#endif
