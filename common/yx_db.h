/* libpq helpers: connecting, parameterised queries, transactions, migrations. */
#ifndef YX_DB_H
#define YX_DB_H
#include <libpq-fe.h>
#include <stdint.h>
#include <stdbool.h>

/* Sends the server's notices to the debug log instead of stderr as plain text. Done by
 * yx_db_connect; call it on connections made otherwise. */
void yx_db_log_notices(PGconn *db);

/* Connects and checks; logs and returns NULL on failure. */
PGconn *yx_db_connect(const char *url);
/* The same with more session settings, as server options ("-c name=value ..."). */
PGconn *yx_db_connect_with(const char *url, const char *settings);

/* Runs a parameterised statement (text parameters, text results). Returns the result
 * when its status is COMMAND_OK or TUPLES_OK, else logs, clears and returns NULL.
 * The caller PQclear()s a non-NULL result. */
PGresult *yx_db_query(PGconn *db, const char *sql, int nparams, const char *const *params);
/* Same, as a prepared statement (named after a hash of its text, prepared on first use on
 * each connection, again after a reconnect): for statements run all the time whose
 * planning costs as much as running them. */
PGresult *yx_db_query_prepared(PGconn *db, const char *sql, int nparams, const char *const *params);
/* Same (prepared too), with the result in binary: for wide reads of many rows, whose times
 * and numbers cost more to print and parse as text than to fetch. Text columns read as
 * usual; the others with these (no NULL check: see PQgetisnull). */
PGresult *yx_db_query_binary(PGconn *db, const char *sql, int nparams, const char *const *params);
int64_t yx_db_int8(const PGresult *res, int row, int col);
double yx_db_float8(const PGresult *res, int row, int col);
int64_t yx_db_unix_us(const PGresult *res, int row, int col); /* a timestamptz, µs since 1970 */
/* Sends a prepared statement (prepared first, once per connection) without waiting. 0 or
 * -1. */
int yx_db_send_prepared(PGconn *db, const char *sql, int nparams, const char *const *params);
/* Reads what arrived of the results of what was sent: 1 while more is to come (wait for the
 * socket), 0 when all came (*last: the last result, or the COPY IN one that starts a copy;
 * clear it), -1 when one failed (logged; the rest read and dropped). */
int yx_db_collect(PGconn *db, PGresult **last);
/* Same, for statements whose result is not needed: 0 or -1. */
int yx_db_exec(PGconn *db, const char *sql, int nparams, const char *const *params);
/* SQLSTATE of the last failed statement on this connection ("" when none). */
const char *yx_db_last_sqlstate(void);
/* The message of the last failed statement, first line only. */
const char *yx_db_last_error(void);

/* Prepares a statement for yx_db_send_prepared ahead of time: a pipeline cannot prepare
 * on the way (it may not wait). 0 or -1. */
int yx_db_prepare(PGconn *db, const char *sql, int nparams);

/* The answers of a pipeline (libpq's pipeline mode) up to its sync: each query's result in
 * the order sent, and whether one failed. */
typedef struct {
    PGresult *res[8];
    int count;
    bool failed;
} yx_db_sync_t;
/* Reads what arrived of them: 1 while more is to come (wait for the socket), 0 when the
 * sync came and every query succeeded, -1 when one failed (logged; the rest were skipped
 * by the server). yx_db_sync_clear() them after. */
int yx_db_collect_sync(PGconn *db, yx_db_sync_t *got);
void yx_db_sync_clear(yx_db_sync_t *got);
/* Leaves pipeline mode whatever was sent or read so far (an abandoned pipeline): syncs,
 * reads and drops the rest. false when the connection broke on the way. */
bool yx_db_pipeline_drain(PGconn *db);

int yx_db_begin(PGconn *db);
int yx_db_commit(PGconn *db);
void yx_db_rollback(PGconn *db);

/* Reconnects when the connection broke (after a server restart). true when usable. */
bool yx_db_ensure(PGconn *db);

/* ANALYZEs the tables of `schema` that changed more since their last analysis than they
 * then held (and by at least 1,000 rows): a table that grew from nothing to thousands of
 * rows within the minute autovacuum may take to notice is planned as if nearly empty.
 * Cheap when nothing grew (one catalogue query). Returns how many, or -1. */
int yx_db_analyze_grown(PGconn *db, const char *schema);

/* One migration: its number and SQL. */
typedef struct {
    int version;
    const char *name;
    const char *sql;
} yx_migration_t;

/* Applies, in one transaction under an advisory lock, the migrations of `schema` that
 * <schema>.schema_version does not list yet. Returns 0 or -1. */
int yx_db_migrate(PGconn *db, const char *schema, const yx_migration_t *migrations, int count);

#endif
