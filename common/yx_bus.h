/* The bus: request/reply over ZeroMQ inside a libevent loop.
 *
 * A service binds a ROUTER (yx_bus_server_t); callers connect a DEALER
 * (yx_bus_client_t). On the wire a request is two frames, [correlation id][payload],
 * and the reply echoes the correlation id. Payloads are the services' protobuf
 * messages; this layer does not look inside them. */
#ifndef YX_BUS_H
#define YX_BUS_H
#include <stddef.h>
#include <stdint.h>

struct event_base;

/* Largest frame accepted on any socket (ZMQ_MAXMSGSIZE). */
#define YX_BUS_MAX_MSG (96L * 1024 * 1024)

/* ---- server ---------------------------------------------------------------- */
typedef struct yx_bus_server yx_bus_server_t;
typedef struct yx_bus_call yx_bus_call_t; /* one inbound request awaiting its reply */

/* Called once per request. The handler must eventually call yx_bus_reply exactly once
 * (synchronously or later); data is valid until then. */
typedef void(yx_bus_handler_fn)(yx_bus_call_t *call, const uint8_t *data, size_t size,
                                void *arg);

yx_bus_server_t *yx_bus_server_new(struct event_base *base, void *zmq_ctx,
                                   const char *endpoint, yx_bus_handler_fn *handler,
                                   void *arg);
void yx_bus_server_destroy(yx_bus_server_t **self_p);
/* Sends the reply and frees the call. Returns 0, or -1 when the caller is gone. */
int yx_bus_reply(yx_bus_call_t *call, const uint8_t *data, size_t size);
/* Requests read but not yet answered (the service's queue depth). */
size_t yx_bus_server_pending(const yx_bus_server_t *self);

/* ---- client ---------------------------------------------------------------- */
typedef struct yx_bus_client yx_bus_client_t;

typedef enum {
    YX_BUS_OK = 0,
    YX_BUS_TIMEOUT,     /* no reply by the deadline: 504 */
    YX_BUS_UNAVAILABLE, /* could not send (no peer, queue full) or shutting down: 503 */
} yx_bus_result_t;

/* Fires exactly once per yx_bus_call: with the reply, on timeout, or on destroy.
 * data is only valid during the callback. */
typedef void(yx_bus_reply_fn)(yx_bus_result_t result, const uint8_t *data, size_t size,
                              double elapsed_ms, void *arg);

/* endpoint may list several instances of one service, separated by commas. */
yx_bus_client_t *yx_bus_client_new(struct event_base *base, void *zmq_ctx,
                                   const char *endpoint);
/* Fails every pending call with YX_BUS_UNAVAILABLE, then closes. */
void yx_bus_client_destroy(yx_bus_client_t **self_p);
/* Sends a request. Returns 0 (the callback will fire later) or -1 when it could not be
 * sent (the callback has NOT fired; answer 503). */
int yx_bus_call(yx_bus_client_t *self, const uint8_t *data, size_t size, int timeout_ms,
                yx_bus_reply_fn *on_reply, void *arg);
/* Calls sent and not yet answered. */
size_t yx_bus_client_pending(const yx_bus_client_t *self);

#endif
