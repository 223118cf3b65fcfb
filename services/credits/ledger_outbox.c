/* Events: ledger_event() for any part of the service, and the sweep. Milestones depend on
 * capped points, which exist only when reading; computing them on the ingest path would
 * cost the xAPI store a transcript per teacher per batch. So the sweep, every few seconds,
 * takes the entries recorded since its watermark (entry ids grow in commit order, see
 * ledger_lock), evaluates their teachers with the aggregate query progress reports use,
 * keeps the numbers as standings, and announces each milestone once (credits.milestones).
 * Points taken back later do not take a milestone back. */
#include "outbox.h"
#include "program.h"
#include "yx_db.h"
#include "yx_log.h"
#include "yx_pgarray.h"
#include "yx_strmap.h"

#include <pthread.h>
#include <time.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s_tenant(credits_t *credits, const char *teacher_id)
{
    const dir_teacher_t *t =
        credits->directory ? directory_teacher(credits->directory, teacher_id) : NULL;
    return t && t->school_id && *t->school_id ? t->school_id : credits->county_id;
}

int ledger_event(credits_t *credits, const char *topic, const char *teacher_id,
                 const char *program_id, const char *payload_json)
{
    json_t *payload = json_loads(payload_json ? payload_json : "{}", 0, NULL);
    bool ok = json_is_object(payload);
    json_decref(payload);
    if (!ok || !topic || !*topic || !teacher_id || !program_id) {
        yx_error(NULL, "ledger_event: a topic, a teacher, a program and a JSON object are needed");
        return -1;
    }
    const char *const params[] = {topic, s_tenant(credits, teacher_id), teacher_id, program_id,
                                  payload_json ? payload_json : "{}"};
    return yx_db_exec(
        credits->db,
        "WITH c AS (UPDATE credits.outbox_counter SET last = last + 1 RETURNING last)"
        " INSERT INTO credits.outbox (seq, topic, tenant, subject_id, payload)"
        " SELECT c.last, $1, $2, $3, $5::jsonb || jsonb_build_object('program_id', $4::text,"
        "        'teacher_id', $3::text) FROM c",
        5, params);
}

/* The programs and teachers with entries after the watermark, up to $3 ids past it (entry
 * ids follow commit order, see ledger_lock), and where that window ends. */
static const char s_new_entries_sql[] =
    "WITH w AS (SELECT least((SELECT max(id) FROM credits.ledger WHERE county_id = $1),"
    "                        $2::int8 + $3::int8) AS hi)"
    " SELECT DISTINCT e.program_id, e.teacher_id, w.hi, w.hi < (SELECT max(id)"
    "        FROM credits.ledger WHERE county_id = $1)"
    "   FROM credits.ledger e, w WHERE e.county_id = $1 AND e.id > $2::int8 AND e.id <= w.hi"
    "  ORDER BY 1, 2";

/* Standings computed under rules that have changed since. */
static const char s_stale_sql[] =
    "SELECT s.program_id, s.teacher_id FROM credits.standings s JOIN credits.programs p"
    "    ON p.county_id = s.county_id AND p.id = s.program_id"
    " WHERE s.county_id = $1 AND s.rules_hash <> p.rules_hash ORDER BY 1, 2 LIMIT $2::int";

static const char s_standings_sql[] =
    "INSERT INTO credits.standings (county_id, program_id, teacher_id, rules_hash, total_points,"
    "       passed, minutes, points, computed_at)"
    " SELECT $1, $2, u.t, $3, u.total, u.passed, u.minutes, u.points::float8[], now()"
    "   FROM unnest($4::text[], $5::float8[], $6::bool[], $7::float8[], $8::text[])"
    "     AS u(t, total, passed, minutes, points)"
    " ON CONFLICT (county_id, program_id, teacher_id) DO UPDATE SET"
    "   rules_hash = EXCLUDED.rules_hash, total_points = EXCLUDED.total_points,"
    "   passed = EXCLUDED.passed, minutes = EXCLUDED.minutes, points = EXCLUDED.points,"
    "   computed_at = EXCLUDED.computed_at";

