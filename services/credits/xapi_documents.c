/* The xAPI document resources (Communication 2.3–2.7): state, activity profiles and agent
 * profiles, each platform's own. PUT replaces, POST merges JSON objects, GET returns one
 * document or, without its id, the ids (since a time); DELETE removes one, or for state
 * every document of an activity and agent. Every document has an ETag (SHA-1 of its
 * bytes); If-Match and If-None-Match guard writes, and a profile that exists is only
 * replaced by a PUT that names what it replaces (409 otherwise). */
#include "ops.h"
#include "rules.h"
#include "xapi_store.h"
#include "xapi_validate.h"
#include "yx_db.h"
#include "yx_text.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define DOCUMENT_MAX (1024 * 1024)
#define ID_MAX 1024

typedef enum { STATE, ACTIVITY_PROFILE, AGENT_PROFILE } kind_t;

static const char *const s_kinds[] = {"state", "activity_profile", "agent_profile"};
/* what each kind is keyed by: its id parameter, and whether it takes activityId / agent */
static const char *const s_id_param[] = {"stateId", "profileId", "profileId"};
static const bool s_has_activity[] = {true, true, false};
static const bool s_has_agent[] = {true, false, true};

typedef struct {
    request_t *req;
    Yx__CreditsReply *reply;
    const Yx__XapiDocument *op;
    kind_t kind;
    const char *activity, *agent_key, *registration, *doc_id;
    char since[40];
} doc_t;

static const char *s_param(const Yx__XapiDocument *op, const char *name)
{
    for (size_t i = 0; i < op->n_params; i++)
        if (strcmp(op->params[i]->key, name) == 0) return op->params[i]->value;
    return NULL;
}

/* Checks the parameters against what the resource and method take. 0 or -1 (answered). */
static int s_parse(doc_t *d)
{
    const Yx__XapiDocument *op = d->op;
    bool get = strcmp(op->method, "GET") == 0, del = strcmp(op->method, "DELETE") == 0;
    for (size_t i = 0; i < op->n_params; i++) {
        const char *name = op->params[i]->key;
        bool known = strcmp(name, s_id_param[d->kind]) == 0 ||
                     (s_has_activity[d->kind] && strcmp(name, "activityId") == 0) ||
                     (s_has_agent[d->kind] && strcmp(name, "agent") == 0) ||
                     (d->kind == STATE && strcmp(name, "registration") == 0) ||
                     (get && strcmp(name, "since") == 0);
        if (!known) return reply_error(d->req, d->reply, 400, "unknown parameter %s", name), -1;
    }
    d->activity = s_has_activity[d->kind] ? s_param(op, "activityId") : "";
    if (s_has_activity[d->kind] &&
        (!d->activity || !xapi_is_iri(d->activity) || strlen(d->activity) > ID_MAX))
        return reply_error(d->req, d->reply, 400, "activityId: an IRI is required"), -1;
    d->agent_key = "";
    if (s_has_agent[d->kind]) {
        xapi_error_t err;
        json_t *agent = xapi_agent_param(s_param(op, "agent"), &err);
        if (!agent) return reply_error(d->req, d->reply, 400, "%s: %s", err.path, err.reason), -1;
        d->agent_key = xapi_agent_key(d->req->arena, agent);
        json_decref(agent);
    }
    d->registration = d->kind == STATE ? s_param(op, "registration") : NULL;
    if (d->registration && !xapi_is_uuid(d->registration))
        return reply_error(d->req, d->reply, 400, "registration: must be a UUID"), -1;
    d->registration = d->registration ? d->registration : "";
    d->doc_id = s_param(op, s_id_param[d->kind]);
    if (d->doc_id && (!*d->doc_id || strlen(d->doc_id) > ID_MAX))
        return reply_error(d->req, d->reply, 400, "%s: 1 to %d characters", s_id_param[d->kind],
                           ID_MAX),
               -1;
    /* only GET lists, and only state is deleted in bulk */
    if (!d->doc_id && !get && !(del && d->kind == STATE))
        return reply_error(d->req, d->reply, 400, "%s: required", s_id_param[d->kind]), -1;
    const char *since = s_param(op, "since");
    int64_t us;
    if (since && (d->doc_id || !rules_parse_time(since, &us)))
        return reply_error(d->req, d->reply, 400, "since: %s",
                           d->doc_id ? "only when listing ids"
                                     : "must be an ISO 8601 date and time with a time zone"),
               -1;
    if (since) xapi_format_timestamp(us, d->since);
    return 0;
}

