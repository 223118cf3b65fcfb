/* Storing xAPI statements: what POST and PUT share, and the pieces the queries reuse (the
 * JSON writer, agent keys, statement comparison). */
#ifndef CREDITS_XAPI_STORE_H
#define CREDITS_XAPI_STORE_H
#include "credits.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define XAPI_MAX_STATEMENT_BYTES (64 * 1024)
#define XAPI_MAX_BATCH 10000
/* Where the authority of a platform lives when its key names no home page. */
#define XAPI_PLATFORMS_HOME "https://yanxiu.local/platforms"
#define XAPI_VOIDED_VERB "http://adlnet.gov/expapi/verbs/voided"
/* Serialises writers of statements (seq and "stored" follow commit order); readers try it
 * to tell whether a write is in flight (X-Experience-API-Consistent-Through). */
#define XAPI_WRITE_LOCK "hashtext('credits.statements')"

/* A growing text buffer (malloc'd). */
typedef struct {
    char *data;
    size_t len, cap;
} xapi_buf_t;

int xapi_buf_add(xapi_buf_t *self, const char *text, size_t len);
int xapi_buf_str(xapi_buf_t *self, const char *text);
void xapi_buf_free(xapi_buf_t *self);

/* Compact JSON with numbers written back as they were read: the shortest text that parses
 * to the same double (jansson's own writer uses 17 digits: 0.1 would come back as
 * 0.10000000000000001). 0 or -1. */
int xapi_dump(xapi_buf_t *out, const json_t *value);
/* Whether a Content-Type is application/json (its parameters aside). */
bool xapi_is_json_type(const char *content_type);

/* The canonical key of an Agent's or identified Group's identifier: "mbox:name@domain"
 * (domain in lower case), "sha1:<hex>", "openid:<uri>", "account:<homePage>|<name>".
 * NULL for an anonymous Group. Allocated in `arena`. */
const char *xapi_agent_key(yx_arena_t *arena, const json_t *agent);

/* Statement comparison (Data 2.3.1.s9): true when `incoming` (as a client sent it again,
 * validated) and `stored` (as the LRS holds it) differ only where the LRS may differ:
 * stored, authority, version; timestamps as instants (an absent incoming timestamp was
 * the LRS's to assign); verb display and activity definitions (not part of the
 * statement); the order of group members; the case of UUIDs. */
bool xapi_same_statement(const json_t *incoming, const json_t *stored);

/* The consistent-through time known after the last commit of this process, or "" when
 * none yet: the header of POST and PUT answers. */
const char *xapi_last_stored(void);
/* The seq of the last statement stored when this process last committed a batch (0 before):
 * its requests are answered once the ledger is credited through it (batch.c). */
long long xapi_last_seq(void);

/* ---- the write path in steps, for the group commit (batch.c) ------------------------
 * xapi_post_batch (ops.h) runs the same steps blocking; batch.c runs them from the event
 * loop so the next requests are parsed and checked while PostgreSQL takes in the rows. */
typedef struct xapi_post xapi_post_t;   /* one request, checked and ready to be written */
typedef struct xapi_write xapi_write_t; /* one batch being written */

/* Everything about a request that needs no database: parsing, the xAPI rules, ids, the
 * columns. NULL when the request is refused (the reply says why). */
xapi_post_t *xapi_post_prepare(credits_t *credits, request_t *req, const Yx__PostStatements *op,
                               Yx__CreditsReply *reply);
void xapi_post_destroy(xapi_post_t **self_p);

/* Starts storing the posts in one transaction on `db` (the batch's own connection): the
 * lock, what is stored under their ids, the decisions, and the rows sent by COPY without
 * blocking. NULL when it is over already (every post answered). */
xapi_write_t *xapi_write_start(credits_t *credits, PGconn *db, xapi_post_t **posts, size_t n);
/* Moves the write on when PQsocket(db) is ready: 1 while PostgreSQL is busy (wait until it
 * is readable, and writable when *want_write), 0 when every post is answered and the write
 * freed. Failures are handled inside (the requests are tried again one by one). */
int xapi_write_step(xapi_write_t **self_p, bool *want_write);
/* Rolls back and answers 503 (the service is stopping); a batch whose COMMIT is on its way
 * is waited for instead, and answered as it ends. */
void xapi_write_abort(xapi_write_t **self_p);

#endif
