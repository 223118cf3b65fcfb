/* Checks an upload against itself and the store before anything is written: every
 * reference resolves, and a school admin touches only its own school. Lookups of ids not
 * in the upload go to the store in one query per table. */
#include "scope.h"
#include "sync.h"
#include "yx_db.h"
#include "yx_pgarray.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    entity_id_t from;
    const char *column; /* NULL: the row's school (tenant) */
    entity_id_t to;
    bool list;          /* a comma-separated list of ids */
} reference_t;

static const reference_t s_references[] = {
    {E_SCHOOLS, "district_id", E_DISTRICTS, false},
    {E_SESSIONS, "parent_id", E_SESSIONS, false},
    {E_USERS, NULL, E_SCHOOLS, false},
    {E_COURSES, NULL, E_SCHOOLS, false},
    {E_COURSES, "school_year_id", E_SESSIONS, false},
    {E_CLASSES, NULL, E_SCHOOLS, false},
    {E_CLASSES, "course_id", E_COURSES, false},
    {E_CLASSES, "term_ids", E_SESSIONS, true},
    {E_ENROLLMENTS, NULL, E_SCHOOLS, false},
    {E_ENROLLMENTS, "class_id", E_CLASSES, false},
    {E_ENROLLMENTS, "user_id", E_USERS, false},
    {E_GROUPS, NULL, E_SCHOOLS, false},
    {E_GROUPS, "parent_id", E_GROUPS, false},
    {E_GROUPS, "leader_id", E_USERS, false},
    {E_GROUP_MEMBERS, "group_id", E_GROUPS, false},
    {E_GROUP_MEMBERS, "user_id", E_USERS, false},
    {E_MENTOR_PAIRS, NULL, E_SCHOOLS, false},
    {E_MENTOR_PAIRS, "mentor_id", E_USERS, false},
    {E_MENTOR_PAIRS, "mentee_id", E_USERS, false},
};
#define N_REFERENCES (sizeof s_references / sizeof s_references[0])

typedef struct {
    yx_strmap_t *seen[E_COUNT];   /* ids already asked for */
    yx_pgarray_t wanted[E_COUNT]; /* ids to look up in the store */
    yx_strmap_t *stored[E_COUNT]; /* id -> tenant of active stored rows */
} lookup_t;

/* Calls fn for every id a row's reference names. */
typedef void(id_fn)(sync_t *self, lookup_t *lk, const reference_t *ref, const row_t *row,
                    const char *id);

static void s_each_id(sync_t *self, lookup_t *lk, const reference_t *ref, const row_t *row,
                      id_fn *fn)
{
    const entity_t *entity = &roster_entities[ref->from];
    if (!ref->column) return fn(self, lk, ref, row, row->tenant);
    const char *value = row->values[entity_field(entity, ref->column)];
    if (!value || !*value) return;
    if (!ref->list) return fn(self, lk, ref, row, value);
    for (const char *p = value; *p;) {
        size_t n = strcspn(p, ",");
        const char *id = yx_arena_strndup(self->arena, p, n);
        while (*id == ' ')
            id++;
        if (*id) fn(self, lk, ref, row, id);
        p += n + (p[n] == ',');
    }
}

static void s_want(sync_t *self, lookup_t *lk, const reference_t *ref, const row_t *row,
                   const char *id)
{
    (void)self;
    (void)row;
    if (!sync_find_row(self, ref->to, id) && yx_strmap_put(lk->seen[ref->to], id, (void *)id) == 0)
        yx_pgarray_add(&lk->wanted[ref->to], id);
}

/* The tenant of a referenced row: from the upload, else the store; NULL when unknown. */
static const char *s_tenant_of(sync_t *self, lookup_t *lk, entity_id_t to, const char *id)
{
    const row_t *row = sync_find_row(self, to, id);
    return row ? row->tenant : yx_strmap_get(lk->stored[to], id);
}

static const char *const s_nouns[E_COUNT] = {
    "district", "school", "academic session", "user", "course",
    "class", "enrollment", "group", "group membership", "mentor pair"};

static const char *s_header(const reference_t *ref)
{
    const entity_t *entity = &roster_entities[ref->from];
    if (!ref->column) return entity->school_header;
    return entity->fields[entity_field(entity, ref->column)].header;
}

static void s_check(sync_t *self, lookup_t *lk, const reference_t *ref, const row_t *row,
                    const char *id)
{
    const entity_t *to = &roster_entities[ref->to];
    const char *tenant = s_tenant_of(self, lk, ref->to, id);
    if (!tenant) {
        sync_problem(self, self->file_names[ref->from], row->line, s_header(ref), "unknown %s '%s'",
                     s_nouns[ref->to], id);
        return;
    }
    if (!to->county_scoped && !sync_is_county(self) &&
        strcmp(tenant, self->principal->school_id) != 0)
        sync_forbidden(self, self->file_names[ref->from], row->line, s_header(ref),
                       "'%s' belongs to another school", id);
}

