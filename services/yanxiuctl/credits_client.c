/* The bus client of the gateway, driven by a short-lived event loop. Its DEALER refuses to
 * queue a message before the connection is up (ZMQ_IMMEDIATE), so the first send is retried
 * until the connection is made or the deadline passes. */
#include "credits_client.h"
#include "yx_bus.h"
#include "yx_config.h"
#include "yx_text.h"

#include <event2/event.h>
#include <openssl/rand.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define DEFAULT_ENDPOINT "tcp://127.0.0.1:5602"
#define RETRY_MS 20

typedef struct {
    struct event_base *base;
    yx_bus_client_t *client;
    struct event *retry;
    const uint8_t *request;
    size_t request_size;
    int timeout_ms;
    int64_t give_up_ms;
    bool sent, done;
    yx_bus_result_t result;
    Yx__CreditsReply *reply;
} s_call_t;

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void s_on_reply(yx_bus_result_t result, const uint8_t *data, size_t size, double elapsed_ms,
                       void *arg)
{
    (void)elapsed_ms;
    s_call_t *call = arg;
    call->done = true;
    call->result = result;
    if (result == YX_BUS_OK && size > 0) call->reply = yx__credits_reply__unpack(NULL, size, data);
    event_base_loopbreak(call->base);
}

static void s_try_send(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    s_call_t *call = arg;
    int64_t left = call->give_up_ms - s_now_ms();
    if (left > 0 && yx_bus_call(call->client, call->request, call->request_size, (int)left,
                                s_on_reply, call) == 0) {
        call->sent = true;
        return;
    }
    if (left <= RETRY_MS) {
        call->done = true;
        call->result = YX_BUS_UNAVAILABLE;
        event_base_loopbreak(call->base);
        return;
    }
    struct timeval tv = {0, RETRY_MS * 1000};
    evtimer_add(call->retry, &tv);
}

Yx__CreditsReply *yx_credits_client_call(Yx__CreditsRequest *cr)
{
    const char *endpoint = yx_config_str("YANXIU_CREDITS_ENDPOINT", DEFAULT_ENDPOINT);
    s_call_t call = {
        .timeout_ms = (int)yx_config_long("YANXIU_BUS_TIMEOUT_MS", 60000, 100, 3600000),
        .result = YX_BUS_UNAVAILABLE,
    };
    call.give_up_ms = s_now_ms() + call.timeout_ms;

    unsigned char random[8];
    char request_id[32] = "yanxiuctl";
    if (RAND_bytes(random, sizeof random) == 1) yx_hex(random, sizeof random, request_id + 9);
    Yx__Principal principal = YX__PRINCIPAL__INIT;
    principal.role = YX__ROLE__ROLE_COUNTY_ADMIN;
    principal.key_id = "yanxiuctl";
    Yx__RequestHeader header = YX__REQUEST_HEADER__INIT;
    header.version = 1;
    header.request_id = request_id;
    header.principal = &principal;
    header.deadline_unix_ms = call.give_up_ms;
    cr->header = &header;
    call.request_size = yx__credits_request__get_packed_size(cr);
    if (call.request_size > (size_t)YX_BUS_MAX_MSG) {
        fprintf(stderr, "yanxiuctl: the request is too large for the bus\n");
        return NULL;
    }
    uint8_t *buf = malloc(call.request_size);
    void *zmq_ctx = buf ? zmq_ctx_new() : NULL;
    call.base = zmq_ctx ? event_base_new() : NULL;
    call.client = call.base ? yx_bus_client_new(call.base, zmq_ctx, endpoint) : NULL;
    call.retry = call.client ? evtimer_new(call.base, s_try_send, &call) : NULL;
    if (call.retry) {
        yx__credits_request__pack(cr, buf);
        call.request = buf;
        s_try_send(-1, 0, &call);
        if (!call.done) event_base_dispatch(call.base);
    }
    if (call.retry) event_free(call.retry);
    yx_bus_client_destroy(&call.client); /* a call still pending fails now, once */
    if (call.base) event_base_free(call.base);
    if (zmq_ctx) zmq_ctx_term(zmq_ctx);
    free(buf);

    if (!call.retry)
        fprintf(stderr, "yanxiuctl: could not set up a connection to %s\n", endpoint);
    else if (call.result == YX_BUS_TIMEOUT)
        fprintf(stderr, "yanxiuctl: the credits service did not answer within %d ms\n",
                call.timeout_ms);
    else if (call.result != YX_BUS_OK || !call.sent)
        fprintf(stderr, "yanxiuctl: could not reach the credits service at %s\n", endpoint);
    else if (!call.reply || !call.reply->status)
        fprintf(stderr, "yanxiuctl: invalid reply from the credits service\n");
    else
        return call.reply;
    if (call.reply) yx__credits_reply__free_unpacked(call.reply, NULL);
    return NULL;
}

/* Control characters from the service must not drive the terminal. */
static void s_put_clean(FILE *f, const char *s)
{
    for (; *s; s++)
        fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

int yx_credits_client_print(Yx__CreditsReply *reply)
{
    const Yx__Status *status = reply->status;
    int rc = 0;
    if (status->code >= 200 && status->code < 300) {
        fwrite(reply->body.data, 1, reply->body.len, stdout);
        if (reply->body.len && reply->body.data[reply->body.len - 1] != '\n') putchar('\n');
    } else {
        fprintf(stderr, "yanxiuctl: ");
        s_put_clean(stderr, *status->message ? status->message : "request failed");
        fprintf(stderr, " (status %u)\n", status->code);
        for (size_t i = 0; i < status->n_problems; i++) {
            const Yx__Problem *p = status->problems[i];
            fprintf(stderr, "  ");
            if (*p->file) {
                s_put_clean(stderr, p->file);
                if (p->line) fprintf(stderr, ":%u", p->line);
                fprintf(stderr, " ");
            }
            if (*p->column) {
                s_put_clean(stderr, p->column);
                fprintf(stderr, ": ");
            }
            s_put_clean(stderr, p->reason);
            fputc('\n', stderr);
        }
        rc = 1;
    }
    yx__credits_reply__free_unpacked(reply, NULL);
    return rc;
}
