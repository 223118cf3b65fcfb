/* GET /api/v1/programs/{pid}/teachers/{tid}/transcript: a teacher's numbers in a program,
 * with every entry behind them and its evidence (statement ids, activities, who entered
 * what and why). Teachers read their own, school admins their school's, the county all;
 * anyone else gets 404, as if the teacher did not exist. */
#include "ops.h"
#include "transcript.h"
#include "yx_db.h"
#include "yx_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    C_ID,
    C_CATEGORY,
    C_ITEM,
    C_MEASURE,
    C_AMOUNT,
    C_SOURCE,
    C_STARTED,
    C_OCCURRED,
    C_RECORDED,
    C_STATEMENT,
    C_ACTIVITY,
    C_REVERSES,
    C_ACTOR,
    C_REASON
};

/* One indexed query: the primary key leads with (county, program, teacher) and ends with
 * the entry id, so rows come in recording order without a sort. */
/* The result is binary: printing thousands of times and numbers as text, and parsing them
 * back here, cost more than the rest of the query. */
static const char s_entries_sql[] =
    "SELECT id, category, item, measure, amount::float8, source, started_at, occurred_at,"
    "       recorded_at, statement_id::text, activity_id, reverses, actor, reason"
    "  FROM credits.ledger WHERE county_id = $1 AND program_id = $2 AND teacher_id = $3"
    " ORDER BY id";

static int s_by_id(const void *key, const void *elem)
{
    int64_t k = *(const int64_t *)key, id = ((const rules_entry_t *)elem)->id;
    return (k > id) - (k < id);
}

int transcript_compute(credits_t *credits, const rules_program_t *p, const char *teacher_id,
                       transcript_t *out)
{
    memset(out, 0, sizeof *out);
    const char *const params[] = {credits->county_id, p->id, teacher_id};
    PGresult *res = out->res = yx_db_query_binary(credits->db, s_entries_sql, 3, params);
    if (!res) return -1;
    size_t n = out->n = (size_t)PQntuples(res);
    out->entries = calloc(n ? n : 1, sizeof *out->entries);
    out->reversed_by = calloc(n ? n : 1, sizeof *out->reversed_by);
    out->recorded_us = calloc(n ? n : 1, sizeof *out->recorded_us);
    if (!out->entries || !out->reversed_by || !out->recorded_us) return -1;
    for (size_t i = 0; i < n; i++) {
        int r = (int)i;
        rules_entry_t *e = &out->entries[i];
        e->id = yx_db_int8(res, r, C_ID);
        e->measure = rules_measure_parse(PQgetvalue(res, r, C_MEASURE));
        e->category = rules_category_index(p, PQgetvalue(res, r, C_CATEGORY));
        e->item = e->category < 0 ? -1
                                  : rules_item_index(p, e->category, PQgetvalue(res, r, C_ITEM),
                                                     e->measure == M_ATTENDED);
        e->amount = yx_db_float8(res, r, C_AMOUNT);
        e->interval = !PQgetisnull(res, r, C_STARTED);
        if (e->interval) e->start_us = yx_db_unix_us(res, r, C_STARTED);
        e->end_us = yx_db_unix_us(res, r, C_OCCURRED);
        out->recorded_us[i] = yx_db_unix_us(res, r, C_RECORDED);
        const char *source = PQgetvalue(res, r, C_SOURCE);
        e->entered = strcmp(source, "grade") == 0 || strcmp(source, "manual") == 0;
        e->live = PQgetisnull(res, r, C_REVERSES);
    }
    /* a reversal and what it reverses are both shown and neither counts */
    for (size_t i = 0; i < n; i++) {
        if (out->entries[i].live) continue;
        int64_t target = yx_db_int8(res, (int)i, C_REVERSES);
        rules_entry_t *t = bsearch(&target, out->entries, n, sizeof *out->entries, s_by_id);
        if (!t) continue;
        t->live = false;
        out->reversed_by[t - out->entries] = out->entries[i].id;
    }
    return rules_evaluate(p, out->entries, n, &out->result);
}

void transcript_free(transcript_t *self)
{
    PQclear(self->res);
    free(self->entries);
    free(self->reversed_by);
    free(self->recorded_us);
    memset(self, 0, sizeof *self);
}

static void s_field(program_buf_t *b, const char *name)
{
    program_buf_add(b, ",\"", 2);
    program_buf_str(b, name);
    program_buf_add(b, "\":", 2);
}

static void s_text(program_buf_t *b, const char *name, PGresult *res, int r, int c)
{
    s_field(b, name);
    program_buf_json_str(b, PQgetisnull(res, r, c) ? NULL : PQgetvalue(res, r, c));
}

