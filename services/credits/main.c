/* yanxiu-credits: owns the credits schema (xAPI statements, programs, the ledger,
 * certificates) and answers credits requests on the bus. */
#include "certificate.h"
#include "dispatch.h"
#include "ops.h"
#include "outbox.h"
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

#define DIRECTORY_REFRESH_MS 5000

extern const yx_migration_t credits_migrations[];
extern const int credits_migrations_count;

/* The roster learned teachers: statements nobody matched may match now. */
static void s_on_directory_change(void *arg)
{
    xapi_rematch(arg);
}

int main(void)
{
    yx_log_init("credits");
    const char *url = yx_config_str("YANXIU_DB_URL", "postgresql://yanxiu@127.0.0.1:15432/yanxiu");
    const char *endpoint = yx_config_str(
        "YANXIU_CREDITS_BIND", yx_config_str("YANXIU_CREDITS_ENDPOINT", "tcp://127.0.0.1:5602"));
    const char *roster = yx_config_str("YANXIU_ROSTER_ENDPOINT", "tcp://127.0.0.1:5601");
    credits_t credits = {.county_id = yx_config_str("YANXIU_COUNTY_ID", "county")};

    credits.db = yx_daemon_connect_db(url, 30);
    if (!credits.db) return 1;
    if (yx_db_migrate(credits.db, "credits", credits_migrations, credits_migrations_count) < 0) {
        PQfinish(credits.db);
        return 1;
    }
    /* certificates are signed with the county's key: no key, no service */
    credits.signer = signer_load_or_create();
    if (!credits.signer) {
        PQfinish(credits.db);
        return 1;
    }
    struct event_base *base = event_base_new();
    if (!base || event_base_priority_init(base, PRIORITIES) < 0) return 1;
    credits.base = base;
    yx_daemon_keep_freed_memory();
    void *zmq_ctx = zmq_ctx_new();
    credits.directory =
        directory_new(base, zmq_ctx, roster, DIRECTORY_REFRESH_MS, s_on_directory_change, &credits);
    dispatch_t dispatch = {.credits = &credits, .batch = batch_new(&credits, url)};
    yx_bus_server_t *server =
        dispatch.batch ? yx_bus_server_new(base, zmq_ctx, endpoint, dispatch_request, &dispatch)
                       : NULL;
    yx_daemon_signals_t signals = {0};
    int rc = 1;
    if (credits.directory && server && yx_daemon_stop_on_signals(&signals, base) == 0 &&
        ledger_sweep_start(&credits, url) == 0) {
        yx_info(NULL, "serving %s", endpoint);
        event_base_dispatch(base);
        rc = 0;
    }
    ledger_sweep_stop();
    yx_daemon_signals_free(&signals);
    batch_destroy(&dispatch.batch); /* answers what is queued, while the socket is open */
    yx_bus_server_destroy(&server);
    directory_destroy(&credits.directory);
    zmq_ctx_term(zmq_ctx);
    event_base_free(base);
    signer_destroy(&credits.signer);
    PQfinish(credits.db);
    return rc;
}
