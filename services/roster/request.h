/* What every operation of the roster service gets: the store, the request's arena, and who
 * is asking. Operations fill the reply; its status starts at 200. */
#ifndef ROSTER_REQUEST_H
#define ROSTER_REQUEST_H
#include "roster.pb-c.h"
#include "yx_arena.h"

#include <libpq-fe.h>

typedef struct {
    PGconn *db;
    yx_arena_t *arena;
    const Yx__Principal *principal;
    const char *county_id;
    const char *request_id;
    int64_t deadline_unix_ms; /* 0: none */
} request_t;

/* Milliseconds since the epoch, the clock of request deadlines. */
int64_t request_now_ms(void);

/* Sets an error status on the reply. */
void request_fail(Yx__RosterReply *reply, unsigned code, const char *message);

void op_ping(request_t *req, Yx__RosterReply *reply);
void op_sync_bundle(request_t *req, const Yx__SyncBundle *op, Yx__RosterReply *reply);
void op_sync_teachers_csv(request_t *req, const Yx__SyncTeachersCsv *op, Yx__RosterReply *reply);
void op_list_districts(request_t *req, const Yx__ListDistricts *op, Yx__RosterReply *reply);
void op_list_schools(request_t *req, const Yx__ListSchools *op, Yx__RosterReply *reply);
void op_get_school(request_t *req, const Yx__GetSchool *op, Yx__RosterReply *reply);
void op_list_teachers(request_t *req, const Yx__ListTeachers *op, Yx__RosterReply *reply);
void op_list_groups(request_t *req, const Yx__ListGroups *op, Yx__RosterReply *reply);
void op_get_teacher(request_t *req, const Yx__GetTeacher *op, Yx__RosterReply *reply);
void op_list_identities(request_t *req, const Yx__ListIdentities *op, Yx__RosterReply *reply);

#endif
