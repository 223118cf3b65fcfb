/* yanxiu-roster: owns the roster schema and answers roster requests on the bus. */
#include "dispatch.h"
#include "yx_bus.h"
#include "yx_config.h"
#include "yx_daemon.h"
#include "yx_db.h"
#include "yx_log.h"

#include <event2/event.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <zmq.h>

extern const yx_migration_t roster_migrations[];
extern const int roster_migrations_count;

int main(void)
{
    yx_log_init("roster");
    const char *url = yx_config_str("YANXIU_DB_URL", "postgresql://yanxiu@127.0.0.1:15432/yanxiu");
    const char *endpoint = yx_config_str(
        "YANXIU_ROSTER_BIND", yx_config_str("YANXIU_ROSTER_ENDPOINT", "tcp://127.0.0.1:5601"));
    roster_t roster = {.county_id = yx_config_str("YANXIU_COUNTY_ID", "county")};

    roster.db = yx_daemon_connect_db(url, 30);
    if (!roster.db) return 1;
    if (yx_db_migrate(roster.db, "roster", roster_migrations, roster_migrations_count) < 0) {
        PQfinish(roster.db);
        return 1;
    }
    struct event_base *base = event_base_new();
    void *zmq_ctx = zmq_ctx_new();
    yx_bus_server_t *server = yx_bus_server_new(base, zmq_ctx, endpoint, dispatch_request, &roster);
    yx_daemon_signals_t signals = {0};
    int rc = 1;
    if (server && yx_daemon_stop_on_signals(&signals, base) == 0) {
        yx_info(NULL, "serving %s", endpoint);
        event_base_dispatch(base);
        rc = 0;
    }
    yx_daemon_signals_free(&signals);
    yx_bus_server_destroy(&server);
    zmq_ctx_term(zmq_ctx);
    event_base_free(base);
    PQfinish(roster.db);
    return rc;
}
