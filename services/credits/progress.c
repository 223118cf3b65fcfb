/* GET /api/v1/programs/{pid}/progress?by=county|district|school: per group, how many are
 * enrolled, how many passed, the average points, and who is behind schedule. Enrolment is
 * the directory's (active teachers in scope, joiners included). The numbers are the
 * standings the sweep keeps (one row per teacher) for every entry up to its watermark; the
 * teachers with newer entries, or standings from other rules, are computed now with the
 * aggregate query over the ledger (rules applied in C). Both are read in one snapshot, so
 * the report is exact, not a few seconds old.
 *
 * Behind schedule: not passed, and fewer points than the pass threshold times the elapsed
 * share of the program's window (halfway through a 60-point program: below 30). */
#include "ops.h"
#include "program.h"
#include "yx_db.h"
#include "yx_pgarray.h"
#include "yx_strmap.h"

#include <stdlib.h>
#include <string.h>

static const char s_standings_sql[] =
    "SELECT teacher_id, total_points, passed, points::text, rules_hash = $3"
    "  FROM credits.standings WHERE county_id = $1 AND program_id = $2"
    "   AND ($4::text[] IS NULL OR teacher_id = ANY($4::text[]))";

/* Teachers with entries the sweep has not reached yet. */
static const char s_newer_sql[] =
    "SELECT DISTINCT teacher_id FROM credits.ledger"
    " WHERE county_id = $1 AND program_id = $2"
    "   AND id > coalesce((SELECT last_id FROM credits.sweep_state WHERE county_id = $1), 0)"
    "   AND ($3::text[] IS NULL OR teacher_id = ANY($3::text[]))";

typedef struct {
    const dir_teacher_t *t;
    double total;
    bool passed;
    double *points; /* per category */
} row_t;

typedef struct {
    const char *id;
    size_t enrolled, passed, behind;
    double sum;
    row_t **members;
    size_t nmembers;
} group_t;

typedef struct {
    const rules_program_t *p;
    row_t *rows;
    size_t nrows;
    yx_strmap_t *by_teacher; /* teacher id -> row + 1 */
    rules_result_t scratch;
    rules_result_t zero; /* a teacher without entries */
} report_t;

static void s_fill(const rules_program_t *p, row_t *row, const rules_result_t *r)
{
    row->total = r->total_points;
    row->passed = r->passed;
    for (int c = 0; c < p->ncategories; c++)
        row->points[c] = r->categories[c].points;
}

static void s_each(void *arg, const char *teacher_id, const rules_entry_t *entries, size_t n)
{
    report_t *rep = arg;
    size_t i = (size_t)(uintptr_t)yx_strmap_get(rep->by_teacher, teacher_id);
    if (!i) return; /* entries of someone no longer enrolled */
    rules_total(rep->p, entries, n, &rep->scratch);
    s_fill(rep->p, &rep->rows[i - 1], &rep->scratch);
}

static const char *s_group_of(request_t *req, const char *by, const dir_teacher_t *t)
{
    if (strcmp(by, "school") == 0) return t->school_id ? t->school_id : "";
    if (strcmp(by, "district") == 0) return t->district_id ? t->district_id : "";
    return req->credits->county_id;
}

static int s_by_points(const void *a, const void *b)
{
    const row_t *x = *(row_t *const *)a, *y = *(row_t *const *)b;
    if (x->total != y->total) return x->total < y->total ? -1 : 1;
    return strcmp(x->t->teacher_id, y->t->teacher_id);
}

static int s_by_id(const void *a, const void *b)
{
    return strcmp(((const group_t *)a)->id, ((const group_t *)b)->id);
}

static bool s_behind(const row_t *row, double expected)
{
    return !row->passed && row->total + 1e-9 < expected;
}

static void s_csv(request_t *req, const rules_program_t *p, const char *by, group_t *groups,
                  size_t ngroups, double expected, Yx__CreditsReply *reply)
{
    program_csv_t csv;
    program_csv_init(&csv);
    static const char *const head[] = {"分组", "工号", "姓名", "学校", "片区", "总分"};
    for (size_t i = 0; i < sizeof head / sizeof *head; i++)
        program_csv_cell(&csv, head[i]);
    for (int c = 0; c < p->ncategories; c++)
        program_csv_cell(&csv, p->categories[c].name);
    program_csv_cell(&csv, "合格");
    program_csv_cell(&csv, "进度落后");
    program_csv_end_row(&csv);
    for (size_t g = 0; g < ngroups; g++)
        for (size_t m = 0; m < groups[g].nmembers; m++) {
            const row_t *row = groups[g].members[m];
            program_csv_cell(&csv, groups[g].id);
            program_csv_cell(&csv, row->t->teacher_id);
            program_csv_cell(&csv, row->t->name);
            program_csv_cell(&csv, row->t->school_id);
            program_csv_cell(&csv, row->t->district_id);
            program_csv_num(&csv, row->total);
            for (int c = 0; c < p->ncategories; c++)
                program_csv_num(&csv, row->points[c]);
            program_csv_cell(&csv, row->passed ? "是" : "否");
            program_csv_cell(&csv, s_behind(row, expected) ? "是" : "否");
            program_csv_end_row(&csv);
        }
    char *name = yx_arena_printf(req->arena, "progress-%s-%s.csv", p->id, by);
    program_reply_csv(req, reply, &csv, name);
    program_csv_free(&csv);
}

