/* Routing: match the path against a static table, then check the key and its role. */
#include "router.h"
#include "auth.h"
#include "https.h"
#include "common.pb-c.h"
#include "handlers.h"
#include "http_util.h"
#include "reply.h"
#include "xapi_request.h"
#include "yx_text.h"

#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROLE(r) (1u << YX__ROLE__ROLE_##r)
#define ADMINS (ROLE(COUNTY_ADMIN) | ROLE(SCHOOL_ADMIN))
#define PEOPLE (ADMINS | ROLE(TEACHER))
#define COUNTY ROLE(COUNTY_ADMIN)
#define XAPI (ROLE(PLATFORM) | ROLE(COUNTY_ADMIN))

static const yx_route_t s_routes[] = {
    {EVHTTP_REQ_GET, "/healthz", 0, YX_ROUTE_QUIET, yx_health_live},
    {EVHTTP_REQ_GET, "/readyz", 0, YX_ROUTE_QUIET, yx_health_ready},
    {EVHTTP_REQ_GET, "/metrics", 0, YX_ROUTE_QUIET | YX_ROUTE_LOOPBACK, yx_health_metrics},
    {EVHTTP_REQ_POST, "/api/v1/roster/oneroster", ADMINS, 0, yx_roster_sync_bundle},
    {EVHTTP_REQ_POST, "/api/v1/roster/teachers.csv", ADMINS, 0, yx_roster_sync_csv},
    {EVHTTP_REQ_GET, "/api/v1/districts", PEOPLE, 0, yx_roster_list_districts},
    {EVHTTP_REQ_GET, "/api/v1/schools", ADMINS, 0, yx_roster_list_schools},
    {EVHTTP_REQ_GET, "/api/v1/schools/{id}", ADMINS, 0, yx_roster_get_school},
    {EVHTTP_REQ_GET, "/api/v1/schools/{id}/teachers", ADMINS, 0, yx_roster_list_teachers},
    {EVHTTP_REQ_GET, "/api/v1/schools/{id}/groups", ADMINS, 0, yx_roster_list_groups},
    {EVHTTP_REQ_GET, "/api/v1/teachers/{id}", PEOPLE, 0, yx_roster_get_teacher},
    {EVHTTP_REQ_GET, "/xapi/about", 0, 0, yx_xapi_about},
    {EVHTTP_REQ_POST, "/xapi/statements", XAPI, 0, yx_xapi_post_statements},
    {EVHTTP_REQ_PUT, "/xapi/statements", XAPI, 0, yx_xapi_put_statement},
    {EVHTTP_REQ_GET, "/xapi/statements", XAPI, 0, yx_xapi_get_statements},
    {EVHTTP_REQ_GET, "/xapi/activities", XAPI, 0, yx_xapi_activity},
    {EVHTTP_REQ_GET, "/xapi/agents", XAPI, 0, yx_xapi_agent},
    {EVHTTP_REQ_GET, "/xapi/activities/state", XAPI, 0, yx_xapi_state},
    {EVHTTP_REQ_PUT, "/xapi/activities/state", XAPI, 0, yx_xapi_state},
    {EVHTTP_REQ_POST, "/xapi/activities/state", XAPI, 0, yx_xapi_state},
    {EVHTTP_REQ_DELETE, "/xapi/activities/state", XAPI, 0, yx_xapi_state},
    {EVHTTP_REQ_GET, "/xapi/activities/profile", XAPI, 0, yx_xapi_activity_profile},
    {EVHTTP_REQ_PUT, "/xapi/activities/profile", XAPI, 0, yx_xapi_activity_profile},
    {EVHTTP_REQ_POST, "/xapi/activities/profile", XAPI, 0, yx_xapi_activity_profile},
    {EVHTTP_REQ_DELETE, "/xapi/activities/profile", XAPI, 0, yx_xapi_activity_profile},
    {EVHTTP_REQ_GET, "/xapi/agents/profile", XAPI, 0, yx_xapi_agent_profile},
    {EVHTTP_REQ_PUT, "/xapi/agents/profile", XAPI, 0, yx_xapi_agent_profile},
    {EVHTTP_REQ_POST, "/xapi/agents/profile", XAPI, 0, yx_xapi_agent_profile},
    {EVHTTP_REQ_DELETE, "/xapi/agents/profile", XAPI, 0, yx_xapi_agent_profile},
    {EVHTTP_REQ_POST, "/api/v1/programs", COUNTY, 0, yx_credits_create_program},
    {EVHTTP_REQ_GET, "/api/v1/programs", PEOPLE, 0, yx_credits_list_programs},
    {EVHTTP_REQ_GET, "/api/v1/programs/{id}", PEOPLE, 0, yx_credits_get_program},
    {EVHTTP_REQ_GET, "/api/v1/programs/{id}/teachers/{id}/transcript", PEOPLE, 0,
     yx_credits_transcript},
    {EVHTTP_REQ_GET, "/api/v1/programs/{id}/progress", ADMINS, 0, yx_credits_progress},
    {EVHTTP_REQ_POST, "/api/v1/programs/{id}/grades", ADMINS, 0, yx_credits_record_grade},
    {EVHTTP_REQ_POST, "/api/v1/programs/{id}/entries", COUNTY, 0, yx_credits_manual_entry},
    {EVHTTP_REQ_POST, "/api/v1/programs/{id}/certificates", COUNTY, 0,
     yx_credits_issue_certificates},
    {EVHTTP_REQ_GET, "/api/v1/credits/unmatched", COUNTY, 0, yx_credits_list_unmatched},
    {EVHTTP_REQ_GET, "/api/v1/certificates/{id}", PEOPLE, 0, yx_credits_get_certificate},
    {EVHTTP_REQ_POST, "/api/v1/certificates/{id}/revoke", COUNTY, 0, yx_credits_revoke_certificate},
    {EVHTTP_REQ_GET, "/verify/{id}", 0, 0, yx_credits_verify},
};
#define NROUTES ((int)(sizeof s_routes / sizeof s_routes[0]))

