/* libpq helpers. Every statement is parameterised; errors are logged once, here. */
#include "yx_db.h"
#include "yx_log.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static __thread char s_sqlstate[6];
static __thread char s_error[512];

static void s_remember(PGconn *db, const PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    snprintf(s_sqlstate, sizeof s_sqlstate, "%s", state ? state : "");
    const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(db);
    snprintf(s_error, sizeof s_error, "%s", msg && *msg ? msg : PQerrorMessage(db));
    s_error[strcspn(s_error, "\n")] = '\0';
}

/* Server notices ("already exists, skipping") would break the JSON log lines on stderr. */
static void s_on_notice(void *arg, const char *message)
{
    (void)arg;
    yx_debug(NULL, "postgresql: %.*s", (int)strcspn(message, "\n"), message);
}

void yx_db_log_notices(PGconn *db)
{
    PQsetNoticeProcessor(db, s_on_notice, NULL);
}

PGconn *yx_db_connect(const char *url)
{
    return yx_db_connect_with(url, NULL);
}

PGconn *yx_db_connect_with(const char *url, const char *settings)
{
    /* JIT compiles a plan when its estimated cost is high, which the services' set-based
     * statements reach on young tables: 70 ms to a second of compiling for a query that runs
     * in 3. Off for every session (an option of the connection survives a reconnect). */
    char options[256];
    snprintf(options, sizeof options, "-c jit=off%s%s", settings ? " " : "",
             settings ? settings : "");
    const char *const keys[] = {"dbname", "options", NULL};
    const char *const values[] = {url, options, NULL};
    PGconn *db = PQconnectdbParams(keys, values, 1);
    yx_db_log_notices(db);
    if (PQstatus(db) != CONNECTION_OK) {
        yx_error(NULL, "could not connect to database: %s", PQerrorMessage(db));
        PQfinish(db);
        return NULL;
    }
    return db;
}

/* The result when it succeeded; else logs, clears and NULL. */
static PGresult *s_checked(PGconn *db, PGresult *res)
{
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return res;
    s_remember(db, res);
    yx_warn(NULL, "statement failed: %s [%s]", s_error, s_sqlstate);
    PQclear(res);
    return NULL;
}

PGresult *yx_db_query(PGconn *db, const char *sql, int nparams, const char *const *params)
{
    return s_checked(db, PQexecParams(db, sql, nparams, NULL, params, NULL, NULL, 0));
}

