/* The credits service's client side. A 2xx body is handed to the connection by reference
 * (the unpacked reply is freed once the bytes are written), so a large statement page is not
 * copied again on its way out. */
#include "credits_call.h"
#include "reply.h"
#include "request.h"
#include "roster_json.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define JSON_TYPE "application/json; charset=utf-8"
#define HEADER_VALUE_MAX 2048

typedef struct {
    yx_exchange_t *x;
    yx_credits_render_fn *render;
} s_pending_t;

/* RFC 9110 token characters. */
static bool s_token(const char *s, size_t max)
{
    size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                         "!#$%&'*+-.^_`|~");
    return n > 0 && n <= max && s[n] == '\0';
}

/* Visible characters, spaces and tabs only: nothing that could end the header early. */
static bool s_field_value(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (((unsigned char)s[n] < 0x20 && s[n] != '\t') || s[n] == 0x7f) return false;
    return n <= HEADER_VALUE_MAX;
}

/* Headers the gateway sets itself, or that describe the connection rather than the
 * document. */
static bool s_gateway_header(const char *name)
{
    static const char *const owned[] = {"Content-Type",
                                        "Content-Length",
                                        "Transfer-Encoding",
                                        "Connection",
                                        "Keep-Alive",
                                        "Upgrade",
                                        "Trailer",
                                        "Date",
                                        "Server",
                                        "X-Request-Id",
                                        "X-Experience-API-Version",
                                        "WWW-Authenticate"};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
        if (strcasecmp(name, owned[i]) == 0) return true;
    return false;
}

static void s_add_headers(yx_exchange_t *x, const Yx__CreditsReply *reply)
{
    if (!x->req) return;
    struct evkeyvalq *out = evhttp_request_get_output_headers(x->req);
    for (size_t i = 0; i < reply->n_headers; i++) {
        const Yx__Header *h = reply->headers[i];
        if (!h || !s_token(h->name, 64) || !s_field_value(h->value) || s_gateway_header(h->name))
            continue;
        evhttp_add_header(out, h->name, h->value);
    }
}

static void s_free_reply(const void *data, size_t len, void *arg)
{
    (void)data;
    (void)len;
    yx__credits_reply__free_unpacked(arg, NULL);
}

void yx_credits_relay(yx_exchange_t *x, Yx__CreditsReply *reply)
{
    int code = (int)reply->status->code;
    s_add_headers(x, reply);
    if (code < 200 || code > 299) {
        const Yx__Status *status = reply->status;
        json_t *message = json_string(*status->message ? status->message : "request failed");
        json_t *body =
            json_pack("{s:o, s:o}", "error", message ? message : json_string("request failed"),
                      "problems", yx_json_problems(status->problems, status->n_problems));
        yx__credits_reply__free_unpacked(reply, NULL);
        yx_reply_json(x, code, body);
        return;
    }
    const char *type = reply->content_type;
    if (!*type || !s_field_value(type)) type = JSON_TYPE;
    struct evbuffer *body = evbuffer_new();
    /* 204 and 304 have no body by definition. */
    bool with_body = code != 204 && code != 304 && reply->body.len > 0;
    if (!body || (with_body && evbuffer_add_reference(body, reply->body.data, reply->body.len,
                                                      s_free_reply, reply) < 0)) {
        if (body) evbuffer_free(body);
        yx__credits_reply__free_unpacked(reply, NULL);
        yx_reply_error(x, 500, "out of memory");
        return;
    }
    yx_reply_buffer(x, code, type, body);
    /* Frees the reply here when the client is gone; otherwise the connection holds the
     * reference and frees it once written. */
    evbuffer_free(body);
    if (!with_body) yx__credits_reply__free_unpacked(reply, NULL);
}

static void s_on_reply(yx_bus_result_t result, const uint8_t *data, size_t size, double elapsed_ms,
                       void *arg)
{
    s_pending_t *pending = arg;
    yx_exchange_t *x = pending->x;
    if (result == YX_BUS_OK) {
        yx_metrics_bus(x->gw->metrics, YX_SVC_CREDITS, elapsed_ms / 1e3);
        Yx__CreditsReply *reply = size > 0 && size <= (size_t)YX_BUS_MAX_MSG
                                      ? yx__credits_reply__unpack(NULL, size, data)
                                      : NULL;
        if (!reply || !reply->status || reply->status->code < 200 || reply->status->code > 599) {
            if (reply) yx__credits_reply__free_unpacked(reply, NULL);
            yx_reply_error(x, 502, "invalid reply from credits");
        } else {
            (pending->render ? pending->render : yx_credits_relay)(x, reply);
        }
    } else if (result == YX_BUS_TIMEOUT) {
        yx_reply_error(x, 504, "credits did not answer in time");
    } else {
        yx_reply_error(x, 503, "credits unavailable");
    }
    yx_exchange_release(&pending->x);
    free(pending);
}

void yx_credits_send(yx_exchange_t *x, uint8_t *buf, size_t size, yx_credits_render_fn *render)
{
    yx_gateway_t *gw = x->gw;
    yx_bus_client_t *client = gw->services[YX_SVC_CREDITS].client;
    s_pending_t *pending = client ? calloc(1, sizeof *pending) : NULL;
    if (!client) { /* shutting down */
        free(buf);
        yx_reply_error(x, 503, "credits unavailable");
        return;
    }
    if (!pending || !(pending->x = yx_exchange_hold(x))) {
        free(buf);
        free(pending);
        yx_reply_error(x, 500, "out of memory");
        return;
    }
    pending->render = render;
    int rc = yx_bus_call(client, buf, size, gw->bus_timeout_ms, s_on_reply, pending);
    free(buf);
    if (rc < 0) {
        yx_reply_error(pending->x, 503, "credits unavailable");
        yx_exchange_release(&pending->x);
        free(pending);
    }
}

void yx_credits_call(yx_exchange_t *x, Yx__CreditsRequest *cr, yx_credits_render_fn *render)
{
    Yx__Principal principal = YX__PRINCIPAL__INIT;
    Yx__RequestHeader header = YX__REQUEST_HEADER__INIT;
    yx_req_bus_header(x, &header, &principal, x->gw->bus_timeout_ms);
    cr->header = &header;
    size_t size = yx__credits_request__get_packed_size(cr);
    if (size > (size_t)YX_BUS_MAX_MSG) {
        yx_reply_error(x, 413, "request too large for the bus");
        return;
    }
    uint8_t *buf = malloc(size);
    if (!buf) {
        yx_reply_error(x, 500, "out of memory");
        return;
    }
    yx__credits_request__pack(cr, buf);
    yx_credits_send(x, buf, size, render);
}