static const char *s_labels[NROUTES + 1];

int yx_route_count(void)
{
    return NROUTES;
}

const yx_route_t *yx_route_get(int index)
{
    return index >= 0 && index < NROUTES ? &s_routes[index] : NULL;
}

const char *yx_route_label(int index)
{
    return index >= 0 && index < NROUTES ? s_routes[index].pattern : "unmatched";
}

const char *const *yx_route_labels(void)
{
    for (int i = 0; i <= NROUTES; i++)
        s_labels[i] = yx_route_label(i);
    return s_labels;
}

const char *yx_method_name(enum evhttp_cmd_type method)
{
    switch (method) {
    case EVHTTP_REQ_GET:
        return "GET";
    case EVHTTP_REQ_POST:
        return "POST";
    case EVHTTP_REQ_HEAD:
        return "HEAD";
    case EVHTTP_REQ_PUT:
        return "PUT";
    case EVHTTP_REQ_DELETE:
        return "DELETE";
    case EVHTTP_REQ_OPTIONS:
        return "OPTIONS";
    case EVHTTP_REQ_PATCH:
        return "PATCH";
    default:
        return "OTHER";
    }
}

typedef struct {
    const char *at; /* raw, still %-encoded */
    size_t len;
} s_span_t;

/* Matches path against pattern; the {id} segments go to ids (len 0 when absent). */
static bool s_match(const char *pattern, const char *path, s_span_t ids[YX_ROUTE_IDS])
{
    int n = 0;
    memset(ids, 0, YX_ROUTE_IDS * sizeof *ids);
    while (*pattern) {
        if (strncmp(pattern, "{id}", 4) == 0) {
            size_t len = strcspn(path, "/");
            if (len == 0 || n == YX_ROUTE_IDS) return false;
            ids[n++] = (s_span_t){path, len};
            path += len;
            pattern += 4;
        } else if (*pattern++ != *path++) {
            return false;
        }
    }
    return *path == '\0';
}

/* Decodes a path id into out[YX_PATH_ID_MAX + 1]. 0, or -1 answered 400. */
static int s_path_id(yx_exchange_t *x, const s_span_t *id, char *out)
{
    int n = yx_percent_decode(id->at, id->len, out, YX_PATH_ID_MAX + 1, false);
    if (n < 0) {
        yx_reply_error(x, 400,
                       n == -2 ? "invalid id in path: longer than 255 bytes"
                               : "invalid id in path: bad %%-escape");
        return -1;
    }
    if (!yx_utf8_valid(out, (size_t)n)) {
        yx_reply_error(x, 400, "invalid id in path: not UTF-8");
        return -1;
    }
    return 0;
}

