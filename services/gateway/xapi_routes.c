/* The xAPI Statements resource and /xapi/about. The gateway checks the envelope (version
 * header, content type, parameters) and never parses a statement: the body travels to the
 * credits service as the platform sent it, copied once, straight from the connection's
 * buffer into the request message. */
#include "credits_call.h"
#include "handlers.h"
#include "http_util.h"
#include "reply.h"
#include "request.h"
#include "xapi_request.h"
#include "yx_text.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define VERSION_MAX YX_XAPI_VERSION_MAX
#define PARAMS_MAX YX_XAPI_PARAMS_MAX
#define PARAM_NAME_MAX 64
#define STATEMENT_ID_MAX 128

static const char *const s_json[] = {"application/json", NULL};

/* ---- versions -------------------------------------------------------------------- */

/* "1.0", "1.0.N", "2.0", "2.0.N" (the spec: any 1.0.x is accepted, "1.0" meaning 1.0.0),
 * normalised into out; NULL for anything else. */
static const char *s_version_parse(const char *given, char out[VERSION_MAX])
{
    while (*given == ' ' || *given == '\t')
        given++;
    size_t n = strlen(given);
    while (n > 0 && (given[n - 1] == ' ' || given[n - 1] == '\t'))
        n--;
    if (n < 3 || n >= VERSION_MAX || (given[0] != '1' && given[0] != '2') ||
        strncmp(given + 1, ".0", 2) != 0)
        return NULL;
    if (n == 3) {
        memcpy(out, given, 3);
        memcpy(out + 3, ".0", 3);
        return out;
    }
    size_t digits = n - 4;
    if (given[3] != '.' || digits < 1 || digits > 3 || strspn(given + 4, "0123456789") < digits)
        return NULL;
    memcpy(out, given, n);
    out[n] = '\0';
    return out;
}

void yx_xapi_version_header(struct evhttp_request *req)
{
    evhttp_remove_header(evhttp_request_get_output_headers(req), "X-Experience-API-Version");
    const char *given =
        evhttp_find_header(evhttp_request_get_input_headers(req), "X-Experience-API-Version");
    char version[VERSION_MAX];
    bool two = given && s_version_parse(given, version) && version[0] == '2';
    evhttp_add_header(evhttp_request_get_output_headers(req), "X-Experience-API-Version",
                      two ? "2.0.0" : "1.0.3");
}

const char *yx_xapi_version(yx_exchange_t *x, char out[YX_XAPI_VERSION_MAX])
{
    const char *given =
        evhttp_find_header(evhttp_request_get_input_headers(x->req), "X-Experience-API-Version");
    if (!given) {
        yx_reply_error(x, 400, "X-Experience-API-Version header missing");
        return NULL;
    }
    if (!s_version_parse(given, out)) {
        yx_reply_error(x, 400, "X-Experience-API-Version %s not supported (1.0.x, 2.0.0)",
                       yx_utf8_valid(given, strlen(given)) && strlen(given) < 32 ? given : "?");
        return NULL;
    }
    return out;
}

/* ---- query strings ---------------------------------------------------------------- */

/* The first parameter of the query not in allowed (NULL-ended), decoded into out; 0 when
 * every one is allowed. -1: the name cannot be decoded. */
static int s_unknown_param(const char *query, const char *const *allowed, char *out, size_t cap)
{
    yx_query_pair_t param;
    while (yx_query_next(&query, &param)) {
        bool known = false;
        for (const char *const *a = allowed; *a && !known; a++)
            known = yx_query_pair_is(&param, *a);
        if (known) continue;
        if (yx_percent_decode(param.name, param.name_len, out, cap, true) < 0 ||
            !yx_utf8_valid(out, strlen(out)))
            return -1;
        return 1;
    }
    return 0;
}

/* 400 for parameters the resource does not define (xAPI: MUST reject). 0 ok, -1 answered. */
static int s_only_params(yx_exchange_t *x, const char *const *allowed)
{
    char name[PARAM_NAME_MAX + 1];
    int rc = s_unknown_param(yx_req_query(x), allowed, name, sizeof name);
    if (rc == 0) return 0;
    if (rc > 0)
        yx_reply_error(x, 400, "unknown parameter %s", name);
    else
        yx_reply_error(x, 400, "invalid query string");
    return -1;
}

/* ---- posting statements -------------------------------------------------------------- */

static size_t s_varint_len(uint64_t v)
{
    size_t n = 1;
    for (; v >= 0x80; v >>= 7)
        n++;
    return n;
}