/* The parameters of every statement below: $1–$7 the document's key. */
static void s_key(const doc_t *d, const char *params[7])
{
    params[0] = d->req->credits->county_id;
    params[1] = d->req->principal->platform;
    params[2] = s_kinds[d->kind];
    params[3] = d->activity;
    params[4] = d->agent_key;
    params[5] = d->registration;
    params[6] = d->doc_id ? d->doc_id : "";
}

#define WHERE_KEY                                                                                  \
    " WHERE county_id = $1 AND platform = $2 AND kind = $3 AND activity_id = $4"                   \
    " AND agent_key = $5 AND registration = $6"

static void s_get(doc_t *d)
{
    const char *params[8];
    s_key(d, params);
    if (!d->doc_id) { /* the ids */
        params[6] = *d->since ? d->since : NULL;
        PGresult *res = yx_db_query(d->req->credits->db,
                                    "SELECT doc_id FROM credits.documents" WHERE_KEY
                                    " AND ($7::timestamptz IS NULL OR updated > $7::timestamptz)"
                                    " ORDER BY doc_id",
                                    7, params);
        if (!res) return reply_error(d->req, d->reply, 503, "could not read documents");
        json_t *ids = json_array();
        for (int r = 0; r < PQntuples(res); r++)
            json_array_append_new(ids, json_string(PQgetvalue(res, r, 0)));
        PQclear(res);
        return reply_json(d->req, d->reply, 200, ids);
    }
    PGresult *res =
        yx_db_query(d->req->credits->db,
                    "SELECT content, content_type, etag, to_char(updated AT TIME ZONE 'UTC',"
                    " 'Dy, DD Mon YYYY HH24:MI:SS \"GMT\"') FROM credits.documents" WHERE_KEY
                    " AND doc_id = $7",
                    7, params);
    if (!res) return reply_error(d->req, d->reply, 503, "could not read the document");
    if (PQntuples(res) == 0) {
        PQclear(res);
        return reply_error(d->req, d->reply, 404, "no such document");
    }
    size_t len = 0;
    unsigned char *bytes = PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, 0), &len);
    reply_header(d->req, d->reply, "ETag",
                 yx_arena_printf(d->req->arena, "\"%s\"", PQgetvalue(res, 0, 2)));
    reply_header(d->req, d->reply, "Last-Modified",
                 yx_arena_strdup(d->req->arena, PQgetvalue(res, 0, 3)));
    if (bytes)
        reply_text(d->req, d->reply, 200, yx_arena_strdup(d->req->arena, PQgetvalue(res, 0, 1)),
                   (const char *)bytes, len);
    else
        reply_error(d->req, d->reply, 500, "out of memory");
    PQfreemem(bytes);
    PQclear(res);
}

/* A header's entity tags: "*" or a list of quoted tags. true when `etag` is one of them. */
static bool s_matches(const char *header, const char *etag)
{
    if (strcmp(header, "*") == 0) return true;
    size_t n = strlen(etag);
    for (const char *p = strchr(header, '"'); p; p = strchr(p, '"')) {
        const char *end = strchr(p + 1, '"');
        if (!end) break;
        if ((size_t)(end - p - 1) == n && strncasecmp(p + 1, etag, n) == 0) return true;
        p = end + 1;
    }
    return false;
}