static void s_unauthorized(yx_exchange_t *x, const char *why)
{
    struct evkeyvalq *headers = evhttp_request_get_output_headers(x->req);
    evhttp_add_header(headers, "WWW-Authenticate", "Bearer realm=\"yanxiu\"");
    evhttp_add_header(headers, "WWW-Authenticate", "Basic realm=\"yanxiu\"");
    yx_reply_error(x, 401, "%s", why);
}

static void s_not_found(yx_exchange_t *x, const char *path, enum evhttp_cmd_type method)
{
    char allow[64] = "";
    for (int i = 0; i < NROUTES; i++) {
        s_span_t ids[YX_ROUTE_IDS];
        if (!s_match(s_routes[i].pattern, path, ids)) continue;
        const char *name = yx_method_name(s_routes[i].method);
        if (!strstr(allow, name))
            snprintf(allow + strlen(allow), sizeof allow - strlen(allow), "%s%s",
                     *allow ? ", " : "", name);
    }
    if (!*allow) {
        yx_reply_error(x, 404, "no such resource");
        return;
    }
    evhttp_add_header(evhttp_request_get_output_headers(x->req), "Allow", allow);
    yx_reply_error(x, 405, "method %s not allowed here", yx_method_name(method));
}

static void s_dispatch(yx_exchange_t *x, const char *path, enum evhttp_cmd_type method);

void yx_router_dispatch(struct evhttp_request *req, void *arg)
{
    yx_exchange_t x = {.gw = arg, .req = req, .route = NROUTES, .started = yx_now()};
    yx_request_id(req, x.request_id, sizeof x.request_id);
    yx_https_ensure_nodelay(req);

    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    if (!path || !*path) path = "/";
    enum evhttp_cmd_type method = evhttp_request_get_command(req);
    x.method = (int)method;
    char *query = NULL;
    if (strncmp(path, "/xapi/", 6) == 0) {
        yx_xapi_version_header(req);
        int alternate = yx_xapi_alternate(&x, &method, &query);
        if (alternate < 0) return;
        if (alternate) {
            x.method = (int)method;
            x.query = query;
            yx_xapi_version_header(req); /* the form's version header */
        }
    }
    s_dispatch(&x, path, method);
    free(query);
}

static void s_dispatch(yx_exchange_t *x, const char *path, enum evhttp_cmd_type method)
{
    struct evhttp_request *req = x->req;
    /* HEAD is GET without a body; libevent drops the body for it. */
    enum evhttp_cmd_type as = method == EVHTTP_REQ_HEAD ? EVHTTP_REQ_GET : method;
    s_span_t ids[YX_ROUTE_IDS];
    for (int i = 0; i < NROUTES; i++)
        if (s_routes[i].method == as && s_match(s_routes[i].pattern, path, ids)) {
            x->route = i;
            break;
        }
    if (x->route == NROUTES) {
        s_not_found(x, path, method);
        return;
    }
    const yx_route_t *route = &s_routes[x->route];
    if ((ids[0].len && s_path_id(x, &ids[0], x->id) < 0) ||
        (ids[1].len && s_path_id(x, &ids[1], x->id2) < 0))
        return;
    if ((route->flags & YX_ROUTE_LOOPBACK) && !yx_peer_is_loopback(req)) {
        yx_reply_error(x, 403, "only from loopback");
        return;
    }
    if (route->roles) {
        if (!yx_keys_loaded(x->gw->keys)) {
            yx_reply_error(x, 503, "key store not loaded yet");
            return;
        }
        const char *authorization =
            evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
        if (!authorization) {
            s_unauthorized(x, "missing credentials");
            return;
        }
        x->key = yx_auth_check(x->gw->keys, authorization);
        if (!x->key) {
            s_unauthorized(x, "invalid credentials");
            return;
        }
        if (!(route->roles & (1u << x->key->role))) {
            yx_reply_error(x, 403, "this key's role may not use %s", route->pattern);
            return;
        }
    }
    route->handler(x);
}
