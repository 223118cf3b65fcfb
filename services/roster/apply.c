/* Writes the difference between an upload and the store: per table, one query reads what
 * is stored, the comparison happens here in memory, new and changed rows go through COPY
 * into a staging table and two set-based statements, and deactivations are one statement
 * with the ids bound as arrays. A re-sync that changes nothing writes nothing. */
#include "scope.h"
#include "sync.h"
#include "yx_copy.h"
#include "yx_db.h"
#include "yx_pgarray.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "yx_log.h"

#define MAX_COLS 20 /* tenant, id, up to 16 fields, status, old tenant */

typedef struct {
    int ncols;
    yx_pgarray_t cols[MAX_COLS];
} batch_t;

/* New and changed rows: old tenant (NULL for a new row), tenant, id, fields, status. */
static int s_stage_row(yx_copy_t *stage, const char *old_tenant, const row_t *row, int nf)
{
    int rc = yx_copy_field(stage, old_tenant) | yx_copy_field(stage, row->tenant) |
             yx_copy_field(stage, row->id);
    for (int f = 0; f < nf; f++)
        rc |= yx_copy_field(stage, row->values[f]);
    return rc | yx_copy_field(stage, row->active ? "active" : "inactive") | yx_copy_end_row(stage);
}

typedef struct {
    yx_pgarray_t topic, tenant, subject;
} events_t;

static void s_batch_init(batch_t *b, int ncols)
{
    b->ncols = ncols;
    for (int i = 0; i < ncols; i++)
        yx_pgarray_init(&b->cols[i]);
}

static void s_batch_free(batch_t *b)
{
    for (int i = 0; i < b->ncols; i++)
        yx_pgarray_free(&b->cols[i]);
}

static int s_batch_run(sync_t *self, batch_t *b, const char *sql)
{
    if (!b->cols[0].count) return 0;
    const char *params[MAX_COLS];
    for (int i = 0; i < b->ncols; i++)
        params[i] = yx_pgarray_text(&b->cols[i]);
    return yx_db_exec(self->db, sql, b->ncols, params);
}

static const char *s_tenant_column(const entity_t *e)
{
    return e->county_scoped ? "county_id" : "school_id";
}

/* The comma-separated field columns, each with a prefix. */
static void s_columns(char *out, size_t size, const entity_t *e, const char *fmt)
{
    size_t len = 0;
    for (int i = 0; i < e->nfields && len < size; i++)
        len += (size_t)snprintf(out + len, size - len, fmt, e->fields[i].column,
                                e->fields[i].column);
}

static void s_event(events_t *ev, const char *topic, const char *tenant, const char *subject)
{
    yx_pgarray_add(&ev->topic, topic);
    yx_pgarray_add(&ev->tenant, tenant);
    yx_pgarray_add(&ev->subject, subject);
}

/* Which events a changed row announces: teachers, schools and groups are what others
 * follow. */
static void s_announce(const entity_t *e, const char *change, const char *tenant, const char *id,
                       const char *const *values, events_t *ev)
{
    if (e->id == E_USERS && strcmp(values[entity_field(e, "role")], "teacher") == 0) {
        char topic[32];
        snprintf(topic, sizeof topic, "teacher.%s", change);
        s_event(ev, topic, tenant, id);
    } else if (e->id == E_SCHOOLS) { /* a school's 片区 is part of its teachers' identity */
        s_event(ev, "school.changed", tenant, id);
    } else if (e->id == E_GROUPS) {
        s_event(ev, "group.changed", tenant, id);
    } else if (e->id == E_GROUP_MEMBERS) {
        s_event(ev, "group.changed", tenant, values[entity_field(e, "group_id")]);
    }
}

typedef struct {
    PGresult *res;
    yx_strmap_t *by_id; /* id -> stored row index + 1 */
    bool *seen;
} stored_t;

/* A stored row's identity: a person's sourcedId is unique county-wide (they may move
 * between schools); every other row is known by its tenant and id. */
static const char *s_key(sync_t *self, const entity_t *e, const char *tenant, const char *id)
{
    return e->id == E_USERS ? id : yx_arena_printf(self->arena, "%s\x1f%s", tenant, id);
}

/* The stored rows the upload can touch: those of the tenants it covers or names, and for
 * people also those with its ids wherever they are. */
