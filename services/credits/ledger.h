/* The append-only ledger, fed by statements. Storing and crediting are separate transactions
 * on separate connections, so PostgreSQL works on both at once: a batch is credited right
 * after it is stored (crediter.c), and its requests are answered only then. A cursor makes
 * that exactly once, after a crash too. */
#ifndef CREDITS_LEDGER_H
#define CREDITS_LEDGER_H
#include "credits.h"
#include "yx_pgarray.h"

#include <stdbool.h>

/* Derives ledger entries for stored statements named by id (text UUIDs) whose teacher is
 * known, in the caller's transaction. A statement already credited is never credited
 * twice. 0 or -1 (the caller rolls back). */
int ledger_credit_statements(credits_t *credits, const char *const *statement_ids, size_t n);

/* Credits, blocking on credits->db in transactions of its own, everything stored after the
 * cursor, and reverses what newly stored voiding statements cancel. The seq credited
 * through, or -1. */
long long ledger_credit_pending(credits_t *credits);

/* The same in parts, for a connection driven from the event loop (crediter.c): whether
 * places are needed (ledger_scoped_sql, one row: any program scoped?), then in one
 * transaction ledger_lock_sql and ledger_pending_sql with $1 county, $2 LEDGER_PENDING_MOST
 * and $3–$5 the places (one row: credited through, last stored, entries, reversals); again
 * while through < last. */
extern const char ledger_scoped_sql[];
extern const char ledger_lock_sql[];
extern const char ledger_pending_sql[];
#define LEDGER_PENDING_MOST "20000" /* statements a transaction, after an outage */

/* Teachers with their school and district, for the matching: every teacher of the directory
 * when some program is scoped, none otherwise. Always initialised; free it. 0, or -1 also
 * while the directory is not loaded yet and places are needed: do not credit then. */
typedef struct {
    yx_pgarray_t teacher, school, district;
} ledger_places_t;
int ledger_pending_places(credits_t *credits, bool scoped, ledger_places_t *pl);
void ledger_places_free(ledger_places_t *pl);

#endif
