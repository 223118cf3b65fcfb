/* What the certificate operations share: input checks and reading one stored certificate. */
#include "certificate.h"
#include "yx_db.h"
#include "yx_log.h"
#include "yx_text.h"

#include <ctype.h>
#include <string.h>

bool certificate_id_ok(const char *id)
{
    if (strlen(id) != 36) return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? id[i] != '-' : !isxdigit((unsigned char)id[i])) return false;
    }
    return true;
}

bool certificate_text_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max || !yx_utf8_valid(s, n)) return false;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) return false;
    return true;
}

static const char *s_text_or_null(request_t *req, PGresult *res, int col)
{
    return PQgetisnull(res, 0, col) ? NULL : yx_arena_strdup(req->arena, PQgetvalue(res, 0, col));
}

int certificate_load(request_t *req, const char *id, cert_row_t *row)
{
    memset(row, 0, sizeof *row);
    if (!certificate_id_ok(id)) return 0;
    const char *const params[] = {req->credits->county_id, id};
    PGresult *res = yx_db_query(
        req->credits->db,
        "SELECT id, program_id, teacher_id, signature, payload::text,"
        " to_char(revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), revoke_reason"
        " FROM credits.certificates WHERE county_id = $1 AND id = $2::uuid",
        2, params);
    if (!res) return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return 0;
    }
    json_error_t error;
    row->payload = json_loads(PQgetvalue(res, 0, 4), 0, &error);
    if (!row->payload) {
        yx_error(req->request_id, "certificate %s: stored payload unreadable: %s", id, error.text);
        PQclear(res);
        return -1;
    }
    row->id = s_text_or_null(req, res, 0);
    row->program_id = s_text_or_null(req, res, 1);
    row->teacher_id = s_text_or_null(req, res, 2);
    row->signature = s_text_or_null(req, res, 3);
    row->revoked_at = s_text_or_null(req, res, 5);
    row->revoke_reason = s_text_or_null(req, res, 6);
    PQclear(res);
    if (!row->id || !row->program_id || !row->teacher_id || !row->signature) {
        json_decref(row->payload);
        row->payload = NULL;
        return -1; /* out of memory */
    }
    return 1;
}
