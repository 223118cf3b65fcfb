/* Issuing certificates (county admin): one signed document per teacher who passed a program.
 * One live certificate per (program, teacher): asking again answers the one already issued,
 * and only a revocation makes room for a new one. */
#include "certificate.h"
#include "transcript.h"
#include "ops.h"
#include "yx_db.h"
#include "yx_log.h"
#include "yx_strmap.h"

#include <math.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ID 255
#define MAX_POINTS 1e9 /* far beyond any program; guards the canonical form (no exponents) */

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A random (version 4) UUID: the id is inside what is signed, so it is made before the row. */
static int s_uuid(char out[37])
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1) return -1;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
    return 0;
}

/* The live certificate of (program, teacher) as a document. 1 found, 0 none, -1 error. */
static int s_find_live(credits_t *credits, const char *program_id, const char *teacher_id,
                       json_t **doc)
{
    const char *const params[] = {credits->county_id, program_id, teacher_id};
    PGresult *res = yx_db_query(credits->db,
                                "SELECT payload::text, signature FROM credits.certificates"
                                " WHERE county_id = $1 AND program_id = $2 AND teacher_id = $3"
                                " AND revoked_at IS NULL",
                                3, params);
    if (!res) return -1;
    int found = PQntuples(res) > 0;
    if (found) {
        json_t *payload = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
        *doc = signer_document(credits->signer, payload, PQgetvalue(res, 0, 1));
        if (!*doc) found = -1;
    }
    PQclear(res);
    return found;
}

static cert_outcome_t s_found(json_t *found, json_t **doc)
{
    if (doc)
        *doc = found;
    else
        json_decref(found);
    return CERT_EXISTING;
}

/* The payload the county signs. Points are rounded to hundredths: enough for credit hours, and
 * a value that small and short always prints the same way (see yx_sign_canonical). */
static json_t *s_payload(credits_t *credits, const char *id, const char *program_id,
                         const char *program_name, const dir_teacher_t *t, double points)
{
    char issued_at[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(issued_at, sizeof issued_at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:b, s:s, s:s}", "certificate_id", id,
                     "program_id", program_id, "program_name", program_name, "teacher_id",
                     t->teacher_id, "teacher_name", t->name ? t->name : "", "school_id",
                     t->school_id ? t->school_id : "", "total_points", round(points * 100) / 100,
                     "passed", 1, "issued_at", issued_at, "issuer", credits->county_id);
}

/* Signs and stores a new certificate. CERT_ISSUED, CERT_EXISTING when another instance
 * stored one first, or CERT_ERROR. */
static cert_outcome_t s_store(credits_t *credits, json_t *payload, json_t **doc)
{
    json_t *signed_doc = signer_sign(credits->signer, payload);
    char *canonical = yx_sign_canonical(payload);
    const char *signature = json_string_value(json_object_get(signed_doc, "signature"));
    if (!signed_doc || !canonical || !signature) {
        yx_error(NULL, "could not sign a certificate");
        json_decref(signed_doc);
        free(canonical);
        return CERT_ERROR;
    }
    const char *program_id = json_string_value(json_object_get(payload, "program_id"));
    const char *teacher_id = json_string_value(json_object_get(payload, "teacher_id"));
    const char *const params[] = {credits->county_id,
                                  json_string_value(json_object_get(payload, "certificate_id")),
                                  program_id,
                                  teacher_id,
                                  canonical,
                                  signature,
                                  json_string_value(json_object_get(payload, "issued_at"))};
    PGresult *res = yx_db_query(
        credits->db,
        "INSERT INTO credits.certificates (county_id, id, program_id, teacher_id, payload,"
        " signature, issued_at) VALUES ($1, $2::uuid, $3, $4, $5::jsonb, $6, $7::timestamptz)"
        " ON CONFLICT (county_id, program_id, teacher_id) WHERE revoked_at IS NULL DO NOTHING"
        " RETURNING id",
        7, params);
    free(canonical);
    if (!res) {
        json_decref(signed_doc);
        return CERT_ERROR;
    }
    bool inserted = PQntuples(res) == 1;
    PQclear(res);
    if (inserted) {
        if (doc)
            *doc = signed_doc;
        else
            json_decref(signed_doc);
        return CERT_ISSUED;
    }
    json_decref(signed_doc);
    json_t *found = NULL;
    int rc = s_find_live(credits, program_id, teacher_id, &found);
    return rc > 0 ? s_found(found, doc) : CERT_ERROR;
}

cert_outcome_t certificate_issue_one(credits_t *credits, const char *program_id,
                                     const char *teacher_id, json_t **doc, char *why,
                                     size_t why_len)
{
    if (doc) *doc = NULL;
    json_t *found = NULL;
    int rc = s_find_live(credits, program_id, teacher_id, &found);
    if (rc < 0) return CERT_ERROR;
    if (rc > 0) return s_found(found, doc);

    const dir_teacher_t *t =
        credits->directory ? directory_teacher(credits->directory, teacher_id) : NULL;
    if (!t) {
        snprintf(why, why_len, "not a teacher the roster knows");
        return CERT_REFUSED;
    }
    double points = 0;
    bool passed = false;
    char *program_name = NULL;
    rc = transcript_result(credits, program_id, teacher_id, &points, &passed, &program_name);
    if (rc < 0) return CERT_ERROR;
    if (rc == TRANSCRIPT_NO_PROGRAM) return CERT_NO_PROGRAM;
    if (rc == TRANSCRIPT_NOT_IN_PROGRAM) {
        snprintf(why, why_len, "not in the program");
        return CERT_REFUSED;
    }
    if (!passed) {
        free(program_name);
        snprintf(why, why_len, "did not pass (%.2f points)", points);
        return CERT_REFUSED;
    }
    if (!isfinite(points) || points < 0 || points >= MAX_POINTS) {
        free(program_name);
        yx_error(NULL, "program %s, teacher %s: implausible total of points", program_id,
                 teacher_id);
        return CERT_ERROR;
    }
    char id[37];
    json_t *payload = s_uuid(id) == 0 ? s_payload(credits, id, program_id,
                                                  program_name ? program_name : "", t, points)
                                      : NULL;
    free(program_name);
    if (!payload) return CERT_ERROR;
    cert_outcome_t outcome = s_store(credits, payload, doc);
    json_decref(payload);
    return outcome;
}

