/* Group commit of POSTed statements. A request is checked as soon as it arrives (parsing,
 * the xAPI rules: refused ones are answered at once) and queued; a flush event at the
 * lowest priority runs once the bus has read everything that arrived meanwhile, and stores
 * the queued requests in one transaction, so a durable commit costs one fsync for the whole
 * batch instead of one per request. The batch has a connection of its own and its rows
 * travel by COPY without blocking the event loop: while PostgreSQL takes them in, the next
 * requests are read and checked, and the service keeps answering everything else on its
 * main connection. When a batch ends, its requests are answered (committed is what a 2xx
 * promises) and the next batch starts at once with whatever accumulated (waiting a moment
 * for more, as commit_delay does, cost a fifth of the throughput).
 * The crediter (crediter.h) puts each stored batch into the ledger meanwhile; a read of the
 * ledger waits for it to catch up with what was stored when the read came, so a client
 * that reads its transcript right after a 2xx sees the credit, and the platforms' requests
 * never wait for the crediting. */
#include "crediter.h"
#include "dispatch.h"
#include "ops.h"
#include "xapi_store.h"
#include "yx_db.h"
#include "yx_log.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A batch holds at most this many requests, or this many bytes of request bodies (a proxy
 * for about 20,000 statements). */
#define BATCH_REQUESTS 64
#define BATCH_BYTES (16 * 1024 * 1024)
/* When the queued bodies are large, a batch takes about half of them: while it is written,
 * the requests of the batch before it are answered and their clients' next requests are
 * checked, so parsing and PostgreSQL work side by side instead of in turn (with a few
 * clients sending big arrays, every request would otherwise sit in the same batch). */
#define SPLIT_BYTES (256 * 1024)

typedef struct {
    pending_t *pending;
    xapi_post_t *post;
} queued_t;

/* A read of the ledger, until the ledger is credited through `seq`. */
typedef struct {
    pending_t *pending;
    batch_read_fn run;
    long long seq;
} waiting_t;

struct batch {
    credits_t *credits;
    PGconn *writer;
    struct event *flush;
    struct event *io; /* the writer's socket, while a batch is being written */
    xapi_write_t *write;
    queued_t flight[BATCH_REQUESTS]; /* the requests of that batch */
    size_t n_flight;
    queued_t *queue; /* a ring that doubles when full */
    size_t head, count, cap;
    crediter_t *crediter;
    waiting_t *waiting; /* in seq order, from waiting_head */
    size_t waiting_head, waiting_count, waiting_cap;
};

static void s_step(batch_t *self);

static void s_on_io(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    s_step(arg);
}

/* Runs the reads that waited for the ledger to be credited through `through` (all of them
 * when it is -1). */
static void s_run_waiting(batch_t *self, long long through)
{
    while (self->waiting_head < self->waiting_count &&
           (through < 0 || self->waiting[self->waiting_head].seq <= through)) {
        waiting_t w = self->waiting[self->waiting_head++];
        w.run(w.pending);
    }
    if (self->waiting_head == self->waiting_count) self->waiting_head = self->waiting_count = 0;
}

static void s_on_credited(void *arg, bool ok)
{
    batch_t *self = arg;
    /* after a failed round (tried again later) the reads go ahead with what is credited */
    s_run_waiting(self, ok ? crediter_through(self->crediter) : -1);
}

void batch_after_credit(batch_t *self, pending_t *pending, batch_read_fn run)
{
    /* what this service stored, or what was stored before it started (after a crash, the
     * crediter's first rounds catch up with it) */
    long long seq = xapi_last_seq() > crediter_last(self->crediter) ? xapi_last_seq()
                                                                    : crediter_last(self->crediter);
    if (crediter_through(self->crediter) >= seq) return run(pending);
    if (self->waiting_count == self->waiting_cap && self->waiting_head) {
        self->waiting_count -= self->waiting_head;
        memmove(self->waiting, self->waiting + self->waiting_head,
                self->waiting_count * sizeof *self->waiting);
        self->waiting_head = 0;
    }
    if (self->waiting_count == self->waiting_cap) {
        size_t cap = self->waiting_cap ? 2 * self->waiting_cap : 64;
        waiting_t *grown = realloc(self->waiting, cap * sizeof *grown);
        if (!grown) return run(pending);
        self->waiting = grown;
        self->waiting_cap = cap;
    }
    self->waiting[self->waiting_count++] = (waiting_t){pending, run, seq};
    crediter_kick(self->crediter);
}

/* The batch is over: its requests are answered, and the crediter credits it. */
static void s_done(batch_t *self)
{
    for (size_t i = 0; i < self->n_flight; i++) {
        xapi_post_destroy(&self->flight[i].post);
        pending_send(&self->flight[i].pending);
    }
    if (self->n_flight) crediter_soon(self->crediter);
    self->n_flight = 0;
    if (self->count) event_active(self->flush, EV_TIMEOUT, 0);
}

