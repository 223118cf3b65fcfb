/* The caller side of the bus: a DEALER with correlation ids and a deadline per call.
 * Every callback fires exactly once: reply, timeout, or shutdown. */
#include "yx_bus.h"
#include "yx_bus_socket.h"
#include "yx_log.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BUCKETS 4096 /* power of two; chains stay short at thousands in flight */

typedef struct call {
    uint64_t id;
    yx_bus_reply_fn *on_reply;
    void *arg;
    struct event *timer;
    struct timespec started;
    struct yx_bus_client *client;
    struct call *next;
} call_t;

struct yx_bus_client {
    yx_bus_socket_t io;
    struct event_base *base;
    uint64_t next_id;
    size_t pending;
    call_t *buckets[BUCKETS];
};

static double s_ms_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) * 1e3 + (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

static call_t *s_take(yx_bus_client_t *self, uint64_t id)
{
    for (call_t **p = &self->buckets[id & (BUCKETS - 1)]; *p; p = &(*p)->next) {
        if ((*p)->id != id) continue;
        call_t *call = *p;
        *p = call->next;
        self->pending--;
        return call;
    }
    return NULL;
}

static void s_finish(call_t *call, yx_bus_result_t result, const uint8_t *data, size_t size)
{
    event_free(call->timer);
    call->on_reply(result, data, size, s_ms_since(&call->started), call->arg);
    free(call);
}

static void s_on_reply(zmq_msg_t *frames, int count, void *arg)
{
    yx_bus_client_t *self = arg;
    uint64_t id;
    if (count != 2 || zmq_msg_size(&frames[0]) != sizeof id) {
        yx_warn(NULL, "dropped a malformed bus reply (%d frames)", count);
        return;
    }
    memcpy(&id, zmq_msg_data(&frames[0]), sizeof id);
    call_t *call = s_take(self, id);
    if (!call) return; /* its deadline passed; the caller was already answered */
    s_finish(call, YX_BUS_OK, zmq_msg_data(&frames[1]), zmq_msg_size(&frames[1]));
}

static void s_on_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    call_t *call = arg;
    if (s_take(call->client, call->id) == call) s_finish(call, YX_BUS_TIMEOUT, NULL, 0);
}

/* Several instances of a service: the DEALER spreads calls across every endpoint listed. */
static int s_connect_all(void *sock, const char *endpoints)
{
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", endpoints);
    char *save = NULL;
    for (char *ep = strtok_r(copy, ", ", &save); ep; ep = strtok_r(NULL, ", ", &save))
        if (zmq_connect(sock, ep) < 0) return -1;
    return 0;
}

yx_bus_client_t *yx_bus_client_new(struct event_base *base, void *zmq_ctx, const char *endpoint)
{
    yx_bus_client_t *self = calloc(1, sizeof *self);
    if (!self) return NULL;
    self->base = base;
    self->next_id = 1;
    self->io = (yx_bus_socket_t){.on_message = s_on_reply, .arg = self, .max_frames = 2};
    self->io.sock = zmq_socket(zmq_ctx, ZMQ_DEALER);
    int immediate = 1;
    if (self->io.sock) {
        yx_bus_socket_common_options(self->io.sock, 0);
        /* Without a connected peer a send fails at once (503) instead of queueing blindly. */
        zmq_setsockopt(self->io.sock, ZMQ_IMMEDIATE, &immediate, sizeof immediate);
    }
    if (!self->io.sock || s_connect_all(self->io.sock, endpoint) < 0 ||
        yx_bus_socket_watch(&self->io, base) < 0) {
        yx_error(NULL, "could not connect %s: %s", endpoint, zmq_strerror(zmq_errno()));
        yx_bus_client_destroy(&self);
        return NULL;
    }
    return self;
}

void yx_bus_client_destroy(yx_bus_client_t **self_p)
{
    yx_bus_client_t *self = *self_p;
    if (!self) return;
    for (int b = 0; b < BUCKETS; b++)
        while (self->buckets[b]) {
            call_t *call = self->buckets[b];
            self->buckets[b] = call->next;
            s_finish(call, YX_BUS_UNAVAILABLE, NULL, 0);
        }
    yx_bus_socket_unwatch(&self->io);
    if (self->io.sock) zmq_close(self->io.sock);
    free(self);
    *self_p = NULL;
}

int yx_bus_call(yx_bus_client_t *self, const uint8_t *data, size_t size, int timeout_ms,
                yx_bus_reply_fn *on_reply, void *arg)
{
    call_t *call = calloc(1, sizeof *call);
    if (!call) return -1;
    *call = (call_t){.id = self->next_id++, .on_reply = on_reply, .arg = arg, .client = self};
    clock_gettime(CLOCK_MONOTONIC, &call->started);
    call->timer = evtimer_new(self->base, s_on_timeout, call);
    const void *parts[] = {&call->id, data};
    size_t sizes[] = {sizeof call->id, size};
    if (!call->timer || yx_bus_socket_send(&self->io, parts, sizes, 2) < 0) {
        if (call->timer) event_free(call->timer);
        free(call);
        return -1;
    }
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    evtimer_add(call->timer, &tv);
    call_t **bucket = &self->buckets[call->id & (BUCKETS - 1)];
    call->next = *bucket;
    *bucket = call;
    self->pending++;
    return 0;
}

size_t yx_bus_client_pending(const yx_bus_client_t *self)
{
    return self->pending;
}
