/* yanxiu-gateway: the only public door. HTTPS in, protobuf over ZeroMQ to the services. */
#include "gateway.h"
#include "https.h"
#include "keywatch.h"
#include "router.h"
#include "yx_config.h"
#include "yx_daemon.h"
#include "yx_log.h"

#include <event2/event.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

int main(void)
{
    yx_log_init("gateway");

    char cert_buf[4096], key_buf[4096];
    const char *cert = yx_config_str("YANXIU_TLS_CERT", NULL);
    const char *key = yx_config_str("YANXIU_TLS_KEY", NULL);
    yx_https_config_t https_config = {
        .addr = yx_config_str("YANXIU_HTTPS_ADDR", "127.0.0.1:8443"),
        .cert_file = cert ? cert : yx_config_var_path("tls/cert.pem", cert_buf, sizeof cert_buf),
        .key_file = key ? key : yx_config_var_path("tls/key.pem", key_buf, sizeof key_buf),
        .max_body = (size_t)yx_config_long("YANXIU_MAX_BODY", 64L << 20, 1024, 1L << 30),
        .max_headers = 16 * 1024,
        .timeout_s = 30,
    };
    const char *db_url =
        yx_config_str("YANXIU_DB_URL", "postgresql://yanxiu@127.0.0.1:15432/yanxiu");
    const char *endpoints[YX_SVC_COUNT] = {
        [YX_SVC_ROSTER] = yx_config_str("YANXIU_ROSTER_ENDPOINT", "tcp://127.0.0.1:5601"),
        [YX_SVC_CREDITS] = yx_config_str("YANXIU_CREDITS_ENDPOINT", "tcp://127.0.0.1:5602"),
    };

    yx_gateway_t gw = {
        .bus_timeout_ms = (int)yx_config_long("YANXIU_BUS_TIMEOUT_MS", 60000, 100, 3600000),
        .services = {[YX_SVC_ROSTER] = {.name = "roster"}, [YX_SVC_CREDITS] = {.name = "credits"}},
    };
    /* A probe must answer well before an orchestrator gives up on it. */
    gw.ready_timeout_ms = gw.bus_timeout_ms < 2000 ? gw.bus_timeout_ms : 2000;
    const char *service_names[YX_SVC_COUNT];
    for (int s = 0; s < YX_SVC_COUNT; s++)
        service_names[s] = gw.services[s].name;

    int rc = 1;
    yx_daemon_signals_t signals = {0};
    /* The changelist folds evhttp's per-request "disable read, reply, enable read" into
     * no epoll_ctl at all when both happen in one loop pass (two syscalls per request). */
    struct event_config *config = event_config_new();
    if (config) event_config_set_flag(config, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    gw.base = config ? event_base_new_with_config(config) : NULL;
    if (config) event_config_free(config);
    gw.zmq_ctx = gw.base ? zmq_ctx_new() : NULL;
    if (!gw.zmq_ctx) goto done;
    gw.metrics =
        yx_metrics_new(yx_route_labels(), yx_route_count() + 1, service_names, YX_SVC_COUNT);
    gw.keys = yx_keys_new();
    if (!gw.metrics || !gw.keys) goto done;
    for (int s = 0; s < YX_SVC_COUNT; s++)
        if (!(gw.services[s].client = yx_bus_client_new(gw.base, gw.zmq_ctx, endpoints[s])))
            goto done;
    gw.keywatch = yx_keywatch_new(gw.base, db_url, gw.keys);
    gw.https = yx_https_new(gw.base, &https_config, yx_router_dispatch, &gw);
    if (!gw.keywatch || !gw.https || yx_daemon_stop_on_signals(&signals, gw.base) < 0) goto done;

    event_base_dispatch(gw.base);
    rc = 0;
done:
    if (rc) yx_error(NULL, "gateway could not start");
    yx_daemon_signals_free(&signals);
    yx_keywatch_destroy(&gw.keywatch);
    /* Services first: pending calls answer their clients (503) while connections exist,
     * and one more loop pass writes those answers out. */
    for (int s = 0; s < YX_SVC_COUNT; s++)
        yx_bus_client_destroy(&gw.services[s].client);
    if (gw.base) event_base_loop(gw.base, EVLOOP_NONBLOCK);
    yx_https_destroy(&gw.https);
    yx_keys_destroy(&gw.keys);
    yx_metrics_destroy(&gw.metrics);
    if (gw.zmq_ctx) zmq_ctx_term(gw.zmq_ctx);
    if (gw.base) event_base_free(gw.base);
    libevent_global_shutdown();
    return rc;
}
