/* Statements whose actor no teacher matched when they arrived wait with teacher_id NULL;
 * when the roster learns teachers (a new email, a platform's user id), they are matched and
 * credited. One query reads the distinct unmatched actors, matching happens in memory
 * against the directory, and one UPDATE ... FROM unnest sets the teachers; the ledger
 * credits the statements in the same transaction, so a crash never leaves them matched but
 * uncredited. */
#include "ledger.h"
#include "ops.h"
#include "yx_db.h"
#include "yx_log.h"
#include "yx_pgarray.h"

#include <stdlib.h>
#include <string.h>

static const char s_unmatched_sql[] =
    "SELECT DISTINCT actor_key, platform, account_name FROM credits.statements"
    " WHERE county_id = $1 AND teacher_id IS NULL AND actor_key NOT LIKE 'group:%'";
static const char s_match_sql[] =
    "UPDATE credits.statements s SET teacher_id = u.teacher"
    " FROM unnest($2::text[], $3::text[], $4::text[], $5::text[])"
    "  AS u(actor_key, platform, account_name, teacher)"
    " WHERE s.county_id = $1 AND s.teacher_id IS NULL AND s.actor_key = u.actor_key"
    " AND s.platform = u.platform AND s.account_name IS NOT DISTINCT FROM u.account_name"
    " RETURNING s.id::text";

/* The teacher an unmatched actor names now, if any (the same rules as at ingestion). */
static const dir_teacher_t *s_match(const directory_t *dir, PGresult *res, int r, char *mbox,
                                    size_t size)
{
    const char *key = PQgetvalue(res, r, 0), *platform = PQgetvalue(res, r, 1);
    if (!PQgetisnull(res, r, 2)) return directory_by_account(dir, platform, PQgetvalue(res, r, 2));
    if (strncmp(key, "mbox:", 5) == 0) {
        snprintf(mbox, size, "mailto:%s", key + 5);
        return directory_by_mbox(dir, mbox);
    }
    if (strncmp(key, "sha1:", 5) == 0) return directory_by_mbox_sha1(dir, key + 5);
    return NULL;
}

void xapi_rematch(credits_t *credits)
{
    PGconn *db = credits->db;
    const directory_t *dir = credits->directory;
    if (!dir || !directory_ready(dir) || !yx_db_ensure(db) || yx_db_begin(db) < 0) return;
    const char *county[] = {credits->county_id};
    PGresult *unmatched = yx_db_query(db, s_unmatched_sql, 1, county), *matched = NULL;
    yx_pgarray_t cols[4];
    for (int c = 0; c < 4; c++)
        yx_pgarray_init(&cols[c]);
    const char **ids = NULL;
    int rc = unmatched ? 0 : -1;
    char mbox[1024];
    for (int r = 0; unmatched && r < PQntuples(unmatched); r++) {
        const dir_teacher_t *t = s_match(dir, unmatched, r, mbox, sizeof mbox);
        if (!t) continue;
        rc |= yx_pgarray_add(&cols[0], PQgetvalue(unmatched, r, 0));
        rc |= yx_pgarray_add(&cols[1], PQgetvalue(unmatched, r, 1));
        rc |= yx_pgarray_add(&cols[2],
                             PQgetisnull(unmatched, r, 2) ? NULL : PQgetvalue(unmatched, r, 2));
        rc |= yx_pgarray_add(&cols[3], t->teacher_id);
    }
    int count = 0;
    if (rc == 0 && cols[0].count) {
        const char *params[] = {credits->county_id, yx_pgarray_text(&cols[0]),
                                yx_pgarray_text(&cols[1]), yx_pgarray_text(&cols[2]),
                                yx_pgarray_text(&cols[3])};
        matched = yx_db_query(db, s_match_sql, 5, params);
        count = matched ? PQntuples(matched) : 0;
        ids = calloc((size_t)count + 1, sizeof *ids);
        rc = matched && ids ? 0 : -1;
        for (int r = 0; rc == 0 && r < count; r++)
            ids[r] = PQgetvalue(matched, r, 0);
        if (rc == 0 && count) rc = ledger_credit_statements(credits, ids, (size_t)count);
    }
    if (rc == 0 && yx_db_commit(db) == 0) {
        if (count) yx_info(NULL, "matched %d statements to teachers the roster now knows", count);
    } else {
        yx_db_rollback(db);
        yx_warn(NULL, "could not match statements to teachers: %s", yx_db_last_error());
    }
    free(ids);
    PQclear(matched);
    PQclear(unmatched);
    for (int c = 0; c < 4; c++)
        yx_pgarray_free(&cols[c]);
}
