/* Probes: /healthz (the process answers), /readyz (every service answers over the bus and
 * has its database), /metrics (Prometheus text). */
#include "gateway.h"
#include "handlers.h"
#include "http_util.h"
#include "keywatch.h"
#include "reply.h"
#include "credits.pb-c.h"
#include "roster.pb-c.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void yx_health_live(yx_exchange_t *x)
{
    static const char body[] = "{\"status\":\"ok\"}\n";
    yx_reply_static(x, 200, "application/json; charset=utf-8", body, sizeof body - 1);
}

/* ---- /readyz ------------------------------------------------------------------- */

typedef struct {
    yx_exchange_t *x;
    int waiting;
    char failed[YX_SVC_COUNT + 1][96]; /* "" when that check passed; last slot: gateway */
} s_ready_t;

typedef struct {
    s_ready_t *ready;
    int service;
} s_probe_t;

static const char *s_check_name(const yx_gateway_t *gw, int check)
{
    return check < YX_SVC_COUNT ? gw->services[check].name : "gateway";
}

static void s_ready_answer(s_ready_t *ready)
{
    yx_gateway_t *gw = ready->x->gw;
    json_t *checks = json_object();
    int first = -1;
    for (int s = 0; s <= YX_SVC_COUNT; s++) {
        const char *failed = ready->failed[s];
        json_object_set_new(checks, s_check_name(gw, s), json_string(*failed ? failed : "ok"));
        if (*failed && first < 0) first = s;
    }
    json_t *body =
        json_pack("{s:s, s:o}", "status", first < 0 ? "ready" : "not ready", "checks", checks);
    if (first >= 0) {
        char error[160];
        snprintf(error, sizeof error, "%s: %s", s_check_name(gw, first), ready->failed[first]);
        json_object_set_new(body, "error", json_string(error));
    }
    yx_reply_json(ready->x, first < 0 ? 200 : 503, body);
    yx_exchange_release(&ready->x);
    free(ready);
}

/* One reader per service: each service's proto has its own reply message. Each writes what
 * failed into failed[cap], leaving it "" when the service said 200. */
static void s_status_failed(const Yx__Status *status, char *failed, size_t cap)
{
    if (!status)
        snprintf(failed, cap, "invalid reply");
    else if (status->code != 200)
        snprintf(failed, cap, "status %u: %s", status->code, status->message);
}

static void s_read_roster(const uint8_t *data, size_t size, char *failed, size_t cap)
{
    Yx__RosterReply *reply = size ? yx__roster_reply__unpack(NULL, size, data) : NULL;
    s_status_failed(reply ? reply->status : NULL, failed, cap);
    if (reply) yx__roster_reply__free_unpacked(reply, NULL);
}

static void s_read_credits(const uint8_t *data, size_t size, char *failed, size_t cap)
{
    Yx__CreditsReply *reply = size ? yx__credits_reply__unpack(NULL, size, data) : NULL;
    s_status_failed(reply ? reply->status : NULL, failed, cap);
    if (reply) yx__credits_reply__free_unpacked(reply, NULL);
}

static void (*const s_readers[YX_SVC_COUNT])(const uint8_t *, size_t, char *, size_t) = {
    [YX_SVC_ROSTER] = s_read_roster,
    [YX_SVC_CREDITS] = s_read_credits,
};

static void s_on_pong(yx_bus_result_t result, const uint8_t *data, size_t size, double elapsed_ms,
                      void *arg)
{
    s_probe_t *probe = arg;
    s_ready_t *ready = probe->ready;
    char *failed = ready->failed[probe->service];
    if (result == YX_BUS_TIMEOUT) {
        snprintf(failed, sizeof ready->failed[0], "did not answer in time");
    } else if (result != YX_BUS_OK) {
        snprintf(failed, sizeof ready->failed[0], "unavailable");
    } else {
        yx_metrics_bus(ready->x->gw->metrics, probe->service, elapsed_ms / 1e3);
        s_readers[probe->service](data, size, failed, sizeof ready->failed[0]);
    }
    free(probe);
    if (--ready->waiting == 0) s_ready_answer(ready);
}

/* The header of a ping: the system principal, the probe's own short deadline. */
static void s_ping_header(yx_exchange_t *x, Yx__RequestHeader *header, Yx__Principal *principal)
{
    principal->role = YX__ROLE__ROLE_SYSTEM;
    header->version = 1;
    header->request_id = x->request_id;
    header->principal = principal;
    header->deadline_unix_ms = yx_now_unix_ms() + x->gw->ready_timeout_ms;
}

