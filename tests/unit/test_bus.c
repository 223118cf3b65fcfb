/* The bus over real ZeroMQ sockets inside a real libevent loop. */
#include "yx_bus.h"

#include <event2/event.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <zmq.h>

#define ENDPOINT "inproc://bus-test"

typedef struct {
    struct event_base *base;
    void *ctx;
    yx_bus_server_t *server;
    yx_bus_client_t *client;
    int replies, timeouts, unavailable;
    char last[64];
    yx_bus_call_t *held; /* a request the server has not answered yet */
} fixture_t;

static void s_echo(yx_bus_call_t *call, const uint8_t *data, size_t size, void *arg)
{
    fixture_t *f = arg;
    if (size == 4 && memcmp(data, "hold", 4) == 0) {
        f->held = call;
        return;
    }
    yx_bus_reply(call, data, size);
}

static void s_on_reply(yx_bus_result_t result, const uint8_t *data, size_t size, double ms,
                       void *arg)
{
    fixture_t *f = arg;
    assert_true(ms >= 0);
    if (result == YX_BUS_OK) {
        f->replies++;
        snprintf(f->last, sizeof f->last, "%.*s", (int)size, (const char *)data);
    } else if (result == YX_BUS_TIMEOUT)
        f->timeouts++;
    else
        f->unavailable++;
    if (f->replies + f->timeouts >= 1000 || result != YX_BUS_OK) event_base_loopbreak(f->base);
}

static void s_run(fixture_t *f, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_base_loopexit(f->base, &tv);
    event_base_dispatch(f->base);
}

static int s_setup(void **state)
{
    static fixture_t f;
    memset(&f, 0, sizeof f);
    f.base = event_base_new();
    f.ctx = zmq_ctx_new();
    f.server = yx_bus_server_new(f.base, f.ctx, ENDPOINT, s_echo, &f);
    f.client = yx_bus_client_new(f.base, f.ctx, ENDPOINT);
    assert_non_null(f.server);
    assert_non_null(f.client);
    *state = &f;
    return 0;
}

static int s_teardown(void **state)
{
    fixture_t *f = *state;
    yx_bus_client_destroy(&f->client);
    assert_null(f->client);
    yx_bus_server_destroy(&f->server);
    zmq_ctx_term(f->ctx);
    event_base_free(f->base);
    return 0;
}

static void test_round_trip(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(yx_bus_call(f->client, (const uint8_t *)"hello", 5, 1000, s_on_reply, f), 0);
    assert_int_equal(yx_bus_client_pending(f->client), 1);
    s_run(f, 1000);
    assert_int_equal(f->replies, 1);
    assert_string_equal(f->last, "hello");
    assert_int_equal(yx_bus_client_pending(f->client), 0);
    assert_int_equal(yx_bus_server_pending(f->server), 0);
}

/* The edge-triggered ZMQ_FD trap: a thousand calls in flight must all come back. */
static void test_many_in_flight(void **state)
{
    fixture_t *f = *state;
    for (int i = 0; i < 1000; i++) {
        char msg[16];
        int n = snprintf(msg, sizeof msg, "m%d", i);
        assert_int_equal(
            yx_bus_call(f->client, (const uint8_t *)msg, (size_t)n, 5000, s_on_reply, f), 0);
    }
    s_run(f, 5000);
    assert_int_equal(f->replies, 1000);
    assert_int_equal(f->timeouts, 0);
}

static void test_timeout_fires_once_and_late_reply_is_ignored(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(yx_bus_call(f->client, (const uint8_t *)"hold", 4, 50, s_on_reply, f), 0);
    s_run(f, 1000);
    assert_int_equal(f->timeouts, 1);
    assert_non_null(f->held);
    /* the service answers after the deadline: nobody is called twice */
    yx_bus_reply(f->held, (const uint8_t *)"late", 4);
    f->held = NULL;
    s_run(f, 100);
    assert_int_equal(f->replies, 0);
    assert_int_equal(f->timeouts, 1);
}

static void test_destroy_fails_pending_calls(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(yx_bus_call(f->client, (const uint8_t *)"hold", 4, 5000, s_on_reply, f), 0);
    s_run(f, 100);
    assert_non_null(f->held);
    yx_bus_client_destroy(&f->client);
    assert_int_equal(f->unavailable, 1);
    yx_bus_reply(f->held, (const uint8_t *)"x", 1); /* caller gone: fails, does not crash */
    f->held = NULL;
}

static void test_no_peer_is_unavailable_at_once(void **state)
{
    fixture_t *f = *state;
    yx_bus_client_t *lonely = yx_bus_client_new(f->base, f->ctx, "tcp://127.0.0.1:1");
    assert_non_null(lonely);
    assert_int_equal(yx_bus_call(lonely, (const uint8_t *)"x", 1, 1000, s_on_reply, f), -1);
    assert_int_equal(f->unavailable + f->replies + f->timeouts, 0);
    yx_bus_client_destroy(&lonely);
}

/* A raw peer sending garbage frame layouts must not disturb the server. */
static void test_malformed_requests_are_dropped(void **state)
{
    fixture_t *f = *state;
    void *raw = zmq_socket(f->ctx, ZMQ_DEALER);
    assert_int_equal(zmq_connect(raw, ENDPOINT), 0);
    zmq_send(raw, "only-one-frame", 14, 0);
    for (int i = 0; i < 5; i++)
        zmq_send(raw, "x", 1, i < 4 ? ZMQ_SNDMORE : 0);
    s_run(f, 100);
    assert_int_equal(yx_bus_server_pending(f->server), 0);
    int linger = 0;
    zmq_setsockopt(raw, ZMQ_LINGER, &linger, sizeof linger);
    zmq_close(raw);
    test_round_trip(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_many_in_flight, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_timeout_fires_once_and_late_reply_is_ignored, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_destroy_fails_pending_calls, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_no_peer_is_unavailable_at_once, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_malformed_requests_are_dropped, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
