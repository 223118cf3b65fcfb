/* Statements become ledger entries: one set-based statement joins a set of stored statements
 * with the programs' windows, scopes and rules and inserts the raw facts; voiding statements
 * reverse what their targets credited. Two ways in: what was stored since the last time, by
 * seq range after the cursor (credits.credit_cursor; crediter.c runs it right after every
 * store, on a connection of its own), and statements named by id (a rematch). Teachers'
 * schools and districts come from the directory, and only when some program is scoped.
 * Idempotent: a statement is credited once per program and category (unique index,
 * ON CONFLICT DO NOTHING), so the two ways may meet. */
#include "ledger.h"
#include "program.h"
#include "yx_db.h"
#include "yx_log.h"
#include "yx_pgarray.h"

#include <stdlib.h>
#include <string.h>

/* The statements to credit (b), the teachers with their place in the roster (t), and the
 * matching (m): a statement counts for a program when its timestamp lies in the window,
 * its teacher in the scope, and a rule of the program takes its verb, activity type,
 * duration (for minutes) and score; the first matching item of a category wins. Entries
 * are made in the order the statements were stored, which breaks ties when reading (of two
 * sessions over the same interval, the earlier stored adds the minutes), however many
 * batches a round credits. Voided statements count nowhere (xapi_store.c marks a target
 * voided, even one arriving in the same batch as its voiding statement, before it calls
 * us). The batch is read on its own
 * (b, materialized: with the filters of bt pushed into it, statistics that lag behind a
 * fast-growing table made the planner scan every statement with a teacher instead of
 * looking up the batch's ids), then meets its teachers (bt, kept apart so that misjudged
 * row counts later cannot turn it into a nested loop of batch times teachers). Both carry
 * the score a rule may ask for, not the whole statement, ten times the rest of a row. */
#define MATCH_SQL(FIRST, BATCH, PROGRAM)                                                           \
    "WITH " FIRST "b AS MATERIALIZED ("                                                            \
    "       SELECT s.county_id, s.id, s.seq, s.teacher_id, s.verb_id, s.activity_id,"              \
    "              s.activity_type,"                                                               \
    "              s.occurred_at, s.duration_ms, s.voided, s.voids,"                               \
    "              CASE WHEN jsonb_typeof(s.statement #> '{result,score,raw}') = 'number'"         \
    "                   THEN (s.statement #>> '{result,score,raw}')::numeric END AS score"         \
    "             FROM credits.statements s WHERE s.county_id = $1 AND " BATCH "),"                \
    " t AS (SELECT * FROM unnest($3::text[], $4::text[], $5::text[])"                              \
    "         AS t(teacher_id, school_id, district_id)),"                                          \
    " bt AS MATERIALIZED (SELECT b.*, t.school_id, t.district_id"                                  \
    "         FROM b LEFT JOIN t ON t.teacher_id = b.teacher_id"                                   \
    "        WHERE b.teacher_id IS NOT NULL AND NOT b.voided AND b.voids IS NULL),"                \
    " m AS (SELECT DISTINCT ON (b.seq, p.id, r.category)"                                          \
    "              b.seq, p.id AS program_id, b.teacher_id, r.category, r.item, r.measure,"        \
    "              b.id AS statement_id, b.activity_id, b.occurred_at, b.duration_ms"              \
    "         FROM bt b"                                                                           \
    "         JOIN credits.programs p ON p.county_id = b.county_id"                                \
    "          AND b.occurred_at >= p.start_at AND b.occurred_at < p.end_at AND " PROGRAM          \
    "         JOIN credits.program_rules r ON r.county_id = p.county_id"                           \
    "          AND r.program_id = p.id AND r.verb_id = b.verb_id"                                  \
    "          AND (r.activity_type IS NULL OR r.activity_type = b.activity_type)"                 \
    "          AND (r.measure <> 'minutes' OR b.duration_ms > 0)"                                  \
    "          AND (r.score_min IS NULL OR b.score >= r.score_min)"                                \
    "        WHERE EXISTS (SELECT 1 FROM credits.program_scope sc"                                 \
    "                       WHERE sc.county_id = p.county_id AND sc.program_id = p.id"             \
    "                         AND (sc.kind = 'county'"                                             \
    "                              OR (sc.kind = 'district' AND sc.ref = b.district_id)"           \
    "                              OR (sc.kind = 'school' AND sc.ref = b.school_id)))"             \
    "        ORDER BY b.seq, p.id, r.category, r.ord),"                                            \
    " ins AS (INSERT INTO credits.ledger (county_id, program_id, teacher_id, category, item,"      \
    "                 measure, amount, started_at, occurred_at, source, statement_id,"             \
    "                 activity_id)"                                                                \
    "         SELECT $1, program_id, teacher_id, category, item, measure,"                         \
    "                CASE WHEN measure = 'minutes' THEN round(duration_ms / 60000.0, 4)"           \
    "                     ELSE 1 END,"                                                             \
    "                CASE WHEN measure = 'minutes'"                                                \
    "                     THEN occurred_at - duration_ms * interval '1 millisecond' END,"          \
    "                occurred_at, 'statement', statement_id, activity_id FROM m ORDER BY seq"      \
    "         ON CONFLICT (county_id, statement_id, program_id, category)"                         \
    "            WHERE statement_id IS NOT NULL DO NOTHING RETURNING 1)"

