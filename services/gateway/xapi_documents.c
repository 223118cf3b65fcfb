/* The xAPI document resources: /xapi/activities/state, /xapi/activities/profile and
 * /xapi/agents/profile, every method; and /xapi/activities and /xapi/agents (GET). The
 * gateway checks the version header and decodes the query; the credits service checks the
 * rest (xapi_documents.c and xapi_objects.c there). */
#include "credits_call.h"
#include "handlers.h"
#include "reply.h"
#include "request.h"
#include "router.h"
#include "xapi_request.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <stdlib.h>

/* the service's own limit too (xapi_documents.c there) */
#define DOCUMENT_BODY_MAX (1024 * 1024)

static void s_document(yx_exchange_t *x, const char *resource)
{
    char version[YX_XAPI_VERSION_MAX];
    if (!yx_xapi_version(x, version)) return;
    struct evkeyvalq *headers = evhttp_request_get_input_headers(x->req);
    Yx__XapiDocument op = YX__XAPI_DOCUMENT__INIT;
    op.resource = (char *)resource;
    op.method = (char *)yx_method_name((enum evhttp_cmd_type)x->method);
    struct evbuffer *in = evhttp_request_get_input_buffer(x->req);
    size_t len = evbuffer_get_length(in);
    if (len > DOCUMENT_BODY_MAX) {
        yx_reply_error(x, 413, "a document may have at most %d bytes", DOCUMENT_BODY_MAX);
        return;
    }
    if (len) {
        op.body.data = evbuffer_pullup(in, -1);
        op.body.len = len;
    }
    const char *type = evhttp_find_header(headers, "Content-Type");
    const char *if_match = evhttp_find_header(headers, "If-Match");
    const char *if_none_match = evhttp_find_header(headers, "If-None-Match");
    if (type) op.content_type = (char *)type;
    if (if_match) op.if_match = (char *)if_match;
    if (if_none_match) op.if_none_match = (char *)if_none_match;
    yx_xapi_param_t decoded[YX_XAPI_PARAMS_MAX];
    char *text;
    int n = yx_xapi_params(x, decoded, &text);
    if (n < 0) return;
    Yx__XapiDocument__ParamsEntry entries[YX_XAPI_PARAMS_MAX], *params[YX_XAPI_PARAMS_MAX];
    for (int i = 0; i < n; i++) {
        entries[i] = (Yx__XapiDocument__ParamsEntry)YX__XAPI_DOCUMENT__PARAMS_ENTRY__INIT;
        entries[i].key = decoded[i].key;
        entries[i].value = decoded[i].value;
        params[i] = &entries[i];
    }
    op.n_params = (size_t)n;
    op.params = params;
    Yx__CreditsRequest cr = YX__CREDITS_REQUEST__INIT;
    cr.op_case = YX__CREDITS_REQUEST__OP_XAPI_DOCUMENT;
    cr.xapi_document = &op;
    yx_credits_call(x, &cr, NULL);
    free(text);
}

void yx_xapi_state(yx_exchange_t *x)
{
    s_document(x, "state");
}

void yx_xapi_activity_profile(yx_exchange_t *x)
{
    s_document(x, "activity_profile");
}

void yx_xapi_agent_profile(yx_exchange_t *x)
{
    s_document(x, "agent_profile");
}

void yx_xapi_activity(yx_exchange_t *x)
{
    s_document(x, "activity");
}

void yx_xapi_agent(yx_exchange_t *x)
{
    s_document(x, "agent");
}