static uint8_t *s_varint(uint8_t *p, uint64_t v)
{
    for (; v >= 0x80; v >>= 7)
        *p++ = (uint8_t)(v | 0x80);
    *p++ = (uint8_t)v;
    return p;
}

/* The key of a length-delimited field, from the generated descriptor. */
static uint32_t s_key(const ProtobufCMessageDescriptor *desc, const char *field)
{
    return protobuf_c_message_descriptor_get_field_by_name(desc, field)->id << 3 | 2;
}

/* CreditsRequest{header, post_statements{body = the request body, op's other fields}}
 * encoded by hand around the body: the same bytes protobuf-c would write, but the body is
 * copied from the connection's buffer chain into place instead of first being made
 * contiguous and then copied again. NULL when too large (*size set) or out of memory. */
static uint8_t *s_pack_post(const Yx__RequestHeader *header, const Yx__PostStatements *op,
                            struct evbuffer *body, size_t *size)
{
    uint32_t header_key = s_key(&yx__credits_request__descriptor, "header");
    uint32_t op_key = s_key(&yx__credits_request__descriptor, "post_statements");
    uint32_t body_key = s_key(&yx__post_statements__descriptor, "body");
    size_t n = evbuffer_get_length(body);
    size_t header_len = yx__request_header__get_packed_size(header);
    size_t rest_len = yx__post_statements__get_packed_size(op); /* op has no body */
    size_t op_len = s_varint_len(body_key) + s_varint_len(n) + n + rest_len;
    *size = s_varint_len(header_key) + s_varint_len(header_len) + header_len +
            s_varint_len(op_key) + s_varint_len(op_len) + op_len;
    if (*size > (size_t)YX_BUS_MAX_MSG) return NULL;
    uint8_t *buf = malloc(*size), *p = buf;
    if (!buf) return NULL;
    p = s_varint(p, header_key);
    p = s_varint(p, header_len);
    p += yx__request_header__pack(header, p);
    p = s_varint(p, op_key);
    p = s_varint(p, op_len);
    p = s_varint(p, body_key);
    p = s_varint(p, n);
    p += evbuffer_copyout(body, p, n);
    yx__post_statements__pack(op, p);
    return buf;
}

static void s_store(yx_exchange_t *x, const char *version, const char *statement_id)
{
    static const char *const multipart[] = {"multipart/mixed", NULL};
    bool with_parts = yx_req_content_type_in(x, multipart, false);
    if (!with_parts && !yx_req_content_type_in(x, s_json, false)) {
        yx_reply_error(x, 400,
                       "Content-Type must be application/json, or multipart/mixed for "
                       "statements with attachments");
        return;
    }
    struct evbuffer *body = evhttp_request_get_input_buffer(x->req);
    if (evbuffer_get_length(body) == 0) {
        yx_reply_error(x, 400, "empty body");
        return;
    }
    Yx__PostStatements op = YX__POST_STATEMENTS__INIT;
    op.version = (char *)version;
    if (statement_id) op.statement_id = (char *)statement_id;
    op.platform_home_page = x->key->home_page;
    if (with_parts)
        op.content_type =
            (char *)evhttp_find_header(evhttp_request_get_input_headers(x->req), "Content-Type");
    Yx__Principal principal = YX__PRINCIPAL__INIT;
    Yx__RequestHeader header = YX__REQUEST_HEADER__INIT;
    yx_req_bus_header(x, &header, &principal, x->gw->bus_timeout_ms);
    size_t size;
    uint8_t *buf = s_pack_post(&header, &op, body, &size);
    if (!buf) {
        if (size > (size_t)YX_BUS_MAX_MSG)
            yx_reply_error(x, 413, "request too large for the bus");
        else
            yx_reply_error(x, 500, "out of memory");
        return;
    }
    yx_credits_send(x, buf, size, NULL);
}

void yx_xapi_post_statements(yx_exchange_t *x)
{
    char version[VERSION_MAX];
    if (!yx_xapi_version(x, version)) return;
    static const char *const none[] = {NULL};
    if (s_only_params(x, none) < 0) return;
    s_store(x, version, NULL);
}

