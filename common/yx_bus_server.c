/* The service side of the bus: a ROUTER whose requests are [identity][correlation][payload]. */
#include "yx_bus.h"
#include "yx_bus_socket.h"
#include "yx_log.h"

#include <stdlib.h>
#include <string.h>

#define MAX_ID 256

struct yx_bus_server {
    yx_bus_socket_t io;
    yx_bus_handler_fn *handler;
    void *arg;
    size_t pending;
};

struct yx_bus_call {
    yx_bus_server_t *server;
    size_t identity_size, correlation_size;
    unsigned char identity[MAX_ID];
    unsigned char correlation[MAX_ID];
};

static void s_on_request(zmq_msg_t *frames, int count, void *arg)
{
    yx_bus_server_t *self = arg;
    if (count != 3 || zmq_msg_size(&frames[0]) > MAX_ID || zmq_msg_size(&frames[1]) > MAX_ID) {
        yx_warn(NULL, "dropped a malformed bus request (%d frames)", count);
        return;
    }
    yx_bus_call_t *call = calloc(1, sizeof *call);
    if (!call) return;
    call->server = self;
    call->identity_size = zmq_msg_size(&frames[0]);
    memcpy(call->identity, zmq_msg_data(&frames[0]), call->identity_size);
    call->correlation_size = zmq_msg_size(&frames[1]);
    memcpy(call->correlation, zmq_msg_data(&frames[1]), call->correlation_size);
    self->pending++;
    self->handler(call, zmq_msg_data(&frames[2]), zmq_msg_size(&frames[2]), self->arg);
}

yx_bus_server_t *yx_bus_server_new(struct event_base *base, void *zmq_ctx, const char *endpoint,
                                   yx_bus_handler_fn *handler, void *arg)
{
    yx_bus_server_t *self = calloc(1, sizeof *self);
    if (!self) return NULL;
    self->handler = handler;
    self->arg = arg;
    self->io = (yx_bus_socket_t){.on_message = s_on_request, .arg = self, .max_frames = 3};
    self->io.sock = zmq_socket(zmq_ctx, ZMQ_ROUTER);
    int mandatory = 1;
    if (self->io.sock) {
        yx_bus_socket_common_options(self->io.sock, 1000);
        /* A reply to a vanished caller fails loudly instead of disappearing. */
        zmq_setsockopt(self->io.sock, ZMQ_ROUTER_MANDATORY, &mandatory, sizeof mandatory);
    }
    if (!self->io.sock || zmq_bind(self->io.sock, endpoint) < 0 ||
        yx_bus_socket_watch(&self->io, base) < 0) {
        yx_error(NULL, "could not bind %s: %s", endpoint, zmq_strerror(zmq_errno()));
        yx_bus_server_destroy(&self);
        return NULL;
    }
    return self;
}

void yx_bus_server_destroy(yx_bus_server_t **self_p)
{
    yx_bus_server_t *self = *self_p;
    if (!self) return;
    yx_bus_socket_unwatch(&self->io);
    if (self->io.sock) zmq_close(self->io.sock);
    free(self);
    *self_p = NULL;
}

int yx_bus_reply(yx_bus_call_t *call, const uint8_t *data, size_t size)
{
    yx_bus_server_t *self = call->server;
    const void *parts[] = {call->identity, call->correlation, data};
    size_t sizes[] = {call->identity_size, call->correlation_size, size};
    int rc = yx_bus_socket_send(&self->io, parts, sizes, 3);
    if (rc < 0) yx_warn(NULL, "could not reply: %s", zmq_strerror(zmq_errno()));
    self->pending--;
    free(call);
    return rc;
}

size_t yx_bus_server_pending(const yx_bus_server_t *self)
{
    return self->pending;
}