/* If-Match, If-None-Match and, for a profile's PUT, the rule that a replaced document must
 * be named. `etag` is the stored one, NULL when none. 0 or -1 (answered). */
static int s_preconditions(doc_t *d, const char *etag, bool replacing)
{
    const Yx__XapiDocument *op = d->op;
    bool has_match = op->if_match && *op->if_match;
    bool has_none = op->if_none_match && *op->if_none_match;
    if (has_match && (!etag || !s_matches(op->if_match, etag)))
        return reply_error(d->req, d->reply, 412, "If-Match: the document is not that one"), -1;
    if (has_none && etag && s_matches(op->if_none_match, etag))
        return reply_error(d->req, d->reply, 412, "If-None-Match: the document exists"), -1;
    if (replacing && etag && d->kind != STATE && !has_match && !has_none)
        return reply_error(d->req, d->reply, 409,
                           "the profile exists: send If-Match with its ETag to replace it"),
               -1;
    return 0;
}

static void s_sha1_hex(const void *data, size_t len, char out[41])
{
    unsigned char md[20];
    unsigned int n = 0;
    EVP_Digest(data, len, md, &n, EVP_sha1(), NULL);
    yx_hex(md, sizeof md, out);
}

/* PUT and POST: the stored document (locked), the preconditions, the merge, the write. */
static void s_write(doc_t *d, bool merge)
{
    const Yx__XapiDocument *op = d->op;
    PGconn *db = d->req->credits->db;
    if (op->body.len > DOCUMENT_MAX)
        return reply_error(d->req, d->reply, 413, "a document may have at most %d bytes",
                           DOCUMENT_MAX);
    const char *type =
        op->content_type && *op->content_type ? op->content_type : "application/octet-stream";
    json_t *incoming = NULL;
    if (merge || xapi_is_json_type(type)) {
        json_error_t jerr;
        incoming =
            json_loadb((const char *)op->body.data, op->body.len, JSON_REJECT_DUPLICATES, &jerr);
        if (xapi_is_json_type(type) && !incoming)
            return reply_error(d->req, d->reply, 400, "body: not valid JSON: %s", jerr.text);
    }
    const char *params[10];
    s_key(d, params);
    if (yx_db_begin(db) < 0) {
        json_decref(incoming);
        return reply_error(d->req, d->reply, 503, "the database did not answer");
    }
    PGresult *res =
        yx_db_query(db,
                    "SELECT content, content_type, etag FROM credits.documents" WHERE_KEY
                    " AND doc_id = $7 FOR UPDATE",
                    7, params);
    bool exists = res && PQntuples(res) == 1;
    json_t *merged = NULL;
    int rc = res ? s_preconditions(d, exists ? PQgetvalue(res, 0, 2) : NULL, !merge) : -1;
    if (!res) reply_error(d->req, d->reply, 503, "could not read the document");
    if (rc == 0 && merge && exists) {
        /* a POST merges two JSON objects, and nothing else */
        size_t len = 0;
        unsigned char *old = PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, 0), &len);
        merged = old && xapi_is_json_type(PQgetvalue(res, 0, 1))
                     ? json_loadb((const char *)old, len, 0, NULL)
                     : NULL;
        PQfreemem(old);
        if (!json_is_object(merged) || !json_is_object(incoming) || !xapi_is_json_type(type)) {
            rc = -1;
            reply_error(d->req, d->reply, 400,
                        "POST merges JSON objects: the stored document and the body must both be"
                        " application/json objects");
        } else {
            json_object_update(merged, incoming);
        }
    }
    PQclear(res);
    char *text = merged ? json_dumps(merged, JSON_COMPACT) : NULL;
    const void *data = text ? text : (const void *)op->body.data;
    size_t len = text ? strlen(text) : op->body.len;
    if (rc == 0 && merged && !text) rc = -1, reply_error(d->req, d->reply, 500, "out of memory");
    if (rc == 0) {
        char etag[41];
        s_sha1_hex(data, len, etag);
        const char *values[] = {params[0], params[1], params[2], params[3], params[4],
                                params[5], params[6], type,      etag};
        const int lengths[10] = {0, 0, 0, 0, 0, 0, 0, 0, 0, (int)len};
        const int formats[10] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        const char *all[10];
        memcpy(all, values, sizeof values);
        all[9] = data;
        res = PQexecParams(
            db,
            "INSERT INTO credits.documents (county_id, platform, kind, activity_id,"
            " agent_key, registration, doc_id, content_type, etag, content, updated)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now())"
            " ON CONFLICT (county_id, platform, kind, activity_id, agent_key,"
            " registration, doc_id) DO UPDATE SET content_type = EXCLUDED.content_type,"
            " etag = EXCLUDED.etag, content = EXCLUDED.content, updated = now()",
            10, NULL, all, lengths, formats, 0);
        rc = PQresultStatus(res) == PGRES_COMMAND_OK && yx_db_commit(db) == 0 ? 0 : -1;
        PQclear(res);
        if (rc == 0) {
            reply_header(d->req, d->reply, "ETag", yx_arena_printf(d->req->arena, "\"%s\"", etag));
            reply_text(d->req, d->reply, 204, "", "", 0);
        } else {
            reply_error(d->req, d->reply, 503, "could not store the document");
        }
    }
    if (rc < 0) yx_db_rollback(db);
    free(text);
    json_decref(merged);
    json_decref(incoming);
}

