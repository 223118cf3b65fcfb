/* One inbound bus message: checked, routed to its operation, answered exactly once. */
#include "dispatch.h"
#include "ops.h"
#include "yx_db.h"
#include "yx_log.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

/* Above this, a request or answer gives its memory back to the system afterwards. */
#define LARGE_MESSAGE (1024 * 1024)

static int64_t s_now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* How long a successful check of PostgreSQL vouches for it, so frequent probes do not each
 * cost a database round trip. */
#define DB_CHECK_MS 1000

static void s_ping(request_t *req, Yx__CreditsReply *reply)
{
    static int64_t checked_at;
    if (s_now_ms() - checked_at >= DB_CHECK_MS) {
        PGresult *res = yx_db_query(req->credits->db, "SELECT 1", 0, NULL);
        if (!res) {
            checked_at = 0;
            return reply_error(req, reply, 503, "postgresql does not answer");
        }
        PQclear(res);
        checked_at = s_now_ms();
    }
    /* not ready until it knows the roster's teachers: programs and credit depend on them */
    if (!directory_ready(req->credits->directory))
        return reply_error(req, reply, 503, "the teacher directory is not loaded yet");
    reply_json(req, reply, 200, json_pack("{s:s}", "service", "credits"));
}

static void s_route(request_t *req, const Yx__CreditsRequest *in, Yx__CreditsReply *reply)
{
    switch (in->op_case) {
    case YX__CREDITS_REQUEST__OP_PING:
        return s_ping(req, reply);
    case YX__CREDITS_REQUEST__OP_GET_STATEMENTS:
        return xapi_get(req, in->get_statements, reply);
    case YX__CREDITS_REQUEST__OP_XAPI_DOCUMENT:
        if (strcmp(in->xapi_document->resource, "activity") == 0 ||
            strcmp(in->xapi_document->resource, "agent") == 0)
            return xapi_object(req, in->xapi_document, reply);
        return xapi_document(req, in->xapi_document, reply);
    case YX__CREDITS_REQUEST__OP_LIST_UNMATCHED:
        return xapi_list_unmatched(req, in->list_unmatched, reply);
    case YX__CREDITS_REQUEST__OP_CREATE_PROGRAM:
        return program_create(req, in->create_program, reply);
    case YX__CREDITS_REQUEST__OP_GET_PROGRAM:
        return program_get(req, in->get_program, reply);
    case YX__CREDITS_REQUEST__OP_LIST_PROGRAMS:
        return program_list(req, in->list_programs, reply);
    case YX__CREDITS_REQUEST__OP_GET_TRANSCRIPT:
        return program_transcript(req, in->get_transcript, reply);
    case YX__CREDITS_REQUEST__OP_GET_PROGRESS:
        return program_progress(req, in->get_progress, reply);
    case YX__CREDITS_REQUEST__OP_RECORD_GRADE:
        return program_record_grade(req, in->record_grade, reply);
    case YX__CREDITS_REQUEST__OP_MANUAL_ENTRY:
        return program_manual_entry(req, in->manual_entry, reply);
    case YX__CREDITS_REQUEST__OP_ISSUE_CERTIFICATES:
        return certificate_issue(req, in->issue_certificates, reply);
    case YX__CREDITS_REQUEST__OP_GET_CERTIFICATE:
        return certificate_get(req, in->get_certificate, reply);
    case YX__CREDITS_REQUEST__OP_VERIFY_CERTIFICATE:
        return certificate_verify(req, in->verify_certificate, reply);
    case YX__CREDITS_REQUEST__OP_REVOKE_CERTIFICATE:
        return certificate_revoke(req, in->revoke_certificate, reply);
    default:
        return reply_error(req, reply, 400, "unknown operation");
    }
}

/* Whether an operation reads what the crediter derives from the stored statements (a grade
 * or a manual entry answers with the teacher's transcript). */
