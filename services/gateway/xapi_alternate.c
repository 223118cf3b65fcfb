/* The xAPI alternate request syntax (xAPI 1.0.3, part three, 1.3), for clients that can
 * only POST and cannot set headers (IE 8/9's cross-domain requests, long GET queries): a
 * POST whose query string is only ?method=M and whose form body carries the request's
 * headers (as form parameters of the same names), its content (`content`) and its query
 * parameters (every other name). The request is rewritten in place before routing, so
 * every xAPI resource serves both syntaxes with the same handler and the same checks. */
#include "http_util.h"
#include "reply.h"
#include "request.h"
#include "xapi_request.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FORM_PARAMS_MAX 64
#define FORM_NAME_MAX 64

/* The form parameters the LRS treats as headers; `content` is the body. */
static const char *const s_headers[] = {"Authorization", "X-Experience-API-Version",
                                        "Content-Type",  "Content-Length",
                                        "If-Match",      "If-None-Match"};
#define NHEADERS (sizeof s_headers / sizeof s_headers[0])
#define CONTENT_TYPE 2   /* its slot in s_headers */
#define CONTENT NHEADERS /* the content's slot, after the headers */

typedef struct {
    char *value[NHEADERS + 1]; /* decoded, NULL when not given */
    size_t content_len;
    char *query; /* the other parameters, still encoded, joined by '&' */
} form_t;

static void s_form_free(form_t *f)
{
    for (size_t i = 0; i <= NHEADERS; i++)
        free(f->value[i]);
    free(f->query);
}

/* The slot of a decoded form name: a header, the content, or -1 for a query parameter. */
static int s_slot(const char *name)
{
    for (size_t i = 0; i < NHEADERS; i++)
        if (strcasecmp(name, s_headers[i]) == 0) return (int)i;
    return strcmp(name, "content") == 0 ? (int)CONTENT : -1;
}

/* Splits the form body into f. NULL, or the reason it cannot be read. */
static const char *s_parse(const char *body, size_t len, form_t *f, char *why, size_t cap)
{
    f->query = malloc(len + 1);
    if (!f->query) return "out of memory";
    size_t q = 0;
    int n = 0;
    yx_query_pair_t pair;
    while (yx_query_next(&body, &pair)) {
        if (++n > FORM_PARAMS_MAX) return "the form has more than 64 parameters";
        char name[FORM_NAME_MAX + 1];
        int slot = yx_percent_decode(pair.name, pair.name_len, name, sizeof name, true) < 0
                       ? -1
                       : s_slot(name);
        if (slot < 0) {
            if (q) f->query[q++] = '&';
            memcpy(f->query + q, pair.name, body - pair.name);
            q += (size_t)(body - pair.name);
            continue;
        }
        if (f->value[slot]) {
            snprintf(why, cap, "form parameter %s given twice", name);
            return why;
        }
        f->value[slot] = malloc(pair.value_len + 1);
        if (!f->value[slot]) return "out of memory";
        int decoded =
            yx_percent_decode(pair.value, pair.value_len, f->value[slot], pair.value_len + 1, true);
        if (decoded < 0) {
            snprintf(why, cap, "form parameter %s: bad %%-escape or NUL byte", name);
            return why;
        }
        if (slot == (int)CONTENT) f->content_len = (size_t)decoded;
    }
    f->query[q] = '\0';
    return NULL;
}

/* The form's headers and content in place of the request's own. NULL, or the reason. */
static const char *s_apply(struct evhttp_request *req, const form_t *f, char *why, size_t cap)
{
    struct evkeyvalq *headers = evhttp_request_get_input_headers(req);
    /* the outer Content-Type describes the form, not the content */
    evhttp_remove_header(headers, "Content-Type");
    for (size_t i = 0; i < NHEADERS; i++) {
        const char *value = f->value[i];
        /* content without a type: statements are JSON */
        if (!value && i == CONTENT_TYPE && f->value[CONTENT]) value = "application/json";
        if (!value) continue;
        evhttp_remove_header(headers, s_headers[i]);
        if (evhttp_add_header(headers, s_headers[i], value) < 0) {
            snprintf(why, cap, "form parameter %s is not a valid header value", s_headers[i]);
            return why;
        }
    }
    struct evbuffer *body = evhttp_request_get_input_buffer(req);
    evbuffer_drain(body, evbuffer_get_length(body));
    if (f->value[CONTENT] && evbuffer_add(body, f->value[CONTENT], f->content_len) < 0)
        return "out of memory";
    return NULL;
}

static int s_method(const char *name, enum evhttp_cmd_type *method)
{
    static const struct {
        const char *name;
        enum evhttp_cmd_type method;
    } known[] = {{"GET", EVHTTP_REQ_GET},
                 {"PUT", EVHTTP_REQ_PUT},
                 {"POST", EVHTTP_REQ_POST},
                 {"DELETE", EVHTTP_REQ_DELETE}};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(name, known[i].name) == 0) {
            *method = known[i].method;
            return 0;
        }
    return -1;
}

int yx_xapi_alternate(yx_exchange_t *x, enum evhttp_cmd_type *method, char **query)
{
    *query = NULL;
    const char *given = yx_req_query(x);
    char name[16];
    int rc = yx_query_param(given, "method", name, sizeof name);
    if (rc == 0) return 0;
    if (rc < 0 || s_method(name, method) < 0) {
        yx_reply_error(x, 400, "method must be GET, PUT, POST or DELETE");
        return -1;
    }
    if (evhttp_request_get_command(x->req) != EVHTTP_REQ_POST) {
        yx_reply_error(x, 400, "the alternate request syntax (?method=) is a POST");
        return -1;
    }
    yx_query_pair_t pair;
    while (yx_query_next(&given, &pair))
        if (!yx_query_pair_is(&pair, "method")) {
            yx_reply_error(x, 400,
                           "with ?method= the query string holds only method: send the other "
                           "parameters in the form body");
            return -1;
        }
    static const char *const form_type[] = {"application/x-www-form-urlencoded", NULL};
    if (!yx_req_content_type_in(x, form_type, false)) {
        yx_reply_error(x, 400,
                       "with ?method= the Content-Type must be application/x-www-form-urlencoded");
        return -1;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(x->req);
    size_t len = evbuffer_get_length(in);
    char *body = malloc(len + 1);
    form_t f = {0};
    char why[128];
    const char *error = body ? NULL : "out of memory";
    if (body) {
        evbuffer_copyout(in, body, len);
        body[len] = '\0';
        if (memchr(body, '\0', len)) error = "the form body holds a NUL byte";
    }
    if (!error) error = s_parse(body, len, &f, why, sizeof why);
    if (!error) error = s_apply(x->req, &f, why, sizeof why);
    free(body);
    if (error) {
        s_form_free(&f);
        yx_reply_error(x, strcmp(error, "out of memory") == 0 ? 500 : 400, "%s", error);
        return -1;
    }
    *query = f.query;
    f.query = NULL;
    s_form_free(&f);
    return 1;
}
