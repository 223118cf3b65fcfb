/* A round is two steps, each sent as one pipeline (libpq's pipeline mode) and its results
 * read when the socket says so: whether places are needed, then the ledger's lock and the
 * crediting statement, which form one implicit transaction up to the pipeline's sync. The
 * server runs that transaction through without waiting for the service, so a blocking query
 * of the service's own that waits for the same lock cannot deadlock with it. A round is also
 * run every few seconds, for what another instance of the service stored, and a second after
 * a failure. */
#include "crediter.h"
#include "ledger.h"
#include "yx_db.h"
#include "yx_log.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PENDING_NAME "crediter_pending"
#define IDLE_ROUND_S 2
#define RETRY_S 1
/* After a store, a round waits this long for more stores to credit with it: one round (a
 * transaction, its fsync) for several batches. A reader waiting for the credit asks for
 * a round at once instead. */
#define SOON_MS 5

typedef enum { IDLE, SCOPING, CREDITING } step_t;

struct crediter {
    credits_t *credits;
    PGconn *db;
    bool prepared;       /* ledger_pending_sql, and the connection in pipeline mode */
    bool dirty;          /* a pipeline was left half sent or half read: reconnect */
    struct event *io;    /* the connection's socket, during a round */
    struct event *timer; /* the next round without a kick */
    crediter_round_fn on_round;
    void *arg;
    step_t step;
    bool failed; /* a query of this round failed */
    bool scoped; /* some program is scoped: places are needed */
    bool again;  /* kicked during the round */
    bool soon;   /* a round is due within SOON_MS (the timer), or after the one under way */
    long long through, round_through, last;
    char error[256]; /* why the round failed */
};

static void s_round(crediter_t *self);

/* The round fails, for the reason given (its first line). */
static void s_fail(crediter_t *self, const char *why)
{
    if (!self->failed) {
        snprintf(self->error, sizeof self->error, "%s", why && *why ? why : "unknown");
        self->error[strcspn(self->error, "\n")] = '\0';
    }
    self->failed = true;
}

static void s_on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    s_round(arg);
}

static void s_finish(crediter_t *self)
{
    if (self->io) event_free(self->io);
    self->io = NULL;
    self->step = IDLE;
    bool ok = !self->failed;
    if (ok)
        self->through = self->round_through;
    else
        yx_warn(NULL, "crediting stored statements failed: %s", self->error);
    self->on_round(self->arg, ok);
    if (ok && (self->again || self->through < self->last)) {
        s_round(self);
    } else {
        bool soon = ok && self->soon;
        struct timeval later = {soon ? 0 : ok ? IDLE_ROUND_S : RETRY_S, soon ? SOON_MS * 1000 : 0};
        event_add(self->timer, &later);
    }
}

/* The second step's pipeline. */
static bool s_send_credit(crediter_t *self)
{
    ledger_places_t pl;
    int placed = ledger_pending_places(self->credits, self->scoped, &pl);
    const char *params[] = {self->credits->county_id, LEDGER_PENDING_MOST,
                            yx_pgarray_text(&pl.teacher), yx_pgarray_text(&pl.school),
                            yx_pgarray_text(&pl.district)};
    if (placed < 0) s_fail(self, "the roster's teachers are not loaded yet");
    bool sent = placed == 0 &&
                PQsendQueryParams(self->db, ledger_lock_sql, 0, NULL, NULL, NULL, NULL, 0) &&
                PQsendQueryPrepared(self->db, PENDING_NAME, 5, params, NULL, NULL, 0) &&
                PQpipelineSync(self->db);
    ledger_places_free(&pl);
    if (!sent && placed == 0) {
        s_fail(self, PQerrorMessage(self->db));
        self->dirty = true;
    }
    self->step = CREDITING;
    return sent;
}

static void s_take(crediter_t *self, PGresult *res)
{
    ExecStatusType status = PQresultStatus(res);
    if (status == PGRES_PIPELINE_ABORTED) return s_fail(self, "aborted");
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
        return s_fail(self, PQresultErrorMessage(res));
    if (status != PGRES_TUPLES_OK || PQntuples(res) != 1) return;
    if (self->step == SCOPING) {
        self->scoped = PQgetvalue(res, 0, 0)[0] == 't';
    } else if (PQnfields(res) == 4) { /* the crediting statement, not the lock's */
        self->round_through = atoll(PQgetvalue(res, 0, 0));
        self->last = atoll(PQgetvalue(res, 0, 1));
        yx_debug(NULL, "ledger: %s entries and %s reversals, credited through %lld",
                 PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 3), self->round_through);
    }
}

