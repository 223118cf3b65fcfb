/* Crediting on a connection of its own, driven by the event loop: after a batch of
 * statements is stored, the crediter turns everything stored since its cursor into ledger
 * entries (ledger_pending_sql) in a transaction of its own. While it does, the writer
 * stores the next batch, so PostgreSQL works on both at once; several batches stored
 * meanwhile are credited together. */
#ifndef CREDITS_CREDITER_H
#define CREDITS_CREDITER_H
#include "credits.h"

#include <stdbool.h>

typedef struct crediter crediter_t;

/* Called after every round: `ok` false when it failed (it is tried again later). */
typedef void (*crediter_round_fn)(void *arg, bool ok);

/* Connects, and credits whatever an earlier run left behind. NULL on failure. */
crediter_t *crediter_new(credits_t *credits, const char *db_url, crediter_round_fn on_round,
                         void *arg);
void crediter_destroy(crediter_t **self_p);

/* A round now, or right after the one under way. */
void crediter_kick(crediter_t *self);
/* A round within a few milliseconds, with whatever is stored by then. */
void crediter_soon(crediter_t *self);

/* The seq through which every stored statement is credited, as of the last round (-1
 * before the first). */
long long crediter_through(const crediter_t *self);
/* The last seq stored, of any instance, as the last round saw it. */
long long crediter_last(const crediter_t *self);

#endif
