/* libpq helpers. Every statement is parameterised; errors are logged once, here. */
#include "yx_db.h"
#include "yx_log.h"

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
    PGconn *db = PQconnectdb(url);
    yx_db_log_notices(db);
    if (PQstatus(db) != CONNECTION_OK) {
        yx_error(NULL, "could not connect to database: %s", PQerrorMessage(db));
        PQfinish(db);
        return NULL;
    }
    return db;
}

PGresult *yx_db_query(PGconn *db, const char *sql, int nparams, const char *const *params)
{
    PGresult *res = PQexecParams(db, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return res;
    s_remember(db, res);
    yx_warn(NULL, "statement failed: %s [%s]", s_error, s_sqlstate);
    PQclear(res);
    return NULL;
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

int yx_db_migrate(PGconn *db, const char *schema, const yx_migration_t *migrations, int count)
{
    char sql[512];
    const char *const lock_param[] = {schema};
    if (yx_db_begin(db) < 0) return -1;
    /* Several instances of a service may start at once: one migrates, others wait. */
    if (yx_db_exec(db, "SELECT pg_advisory_xact_lock(hashtext($1))", 1, lock_param) < 0)
        goto fail;
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
