/* What admins enter: a school's offline grade and attendance count for a teacher
 * (program_record_grade), and the county's manual entries and corrections
 * (program_manual_entry). Both only append to the ledger: a new grade reverses the one it
 * replaces, a correction reverses the entry it names. Each write holds the ledger's lock
 * (ledger_lock), so two admins entering at once cannot both reverse the same grade. */
#include "ops.h"
#include "transcript.h"
#include "yx_db.h"
#include "yx_log.h"
#include "yx_pgarray.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REASON 1000
#define MAX_AMOUNT 100000
#define MAX_ATTENDED 1000
#define MAX_UNCAPPED_SCORE 1000

static const char s_live_grades_sql[] =
    "SELECT e.id, e.measure, e.amount FROM credits.ledger e"
    " WHERE e.county_id = $1 AND e.program_id = $2 AND e.teacher_id = $3 AND e.category = $4"
    "   AND e.source = 'grade' AND e.reverses IS NULL"
    "   AND NOT EXISTS (SELECT 1 FROM credits.ledger r WHERE r.county_id = e.county_id"
    "        AND r.program_id = e.program_id AND r.teacher_id = e.teacher_id"
    "        AND r.reverses = e.id)";

static const char s_insert_sql[] =
    "INSERT INTO credits.ledger (county_id, program_id, teacher_id, category, item, measure,"
    "       amount, occurred_at, source, reverses, actor, reason)"
    " SELECT $1, $2, $3, u.category, u.item, u.measure, u.amount, u.occurred_at, $4, u.reverses,"
    "        $5, $6"
    "   FROM unnest($7::text[], $8::text[], $9::text[], $10::numeric[], $11::timestamptz[],"
    "               $12::int8[]) AS u(category, item, measure, amount, occurred_at, reverses)"
    " RETURNING id";

/* Rows to append, as whole columns. */
typedef struct {
    yx_pgarray_t category, item, measure, amount, occurred_at, reverses;
} rows_t;

static void s_rows_init(rows_t *r)
{
    yx_pgarray_init(&r->category);
    yx_pgarray_init(&r->item);
    yx_pgarray_init(&r->measure);
    yx_pgarray_init(&r->amount);
    yx_pgarray_init(&r->occurred_at);
    yx_pgarray_init(&r->reverses);
}

static void s_rows_free(rows_t *r)
{
    yx_pgarray_free(&r->category);
    yx_pgarray_free(&r->item);
    yx_pgarray_free(&r->measure);
    yx_pgarray_free(&r->amount);
    yx_pgarray_free(&r->occurred_at);
    yx_pgarray_free(&r->reverses);
}

static void s_row(rows_t *r, const char *category, const char *item, const char *measure,
                  const char *amount, const char *occurred_at, const char *reverses)
{
    yx_pgarray_add(&r->category, category);
    yx_pgarray_add(&r->item, item);
    yx_pgarray_add(&r->measure, measure);
    yx_pgarray_add(&r->amount, amount);
    yx_pgarray_add(&r->occurred_at, occurred_at);
    yx_pgarray_add(&r->reverses, reverses);
}

/* What both operations share: the parsed body, the teacher, the program. */
typedef struct {
    json_t *body;
    const dir_teacher_t *t;
    rules_program_t *p;
} target_t;

static void s_target_free(target_t *tg)
{
    json_decref(tg->body);
    rules_program_destroy(&tg->p);
}

/* Parses the body (only `allowed` fields), finds the teacher the principal may write for
 * and the program that has them in scope. false when answered. */