/* A voiding statement that did void its target (xapi_store.c decides: same platform, and
 * marks the target voided) cancels every entry the target earned, with itself as the
 * evidence. The entries are looked up per voiding statement, by index; OFFSET 0 keeps the
 * planner from flattening that lookup into a join that, with the statistics of a
 * fast-growing ledger, it would start from a scan of the whole ledger. */
#define REVERSE_SQL(VOIDING)                                                                       \
    " rev AS (INSERT INTO credits.ledger (county_id, program_id, teacher_id, category, item,"      \
    "                 measure, amount, occurred_at, source, statement_id, activity_id, reverses)"  \
    "         SELECT e.county_id, e.program_id, e.teacher_id, e.category, e.item, e.measure,"      \
    "                -e.amount, e.occurred_at, 'void', v.id, e.activity_id, e.id"                  \
    "           FROM " VOIDING " v JOIN credits.statements tg"                                     \
    "                 ON tg.county_id = v.county_id AND tg.id = v.voids AND tg.voided"             \
    "           CROSS JOIN LATERAL (SELECT * FROM credits.ledger e"                                \
    "                 WHERE e.county_id = v.county_id AND e.statement_id = v.voids"                \
    "                   AND e.source = 'statement' OFFSET 0) e"                                    \
    "          WHERE v.voids IS NOT NULL ON CONFLICT DO NOTHING RETURNING 1)"

/* The county's statements stored after its cursor, at most $2 of them, and the cursor moved
 * past them. Voided statements are skipped and their targets reversed in the same statement:
 * a target credited earlier was not voided yet then; one voided by now is skipped here. */
const char ledger_pending_sql[] = MATCH_SQL(
    "c AS (SELECT coalesce((SELECT through FROM credits.credit_cursor"
    "                        WHERE county_id = $1), 0) AS lo),"
    " r AS (SELECT c.lo, k.last, coalesce((SELECT s.seq FROM credits.statements s"
    "           WHERE s.county_id = $1 AND s.seq > c.lo AND s.seq <= k.last"
    "           ORDER BY s.seq OFFSET $2::int8 - 1 LIMIT 1), k.last) AS hi"
    "         FROM c, credits.statement_counter k),",
    "s.seq > (SELECT lo FROM r) AND s.seq <= (SELECT hi FROM r)",
    "true") "," REVERSE_SQL("b") ","
                                 " cur AS (INSERT INTO credits.credit_cursor (county_id, through) "
                                 "SELECT $1, hi FROM r"
                                 "         ON CONFLICT (county_id) DO UPDATE SET through = "
                                 "EXCLUDED.through"
                                 "         RETURNING through)"
                                 " SELECT (SELECT through FROM cur), (SELECT last FROM r),"
                                 "        (SELECT count(*) FROM ins), (SELECT count(*) FROM rev)";

