/* Reading the roster. Every query runs under the principal's scope (row-level security),
 * and the service checks the school again itself: two walls. Lists page by id. */
#include "request.h"
#include "scope.h"
#include "yx_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_LIMIT 100
#define MAX_LIMIT 500

static char *s_dup(request_t *req, PGresult *res, int row, int col)
{
    return yx_arena_strdup(req->arena, PQgetvalue(res, row, col));
}

static unsigned s_limit(const Yx__PageRequest *page)
{
    unsigned limit = page && page->limit ? page->limit : DEFAULT_LIMIT;
    return limit > MAX_LIMIT ? MAX_LIMIT : limit;
}

static const char *s_cursor(const Yx__PageRequest *page)
{
    return page && page->cursor ? page->cursor : "";
}

/* Runs a list query whose last two parameters are the cursor and limit + 1; returns the
 * rows and sets *next when there is another page (its cursor is the last id shown). */
static PGresult *s_page(request_t *req, const char *sql, int nparams, const char **params,
                        const Yx__PageRequest *page, int *n, char **next)
{
    char limit[16];
    unsigned lim = s_limit(page);
    snprintf(limit, sizeof limit, "%u", lim + 1);
    params[nparams] = s_cursor(page);
    params[nparams + 1] = limit;
    PGresult *res = yx_db_query(req->db, sql, nparams + 2, params);
    if (!res) return NULL;
    *n = PQntuples(res);
    *next = "";
    if (*n > (int)lim) {
        *n = (int)lim;
        *next = s_dup(req, res, *n - 1, 0);
    }
    return res;
}

static void *s_items(request_t *req, int n)
{
    return yx_arena_alloc(req->arena, sizeof(void *) * (size_t)(n ? n : 1));
}

static bool s_scoped(request_t *req, Yx__RosterReply *reply)
{
    if (scope_apply(req->db, req->principal) == 0) return true;
    request_fail(reply, 503, "the database did not answer");
    return false;
}

void op_list_districts(request_t *req, const Yx__ListDistricts *op, Yx__RosterReply *reply)
{
    const char *params[3] = {req->county_id};
    int n;
    char *next;
    PGresult *res = s_page(
        req,
        "SELECT d.id, d.name, d.status, (SELECT count(*) FROM roster.schools s WHERE"
        " s.county_id = d.county_id AND s.district_id = d.id AND s.status = 'active')"
        " FROM roster.districts d WHERE d.county_id = $1 AND d.id > $2 ORDER BY d.id LIMIT $3",
        1, params, op->page, &n, &next);
    if (!res) return request_fail(reply, 503, "the database did not answer");
    Yx__DistrictList *list = yx_arena_alloc(req->arena, sizeof *list);
    yx__district_list__init(list);
    list->items = s_items(req, n);
    for (int i = 0; i < n; i++) {
        Yx__District *d = yx_arena_alloc(req->arena, sizeof *d);
        yx__district__init(d);
        d->id = s_dup(req, res, i, 0);
        d->name = s_dup(req, res, i, 1);
        d->status = s_dup(req, res, i, 2);
        d->school_count = (uint32_t)atoi(PQgetvalue(res, i, 3));
        list->items[list->n_items++] = d;
    }
    list->next_cursor = next;
    PQclear(res);
    reply->result_case = YX__ROSTER_REPLY__RESULT_DISTRICTS;
    reply->districts = list;
}

#define SCHOOL_COLUMNS                                                                           \
    "SELECT s.id, s.name, s.identifier, s.district_id, s.status, (SELECT count(*) FROM"         \
    " roster.users u WHERE u.school_id = s.id AND u.role = 'teacher' AND u.status = 'active')" \
    " FROM roster.schools s "

static Yx__School *s_school(request_t *req, PGresult *res, int i)
{
    Yx__School *s = yx_arena_alloc(req->arena, sizeof *s);
    yx__school__init(s);
    s->id = s_dup(req, res, i, 0);
    s->name = s_dup(req, res, i, 1);
    s->identifier = s_dup(req, res, i, 2);
    s->district_id = s_dup(req, res, i, 3);
    s->status = s_dup(req, res, i, 4);
    s->teacher_count = (uint32_t)atoi(PQgetvalue(res, i, 5));
    return s;
}

/* The one school a school admin or teacher belongs to; "" for county roles. */
static const char *s_own_school(request_t *req)
{
    if (req->principal->role == YX__ROLE__ROLE_SCHOOL_ADMIN) return req->principal->school_id;
    if (req->principal->role != YX__ROLE__ROLE_TEACHER) return "";
    const char *const params[] = {req->principal->teacher_id};
    PGresult *res = yx_db_query(req->db, "SELECT school_id FROM roster.users WHERE id = $1", 1,
                                params);
    const char *school = res && PQntuples(res) ? s_dup(req, res, 0, 0) : "\x01none";
    PQclear(res);
    return school;
}