/* New milestones of one program, each announced in the same statement that records it. */
static const char s_announce_sql[] =
    "WITH u AS (SELECT * FROM unnest($3::text[], $4::text[], $5::numeric[], $6::text[])"
    "             AS u(teacher_id, milestone, points, tenant)),"
    " m AS (INSERT INTO credits.milestones (county_id, program_id, teacher_id, milestone,"
    "              total_points)"
    "       SELECT $1, $2, teacher_id, milestone, points FROM u"
    "       ON CONFLICT DO NOTHING RETURNING teacher_id, milestone, total_points),"
    " n AS (SELECT m.teacher_id, m.milestone, m.total_points, u.tenant,"
    "              row_number() OVER (ORDER BY m.teacher_id, m.milestone) AS k,"
    "              count(*) OVER () AS total"
    "         FROM m JOIN u USING (teacher_id, milestone)),"
    " c AS (UPDATE credits.outbox_counter SET last = last + (SELECT count(*) FROM n)"
    "        WHERE EXISTS (SELECT 1 FROM n) RETURNING last)"
    " INSERT INTO credits.outbox (seq, topic, tenant, subject_id, payload)"
    " SELECT c.last - n.total + n.k, 'credits.milestone', n.tenant, n.teacher_id,"
    "        jsonb_build_object('program_id', $2::text, 'teacher_id', n.teacher_id,"
    "                           'milestone', n.milestone, 'total_points', n.total_points)"
    "   FROM c, n";

#define CHUNK 500 /* teachers an aggregate query evaluates */

typedef struct {
    credits_t *credits;
    const rules_program_t *p;
    yx_arena_t *arena;
    yx_strmap_t *seen; /* keys in arena: the aggregate's rows are gone after it */
    yx_pgarray_t teacher, total, passed, minutes, points;    /* standings */
    yx_pgarray_t m_teacher, m_milestone, m_points, m_tenant; /* milestones */
    rules_result_t scratch;
} sweep_t;

static void s_milestone(sweep_t *sw, const char *teacher_id, const char *milestone, double pts)
{
    char text[32];
    snprintf(text, sizeof text, "%.4f", pts);
    yx_pgarray_add(&sw->m_teacher, teacher_id);
    yx_pgarray_add(&sw->m_milestone, milestone);
    yx_pgarray_add(&sw->m_points, text);
    yx_pgarray_add(&sw->m_tenant, s_tenant(sw->credits, teacher_id));
}

static void s_standing(sweep_t *sw, const char *teacher_id, const rules_result_t *r)
{
    const rules_program_t *p = sw->p;
    char num[40], list[40 * RULES_MAX_CATEGORIES + 4];
    size_t len = 0;
    list[len++] = '{';
    for (int c = 0; c < p->ncategories; c++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%.17g", c ? "," : "",
                                r->categories[c].points);
    snprintf(list + len, sizeof list - len, "}");
    yx_pgarray_add(&sw->teacher, teacher_id);
    snprintf(num, sizeof num, "%.17g", r->total_points);
    yx_pgarray_add(&sw->total, num);
    yx_pgarray_add(&sw->passed, r->passed ? "t" : "f");
    snprintf(num, sizeof num, "%.17g", r->minutes);
    yx_pgarray_add(&sw->minutes, num);
    yx_pgarray_add(&sw->points, list);
    /* milestones are for those enrolled now (the sweeper's thread reads the directory under
     * its lock) */
    directory_read_lock(sw->credits->directory);
    const dir_teacher_t *t = directory_teacher(sw->credits->directory, teacher_id);
    if (t && program_enrolled(p, t)) {
        if (p->pass_threshold > 0 && r->total_points + 1e-9 >= p->pass_threshold / 2)
            s_milestone(sw, teacher_id, "half", r->total_points);
        if (r->passed) s_milestone(sw, teacher_id, "passed", r->total_points);
    }
    directory_read_unlock(sw->credits->directory);
}

