/* GET /xapi/statements. Parameters are checked to the standards of the statements
 * themselves (Data 2.2.s4.b4); the page is one SQL statement whose WHERE clause is put
 * together from fixed fragments with numbered parameters. Statements come back exactly as
 * stored (their jsonb text is copied into the answer, never re-encoded), voided ones only
 * through voidedStatementId, and a platform sees only what it sent. */
#include "xapi_query.h"
#include "ops.h"
#include "xapi_attachments.h"
#include "xapi_store.h"
#include "xapi_validate.h"
#include "yx_db.h"
#include "yx_log.h"
#include "yx_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define MAX_PARAMS 24

typedef enum { FORMAT_EXACT, FORMAT_IDS, FORMAT_CANONICAL } format_t;

typedef struct {
    const char *statement_id, *voided_id;
    const char *agent_key, *verb, *activity, *registration;
    bool related_agents, related_activities, ascending, attachments;
    char since[32], until[32];
    long limit;
    format_t format;
    xapi_languages_t languages; /* for format=canonical */
    bool has_after;
    long long after;
    json_t *params; /* the filter as given: what a cursor carries */
} query_t;

/* ---- cursor ---------------------------------------------------------------------------- */

static const char s_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const char *xapi_cursor_encode(yx_arena_t *arena, const json_t *params, long long seq)
{
    json_t *doc = json_pack("{s:O, s:I}", "q", params, "s", (json_int_t)seq);
    char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(doc);
    if (!text) return NULL;
    size_t n = strlen(text);
    char *out = yx_arena_alloc(arena, (n + 2) / 3 * 4 + 1), *p = out;
    for (size_t i = 0; out && i < n; i += 3) {
        unsigned v = (unsigned char)text[i] << 16;
        if (i + 1 < n) v |= (unsigned char)text[i + 1] << 8;
        if (i + 2 < n) v |= (unsigned char)text[i + 2];
        *p++ = s_b64[v >> 18 & 63];
        *p++ = s_b64[v >> 12 & 63];
        if (i + 1 < n) *p++ = s_b64[v >> 6 & 63];
        if (i + 2 < n) *p++ = s_b64[v & 63];
    }
    if (p) *p = '\0';
    free(text);
    return out;
}

int xapi_cursor_decode(const char *cursor, json_t **params, long long *seq)
{
    size_t n = strlen(cursor);
    if (!n || n > 8192 || n % 4 == 1) return -1;
    char *text = malloc(n);
    size_t len = 0;
    unsigned v = 0;
    int bits = 0;
    for (size_t i = 0; text && i < n; i++) {
        const char *at = strchr(s_b64, cursor[i]);
        if (!at || !cursor[i]) {
            free(text);
            return -1;
        }
        v = v << 6 | (unsigned)(at - s_b64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            text[len++] = (char)(v >> bits & 0xff);
        }
    }
    json_t *doc = text ? json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL) : NULL;
    free(text);
    json_t *q = json_object_get(doc, "q"), *s = json_object_get(doc, "s");
    bool ok = json_is_object(q) && json_is_integer(s) && json_integer_value(s) >= 0 &&
              json_object_size(doc) == 2;
    const char *key;
    json_t *value;
    json_object_foreach(q, key, value) ok = ok && json_is_string(value);
    if (ok) {
        *params = json_incref(q);
        *seq = json_integer_value(s);
    }
    json_decref(doc);
    return ok ? 0 : -1;
}

/* ---- format=ids ------------------------------------------------------------------------- */

static void s_keep_only(json_t *obj, const char *const *keep)
{
    const char *key;
    json_t *value;
    void *tmp;
    json_object_foreach_safe(obj, tmp, key, value)
    {
        bool kept = false;
        for (const char *const *k = keep; *k && !kept; k++)
            kept = strcmp(key, *k) == 0;
        if (!kept) json_object_del(obj, key);
    }
}

static const char *const s_agent_ids[] = {"objectType", "mbox",    "mbox_sha1sum",
                                          "openid",     "account", NULL};