void yx_xapi_put_statement(yx_exchange_t *x)
{
    char version[VERSION_MAX];
    if (!yx_xapi_version(x, version)) return;
    static const char *const allowed[] = {"statementId", NULL};
    if (s_only_params(x, allowed) < 0) return;
    char id[STATEMENT_ID_MAX + 1];
    int rc = yx_query_param(yx_req_query(x), "statementId", id, sizeof id);
    if (rc == 0 || (rc > 0 && !*id)) {
        yx_reply_error(x, 400, "statementId parameter missing");
        return;
    }
    if (rc < 0 || !yx_utf8_valid(id, strlen(id))) {
        yx_reply_error(x, 400, "invalid statementId");
        return;
    }
    s_store(x, version, id);
}

/* ---- reading statements -------------------------------------------------------------- */

/* Decodes every parameter of query into params (names and values in text). The number of
 * parameters; -1 with *error the message, -2 with *error the name given twice. */
static int s_decode_params(const char *query, yx_xapi_param_t *params, char *text, size_t cap,
                           const char **error)
{
    char *t = text, *end = text + cap;
    int n = 0;
    yx_query_pair_t param;
    while (yx_query_next(&query, &param)) {
        if (n == PARAMS_MAX) {
            *error = "too many parameters";
            return -1;
        }
        yx_xapi_param_t *e = &params[n];
        int name_len = yx_percent_decode(param.name, param.name_len, t, (size_t)(end - t), true);
        if (name_len <= 0 || name_len > PARAM_NAME_MAX || !yx_utf8_valid(t, (size_t)name_len)) {
            *error = "invalid query string";
            return -1;
        }
        e->key = t;
        t += name_len + 1;
        int value_len = yx_percent_decode(param.value, param.value_len, t, (size_t)(end - t), true);
        if (value_len < 0 || !yx_utf8_valid(t, (size_t)value_len)) {
            *error = "invalid query string";
            return -1;
        }
        e->value = t;
        t += value_len + 1;
        for (int i = 0; i < n; i++)
            if (strcmp(params[i].key, e->key) == 0) {
                *error = e->key; /* named by the caller */
                return -2;
            }
        n++;
    }
    return n;
}

int yx_xapi_params(yx_exchange_t *x, yx_xapi_param_t params[YX_XAPI_PARAMS_MAX], char **text)
{
    const char *query = yx_req_query(x);
    /* Every decoded name and value fits in the query's own length plus terminators. */
    size_t cap = strlen(query) + 2 * PARAMS_MAX + 2;
    *text = malloc(cap);
    if (!*text) {
        yx_reply_error(x, 500, "out of memory");
        return -1;
    }
    const char *error = NULL;
    int n = s_decode_params(query, params, *text, cap, &error);
    if (n == -2)
        yx_reply_error(x, 400, "parameter %s given twice", error);
    else if (n < 0)
        yx_reply_error(x, 400, "%s", error);
    if (n < 0) {
        free(*text);
        *text = NULL;
    }
    return n;
}

void yx_xapi_get_statements(yx_exchange_t *x)
{
    char version[VERSION_MAX];
    if (!yx_xapi_version(x, version)) return;
    yx_xapi_param_t decoded[PARAMS_MAX];
    char *text;
    int n = yx_xapi_params(x, decoded, &text);
    if (n < 0) return;
    Yx__GetStatements__ParamsEntry entries[PARAMS_MAX], *params[PARAMS_MAX];
    for (int i = 0; i < n; i++) {
        entries[i] = (Yx__GetStatements__ParamsEntry)YX__GET_STATEMENTS__PARAMS_ENTRY__INIT;
        entries[i].key = decoded[i].key;
        entries[i].value = decoded[i].value;
        params[i] = &entries[i];
    }
    Yx__GetStatements op = YX__GET_STATEMENTS__INIT;
    op.n_params = (size_t)n;
    op.params = params;
    op.version = version;
    const char *languages =
        evhttp_find_header(evhttp_request_get_input_headers(x->req), "Accept-Language");
    if (languages) op.accept_language = (char *)languages;
    Yx__CreditsRequest cr = YX__CREDITS_REQUEST__INIT;
    cr.op_case = YX__CREDITS_REQUEST__OP_GET_STATEMENTS;
    cr.get_statements = &op;
    yx_credits_call(x, &cr, NULL);
    free(text);
}

/* ---- /xapi/about ------------------------------------------------------------------- */

void yx_xapi_about(yx_exchange_t *x)
{
    static const char body[] = "{\"version\":[\"1.0.3\",\"2.0.0\"],\"extensions\":{}}";
    yx_reply_static(x, 200, "application/json; charset=utf-8", body, sizeof body - 1);
}
