/* One roster upload on its way into the store: the rows read from it, grouped per table,
 * and everything wrong with it. Loaders (bundle.c, teachers_csv.c) fill it; references.c
 * checks it against itself and the store; apply.c writes the difference. */
#ifndef ROSTER_SYNC_H
#define ROSTER_SYNC_H
#include "entity.h"
#include "roster.pb-c.h"
#include "yx_arena.h"
#include "yx_strmap.h"

#include <libpq-fe.h>
#include <stdbool.h>

#define MAX_PROBLEMS 1000 /* reported; more are counted in a final problem */

typedef struct {
    const char *tenant;   /* county_id or school_id */
    const char *id;
    const char **values;  /* one per entity field; NULL keeps the stored value */
    bool active;          /* false: status=tobedeleted (or 离职) */
    unsigned line;        /* source line, 0 when derived */
} row_t;

typedef struct {
    const entity_t *entity;
    row_t *rows;
    size_t count, cap;
    bool present;       /* the upload carried this file */
    yx_strmap_t *by_id; /* id -> row index + 1 */
} rowset_t;

typedef struct {
    const char *file, *column, *reason;
    unsigned line;
} problem_t;

typedef struct {
    problem_t *items;
    size_t count, cap, dropped;
} problems_t;

typedef struct {
    unsigned created, updated, deactivated, unchanged;
} counts_t;

typedef struct {
    yx_arena_t *arena;
    PGconn *db;
    const Yx__Principal *principal;
    const char *county_id;
    const char *request_id;
    bool delta;                   /* delta mode: absent rows stay as they are */
    bool dry_run;
    bool keep_new_inactive;       /* store unknown inactive rows (a 离职 teacher) as records */
    int64_t deadline_unix_ms;     /* past it, nothing is committed: the caller answered 504 */
    rowset_t sets[E_COUNT];
    counts_t counts[E_COUNT];
    problems_t problems;          /* any: nothing is applied */
    problems_t warnings;          /* accepted leniencies */
    bool out_of_scope;            /* a problem is a school admin crossing into another school */
    unsigned fatal_code;          /* 400/413 when the upload could not even be read */
    const char *fatal_message;
    yx_strmap_t *covered_schools; /* bulk: schools whose absent rows are deactivated */
    const char *file_names[E_COUNT]; /* the name each table's rows are reported under */
    struct yx_csv *tables[24];    /* parsed files: rows point into them */
    int ntables;
} sync_t;

/* The sync allocates from the request's arena, so the reply may point into it. */
sync_t *sync_new(PGconn *db, const Yx__Principal *principal, const char *county_id,
                 const char *request_id, yx_arena_t *arena);
void sync_destroy(sync_t **self_p);

void sync_problem(sync_t *self, const char *file, unsigned line, const char *column,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void sync_warning(sync_t *self, const char *file, unsigned line, const char *column,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* A problem that is a scope violation: the reply becomes 403. */
void sync_forbidden(sync_t *self, const char *file, unsigned line, const char *column,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Appends a row (values zeroed to NULL) and returns it; NULL when the id repeats
 * (the caller reports it) or memory ran out. */
row_t *sync_add_row(sync_t *self, entity_id_t entity, const char *tenant, const char *id,
                    unsigned line);
row_t *sync_find_row(const sync_t *self, entity_id_t entity, const char *id);

bool sync_is_county(const sync_t *self);

/* The pipeline after loading: references, then the difference written in one
 * transaction (rolled back on dry run). Fills the reply. */
void sync_run(sync_t *self, Yx__RosterReply *reply);

/* Loaders. */
void bundle_load(sync_t *self, const uint8_t *zip, size_t size);
void teachers_csv_load(sync_t *self, const uint8_t *csv, size_t size);
void references_check(sync_t *self);
int apply_all(sync_t *self);

#endif