/* An identified Group keeps its identifier; an anonymous one, its members' identifiers. */
static void s_ids_agent(json_t *agent)
{
    if (!agent) return;
    json_t *members = json_object_get(agent, "member");
    bool anonymous = !json_object_get(agent, "mbox") && !json_object_get(agent, "mbox_sha1sum") &&
                     !json_object_get(agent, "openid") && !json_object_get(agent, "account");
    if (anonymous && members) {
        json_incref(members);
        s_keep_only(agent, s_agent_ids);
        size_t i;
        json_t *member;
        json_array_foreach(members, i, member) s_keep_only(member, s_agent_ids);
        json_object_set_new(agent, "member", members);
    } else {
        s_keep_only(agent, s_agent_ids);
    }
}

static void s_ids_activity(json_t *activity)
{
    static const char *const keep[] = {"objectType", "id", NULL};
    if (activity) s_keep_only(activity, keep);
}

static void s_ids_core(json_t *st)
{
    static const char *const verb_keep[] = {"id", NULL};
    json_t *verb = json_object_get(st, "verb");
    if (verb) s_keep_only(verb, verb_keep);
    s_ids_agent(json_object_get(st, "actor"));
    json_t *object = json_object_get(st, "object");
    const char *type = json_string_value(json_object_get(object, "objectType"));
    if (!type || strcmp(type, "Activity") == 0)
        s_ids_activity(object);
    else if (strcmp(type, "Agent") == 0 || strcmp(type, "Group") == 0)
        s_ids_agent(object);
    else if (strcmp(type, "SubStatement") == 0)
        s_ids_core(object);
    json_t *context = json_object_get(st, "context");
    s_ids_agent(json_object_get(context, "instructor"));
    s_ids_agent(json_object_get(context, "team"));
    const char *kind;
    json_t *list;
    json_object_foreach(json_object_get(context, "contextActivities"), kind, list)
    {
        size_t i;
        json_t *activity;
        json_array_foreach(list, i, activity) s_ids_activity(activity);
    }
}

void xapi_format_ids(json_t *statement)
{
    s_ids_core(statement);
    s_ids_agent(json_object_get(statement, "authority"));
}

/* ---- parameters ------------------------------------------------------------------------- */

static int s_bool_param(request_t *req, Yx__CreditsReply *reply, const char *name,
                        const char *value, bool *out)
{
    if (strcmp(value, "true") == 0 || strcmp(value, "false") == 0) {
        *out = value[0] == 't';
        return 0;
    }
    reply_error(req, reply, 400, "%s: must be true or false", name);
    return -1;
}

static int s_time_param(request_t *req, Yx__CreditsReply *reply, const char *name,
                        const char *value, char out[32])
{
    int64_t us;
    if (xapi_parse_timestamp(value, &us) == 0) {
        /* stored has millisecond precision: truncating keeps "since" and "until" exact */
        xapi_format_timestamp(us, out);
        return 0;
    }
    reply_error(req, reply, 400, "%s: must be an ISO 8601 date and time with a time zone", name);
    return -1;
}

