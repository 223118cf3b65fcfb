/* Roster protobuf -> JSON. The field names are the API contract (README). */
#include "roster_json.h"

#include <stdlib.h>
#include <string.h>

/* A service should only send UTF-8; if it does not, keep the field readable, not absent. */
static json_t *s_string(const char *s)
{
    json_t *j = json_string(s);
    if (j) return j;
    char *copy = strdup(s);
    if (!copy) return NULL;
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p >= 0x80) *p = '?';
    j = json_string(copy);
    free(copy);
    return j;
}

/* Every documented field is present, "" when empty: clients and spreadsheets get one
 * stable shape per object. */
static void s_set_str(json_t *obj, const char *key, const char *value)
{
    json_object_set_new(obj, key, s_string(value ? value : ""));
}

static void s_set_uint(json_t *obj, const char *key, uint32_t value)
{
    json_object_set_new(obj, key, json_integer(value));
}

static json_t *s_strings(char **values, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, s_string(values[i]));
    return arr;
}

json_t *yx_json_problems(Yx__Problem *const *problems, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *p = json_object();
        json_object_set_new(p, "file", s_string(problems[i]->file));
        json_object_set_new(p, "line", json_integer(problems[i]->line));
        json_object_set_new(p, "column", s_string(problems[i]->column));
        json_object_set_new(p, "reason", s_string(problems[i]->reason));
        json_array_append_new(arr, p);
    }
    return arr;
}

static json_t *s_district(const Yx__District *d)
{
    json_t *o = json_object();
    s_set_str(o, "id", d->id);
    s_set_str(o, "name", d->name);
    s_set_str(o, "status", d->status);
    s_set_uint(o, "school_count", d->school_count);
    return o;
}

static json_t *s_school(const Yx__School *s)
{
    json_t *o = json_object();
    s_set_str(o, "id", s->id);
    s_set_str(o, "name", s->name);
    s_set_str(o, "identifier", s->identifier);
    s_set_str(o, "district_id", s->district_id);
    s_set_str(o, "status", s->status);
    s_set_uint(o, "teacher_count", s->teacher_count);
    return o;
}

static json_t *s_teacher(const Yx__Teacher *t)
{
    json_t *o = json_object();
    s_set_str(o, "id", t->id);
    s_set_str(o, "school_id", t->school_id);
    s_set_str(o, "name", t->name);
    s_set_str(o, "given_name", t->given_name);
    s_set_str(o, "family_name", t->family_name);
    s_set_str(o, "username", t->username);
    s_set_str(o, "identifier", t->identifier);
    s_set_str(o, "email", t->email);
    s_set_str(o, "phone", t->phone);
    s_set_str(o, "subject", t->subject);
    s_set_str(o, "grade", t->grade);
    s_set_str(o, "status", t->status);
    json_t *groups = json_array();
    for (size_t i = 0; i < t->n_groups; i++) {
        json_t *g = json_object();
        s_set_str(g, "id", t->groups[i]->id);
        s_set_str(g, "name", t->groups[i]->name);
        s_set_str(g, "type", t->groups[i]->type);
        s_set_str(g, "role", t->groups[i]->role);
        json_array_append_new(groups, g);
    }
    json_object_set_new(o, "groups", groups);
    json_object_set_new(o, "mentor_ids", s_strings(t->mentor_ids, t->n_mentor_ids));
    json_object_set_new(o, "mentee_ids", s_strings(t->mentee_ids, t->n_mentee_ids));
    return o;
}

static json_t *s_group(const Yx__Group *g)
{
    json_t *o = json_object();
    s_set_str(o, "id", g->id);
    s_set_str(o, "school_id", g->school_id);
    s_set_str(o, "name", g->name);
    s_set_str(o, "type", g->type);
    s_set_str(o, "subject", g->subject);
    s_set_str(o, "grade", g->grade);
    s_set_str(o, "parent_id", g->parent_id);
    s_set_str(o, "leader_id", g->leader_id);
    s_set_uint(o, "member_count", g->member_count);
    s_set_str(o, "status", g->status);
    return o;
}

static json_t *s_list(json_t *items, const char *next_cursor)
{
    json_t *o = json_object();
    json_object_set_new(o, "items", items);
    if (next_cursor && *next_cursor) /* absent on the last page */
        json_object_set_new(o, "next_cursor", s_string(next_cursor));
    return o;
}

#define S_LIST(list, convert)                                                                      \
    do {                                                                                           \
        json_t *items = json_array();                                                              \
        for (size_t i = 0; i < (list)->n_items; i++)                                               \
            json_array_append_new(items, convert((list)->items[i]));                               \
        return s_list(items, (list)->next_cursor);                                                 \
    } while (0)

static void s_sync_fields(json_t *o, const Yx__SyncReport *r)
{
    json_object_set_new(o, "dry_run", json_boolean(r->dry_run));
    json_object_set_new(o, "applied", json_boolean(r->applied));
    json_t *files = json_array();
    for (size_t i = 0; i < r->n_files; i++) {
        const Yx__FileReport *f = r->files[i];
        json_t *fo = json_object();
        json_object_set_new(fo, "file", s_string(f->file));
        s_set_uint(fo, "created", f->created);
        s_set_uint(fo, "updated", f->updated);
        s_set_uint(fo, "deactivated", f->deactivated);
        s_set_uint(fo, "unchanged", f->unchanged);
        json_array_append_new(files, fo);
    }
    json_object_set_new(o, "files", files);
    json_object_set_new(o, "warnings", yx_json_problems(r->warnings, r->n_warnings));
}

json_t *yx_json_roster_result(const Yx__RosterReply *reply)
{
    switch (reply->result_case) {
    case YX__ROSTER_REPLY__RESULT_PONG:
        return json_pack("{s:s}", "status", "ok");
    case YX__ROSTER_REPLY__RESULT_SYNC_REPORT: {
        json_t *o = json_object();
        s_sync_fields(o, reply->sync_report);
        json_object_set_new(o, "problems",
                            yx_json_problems(reply->status->problems, reply->status->n_problems));
        return o;
    }
    case YX__ROSTER_REPLY__RESULT_DISTRICTS:
        S_LIST(reply->districts, s_district);
    case YX__ROSTER_REPLY__RESULT_SCHOOLS:
        S_LIST(reply->schools, s_school);
    case YX__ROSTER_REPLY__RESULT_TEACHERS:
        S_LIST(reply->teachers, s_teacher);
    case YX__ROSTER_REPLY__RESULT_GROUPS:
        S_LIST(reply->groups, s_group);
    case YX__ROSTER_REPLY__RESULT_SCHOOL:
        return s_school(reply->school);
    case YX__ROSTER_REPLY__RESULT_TEACHER:
        return s_teacher(reply->teacher);
    default:
        return NULL;
    }
}

json_t *yx_json_roster_error(const Yx__RosterReply *reply, int code)
{
    const Yx__Status *st = reply->status;
    json_t *o = json_object();
    if (reply->result_case == YX__ROSTER_REPLY__RESULT_SYNC_REPORT)
        s_sync_fields(o, reply->sync_report);
    json_object_set_new(o, "error",
                        s_string(st->message && *st->message ? st->message
                                 : code == 404               ? "not found"
                                                             : "request failed"));
    json_object_set_new(o, "problems", yx_json_problems(st->problems, st->n_problems));
    return o;
}
