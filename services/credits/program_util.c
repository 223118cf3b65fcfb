/* Loading programs, enrolment, who may read whom, and the small helpers the programs part
 * shares. */
#include "program.h"
#include "yx_db.h"
#include "yx_log.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int program_load(credits_t *credits, const char *id, rules_program_t **out)
{
    *out = NULL;
    const char *const params[] = {credits->county_id, id};
    PGresult *res = yx_db_query_prepared(credits->db,
                                         "SELECT definition::text FROM credits.programs"
                                         " WHERE county_id = $1 AND id = $2",
                                         2, params);
    if (!res) return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return 0;
    }
    json_error_t err;
    json_t *doc = json_loads(PQgetvalue(res, 0, 0), 0, &err);
    PQclear(res);
    rules_problems_t pr;
    /* stored definitions were normalised by this same parser: one that no longer parses
     * means the rules changed under it, which must be loud */
    *out = doc ? rules_program_parse(doc, &pr) : NULL;
    json_decref(doc);
    if (!*out) {
        yx_error(NULL, "program %s: stored definition does not parse (%s: %s)", id,
                 doc && pr.count ? pr.items[0].path : "json",
                 doc && pr.count ? pr.items[0].reason : err.text);
        return -1;
    }
    return 1;
}

bool program_in_scope(const rules_program_t *p, const dir_teacher_t *t)
{
    if (p->scope == SCOPE_COUNTY) return true;
    const char *mine = p->scope == SCOPE_DISTRICTS ? t->district_id : t->school_id;
    if (!mine) return false;
    for (size_t i = 0; i < p->nscope_ids; i++)
        if (strcmp(p->scope_ids[i], mine) == 0) return true;
    return false;
}

bool program_enrolled(const rules_program_t *p, const dir_teacher_t *t)
{
    return t->active && program_in_scope(p, t);
}

bool program_may_read(const Yx__Principal *pr, const dir_teacher_t *t)
{
    switch (pr->role) {
    case YX__ROLE__ROLE_COUNTY_ADMIN:
    case YX__ROLE__ROLE_SYSTEM:
        return true;
    case YX__ROLE__ROLE_SCHOOL_ADMIN:
        return pr->school_id && *pr->school_id && t->school_id &&
               strcmp(pr->school_id, t->school_id) == 0;
    case YX__ROLE__ROLE_TEACHER:
        return pr->teacher_id && strcmp(pr->teacher_id, t->teacher_id) == 0;
    default:
        return false;
    }
}

json_t *program_summary(const rules_program_t *p)
{
    json_t *stages = json_array();
    for (int s = 0; s < p->nstages; s++) {
        char a[11], b[11];
        rules_format_date(p->stages[s].first_day, a);
        rules_format_date(p->stages[s].last_day, b);
        json_array_append_new(stages, json_pack("{s:i, s:s, s:s, s:s}", "stage", s + 1, "name",
                                                p->stages[s].name, "start", a, "end", b));
    }
    char a[11], b[11];
    rules_format_date(p->first_day, a);
    rules_format_date(p->last_day, b);
    return json_pack("{s:s, s:s, s:s?, s:s, s:s, s:s, s:o, s:o}", "id", p->id, "name", p->name,
                     "template", p->template_name, "start", a, "end", b, "timezone", RULES_TZ_NAME,
                     "pass_threshold", program_num(p->pass_threshold), "stages", stages);
}

void program_rules_hash(const rules_program_t *p, char out[17])
{
    char *text = json_dumps(p->doc, JSON_COMPACT);
    uint64_t h = 14695981039346656037ULL; /* FNV-1a: a change detector, not a secret */
    for (const char *c = text ? text : ""; *c; c++)
        h = (h ^ (unsigned char)*c) * 1099511628211ULL;
    free(text);
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

int64_t program_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

bool program_late(const request_t *req)
{
    return req->deadline_unix_ms && program_now_us() / 1000 > req->deadline_unix_ms;
}

json_t *program_num(double v)
{
    double r = round(v * 10000) / 10000;
    if (r == 0) r = 0; /* no "-0" */
    if (r == floor(r) && fabs(r) < 9e15) return json_integer((json_int_t)r);
    return json_real(r);
}

bool program_text_ok(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max) return false;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) return false;
    return true;
}

void program_reply_problems(request_t *req, Yx__CreditsReply *reply, const rules_problems_t *pr)
{
    if (!pr->count) {
        reply_error(req, reply, 400, "invalid program");
        return;
    }
    reply_error(req, reply, 400, "%s%s%s", pr->items[0].path, *pr->items[0].path ? ": " : "",
                pr->items[0].reason);
    for (size_t i = 0; i < pr->count; i++)
        reply_problem(req, reply, "", 0, pr->items[i].path, pr->items[i].reason);
}