/* Binary values are big-endian; int8 and timestamptz are 8-byte integers, float8 IEEE 754. */
static uint64_t s_be64(const PGresult *res, int row, int col)
{
    const unsigned char *p = (const unsigned char *)PQgetvalue(res, row, col);
    if (PQgetlength(res, row, col) != 8) return 0;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

int64_t yx_db_int8(const PGresult *res, int row, int col)
{
    return (int64_t)s_be64(res, row, col);
}

double yx_db_float8(const PGresult *res, int row, int col)
{
    uint64_t bits = s_be64(res, row, col);
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

/* PostgreSQL counts from 2000-01-01 00:00 UTC */
#define PG_EPOCH_UNIX_US INT64_C(946684800000000)

int64_t yx_db_unix_us(const PGresult *res, int row, int col)
{
    return (int64_t)s_be64(res, row, col) + PG_EPOCH_UNIX_US;
}

/* The statements prepared so far, per connection (a reconnect has a new backend). */
typedef struct {
    const PGconn *db;
    int backend;
    uint64_t hash;
} prepared_t;

static __thread prepared_t s_prepared[64];
static __thread unsigned s_next_prepared;

static uint64_t s_fnv1a(const char *s)
{
    uint64_t h = 14695981039346656037ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* Prepares sql on db once (per backend) under the name written to name[24]. 0 or -1. */
static int s_prepare(PGconn *db, const char *sql, int nparams, char name[24])
{
    uint64_t hash = s_fnv1a(sql);
    int backend = PQbackendPID(db);
    snprintf(name, 24, "yx_%016llx", (unsigned long long)hash);
    bool known = false;
    for (size_t i = 0; i < sizeof s_prepared / sizeof *s_prepared && !known; i++)
        known = s_prepared[i].db == db && s_prepared[i].backend == backend &&
                s_prepared[i].hash == hash;
    if (!known) {
        PGresult *res = PQprepare(db, name, sql, nparams, NULL);
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        /* 42P05: prepared already, by an earlier life of this slot */
        bool ok = PQresultStatus(res) == PGRES_COMMAND_OK || (state && !strcmp(state, "42P05"));
        if (!ok) {
            s_remember(db, res);
            yx_warn(NULL, "could not prepare a statement: %s [%s]", s_error, s_sqlstate);
        }
        PQclear(res);
        if (!ok) return -1;
        s_prepared[s_next_prepared++ % (sizeof s_prepared / sizeof *s_prepared)] =
            (prepared_t){db, backend, hash};
    }
    return 0;
}

static PGresult *s_query_prepared(PGconn *db, const char *sql, int nparams,
                                  const char *const *params, int result_format)
{
    char name[24];
    if (s_prepare(db, sql, nparams, name) < 0) return NULL;
    return s_checked(db, PQexecPrepared(db, name, nparams, params, NULL, NULL, result_format));
}

int yx_db_send_prepared(PGconn *db, const char *sql, int nparams, const char *const *params)
{
    char name[24];
    if (s_prepare(db, sql, nparams, name) < 0) return -1;
    if (PQsendQueryPrepared(db, name, nparams, params, NULL, NULL, 0)) return 0;
    yx_warn(NULL, "could not send a statement: %s", PQerrorMessage(db));
    return -1;
}

int yx_db_collect(PGconn *db, PGresult **last)
{
    *last = NULL;
    if (!PQconsumeInput(db)) {
        yx_warn(NULL, "database connection: %s", PQerrorMessage(db));
        return -1;
    }
    bool failed = false;
    while (!PQisBusy(db)) {
        PGresult *res = PQgetResult(db);
        if (!res) return failed ? -1 : 0;
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_COPY_IN && !failed) {
            *last = res; /* the rows are the caller's to send now */
            return 0;
        }
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
            PQclear(*last);
            *last = res;
            continue;
        }
        if (!failed) {
            s_remember(db, res);
            yx_warn(NULL, "statement failed: %s [%s]", s_error, s_sqlstate);
        }
        failed = true;
        PQclear(res);
        PQclear(*last);
        *last = NULL;
    }
    return 1;
}

int yx_db_prepare(PGconn *db, const char *sql, int nparams)
{
    char name[24];
    return s_prepare(db, sql, nparams, name);
}

int yx_db_collect_sync(PGconn *db, yx_db_sync_t *got)
{
    if (!PQconsumeInput(db)) {
        yx_warn(NULL, "database connection: %s", PQerrorMessage(db));
        return -1;
    }
    int ends = 0; /* two ends of results in a row: nothing more is queued, no sync will come */
    while (!PQisBusy(db) && ends < 2) {
        PGresult *res = PQgetResult(db);
        if (!res) {
            ends++;
            continue;
        }
        ends = 0;
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_PIPELINE_SYNC) {
            PQclear(res);
            return got->failed ? -1 : 0;
        }
        int cap = (int)(sizeof got->res / sizeof *got->res);
        if ((st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) && got->count < cap) {
            got->res[got->count++] = res;
            continue;
        }
        if (!got->failed && st != PGRES_PIPELINE_ABORTED) {
            s_remember(db, res);
            yx_warn(NULL, "statement failed: %s [%s]", s_error, s_sqlstate);
        }
        got->failed = true;
        PQclear(res);
    }
    return ends < 2 ? 1 : -1;
}

void yx_db_sync_clear(yx_db_sync_t *got)
{
    for (int i = 0; i < got->count; i++)
        PQclear(got->res[i]);
    *got = (yx_db_sync_t){0};
}

bool yx_db_pipeline_drain(PGconn *db)
{
    if (PQpipelineStatus(db) == PQ_PIPELINE_OFF) return PQstatus(db) == CONNECTION_OK;
    PQsetnonblocking(db, 0);
    PQpipelineSync(db); /* what was sent without one is answered too */
    while (PQstatus(db) == CONNECTION_OK && !PQexitPipelineMode(db))
        PQclear(PQgetResult(db));
    return PQstatus(db) == CONNECTION_OK;
}

PGresult *yx_db_query_prepared(PGconn *db, const char *sql, int nparams, const char *const *params)
{
    return s_query_prepared(db, sql, nparams, params, 0);
}