static void s_each(void *arg, const char *teacher_id, const rules_entry_t *entries, size_t n)
{
    sweep_t *sw = arg;
    rules_total(sw->p, entries, n, &sw->scratch);
    yx_strmap_put(sw->seen, yx_arena_strdup(sw->arena, teacher_id), (void *)1);
    s_standing(sw, teacher_id, &sw->scratch);
}

static void s_sweep_free(sweep_t *sw)
{
    yx_pgarray_t *arrays[] = {&sw->teacher,     &sw->total,    &sw->passed,
                              &sw->minutes,     &sw->points,   &sw->m_teacher,
                              &sw->m_milestone, &sw->m_points, &sw->m_tenant};
    for (size_t i = 0; i < sizeof arrays / sizeof *arrays; i++)
        yx_pgarray_free(arrays[i]);
    yx_strmap_destroy(&sw->seen);
    free(sw);
}

/* One program's teachers: evaluate, keep the standings, record and announce milestones. */
static int s_program(credits_t *credits, yx_arena_t *arena, const char *program_id,
                     yx_pgarray_t *teachers, char **ids, size_t n)
{
    rules_program_t *p = NULL;
    int found = program_load(credits, program_id, &p);
    if (found <= 0) return found; /* a program that is gone has nothing to keep */
    sweep_t *sw = calloc(1, sizeof *sw);
    if (!sw) {
        rules_program_destroy(&p);
        return -1;
    }
    sw->credits = credits;
    sw->arena = arena;
    sw->p = p;
    sw->seen = yx_strmap_new(n + 16);
    int rc = program_aggregate(credits, p, yx_pgarray_text(teachers), s_each, sw);
    /* every entry of these teachers reversed: their standing is nothing */
    rules_total(p, NULL, 0, &sw->scratch);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (!yx_strmap_get(sw->seen, ids[i])) s_standing(sw, ids[i], &sw->scratch);
    char hash[17];
    program_rules_hash(p, hash);
    const char *const st[] = {credits->county_id,
                              p->id,
                              hash,
                              yx_pgarray_text(&sw->teacher),
                              yx_pgarray_text(&sw->total),
                              yx_pgarray_text(&sw->passed),
                              yx_pgarray_text(&sw->minutes),
                              yx_pgarray_text(&sw->points)};
    if (rc == 0 && sw->teacher.count) rc = yx_db_exec(credits->db, s_standings_sql, 8, st);
    if (rc == 0 && sw->m_teacher.count) {
        const char *const params[] = {credits->county_id,
                                      p->id,
                                      yx_pgarray_text(&sw->m_teacher),
                                      yx_pgarray_text(&sw->m_milestone),
                                      yx_pgarray_text(&sw->m_points),
                                      yx_pgarray_text(&sw->m_tenant)};
        rc = yx_db_exec(credits->db, s_announce_sql, 6, params);
    }
    s_sweep_free(sw);
    rules_program_destroy(&p);
    return rc;
}

/* One program's teachers res rows [from, to), in chunks. */
static int s_program_rows(credits_t *credits, yx_arena_t *arena, PGresult *res, int from, int to)
{
    int rc = 0;
    for (int first = from; rc == 0 && first < to; first += CHUNK) {
        int last = first + CHUNK < to ? first + CHUNK : to;
        yx_pgarray_t teachers;
        yx_pgarray_init(&teachers);
        char **ids = yx_arena_alloc(arena, sizeof *ids * (size_t)(last - first));
        for (int r = first; ids && r < last; r++) {
            rc |= yx_pgarray_add(&teachers, PQgetvalue(res, r, 1));
            ids[r - first] = PQgetvalue(res, r, 1);
        }
        if (!ids) rc = -1;
        if (rc == 0)
            rc = s_program(credits, arena, PQgetvalue(res, first, 0), &teachers, ids,
                           (size_t)(last - first));
        yx_pgarray_free(&teachers);
    }
    return rc;
}