static void s_on_io(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    crediter_t *self = arg;
    if (!PQconsumeInput(self->db)) {
        s_fail(self, PQerrorMessage(self->db));
        self->dirty = true;
        return s_finish(self);
    }
    while (!PQisBusy(self->db)) {
        PGresult *res = PQgetResult(self->db);
        if (!res) continue; /* the end of one query's results */
        bool synced = PQresultStatus(res) == PGRES_PIPELINE_SYNC;
        if (!synced) s_take(self, res);
        PQclear(res);
        if (!synced) continue;
        /* the step is over: a failed one was rolled back at the sync */
        if (self->step == CREDITING || self->failed || !s_send_credit(self)) return s_finish(self);
    }
}

static bool s_connection_ready(crediter_t *self)
{
    if (self->dirty) PQreset(self->db);
    if (self->dirty || PQstatus(self->db) != CONNECTION_OK) self->prepared = false;
    self->dirty = false;
    if (!yx_db_ensure(self->db)) return false;
    if (!self->prepared) {
        if (PQpipelineStatus(self->db) != PQ_PIPELINE_OFF) PQexitPipelineMode(self->db);
        PGresult *res = PQprepare(self->db, PENDING_NAME, ledger_pending_sql, 0, NULL);
        self->prepared = PQresultStatus(res) == PGRES_COMMAND_OK;
        if (!self->prepared) s_fail(self, PQresultErrorMessage(res));
        PQclear(res);
        if (self->prepared && !PQenterPipelineMode(self->db)) {
            s_fail(self, PQerrorMessage(self->db));
            self->prepared = false;
        }
    }
    return self->prepared;
}

static void s_round(crediter_t *self)
{
    if (self->step != IDLE) {
        self->again = true;
        return;
    }
    event_del(self->timer);
    self->again = self->soon = false;
    self->failed = false;
    self->step = SCOPING;
    if (s_connection_ready(self) &&
        PQsendQueryParams(self->db, ledger_scoped_sql, 0, NULL, NULL, NULL, NULL, 0) &&
        PQpipelineSync(self->db)) {
        self->io =
            event_new(self->credits->base, PQsocket(self->db), EV_READ | EV_PERSIST, s_on_io, self);
        if (self->io) event_priority_set(self->io, PRIORITY_DB);
        if (self->io && event_add(self->io, NULL) == 0) return;
        s_fail(self, "could not watch the database connection");
    } else {
        s_fail(self, PQerrorMessage(self->db));
        self->dirty = true;
    }
    s_finish(self);
}

crediter_t *crediter_new(credits_t *credits, const char *db_url, crediter_round_fn on_round,
                         void *arg)
{
    crediter_t *self = calloc(1, sizeof *self);
    if (!self) return NULL;
    *self = (crediter_t){.credits = credits, .on_round = on_round, .arg = arg, .through = -1};
    /* one plan for every round: PostgreSQL otherwise planned each round anew (its parameters
     * make a custom plan look cheaper), a fifth of its time for small rounds */
    self->db = yx_db_connect_with(db_url, "-c plan_cache_mode=force_generic_plan");
    self->timer = event_new(credits->base, -1, 0, s_on_timer, self);
    if (!self->db || !self->timer) {
        crediter_destroy(&self);
        return NULL;
    }
    s_round(self);
    return self;
}

void crediter_destroy(crediter_t **self_p)
{
    crediter_t *self = *self_p;
    if (!self) return;
    if (self->io) event_free(self->io);
    if (self->timer) event_free(self->timer);
    if (self->db) PQfinish(self->db); /* a round under way is rolled back */
    free(self);
    *self_p = NULL;
}

void crediter_kick(crediter_t *self)
{
    s_round(self);
}

void crediter_soon(crediter_t *self)
{
    if (self->soon) return;
    self->soon = true;
    if (self->step != IDLE) return; /* the round under way schedules it */
    struct timeval in = {0, SOON_MS * 1000};
    event_add(self->timer, &in);
}

long long crediter_through(const crediter_t *self)
{
    return self->through;
}

long long crediter_last(const crediter_t *self)
{
    return self->last;
}