void op_list_schools(request_t *req, const Yx__ListSchools *op, Yx__RosterReply *reply)
{
    if (!s_scoped(req, reply)) return;
    const char *params[5] = {req->county_id, op->district_id, s_own_school(req)};
    int n;
    char *next;
    PGresult *res = s_page(req,
                           SCHOOL_COLUMNS "WHERE s.county_id = $1 AND ($2 = '' OR s.district_id = $2)"
                                          " AND ($3 = '' OR s.id = $3) AND s.id > $4"
                                          " ORDER BY s.id LIMIT $5",
                           3, params, op->page, &n, &next);
    if (!res) return request_fail(reply, 503, "the database did not answer");
    Yx__SchoolList *list = yx_arena_alloc(req->arena, sizeof *list);
    yx__school_list__init(list);
    list->items = s_items(req, n);
    for (int i = 0; i < n; i++)
        list->items[list->n_items++] = s_school(req, res, i);
    list->next_cursor = next;
    PQclear(res);
    reply->result_case = YX__ROSTER_REPLY__RESULT_SCHOOLS;
    reply->schools = list;
}

/* 404 unless the school exists and the principal may see it. */
static bool s_visible_school(request_t *req, const char *school_id, Yx__RosterReply *reply,
                             PGresult **out)
{
    if (!s_scoped(req, reply)) return false;
    const char *own = s_own_school(req);
    const char *const params[] = {req->county_id, school_id};
    PGresult *res =
        yx_db_query(req->db, SCHOOL_COLUMNS "WHERE s.county_id = $1 AND s.id = $2", 2, params);
    if (!res) {
        request_fail(reply, 503, "the database did not answer");
        return false;
    }
    if (!PQntuples(res) || (*own && strcmp(own, school_id) != 0)) {
        PQclear(res);
        request_fail(reply, 404, "no such school");
        return false;
    }
    if (out)
        *out = res;
    else
        PQclear(res);
    return true;
}

void op_get_school(request_t *req, const Yx__GetSchool *op, Yx__RosterReply *reply)
{
    PGresult *res;
    if (!s_visible_school(req, op->school_id, reply, &res)) return;
    reply->result_case = YX__ROSTER_REPLY__RESULT_SCHOOL;
    reply->school = s_school(req, res, 0);
    PQclear(res);
}

#define TEACHER_COLUMNS                                                                      \
    "SELECT id, school_id, given_name, family_name, username, identifier, email, phone,"   \
    " subject, grades, status FROM roster.users "

static Yx__Teacher *s_teacher(request_t *req, PGresult *res, int i)
{
    Yx__Teacher *t = yx_arena_alloc(req->arena, sizeof *t);
    yx__teacher__init(t);
    t->id = s_dup(req, res, i, 0);
    t->school_id = s_dup(req, res, i, 1);
    t->given_name = s_dup(req, res, i, 2);
    t->family_name = s_dup(req, res, i, 3);
    t->username = s_dup(req, res, i, 4);
    t->identifier = s_dup(req, res, i, 5);
    t->email = s_dup(req, res, i, 6);
    t->phone = s_dup(req, res, i, 7);
    t->subject = s_dup(req, res, i, 8);
    t->grade = s_dup(req, res, i, 9);
    t->status = s_dup(req, res, i, 10);
    /* Chinese names read family name first with no space; Latin ones given name first */
    bool cjk = (unsigned char)t->family_name[0] >= 0x80;
    t->name = yx_arena_printf(req->arena, "%s%s%s", cjk ? t->family_name : t->given_name,
                              *t->given_name && *t->family_name && !cjk ? " " : "",
                              cjk ? t->given_name : t->family_name);
    return t;
}

void op_list_teachers(request_t *req, const Yx__ListTeachers *op, Yx__RosterReply *reply)
{
    if (req->principal->role == YX__ROLE__ROLE_TEACHER)
        return request_fail(reply, 403, "teachers may read only their own record");
    if (!s_visible_school(req, op->school_id, reply, NULL)) return;
    const char *params[3] = {op->school_id};
    int n;
    char *next;
    PGresult *res = s_page(req,
                           TEACHER_COLUMNS "WHERE school_id = $1 AND role = 'teacher' AND id > $2"
                                           " ORDER BY id LIMIT $3",
                           1, params, op->page, &n, &next);
    if (!res) return request_fail(reply, 503, "the database did not answer");
    Yx__TeacherList *list = yx_arena_alloc(req->arena, sizeof *list);
    yx__teacher_list__init(list);
    list->items = s_items(req, n);
    for (int i = 0; i < n; i++)
        list->items[list->n_items++] = s_teacher(req, res, i);
    list->next_cursor = next;
    PQclear(res);
    reply->result_case = YX__ROSTER_REPLY__RESULT_TEACHERS;
    reply->teachers = list;
}