static bool s_target(request_t *req, const char *program_id, const ProtobufCBinaryData *json,
                     const char *const *allowed, bool school_admin_ok, target_t *tg,
                     Yx__CreditsReply *reply)
{
    memset(tg, 0, sizeof *tg);
    const Yx__Principal *pr = req->principal;
    bool county = pr->role == YX__ROLE__ROLE_COUNTY_ADMIN || pr->role == YX__ROLE__ROLE_SYSTEM;
    if (!county && !(school_admin_ok && pr->role == YX__ROLE__ROLE_SCHOOL_ADMIN)) {
        reply_error(req, reply, 403,
                    school_admin_ok ? "grades are entered by school and county admins"
                                    : "manual entries are the county's");
        return false;
    }
    json_error_t err;
    tg->body = json_loadb((const char *)json->data, json->len, JSON_REJECT_DUPLICATES, &err);
    if (!json_is_object(tg->body)) {
        if (tg->body)
            reply_error(req, reply, 400, "body must be a JSON object");
        else
            reply_error(req, reply, 400, "invalid JSON at line %d, column %d: %s", err.line,
                        err.column, err.text);
        return false;
    }
    const char *key;
    json_t *value;
    json_object_foreach(tg->body, key, value)
    {
        const char *const *a = allowed;
        while (*a && strcmp(*a, key) != 0)
            a++;
        if (!*a) {
            reply_error(req, reply, 400, "%s: unknown field", key);
            reply_problem(req, reply, "", 0, key, "unknown field");
            return false;
        }
    }
    const char *teacher_id = json_string_value(json_object_get(tg->body, "teacher_id"));
    if (!teacher_id || !program_text_ok(teacher_id, 255)) {
        reply_error(req, reply, 400, "teacher_id: is required");
        reply_problem(req, reply, "", 0, "teacher_id", "is required");
        return false;
    }
    credits_t *credits = req->credits;
    if (!credits->directory || !directory_ready(credits->directory)) {
        reply_error(req, reply, 503, "the roster is not loaded yet");
        return false;
    }
    tg->t = directory_teacher(credits->directory, teacher_id);
    if (!tg->t || (!county && !program_may_read(pr, tg->t))) {
        reply_error(req, reply, 404, "no such teacher");
        return false;
    }
    int found = program_load(credits, program_id, &tg->p);
    if (found <= 0) {
        reply_error(req, reply, found == 0 ? 404 : 503,
                    found == 0 ? "no such program" : "the database did not answer");
        return false;
    }
    if (!program_in_scope(tg->p, tg->t)) {
        reply_error(req, reply, 404, "teacher %s is not in this program", tg->t->teacher_id);
        return false;
    }
    return true;
}

static void s_bad(request_t *req, Yx__CreditsReply *reply, const char *field, const char *reason)
{
    reply_error(req, reply, 400, "%s: %s", field, reason);
    reply_problem(req, reply, "", 0, field, reason);
}

/* Grades and corrections belong to the program's window: one entered after it closes
 * counts on its last day. */
static void s_clamped_now(const rules_program_t *p, char out[40])
{
    int64_t now = program_now_us(), first = rules_day_start(p->first_day),
            last = rules_day_start(p->last_day + 1) - 1;
    rules_format_time(now < first ? first : now > last ? last : now, out);
}

/* Appends the rows under the ledger's lock, commits unless the deadline passed, and answers
 * with the transcript. */