/* Checks one parameter and records it. 0 or -1 (answered). */
static int s_param(request_t *req, Yx__CreditsReply *reply, query_t *q, const char *name,
                   const char *value)
{
    if (strcmp(name, "statementId") == 0 || strcmp(name, "voidedStatementId") == 0) {
        if (!xapi_is_uuid(value))
            return reply_error(req, reply, 400, "%s: must be a UUID", name), -1;
        *(name[0] == 's' ? &q->statement_id : &q->voided_id) = value;
    } else if (strcmp(name, "agent") == 0) {
        xapi_error_t err;
        json_t *agent = xapi_agent_param(value, &err);
        if (!agent) return reply_error(req, reply, 400, "%s: %s", err.path, err.reason), -1;
        q->agent_key = xapi_agent_key(req->arena, agent);
        json_decref(agent);
    } else if (strcmp(name, "verb") == 0 || strcmp(name, "activity") == 0) {
        if (!xapi_is_iri(value))
            return reply_error(req, reply, 400, "%s: must be an IRI with a scheme", name), -1;
        *(name[0] == 'v' ? &q->verb : &q->activity) = value;
    } else if (strcmp(name, "registration") == 0) {
        if (!xapi_is_uuid(value))
            return reply_error(req, reply, 400, "registration: must be a UUID"), -1;
        q->registration = value;
    } else if (strcmp(name, "related_agents") == 0) {
        return s_bool_param(req, reply, name, value, &q->related_agents);
    } else if (strcmp(name, "related_activities") == 0) {
        return s_bool_param(req, reply, name, value, &q->related_activities);
    } else if (strcmp(name, "ascending") == 0) {
        return s_bool_param(req, reply, name, value, &q->ascending);
    } else if (strcmp(name, "attachments") == 0) {
        return s_bool_param(req, reply, name, value, &q->attachments);
    } else if (strcmp(name, "since") == 0 || strcmp(name, "until") == 0) {
        return s_time_param(req, reply, name, value, name[0] == 's' ? q->since : q->until);
    } else if (strcmp(name, "limit") == 0) {
        char *end;
        long limit = strtol(value, &end, 10);
        if (!*value || *end || limit < 0 || value[0] == '-' || value[0] == '+')
            return reply_error(req, reply, 400, "limit: must be a non-negative integer"), -1;
        q->limit = limit == 0 || limit > XAPI_MAX_LIMIT ? XAPI_MAX_LIMIT : limit;
    } else if (strcmp(name, "format") == 0) {
        if (strcmp(value, "exact") == 0)
            q->format = FORMAT_EXACT;
        else if (strcmp(value, "ids") == 0)
            q->format = FORMAT_IDS;
        else if (strcmp(value, "canonical") == 0)
            q->format = FORMAT_CANONICAL;
        else
            return reply_error(req, reply, 400, "format: must be ids, exact or canonical"), -1;
    } else {
        return reply_error(req, reply, 400, "%s: not a parameter of the Statements resource", name),
               -1;
    }
    return 0;
}

static int s_parse(request_t *req, Yx__CreditsReply *reply, query_t *q, json_t *params)
{
    q->limit = XAPI_MAX_LIMIT;
    const char *name;
    json_t *value;
    json_object_foreach(params, name, value) if (s_param(req, reply, q, name,
                                                         json_string_value(value)) < 0) return -1;
    if (q->statement_id && q->voided_id)
        return reply_error(req, reply, 400,
                           "statementId and voidedStatementId cannot be used together"),
               -1;
    if (q->statement_id || q->voided_id) {
        json_object_foreach(params, name, value)
        {
            if (strcmp(name, "statementId") && strcmp(name, "voidedStatementId") &&
                strcmp(name, "format") && strcmp(name, "attachments"))
                return reply_error(req, reply, 400,
                                   "%s: only format and attachments may accompany %s", name,
                                   q->statement_id ? "statementId" : "voidedStatementId"),
                       -1;
        }
    }
    return 0;
}

/* ---- answers ------------------------------------------------------------------------------ */

/* The time up to which every statement is visible: now, unless a batch is being written
 * (then the last committed "stored", which every later statement will reach or pass). */
static const char *s_consistent_through(request_t *req)
{
    static const char sql[] =
        "SELECT pg_try_advisory_xact_lock_shared(" XAPI_WRITE_LOCK "),"
        " to_char(greatest(clock_timestamp(), last_stored) AT TIME ZONE 'UTC',"
        "  'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
        " to_char(last_stored AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
        " FROM credits.statement_counter";
    PGresult *res = yx_db_query(req->credits->db, sql, 0, NULL);
    const char *through = NULL;
    if (res && PQntuples(res) == 1)
        through = yx_arena_strdup(req->arena,
                                  PQgetvalue(res, 0, PQgetvalue(res, 0, 0)[0] == 't' ? 1 : 2));
    PQclear(res);
    return through;
}

/* The document, as JSON or as the multipart form attachments=true asks for: the statements,
 * then the stored content of each attachment they name (hashes). */