/* Keys and uuids: nothing in them needs escaping (keys are checked a-z, 0-9, _). */
static void s_key(program_buf_t *b, const char *name, PGresult *res, int r, int c)
{
    s_field(b, name);
    if (PQgetisnull(res, r, c)) {
        program_buf_add(b, "null", 4);
        return;
    }
    program_buf_add(b, "\"", 1);
    program_buf_add(b, PQgetvalue(res, r, c), (size_t)PQgetlength(res, r, c));
    program_buf_add(b, "\"", 1);
}

static void s_time(program_buf_t *b, const char *name, int64_t us, bool present)
{
    s_field(b, name);
    if (!present) {
        program_buf_add(b, "null", 4);
        return;
    }
    char out[40];
    rules_format_time(us, out);
    program_buf_json_str(b, out);
}

static void s_int(program_buf_t *b, const char *name, int64_t v, bool present)
{
    s_field(b, name);
    if (present)
        program_buf_json_num(b, (double)v);
    else
        program_buf_add(b, "null", 4);
}

/* One entry with its evidence (README "Transcripts"). */
static void s_entry(program_buf_t *b, const rules_program_t *p, const transcript_t *tr, size_t i)
{
    const rules_entry_t *e = &tr->entries[i];
    PGresult *res = tr->res;
    int r = (int)i;
    program_buf_str(b, "{\"id\":");
    program_buf_json_num(b, (double)e->id);
    s_key(b, "category", res, r, C_CATEGORY);
    s_key(b, "item", res, r, C_ITEM);
    s_key(b, "measure", res, r, C_MEASURE);
    s_field(b, "amount");
    program_buf_json_num(b, e->amount);
    s_field(b, "counted");
    if (e->interval && e->live)
        program_buf_json_num(b, e->counted);
    else
        program_buf_add(b, "null", 4);
    s_int(b, "stage", e->stage + 1, e->stage >= 0 && e->stage < p->nstages);
    s_field(b, "live");
    program_buf_str(b, e->live ? "true" : "false");
    s_key(b, "source", res, r, C_SOURCE);
    s_key(b, "statement_id", res, r, C_STATEMENT);
    s_text(b, "activity_id", res, r, C_ACTIVITY);
    s_time(b, "started_at", e->start_us, e->interval);
    s_time(b, "occurred_at", e->end_us, true);
    s_time(b, "recorded_at", tr->recorded_us[i], true);
    bool reverses = !PQgetisnull(res, r, C_REVERSES);
    s_int(b, "reverses", reverses ? yx_db_int8(res, r, C_REVERSES) : 0, reverses);
    s_int(b, "reversed_by", tr->reversed_by[i], tr->reversed_by[i] != 0);
    s_text(b, "actor", res, r, C_ACTOR);
    s_text(b, "reason", res, r, C_REASON);
    program_buf_add(b, "}", 1);
}

static json_t *s_category(const rules_program_t *p, const rules_result_t *res, int c)
{
    const rules_category_t *cat = &p->categories[c];
    const rules_category_result_t *cr = &res->categories[c];
    json_t *stages = json_array();
    for (int s = 0; s < p->nstages; s++)
        json_array_append_new(
            stages,
            json_pack("{s:i, s:o, s:o, s:o}", "stage", s + 1, "raw", program_num(cr->stages[s].raw),
                      "points", program_num(cr->stages[s].points), "cap",
                      cat->has_stage_cap[s] ? program_num(cat->stage_cap[s]) : json_null()));
    json_t *items = json_array();
    for (int i = 0; i < p->nitems; i++)
        if (p->items[i].category == c && !p->items[i].gate)
            json_array_append_new(items, json_pack("{s:s, s:o, s:o}", "key", p->items[i].key, "raw",
                                                   program_num(res->item_raw[i]), "weight",
                                                   program_num(p->items[i].weight)));
    json_t *gate = json_null();
    if (cat->min_attended)
        gate = json_pack("{s:i, s:o, s:o, s:o, s:b}", "min_attended", cat->min_attended, "attended",
                         program_num(cr->attended), "entered", program_num(cr->attended_entered),
                         "recorded", program_num(cr->attended_recorded), "met", cr->gate_met);
    return json_pack("{s:s, s:s, s:s, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "key", cat->key,
                     "name", cat->name, "unit", rules_unit_name(cat->unit), "counts_toward_total",
                     cat->counts, "raw", program_num(cr->raw), "points", program_num(cr->points),
                     "cap", cat->has_cap ? program_num(cat->cap) : json_null(), "stages", stages,
                     "items", items, "gate", gate, "points_uncapped",
                     program_num(cr->points_uncapped));
}

