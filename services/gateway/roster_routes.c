/* The roster routes: HTTP request -> yx.RosterRequest over the bus -> JSON reply.
 * The client is answered only once the service has answered (a 2xx means committed). */
#include "gateway.h"
#include "handlers.h"
#include "http_util.h"
#include "reply.h"
#include "request.h"
#include "roster.pb-c.h"
#include "roster_json.h"
#include "yx_text.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    yx_exchange_t *x;
    Yx__RosterReply__ResultCase expect;
} s_pending_t;

static void s_reply_from_service(yx_exchange_t *x, Yx__RosterReply__ResultCase expect,
                                 const uint8_t *data, size_t size)
{
    Yx__RosterReply *reply = size > 0 && size <= (size_t)YX_BUS_MAX_MSG
                                 ? yx__roster_reply__unpack(NULL, size, data)
                                 : NULL;
    if (!reply || !reply->status || reply->status->code < 100 || reply->status->code > 599) {
        if (reply) yx__roster_reply__free_unpacked(reply, NULL);
        yx_reply_error(x, 502, "invalid reply from roster");
        return;
    }
    int code = (int)reply->status->code;
    json_t *body = NULL;
    if (code >= 200 && code < 300) {
        if (reply->result_case == expect) body = yx_json_roster_result(reply);
        if (!body) {
            yx__roster_reply__free_unpacked(reply, NULL);
            yx_reply_error(x, 502, "invalid reply from roster: unexpected result");
            return;
        }
    } else {
        body = yx_json_roster_error(reply, code);
    }
    yx__roster_reply__free_unpacked(reply, NULL);
    yx_reply_json(x, code, body);
}

static void s_on_reply(yx_bus_result_t result, const uint8_t *data, size_t size, double elapsed_ms,
                       void *arg)
{
    s_pending_t *pending = arg;
    yx_exchange_t *x = pending->x;
    if (result == YX_BUS_OK) {
        yx_metrics_bus(x->gw->metrics, YX_SVC_ROSTER, elapsed_ms / 1e3);
        s_reply_from_service(x, pending->expect, data, size);
    } else if (result == YX_BUS_TIMEOUT) {
        yx_reply_error(x, 504, "roster did not answer in time");
    } else {
        yx_reply_error(x, 503, "roster unavailable");
    }
    yx_exchange_release(&pending->x);
    free(pending);
}

/* Completes rr with the header and sends it; the exchange is answered either way. */
static void s_call(yx_exchange_t *x, Yx__RosterRequest *rr, Yx__RosterReply__ResultCase expect)
{
    yx_gateway_t *gw = x->gw;
    yx_bus_client_t *client = gw->services[YX_SVC_ROSTER].client;
    if (!client) { /* shutting down */
        yx_reply_error(x, 503, "roster unavailable");
        return;
    }
    Yx__Principal principal = YX__PRINCIPAL__INIT;
    Yx__RequestHeader header = YX__REQUEST_HEADER__INIT;
    yx_req_bus_header(x, &header, &principal, gw->bus_timeout_ms);
    rr->header = &header;

    size_t size = yx__roster_request__get_packed_size(rr);
    if (size > (size_t)YX_BUS_MAX_MSG) {
        yx_reply_error(x, 413, "request too large for the bus");
        return;
    }
    uint8_t *buf = malloc(size);
    s_pending_t *pending = calloc(1, sizeof *pending);
    if (!buf || !pending || !(pending->x = yx_exchange_hold(x))) {
        free(buf);
        free(pending);
        yx_reply_error(x, 500, "out of memory");
        return;
    }
    yx__roster_request__pack(rr, buf);
    pending->expect = expect;
    int rc = yx_bus_call(client, buf, size, gw->bus_timeout_ms, s_on_reply, pending);
    free(buf);
    if (rc < 0) {
        yx_reply_error(pending->x, 503, "roster unavailable");
        yx_exchange_release(&pending->x);
        free(pending);
    }
}

/* dry_run=1|true|0|false. 0 ok, -1 answered 400. */
static int s_dry_run(yx_exchange_t *x, const char *query, protobuf_c_boolean *out)
{
    char value[8];
    int rc = yx_query_param(query, "dry_run", value, sizeof value);
    *out = 0;
    if (rc == 0) return 0;
    if (rc > 0 && (!strcmp(value, "1") || !strcmp(value, "true") || !*value)) {
        *out = 1;
        return 0;
    }
    if (rc > 0 && (!strcmp(value, "0") || !strcmp(value, "false"))) return 0;
    yx_reply_error(x, 400, "dry_run must be 1 or 0");
    return -1;
}

void yx_roster_sync_bundle(yx_exchange_t *x)
{
    static const char *const zip[] = {"application/zip", NULL};
    if (!yx_req_content_type_in(x, zip, false)) {
        yx_reply_error(x, 415, "Content-Type must be application/zip");
        return;
    }
    const char *query = yx_req_query(x);
    char mode[8];
    int rc = yx_query_param(query, "mode", mode, sizeof mode);
    if (rc <= 0 || (strcmp(mode, "bulk") != 0 && strcmp(mode, "delta") != 0)) {
        yx_reply_error(x, 400, "mode must be bulk or delta");
        return;
    }
    Yx__SyncBundle op = YX__SYNC_BUNDLE__INIT;
    op.mode = strcmp(mode, "bulk") == 0 ? YX__SYNC_MODE__SYNC_BULK : YX__SYNC_MODE__SYNC_DELTA;
    if (s_dry_run(x, query, &op.dry_run) < 0) return;
    if (!(op.zip.data = yx_req_body(x, &op.zip.len))) return;
    Yx__RosterRequest rr = YX__ROSTER_REQUEST__INIT;
    rr.op_case = YX__ROSTER_REQUEST__OP_SYNC_BUNDLE;
    rr.sync_bundle = &op;
    s_call(x, &rr, YX__ROSTER_REPLY__RESULT_SYNC_REPORT);
}