PGresult *yx_db_query_binary(PGconn *db, const char *sql, int nparams, const char *const *params)
{
    return s_query_prepared(db, sql, nparams, params, 1);
}

int yx_db_exec(PGconn *db, const char *sql, int nparams, const char *const *params)
{
    PGresult *res = yx_db_query(db, sql, nparams, params);
    if (!res) return -1;
    PQclear(res);
    return 0;
}

const char *yx_db_last_sqlstate(void)
{
    return s_sqlstate;
}

const char *yx_db_last_error(void)
{
    return s_error;
}

int yx_db_begin(PGconn *db)
{
    return yx_db_exec(db, "BEGIN", 0, NULL);
}

int yx_db_commit(PGconn *db)
{
    return yx_db_exec(db, "COMMIT", 0, NULL);
}

void yx_db_rollback(PGconn *db)
{
    PQclear(PQexec(db, "ROLLBACK"));
}

bool yx_db_ensure(PGconn *db)
{
    if (PQstatus(db) == CONNECTION_OK) return true;
    PQreset(db);
    if (PQstatus(db) == CONNECTION_OK) {
        yx_info(NULL, "database connection re-established");
        return true;
    }
    return false;
}

int yx_db_analyze_grown(PGconn *db, const char *schema)
{
    static const char sql[] =
        "SELECT format('%I.%I', s.schemaname, s.relname) FROM pg_stat_user_tables s"
        "  JOIN pg_class c ON c.oid = s.relid"
        " WHERE s.schemaname = $1 AND s.n_mod_since_analyze >= 1000"
        "   AND s.n_mod_since_analyze > c.reltuples";
    const char *const params[] = {schema};
    PGresult *res = yx_db_query(db, sql, 1, params);
    if (!res) return -1;
    int n = 0;
    for (int r = 0; r < PQntuples(res); r++) {
        char stmt[300];
        /* the name comes quoted by the server */
        snprintf(stmt, sizeof stmt, "ANALYZE %s", PQgetvalue(res, r, 0));
        if (yx_db_exec(db, stmt, 0, NULL) == 0) n++;
    }
    PQclear(res);
    return n;
}

int yx_db_migrate(PGconn *db, const char *schema, const yx_migration_t *migrations, int count)
{
    char sql[512];
    const char *const lock_param[] = {schema};
    if (yx_db_begin(db) < 0) return -1;
    /* Several instances of a service may start at once: one migrates, others wait. */
    if (yx_db_exec(db, "SELECT pg_advisory_xact_lock(hashtext($1))", 1, lock_param) < 0) goto fail;
    char *quoted = PQescapeIdentifier(db, schema, strlen(schema));
    if (!quoted) goto fail;
    snprintf(sql, sizeof sql,
             "CREATE SCHEMA IF NOT EXISTS %s;"
             "CREATE TABLE IF NOT EXISTS %s.schema_version (version int PRIMARY KEY,"
             " name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
             quoted, quoted);
    PGresult *res = PQexec(db, sql);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    snprintf(sql, sizeof sql, "SELECT coalesce(max(version), 0) FROM %s.schema_version", quoted);
    PGresult *cur = ok ? yx_db_query(db, sql, 0, NULL) : NULL;
    int current = cur ? atoi(PQgetvalue(cur, 0, 0)) : -1;
    PQclear(cur);
    snprintf(sql, sizeof sql, "INSERT INTO %s.schema_version (version, name) VALUES ($1, $2)",
             quoted);
    PQfreemem(quoted);
    if (current < 0) goto fail;
    for (int i = 0; i < count; i++) {
        if (migrations[i].version <= current) continue;
        PGresult *r = PQexec(db, migrations[i].sql);
        if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
            yx_error(NULL, "could not apply migration %s: %s", migrations[i].name,
                     PQresultErrorMessage(r));
            PQclear(r);
            goto fail;
        }
        PQclear(r);
        char version[16];
        snprintf(version, sizeof version, "%d", migrations[i].version);
        const char *const params[] = {version, migrations[i].name};
        if (yx_db_exec(db, sql, 2, params) < 0) goto fail;
        yx_info(NULL, "applied migration %s", migrations[i].name);
    }
    return yx_db_commit(db);
fail:
    yx_db_rollback(db);
    return -1;
}