json_t *transcript_json(const rules_program_t *p, const dir_teacher_t *t, const transcript_t *tr)
{
    const rules_result_t *r = &tr->result;
    json_t *cats = json_array();
    for (int c = 0; c < p->ncategories; c++)
        json_array_append_new(cats, s_category(p, r, c));
    json_t *doc = json_object();
    json_object_set_new(doc, "program", program_summary(p));
    json_object_set_new(doc, "teacher",
                        json_pack("{s:s, s:s?, s:s?, s:s?, s:b, s:b}", "id", t->teacher_id, "name",
                                  t->name, "school_id", t->school_id, "district_id", t->district_id,
                                  "active", t->active, "enrolled", program_enrolled(p, t)));
    json_object_set_new(doc, "total_points", program_num(r->total_points));
    json_object_set_new(doc, "max_points",
                        r->max_points < 0 ? json_null() : program_num(r->max_points));
    json_object_set_new(doc, "pass_threshold", program_num(p->pass_threshold));
    json_object_set_new(doc, "passed", json_boolean(r->passed));
    json_object_set_new(doc, "minutes", program_num(r->minutes));
    json_object_set_new(doc, "categories", cats);
    return doc;
}

/* The summary, then "entries" written straight into the text. */
static void s_reply_json(request_t *req, Yx__CreditsReply *reply, const rules_program_t *p,
                         const dir_teacher_t *t, const transcript_t *tr)
{
    json_t *doc = transcript_json(p, t, tr);
    char *head = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    program_buf_t b = {0};
    size_t len = head ? strlen(head) : 0;
    if (len > 1) {
        program_buf_add(&b, head, len - 1); /* without its closing brace */
        program_buf_str(&b, ",\"entries\":[");
        for (size_t i = 0; i < tr->n; i++) {
            if (i) program_buf_add(&b, ",", 1);
            s_entry(&b, p, tr, i);
        }
        program_buf_str(&b, "]}");
    }
    free(head);
    if (len <= 1 || b.failed)
        reply_error(req, reply, 500, "out of memory");
    else
        reply_text(req, reply, 200, "application/json", b.data, b.len);
    program_buf_free(&b);
}

/* ---- CSV ----------------------------------------------------------------------------- */