/* 400 with a problem per bad id; true when all are fine. */
static bool s_ids_ok(request_t *req, const Yx__IssueCertificates *op, Yx__CreditsReply *reply)
{
    if (!certificate_text_ok(op->program_id, MAX_ID)) {
        reply_error(req, reply, 400, "a program id is required");
        return false;
    }
    bool ok = true;
    for (size_t i = 0; i < op->n_teacher_ids; i++) {
        if (certificate_text_ok(op->teacher_ids[i], MAX_ID)) continue;
        if (ok) reply_error(req, reply, 400, "bad teacher ids");
        ok = false;
        char column[48];
        snprintf(column, sizeof column, "teacher_ids[%zu]", i);
        reply_problem(req, reply, "", 0, column, "not a teacher id (1-255 bytes of text)");
    }
    return ok;
}

typedef struct {
    json_t *issued, *refused;
    size_t created, existing;
} tally_t;

/* Issues for each teacher in one transaction: all or nothing. 0, or the HTTP error code. */
static unsigned s_issue_all(request_t *req, const Yx__IssueCertificates *op, tally_t *tally)
{
    credits_t *credits = req->credits;
    const directory_t *dir = credits->directory;
    /* without a list: every teacher the roster knows, those outside the program or who did
     * not pass silently left out; with a list: exactly those, each refusal said */
    bool all = op->n_teacher_ids == 0;
    size_t n = all ? directory_count(dir) : op->n_teacher_ids;
    yx_strmap_t *seen = yx_strmap_new(n);
    if (!seen || yx_db_begin(credits->db) < 0) {
        yx_strmap_destroy(&seen);
        return 503;
    }
    unsigned code = 0;
    for (size_t i = 0; i < n && !code; i++) {
        /* past the deadline the caller has answered 504 already: keep nothing it was not told */
        if (req->deadline_unix_ms && s_now_ms() > req->deadline_unix_ms) {
            code = 504;
            break;
        }
        const char *teacher_id = all ? directory_at(dir, i)->teacher_id : op->teacher_ids[i];
        if (yx_strmap_put(seen, teacher_id, (void *)teacher_id) != 0) continue; /* repeated */
        json_t *doc = NULL;
        char why[128] = "";
        switch (certificate_issue_one(credits, op->program_id, teacher_id, &doc, why, sizeof why)) {
        case CERT_ISSUED:
            tally->created++;
            json_array_append_new(tally->issued, doc);
            break;
        case CERT_EXISTING:
            tally->existing++;
            json_array_append_new(tally->issued, doc);
            break;
        case CERT_REFUSED:
            if (!all)
                json_array_append_new(tally->refused, json_pack("{s:s, s:s}", "teacher_id",
                                                                teacher_id, "reason", why));
            break;
        case CERT_NO_PROGRAM:
            code = 404;
            break;
        case CERT_ERROR:
            code = 503;
            break;
        }
    }
    yx_strmap_destroy(&seen);
    if (!code && req->deadline_unix_ms && s_now_ms() > req->deadline_unix_ms) code = 504;
    if (!code && yx_db_commit(credits->db) < 0) code = 503;
    if (code) yx_db_rollback(credits->db);
    return code;
}

void certificate_issue(request_t *req, const Yx__IssueCertificates *op, Yx__CreditsReply *reply)
{
    credits_t *credits = req->credits;
    if (!req->principal || req->principal->role != YX__ROLE__ROLE_COUNTY_ADMIN) {
        reply_error(req, reply, 403, "only the county issues certificates");
        return;
    }
    if (!s_ids_ok(req, op, reply)) return;
    if (!credits->signer) {
        reply_error(req, reply, 503, "the signing key is not loaded");
        return;
    }
    if (!credits->directory || !directory_ready(credits->directory)) {
        reply_error(req, reply, 503, "the roster is not loaded yet");
        return;
    }
    tally_t tally = {.issued = json_array(), .refused = json_array()};
    unsigned code = tally.issued && tally.refused ? s_issue_all(req, op, &tally) : 503;
    if (code) {
        json_decref(tally.issued);
        json_decref(tally.refused);
        if (code == 404)
            reply_error(req, reply, 404, "no such program");
        else if (code == 504)
            reply_error(req, reply, 504, "deadline passed: nothing was issued");
        else
            reply_error(req, reply, 503, "the database did not answer");
        return;
    }
    yx_info(req->request_id, "program %s: %zu certificates issued, %zu already were, %zu refused",
            op->program_id, tally.created, tally.existing, json_array_size(tally.refused));
    reply_json(req, reply, 200,
               json_pack("{s:o, s:o}", "issued", tally.issued, "refused", tally.refused));
}