static json_t *s_json(const rules_program_t *p, const char *by, group_t *groups, size_t ngroups,
                      double expected, int64_t now)
{
    json_t *list = json_array();
    size_t enrolled = 0, passed = 0;
    double sum = 0;
    for (size_t g = 0; g < ngroups; g++) {
        group_t *gr = &groups[g];
        json_t *behind = json_array();
        for (size_t m = 0; m < gr->nmembers; m++) {
            const row_t *row = gr->members[m];
            if (!s_behind(row, expected)) continue;
            json_array_append_new(behind, json_pack("{s:s, s:s?, s:s?, s:o}", "teacher_id",
                                                    row->t->teacher_id, "name", row->t->name,
                                                    "school_id", row->t->school_id, "total_points",
                                                    program_num(row->total)));
        }
        json_array_append_new(
            list,
            json_pack("{s:s, s:I, s:I, s:o, s:I, s:o}", "id", gr->id, "enrolled",
                      (json_int_t)gr->enrolled, "passed", (json_int_t)gr->passed, "average_points",
                      program_num(gr->enrolled ? gr->sum / (double)gr->enrolled : 0),
                      "behind_count", (json_int_t)gr->behind, "behind", behind));
        enrolled += gr->enrolled;
        passed += gr->passed;
        sum += gr->sum;
    }
    char as_of[40];
    rules_format_time(now, as_of);
    return json_pack("{s:o, s:s, s:s, s:o, s:I, s:I, s:o, s:o}", "program", program_summary(p),
                     "by", by, "as_of", as_of, "expected_points", program_num(expected), "enrolled",
                     (json_int_t)enrolled, "passed", (json_int_t)passed, "average_points",
                     program_num(enrolled ? sum / (double)enrolled : 0), "groups", list);
}

/* A standing's points ("{15,12,40,30,7}") into the row. */
static void s_points(const rules_program_t *p, row_t *row, const char *list)
{
    const char *c = list + (*list == '{');
    for (int k = 0; k < p->ncategories && *c && *c != '}'; k++) {
        char *end;
        row->points[k] = strtod(c, &end);
        c = *end == ',' ? end + 1 : end;
    }
}

/* The numbers of every enrolled teacher: standings where they are current, the aggregate
 * for the rest. One REPEATABLE READ snapshot: the sweep's writes land whole or not at all. */
static int s_numbers(credits_t *credits, const rules_program_t *p, report_t *rep,
                     const char *teacher_filter)
{
    char hash[17];
    program_rules_hash(p, hash);
    if (yx_db_exec(credits->db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL) < 0)
        return -1;
    const char *const a[] = {credits->county_id, p->id, hash, teacher_filter};
    PGresult *res = yx_db_query(credits->db, s_standings_sql, 4, a);
    yx_pgarray_t stale;
    yx_pgarray_init(&stale);
    for (int r = 0; res && r < PQntuples(res); r++) {
        size_t i = (size_t)(uintptr_t)yx_strmap_get(rep->by_teacher, PQgetvalue(res, r, 0));
        if (!i) continue;
        if (PQgetvalue(res, r, 4)[0] != 't') {
            yx_pgarray_add(&stale, PQgetvalue(res, r, 0));
            continue;
        }
        row_t *row = &rep->rows[i - 1];
        row->total = strtod(PQgetvalue(res, r, 1), NULL);
        row->passed = PQgetvalue(res, r, 2)[0] == 't';
        s_points(p, row, PQgetvalue(res, r, 3));
    }
    int rc = res ? 0 : -1;
    PQclear(res);
    const char *const b[] = {credits->county_id, p->id, teacher_filter};
    res = rc == 0 ? yx_db_query(credits->db, s_newer_sql, 3, b) : NULL;
    for (int r = 0; res && r < PQntuples(res); r++) {
        size_t i = (size_t)(uintptr_t)yx_strmap_get(rep->by_teacher, PQgetvalue(res, r, 0));
        if (!i) continue;
        /* computed afresh below; if every entry was reversed, nothing is what remains */
        s_fill(p, &rep->rows[i - 1], &rep->zero);
        yx_pgarray_add(&stale, PQgetvalue(res, r, 0));
    }
    if (!res) rc = -1;
    PQclear(res);
    if (rc == 0 && stale.count)
        rc = program_aggregate(credits, p, yx_pgarray_text(&stale), s_each, rep);
    yx_pgarray_free(&stale);
    if (rc == 0) return yx_db_commit(credits->db);
    yx_db_rollback(credits->db);
    return -1;
}