static void s_step(batch_t *self)
{
    bool want_write = false;
    if (xapi_write_step(&self->write, &want_write) == 0) return s_done(self);
    if (self->io) event_free(self->io);
    self->io = event_new(self->credits->base, PQsocket(self->writer),
                         EV_READ | (want_write ? EV_WRITE : 0), s_on_io, self);
    if (self->io) event_priority_set(self->io, PRIORITY_DB);
    if (!self->io || event_add(self->io, NULL) < 0) {
        yx_error(NULL, "could not watch the database connection");
        xapi_write_abort(&self->write);
        s_done(self);
    }
}

static void s_flush(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    batch_t *self = arg;
    if (self->write || !self->count) return; /* the batch in flight starts the next */
    xapi_post_t *posts[BATCH_REQUESTS];
    size_t queued = 0, bytes = 0;
    for (size_t i = 0; i < self->count && i < BATCH_REQUESTS; i++)
        queued += self->queue[(self->head + i) % self->cap].pending->in->post_statements->body.len;
    size_t budget = queued > SPLIT_BYTES ? queued / 2 : BATCH_BYTES;
    if (budget > BATCH_BYTES) budget = BATCH_BYTES;
    while (self->count && self->n_flight < BATCH_REQUESTS) {
        queued_t q = self->queue[self->head];
        size_t body = q.pending->in->post_statements->body.len;
        if (self->n_flight && bytes + body > budget) break;
        bytes += body;
        self->head = (self->head + 1) % self->cap;
        self->count--;
        posts[self->n_flight] = q.post;
        self->flight[self->n_flight++] = q;
    }
    self->write = xapi_write_start(self->credits, self->writer, posts, self->n_flight);
    if (self->write)
        s_step(self);
    else
        s_done(self);
}

batch_t *batch_new(credits_t *credits, const char *db_url)
{
    batch_t *self = calloc(1, sizeof *self);
    if (!self) return NULL;
    self->credits = credits;
    self->writer = yx_db_connect(db_url);
    self->flush = event_new(credits->base, -1, 0, s_flush, self);
    self->crediter = crediter_new(credits, db_url, s_on_credited, self);
    if (!self->writer || !self->flush || !self->crediter) {
        batch_destroy(&self);
        return NULL;
    }
    /* fails harmlessly on a base without priorities: the flush then simply runs in turn */
    event_priority_set(self->flush, PRIORITY_FLUSH);
    return self;
}

void batch_destroy(batch_t **self_p)
{
    batch_t *self = *self_p;
    if (!self) return;
    if (self->write) xapi_write_abort(&self->write);
    size_t queued = self->count;
    self->count = 0;
    s_done(self);
    for (; queued; queued--) {
        queued_t q = self->queue[self->head];
        self->head = (self->head + 1) % self->cap;
        reply_error(&q.pending->req, &q.pending->reply, 503, "the service is stopping");
        xapi_post_destroy(&q.post);
        pending_send(&q.pending);
    }
    s_run_waiting(self, -1); /* the reads go ahead: the crediter finishes at the next start */
    crediter_destroy(&self->crediter);
    if (self->io) event_free(self->io);
    if (self->flush) event_free(self->flush);
    if (self->writer) PQfinish(self->writer);
    free(self->waiting);
    free(self->queue);
    free(self);
    *self_p = NULL;
}

static int s_grow(batch_t *self)
{
    size_t cap = self->cap ? 2 * self->cap : 256;
    queued_t *queue = malloc(cap * sizeof *queue);
    if (!queue) return -1;
    for (size_t i = 0; i < self->count; i++)
        queue[i] = self->queue[(self->head + i) % self->cap];
    free(self->queue);
    self->queue = queue;
    self->cap = cap;
    self->head = 0;
    return 0;
}

void batch_add(batch_t *self, pending_t *pending)
{
    xapi_post_t *post = xapi_post_prepare(self->credits, &pending->req,
                                          pending->in->post_statements, &pending->reply);
    if (!post) { /* refused: answered now */
        pending_send(&pending);
        return;
    }
    if (self->count == self->cap && s_grow(self) < 0) {
        xapi_post_destroy(&post);
        reply_error(&pending->req, &pending->reply, 503, "out of memory");
        pending_send(&pending);
        return;
    }
    self->queue[(self->head + self->count++) % self->cap] = (queued_t){pending, post};
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    __atomic_store_n(&self->credits->ingest_at_s, (int64_t)now.tv_sec, __ATOMIC_RELAXED);
    if (!self->write) event_active(self->flush, EV_TIMEOUT, 0);
}