/* Every (program, teacher) of the rows, grouped by program. */
static int s_pairs(credits_t *credits, yx_arena_t *arena, PGresult *res)
{
    int rc = 0, rows = PQntuples(res);
    for (int r = 0, first = 0; rc == 0 && r < rows; r++) {
        if (r + 1 < rows && strcmp(PQgetvalue(res, r, 0), PQgetvalue(res, r + 1, 0)) == 0) continue;
        rc = s_program_rows(credits, arena, res, first, r + 1);
        first = r + 1;
    }
    return rc;
}

/* One sweep: the pairs with new entries in the window, then standings made under rules
 * that changed since. *more: entries beyond the window are waiting. */
static int s_sweep(credits_t *credits, yx_arena_t *arena, long window, size_t *done, bool *more)
{
    PGconn *db = credits->db;
    const char *const county[] = {credits->county_id};
    if (yx_db_exec(db,
                   "INSERT INTO credits.sweep_state (county_id) VALUES ($1)"
                   " ON CONFLICT DO NOTHING",
                   1, county) < 0)
        return -1;
    /* one sweeper at a time, across instances of the service */
    PGresult *res = yx_db_query(db,
                                "SELECT last_id FROM credits.sweep_state WHERE county_id = $1"
                                " FOR UPDATE",
                                1, county);
    if (!res || PQntuples(res) != 1) {
        PQclear(res);
        return -1;
    }
    char *last = yx_arena_strdup(arena, PQgetvalue(res, 0, 0));
    PQclear(res);
    char scan[16], room[16];
    snprintf(scan, sizeof scan, "%ld", window);
    const char *const q[] = {credits->county_id, last, scan};
    if (!(res = yx_db_query(db, s_new_entries_sql, 3, q))) return -1;
    int rc = s_pairs(credits, arena, res);
    *done = (size_t)PQntuples(res);
    const char *upto = *done ? yx_arena_strdup(arena, PQgetvalue(res, 0, 2)) : last;
    *more = *done && PQgetvalue(res, 0, 3)[0] == 't';
    PQclear(res);
    snprintf(room, sizeof room, "%d", CHUNK);
    const char *const stale[] = {credits->county_id, room};
    res = rc == 0 ? yx_db_query(db, s_stale_sql, 2, stale) : NULL;
    if (res && PQntuples(res)) {
        rc = s_pairs(credits, arena, res);
        *done += (size_t)PQntuples(res);
        *more = true;
    }
    PQclear(res);
    const char *const advance[] = {credits->county_id, upto};
    if (rc == 0 && strcmp(upto, last) != 0)
        rc = yx_db_exec(db, "UPDATE credits.sweep_state SET last_id = $2 WHERE county_id = $1", 2,
                        advance);
    return rc;
}

int ledger_sweep(credits_t *credits, long window)
{
    if (!credits->directory) return 0;
    directory_read_lock(credits->directory);
    bool ready = directory_ready(credits->directory);
    directory_read_unlock(credits->directory);
    if (!ready) return 0;
    yx_arena_t *arena = yx_arena_new();
    size_t done = 0;
    bool more = false;
    int rc =
        arena && yx_db_begin(credits->db) == 0 ? s_sweep(credits, arena, window, &done, &more) : -1;
    if (rc == 0)
        rc = yx_db_commit(credits->db);
    else if (PQtransactionStatus(credits->db) != PQTRANS_IDLE)
        yx_db_rollback(credits->db);
    yx_arena_destroy(&arena);
    if (rc < 0) yx_warn(NULL, "the sweep failed; it starts again from its watermark");
    if (rc == 0 && done) yx_debug(NULL, "sweep: %zu standings renewed", done);
    return rc < 0 ? -1 : more;
}

