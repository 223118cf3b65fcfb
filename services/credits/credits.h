/* The credits service: what every part of it shares. */
#ifndef CREDITS_H
#define CREDITS_H
#include "credits.pb-c.h"
#include "directory.h"
#include "yx_arena.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <stdint.h>

struct event_base;
/* The event base's priorities (main.c makes three). The database connections' answers come
 * before new requests: a transaction's next step waiting behind the parse of a request of
 * hundreds of statements holds up a whole batch. The group commit's flush comes last, once
 * the bus has read what arrived meanwhile. */
enum { PRIORITY_DB = 0, PRIORITY_FLUSH = 2, PRIORITIES = 3 };

typedef struct signer signer_t; /* the county's Ed25519 key (certificate.h) */

typedef struct {
    PGconn *db;
    const char *county_id;
    struct event_base *base;
    directory_t *directory; /* the roster's teachers, cached (directory.h) */
    signer_t *signer;
    int64_t ingest_at_s; /* when statements last came in, CLOCK_MONOTONIC (batch.c) */
} credits_t;

/* One request being answered. The arena lives until the reply is sent. */
typedef struct {
    credits_t *credits;
    yx_arena_t *arena;
    const Yx__Principal *principal;
    const char *request_id;
    int64_t deadline_unix_ms; /* 0: none */
} request_t;

/* Replies (reply.c). A document reply steals `doc` and renders it compactly. */
void reply_json(request_t *req, Yx__CreditsReply *reply, unsigned code, json_t *doc);
void reply_text(request_t *req, Yx__CreditsReply *reply, unsigned code, const char *content_type,
                const char *text, size_t len);
void reply_error(request_t *req, Yx__CreditsReply *reply, unsigned code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Adds a problem (field path in `column`, e.g. "statement[3].actor.mbox") to an error reply. */
void reply_problem(request_t *req, Yx__CreditsReply *reply, const char *file, unsigned line,
                   const char *column, const char *reason);
void reply_header(request_t *req, Yx__CreditsReply *reply, const char *name, const char *value);

#endif