/* Whether any program is scoped to districts or schools (of any county: a false yes only
 * costs looking places up). */
const char ledger_scoped_sql[] =
    "SELECT EXISTS (SELECT 1 FROM credits.program_scope WHERE kind <> 'county')";
const char ledger_lock_sql[] = "SELECT pg_advisory_xact_lock(hashtext('credits.ledger'))";

static const char s_credit_sql[] =
    MATCH_SQL("", "s.id = ANY($2::uuid[])", "true") " SELECT count(*) FROM ins";

static const char s_backfill_sql[] =
    MATCH_SQL("",
              "s.teacher_id IS NOT NULL AND s.occurred_at >= $6::timestamptz"
              " AND s.occurred_at < $7::timestamptz",
              "p.id = $2") " SELECT (SELECT count(*) FROM ins)";

/* What crediting by id needs, in one round trip, taking the ledger's lock on the way:
 * whether any program has rules at all (none: nothing to do), and whether any is scoped to
 * districts or schools (only then are the statements' teachers looked up for their places). */
static const char s_plan_sql[] =
    "SELECT pg_advisory_xact_lock(hashtext('credits.ledger')),"
    "       EXISTS (SELECT 1 FROM credits.program_rules WHERE county_id = $1),"
    "       EXISTS (SELECT 1 FROM credits.program_scope WHERE county_id = $1 AND kind <> 'county')";

/* The teachers of the batch. */
static const char s_teachers_sql[] =
    "SELECT DISTINCT teacher_id FROM credits.statements"
    " WHERE county_id = $1 AND id = ANY($2::uuid[]) AND teacher_id IS NOT NULL";

typedef ledger_places_t places_t;

static void s_places_init(places_t *pl)
{
    yx_pgarray_init(&pl->teacher);
    yx_pgarray_init(&pl->school);
    yx_pgarray_init(&pl->district);
}

void ledger_places_free(places_t *pl)
{
    yx_pgarray_free(&pl->teacher);
    yx_pgarray_free(&pl->school);
    yx_pgarray_free(&pl->district);
}

/* A teacher the directory does not know (yet) is still credited by county-wide programs. */
static int s_place(places_t *pl, const dir_teacher_t *t, const char *teacher_id)
{
    return yx_pgarray_add(&pl->teacher, teacher_id) |
           yx_pgarray_add(&pl->school, t && t->school_id ? t->school_id : "") |
           yx_pgarray_add(&pl->district, t && t->district_id ? t->district_id : "");
}

static int s_id_array(yx_pgarray_t *array, const char *const *ids, size_t n)
{
    yx_pgarray_init(array);
    int rc = 0;
    for (size_t i = 0; i < n; i++)
        rc |= yx_pgarray_add(array, ids[i]);
    return rc;
}

int ledger_credit_statements(credits_t *credits, const char *const *statement_ids, size_t n)
{
    if (!n) return 0;
    const char *params[5] = {credits->county_id};
    PGresult *res = yx_db_query_prepared(credits->db, s_plan_sql, 1, params);
    if (!res) return -1;
    bool rules = PQgetvalue(res, 0, 1)[0] == 't', scoped = PQgetvalue(res, 0, 2)[0] == 't';
    PQclear(res);
    if (!rules) return 0;
    yx_pgarray_t ids;
    int rc = s_id_array(&ids, statement_ids, n);
    params[1] = yx_pgarray_text(&ids);
    places_t pl;
    s_places_init(&pl);
    res = rc == 0 && scoped ? yx_db_query(credits->db, s_teachers_sql, 2, params) : NULL;
    if (scoped && !res) rc = -1;
    for (int r = 0; res && r < PQntuples(res); r++) {
        const char *id = PQgetvalue(res, r, 0);
        rc |=
            s_place(&pl, credits->directory ? directory_teacher(credits->directory, id) : NULL, id);
    }
    PQclear(res);
    if (rc == 0) {
        /* without scoped programs the places are not needed: every teacher is in scope */
        params[2] = yx_pgarray_text(&pl.teacher);
        params[3] = yx_pgarray_text(&pl.school);
        params[4] = yx_pgarray_text(&pl.district);
        res = yx_db_query_prepared(credits->db, s_credit_sql, 5, params);
        if (res)
            yx_debug(NULL, "ledger: %s entries from %zu statements", PQgetvalue(res, 0, 0), n);
        else
            rc = -1;
        PQclear(res);
    }
    ledger_places_free(&pl);
    yx_pgarray_free(&ids);
    return rc ? -1 : 0;
}