void yx_roster_sync_csv(yx_exchange_t *x)
{
    /* What browsers and spreadsheet tools send for a .csv file. */
    static const char *const csv[] = {"text/csv",
                                      "application/csv",
                                      "text/plain",
                                      "application/vnd.ms-excel",
                                      "application/octet-stream",
                                      NULL};
    if (!yx_req_content_type_in(x, csv, true)) {
        yx_reply_error(x, 415, "Content-Type must be text/csv");
        return;
    }
    Yx__SyncTeachersCsv op = YX__SYNC_TEACHERS_CSV__INIT;
    if (s_dry_run(x, yx_req_query(x), &op.dry_run) < 0) return;
    if (!(op.csv.data = yx_req_body(x, &op.csv.len))) return;
    Yx__RosterRequest rr = YX__ROSTER_REQUEST__INIT;
    rr.op_case = YX__ROSTER_REQUEST__OP_SYNC_TEACHERS_CSV;
    rr.sync_teachers_csv = &op;
    s_call(x, &rr, YX__ROSTER_REPLY__RESULT_SYNC_REPORT);
}

void yx_roster_list_districts(yx_exchange_t *x)
{
    char cursor[YX_CURSOR_MAX + 1];
    Yx__PageRequest page = YX__PAGE_REQUEST__INIT;
    if (yx_req_page(x, &page, cursor) < 0) return;
    Yx__ListDistricts op = YX__LIST_DISTRICTS__INIT;
    op.page = &page;
    Yx__RosterRequest rr = YX__ROSTER_REQUEST__INIT;
    rr.op_case = YX__ROSTER_REQUEST__OP_LIST_DISTRICTS;
    rr.list_districts = &op;
    s_call(x, &rr, YX__ROSTER_REPLY__RESULT_DISTRICTS);
}

void yx_roster_list_schools(yx_exchange_t *x)
{
    const char *query = yx_req_query(x);
    char cursor[YX_CURSOR_MAX + 1], district[YX_PATH_ID_MAX + 1];
    Yx__PageRequest page = YX__PAGE_REQUEST__INIT;
    if (yx_req_page(x, &page, cursor) < 0) return;
    Yx__ListSchools op = YX__LIST_SCHOOLS__INIT;
    op.page = &page;
    int rc = yx_query_param(query, "district", district, sizeof district);
    if (rc < 0 || (rc > 0 && !yx_utf8_valid(district, strlen(district)))) {
        yx_reply_error(x, 400, "invalid district");
        return;
    }
    if (rc > 0) op.district_id = district;
    Yx__RosterRequest rr = YX__ROSTER_REQUEST__INIT;
    rr.op_case = YX__ROSTER_REQUEST__OP_LIST_SCHOOLS;
    rr.list_schools = &op;
    s_call(x, &rr, YX__ROSTER_REPLY__RESULT_SCHOOLS);
}

void yx_roster_get_school(yx_exchange_t *x)
{
    Yx__GetSchool op = YX__GET_SCHOOL__INIT;
    op.school_id = x->id;
    Yx__RosterRequest rr = YX__ROSTER_REQUEST__INIT;
    rr.op_case = YX__ROSTER_REQUEST__OP_GET_SCHOOL;
    rr.get_school = &op;
    s_call(x, &rr, YX__ROSTER_REPLY__RESULT_SCHOOL);
}

void yx_roster_list_teachers(yx_exchange_t *x)
{
    char cursor[YX_CURSOR_MAX + 1];
    Yx__PageRequest page = YX__PAGE_REQUEST__INIT;
    if (yx_req_page(x, &page, cursor) < 0) return;
    Yx__ListTeachers op = YX__LIST_TEACHERS__INIT;
    op.school_id = x->id;
    op.page = &page;
    Yx__RosterRequest rr = YX__ROSTER_REQUEST__INIT;
    rr.op_case = YX__ROSTER_REQUEST__OP_LIST_TEACHERS;
    rr.list_teachers = &op;
    s_call(x, &rr, YX__ROSTER_REPLY__RESULT_TEACHERS);
}

void yx_roster_list_groups(yx_exchange_t *x)
{
    char cursor[YX_CURSOR_MAX + 1];
    Yx__PageRequest page = YX__PAGE_REQUEST__INIT;
    if (yx_req_page(x, &page, cursor) < 0) return;
    Yx__ListGroups op = YX__LIST_GROUPS__INIT;
    op.school_id = x->id;
    op.page = &page;
    Yx__RosterRequest rr = YX__ROSTER_REQUEST__INIT;
    rr.op_case = YX__ROSTER_REQUEST__OP_LIST_GROUPS;
    rr.list_groups = &op;
    s_call(x, &rr, YX__ROSTER_REPLY__RESULT_GROUPS);
}

void yx_roster_get_teacher(yx_exchange_t *x)
{
    Yx__GetTeacher op = YX__GET_TEACHER__INIT;
    op.teacher_id = x->id;
    Yx__RosterRequest rr = YX__ROSTER_REQUEST__INIT;
    rr.op_case = YX__ROSTER_REQUEST__OP_GET_TEACHER;
    rr.get_teacher = &op;
    s_call(x, &rr, YX__ROSTER_REPLY__RESULT_TEACHER);
}