static bool s_reads_ledger(Yx__CreditsRequest__OpCase op)
{
    return op == YX__CREDITS_REQUEST__OP_GET_TRANSCRIPT ||
           op == YX__CREDITS_REQUEST__OP_GET_PROGRESS ||
           op == YX__CREDITS_REQUEST__OP_RECORD_GRADE ||
           op == YX__CREDITS_REQUEST__OP_MANUAL_ENTRY ||
           op == YX__CREDITS_REQUEST__OP_ISSUE_CERTIFICATES;
}

/* Runs a request that waited for the crediter, unless its caller gave up meanwhile (a
 * grade recorded after its 504 would surprise the school admin). */
static void s_route_and_send(pending_t *p)
{
    if (p->req.deadline_unix_ms && p->req.deadline_unix_ms < s_now_ms())
        reply_error(&p->req, &p->reply, 504, "deadline passed while the ledger was catching up");
    else
        s_route(&p->req, p->in, &p->reply);
    pending_send(&p);
}

void pending_send(pending_t **self_p)
{
    pending_t *self = *self_p;
    if (!self) return;
    size_t len = yx__credits_reply__get_packed_size(&self->reply);
    uint8_t *out = malloc(len ? len : 1);
    if (out) {
        yx__credits_reply__pack(&self->reply, out);
        yx_bus_reply(self->call, out, len);
    } else {
        yx_bus_reply(self->call, (const uint8_t *)"", 0);
    }
    yx_debug(self->req.request_id, "answered %u", self->status.code);
    free(out);
    /* a big upload or page can take tens of MiB for a moment: give it back */
    bool large = self->size > LARGE_MESSAGE || len > LARGE_MESSAGE;
    yx_arena_destroy(&self->req.arena);
    if (self->in) yx__credits_request__free_unpacked(self->in, NULL);
    free(self);
    *self_p = NULL;
    if (large) malloc_trim(0);
}

void dispatch_request(yx_bus_call_t *call, const uint8_t *data, size_t size, void *arg)
{
    dispatch_t *self = arg;
    pending_t *p = calloc(1, sizeof *p);
    yx_arena_t *arena = yx_arena_new();
    if (!p || !arena) {
        free(p);
        yx_arena_destroy(&arena);
        yx_bus_reply(call, (const uint8_t *)"", 0);
        return;
    }
    /* an empty frame would unpack as an all-default message: refuse it explicitly */
    Yx__CreditsRequest *in = size ? yx__credits_request__unpack(NULL, size, data) : NULL;
    const Yx__RequestHeader *header = in ? in->header : NULL;
    yx__credits_reply__init(&p->reply);
    yx__status__init(&p->status);
    p->reply.status = &p->status;
    p->status.code = 200;
    p->call = call;
    p->in = in;
    p->size = size;
    p->req = (request_t){.credits = self->credits,
                         .arena = arena,
                         .principal = header ? header->principal : NULL,
                         .request_id = header ? header->request_id : NULL,
                         .deadline_unix_ms = header ? header->deadline_unix_ms : 0};
    if (!header || header->version != 1 || !header->principal) {
        reply_error(&p->req, &p->reply, 400, "malformed request");
    } else if (header->deadline_unix_ms && header->deadline_unix_ms < s_now_ms()) {
        /* the caller has already answered 504; doing the work now would surprise it */
        yx_warn(p->req.request_id, "dropped a request whose deadline had passed");
        reply_error(&p->req, &p->reply, 504, "deadline passed before the request was read");
    } else if (!yx_db_ensure(self->credits->db)) {
        reply_error(&p->req, &p->reply, 503, "postgresql does not answer");
    } else if (in->op_case == YX__CREDITS_REQUEST__OP_POST_STATEMENTS) {
        batch_add(self->batch, p); /* answered after the group commit */
        return;
    } else if (s_reads_ledger(in->op_case)) {
        batch_after_credit(self->batch, p, s_route_and_send);
        return;
    } else {
        s_route(&p->req, in, &p->reply);
    }
    pending_send(&p);
}