static void s_append(request_t *req, target_t *tg, const char *source, const char *reason,
                     rows_t *rows, unsigned code, Yx__CreditsReply *reply)
{
    credits_t *credits = req->credits;
    const char *actor =
        req->principal->key_id && *req->principal->key_id ? req->principal->key_id : "system";
    const char *const params[] = {credits->county_id,
                                  tg->p->id,
                                  tg->t->teacher_id,
                                  source,
                                  actor,
                                  reason,
                                  yx_pgarray_text(&rows->category),
                                  yx_pgarray_text(&rows->item),
                                  yx_pgarray_text(&rows->measure),
                                  yx_pgarray_text(&rows->amount),
                                  yx_pgarray_text(&rows->occurred_at),
                                  yx_pgarray_text(&rows->reverses)};
    PGresult *res = NULL;
    json_t *recorded = json_array();
    if (rows->category.count) {
        res = yx_db_query(credits->db, s_insert_sql, 12, params);
        if (!res) {
            PQclear(res);
            json_decref(recorded);
            yx_db_rollback(credits->db);
            reply_error(req, reply, 503, "the database did not answer");
            return;
        }
        for (int r = 0; r < PQntuples(res); r++)
            json_array_append_new(recorded, json_integer(atoll(PQgetvalue(res, r, 0))));
        PQclear(res);
    }
    /* a caller told 504 must not find its entry written behind its back */
    if (program_late(req)) {
        json_decref(recorded);
        yx_db_rollback(credits->db);
        reply_error(req, reply, 504, "the deadline passed: nothing was recorded");
        return;
    }
    transcript_t tr;
    if (transcript_compute(credits, tg->p, tg->t->teacher_id, &tr) < 0 ||
        yx_db_commit(credits->db) < 0) {
        transcript_free(&tr);
        json_decref(recorded);
        yx_db_rollback(credits->db);
        reply_error(req, reply, 503, "the database did not answer");
        return;
    }
    yx_info(req->request_id, "program %s, teacher %s: %zu %s entries by %s", tg->p->id,
            tg->t->teacher_id, json_array_size(recorded), source, actor);
    json_t *doc = transcript_json(tg->p, tg->t, &tr);
    json_object_set_new(doc, "recorded", recorded);
    transcript_free(&tr);
    reply_json(req, reply, code, doc);
}

static int s_lock(request_t *req, const target_t *tg)
{
    (void)tg;
    if (yx_db_begin(req->credits->db) < 0) return -1;
    if (ledger_lock(req->credits) == 0) return 0;
    yx_db_rollback(req->credits->db);
    return -1;
}

static void s_num_text(double v, char out[32])
{
    snprintf(out, 32, "%.15g", v);
}

void program_record_grade(request_t *req, const Yx__RecordGrade *op, Yx__CreditsReply *reply)
{
    static const char *const allowed[] = {"teacher_id", "offline_score", "offline_attended",
                                          "category",   "reason",        NULL};
    target_t tg;
    if (!s_target(req, op->program_id, &op->json, allowed, true, &tg, reply)) {
        s_target_free(&tg);
        return;
    }
    rules_program_t *p = tg.p;
    json_t *score = json_object_get(tg.body, "offline_score");
    json_t *attended = json_object_get(tg.body, "offline_attended");
    json_t *cat_json = json_object_get(tg.body, "category");
    const char *reason = json_string_value(json_object_get(tg.body, "reason"));
    int c = -1;
    if (cat_json) {
        c = json_is_string(cat_json) ? rules_category_index(p, json_string_value(cat_json)) : -1;
        if (c < 0) {
            s_bad(req, reply, "category", "no such category in this program");
            goto done;
        }
    } else { /* the program's graded category */
        for (int i = 0; i < p->ncategories && c < 0; i++)
            if (p->categories[i].unit == RULES_SCORE) c = i;
    }
    if (!score && !attended) {
        s_bad(req, reply, "offline_score", "give offline_score, offline_attended or both");
        goto done;
    }
    if (c < 0) {
        s_bad(req, reply, "category", "this program has no graded category");
        goto done;
    }
    const rules_category_t *cat = &p->categories[c];
    double max = cat->has_cap ? cat->cap : MAX_UNCAPPED_SCORE;
    if (score && cat->unit != RULES_SCORE) {
        s_bad(req, reply, "offline_score", "the category is not graded");
        goto done;
    }
    if (score && (!json_is_number(score) || json_number_value(score) < 0 ||
                  json_number_value(score) > max)) {
        char why[64];
        snprintf(why, sizeof why, "must be from 0 to %g", max);
        s_bad(req, reply, "offline_score", why);
        goto done;
    }
    if (attended && (!json_is_integer(attended) || json_integer_value(attended) < 0 ||
                     json_integer_value(attended) > MAX_ATTENDED || !cat->min_attended)) {
        s_bad(req, reply, "offline_attended",
              cat->min_attended ? "must be a whole number from 0 to 1000"
                                : "this category counts no attendance");
        goto done;
    }
    if (reason && !program_text_ok(reason, MAX_REASON)) {
        s_bad(req, reply, "reason", "must be 1 to 1000 characters");
        goto done;
    }
    if (s_lock(req, &tg) < 0) {
        reply_error(req, reply, 503, "the database did not answer");
        goto done;
    }
    /* the live grade of each measure: re-entering the same value writes nothing, a new
     * value reverses the old one and stands in its place */
    const char *const params[] = {req->credits->county_id, p->id, tg.t->teacher_id, cat->key};
    PGresult *live = yx_db_query(req->credits->db, s_live_grades_sql, 4, params);
    if (!live) {
        yx_db_rollback(req->credits->db);
        reply_error(req, reply, 503, "the database did not answer");
        goto done;
    }
    rows_t rows;
    s_rows_init(&rows);
    char when[40];
    s_clamped_now(p, when);
    const struct {
        const char *measure;
        json_t *value;
    } given[] = {{"score", score}, {"attended", attended}};
    for (size_t g = 0; g < 2; g++) {
        if (!given[g].value) continue;
        double v = json_number_value(given[g].value);
        int same = 0, others = 0;
        for (int r = 0; r < PQntuples(live); r++) {
            if (strcmp(PQgetvalue(live, r, 1), given[g].measure) != 0) continue;
            if (fabs(strtod(PQgetvalue(live, r, 2), NULL) - v) < 1e-9)
                same++;
            else
                others++;
        }
        if (same == 1 && others == 0) continue;
        for (int r = 0; r < PQntuples(live); r++) {
            if (strcmp(PQgetvalue(live, r, 1), given[g].measure) != 0) continue;
            char neg[32];
            s_num_text(-strtod(PQgetvalue(live, r, 2), NULL), neg);
            s_row(&rows, cat->key, "", given[g].measure, neg, when, PQgetvalue(live, r, 0));
        }
        char amount[32];
        s_num_text(v, amount);
        s_row(&rows, cat->key, "", given[g].measure, amount, when, NULL);
    }
    s_append(req, &tg, "grade", reason, &rows, 200, reply);
    s_rows_free(&rows);
    PQclear(live);
done:
    s_target_free(&tg);
}

