/* The REST routes of the credits service: programs, transcripts, progress, grades, manual
 * entries, unmatched statements, certificates and the public /verify/{id}. Each builds its
 * typed operation and relays the service's answer; documents (programs, grades, entries)
 * travel as the client sent them and are validated by the service. */
#include "credits_call.h"
#include "handlers.h"
#include "http_util.h"
#include "reply.h"
#include "request.h"
#include "verify_page.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define TEMPLATE_MAX 64
#define REASON_MAX 1000
#define TEACHER_IDS_MAX 100000

/* A JSON document body (Content-Type application/json, or none). NULL when answered. */
static uint8_t *s_json_body(yx_exchange_t *x, size_t *len)
{
    static const char *const json[] = {"application/json", NULL};
    if (!yx_req_content_type_in(x, json, true)) {
        yx_reply_error(x, 415, "Content-Type must be application/json");
        return NULL;
    }
    return yx_req_body(x, len);
}

/* format=json (default) or csv. 0 ok, -1 answered 400. */
static int s_format(yx_exchange_t *x, protobuf_c_boolean *csv)
{
    char format[8];
    int rc = yx_query_param(yx_req_query(x), "format", format, sizeof format);
    *csv = rc > 0 && !strcmp(format, "csv");
    if (rc == 0 || *csv || (rc > 0 && !strcmp(format, "json"))) return 0;
    yx_reply_error(x, 400, "format must be json or csv");
    return -1;
}

/* A small JSON object body whose members are all among allowed (NULL-ended); NULL when
 * answered. An empty body is an empty object when empty_ok. */
