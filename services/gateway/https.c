/* TLS termination. Two traps of libevent 2.1 shape this file: a bevcb returning NULL makes
 * evhttp serve that connection in plain text, and it gives no hook between accept() and the
 * bevcb, so per-socket options are set on the listener and inherited. */
#include "https.h"
#include "yx_log.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/bufferevent_struct.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct yx_https {
    SSL_CTX *ctx;
    struct evhttp *http;
};

static const char *s_ssl_error(void)
{
    static char buf[256];
    unsigned long e = ERR_get_error();
    ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return e ? buf : "unknown error";
}

static SSL_CTX *s_ctx_new(const yx_https_config_t *config)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) return NULL;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* IGNORE_UNEXPECTED_EOF: a peer closing without close_notify is an ordinary close
     * for HTTP (bodies are length-delimited), not an error that fails the request. */
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    static const unsigned char session_id[] = "yanxiu-gateway";
    SSL_CTX_set_session_id_context(ctx, session_id, sizeof session_id - 1);
    if (SSL_CTX_use_certificate_chain_file(ctx, config->cert_file) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, config->key_file, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        yx_error(NULL, "could not load certificate %s / key %s: %s", config->cert_file,
                 config->key_file, s_ssl_error());
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* Never returns NULL (that would mean plain text on the TLS port). Without an SSL object
 * the connection gets one end of an unconnected pair: evhttp cannot attach the socket to
 * it, so it closes the connection at once. */
static struct bufferevent *s_bevcb(struct event_base *base, void *arg)
{
    yx_https_t *self = arg;
    SSL *ssl = SSL_new(self->ctx);
    struct bufferevent *bev =
        ssl ? bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                             BEV_OPT_CLOSE_ON_FREE)
            : NULL;
    if (bev) {
        bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
        return bev;
    }
    if (ssl) SSL_free(ssl);
    yx_error(NULL, "could not set up tls for a connection: %s", s_ssl_error());
    struct bufferevent *pair[2];
    if (bufferevent_pair_new(base, 0, pair) < 0) abort(); /* no memory left at all */
    bufferevent_free(pair[1]);
    return pair[0];
}

static struct evconnlistener *s_listen(struct event_base *base, const char *addr)
{
    struct sockaddr_storage ss;
    int len = sizeof ss;
    if (evutil_parse_sockaddr_port(addr, (struct sockaddr *)&ss, &len) < 0) {
        yx_error(NULL, "invalid YANXIU_HTTPS_ADDR %s: expected host:port", addr);
        return NULL;
    }
    struct evconnlistener *listener = evconnlistener_new_bind(
        base, NULL, NULL, LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 1024,
        (struct sockaddr *)&ss, len);
    if (!listener) {
        yx_error(NULL, "could not listen on %s: %s", addr,
                 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
        return NULL;
    }
    /* Without TCP_NODELAY a keep-alive TLS connection stalls ~40 ms per response. */
    int one = 1;
    setsockopt(evconnlistener_get_fd(listener), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return listener;
}

yx_https_t *yx_https_new(struct event_base *base, const yx_https_config_t *config,
                         void (*handler)(struct evhttp_request *, void *), void *arg)
{
    yx_https_t *self = calloc(1, sizeof *self);
    if (!self) return NULL;
    self->ctx = s_ctx_new(config);
    self->http = self->ctx ? evhttp_new(base) : NULL;
    struct evconnlistener *listener = self->http ? s_listen(base, config->addr) : NULL;
    if (!listener || !evhttp_bind_listener(self->http, listener)) {
        if (listener) evconnlistener_free(listener);
        yx_https_destroy(&self);
        return NULL;
    }
    evhttp_set_bevcb(self->http, s_bevcb, self);
    evhttp_set_gencb(self->http, handler, arg);
    evhttp_set_max_body_size(self->http, (ev_ssize_t)config->max_body);
    evhttp_set_max_headers_size(self->http, (ev_ssize_t)config->max_headers);
    evhttp_set_timeout(self->http, config->timeout_s);
    /* Let every method reach the router, which answers 405 in JSON (evhttp: 501 HTML). */
    evhttp_set_allowed_methods(self->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                               EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                               EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
    yx_info(NULL, "listening on https://%s", config->addr);
    return self;
}

void yx_https_destroy(yx_https_t **self_p)
{
    yx_https_t *self = *self_p;
    if (!self) return;
    if (self->http) evhttp_free(self->http);
    if (self->ctx) SSL_CTX_free(self->ctx);
    free(self);
    *self_p = NULL;
}

void yx_https_ensure_nodelay(struct evhttp_request *req)
{
    static int mode; /* 0 unchecked, 1 inherited, 2 set per request */
    if (mode == 1) return;
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
    evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
    if (fd < 0) return;
    int on = 0;
    socklen_t len = sizeof on;
    if (mode == 0) {
        getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, &len);
        mode = on ? 1 : 2;
        if (mode == 2) yx_warn(NULL, "TCP_NODELAY not inherited; setting it per request");
    }
    on = 1;
    if (mode == 2) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

/* Two costs per response that evhttp over bufferevent_openssl would otherwise pay:
 * - headers and body sit in separate buffer chains, and each chain becomes its own
 *   SSL_write: two TLS records, two write() calls. A small reply is joined into one chain
 *   (at most one TLS record of 16 KiB, so the copy is bounded).
 * - the write event is only armed when output is queued, so write() waits for another
 *   epoll round (and an epoll_ctl). Activating that event runs the same write path in this
 *   loop pass; if the socket is not writable, SSL_write reports WANT_WRITE and the armed
 *   event takes over as usual. */
void yx_https_flush(struct evhttp_connection *evcon)
{
    struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
    if (!bev || !bufferevent_openssl_get_ssl(bev)) return;
    struct evbuffer *out = bufferevent_get_output(bev);
    size_t pending = evbuffer_get_length(out);
    if (pending > 0 && pending <= 16384) evbuffer_pullup(out, (ev_ssize_t)pending);
    if (event_initialized(&bev->ev_write) && event_pending(&bev->ev_write, EV_WRITE, NULL))
        event_active(&bev->ev_write, EV_WRITE, 1);
}