static void s_send(request_t *req, Yx__CreditsReply *reply, const query_t *q, xapi_buf_t *json,
                   yx_pgarray_t *hashes)
{
    if (!q->attachments) {
        reply_text(req, reply, 200, "application/json", json->data, json->len);
        return;
    }
    unsigned char random[8];
    char boundary[40] = "yanxiu-";
    if (getrandom(random, sizeof random, 0) != sizeof random) memset(random, 7, sizeof random);
    yx_hex(random, sizeof random, boundary + 7);
    xapi_buf_t body = {0};
    xapi_buf_str(&body, "--");
    xapi_buf_str(&body, boundary);
    xapi_buf_str(&body, "\r\nContent-Type: application/json\r\n\r\n");
    int rc = xapi_buf_add(&body, json->data, json->len) |
             xapi_parts_append(req->credits->db, req->credits->county_id, hashes, &body, boundary) |
             xapi_buf_str(&body, "\r\n--") | xapi_buf_str(&body, boundary) |
             xapi_buf_str(&body, "--\r\n");
    if (rc) {
        xapi_buf_free(&body);
        return reply_error(req, reply, 503, "could not read the attachments");
    }
    reply_text(req, reply, 200,
               yx_arena_printf(req->arena, "multipart/mixed; boundary=%s", boundary), body.data,
               body.len);
    xapi_buf_free(&body);
}

/* One stored statement's text in the requested format; with attachments=true the SHA-2 of
 * its attachments go to hashes. 0 or -1. */
static int s_statement(xapi_buf_t *out, const char *text, const query_t *q, yx_pgarray_t *hashes)
{
    if (q->format == FORMAT_EXACT && !q->attachments) return xapi_buf_str(out, text);
    json_t *st = json_loads(text, 0, NULL);
    if (!st) return -1;
    if (q->attachments) xapi_attachment_hashes(st, hashes);
    if (q->format == FORMAT_EXACT) {
        json_decref(st);
        return xapi_buf_str(out, text);
    }
    if (q->format == FORMAT_IDS)
        xapi_format_ids(st);
    else
        xapi_format_canonical(st, &q->languages);
    int rc = xapi_dump(out, st);
    json_decref(st);
    return rc;
}

static bool s_platform(const request_t *req)
{
    return req->principal->role == YX__ROLE__ROLE_PLATFORM;
}

static void s_single(request_t *req, Yx__CreditsReply *reply, const query_t *q)
{
    static const char sql[] =
        "SELECT statement::text, voided, platform,"
        " to_char(stored AT TIME ZONE 'UTC', 'Dy, DD Mon YYYY HH24:MI:SS \"GMT\"')"
        " FROM credits.statements WHERE county_id = $1 AND id = $2::uuid";
    const char *id = q->statement_id ? q->statement_id : q->voided_id;
    const char *params[] = {req->credits->county_id, id};
    PGresult *res = yx_db_query(req->credits->db, sql, 2, params);
    if (!res) return reply_error(req, reply, 503, "could not read statements");
    bool found = PQntuples(res) == 1;
    bool voided = found && PQgetvalue(res, 0, 1)[0] == 't';
    /* a voided statement only answers to voidedStatementId, and only its sender sees it */
    if (found && (voided != (q->voided_id != NULL) ||
                  (s_platform(req) && strcmp(PQgetvalue(res, 0, 2), req->principal->platform))))
        found = false;
    if (!found) {
        PQclear(res);
        return reply_error(req, reply, 404, "no statement with %s %s",
                           q->statement_id ? "statementId" : "voidedStatementId", id);
    }
    xapi_buf_t json = {0};
    yx_pgarray_t hashes;
    yx_pgarray_init(&hashes);
    if (s_statement(&json, PQgetvalue(res, 0, 0), q, &hashes) < 0) {
        reply_error(req, reply, 500, "could not render the statement");
    } else {
        reply_header(req, reply, "Last-Modified",
                     yx_arena_strdup(req->arena, PQgetvalue(res, 0, 3)));
        s_send(req, reply, q, &json, &hashes);
    }
    PQclear(res);
    yx_pgarray_free(&hashes);
    xapi_buf_free(&json);
}

typedef struct {
    const char *values[MAX_PARAMS];
    int n;
    xapi_buf_t sql;
} sql_t;

/* Adds a bind parameter and returns its placeholder. */
static const char *s_bind(request_t *req, sql_t *s, const char *value)
{
    s->values[s->n++] = value;
    return yx_arena_printf(req->arena, "$%d", s->n);
}

