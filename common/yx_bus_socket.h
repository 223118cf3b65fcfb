/* Internals shared by the bus server and client: a ZeroMQ socket driven by libevent. */
#ifndef YX_BUS_SOCKET_H
#define YX_BUS_SOCKET_H
#include <stdbool.h>
#include <stddef.h>
#include <zmq.h>

struct event_base;
struct event;

typedef void(yx_bus_frames_fn)(zmq_msg_t *frames, int count, void *arg);

/* Watches a socket's ZMQ_FD and calls on_message for every complete multipart message
 * (at most max_frames frames; longer messages are dropped whole). */
typedef struct {
    void *sock;
    struct event *ev;
    yx_bus_frames_fn *on_message;
    void *arg;
    int max_frames;
} yx_bus_socket_t;

int yx_bus_socket_watch(yx_bus_socket_t *self, struct event_base *base);
void yx_bus_socket_unwatch(yx_bus_socket_t *self);
/* ZMQ_FD is edge-triggered: after every send, wake the reader so nothing queued is missed. */
void yx_bus_socket_kick(yx_bus_socket_t *self);
/* Options every bus socket shares: size limit, heartbeats, linger. */
void yx_bus_socket_common_options(void *sock, int linger_ms);
/* Sends frames with ZMQ_DONTWAIT; -1 (errno EAGAIN etc.) when the first cannot go. */
int yx_bus_socket_send(yx_bus_socket_t *self, const void *const *parts, const size_t *sizes,
                       int count);

#endif
