/* The life of one upload: problems, rows, and the pipeline that turns them into a reply. */
#include "sync.h"
#include "request.h"
#include "scope.h"
#include "yx_csv.h"
#include "yx_db.h"
#include "yx_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

sync_t *sync_new(PGconn *db, const Yx__Principal *principal, const char *county_id,
                 const char *request_id, yx_arena_t *arena)
{
    sync_t *self = calloc(1, sizeof *self);
    if (!self) return NULL;
    self->arena = arena;
    self->covered_schools = yx_strmap_new(64);
    self->db = db;
    self->principal = principal;
    self->county_id = county_id;
    self->request_id = request_id;
    for (int e = 0; e < E_COUNT; e++) {
        self->sets[e].entity = &roster_entities[e];
        self->sets[e].by_id = yx_strmap_new(1024);
        self->file_names[e] = roster_entities[e].file;
    }
    return self;
}

void sync_destroy(sync_t **self_p)
{
    sync_t *self = *self_p;
    if (!self) return;
    for (int e = 0; e < E_COUNT; e++) {
        free(self->sets[e].rows);
        yx_strmap_destroy(&self->sets[e].by_id);
    }
    for (int i = 0; i < self->ntables; i++)
        yx_csv_destroy(&self->tables[i]);
    free(self->problems.items);
    free(self->warnings.items);
    yx_strmap_destroy(&self->covered_schools);
    free(self);
    *self_p = NULL;
}

static void s_add(sync_t *self, problems_t *list, const char *file, unsigned line,
                  const char *column, const char *fmt, va_list ap)
{
    if (list->count >= MAX_PROBLEMS) {
        list->dropped++;
        return;
    }
    if (list->count == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 16;
        problem_t *items = realloc(list->items, cap * sizeof *items);
        if (!items) return;
        list->items = items;
        list->cap = cap;
    }
    char reason[512];
    vsnprintf(reason, sizeof reason, fmt, ap);
    list->items[list->count++] = (problem_t){
        .file = file ? yx_arena_strdup(self->arena, file) : "",
        .column = column ? yx_arena_strdup(self->arena, column) : "",
        .reason = yx_arena_strdup(self->arena, reason),
        .line = line,
    };
}

void sync_problem(sync_t *self, const char *file, unsigned line, const char *column,
                  const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_add(self, &self->problems, file, line, column, fmt, ap);
    va_end(ap);
}

void sync_warning(sync_t *self, const char *file, unsigned line, const char *column,
                  const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_add(self, &self->warnings, file, line, column, fmt, ap);
    va_end(ap);
}

void sync_forbidden(sync_t *self, const char *file, unsigned line, const char *column,
                    const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_add(self, &self->problems, file, line, column, fmt, ap);
    va_end(ap);
    self->out_of_scope = true;
}

row_t *sync_add_row(sync_t *self, entity_id_t entity, const char *tenant, const char *id,
                    unsigned line)
{
    rowset_t *set = &self->sets[entity];
    if (yx_strmap_get(set->by_id, id)) return NULL;
    if (set->count == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 256;
        row_t *rows = realloc(set->rows, cap * sizeof *rows);
        if (!rows) return NULL;
        set->rows = rows;
        set->cap = cap;
    }
    const char **values = yx_arena_alloc(self->arena, sizeof(char *) * set->entity->nfields);
    if (!values) return NULL;
    row_t *row = &set->rows[set->count++];
    *row = (row_t){.tenant = tenant, .id = id, .values = values, .active = true, .line = line};
    yx_strmap_put(set->by_id, id, (void *)(uintptr_t)set->count);
    return row;
}

row_t *sync_find_row(const sync_t *self, entity_id_t entity, const char *id)
{
    uintptr_t index = (uintptr_t)yx_strmap_get(self->sets[entity].by_id, id);
    return index ? &self->sets[entity].rows[index - 1] : NULL;
}

bool sync_is_county(const sync_t *self)
{
    return self->principal->role == YX__ROLE__ROLE_COUNTY_ADMIN;
}