static void s_csv(const rules_program_t *p, const dir_teacher_t *t, const transcript_t *tr,
                  program_csv_t *csv)
{
    const rules_result_t *r = &tr->result;
    program_csv_cell(csv, "项目");
    program_csv_cell(csv, p->id);
    program_csv_cell(csv, p->name);
    program_csv_end_row(csv);
    program_csv_cell(csv, "教师");
    program_csv_cell(csv, t->teacher_id);
    program_csv_cell(csv, t->name);
    program_csv_end_row(csv);
    program_csv_cell(csv, "总分");
    program_csv_num(csv, r->total_points);
    program_csv_cell(csv, "合格");
    program_csv_cell(csv, r->passed ? "是" : "否");
    program_csv_cell(csv, "学习分钟");
    program_csv_num(csv, r->minutes);
    program_csv_end_row(csv);
    program_csv_end_row(csv);

    static const char *const head[] = {"类别", "名称", "单位",    "原始量",
                                       "得分", "上限", "计入总分"};
    for (size_t i = 0; i < sizeof head / sizeof *head; i++)
        program_csv_cell(csv, head[i]);
    for (int s = 0; s < p->nstages; s++) {
        char h[64];
        snprintf(h, sizeof h, "%s 原始量", p->stages[s].name);
        program_csv_cell(csv, h);
        snprintf(h, sizeof h, "%s 得分", p->stages[s].name);
        program_csv_cell(csv, h);
    }
    program_csv_end_row(csv);
    for (int c = 0; c < p->ncategories; c++) {
        const rules_category_t *cat = &p->categories[c];
        const rules_category_result_t *cr = &r->categories[c];
        program_csv_cell(csv, cat->key);
        program_csv_cell(csv, cat->name);
        program_csv_cell(csv, rules_unit_name(cat->unit));
        program_csv_num(csv, cr->raw);
        program_csv_num(csv, cr->points);
        if (cat->has_cap)
            program_csv_num(csv, cat->cap);
        else
            program_csv_cell(csv, "");
        program_csv_cell(csv, cat->counts ? "是" : "否");
        for (int s = 0; s < p->nstages; s++) {
            program_csv_num(csv, cr->stages[s].raw);
            program_csv_num(csv, cr->stages[s].points);
        }
        program_csv_end_row(csv);
    }
    program_csv_end_row(csv);

    static const char *const ehead[] = {
        "条目",     "类别",     "子项",     "度量",     "数量",
        "计入分钟", "阶段",     "有效",     "来源",     "证据(statement)",
        "活动",     "发生时间", "记录时间", "冲正条目", "被冲正于",
        "操作人",   "原因"};
    for (size_t i = 0; i < sizeof ehead / sizeof *ehead; i++)
        program_csv_cell(csv, ehead[i]);
    program_csv_end_row(csv);
    PGresult *res = tr->res;
    for (size_t i = 0; i < tr->n; i++) {
        const rules_entry_t *e = &tr->entries[i];
        int row = (int)i;
        char buf[40];
        snprintf(buf, sizeof buf, "%lld", (long long)e->id);
        program_csv_cell(csv, buf);
        program_csv_cell(csv, PQgetvalue(res, row, C_CATEGORY));
        program_csv_cell(csv, PQgetvalue(res, row, C_ITEM));
        program_csv_cell(csv, PQgetvalue(res, row, C_MEASURE));
        program_csv_num(csv, e->amount);
        if (e->interval && e->live)
            program_csv_num(csv, e->counted);
        else
            program_csv_cell(csv, "");
        if (e->stage >= 0)
            program_csv_num(csv, e->stage + 1);
        else
            program_csv_cell(csv, "");
        program_csv_cell(csv, e->live ? "是" : "否");
        program_csv_cell(csv, PQgetvalue(res, row, C_SOURCE));
        program_csv_cell(csv, PQgetvalue(res, row, C_STATEMENT));
        program_csv_cell(csv, PQgetvalue(res, row, C_ACTIVITY));
        rules_format_time(e->end_us, buf);
        program_csv_cell(csv, buf);
        rules_format_time(tr->recorded_us[i], buf);
        program_csv_cell(csv, buf);
        if (!PQgetisnull(res, row, C_REVERSES))
            snprintf(buf, sizeof buf, "%lld", (long long)yx_db_int8(res, row, C_REVERSES));
        program_csv_cell(csv, PQgetisnull(res, row, C_REVERSES) ? "" : buf);
        if (tr->reversed_by[i]) {
            snprintf(buf, sizeof buf, "%lld", (long long)tr->reversed_by[i]);
            program_csv_cell(csv, buf);
        } else {
            program_csv_cell(csv, "");
        }
        program_csv_cell(csv, PQgetvalue(res, row, C_ACTOR));
        program_csv_cell(csv, PQgetvalue(res, row, C_REASON));
        program_csv_end_row(csv);
    }
}

void program_transcript(request_t *req, const Yx__GetTranscript *op, Yx__CreditsReply *reply)
{
    credits_t *credits = req->credits;
    if (!credits->directory || !directory_ready(credits->directory)) {
        reply_error(req, reply, 503, "the roster is not loaded yet");
        return;
    }
    const dir_teacher_t *t = directory_teacher(credits->directory, op->teacher_id);
    if (!t || !program_may_read(req->principal, t)) {
        reply_error(req, reply, 404, "no such teacher");
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
    transcript_t tr;
    if (transcript_compute(credits, p, t->teacher_id, &tr) < 0) {
        reply_error(req, reply, 503, "the database did not answer");
    } else if (op->csv) {
        program_csv_t csv;
        program_csv_init(&csv);
        s_csv(p, t, &tr, &csv);
        char *name = yx_arena_printf(req->arena, "transcript-%s-%s.csv", p->id, t->teacher_id);
        program_reply_csv(req, reply, &csv, name);
        program_csv_free(&csv);
    } else {
        s_reply_json(req, reply, p, t, &tr);
    }
    transcript_free(&tr);
    rules_program_destroy(&p);
}

int transcript_result(credits_t *credits, const char *program_id, const char *teacher_id,
                      double *total_points, bool *passed, char **program_name)
{
    rules_program_t *p = NULL;
    int found = program_load(credits, program_id, &p);
    if (found <= 0) return found < 0 ? -1 : TRANSCRIPT_NO_PROGRAM;
    const dir_teacher_t *t =
        credits->directory ? directory_teacher(credits->directory, teacher_id) : NULL;
    if (!t || !program_in_scope(p, t)) {
        rules_program_destroy(&p);
        return TRANSCRIPT_NOT_IN_PROGRAM;
    }
    transcript_t tr;
    int rc = transcript_compute(credits, p, teacher_id, &tr);
    if (rc == 0) {
        *total_points = tr.result.total_points;
        *passed = tr.result.passed;
        *program_name = strdup(p->name);
        if (!*program_name) rc = -1;
    }
    transcript_free(&tr);
    rules_program_destroy(&p);
    return rc < 0 ? -1 : TRANSCRIPT_OK;
}
