/* The gateway's shared state, and the exchange: one HTTP request being answered. */
#ifndef YX_GATEWAY_H
#define YX_GATEWAY_H
#include "keys.h"
#include "metrics.h"
#include "yx_bus.h"

#include <stdbool.h>

struct event_base;
struct evhttp_request;
typedef struct yx_https yx_https_t;
typedef struct yx_keywatch yx_keywatch_t;

#define YX_REQUEST_ID_MAX 64
#define YX_PATH_ID_MAX 255

/* The services the gateway calls; the index is also their metrics label. */
enum { YX_SVC_ROSTER, YX_SVC_CREDITS, YX_SVC_COUNT };

typedef struct {
    const char *name;
    yx_bus_client_t *client;
} yx_service_t;

typedef struct {
    struct event_base *base;
    void *zmq_ctx;
    yx_https_t *https;
    yx_keys_t *keys;
    yx_keywatch_t *keywatch;
    yx_metrics_t *metrics;
    yx_service_t services[YX_SVC_COUNT];
    int bus_timeout_ms;
    int ready_timeout_ms;
} yx_gateway_t;

typedef struct {
    yx_gateway_t *gw;
    struct evhttp_request *req; /* NULL once libevent freed it (the client went away) */
    int route;                  /* index in the route table, or yx_route_count() */
    int method;                 /* enum evhttp_cmd_type of the request */
    bool held;                  /* a heap copy kept while a service answers */
    double started;             /* monotonic seconds */
    const yx_key_t *key;        /* valid during dispatch only: a reload frees it */
    const char *query;          /* the query string when not the URI's (during dispatch only) */
    char request_id[YX_REQUEST_ID_MAX + 1];
    char id[YX_PATH_ID_MAX + 1];  /* the decoded first {id} of the path, "" when none */
    char id2[YX_PATH_ID_MAX + 1]; /* the second {id} (programs/{id}/teachers/{id}/...) */
} yx_exchange_t;

#endif