static int s_ping_roster(yx_exchange_t *x, s_probe_t *probe)
{
    yx_bus_client_t *client = x->gw->services[YX_SVC_ROSTER].client;
    if (!client) return -1; /* shutting down */
    Yx__Principal principal = YX__PRINCIPAL__INIT;
    Yx__RequestHeader header = YX__REQUEST_HEADER__INIT;
    s_ping_header(x, &header, &principal);
    Yx__Ping ping = YX__PING__INIT;
    Yx__RosterRequest rr = YX__ROSTER_REQUEST__INIT;
    rr.header = &header;
    rr.op_case = YX__ROSTER_REQUEST__OP_PING;
    rr.ping = &ping;
    uint8_t buf[256]; /* a ping with a bounded request id always fits */
    size_t size = yx__roster_request__pack(&rr, buf);
    return yx_bus_call(client, buf, size, x->gw->ready_timeout_ms, s_on_pong, probe);
}

static int s_ping_credits(yx_exchange_t *x, s_probe_t *probe)
{
    yx_bus_client_t *client = x->gw->services[YX_SVC_CREDITS].client;
    if (!client) return -1; /* shutting down */
    Yx__Principal principal = YX__PRINCIPAL__INIT;
    Yx__RequestHeader header = YX__REQUEST_HEADER__INIT;
    s_ping_header(x, &header, &principal);
    Yx__Ping ping = YX__PING__INIT;
    Yx__CreditsRequest cr = YX__CREDITS_REQUEST__INIT;
    cr.header = &header;
    cr.op_case = YX__CREDITS_REQUEST__OP_PING;
    cr.ping = &ping;
    uint8_t buf[256];
    size_t size = yx__credits_request__pack(&cr, buf);
    return yx_bus_call(client, buf, size, x->gw->ready_timeout_ms, s_on_pong, probe);
}

/* One ping builder per service: each service's proto has its own Ping. */
static int (*const s_pingers[YX_SVC_COUNT])(yx_exchange_t *, s_probe_t *) = {
    [YX_SVC_ROSTER] = s_ping_roster,
    [YX_SVC_CREDITS] = s_ping_credits,
};

void yx_health_ready(yx_exchange_t *x)
{
    s_ready_t *ready = calloc(1, sizeof *ready);
    if (!ready || !(ready->x = yx_exchange_hold(x))) {
        free(ready);
        yx_reply_error(x, 500, "out of memory");
        return;
    }
    if (!yx_keys_loaded(x->gw->keys) || !yx_keywatch_connected(x->gw->keywatch))
        snprintf(ready->failed[YX_SVC_COUNT], sizeof ready->failed[0], "key store not connected");
    ready->waiting = 1; /* held by this function until every ping is sent */
    for (int s = 0; s < YX_SVC_COUNT; s++) {
        s_probe_t *probe = malloc(sizeof *probe);
        if (probe) *probe = (s_probe_t){.ready = ready, .service = s};
        ready->waiting++;
        if (!probe || s_pingers[s](ready->x, probe) < 0) {
            snprintf(ready->failed[s], sizeof ready->failed[0], "unavailable");
            free(probe);
            ready->waiting--;
        }
    }
    if (--ready->waiting == 0) s_ready_answer(ready);
}

/* ---- /metrics ------------------------------------------------------------------ */

static long s_rss_bytes(void)
{
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    if (fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0;
    fclose(f);
    return rss * sysconf(_SC_PAGESIZE);
}

void yx_health_metrics(yx_exchange_t *x)
{
    yx_gateway_t *gw = x->gw;
    struct evbuffer *out = evbuffer_new();
    if (!out) {
        yx_reply_error(x, 500, "out of memory");
        return;
    }
    yx_metrics_render(gw->metrics, out);
    evbuffer_add_printf(out, "# HELP yanxiu_bus_pending Calls sent and not yet answered.\n"
                             "# TYPE yanxiu_bus_pending gauge\n");
    for (int s = 0; s < YX_SVC_COUNT; s++)
        evbuffer_add_printf(out, "yanxiu_bus_pending{service=\"%s\"} %zu\n", gw->services[s].name,
                            gw->services[s].client ? yx_bus_client_pending(gw->services[s].client)
                                                   : 0);
    evbuffer_add_printf(out,
                        "# HELP yanxiu_auth_keys API keys in the gateway's cache.\n"
                        "# TYPE yanxiu_auth_keys gauge\n"
                        "yanxiu_auth_keys %zu\n"
                        "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
                        "# TYPE process_resident_memory_bytes gauge\n"
                        "process_resident_memory_bytes %ld\n",
                        yx_keys_count(gw->keys), s_rss_bytes());
    yx_reply_buffer(x, 200, "text/plain; version=0.0.4; charset=utf-8", out);
    evbuffer_free(out);
}
