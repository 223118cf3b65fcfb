/* Revoking a certificate (county admin): the one change a stored certificate ever sees. The
 * first revocation's time and reason stand; revoking again answers them. */
#include "certificate.h"
#include "ops.h"
#include "yx_db.h"
#include "yx_log.h"

#include <string.h>

#define MAX_REASON 1000

void certificate_revoke(request_t *req, const Yx__RevokeCertificate *op, Yx__CreditsReply *reply)
{
    credits_t *credits = req->credits;
    if (!req->principal || req->principal->role != YX__ROLE__ROLE_COUNTY_ADMIN) {
        reply_error(req, reply, 403, "only the county revokes certificates");
        return;
    }
    const char *reason = op->reason;
    if (!certificate_text_ok(reason, MAX_REASON) || strspn(reason, " ") == strlen(reason)) {
        reply_error(req, reply, 400, "a reason is required (at most %d bytes of text)", MAX_REASON);
        return;
    }
    if (!certificate_id_ok(op->certificate_id)) {
        reply_error(req, reply, 404, "no such certificate");
        return;
    }
    const char *const params[] = {credits->county_id, op->certificate_id, reason};
    PGresult *res = yx_db_query(credits->db,
                                "UPDATE credits.certificates SET revoked_at = now(),"
                                " revoke_reason = $3 WHERE county_id = $1 AND id = $2::uuid"
                                " AND revoked_at IS NULL RETURNING id",
                                3, params);
    if (!res) {
        reply_error(req, reply, 503, "the database did not answer");
        return;
    }
    bool changed = PQntuples(res) == 1;
    PQclear(res);
    cert_row_t row;
    int rc = certificate_load(req, op->certificate_id, &row);
    if (rc <= 0) {
        if (rc < 0)
            reply_error(req, reply, 503, "the database did not answer");
        else
            reply_error(req, reply, 404, "no such certificate");
        return;
    }
    json_decref(row.payload);
    if (changed)
        yx_info(req->request_id, "certificate %s revoked (key %s): %s", row.id,
                req->principal->key_id, row.revoke_reason);
    reply_json(req, reply, 200,
               json_pack("{s:s, s:b, s:s?, s:s?}", "certificate_id", row.id, "revoked", 1,
                         "revoked_at", row.revoked_at, "revoke_reason", row.revoke_reason));
}
