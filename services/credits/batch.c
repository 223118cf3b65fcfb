/* Group commit of POSTed statements. A request is checked as soon as it arrives (parsing,
 * the xAPI rules: refused ones are answered at once) and queued; a flush event at the
 * lowest priority runs once the bus has read everything that arrived meanwhile, and stores
 * the queued requests in one transaction, so a durable commit costs one fsync for the whole
 * batch instead of one per request. The batch has a connection of its own and its rows
 * travel by COPY without blocking the event loop: while PostgreSQL takes them in, the next
 * requests are read and checked, and the service keeps answering everything else on its
 * main connection. When a batch ends, the next one starts at once with whatever
 * accumulated (waiting a moment for more, as commit_delay does, cost a fifth of the
 * throughput), and its requests wait for the crediter (crediter.h) to put the batch into
 * the ledger: so an answered statement is credited too, and a reader sees it at once. */
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
#define FLUSH_PRIORITY 2
/* When the queued bodies are large, a batch takes about half of them: while it is written,
 * the requests of the batch before it are answered and their clients' next requests are
 * checked, so parsing and PostgreSQL work side by side instead of in turn (with a few
 * clients sending big arrays, every request would otherwise sit in the same batch). */
#define SPLIT_BYTES (256 * 1024)

typedef struct {
    pending_t *pending;
    xapi_post_t *post;
} queued_t;

/* A request whose batch is stored, until the ledger is credited through `seq`. */
typedef struct {
    pending_t *pending;
    long long seq;
} stored_t;

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
    stored_t *stored; /* in seq order, from stored_head */
    size_t stored_head, stored_count, stored_cap;
};

static void s_step(batch_t *self);

static void s_on_io(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    s_step(arg);
}

/* Answers the stored requests credited through `through` (all of them when it is -1). */
static void s_answer_stored(batch_t *self, long long through)
{
    while (self->stored_head < self->stored_count &&
           (through < 0 || self->stored[self->stored_head].seq <= through))
        pending_send(&self->stored[self->stored_head++].pending);
    if (self->stored_head == self->stored_count) self->stored_head = self->stored_count = 0;
}

static void s_on_credited(void *arg, bool ok)
{
    batch_t *self = arg;
    /* a failed round is tried again later: the statements are stored, which is what an
     * answer promises */
    s_answer_stored(self, ok ? crediter_through(self->crediter) : -1);
}

/* Keeps a request until its batch is credited; answers it at once when that cannot be. */
static void s_keep(batch_t *self, pending_t *pending, long long seq)
{
    if (self->stored_count == self->stored_cap && self->stored_head) {
        self->stored_count -= self->stored_head;
        memmove(self->stored, self->stored + self->stored_head,
                self->stored_count * sizeof *self->stored);
        self->stored_head = 0;
    }
    if (self->stored_count == self->stored_cap) {
        size_t cap = self->stored_cap ? 2 * self->stored_cap : 256;
        stored_t *grown = realloc(self->stored, cap * sizeof *grown);
        if (!grown) return pending_send(&pending);
        self->stored = grown;
        self->stored_cap = cap;
    }
    self->stored[self->stored_count++] = (stored_t){pending, seq};
}

/* The batch is over: its requests wait for the crediter. */
static void s_done(batch_t *self)
{
    size_t was = self->n_flight;
    long long seq = xapi_last_seq();
    for (size_t i = 0; i < self->n_flight; i++) {
        xapi_post_destroy(&self->flight[i].post);
        s_keep(self, self->flight[i].pending, seq);
    }
    self->n_flight = 0;
    if (was) {
        if (crediter_through(self->crediter) >= seq)
            s_answer_stored(self, seq);
        else
            crediter_kick(self->crediter);
    }
    if (self->count) event_active(self->flush, EV_TIMEOUT, 0);
}

static void s_step(batch_t *self)
{
    bool want_write = false;
    if (xapi_write_step(&self->write, &want_write) == 0) return s_done(self);
    if (self->io) event_free(self->io);
    self->io = event_new(self->credits->base, PQsocket(self->writer),
                         EV_READ | (want_write ? EV_WRITE : 0), s_on_io, self);
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
    event_priority_set(self->flush, FLUSH_PRIORITY);
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
    s_answer_stored(self, -1); /* stored: the crediter finishes them at the next start */
    crediter_destroy(&self->crediter);
    if (self->io) event_free(self->io);
    if (self->flush) event_free(self->flush);
    if (self->writer) PQfinish(self->writer);
    free(self->stored);
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
