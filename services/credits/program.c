/* Programs: created by the county (POST /api/v1/programs, yanxiuctl program create) from a
 * full definition or a built-in template, validated with field paths, stored with the rows
 * the ledger's SQL joins (scope, rules), and read back exactly as normalised. */
#include "ops.h"
#include "program.h"
#include "yx_db.h"
#include "yx_log.h"
#include "yx_pgarray.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_LIMIT 100
#define MAX_LIMIT 500

static int s_store(credits_t *credits, const rules_program_t *p, const char *created_by)
{
    char start_at[40], end_at[40], first[11], last[11];
    rules_format_time(rules_day_start(p->first_day), start_at);
    rules_format_time(rules_day_start(p->last_day + 1), end_at);
    rules_format_date(p->first_day, first);
    rules_format_date(p->last_day, last);
    char *definition = json_dumps(p->doc, JSON_COMPACT);
    if (!definition) return -1;
    char hash[17];
    program_rules_hash(p, hash);
    const char *const program[] = {credits->county_id,
                                   p->id,
                                   p->name,
                                   p->template_name ? p->template_name : "",
                                   first,
                                   last,
                                   start_at,
                                   end_at,
                                   definition,
                                   created_by,
                                   hash};
    int rc = yx_db_exec(credits->db,
                        "INSERT INTO credits.programs (county_id, id, name, template, starts_on,"
                        " ends_on, start_at, end_at, definition, created_by, rules_hash)"
                        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                        11, program);
    free(definition);
    if (rc < 0) return -1;

    yx_pgarray_t kind, ref;
    yx_pgarray_init(&kind);
    yx_pgarray_init(&ref);
    if (p->scope == SCOPE_COUNTY) {
        yx_pgarray_add(&kind, "county");
        yx_pgarray_add(&ref, "");
    }
    for (size_t i = 0; i < p->nscope_ids; i++) {
        yx_pgarray_add(&kind, p->scope == SCOPE_DISTRICTS ? "district" : "school");
        yx_pgarray_add(&ref, p->scope_ids[i]);
    }
    const char *const scope[] = {credits->county_id, p->id, yx_pgarray_text(&kind),
                                 yx_pgarray_text(&ref)};
    rc = yx_db_exec(credits->db,
                    "INSERT INTO credits.program_scope (county_id, program_id, kind, ref)"
                    " SELECT $1, $2, k, r FROM unnest($3::text[], $4::text[]) AS u(k, r)",
                    4, scope);
    yx_pgarray_free(&kind);
    yx_pgarray_free(&ref);
    if (rc < 0) return -1;

    yx_pgarray_t cols[7];
    for (int c = 0; c < 7; c++)
        yx_pgarray_init(&cols[c]);
    for (int i = 0; i < p->nitems; i++) {
        const rules_item_t *it = &p->items[i];
        const rules_category_t *cat = &p->categories[it->category];
        char ord[16], score[32];
        snprintf(ord, sizeof ord, "%d", i);
        snprintf(score, sizeof score, "%.17g", it->score_min);
        yx_pgarray_add(&cols[0], ord);
        yx_pgarray_add(&cols[1], cat->key);
        yx_pgarray_add(&cols[2], it->key);
        yx_pgarray_add(&cols[3], it->gate                     ? "attended"
                                 : cat->unit == RULES_MINUTES ? "minutes"
                                                              : "count");
        yx_pgarray_add(&cols[4], it->verb);
        yx_pgarray_add(&cols[5], it->activity_type);
        yx_pgarray_add(&cols[6], it->has_score_min ? score : NULL);
    }
    const char *const rules[] = {credits->county_id,        p->id,
                                 yx_pgarray_text(&cols[0]), yx_pgarray_text(&cols[1]),
                                 yx_pgarray_text(&cols[2]), yx_pgarray_text(&cols[3]),
                                 yx_pgarray_text(&cols[4]), yx_pgarray_text(&cols[5]),
                                 yx_pgarray_text(&cols[6])};
    rc = yx_db_exec(credits->db,
                    "INSERT INTO credits.program_rules (county_id, program_id, ord, category,"
                    " item, measure, verb_id, activity_type, score_min)"
                    " SELECT $1, $2, o, c, i, m, v, t, s FROM unnest($3::int[], $4::text[],"
                    " $5::text[], $6::text[], $7::text[], $8::text[], $9::numeric[])"
                    " AS u(o, c, i, m, v, t, s)",
                    9, rules);
    for (int c = 0; c < 7; c++)
        yx_pgarray_free(&cols[c]);
    return rc;
}