static Yx__Problem **s_reply_problems(sync_t *self, const problems_t *list, size_t *n)
{
    size_t total = list->count + (list->dropped ? 1 : 0);
    Yx__Problem **out = yx_arena_alloc(self->arena, sizeof *out * (total ? total : 1));
    for (size_t i = 0; i < list->count; i++) {
        out[i] = yx_arena_alloc(self->arena, sizeof **out);
        yx__problem__init(out[i]);
        out[i]->file = (char *)list->items[i].file;
        out[i]->line = list->items[i].line;
        out[i]->column = (char *)list->items[i].column;
        out[i]->reason = (char *)list->items[i].reason;
    }
    if (list->dropped) {
        out[list->count] = yx_arena_alloc(self->arena, sizeof **out);
        yx__problem__init(out[list->count]);
        out[list->count]->reason =
            yx_arena_printf(self->arena, "%zu more problems not listed", list->dropped);
    }
    *n = total;
    return out;
}

static void s_fill_report(sync_t *self, Yx__RosterReply *reply, bool applied)
{
    Yx__SyncReport *report = yx_arena_alloc(self->arena, sizeof *report);
    yx__sync_report__init(report);
    report->dry_run = self->dry_run;
    report->applied = applied;
    report->files = yx_arena_alloc(self->arena, sizeof *report->files * E_COUNT);
    for (int e = 0; e < E_COUNT; e++) {
        if (!self->sets[e].present) continue;
        /* orgs.csv feeds two tables; one line in the report */
        const char *file = self->file_names[e];
        Yx__FileReport *fr = NULL;
        for (size_t i = 0; i < report->n_files; i++)
            if (strcmp(report->files[i]->file, file) == 0) fr = report->files[i];
        if (!fr) {
            fr = yx_arena_alloc(self->arena, sizeof *fr);
            yx__file_report__init(fr);
            fr->file = (char *)file;
            report->files[report->n_files++] = fr;
        }
        fr->created += self->counts[e].created;
        fr->updated += self->counts[e].updated;
        fr->deactivated += self->counts[e].deactivated;
        fr->unchanged += self->counts[e].unchanged;
    }
    report->warnings = s_reply_problems(self, &self->warnings, &report->n_warnings);
    reply->result_case = YX__ROSTER_REPLY__RESULT_SYNC_REPORT;
    reply->sync_report = report;
}

static void s_refuse(sync_t *self, Yx__RosterReply *reply)
{
    reply->status->code = self->out_of_scope ? 403 : 422;
    reply->status->message =
        self->out_of_scope ? "the upload names rows outside your school; nothing was applied"
                           : "the upload has problems; nothing was applied";
    reply->status->problems =
        s_reply_problems(self, &self->problems, &reply->status->n_problems);
}

void sync_run(sync_t *self, Yx__RosterReply *reply)
{
    if (self->fatal_code) {
        reply->status->code = self->fatal_code;
        reply->status->message = (char *)self->fatal_message;
        return;
    }
    /* Check and write inside one transaction, serialised with other uploads, so what was
     * checked is what gets written. References are checked even when rows already have
     * problems, so one answer lists everything to fix. */
    if (yx_db_begin(self->db) < 0 || scope_apply(self->db, self->principal) < 0 ||
        yx_db_exec(self->db, "SELECT pg_advisory_xact_lock(hashtext('roster.sync'))", 0,
                   NULL) < 0)
        goto db_failed;
    references_check(self);
    if (self->problems.count) {
        yx_db_rollback(self->db);
        return s_refuse(self, reply);
    }
    if (apply_all(self) < 0) goto db_failed;
    if (self->problems.count) {
        yx_db_rollback(self->db);
        return s_refuse(self, reply);
    }
    if (self->deadline_unix_ms && request_now_ms() > self->deadline_unix_ms) {
        /* the gateway has told the client 504: committing now would make that a lie */
        yx_db_rollback(self->db);
        reply->status->code = 504;
        reply->status->message = "the upload took longer than its deadline; nothing was applied";
        return;
    }
    if (self->dry_run)
        yx_db_rollback(self->db);
    else if (yx_db_commit(self->db) < 0)
        goto db_failed;
    reply->status->code = 200;
    s_fill_report(self, reply, !self->dry_run);
    return;
db_failed:
    yx_db_rollback(self->db);
    yx_error(self->request_id, "sync failed in the database: %s", yx_db_last_error());
    reply->status->code = 503;
    reply->status->message = "the database could not apply the upload; nothing was applied";
}
