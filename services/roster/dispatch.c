/* One inbound bus message: checked, routed to its operation, answered exactly once. */
#include "dispatch.h"
#include "request.h"
#include "yx_db.h"
#include "yx_log.h"

#include <malloc.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/time.h>

void request_fail(Yx__RosterReply *reply, unsigned code, const char *message)
{
    reply->status->code = code;
    reply->status->message = (char *)message;
}

/* How long a successful check of PostgreSQL vouches for it: probes may come thousands of
 * times a second, and each would otherwise add a database round trip. */
#define DB_CHECK_MS 1000

void op_ping(request_t *req, Yx__RosterReply *reply)
{
    static int64_t checked_at;
    if (request_now_ms() - checked_at >= DB_CHECK_MS) {
        PGresult *res = yx_db_query(req->db, "SELECT 1", 0, NULL);
        if (!res) {
            checked_at = 0;
            return request_fail(reply, 503, "postgresql does not answer");
        }
        PQclear(res);
        checked_at = request_now_ms();
    }
    Yx__Pong *pong = yx_arena_alloc(req->arena, sizeof *pong);
    yx__pong__init(pong);
    pong->service = "roster";
    reply->result_case = YX__ROSTER_REPLY__RESULT_PONG;
    reply->pong = pong;
}

int64_t request_now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void s_route(request_t *req, const Yx__RosterRequest *in, Yx__RosterReply *reply)
{
    switch (in->op_case) {
    case YX__ROSTER_REQUEST__OP_PING: return op_ping(req, reply);
    case YX__ROSTER_REQUEST__OP_SYNC_BUNDLE: return op_sync_bundle(req, in->sync_bundle, reply);
    case YX__ROSTER_REQUEST__OP_SYNC_TEACHERS_CSV:
        return op_sync_teachers_csv(req, in->sync_teachers_csv, reply);
    case YX__ROSTER_REQUEST__OP_LIST_DISTRICTS:
        return op_list_districts(req, in->list_districts, reply);
    case YX__ROSTER_REQUEST__OP_LIST_SCHOOLS: return op_list_schools(req, in->list_schools, reply);
    case YX__ROSTER_REQUEST__OP_GET_SCHOOL: return op_get_school(req, in->get_school, reply);
    case YX__ROSTER_REQUEST__OP_LIST_TEACHERS: return op_list_teachers(req, in->list_teachers, reply);
    case YX__ROSTER_REQUEST__OP_LIST_GROUPS: return op_list_groups(req, in->list_groups, reply);
    case YX__ROSTER_REQUEST__OP_GET_TEACHER: return op_get_teacher(req, in->get_teacher, reply);
    case YX__ROSTER_REQUEST__OP_LIST_IDENTITIES:
        return op_list_identities(req, in->list_identities, reply);
    default: return request_fail(reply, 400, "unknown operation");
    }
}

void dispatch_request(yx_bus_call_t *call, const uint8_t *data, size_t size, void *arg)
{
    roster_t *roster = arg;
    Yx__Status status = YX__STATUS__INIT;
    Yx__RosterReply reply = YX__ROSTER_REPLY__INIT;
    reply.status = &status;
    status.code = 200;
    /* an empty frame would unpack as an all-default message: refuse it explicitly */
    Yx__RosterRequest *in = size ? yx__roster_request__unpack(NULL, size, data) : NULL;
    yx_arena_t *arena = yx_arena_new();
    const char *rid = in && in->header ? in->header->request_id : NULL;

    if (!in || !in->header || in->header->version != 1 || !in->header->principal)
        request_fail(&reply, 400, "malformed request");
    else if (in->header->deadline_unix_ms && in->header->deadline_unix_ms < request_now_ms()) {
        /* the caller has already answered 504; doing the work now would surprise it */
        yx_warn(rid, "dropped a request whose deadline had passed");
        request_fail(&reply, 504, "deadline passed before the request was read");
    } else if (!yx_db_ensure(roster->db))
        request_fail(&reply, 503, "postgresql does not answer");
    else {
        request_t req = {.db = roster->db,
                         .arena = arena,
                         .principal = in->header->principal,
                         .county_id = roster->county_id,
                         .request_id = rid,
                         .deadline_unix_ms = in->header->deadline_unix_ms};
        s_route(&req, in, &reply);
    }
    size_t len = yx__roster_reply__get_packed_size(&reply);
    uint8_t *out = malloc(len ? len : 1);
    if (out) {
        yx__roster_reply__pack(&reply, out);
        yx_bus_reply(call, out, len);
    } else {
        yx_bus_reply(call, (const uint8_t *)"", 0);
    }
    yx_debug(rid, "answered %u", status.code);
    free(out);
    yx_arena_destroy(&arena);
    bool large = in && (in->op_case == YX__ROSTER_REQUEST__OP_SYNC_BUNDLE ||
                        in->op_case == YX__ROSTER_REQUEST__OP_SYNC_TEACHERS_CSV);
    if (in) yx__roster_request__free_unpacked(in, NULL);
    /* an upload can take hundreds of MiB for a moment: give it back to the system */
    if (large) malloc_trim(0);
}
