/* The libzmq-in-libevent glue. ZMQ_FD only says "something changed": each wakeup must read
 * until ZMQ_EVENTS stops reporting input, and every send must re-arm the reader. */
#include "yx_bus_socket.h"
#include "yx_bus.h"
#include "yx_log.h"

#include <errno.h>
#include <event2/event.h>

#define MAX_FRAMES 8
#define DRAIN_BUDGET 512 /* messages per wakeup, so one busy socket cannot starve the loop */

static bool s_has_input(void *sock)
{
    int events = 0;
    size_t len = sizeof events;
    return zmq_getsockopt(sock, ZMQ_EVENTS, &events, &len) == 0 && (events & ZMQ_POLLIN);
}

static void s_close_all(zmq_msg_t *frames, int count)
{
    for (int i = 0; i < count; i++)
        zmq_msg_close(&frames[i]);
}

/* Reads one multipart message. Returns frames read, 0 when none waits, -1 when the message
 * was malformed (too many frames) and dropped whole. */
static int s_recv_message(yx_bus_socket_t *self, zmq_msg_t *frames)
{
    int kept = 0, seen = 0;
    for (;;) {
        zmq_msg_t frame;
        zmq_msg_init(&frame);
        if (zmq_msg_recv(&frame, self->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&frame);
            s_close_all(frames, kept);
            return seen == 0 && errno == EAGAIN ? 0 : -1;
        }
        int more = zmq_msg_more(&frame);
        seen++;
        if (kept < self->max_frames) {
            zmq_msg_init(&frames[kept]);
            zmq_msg_move(&frames[kept++], &frame);
        }
        zmq_msg_close(&frame);
        if (!more) break;
    }
    if (seen > self->max_frames) {
        s_close_all(frames, kept);
        yx_warn(NULL, "dropped a bus message of %d frames", seen);
        return -1;
    }
    return kept;
}

static void s_on_readable(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    yx_bus_socket_t *self = arg;
    for (int budget = DRAIN_BUDGET; budget > 0 && s_has_input(self->sock); budget--) {
        zmq_msg_t frames[MAX_FRAMES];
        int count = s_recv_message(self, frames);
        if (count <= 0) continue;
        self->on_message(frames, count, self->arg);
        s_close_all(frames, count);
    }
    if (self->ev && s_has_input(self->sock)) event_active(self->ev, EV_READ, 0);
}

int yx_bus_socket_watch(yx_bus_socket_t *self, struct event_base *base)
{
    int fd;
    size_t len = sizeof fd;
    if (self->max_frames > MAX_FRAMES) self->max_frames = MAX_FRAMES;
    if (zmq_getsockopt(self->sock, ZMQ_FD, &fd, &len) < 0) return -1;
    self->ev = event_new(base, fd, EV_READ | EV_PERSIST, s_on_readable, self);
    if (!self->ev || event_add(self->ev, NULL) < 0) return -1;
    /* Messages may already be queued before the first edge. */
    event_active(self->ev, EV_READ, 0);
    return 0;
}

void yx_bus_socket_unwatch(yx_bus_socket_t *self)
{
    if (self->ev) event_free(self->ev);
    self->ev = NULL;
}

void yx_bus_socket_kick(yx_bus_socket_t *self)
{
    if (self->ev) event_active(self->ev, EV_READ, 0);
}

void yx_bus_socket_common_options(void *sock, int linger_ms)
{
    int64_t max = YX_BUS_MAX_MSG;
    int hwm = 100000, ivl = 1000, timeout = 5000;
    zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &max, sizeof max);
    zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sock, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl);
    zmq_setsockopt(sock, ZMQ_HEARTBEAT_TIMEOUT, &timeout, sizeof timeout);
    zmq_setsockopt(sock, ZMQ_LINGER, &linger_ms, sizeof linger_ms);
}

int yx_bus_socket_send(yx_bus_socket_t *self, const void *const *parts, const size_t *sizes,
                       int count)
{
    int rc = 0;
    for (int i = 0; i < count; i++) {
        int flags = ZMQ_DONTWAIT | (i + 1 < count ? ZMQ_SNDMORE : 0);
        /* Once the first frame is queued, the rest of a multipart message always is. */
        if (zmq_send(self->sock, parts[i], sizes[i], flags) < 0) {
            rc = -1;
            break;
        }
    }
    yx_bus_socket_kick(self);
    return rc;
}
