/* The key watcher's connection state machine: connecting (PQconnectPoll driven by socket
 * events), listening (notification socket in the loop), waiting (backoff timer). */
#include "keywatch.h"
#include "yx_db.h"
#include "yx_log.h"

#include <event2/event.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHANNEL "yanxiu_keys"
#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 10000
#define CONNECT_TIMEOUT_S 10

extern const yx_migration_t gateway_migrations[];
extern const int gateway_migrations_count;

struct yx_keywatch {
    struct event_base *base;
    const char *url;
    yx_keys_t *keys;
    PGconn *db;
    struct event *io;    /* the connection's socket: connect progress, then notifications */
    struct event *retry; /* backoff timer */
    int backoff_ms;
    bool listening;
};

static void s_connect(yx_keywatch_t *self);

/* libpq's messages span lines; a log line wants the first. */
static const char *s_pg_error(PGconn *db)
{
    static char line[256];
    const char *msg = db ? PQerrorMessage(db) : "out of memory";
    snprintf(line, sizeof line, "%.*s", (int)strcspn(msg, "\n"), msg);
    return line;
}

static void s_drop(yx_keywatch_t *self)
{
    if (self->io) event_free(self->io);
    self->io = NULL;
    if (self->db) PQfinish(self->db);
    self->db = NULL;
    self->listening = false;
}

static void s_retry_later(yx_keywatch_t *self)
{
    s_drop(self);
    struct timeval tv = {self->backoff_ms / 1000, (self->backoff_ms % 1000) * 1000};
    evtimer_add(self->retry, &tv);
    self->backoff_ms =
        self->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : self->backoff_ms * 2;
}

static void s_on_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    s_connect(arg);
}

/* Reloads until no notification arrived during the reload, so no change is missed. */
static int s_reload(yx_keywatch_t *self)
{
    for (;;) {
        if (yx_keys_load(self->keys, self->db) < 0) return -1;
        bool again = false;
        PGnotify *n;
        while ((n = PQnotifies(self->db))) {
            again = true;
            PQfreemem(n);
        }
        if (!again) return 0;
    }
}

static void s_on_notify(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    yx_keywatch_t *self = arg;
    if (!PQconsumeInput(self->db)) {
        yx_warn(NULL, "key store connection lost: %s; serving %zu cached keys",
                s_pg_error(self->db), yx_keys_count(self->keys));
        s_retry_later(self);
        return;
    }
    PGnotify *n = PQnotifies(self->db);
    if (!n) return;
    PQfreemem(n);
    if (s_reload(self) < 0) {
        yx_warn(NULL, "could not reload api keys; keeping %zu cached keys",
                yx_keys_count(self->keys));
        if (PQstatus(self->db) != CONNECTION_OK) s_retry_later(self);
        return;
    }
    yx_info(NULL, "api keys reloaded: %zu active", yx_keys_count(self->keys));
}

/* Connected: migrate, LISTEN, then load (in that order, so no change falls in between). */
static void s_on_connected(yx_keywatch_t *self)
{
    yx_db_log_notices(self->db);
    if (yx_db_migrate(self->db, "auth", gateway_migrations, gateway_migrations_count) < 0 ||
        yx_db_exec(self->db, "LISTEN " CHANNEL, 0, NULL) < 0 || s_reload(self) < 0) {
        yx_warn(NULL, "could not prepare the key store; retrying in %d ms", self->backoff_ms);
        s_retry_later(self);
        return;
    }
    self->io = event_new(self->base, PQsocket(self->db), EV_READ | EV_PERSIST, s_on_notify, self);
    if (!self->io || event_add(self->io, NULL) < 0) {
        s_retry_later(self);
        return;
    }
    self->listening = true;
    self->backoff_ms = BACKOFF_MIN_MS;
    yx_info(NULL, "api keys loaded: %zu active; listening on " CHANNEL, yx_keys_count(self->keys));
}

static void s_on_connect_io(evutil_socket_t fd, short what, void *arg);

/* The socket can change between polls (another host or address): re-arm each time. */
static void s_arm(yx_keywatch_t *self, short events)
{
    if (self->io) event_free(self->io);
    struct timeval tv = {CONNECT_TIMEOUT_S, 0};
    self->io = event_new(self->base, PQsocket(self->db), events, s_on_connect_io, self);
    if (!self->io || event_add(self->io, &tv) < 0) s_retry_later(self);
}

static void s_on_connect_io(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    yx_keywatch_t *self = arg;
    if (what & EV_TIMEOUT) {
        yx_warn(NULL, "connecting to the key store timed out; retrying in %d ms", self->backoff_ms);
        s_retry_later(self);
        return;
    }
    switch (PQconnectPoll(self->db)) {
    case PGRES_POLLING_OK:
        event_free(self->io);
        self->io = NULL;
        s_on_connected(self);
        break;
    case PGRES_POLLING_READING:
        s_arm(self, EV_READ);
        break;
    case PGRES_POLLING_WRITING:
        s_arm(self, EV_WRITE);
        break;
    default:
        yx_warn(NULL, "could not connect to the key store: %s; retrying in %d ms",
                s_pg_error(self->db), self->backoff_ms);
        s_retry_later(self);
    }
}

static void s_connect(yx_keywatch_t *self)
{
    /* Ours first: keywords after the expanded URL would override what the URL says. */
    static const char *const keywords[] = {"application_name",
                                           "keepalives",
                                           "keepalives_idle",
                                           "keepalives_interval",
                                           "keepalives_count",
                                           "dbname",
                                           NULL};
    const char *values[] = {"yanxiu-gateway", "1", "30", "10", "3", self->url, NULL};
    self->db = PQconnectStartParams(keywords, values, 1);
    if (!self->db || PQstatus(self->db) == CONNECTION_BAD) {
        yx_warn(NULL, "could not start connecting to the key store: %s", s_pg_error(self->db));
        s_retry_later(self);
        return;
    }
    s_arm(self, EV_WRITE); /* libpq: wait until writable before the first poll */
}

yx_keywatch_t *yx_keywatch_new(struct event_base *base, const char *db_url, yx_keys_t *keys)
{
    yx_keywatch_t *self = calloc(1, sizeof *self);
    if (!self) return NULL;
    *self =
        (yx_keywatch_t){.base = base, .url = db_url, .keys = keys, .backoff_ms = BACKOFF_MIN_MS};
    self->retry = evtimer_new(base, s_on_retry, self);
    if (!self->retry) {
        free(self);
        return NULL;
    }
    s_connect(self);
    return self;
}

void yx_keywatch_destroy(yx_keywatch_t **self_p)
{
    yx_keywatch_t *self = *self_p;
    if (!self) return;
    s_drop(self);
    event_free(self->retry);
    free(self);
    *self_p = NULL;
}

bool yx_keywatch_connected(const yx_keywatch_t *self)
{
    return self->listening;
}
