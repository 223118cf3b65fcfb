/* The HTTPS listener: evhttp over bufferevent_openssl, TLS 1.2+, with the limits evhttp
 * leaves unlimited by default (body, headers, idle time). */
#ifndef YX_HTTPS_H
#define YX_HTTPS_H
#include <stddef.h>

struct event_base;
struct evhttp_request;
struct evhttp_connection;
typedef struct yx_https yx_https_t;

typedef struct {
    const char *addr; /* "host:port", "[v6]:port" */
    const char *cert_file;
    const char *key_file;
    size_t max_body;
    size_t max_headers;
    int timeout_s; /* inactivity while reading a request or writing a reply */
} yx_https_config_t;

yx_https_t *yx_https_new(struct event_base *base, const yx_https_config_t *config,
                         void (*handler)(struct evhttp_request *, void *), void *arg);
/* Frees every connection too: answer pending requests first. */
void yx_https_destroy(yx_https_t **self_p);
/* Called per request: accepted sockets inherit TCP_NODELAY from the listener on Linux;
 * checks that once and falls back to setting it on each request's socket if not. */
void yx_https_ensure_nodelay(struct evhttp_request *req);

/* After a reply is queued: write it in this loop pass instead of the next. */
void yx_https_flush(struct evhttp_connection *evcon);

#endif