/* ---- the sweeper's thread ------------------------------------------------------------
 * A step can take tens of milliseconds (a catch-up after heavy ingest takes many), which no
 * request should wait for: the sweep runs on a thread and a connection of its own. It shares
 * only the directory (read under its lock) and the ingest count with the event loop. */

#define SWEEP_EVERY_MS 2000
#define SWEEP_AGAIN_MS 100 /* more is waiting */
/* While statements stream in, PostgreSQL is theirs: the sweep waits, and only when they
 * have streamed for this long does it take a small step (a teacher costs a few ms). */
#define SWEEP_BUSY_EVERY_MS 60000
#define WINDOW 100000 /* entries a sweep covers, at most */
#define BUSY_WINDOW 2000

static struct {
    pthread_t thread;
    pthread_mutex_t mutex;
    pthread_cond_t wake;
    bool started, stop;
    credits_t own; /* the service's context with the sweeper's connection */
    const int64_t *ingest_at_s;
} s_sweeper = {.mutex = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

/* Waits ms, or until told to stop: false then. */
static bool s_wait(int ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&s_sweeper.mutex);
    while (!s_sweeper.stop &&
           pthread_cond_timedwait(&s_sweeper.wake, &s_sweeper.mutex, &until) == 0)
        ;
    bool go_on = !s_sweeper.stop;
    pthread_mutex_unlock(&s_sweeper.mutex);
    return go_on;
}

static void *s_sweeper_main(void *arg)
{
    credits_t *credits = arg;
    int ms = SWEEP_EVERY_MS, waited = 0;
    while (s_wait(ms)) {
        /* the ledger and the statements grow fast at first: their plans need fresh statistics
         * while they grow (a flood into a new store slowed to a tenth without), so this is
         * checked on every tick, busy or not (one catalogue query; ANALYZE when doubled) */
        if (yx_db_analyze_grown(credits->db, "credits") > 0)
            yx_debug(NULL, "statistics of grown tables renewed");
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        bool busy = now.tv_sec - __atomic_load_n(s_sweeper.ingest_at_s, __ATOMIC_RELAXED) <= 2;
        waited = busy ? waited + ms : 0;
        if (busy && waited < SWEEP_BUSY_EVERY_MS) {
            ms = SWEEP_EVERY_MS;
            continue;
        }
        waited = 0;
        int more = ledger_sweep(credits, busy ? BUSY_WINDOW : WINDOW);
        ms = more == 1 && !busy ? SWEEP_AGAIN_MS : SWEEP_EVERY_MS;
    }
    return NULL;
}

int ledger_sweep_start(credits_t *credits, const char *db_url)
{
    if (s_sweeper.started || !credits->directory) return -1;
    s_sweeper.own = *credits;
    s_sweeper.own.base = NULL; /* not the sweeper's to touch */
    /* background work stays on one core: parallel workers took both from the requests */
    s_sweeper.own.db = yx_db_connect_with(db_url, "-c max_parallel_workers_per_gather=0");
    s_sweeper.ingest_at_s = &credits->ingest_at_s;
    s_sweeper.stop = false;
    if (!s_sweeper.own.db) return -1;
    if (pthread_create(&s_sweeper.thread, NULL, s_sweeper_main, &s_sweeper.own) != 0) {
        PQfinish(s_sweeper.own.db);
        return -1;
    }
    s_sweeper.started = true;
    return 0;
}

void ledger_sweep_stop(void)
{
    if (!s_sweeper.started) return;
    pthread_mutex_lock(&s_sweeper.mutex);
    s_sweeper.stop = true;
    pthread_cond_signal(&s_sweeper.wake);
    pthread_mutex_unlock(&s_sweeper.mutex);
    pthread_join(s_sweeper.thread, NULL);
    PQfinish(s_sweeper.own.db);
    s_sweeper.started = false;
}