void op_list_groups(request_t *req, const Yx__ListGroups *op, Yx__RosterReply *reply)
{
    if (req->principal->role == YX__ROLE__ROLE_TEACHER)
        return request_fail(reply, 403, "teachers may read only their own record");
    if (!s_visible_school(req, op->school_id, reply, NULL)) return;
    const char *params[3] = {op->school_id};
    int n;
    char *next;
    PGresult *res = s_page(
        req,
        "SELECT g.id, g.name, g.type, g.subject, g.grades, g.parent_id, g.leader_id, g.status,"
        " (SELECT count(*) FROM roster.group_members m WHERE m.school_id = g.school_id AND"
        " m.group_id = g.id AND m.status = 'active') FROM roster.groups g"
        " WHERE g.school_id = $1 AND g.id > $2 ORDER BY g.id LIMIT $3",
        1, params, op->page, &n, &next);
    if (!res) return request_fail(reply, 503, "the database did not answer");
    Yx__GroupList *list = yx_arena_alloc(req->arena, sizeof *list);
    yx__group_list__init(list);
    list->items = s_items(req, n);
    for (int i = 0; i < n; i++) {
        Yx__Group *g = yx_arena_alloc(req->arena, sizeof *g);
        yx__group__init(g);
        g->id = s_dup(req, res, i, 0);
        g->school_id = (char *)op->school_id;
        g->name = s_dup(req, res, i, 1);
        g->type = s_dup(req, res, i, 2);
        g->subject = s_dup(req, res, i, 3);
        g->grade = s_dup(req, res, i, 4);
        g->parent_id = s_dup(req, res, i, 5);
        g->leader_id = s_dup(req, res, i, 6);
        g->status = s_dup(req, res, i, 7);
        g->member_count = (uint32_t)atoi(PQgetvalue(res, i, 8));
        list->items[list->n_items++] = g;
    }
    list->next_cursor = next;
    PQclear(res);
    reply->result_case = YX__ROSTER_REPLY__RESULT_GROUPS;
    reply->groups = list;
}

/* A teacher's groups (member or leader) and active mentor pairs. */
static int s_teacher_links(request_t *req, Yx__Teacher *t)
{
    const char *const params[] = {t->school_id, t->id};
    PGresult *res = yx_db_query(
        req->db,
        "SELECT g.id, g.name, g.type, CASE WHEN g.leader_id = $2 THEN 'leader' ELSE 'member' END"
        " FROM roster.groups g WHERE g.school_id = $1 AND g.status = 'active' AND"
        " (g.leader_id = $2 OR EXISTS (SELECT 1 FROM roster.group_members m WHERE"
        "  m.school_id = $1 AND m.group_id = g.id AND m.user_id = $2 AND m.status = 'active'))"
        " ORDER BY g.type DESC, g.name",
        2, params);
    if (!res) return -1;
    int n = PQntuples(res);
    t->groups = s_items(req, n);
    for (int i = 0; i < n; i++) {
        Yx__GroupRef *g = yx_arena_alloc(req->arena, sizeof *g);
        yx__group_ref__init(g);
        g->id = s_dup(req, res, i, 0);
        g->name = s_dup(req, res, i, 1);
        g->type = s_dup(req, res, i, 2);
        g->role = s_dup(req, res, i, 3);
        t->groups[t->n_groups++] = g;
    }
    PQclear(res);
    res = yx_db_query(req->db,
                      "SELECT mentor_id, mentee_id FROM roster.mentor_pairs WHERE school_id = $1"
                      " AND status = 'active' AND (mentor_id = $2 OR mentee_id = $2) ORDER BY id",
                      2, params);
    if (!res) return -1;
    n = PQntuples(res);
    t->mentor_ids = s_items(req, n);
    t->mentee_ids = s_items(req, n);
    for (int i = 0; i < n; i++) {
        if (strcmp(PQgetvalue(res, i, 1), t->id) == 0)
            t->mentor_ids[t->n_mentor_ids++] = s_dup(req, res, i, 0);
        else
            t->mentee_ids[t->n_mentee_ids++] = s_dup(req, res, i, 1);
    }
    PQclear(res);
    return 0;
}

