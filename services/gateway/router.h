/* The static route table: method, path pattern, roles allowed, handler. Authentication and
 * route-level role checks happen here, before any handler runs. */
#ifndef YX_ROUTER_H
#define YX_ROUTER_H
#include "gateway.h"

#include <event2/http.h>

typedef void(yx_handler_fn)(yx_exchange_t *x);

#define YX_ROUTE_IDS 2 /* path ids: x->id, x->id2 */

enum {
    YX_ROUTE_LOOPBACK = 1, /* only from a loopback address */
    YX_ROUTE_QUIET = 2,    /* probes: logged at debug level unless they fail */
};

typedef struct {
    enum evhttp_cmd_type method;
    const char *pattern; /* literal segments and at most YX_ROUTE_IDS {id} */
    unsigned roles;      /* bit (1 << Yx__Role) per allowed role; 0 = no key needed */
    unsigned flags;
    yx_handler_fn *handler;
} yx_route_t;

/* The evhttp callback. arg is the yx_gateway_t. */
void yx_router_dispatch(struct evhttp_request *req, void *arg);

int yx_route_count(void);
/* NULL for yx_route_count() (no route matched). */
const yx_route_t *yx_route_get(int index);
/* Metrics label of a route index: its pattern, or "unmatched". */
const char *yx_route_label(int index);
/* Labels of every index 0..yx_route_count() inclusive, for the metrics. */
const char *const *yx_route_labels(void);
const char *yx_method_name(enum evhttp_cmd_type method);

#endif