static int s_load_stored(sync_t *self, const entity_t *e, stored_t *st)
{
    yx_pgarray_t tenants, ids;
    yx_pgarray_init(&tenants);
    yx_pgarray_init(&ids);
    const rowset_t *set = &self->sets[e->id];
    yx_strmap_t *named = yx_strmap_new(64);
    if (e->county_scoped)
        yx_pgarray_add(&tenants, self->county_id);
    else if (!self->delta) { /* bulk: the covered schools, whose absent rows are deactivated */
        const rowset_t *schools = &self->sets[E_SCHOOLS];
        for (size_t r = 0; r < schools->count; r++)
            if (yx_strmap_put(named, schools->rows[r].id, (void *)1) == 0)
                yx_pgarray_add(&tenants, schools->rows[r].id);
        if (!schools->count && yx_strmap_size(self->covered_schools) &&
            yx_strmap_put(named, self->principal->school_id, (void *)1) == 0)
            yx_pgarray_add(&tenants, self->principal->school_id);
    }
    for (size_t r = 0; !e->county_scoped && r < set->count; r++)
        if (yx_strmap_put(named, set->rows[r].tenant, (void *)1) == 0)
            yx_pgarray_add(&tenants, set->rows[r].tenant);
    for (size_t r = 0; e->id == E_USERS && r < set->count; r++)
        yx_pgarray_add(&ids, set->rows[r].id);
    yx_strmap_destroy(&named);

    char cols[1024], sql[2048];
    s_columns(cols, sizeof cols, e, ", \"%s\"%.0s");
    snprintf(sql, sizeof sql,
             "SELECT %s, id%s, status FROM roster.%s WHERE %s = ANY($1::text[])%s",
             s_tenant_column(e), cols, e->table, s_tenant_column(e),
             e->id == E_USERS ? " OR id = ANY($2::text[])" : "");
    const char *const params[] = {yx_pgarray_text(&tenants), yx_pgarray_text(&ids)};
    /* a person's id may be taken in another school: look across schools */
    int rc = scope_widen(self->db);
    st->res = rc == 0 ? yx_db_query(self->db, sql, e->id == E_USERS ? 2 : 1, params) : NULL;
    yx_pgarray_free(&tenants);
    yx_pgarray_free(&ids);
    if (!st->res || scope_apply(self->db, self->principal) < 0) return -1;
    int n = PQntuples(st->res);
    st->by_id = yx_strmap_new((size_t)n + 16);
    st->seen = calloc((size_t)n + 1, 1);
    for (int i = 0; i < n; i++)
        yx_strmap_put(st->by_id, s_key(self, e, PQgetvalue(st->res, i, 0), PQgetvalue(st->res, i, 1)),
                      (void *)(uintptr_t)(i + 1));
    return 0;
}

static void s_stored_free(stored_t *st)
{
    PQclear(st->res);
    yx_strmap_destroy(&st->by_id);
    free(st->seen);
}

static int s_write(sync_t *self, const entity_t *e, const yx_copy_t *stage,
                   batch_t *deactivations)
{
    const char *tc = s_tenant_column(e);
    char cols[1024], typed[1024], sets[2048], sql[4096];
    s_columns(cols, sizeof cols, e, ", \"%s\"%.0s");
    if (stage->rows) {
        s_columns(typed, sizeof typed, e, ", \"%s\" text%.0s");
        s_columns(sets, sizeof sets, e, ", \"%s\" = s.\"%s\"");
        snprintf(sql, sizeof sql,
                 "CREATE TEMP TABLE stage_%s (old_tenant text, new_tenant text, id text%s,"
                 " status text) ON COMMIT DROP",
                 e->table, typed);
        if (yx_db_exec(self->db, sql, 0, NULL) < 0) return -1;
        snprintf(sql, sizeof sql, "COPY stage_%s FROM STDIN", e->table);
        if (yx_copy_send(self->db, sql, stage) < 0) return -1;
        snprintf(sql, sizeof sql,
                 "INSERT INTO roster.%s (%s, id%s, status) SELECT new_tenant, id%s, status"
                 " FROM stage_%s WHERE old_tenant IS NULL",
                 e->table, tc, cols, cols, e->table);
        if (yx_db_exec(self->db, sql, 0, NULL) < 0) return -1;
        snprintf(sql, sizeof sql,
                 "UPDATE roster.%s t SET %s = s.new_tenant%s, status = s.status,"
                 " updated_at = now() FROM stage_%s s"
                 " WHERE s.old_tenant IS NOT NULL AND t.%s = s.old_tenant AND t.id = s.id",
                 e->table, tc, sets, e->table, tc);
        if (yx_db_exec(self->db, sql, 0, NULL) < 0) return -1;
    }
    snprintf(sql, sizeof sql,
             "UPDATE roster.%s t SET status = 'inactive', updated_at = now()"
             " FROM unnest($1::text[], $2::text[]) AS u(tenant, id)"
             " WHERE t.%s = u.tenant AND t.id = u.id",
             e->table, tc);
    return s_batch_run(self, deactivations, sql);
}

