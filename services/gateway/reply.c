/* Replies and the life of a held exchange.
 *
 * libevent 2.1 keeps an incoming request alive while the user owns it: reading is paused,
 * and a client that vanishes is only noticed when the reply is written, after which
 * libevent frees the request itself. The one case where it frees a request we still hold is
 * the connection being freed underneath (server shutdown, or an error path): the close
 * callback tells us first, so a late service reply never touches freed memory. When the
 * connection dies but the request is only detached (evcon NULL), sending the reply is what
 * frees it, so the exchange still replies exactly once. */
#include "reply.h"
#include "http_util.h"
#include "https.h"
#include "router.h"
#include "yx_log.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_TYPE "application/json; charset=utf-8"

static void s_on_close(struct evhttp_connection *evcon, void *arg)
{
    yx_exchange_t *x = arg;
    /* Still attached: evhttp_connection_free is about to free the request with it. */
    if (x->req && evhttp_request_get_connection(x->req) == evcon) x->req = NULL;
}

static void s_finish(yx_exchange_t *x, int code, const char *content_type, struct evbuffer *body)
{
    double seconds = yx_now() - x->started;
    yx_metrics_http(x->gw->metrics, x->route, code, seconds);
    struct evhttp_request *req = x->req;
    if (req) {
        struct evhttp_connection *evcon = evhttp_request_get_connection(req);
        if (x->held && evcon) evhttp_connection_set_closecb(evcon, NULL, NULL);
        struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
        evhttp_add_header(headers, "Content-Type", content_type);
        evhttp_add_header(headers, "X-Request-Id", x->request_id);
        evhttp_send_reply(req, code, NULL, body);
        yx_https_flush(evcon);
        x->req = NULL;
    }
    const yx_route_t *route = yx_route_get(x->route);
    yx_log_level_t level =
        route && (route->flags & YX_ROUTE_QUIET) && code < 500 ? YX_LOG_DEBUG : YX_LOG_INFO;
    yx_log(level, x->request_id, "http method=%s route=%s status=%d ms=%.3f%s",
           yx_method_name((enum evhttp_cmd_type)x->method), yx_route_label(x->route), code,
           seconds * 1e3, req ? "" : " client=gone");
}

static void s_free_json(const void *data, size_t len, void *arg)
{
    (void)len;
    (void)arg;
    free((void *)data);
}

void yx_reply_json(yx_exchange_t *x, int code, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    struct evbuffer *buf = evbuffer_new();
    if (!text || !buf || evbuffer_add_reference(buf, text, strlen(text), s_free_json, NULL) < 0) {
        free(text);
        static const char oom[] = "{\"error\":\"out of memory\",\"problems\":[]}";
        if (buf) evbuffer_add(buf, oom, sizeof oom - 1);
        code = 500;
    }
    s_finish(x, code, JSON_TYPE, buf);
    if (buf) evbuffer_free(buf);
}

void yx_reply_error(yx_exchange_t *x, int code, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    /* json_string refuses invalid UTF-8 (a path id echoed back): say so instead. */
    json_t *text = json_string(message);
    yx_reply_json(x, code,
                  json_pack("{s:o, s:[]}", "error", text ? text : json_string("invalid request"),
                            "problems"));
}

void yx_reply_static(yx_exchange_t *x, int code, const char *content_type, const char *body,
                     size_t len)
{
    struct evbuffer *buf = evbuffer_new();
    if (buf) evbuffer_add_reference(buf, body, len, NULL, NULL);
    s_finish(x, code, content_type, buf);
    if (buf) evbuffer_free(buf);
}

void yx_reply_buffer(yx_exchange_t *x, int code, const char *content_type, struct evbuffer *body)
{
    s_finish(x, code, content_type, body);
}

yx_exchange_t *yx_exchange_hold(const yx_exchange_t *x)
{
    yx_exchange_t *held = malloc(sizeof *held);
    if (!held) return NULL;
    *held = *x;
    held->held = true;
    held->key = NULL;
    held->query = NULL;
    struct evhttp_connection *evcon = evhttp_request_get_connection(held->req);
    if (evcon) evhttp_connection_set_closecb(evcon, s_on_close, held);
    return held;
}

void yx_exchange_release(yx_exchange_t **x_p)
{
    yx_exchange_t *x = *x_p;
    if (!x) return;
    /* A path that forgot to answer must not leak the request or leave the close callback
     * pointing at freed memory. */
    if (x->req) yx_reply_error(x, 500, "internal error: no reply");
    free(x);
    *x_p = NULL;
}
