/* Bus round-trip benchmark: /readyz-like pings from a DEALER to a service's ROUTER.
 *   yanxiu-bench-bus ENDPOINT RATE SECONDS   open loop at RATE requests/s: latency percentiles
 *   yanxiu-bench-bus ENDPOINT max SECONDS N  closed loop with N in flight: round trips/s
 * Prints one line of key=value pairs for the bench table. */
#include "roster.pb-c.h"
#include "yx_bus.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <zmq.h>

typedef struct {
    struct event_base *base;
    yx_bus_client_t *client;
    uint8_t msg[256];
    size_t msg_len;
    double *lat;
    size_t n_lat, cap_lat;
    long sent, failed, rate, target;
    struct timeval started;
    int closed_loop;
} bench_t;

static void s_send(bench_t *b);

static void s_on_reply(yx_bus_result_t result, const uint8_t *data, size_t size, double ms,
                       void *arg)
{
    (void)data;
    (void)size;
    bench_t *b = arg;
    if (result != YX_BUS_OK) b->failed++;
    else if (b->n_lat < b->cap_lat) b->lat[b->n_lat++] = ms;
    if (b->closed_loop && b->sent < b->target) s_send(b);
}

static void s_send(bench_t *b)
{
    if (yx_bus_call(b->client, b->msg, b->msg_len, 2000, s_on_reply, b) < 0) b->failed++;
    b->sent++;
}

static void s_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    bench_t *b = arg;
    /* timers fire late and unevenly: send what the schedule says is due by now */
    struct timeval now;
    gettimeofday(&now, NULL);
    double elapsed = (double)(now.tv_sec - b->started.tv_sec) +
                     (double)(now.tv_usec - b->started.tv_usec) / 1e6;
    long due = (long)(elapsed * (double)b->rate);
    while (b->sent < due && b->sent < b->target)
        s_send(b);
}

static void s_stop(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    event_base_loopbreak(arg);
}

static int s_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s ENDPOINT RATE|max SECONDS [IN_FLIGHT]\n", argv[0]);
        return 2;
    }
    bench_t b = {.base = event_base_new(), .closed_loop = strcmp(argv[2], "max") == 0};
    double seconds = atof(argv[3]);
    long rate = b.closed_loop ? 0 : atol(argv[2]);
    long in_flight = argc > 4 ? atol(argv[4]) : 64;
    void *ctx = zmq_ctx_new();
    b.client = yx_bus_client_new(b.base, ctx, argv[1]);
    if (!b.client) return 1;

    Yx__Principal principal = YX__PRINCIPAL__INIT;
    principal.role = YX__ROLE__ROLE_SYSTEM;
    Yx__RequestHeader header = YX__REQUEST_HEADER__INIT;
    header.version = 1;
    header.request_id = "bench";
    header.principal = &principal;
    Yx__Ping ping = YX__PING__INIT;
    Yx__RosterRequest req = YX__ROSTER_REQUEST__INIT;
    req.header = &header;
    req.op_case = YX__ROSTER_REQUEST__OP_PING;
    req.ping = &ping;
    b.msg_len = yx__roster_request__pack(&req, b.msg);

    b.target = b.closed_loop ? 100000000L : (long)(rate * seconds);
    b.cap_lat = 20000000;
    b.lat = malloc(sizeof(double) * b.cap_lat);
    /* let the connection come up before the clock starts */
    struct timeval warm = {0, 300000};
    event_base_loopexit(b.base, &warm);
    event_base_dispatch(b.base);

    struct event *tick = NULL;
    if (b.closed_loop) {
        for (long i = 0; i < in_flight; i++)
            s_send(&b);
    } else {
        b.rate = rate;
        gettimeofday(&b.started, NULL);
        tick = event_new(b.base, -1, EV_PERSIST, s_tick, &b);
        struct timeval ms = {0, 500};
        event_add(tick, &ms);
    }
    struct event *stop = evtimer_new(b.base, s_stop, b.base);
    struct timeval total = {(long)seconds, (long)((seconds - (long)seconds) * 1e6)};
    event_add(stop, &total);
    event_base_dispatch(b.base);
    /* collect what is still in flight */
    struct timeval drain = {2, 0};
    b.target = b.sent;
    event_base_loopexit(b.base, &drain);
    if (tick) event_del(tick);
    event_base_dispatch(b.base);

    qsort(b.lat, b.n_lat, sizeof(double), s_cmp);
    double p50 = b.n_lat ? b.lat[b.n_lat / 2] : 0, p99 = b.n_lat ? b.lat[b.n_lat * 99 / 100] : 0;
    double max = b.n_lat ? b.lat[b.n_lat - 1] : 0;
    printf("sent=%ld ok=%zu failed=%ld rate=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n", b.sent,
           b.n_lat, b.failed, (double)b.n_lat / seconds, p50, p99, max);
    if (tick) event_free(tick);
    event_free(stop);
    yx_bus_client_destroy(&b.client);
    zmq_ctx_term(ctx);
    event_base_free(b.base);
    free(b.lat);
    return b.failed ? 1 : 0;
}
