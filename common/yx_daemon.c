#include "yx_daemon.h"
#include "yx_db.h"
#include "yx_log.h"

#include <event2/event.h>
#include <malloc.h>
#include <signal.h>
#include <unistd.h>

static void s_on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    yx_info(NULL, "stopping on signal %d", (int)sig);
    event_base_loopbreak(arg);
}

void yx_daemon_keep_freed_memory(void)
{
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
}

int yx_daemon_stop_on_signals(yx_daemon_signals_t *self, struct event_base *base)
{
    signal(SIGPIPE, SIG_IGN);
    self->sigint = evsignal_new(base, SIGINT, s_on_signal, base);
    self->sigterm = evsignal_new(base, SIGTERM, s_on_signal, base);
    if (!self->sigint || !self->sigterm || event_add(self->sigint, NULL) < 0 ||
        event_add(self->sigterm, NULL) < 0)
        return -1;
    return 0;
}

void yx_daemon_signals_free(yx_daemon_signals_t *self)
{
    if (self->sigint) event_free(self->sigint);
    if (self->sigterm) event_free(self->sigterm);
    self->sigint = self->sigterm = NULL;
}

PGconn *yx_daemon_connect_db(const char *url, int seconds)
{
    for (int attempt = 0; attempt < seconds; attempt++) {
        PGconn *db = yx_db_connect(url);
        if (db) return db;
        sleep(1);
    }
    return NULL;
}