void program_create(request_t *req, const Yx__CreateProgram *op, Yx__CreditsReply *reply)
{
    credits_t *credits = req->credits;
    int role = req->principal->role;
    if (role != YX__ROLE__ROLE_COUNTY_ADMIN && role != YX__ROLE__ROLE_SYSTEM) {
        reply_error(req, reply, 403, "programs are created by the county");
        return;
    }
    json_error_t err;
    json_t *in =
        json_loadb((const char *)op->json.data, op->json.len, JSON_REJECT_DUPLICATES, &err);
    if (!in) {
        reply_error(req, reply, 400, "invalid JSON at line %d, column %d: %s", err.line, err.column,
                    err.text);
        return;
    }
    rules_problems_t pr;
    rules_program_t *p = NULL;
    if (op->template_ && *op->template_) {
        json_t *def = rules_template(op->template_, in, &pr);
        if (!def) {
            if (pr.count)
                program_reply_problems(req, reply, &pr);
            else
                reply_error(req, reply, 400, "no template %s (there is guopei-2015)",
                            op->template_);
            json_decref(in);
            return;
        }
        json_decref(in);
        in = def;
    }
    p = rules_program_parse(in, &pr);
    json_decref(in);
    if (!p) {
        program_reply_problems(req, reply, &pr);
        return;
    }
    /* statements stored before the program existed are credited now, by scope */
    if (!credits->directory || !directory_ready(credits->directory)) {
        reply_error(req, reply, 503, "the roster is not loaded yet");
        rules_program_destroy(&p);
        return;
    }
    const char *by =
        req->principal->key_id && *req->principal->key_id ? req->principal->key_id : "system";
    if (yx_db_begin(credits->db) < 0) {
        reply_error(req, reply, 503, "the database did not answer");
    } else if (s_store(credits, p, by) < 0 || ledger_backfill(credits, p) < 0) {
        bool exists = strcmp(yx_db_last_sqlstate(), "23505") == 0;
        yx_db_rollback(credits->db);
        if (exists)
            reply_error(req, reply, 409, "program %s exists", p->id);
        else
            reply_error(req, reply, 503, "the database did not answer");
    } else if (program_late(req)) {
        yx_db_rollback(credits->db);
        reply_error(req, reply, 504, "the deadline passed: the program was not created");
    } else if (yx_db_commit(credits->db) < 0) {
        reply_error(req, reply, 503, "the database did not answer");
    } else {
        yx_info(req->request_id, "program %s created by %s", p->id, by);
        json_t *doc = json_deep_copy(p->doc);
        char now[40];
        rules_format_time(program_now_us(), now);
        json_object_set_new(doc, "created_at", json_string(now));
        json_object_set_new(doc, "created_by", json_string(by));
        reply_json(req, reply, 201, doc);
    }
    rules_program_destroy(&p);
}

static bool s_may_list(const Yx__Principal *pr)
{
    return pr->role == YX__ROLE__ROLE_COUNTY_ADMIN || pr->role == YX__ROLE__ROLE_SCHOOL_ADMIN ||
           pr->role == YX__ROLE__ROLE_TEACHER || pr->role == YX__ROLE__ROLE_SYSTEM;
}

/* A stored row (definition, created_at in microseconds, created_by) as the document. */
static json_t *s_document(PGresult *res, int r)
{
    json_t *doc = json_loads(PQgetvalue(res, r, 0), 0, NULL);
    if (!doc) return NULL;
    char at[40];
    rules_format_time(atoll(PQgetvalue(res, r, 1)), at);
    json_object_set_new(doc, "created_at", json_string(at));
    json_object_set_new(doc, "created_by", json_string(PQgetvalue(res, r, 2)));
    return doc;
}

#define DOCUMENT_COLUMNS                                                                           \
    "definition::text, (extract(epoch FROM created_at) * 1000000)::int8, created_by"

void program_get(request_t *req, const Yx__GetProgram *op, Yx__CreditsReply *reply)
{
    if (!s_may_list(req->principal)) {
        reply_error(req, reply, 403, "programs are for the county, schools and teachers");
        return;
    }
    const char *const params[] = {req->credits->county_id, op->program_id};
    PGresult *res = yx_db_query(req->credits->db,
                                "SELECT " DOCUMENT_COLUMNS " FROM credits.programs"
                                " WHERE county_id = $1 AND id = $2",
                                2, params);
    if (!res) {
        reply_error(req, reply, 503, "the database did not answer");
        return;
    }
    json_t *doc = PQntuples(res) ? s_document(res, 0) : NULL;
    PQclear(res);
    if (!doc)
        reply_error(req, reply, 404, "no such program");
    else
        reply_json(req, reply, 200, doc);
}

void program_list(request_t *req, const Yx__ListPrograms *op, Yx__CreditsReply *reply)
{
    if (!s_may_list(req->principal)) {
        reply_error(req, reply, 403, "programs are for the county, schools and teachers");
        return;
    }
    unsigned limit = op->page && op->page->limit ? op->page->limit : DEFAULT_LIMIT;
    if (limit > MAX_LIMIT) limit = MAX_LIMIT;
    char lim[16];
    snprintf(lim, sizeof lim, "%u", limit + 1);
    const char *cursor = op->page && op->page->cursor ? op->page->cursor : "";
    const char *const params[] = {req->credits->county_id, cursor, lim};
    PGresult *res = yx_db_query(req->credits->db,
                                "SELECT " DOCUMENT_COLUMNS ", id FROM credits.programs"
                                " WHERE county_id = $1 AND id > $2 ORDER BY id LIMIT $3::int",
                                3, params);
    if (!res) {
        reply_error(req, reply, 503, "the database did not answer");
        return;
    }
    int n = PQntuples(res);
    json_t *items = json_array();
    for (int r = 0; r < n && r < (int)limit; r++) {
        json_t *doc = s_document(res, r);
        if (doc) json_array_append_new(items, doc);
    }
    json_t *out = json_pack("{s:o}", "items", items);
    if (n > (int)limit)
        json_object_set_new(out, "next_cursor", json_string(PQgetvalue(res, (int)limit - 1, 3)));
    PQclear(res);
    reply_json(req, reply, 200, out);
}
