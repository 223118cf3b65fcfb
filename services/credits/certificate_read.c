/* Reading certificates: the signed document for those it concerns, and the public check. */
#include "certificate.h"
#include "ops.h"
#include "yx_log.h"

#include <string.h>

/* The county; the teacher it was issued to; the admin of the school the roster has the
 * teacher in now. Everyone else is told there is no such certificate. */
static bool s_may_read(request_t *req, const cert_row_t *row)
{
    const Yx__Principal *p = req->principal;
    if (!p) return false;
    switch (p->role) {
    case YX__ROLE__ROLE_COUNTY_ADMIN:
        return true;
    case YX__ROLE__ROLE_TEACHER:
        return strcmp(p->teacher_id, row->teacher_id) == 0;
    case YX__ROLE__ROLE_SCHOOL_ADMIN: {
        const dir_teacher_t *t = req->credits->directory
                                     ? directory_teacher(req->credits->directory, row->teacher_id)
                                     : NULL;
        return t && t->school_id && *p->school_id && strcmp(t->school_id, p->school_id) == 0;
    }
    default:
        return false;
    }
}

void certificate_get(request_t *req, const Yx__GetCertificate *op, Yx__CreditsReply *reply)
{
    if (!req->credits->signer) {
        reply_error(req, reply, 503, "the signing key is not loaded");
        return;
    }
    cert_row_t row;
    int rc = certificate_load(req, op->certificate_id, &row);
    if (rc < 0) {
        reply_error(req, reply, 503, "the database did not answer");
        return;
    }
    if (rc == 0 || !s_may_read(req, &row)) {
        json_decref(row.payload);
        reply_error(req, reply, 404, "no such certificate");
        return;
    }
    json_t *doc = signer_document(req->credits->signer, row.payload, row.signature);
    if (!doc) {
        reply_error(req, reply, 503, "out of memory");
        return;
    }
    reply_json(req, reply, 200, doc);
}

static const char *s_payload_text(const json_t *payload, const char *name)
{
    return json_string_value(json_object_get(payload, name));
}

void certificate_verify(request_t *req, const Yx__VerifyCertificate *op, Yx__CreditsReply *reply)
{
    if (!req->credits->signer) {
        reply_error(req, reply, 503, "the signing key is not loaded");
        return;
    }
    cert_row_t row;
    int rc = certificate_load(req, op->certificate_id, &row);
    if (rc <= 0) {
        if (rc < 0)
            reply_error(req, reply, 503, "the database did not answer");
        else
            reply_error(req, reply, 404, "no such certificate");
        return;
    }
    json_incref(row.payload); /* the document takes one reference, the answer reads it */
    json_t *doc = signer_document(req->credits->signer, row.payload, row.signature);
    /* checked as anyone offline would check the document GET answers, with the current key */
    bool signature_ok = doc && signer_check(req->credits->signer, doc);
    json_decref(doc);
    if (!signature_ok)
        yx_warn(req->request_id, "certificate %s does not verify with the county's key", row.id);
    bool revoked = row.revoked_at != NULL;
    json_t *answer = json_pack("{s:s, s:b, s:b, s:s?, s:s?, s:s?, s:s?, s:s?}", "certificate_id",
                               row.id, "valid", signature_ok && !revoked, "revoked", revoked,
                               "revoked_at", row.revoked_at, "revoke_reason", row.revoke_reason,
                               "teacher_name", s_payload_text(row.payload, "teacher_name"),
                               "program_name", s_payload_text(row.payload, "program_name"),
                               "issued_at", s_payload_text(row.payload, "issued_at"));
    json_decref(row.payload);
    if (!answer) {
        reply_error(req, reply, 503, "out of memory");
        return;
    }
    reply_json(req, reply, 200, answer);
}