static json_t *s_small_object(yx_exchange_t *x, const char *const *allowed, bool empty_ok)
{
    static const char *const json[] = {"application/json", NULL};
    if (!yx_req_content_type_in(x, json, true)) {
        yx_reply_error(x, 415, "Content-Type must be application/json");
        return NULL;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(x->req);
    size_t len = evbuffer_get_length(in);
    if (len == 0) {
        if (empty_ok) return json_object();
        yx_reply_error(x, 400, "empty body");
        return NULL;
    }
    json_error_t error;
    json_t *doc =
        json_loadb((const char *)evbuffer_pullup(in, -1), len, JSON_REJECT_DUPLICATES, &error);
    if (!json_is_object(doc)) {
        if (doc)
            yx_reply_error(x, 400, "body must be a JSON object");
        else
            yx_reply_error(x, 400, "invalid JSON at line %d, column %d: %s", error.line,
                           error.column, error.text);
        json_decref(doc);
        return NULL;
    }
    const char *key;
    json_t *value;
    json_object_foreach(doc, key, value)
    {
        const char *const *a = allowed;
        while (*a && strcmp(*a, key) != 0)
            a++;
        if (!*a) {
            yx_reply_error(x, 400, "unknown field %s", key);
            json_decref(doc);
            return NULL;
        }
    }
    return doc;
}

/* ---- programs ---------------------------------------------------------------------- */

void yx_credits_create_program(yx_exchange_t *x)
{
    char template[TEMPLATE_MAX + 1];
    int rc = yx_req_text_param(x, "template", template, sizeof template);
    if (rc < 0) return;
    Yx__CreateProgram op = YX__CREATE_PROGRAM__INIT;
    if (rc > 0) op.template_ = template;
    if (!(op.json.data = s_json_body(x, &op.json.len))) return;
    Yx__CreditsRequest cr = YX__CREDITS_REQUEST__INIT;
    cr.op_case = YX__CREDITS_REQUEST__OP_CREATE_PROGRAM;
    cr.create_program = &op;
    yx_credits_call(x, &cr, NULL);
}

void yx_credits_list_programs(yx_exchange_t *x)
{
    char cursor[YX_CURSOR_MAX + 1];
    Yx__PageRequest page = YX__PAGE_REQUEST__INIT;
    if (yx_req_page(x, &page, cursor) < 0) return;
    Yx__ListPrograms op = YX__LIST_PROGRAMS__INIT;
    op.page = &page;
    Yx__CreditsRequest cr = YX__CREDITS_REQUEST__INIT;
    cr.op_case = YX__CREDITS_REQUEST__OP_LIST_PROGRAMS;
    cr.list_programs = &op;
    yx_credits_call(x, &cr, NULL);
}

void yx_credits_get_program(yx_exchange_t *x)
{
    Yx__GetProgram op = YX__GET_PROGRAM__INIT;
    op.program_id = x->id;
    Yx__CreditsRequest cr = YX__CREDITS_REQUEST__INIT;
    cr.op_case = YX__CREDITS_REQUEST__OP_GET_PROGRAM;
    cr.get_program = &op;
    yx_credits_call(x, &cr, NULL);
}

void yx_credits_transcript(yx_exchange_t *x)
{
    Yx__GetTranscript op = YX__GET_TRANSCRIPT__INIT;
    op.program_id = x->id;
    op.teacher_id = x->id2;
    if (s_format(x, &op.csv) < 0) return;
    Yx__CreditsRequest cr = YX__CREDITS_REQUEST__INIT;
    cr.op_case = YX__CREDITS_REQUEST__OP_GET_TRANSCRIPT;
    cr.get_transcript = &op;
    yx_credits_call(x, &cr, NULL);
}

void yx_credits_progress(yx_exchange_t *x)
{
    char by[16];
    int rc = yx_query_param(yx_req_query(x), "by", by, sizeof by);
    if (rc <= 0 || (strcmp(by, "county") && strcmp(by, "district") && strcmp(by, "school"))) {
        yx_reply_error(x, 400, "by must be county, district or school");
        return;
    }
    Yx__GetProgress op = YX__GET_PROGRESS__INIT;
    op.program_id = x->id;
    op.by = by;
    if (s_format(x, &op.csv) < 0) return;
    Yx__CreditsRequest cr = YX__CREDITS_REQUEST__INIT;
    cr.op_case = YX__CREDITS_REQUEST__OP_GET_PROGRESS;
    cr.get_progress = &op;
    yx_credits_call(x, &cr, NULL);
}

void yx_credits_record_grade(yx_exchange_t *x)
{
    Yx__RecordGrade op = YX__RECORD_GRADE__INIT;
    op.program_id = x->id;
    if (!(op.json.data = s_json_body(x, &op.json.len))) return;
    Yx__CreditsRequest cr = YX__CREDITS_REQUEST__INIT;
    cr.op_case = YX__CREDITS_REQUEST__OP_RECORD_GRADE;
    cr.record_grade = &op;
    yx_credits_call(x, &cr, NULL);
}

void yx_credits_manual_entry(yx_exchange_t *x)
{
    Yx__ManualEntry op = YX__MANUAL_ENTRY__INIT;
    op.program_id = x->id;
    if (!(op.json.data = s_json_body(x, &op.json.len))) return;
    Yx__CreditsRequest cr = YX__CREDITS_REQUEST__INIT;
    cr.op_case = YX__CREDITS_REQUEST__OP_MANUAL_ENTRY;
    cr.manual_entry = &op;
    yx_credits_call(x, &cr, NULL);
}

void yx_credits_list_unmatched(yx_exchange_t *x)
{
    char cursor[YX_CURSOR_MAX + 1];
    Yx__PageRequest page = YX__PAGE_REQUEST__INIT;
    if (yx_req_page(x, &page, cursor) < 0) return;
    Yx__ListUnmatched op = YX__LIST_UNMATCHED__INIT;
    op.page = &page;
    Yx__CreditsRequest cr = YX__CREDITS_REQUEST__INIT;
    cr.op_case = YX__CREDITS_REQUEST__OP_LIST_UNMATCHED;
    cr.list_unmatched = &op;
    yx_credits_call(x, &cr, NULL);
}

/* ---- certificates ------------------------------------------------------------------- */

void yx_credits_issue_certificates(yx_exchange_t *x)
{
    static const char *const allowed[] = {"teacher_ids", NULL};
    json_t *doc = s_small_object(x, allowed, true);
    if (!doc) return;
    Yx__IssueCertificates op = YX__ISSUE_CERTIFICATES__INIT;
    op.program_id = x->id;
    json_t *ids = json_object_get(doc, "teacher_ids");
    size_t n = json_array_size(ids);
    if (ids && (!json_is_array(ids) || n == 0 || n > TEACHER_IDS_MAX)) {
        yx_reply_error(x, 400, "teacher_ids must be a list of 1 to %d teacher ids",
                       TEACHER_IDS_MAX);
        json_decref(doc);
        return;
    }
    op.teacher_ids = n ? calloc(n, sizeof *op.teacher_ids) : NULL;
    if (n && !op.teacher_ids) {
        yx_reply_error(x, 500, "out of memory");
        json_decref(doc);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const char *id = json_string_value(json_array_get(ids, i));
        if (!id || !*id || strlen(id) > YX_PATH_ID_MAX) {
            yx_reply_error(x, 400, "teacher_ids[%zu] must be a teacher id", i);
            free(op.teacher_ids);
            json_decref(doc);
            return;
        }
        op.teacher_ids[op.n_teacher_ids++] = (char *)id;
    }
    Yx__CreditsRequest cr = YX__CREDITS_REQUEST__INIT;
    cr.op_case = YX__CREDITS_REQUEST__OP_ISSUE_CERTIFICATES;
    cr.issue_certificates = &op;
    yx_credits_call(x, &cr, NULL);
    free(op.teacher_ids);
    json_decref(doc);
}

void yx_credits_get_certificate(yx_exchange_t *x)
{
    Yx__GetCertificate op = YX__GET_CERTIFICATE__INIT;
    op.certificate_id = x->id;
    Yx__CreditsRequest cr = YX__CREDITS_REQUEST__INIT;
    cr.op_case = YX__CREDITS_REQUEST__OP_GET_CERTIFICATE;
    cr.get_certificate = &op;
    yx_credits_call(x, &cr, NULL);
}

void yx_credits_revoke_certificate(yx_exchange_t *x)
{
    static const char *const allowed[] = {"reason", NULL};
    json_t *doc = s_small_object(x, allowed, false);
    if (!doc) return;
    const char *reason = json_string_value(json_object_get(doc, "reason"));
    if (!reason || !*reason || strlen(reason) > REASON_MAX) {
        yx_reply_error(x, 400, "reason must be a text of 1 to %d bytes", REASON_MAX);
        json_decref(doc);
        return;
    }
    Yx__RevokeCertificate op = YX__REVOKE_CERTIFICATE__INIT;
    op.certificate_id = x->id;
    op.reason = (char *)reason;
    Yx__CreditsRequest cr = YX__CREDITS_REQUEST__INIT;
    cr.op_case = YX__CREDITS_REQUEST__OP_REVOKE_CERTIFICATE;
    cr.revoke_certificate = &op;
    yx_credits_call(x, &cr, NULL);
    json_decref(doc);
}

void yx_credits_verify(yx_exchange_t *x)
{
    struct evkeyvalq *headers = evhttp_request_get_output_headers(x->req);
    /* One URL, two representations; a revocation must show at once. */
    evhttp_add_header(headers, "Vary", "Accept");
    evhttp_add_header(headers, "Cache-Control", "no-store");
    const char *accept = evhttp_find_header(evhttp_request_get_input_headers(x->req), "Accept");
    Yx__VerifyCertificate op = YX__VERIFY_CERTIFICATE__INIT;
    op.certificate_id = x->id;
    Yx__CreditsRequest cr = YX__CREDITS_REQUEST__INIT;
    cr.op_case = YX__CREDITS_REQUEST__OP_VERIFY_CERTIFICATE;
    cr.verify_certificate = &op;
    yx_credits_call(x, &cr, yx_verify_prefers_html(accept) ? yx_verify_render_html : NULL);
}
