/* yanxiu-roster: owns the roster schema and answers roster requests on the bus. */
#include "dispatch.h"
#include "yx_bus.h"
#include "yx_config.h"
#include "yx_db.h"
#include "yx_log.h"

#include <event2/event.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <zmq.h>

extern const yx_migration_t roster_migrations[];
extern const int roster_migrations_count;

static void s_on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    yx_info(NULL, "stopping on signal %d", (int)sig);
    event_base_loopbreak(arg);
}

/* PostgreSQL may still be starting (compose, systemd): wait for it a little. */
static PGconn *s_connect(const char *url)
{
    for (int attempt = 0; attempt < 30; attempt++) {
        PGconn *db = yx_db_connect(url);
        if (db) return db;
        sleep(1);
    }
    return NULL;
}

int main(void)
{
    yx_log_init("roster");
    signal(SIGPIPE, SIG_IGN);
    const char *url = yx_config_str("YANXIU_DB_URL", "postgresql://yanxiu@127.0.0.1:55432/yanxiu");
    const char *endpoint = yx_config_str(
        "YANXIU_ROSTER_BIND", yx_config_str("YANXIU_ROSTER_ENDPOINT", "tcp://127.0.0.1:5601"));
    roster_t roster = {.county_id = yx_config_str("YANXIU_COUNTY_ID", "county")};

    roster.db = s_connect(url);
    if (!roster.db) return 1;
    if (yx_db_migrate(roster.db, "roster", roster_migrations, roster_migrations_count) < 0) {
        PQfinish(roster.db);
        return 1;
    }
    struct event_base *base = event_base_new();
    void *zmq_ctx = zmq_ctx_new();
    yx_bus_server_t *server = yx_bus_server_new(base, zmq_ctx, endpoint, dispatch_request, &roster);
    struct event *sigint = evsignal_new(base, SIGINT, s_on_signal, base);
    struct event *sigterm = evsignal_new(base, SIGTERM, s_on_signal, base);
    int rc = 1;
    if (server && sigint && sigterm) {
        event_add(sigint, NULL);
        event_add(sigterm, NULL);
        yx_info(NULL, "serving %s", endpoint);
        event_base_dispatch(base);
        rc = 0;
    }
    if (sigint) event_free(sigint);
    if (sigterm) event_free(sigterm);
    yx_bus_server_destroy(&server);
    zmq_ctx_term(zmq_ctx);
    event_base_free(base);
    PQfinish(roster.db);
    return rc;
}
