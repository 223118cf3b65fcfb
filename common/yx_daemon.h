/* What every daemon does around its event loop: stop cleanly on SIGINT or SIGTERM, survive
 * SIGPIPE (a peer closing mid-write), and wait for PostgreSQL while it is still starting. */
#ifndef YX_DAEMON_H
#define YX_DAEMON_H
#include <libpq-fe.h>

struct event_base;
struct event;

typedef struct {
    struct event *sigint, *sigterm;
} yx_daemon_signals_t;

/* After this, SIGINT and SIGTERM end event_base_dispatch. 0 or -1. */
int yx_daemon_stop_on_signals(yx_daemon_signals_t *self, struct event_base *base);
void yx_daemon_signals_free(yx_daemon_signals_t *self);

/* Keeps freed memory for reuse instead of returning each large block to the kernel: a
 * daemon that answers with bodies of hundreds of KiB (transcripts, reports) otherwise maps,
 * faults in and unmaps every one of them, which costs more than building it. Not for a
 * daemon that takes uploads of many MiB: it would keep them. */
void yx_daemon_keep_freed_memory(void);

/* Connects, retrying once a second for up to `seconds` (compose and systemd start the
 * database and the daemons together). NULL when it never answered. */
PGconn *yx_daemon_connect_db(const char *url, int seconds);

#endif