static void s_sql(sql_t *s, const char *text)
{
    xapi_buf_str(&s->sql, text);
}

/* The filter conditions on alias `a` (the non-time ones: they also select the statements
 * a StatementRef targets). */
static void s_filter(sql_t *s, const char *a, const char *const *ph, const query_t *q)
{
    char part[256];
    if (q->agent_key && q->related_agents) {
        snprintf(part, sizeof part, " AND %s.related_agents @> ARRAY[%s]::text[]", a, ph[0]);
        s_sql(s, part);
    } else if (q->agent_key) {
        /* the same as agents @> ARRAY[key], in the shape the two indexes serve: the actor's
         * key, or one of the rarer statements whose agents are more than their actor */
        snprintf(part, sizeof part,
                 " AND (%s.actor_key = %s OR (%s.agents <> ARRAY[%s.actor_key]"
                 " AND %s.agents @> ARRAY[%s]::text[]))",
                 a, ph[0], a, a, a, ph[0]);
        s_sql(s, part);
    }
    if (q->verb) {
        snprintf(part, sizeof part, " AND %s.verb_id = %s", a, ph[1]);
        s_sql(s, part);
    }
    if (q->activity) {
        if (q->related_activities)
            snprintf(part, sizeof part, " AND %s.related_activities @> ARRAY[%s]::text[]", a,
                     ph[2]);
        else
            snprintf(part, sizeof part, " AND %s.activity_id = %s", a, ph[2]);
        s_sql(s, part);
    }
    if (q->registration) {
        snprintf(part, sizeof part, " AND %s.registration = %s::uuid", a, ph[3]);
        s_sql(s, part);
    }
}