void op_get_teacher(request_t *req, const Yx__GetTeacher *op, Yx__RosterReply *reply)
{
    if (req->principal->role == YX__ROLE__ROLE_TEACHER &&
        strcmp(req->principal->teacher_id, op->teacher_id) != 0)
        return request_fail(reply, 403, "teachers may read only their own record");
    if (!s_scoped(req, reply)) return;
    const char *const params[] = {op->teacher_id};
    PGresult *res =
        yx_db_query(req->db, TEACHER_COLUMNS "WHERE id = $1 AND role = 'teacher'", 1, params);
    if (!res) return request_fail(reply, 503, "the database did not answer");
    /* row-level security already hides other schools; check again in case it is off */
    const char *own = s_own_school(req);
    if (!PQntuples(res) || (*own && strcmp(own, PQgetvalue(res, 0, 1)) != 0)) {
        PQclear(res);
        return request_fail(reply, 404, "no such teacher");
    }
    Yx__Teacher *t = s_teacher(req, res, 0);
    PQclear(res);
    if (s_teacher_links(req, t) < 0) return request_fail(reply, 503, "the database did not answer");
    reply->result_case = YX__ROSTER_REPLY__RESULT_TEACHER;
    reply->teacher = t;
}

/* "{platform:id},{ldap:x}" -> "platform:id", "ldap:x" */
static void s_platform_ids(request_t *req, const char *user_ids, Yx__Identity *out)
{
    size_t cap = 1;
    for (const char *p = user_ids; *p; p++)
        cap += *p == ',';
    out->platform_ids = s_items(req, (int)cap);
    for (const char *p = user_ids; *p;) {
        size_t n = strcspn(p, ",");
        const char *start = p, *end = p + n;
        while (start < end && (*start == '{' || *start == ' '))
            start++;
        while (end > start && (end[-1] == '}' || end[-1] == ' '))
            end--;
        if (end > start)
            out->platform_ids[out->n_platform_ids++] =
                yx_arena_strndup(req->arena, start, (size_t)(end - start));
        p += n + (p[n] == ',');
    }
}

#define MAX_IDENTITIES_PAGE 5000

void op_list_identities(request_t *req, const Yx__ListIdentities *op, Yx__RosterReply *reply)
{
    if (req->principal->role != YX__ROLE__ROLE_SYSTEM)
        return request_fail(reply, 403, "identities are for services only");
    if (!s_scoped(req, reply)) return;
    Yx__IdentityList *list = yx_arena_alloc(req->arena, sizeof *list);
    yx__identity_list__init(list);
    reply->result_case = YX__ROSTER_REPLY__RESULT_IDENTITIES;
    reply->identities = list;
    const char *cursor = s_cursor(op->page);
    if (!*cursor) {
        /* every change to a teacher is an outbox event: its counter is the version */
        PGresult *res = yx_db_query(req->db, "SELECT last FROM roster.outbox_counter", 0, NULL);
        if (!res) return request_fail(reply, 503, "the database did not answer");
        list->version = PQntuples(res) ? strtoull(PQgetvalue(res, 0, 0), NULL, 10) : 0;
        PQclear(res);
        list->unchanged = op->known_version && op->known_version == list->version;
        if (list->unchanged) return;
    }
    unsigned limit = op->page && op->page->limit ? op->page->limit : DEFAULT_LIMIT;
    if (limit > MAX_IDENTITIES_PAGE) limit = MAX_IDENTITIES_PAGE;
    char limit_text[16];
    snprintf(limit_text, sizeof limit_text, "%u", limit + 1);
    const char *const params[] = {req->county_id, cursor, limit_text};
    /* the district comes from a per-row index lookup: a join lets the planner, misled by
     * the row-level security filter, loop over every school for every teacher */
    PGresult *res = yx_db_query(
        req->db,
        "SELECT u.id, u.school_id, coalesce((SELECT s.district_id FROM roster.schools s"
        " WHERE s.county_id = $1 AND s.id = u.school_id), ''), u.email, u.status,"
        " u.family_name || u.given_name, u.user_ids FROM roster.users u"
        " WHERE u.role = 'teacher' AND u.id > $2 ORDER BY u.id LIMIT $3::int",
        3, params);
    if (!res) return request_fail(reply, 503, "the database did not answer");
    int n = PQntuples(res);
    int shown = n > (int)limit ? (int)limit : n;
    list->items = s_items(req, shown);
    for (int i = 0; i < shown; i++) {
        Yx__Identity *id = yx_arena_alloc(req->arena, sizeof *id);
        yx__identity__init(id);
        id->teacher_id = s_dup(req, res, i, 0);
        id->school_id = s_dup(req, res, i, 1);
        id->district_id = s_dup(req, res, i, 2);
        id->email = s_dup(req, res, i, 3);
        id->status = s_dup(req, res, i, 4);
        id->name = s_dup(req, res, i, 5);
        s_platform_ids(req, PQgetvalue(res, i, 6), id);
        list->items[list->n_items++] = id;
    }
    list->next_cursor = n > shown ? s_dup(req, res, shown - 1, 0) : "";
    PQclear(res);
}