static int s_apply_entity(sync_t *self, const entity_t *e, events_t *ev)
{
    rowset_t *set = &self->sets[e->id];
    counts_t *counts = &self->counts[e->id];
    stored_t st = {0};
    if (s_load_stored(self, e, &st) < 0) {
        s_stored_free(&st);
        return -1;
    }
    int nf = e->nfields, status_col = 2 + nf;
    yx_copy_t stage;
    yx_copy_init(&stage);
    batch_t deactivations;
    s_batch_init(&deactivations, 2);

    for (size_t r = 0; r < set->count; r++) {
        row_t *row = &set->rows[r];
        int i = (int)(uintptr_t)yx_strmap_get(st.by_id, s_key(self, e, row->tenant, row->id)) - 1;
        if (i >= 0) st.seen[i] = true;
        const char *stored_tenant = i >= 0 ? PQgetvalue(st.res, i, 0) : NULL;
        if (stored_tenant && strcmp(stored_tenant, row->tenant) != 0 && !sync_is_county(self)) {
            sync_forbidden(self, self->file_names[e->id], row->line, "sourcedId",
                           "'%s' already belongs to another school", row->id);
            continue;
        }
        for (int f = 0; f < nf; f++)
            if (!row->values[f]) row->values[f] = i >= 0 ? PQgetvalue(st.res, i, 2 + f) : "";
        bool stored_active = i >= 0 && strcmp(PQgetvalue(st.res, i, status_col), "active") == 0;
        if (!row->active && (i >= 0 || !self->keep_new_inactive)) {
            if (stored_active) {
                yx_pgarray_add(&deactivations.cols[0], stored_tenant);
                yx_pgarray_add(&deactivations.cols[1], row->id);
                counts->deactivated++;
                s_announce(e, "deactivated", stored_tenant, row->id, row->values, ev);
            } else
                counts->unchanged++;
            continue;
        }
        bool same = i >= 0 && stored_active && strcmp(stored_tenant, row->tenant) == 0;
        for (int f = 0; same && f < nf; f++)
            same = strcmp(row->values[f], PQgetvalue(st.res, i, 2 + f)) == 0;
        if (same) {
            counts->unchanged++;
            continue;
        }
        s_stage_row(&stage, stored_tenant, row, nf);
        if (i >= 0)
            counts->updated++;
        else
            counts->created++;
        s_announce(e, i >= 0 ? "updated" : "created", row->tenant, row->id, row->values, ev);
    }

    /* bulk: stored rows of covered schools that the upload no longer lists */
    int n = PQntuples(st.res);
    for (int i = 0; !e->county_scoped && !self->delta && set->present && i < n; i++) {
        const char *tenant = PQgetvalue(st.res, i, 0);
        if (st.seen[i] || strcmp(PQgetvalue(st.res, i, status_col), "active") != 0 ||
            !yx_strmap_get(self->covered_schools, tenant))
            continue;
        yx_pgarray_add(&deactivations.cols[0], tenant);
        yx_pgarray_add(&deactivations.cols[1], PQgetvalue(st.res, i, 1));
        counts->deactivated++;
        const char *values[MAX_COLS];
        for (int f = 0; f < nf; f++)
            values[f] = PQgetvalue(st.res, i, 2 + f);
        s_announce(e, "deactivated", tenant, PQgetvalue(st.res, i, 1), values, ev);
    }

    int rc = self->problems.count ? 0 : s_write(self, e, &stage, &deactivations);
    yx_copy_free(&stage);
    s_batch_free(&deactivations);
    s_stored_free(&st);
    return rc ? -1 : 0;
}

/* Events go to the outbox in the same transaction, numbered from the counter row so that
 * sequence order is commit order. */
static int s_write_events(sync_t *self, events_t *ev)
{
    if (!ev->topic.count || self->problems.count) return 0;
    char n[24];
    snprintf(n, sizeof n, "%zu", ev->topic.count);
    const char *const params[] = {n, yx_pgarray_text(&ev->topic), yx_pgarray_text(&ev->tenant),
                                  yx_pgarray_text(&ev->subject), self->request_id};
    return yx_db_exec(
        self->db,
        "WITH c AS (UPDATE roster.outbox_counter SET last = last + $1::bigint RETURNING last)"
        " INSERT INTO roster.outbox (seq, topic, tenant, subject_id, payload)"
        " SELECT c.last - $1::bigint + e.n, e.topic, e.tenant, e.subject,"
        "        jsonb_build_object('request_id', $5::text)"
        " FROM c, unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY"
        "      AS e(topic, tenant, subject, n)",
        5, params);
}

int apply_all(sync_t *self)
{
    events_t ev;
    yx_pgarray_init(&ev.topic);
    yx_pgarray_init(&ev.tenant);
    yx_pgarray_init(&ev.subject);
    int rc = 0;
    /* entity order is dependency order: parents exist before children name them */
    for (int e = 0; rc == 0 && e < E_COUNT; e++) {
        if (!self->sets[e].present) continue;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        rc = s_apply_entity(self, &roster_entities[e], &ev);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        yx_debug(self->request_id, "%s: %zu rows in %.1f ms", roster_entities[e].table,
                 self->sets[e].count,
                 (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    }
    if (rc == 0) rc = s_write_events(self, &ev);
    yx_pgarray_free(&ev.topic);
    yx_pgarray_free(&ev.tenant);
    yx_pgarray_free(&ev.subject);
    return rc;
}