/* A manual entry: a fact the county attests (minutes, a count, a score, attendance), or
 * the reversal of an entry ("reverses": id), always with a reason. */
void program_manual_entry(request_t *req, const Yx__ManualEntry *op, Yx__CreditsReply *reply)
{
    static const char *const allowed[] = {"teacher_id",  "category", "item",
                                          "measure",     "amount",   "reason",
                                          "occurred_at", "reverses", NULL};
    target_t tg;
    if (!s_target(req, op->program_id, &op->json, allowed, false, &tg, reply)) {
        s_target_free(&tg);
        return;
    }
    rules_program_t *p = tg.p;
    json_t *body = tg.body;
    const char *reason = json_string_value(json_object_get(body, "reason"));
    if (!reason || !program_text_ok(reason, MAX_REASON)) {
        s_bad(req, reply, "reason", "is required (1 to 1000 characters)");
        goto done;
    }
    json_t *reverses = json_object_get(body, "reverses");
    rows_t rows;
    s_rows_init(&rows);
    if (reverses) {
        if (!json_is_integer(reverses) || json_integer_value(reverses) <= 0) {
            s_bad(req, reply, "reverses", "must be an entry id");
            goto done_rows;
        }
        static const char *const only[] = {"category", "item", "measure", "amount", "occurred_at"};
        for (size_t i = 0; i < sizeof only / sizeof *only; i++)
            if (json_object_get(body, only[i])) {
                s_bad(req, reply, only[i], "not given with reverses (taken from the entry)");
                goto done_rows;
            }
        if (s_lock(req, &tg) < 0) {
            reply_error(req, reply, 503, "the database did not answer");
            goto done_rows;
        }
        char id[24];
        snprintf(id, sizeof id, "%lld", (long long)json_integer_value(reverses));
        const char *const params[] = {req->credits->county_id, p->id, tg.t->teacher_id, id};
        PGresult *res = yx_db_query(
            req->credits->db,
            "SELECT e.category, e.item, e.measure, (-e.amount)::text, e.occurred_at::text,"
            "       e.reverses IS NOT NULL,"
            "       EXISTS (SELECT 1 FROM credits.ledger r WHERE r.county_id = e.county_id"
            "                AND r.program_id = e.program_id AND r.teacher_id = e.teacher_id"
            "                AND r.reverses = e.id)"
            "  FROM credits.ledger e"
            " WHERE e.county_id = $1 AND e.program_id = $2 AND e.teacher_id = $3 AND e.id = $4",
            4, params);
        if (!res) {
            yx_db_rollback(req->credits->db);
            reply_error(req, reply, 503, "the database did not answer");
            goto done_rows;
        }
        const char *why = PQntuples(res) == 0               ? "no such entry of this teacher"
                          : PQgetvalue(res, 0, 5)[0] == 't' ? "a reversal cannot be reversed"
                          : PQgetvalue(res, 0, 6)[0] == 't' ? "the entry is reversed already"
                                                            : NULL;
        if (why) {
            unsigned code = PQntuples(res) == 0 ? 404 : 409;
            PQclear(res);
            yx_db_rollback(req->credits->db);
            reply_error(req, reply, code, "reverses: %s", why);
            goto done_rows;
        }
        s_row(&rows, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2),
              PQgetvalue(res, 0, 3), PQgetvalue(res, 0, 4), id);
        PQclear(res);
    } else {
        const char *key = json_string_value(json_object_get(body, "category"));
        int c = key ? rules_category_index(p, key) : -1;
        if (c < 0) {
            s_bad(req, reply, "category", key ? "no such category in this program" : "is required");
            goto done_rows;
        }
        const rules_category_t *cat = &p->categories[c];
        const char *measure = json_string_value(json_object_get(body, "measure"));
        const char *unit_measure = rules_measure_name(cat->unit == RULES_MINUTES ? M_MINUTES
                                                      : cat->unit == RULES_COUNT ? M_COUNT
                                                                                 : M_SCORE);
        if (!measure) measure = unit_measure;
        if (strcmp(measure, unit_measure) != 0 &&
            !(strcmp(measure, "attended") == 0 && cat->min_attended)) {
            s_bad(req, reply, "measure",
                  cat->min_attended ? "must be the category's unit or attended"
                                    : "must be the category's unit");
            goto done_rows;
        }
        const char *item = json_string_value(json_object_get(body, "item"));
        if (json_object_get(body, "item") &&
            (!item || rules_item_index(p, c, item, strcmp(measure, "attended") == 0) < 0)) {
            s_bad(req, reply, "item", "no such item in this category");
            goto done_rows;
        }
        json_t *amount = json_object_get(body, "amount");
        if (!json_is_number(amount) || json_number_value(amount) == 0 ||
            fabs(json_number_value(amount)) > MAX_AMOUNT) {
            s_bad(req, reply, "amount", "must be a number other than 0, at most 100000 either way");
            goto done_rows;
        }
        const char *when = json_string_value(json_object_get(body, "occurred_at"));
        int64_t us;
        if (!when || !rules_parse_time(when, &us)) {
            s_bad(req, reply, "occurred_at",
                  "must be a time (RFC 3339, e.g. 2015-10-20T09:00:00+08:00)");
            goto done_rows;
        }
        if (us < rules_day_start(p->first_day) || us >= rules_day_start(p->last_day + 1)) {
            s_bad(req, reply, "occurred_at", "must lie in the program's window");
            goto done_rows;
        }
        if (s_lock(req, &tg) < 0) {
            reply_error(req, reply, 503, "the database did not answer");
            goto done_rows;
        }
        char text[32], at[40];
        s_num_text(json_number_value(amount), text);
        rules_format_time(us, at);
        s_row(&rows, cat->key, item ? item : "", measure, text, at, NULL);
    }
    s_append(req, &tg, "manual", reason, &rows, 201, reply);
done_rows:
    s_rows_free(&rows);
done:
    s_target_free(&tg);
}
