/* The Activities and Agents resources (xAPI Communication 2.4, 2.5): what the LRS knows of
 * one activity or one agent. The LRS keeps no definitions or persons of its own, so both
 * are read from the statements: a platform sees what its own statements say, the county
 * what all of them say.
 *   GET /xapi/activities?activityId=IRI  the Activity with the definition of the latest
 *                                        statement about it (only the id when none has one)
 *   GET /xapi/agents?agent=JSON          the Person: the agent's identifier and the names
 *                                        the statements gave it */
#include "ops.h"
#include "xapi_store.h"
#include "xapi_validate.h"
#include "yx_db.h"

#include <string.h>

#define ID_MAX 1024

/* The one parameter the resource takes, or NULL when answered 400. */
static const char *s_only(request_t *req, const Yx__XapiDocument *op, Yx__CreditsReply *reply,
                          const char *name)
{
    for (size_t i = 0; i < op->n_params; i++)
        if (strcmp(op->params[i]->key, name) != 0)
            return reply_error(req, reply, 400, "unknown parameter %s", op->params[i]->key), NULL;
    const char *value = op->n_params == 1 ? op->params[0]->value : NULL;
    if (!value) reply_error(req, reply, 400, "%s: required", name);
    return value;
}

/* $3: the platform whose statements count, "" for all of them (the county's key). */
static const char *s_platform(const request_t *req)
{
    return req->principal->role == YX__ROLE__ROLE_PLATFORM ? req->principal->platform : "";
}

static void s_activity(request_t *req, const Yx__XapiDocument *op, Yx__CreditsReply *reply)
{
    const char *id = s_only(req, op, reply, "activityId");
    if (!id) return;
    if (!xapi_is_iri(id) || strlen(id) > ID_MAX)
        return reply_error(req, reply, 400, "activityId: an IRI is required");
    static const char sql[] =
        "SELECT statement #> '{object,definition}' FROM credits.statements"
        " WHERE county_id = $1 AND activity_id = $2 AND ($3 = '' OR platform = $3)"
        "   AND NOT voided AND statement #> '{object,definition}' IS NOT NULL"
        " ORDER BY seq DESC LIMIT 1";
    const char *params[] = {req->credits->county_id, id, s_platform(req)};
    PGresult *res = yx_db_query(req->credits->db, sql, 3, params);
    if (!res) return reply_error(req, reply, 503, "the database did not answer");
    json_t *definition =
        PQntuples(res) ? json_loads(PQgetvalue(res, 0, 0), JSON_DECODE_ANY, NULL) : NULL;
    PQclear(res);
    json_t *activity = json_pack("{s:s, s:s}", "objectType", "Activity", "id", id);
    if (activity && definition) json_object_set(activity, "definition", definition);
    json_decref(definition);
    reply_json(req, reply, 200, activity);
}

/* The agent's identifier as the Person's one-element array of that kind. */
static int s_identifier(json_t *person, const json_t *agent)
{
    static const char *const kinds[] = {"mbox", "mbox_sha1sum", "openid", "account"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        json_t *value = json_object_get(agent, kinds[i]);
        if (value) return json_object_set_new(person, kinds[i], json_pack("[O]", value));
    }
    return -1;
}

static void s_agent(request_t *req, const Yx__XapiDocument *op, Yx__CreditsReply *reply)
{
    const char *text = s_only(req, op, reply, "agent");
    if (!text) return;
    xapi_error_t err;
    json_t *agent = xapi_agent_param(text, &err);
    if (!agent) return reply_error(req, reply, 400, "%s: %s", err.path, err.reason);
    static const char sql[] =
        "SELECT DISTINCT statement #>> '{actor,name}' FROM credits.statements"
        " WHERE county_id = $1 AND actor_key = $2 AND ($3 = '' OR platform = $3)"
        "   AND statement #>> '{actor,name}' IS NOT NULL"
        " ORDER BY 1 LIMIT 20";
    const char *params[] = {req->credits->county_id, xapi_agent_key(req->arena, agent),
                            s_platform(req)};
    PGresult *res = yx_db_query(req->credits->db, sql, 3, params);
    if (!res) {
        json_decref(agent);
        return reply_error(req, reply, 503, "the database did not answer");
    }
    json_t *names = json_array();
    for (int r = 0; r < PQntuples(res); r++)
        json_array_append_new(names, json_string(PQgetvalue(res, r, 0)));
    PQclear(res);
    json_t *person = json_pack("{s:s}", "objectType", "Person");
    if (person && json_array_size(names)) json_object_set(person, "name", names);
    json_decref(names);
    int rc = person ? s_identifier(person, agent) : -1;
    json_decref(agent);
    if (rc < 0) {
        json_decref(person);
        return reply_error(req, reply, 500, "out of memory");
    }
    reply_json(req, reply, 200, person);
}

void xapi_object(request_t *req, const Yx__XapiDocument *op, Yx__CreditsReply *reply)
{
    if (strcmp(op->method, "GET") != 0 && strcmp(op->method, "HEAD") != 0)
        return reply_error(req, reply, 405, "%s: only GET", op->resource);
    /* "" would read every platform's statements */
    if (req->principal->role == YX__ROLE__ROLE_PLATFORM &&
        (!req->principal->platform || !*req->principal->platform))
        return reply_error(req, reply, 403, "this platform key names no platform");
    if (strcmp(op->resource, "activity") == 0) return s_activity(req, op, reply);
    s_agent(req, op, reply);
}