static void s_delete(doc_t *d)
{
    PGconn *db = d->req->credits->db;
    const char *params[7];
    s_key(d, params);
    if (yx_db_begin(db) < 0)
        return reply_error(d->req, d->reply, 503, "the database did not answer");
    int rc = 0;
    if (d->doc_id) {
        PGresult *res = yx_db_query(
            db, "SELECT etag FROM credits.documents" WHERE_KEY " AND doc_id = $7 FOR UPDATE", 7,
            params);
        rc = res ? s_preconditions(d, PQntuples(res) ? PQgetvalue(res, 0, 0) : NULL, false) : -1;
        if (!res) reply_error(d->req, d->reply, 503, "could not read the document");
        PQclear(res);
    }
    /* without a stateId: every state document of the activity, agent (and registration) */
    if (rc == 0 &&
        yx_db_exec(db, "DELETE FROM credits.documents" WHERE_KEY " AND ($7 = '' OR doc_id = $7)", 7,
                   params) == 0 &&
        yx_db_commit(db) == 0)
        return reply_text(d->req, d->reply, 204, "", "", 0);
    yx_db_rollback(db);
    if (rc == 0) reply_error(d->req, d->reply, 503, "could not delete");
}

void xapi_document(request_t *req, const Yx__XapiDocument *op, Yx__CreditsReply *reply)
{
    if (req->principal->role != YX__ROLE__ROLE_PLATFORM || !req->principal->platform ||
        !*req->principal->platform)
        return reply_error(req, reply, 403, "documents belong to platforms: use a platform key");
    doc_t d = {.req = req, .reply = reply, .op = op};
    size_t k = 0;
    while (k < 3 && strcmp(op->resource, s_kinds[k]) != 0)
        k++;
    if (k == 3) return reply_error(req, reply, 404, "no such resource");
    d.kind = (kind_t)k;
    if (s_parse(&d) < 0) return;
    if (strcmp(op->method, "GET") == 0)
        s_get(&d);
    else if (strcmp(op->method, "PUT") == 0 || strcmp(op->method, "POST") == 0)
        s_write(&d, op->method[1] == 'O');
    else if (strcmp(op->method, "DELETE") == 0)
        s_delete(&d);
    else
        reply_error(req, reply, 405, "method %s not allowed here", op->method);
}
