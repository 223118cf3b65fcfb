/* Inbound bus messages of the credits service: checked, routed to their operation, answered
 * exactly once. Most are answered before the handler returns; POSTs of statements wait in
 * the batch (batch.c) and are answered after their group commit, and reads of the ledger
 * wait there for the statements stored before them to be credited. */
#ifndef CREDITS_DISPATCH_H
#define CREDITS_DISPATCH_H
#include "credits.h"
#include "yx_bus.h"

/* One request being answered: its call, message, arena and reply. */
typedef struct {
    yx_bus_call_t *call;
    Yx__CreditsRequest *in;
    request_t req;
    Yx__CreditsReply reply;
    Yx__Status status;
    size_t size; /* of the request on the wire */
} pending_t;

/* Packs and sends the reply, then frees everything of the request. */
void pending_send(pending_t **self_p);

/* ---- group commit (batch.c) --------------------------------------------------------- */
typedef struct batch batch_t;

/* A batch needs an event base with three priorities (main.c): its flush runs at the
 * lowest, after the bus has read every request that arrived meanwhile. It writes on a
 * connection of its own to db_url. NULL when it cannot connect. */
batch_t *batch_new(credits_t *credits, const char *db_url);
/* Answers what is still queued or being written with 503. */
void batch_destroy(batch_t **self_p);
/* Checks a PostStatements request and queues it (a refused one is answered at once); the
 * flush answers it after its commit. */
void batch_add(batch_t *self, pending_t *pending);
/* Runs `run` (which answers the request) once the ledger is credited through every
 * statement stored so far: at once when it is. */
typedef void (*batch_read_fn)(pending_t *pending);
void batch_after_credit(batch_t *self, pending_t *pending, batch_read_fn run);

/* ---- dispatch ------------------------------------------------------------------------ */
typedef struct {
    credits_t *credits;
    batch_t *batch;
} dispatch_t;

/* The bus handler: arg is a dispatch_t. */
void dispatch_request(yx_bus_call_t *call, const uint8_t *data, size_t size, void *arg);

#endif