static void s_list(request_t *req, Yx__CreditsReply *reply, const query_t *q)
{
    sql_t s = {0};
    const char *county = s_bind(req, &s, req->credits->county_id);
    const char *ph[4] = {
        q->agent_key ? s_bind(req, &s, q->agent_key) : NULL,
        q->verb ? s_bind(req, &s, q->verb) : NULL,
        q->activity ? s_bind(req, &s, q->activity) : NULL,
        q->registration ? s_bind(req, &s, q->registration) : NULL,
    };
    char limit_text[24], after_text[24];
    snprintf(limit_text, sizeof limit_text, "%ld", q->limit + 1);
    snprintf(after_text, sizeof after_text, "%lld", q->after);
    const char *limit = s_bind(req, &s, limit_text);
    /* what the caller may see, in the time window, past the cursor */
    xapi_buf_t base = {0};
    xapi_buf_str(&base, " s.county_id = ");
    xapi_buf_str(&base, county);
    xapi_buf_str(&base, " AND NOT s.voided");
    if (s_platform(req)) {
        xapi_buf_str(&base, " AND s.platform = ");
        xapi_buf_str(&base, s_bind(req, &s, req->principal->platform));
    }
    if (q->since[0]) {
        xapi_buf_str(&base, " AND s.stored > ");
        xapi_buf_str(&base, s_bind(req, &s, q->since));
        xapi_buf_str(&base, "::timestamptz");
    }
    if (q->until[0]) {
        xapi_buf_str(&base, " AND s.stored <= ");
        xapi_buf_str(&base, s_bind(req, &s, q->until));
        xapi_buf_str(&base, "::timestamptz");
    }
    if (q->has_after) {
        xapi_buf_str(&base, q->ascending ? " AND s.seq > " : " AND s.seq < ");
        xapi_buf_str(&base, s_bind(req, &s, after_text));
        xapi_buf_str(&base, "::bigint");
    }
    const char *order = q->ascending ? " ORDER BY s.seq" : " ORDER BY s.seq DESC";
    if (!q->agent_key && !q->verb && !q->activity && !q->registration) {
        s_sql(&s, "SELECT s.seq, s.statement::text FROM credits.statements s WHERE");
        s_sql(&s, base.data);
    } else {
        /* statements targeting a matching statement match too (Communication 2.1.3.s3),
         * followed through chains of StatementRefs */
        s_sql(&s, "WITH RECURSIVE chain(origin, ref, depth) AS ("
                  " SELECT s.seq, s.object_ref, 1 FROM credits.statements s WHERE");
        s_sql(&s, base.data);
        s_sql(&s, " AND s.object_ref IS NOT NULL UNION ALL"
                  " SELECT c.origin, t.object_ref, c.depth + 1 FROM chain c"
                  " JOIN credits.statements t ON t.county_id = ");
        s_sql(&s, county);
        s_sql(&s, " AND t.id = c.ref WHERE t.object_ref IS NOT NULL AND c.depth < 16),"
                  " picked AS ((SELECT s.seq FROM credits.statements s WHERE");
        s_sql(&s, base.data);
        s_filter(&s, "s", ph, q);
        s_sql(&s, order);
        s_sql(&s, " LIMIT ");
        s_sql(&s, limit);
        s_sql(&s, ") UNION SELECT c.origin FROM chain c JOIN credits.statements t"
                  " ON t.county_id = ");
        s_sql(&s, county);
        s_sql(&s, " AND t.id = c.ref WHERE true");
        s_filter(&s, "t", ph, q);
        s_sql(&s, ") SELECT s.seq, s.statement::text FROM credits.statements s"
                  " WHERE s.county_id = ");
        s_sql(&s, county);
        s_sql(&s, " AND s.seq IN (SELECT seq FROM picked)");
    }
    s_sql(&s, order);
    s_sql(&s, " LIMIT ");
    s_sql(&s, limit);
    xapi_buf_free(&base);
    PGresult *res = s.sql.data ? yx_db_query(req->credits->db, s.sql.data, s.n, s.values) : NULL;
    xapi_buf_free(&s.sql);
    if (!res) return reply_error(req, reply, 503, "could not read statements");
    int rows = PQntuples(res), shown = rows > q->limit ? (int)q->limit : rows;
    xapi_buf_t json = {0};
    yx_pgarray_t hashes;
    yx_pgarray_init(&hashes);
    int rc = xapi_buf_str(&json, "{\"statements\":[");
    for (int r = 0; r < shown; r++) {
        if (r) rc |= xapi_buf_str(&json, ",");
        rc |= s_statement(&json, PQgetvalue(res, r, 1), q, &hashes);
    }
    rc |= xapi_buf_str(&json, "],\"more\":\"");
    if (rows > shown) {
        const char *cursor =
            xapi_cursor_encode(req->arena, q->params, atoll(PQgetvalue(res, shown - 1, 0)));
        rc |= !cursor || xapi_buf_str(&json, XAPI_MORE_PATH) || xapi_buf_str(&json, cursor);
    }
    rc |= xapi_buf_str(&json, "\"}");
    PQclear(res);
    if (rc)
        reply_error(req, reply, 500, "could not render the statements");
    else
        s_send(req, reply, q, &json, &hashes);
    yx_pgarray_free(&hashes);
    xapi_buf_free(&json);
}

void xapi_get(request_t *req, const Yx__GetStatements *op, Yx__CreditsReply *reply)
{
    /* the header goes on every answer of the resource, refusals included */
    const char *through = s_consistent_through(req);
    if (!through) return reply_error(req, reply, 503, "postgresql does not answer");
    reply_header(req, reply, "X-Experience-API-Consistent-Through", through);
    const Yx__Principal *who = req->principal;
    if (who->role != YX__ROLE__ROLE_COUNTY_ADMIN &&
        !(who->role == YX__ROLE__ROLE_PLATFORM && who->platform && *who->platform))
        return reply_error(req, reply, 403,
                           "only platforms and the county administrator may read statements");
    query_t q = {0};
    json_t *params = json_object();
    const char *cursor = NULL;
    for (size_t i = 0; params && i < op->n_params; i++) {
        const Yx__GetStatements__ParamsEntry *e = op->params[i];
        if (strcmp(e->key, "cursor") == 0)
            cursor = e->value;
        else
            json_object_set_new(params, e->key, json_string(e->value));
    }
    if (!params) return reply_error(req, reply, 500, "out of memory");
    if (cursor) {
        json_t *carried = NULL;
        if (json_object_size(params)) {
            reply_error(req, reply, 400, "cursor: no other parameter may accompany it");
        } else if (xapi_cursor_decode(cursor, &carried, &q.after) < 0) {
            reply_error(req, reply, 400, "cursor: not a cursor this server gave out");
        } else {
            json_decref(params);
            params = carried;
            q.has_after = true;
        }
        if (!q.has_after) {
            json_decref(params);
            return;
        }
    }
    q.params = params;
    xapi_languages_parse(&q.languages, op->accept_language);
    if (s_parse(req, reply, &q, params) == 0) {
        if (q.statement_id || q.voided_id)
            s_single(req, reply, &q);
        else
            s_list(req, reply, &q);
    }
    json_decref(params);
}