/* One query per table for the ids the upload names but does not carry. */
static int s_fetch(sync_t *self, lookup_t *lk)
{
    if (scope_widen(self->db) < 0) return -1;
    for (int e = 0; e < E_COUNT; e++) {
        if (!lk->wanted[e].count) continue;
        const entity_t *entity = &roster_entities[e];
        char sql[256];
        snprintf(sql, sizeof sql,
                 "SELECT id, %s FROM roster.%s WHERE id = ANY($1::text[]) AND status = 'active'",
                 entity->county_scoped ? "county_id" : "school_id", entity->table);
        const char *const params[] = {yx_pgarray_text(&lk->wanted[e])};
        PGresult *res = yx_db_query(self->db, sql, 1, params);
        if (!res) return -1;
        for (int i = 0; i < PQntuples(res); i++)
            yx_strmap_put(lk->stored[e], yx_arena_strdup(self->arena, PQgetvalue(res, i, 0)),
                          yx_arena_strdup(self->arena, PQgetvalue(res, i, 1)));
        PQclear(res);
    }
    return scope_apply(self->db, self->principal);
}

static void s_each_reference(sync_t *self, lookup_t *lk, id_fn *fn)
{
    for (size_t i = 0; i < N_REFERENCES; i++) {
        const rowset_t *set = &self->sets[s_references[i].from];
        for (size_t r = 0; r < set->count; r++)
            if (set->rows[r].active) s_each_id(self, lk, &s_references[i], &set->rows[r], fn);
    }
}

/* A membership belongs to its group's school, known only once groups are resolved. */
static void s_member_tenants(sync_t *self, lookup_t *lk)
{
    rowset_t *set = &self->sets[E_GROUP_MEMBERS];
    for (size_t r = 0; r < set->count; r++) {
        const char *tenant = s_tenant_of(self, lk, E_GROUPS, set->rows[r].values[0]);
        set->rows[r].tenant = tenant ? tenant : "";
    }
}

/* A school admin's upload may carry its own school and nothing county-wide. */
static void s_check_scope(sync_t *self)
{
    if (sync_is_county(self)) return;
    const char *own = self->principal->school_id;
    const rowset_t *districts = &self->sets[E_DISTRICTS];
    for (size_t r = 0; r < districts->count; r++)
        sync_forbidden(self, "orgs.csv", districts->rows[r].line, "type",
                       "only the county may change districts ('%s')", districts->rows[r].id);
    for (int e = 0; e < E_COUNT; e++) {
        const rowset_t *set = &self->sets[e];
        const entity_t *entity = set->entity;
        if (e == E_DISTRICTS || (entity->county_scoped && e != E_SCHOOLS)) continue;
        for (size_t r = 0; r < set->count; r++) {
            const row_t *row = &set->rows[r];
            const char *school = e == E_SCHOOLS ? row->id : row->tenant;
            if (*school && strcmp(school, own) != 0)
                sync_forbidden(self, self->file_names[e], row->line,
                               e == E_SCHOOLS ? "sourcedId" : entity->school_header,
                               "school '%s' is not yours", school);
        }
    }
}

/* Bulk: the upload is the whole truth for the schools it lists. */
static void s_cover_schools(sync_t *self)
{
    if (self->delta) return;
    const rowset_t *schools = &self->sets[E_SCHOOLS];
    for (size_t r = 0; r < schools->count; r++)
        yx_strmap_put(self->covered_schools, schools->rows[r].id, (void *)schools->rows[r].id);
    if (!schools->count && !sync_is_county(self))
        yx_strmap_put(self->covered_schools, self->principal->school_id,
                      (void *)self->principal->school_id);
    if (!yx_strmap_size(self->covered_schools))
        sync_warning(self, "orgs.csv", 0, NULL,
                     "no school listed in orgs.csv: rows absent from the bundle were left as "
                     "they are");
}

/* OneRoster allows a user's role and their enrollment role to disagree; say so. */
static void s_check_roles(sync_t *self)
{
    const rowset_t *set = &self->sets[E_ENROLLMENTS];
    int role = entity_field(&roster_entities[E_ENROLLMENTS], "role");
    int user_role = entity_field(&roster_entities[E_USERS], "role");
    for (size_t r = 0; r < set->count; r++) {
        const row_t *user = sync_find_row(self, E_USERS, set->rows[r].values[1]);
        if (user && strcmp(user->values[user_role], set->rows[r].values[role]) != 0)
            sync_warning(self, self->file_names[E_ENROLLMENTS], set->rows[r].line, "role",
                         "enrolled as %s but users.csv says %s", set->rows[r].values[role],
                         user->values[user_role]);
    }
}

void references_check(sync_t *self)
{
    lookup_t lk;
    for (int e = 0; e < E_COUNT; e++) {
        lk.seen[e] = yx_strmap_new(256);
        lk.stored[e] = yx_strmap_new(256);
        yx_pgarray_init(&lk.wanted[e]);
    }
    s_check_scope(self);
    s_cover_schools(self);
    s_check_roles(self);
    s_each_reference(self, &lk, s_want);
    if (s_fetch(self, &lk) < 0) {
        sync_problem(self, NULL, 0, NULL, "could not look up references: %s",
                     yx_db_last_error());
    } else {
        s_member_tenants(self, &lk);
        s_each_reference(self, &lk, s_check);
    }
    for (int e = 0; e < E_COUNT; e++) {
        yx_strmap_destroy(&lk.seen[e]);
        yx_strmap_destroy(&lk.stored[e]);
        yx_pgarray_free(&lk.wanted[e]);
    }
}