void program_progress(request_t *req, const Yx__GetProgress *op, Yx__CreditsReply *reply)
{
    credits_t *credits = req->credits;
    const Yx__Principal *pr = req->principal;
    const char *by = op->by && *op->by ? op->by : "county";
    bool school_admin = pr->role == YX__ROLE__ROLE_SCHOOL_ADMIN;
    if (school_admin && (!op->by || !*op->by)) by = "school";
    if (strcmp(by, "county") && strcmp(by, "district") && strcmp(by, "school")) {
        reply_error(req, reply, 400, "by must be county, district or school");
        return;
    }
    if (school_admin
            ? strcmp(by, "school") != 0
            : pr->role != YX__ROLE__ROLE_COUNTY_ADMIN && pr->role != YX__ROLE__ROLE_SYSTEM) {
        reply_error(req, reply, 403,
                    school_admin ? "a school admin reads its own school's progress (by=school)"
                                 : "progress is for the county and school admins");
        return;
    }
    if (!credits->directory || !directory_ready(credits->directory)) {
        reply_error(req, reply, 503, "the roster is not loaded yet");
        return;
    }
    rules_program_t *p = NULL;
    int found = program_load(credits, op->program_id, &p);
    if (found <= 0) {
        if (found == 0)
            reply_error(req, reply, 404, "no such program");
        else
            reply_error(req, reply, 503, "the database did not answer");
        return;
    }

    /* who is enrolled, now */
    size_t count = directory_count(credits->directory);
    report_t rep = {.p = p};
    rep.rows = calloc(count ? count : 1, sizeof *rep.rows);
    double *points = calloc((count ? count : 1) * (size_t)p->ncategories, sizeof *points);
    rep.by_teacher = yx_strmap_new(count + 16);
    yx_pgarray_t mine;
    yx_pgarray_init(&mine);
    group_t *groups = calloc(count ? count : 1, sizeof *groups);
    row_t **members = calloc(count ? count : 1, sizeof *members);
    yx_strmap_t *by_group = yx_strmap_new(1024);
    if (!rep.rows || !points || !rep.by_teacher || !groups || !members || !by_group) {
        reply_error(req, reply, 500, "out of memory");
        goto done;
    }
    rules_total(p, NULL, 0, &rep.zero);
    for (size_t i = 0; i < count; i++) {
        const dir_teacher_t *t = directory_at(credits->directory, i);
        if (!program_enrolled(p, t)) continue;
        if (school_admin && (!t->school_id || strcmp(t->school_id, pr->school_id) != 0)) continue;
        row_t *row = &rep.rows[rep.nrows];
        row->t = t;
        row->points = points + rep.nrows * (size_t)p->ncategories;
        s_fill(p, row, &rep.zero);
        if (yx_strmap_put(rep.by_teacher, t->teacher_id, (void *)(uintptr_t)(rep.nrows + 1)))
            continue; /* listed twice: counted once */
        if (school_admin) yx_pgarray_add(&mine, t->teacher_id);
        rep.nrows++;
    }

    /* a school's report reads only its teachers' rows */
    if (s_numbers(credits, p, &rep, school_admin ? yx_pgarray_text(&mine) : NULL) < 0) {
        reply_error(req, reply, 503, "the database did not answer");
        goto done;
    }
    int64_t now = program_now_us();
    double expected = rules_expected_points(p, now);
    size_t ngroups = 0;
    for (size_t i = 0; i < rep.nrows; i++) { /* group sizes first, then members */
        const char *key = s_group_of(req, by, rep.rows[i].t);
        size_t g = (size_t)(uintptr_t)yx_strmap_get(by_group, key);
        if (!g) {
            g = ++ngroups;
            groups[g - 1].id = key;
            yx_strmap_put(by_group, key, (void *)(uintptr_t)g);
        }
        groups[g - 1].nmembers++;
    }
    size_t offset = 0;
    for (size_t g = 0; g < ngroups; g++) {
        groups[g].members = members + offset;
        offset += groups[g].nmembers;
        groups[g].nmembers = 0;
    }
    for (size_t i = 0; i < rep.nrows; i++) {
        row_t *row = &rep.rows[i];
        group_t *gr =
            &groups[(size_t)(uintptr_t)yx_strmap_get(by_group, s_group_of(req, by, row->t)) - 1];
        gr->members[gr->nmembers++] = row;
        gr->enrolled++;
        gr->passed += row->passed;
        gr->behind += s_behind(row, expected);
        gr->sum += row->total;
    }
    for (size_t g = 0; g < ngroups; g++)
        qsort(groups[g].members, groups[g].nmembers, sizeof *groups[g].members, s_by_points);
    qsort(groups, ngroups, sizeof *groups, s_by_id);
    if (op->csv)
        s_csv(req, p, by, groups, ngroups, expected, reply);
    else
        reply_json(req, reply, 200, s_json(p, by, groups, ngroups, expected, now));
done:
    yx_strmap_destroy(&by_group);
    free(members);
    free(groups);
    yx_pgarray_free(&mine);
    yx_strmap_destroy(&rep.by_teacher);
    free(points);
    free(rep.rows);
    rules_program_destroy(&p);
}