/* ---- actors no teacher matches -------------------------------------------------------- */

void xapi_list_unmatched(request_t *req, const Yx__ListUnmatched *op, Yx__CreditsReply *reply)
{
    static const char sql[] =
        "SELECT k.actor_key, k.n, to_char(k.first AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
        " to_char(k.last AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
        " (SELECT s.statement->'actor' FROM credits.statements s WHERE s.county_id = $1"
        "   AND s.teacher_id IS NULL AND s.actor_key = k.actor_key ORDER BY s.seq DESC LIMIT "
        "1)::text"
        " FROM (SELECT actor_key, count(*) AS n, min(stored) AS first, max(stored) AS last"
        "  FROM credits.statements WHERE county_id = $1 AND teacher_id IS NULL"
        "  AND actor_key NOT LIKE 'group:%' AND actor_key > $2"
        "  GROUP BY actor_key ORDER BY actor_key LIMIT $3) k ORDER BY k.actor_key";
    if (req->principal->role != YX__ROLE__ROLE_COUNTY_ADMIN)
        return reply_error(req, reply, 403, "only the county administrator sees unmatched actors");
    const Yx__PageRequest *page = op ? op->page : NULL;
    unsigned limit = page && page->limit ? page->limit : 100;
    if (limit > XAPI_MAX_LIMIT) limit = XAPI_MAX_LIMIT;
    char after[1024] = "";
    if (page && page->cursor && *page->cursor) {
        json_t *carried = NULL;
        long long ignored;
        const char *key = NULL;
        if (xapi_cursor_decode(page->cursor, &carried, &ignored) == 0)
            key = json_string_value(json_object_get(carried, "after"));
        if (key) snprintf(after, sizeof after, "%s", key);
        json_decref(carried);
        if (!key) return reply_error(req, reply, 400, "cursor: not a cursor this server gave out");
    }
    char limit_text[16];
    snprintf(limit_text, sizeof limit_text, "%u", limit + 1);
    const char *params[] = {req->credits->county_id, after, limit_text};
    PGresult *res = yx_db_query(req->credits->db, sql, 3, params);
    if (!res) return reply_error(req, reply, 503, "could not read statements");
    int rows = PQntuples(res), shown = rows > (int)limit ? (int)limit : rows;
    json_t *items = json_array();
    for (int r = 0; r < shown; r++)
        json_array_append_new(items, json_pack("{s:o?, s:s, s:I, s:s, s:s}", "actor",
                                               json_loads(PQgetvalue(res, r, 4), 0, NULL),
                                               "actor_key", PQgetvalue(res, r, 0), "statements",
                                               (json_int_t)atoll(PQgetvalue(res, r, 1)),
                                               "first_stored", PQgetvalue(res, r, 2), "last_stored",
                                               PQgetvalue(res, r, 3)));
    json_t *doc = json_pack("{s:o}", "items", items);
    if (rows > shown && doc) {
        json_t *at = json_pack("{s:s}", "after", PQgetvalue(res, shown - 1, 0));
        const char *next = at ? xapi_cursor_encode(req->arena, at, 0) : NULL;
        json_decref(at);
        if (next) json_object_set_new(doc, "next_cursor", json_string(next));
    }
    PQclear(res);
    if (!doc) return reply_error(req, reply, 500, "out of memory");
    reply_json(req, reply, 200, doc);
}