int ledger_backfill(credits_t *credits, const rules_program_t *p)
{
    places_t pl;
    s_places_init(&pl);
    int rc = 0;
    size_t count = credits->directory ? directory_count(credits->directory) : 0;
    for (size_t i = 0; i < count; i++) {
        const dir_teacher_t *t = directory_at(credits->directory, i);
        if (program_in_scope(p, t)) rc |= s_place(&pl, t, t->teacher_id);
    }
    char start[40], end[40];
    rules_format_time(rules_day_start(p->first_day), start);
    rules_format_time(rules_day_start(p->last_day + 1), end);
    const char *const params[] = {credits->county_id,
                                  p->id,
                                  yx_pgarray_text(&pl.teacher),
                                  yx_pgarray_text(&pl.school),
                                  yx_pgarray_text(&pl.district),
                                  start,
                                  end};
    if (rc == 0) rc = ledger_lock(credits);
    PGresult *res = rc == 0 ? yx_db_query(credits->db, s_backfill_sql, 7, params) : NULL;
    if (res)
        yx_info(NULL, "program %s: %s entries from stored statements", p->id,
                PQgetvalue(res, 0, 0));
    rc = res ? 0 : -1;
    PQclear(res);
    ledger_places_free(&pl);
    return rc;
}

int ledger_lock(credits_t *credits)
{
    return yx_db_exec(credits->db, ledger_lock_sql, 0, NULL);
}

int ledger_pending_places(credits_t *credits, bool scoped, ledger_places_t *pl)
{
    s_places_init(pl);
    /* without the roster's teachers no one would be in scope, and the cursor moves on */
    if (scoped && !(credits->directory && directory_ready(credits->directory))) return -1;
    size_t count = scoped && credits->directory ? directory_count(credits->directory) : 0;
    int rc = 0;
    for (size_t i = 0; i < count; i++) {
        const dir_teacher_t *t = directory_at(credits->directory, i);
        rc |= s_place(pl, t, t->teacher_id);
    }
    return rc ? -1 : 0;
}

long long ledger_credit_pending(credits_t *credits)
{
    PGconn *db = credits->db;
    long long through = -1, last = 0;
    do {
        PGresult *res = yx_db_query(db, ledger_scoped_sql, 0, NULL);
        int rc = res ? 0 : -1;
        bool scoped = res && PQgetvalue(res, 0, 0)[0] == 't';
        PQclear(res);
        places_t pl;
        rc |= ledger_pending_places(credits, scoped, &pl);
        const char *params[] = {credits->county_id, LEDGER_PENDING_MOST,
                                yx_pgarray_text(&pl.teacher), yx_pgarray_text(&pl.school),
                                yx_pgarray_text(&pl.district)};
        if (rc == 0) rc = yx_db_begin(db);
        if (rc == 0) rc = ledger_lock(credits);
        res = rc == 0 ? yx_db_query_prepared(db, ledger_pending_sql, 5, params) : NULL;
        ledger_places_free(&pl);
        if (res) {
            through = atoll(PQgetvalue(res, 0, 0));
            last = atoll(PQgetvalue(res, 0, 1));
        }
        PQclear(res);
        if (!res || yx_db_commit(db) < 0) {
            yx_db_rollback(db);
            yx_warn(NULL, "could not credit stored statements: %s", yx_db_last_error());
            return -1;
        }
    } while (through < last);
    return through;
}
