/* The teacher directory: pages of ListIdentities from the roster service, built into a new
 * generation off to the side and swapped in whole, so a lookup never sees half a refresh.
 * The swap happens on the event loop's thread; the sweeper's thread reads under a lock. */
#include "directory.h"
#include "roster.pb-c.h"
#include "yx_arena.h"
#include "yx_bus.h"
#include "yx_log.h"
#include "yx_strmap.h"
#include "yx_text.h"

#include <ctype.h>
#include <pthread.h>
#include <event2/event.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#define PAGE 2000
#define CALL_TIMEOUT_MS 5000
#define FIRST_LOAD_RETRY_MS 250 /* until the first load: the service is not ready without it */

typedef struct {
    yx_arena_t *arena;
    dir_teacher_t *teachers;
    size_t count, cap;
    yx_strmap_t *by_id, *by_mbox, *by_sha1, *by_account;
    uint64_t fingerprint; /* of everything loaded: a refresh that changes it is announced */
} generation_t;

struct directory {
    struct event_base *base;
    yx_bus_client_t *roster;
    struct event *timer;
    int refresh_ms;
    void (*on_change)(void *arg);
    void *arg;
    generation_t *current; /* what lookups see */
    pthread_rwlock_t swap; /* held for writing while current is replaced */
    generation_t *loading; /* being filled page by page */
    bool in_flight;
    uint64_t version;         /* the roster's change counter of `current` */
    uint64_t loading_version; /* the one the load in progress started from */
};

static generation_t *s_generation_new(void)
{
    generation_t *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->arena = yx_arena_new();
    g->by_id = yx_strmap_new(1024);
    g->by_mbox = yx_strmap_new(1024);
    g->by_sha1 = yx_strmap_new(1024);
    g->by_account = yx_strmap_new(1024);
    g->fingerprint = 14695981039346656037ULL;
    return g;
}

static void s_generation_destroy(generation_t **g_p)
{
    generation_t *g = *g_p;
    if (!g) return;
    free(g->teachers);
    yx_strmap_destroy(&g->by_id);
    yx_strmap_destroy(&g->by_mbox);
    yx_strmap_destroy(&g->by_sha1);
    yx_strmap_destroy(&g->by_account);
    yx_arena_destroy(&g->arena);
    free(g);
    *g_p = NULL;
}

static void s_mix(uint64_t *h, const char *s)
{
    for (; *s; s++)
        *h = (*h ^ (unsigned char)*s) * 1099511628211ULL;
    *h = (*h ^ 0x1f) * 1099511628211ULL;
}

static char *s_lower(yx_arena_t *arena, const char *s)
{
    char *out = yx_arena_strdup(arena, s);
    for (char *p = out; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return out;
}

/* Hex SHA-1 of "mailto:<email>", what xAPI's mbox_sha1sum carries. */
static char *s_mbox_sha1(yx_arena_t *arena, const char *email)
{
    char mbox[512];
    int n = snprintf(mbox, sizeof mbox, "mailto:%s", email);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (n < 0 || (size_t)n >= sizeof mbox ||
        !EVP_Digest(mbox, (size_t)n, digest, &len, EVP_sha1(), NULL))
        return NULL;
    char *hex = yx_arena_alloc(arena, 2 * len + 1);
    if (hex) yx_hex(digest, len, hex);
    return hex;
}

/* Teachers live in a growing array, so maps hold index + 1, never pointers. */
static void s_add(generation_t *g, const Yx__Identity *id)
{
    if (g->count == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 1024;
        dir_teacher_t *t = realloc(g->teachers, cap * sizeof *t);
        if (!t) return;
        g->teachers = t;
        g->cap = cap;
    }
    dir_teacher_t *t = &g->teachers[g->count];
    *t = (dir_teacher_t){
        .teacher_id = yx_arena_strdup(g->arena, id->teacher_id),
        .school_id = yx_arena_strdup(g->arena, id->school_id),
        .district_id = yx_arena_strdup(g->arena, id->district_id),
        .email = s_lower(g->arena, id->email),
        .name = yx_arena_strdup(g->arena, id->name),
        .active = strcmp(id->status, "active") == 0,
    };
    void *index = (void *)(uintptr_t)(++g->count);
    yx_strmap_put(g->by_id, t->teacher_id, index);
    s_mix(&g->fingerprint, t->teacher_id);
    s_mix(&g->fingerprint, t->school_id);
    s_mix(&g->fingerprint, t->district_id);
    s_mix(&g->fingerprint, t->email);
    s_mix(&g->fingerprint, t->active ? "a" : "i");
    if (*t->email) {
        yx_strmap_put(g->by_mbox, t->email, index); /* the first of a shared address wins */
        char *sha1 = s_mbox_sha1(g->arena, t->email);
        if (sha1) yx_strmap_put(g->by_sha1, sha1, index);
    }
    for (size_t i = 0; i < id->n_platform_ids; i++) {
        yx_strmap_put(g->by_account, yx_arena_strdup(g->arena, id->platform_ids[i]), index);
        s_mix(&g->fingerprint, id->platform_ids[i]);
    }
}

static void s_request_page(directory_t *self, const char *cursor);

static void s_finish(directory_t *self)
{
    generation_t *fresh = self->loading;
    self->loading = NULL;
    if (!self->current) { /* first load: from now on, refresh at the configured pace */
        struct timeval tv = {self->refresh_ms / 1000, (self->refresh_ms % 1000) * 1000};
        event_add(self->timer, &tv);
    }
    bool changed = !self->current || self->current->fingerprint != fresh->fingerprint;
    pthread_rwlock_wrlock(&self->swap);
    s_generation_destroy(&self->current);
    self->current = fresh;
    pthread_rwlock_unlock(&self->swap);
    self->version = self->loading_version;
    if (changed) {
        yx_info(NULL, "teacher directory loaded: %zu teachers", fresh->count);
        if (self->on_change) self->on_change(self->arg);
    }
}

static void s_on_page(yx_bus_result_t result, const uint8_t *data, size_t size, double ms,
                      void *arg)
{
    (void)ms;
    directory_t *self = arg;
    Yx__RosterReply *reply =
        result == YX_BUS_OK && size ? yx__roster_reply__unpack(NULL, size, data) : NULL;
    if (!reply || !reply->status || reply->status->code != 200 ||
        reply->result_case != YX__ROSTER_REPLY__RESULT_IDENTITIES) {
        yx_warn(NULL, "could not refresh the teacher directory (roster %s)",
                result == YX_BUS_TIMEOUT ? "timed out"
                : reply                  ? "refused"
                                         : "unavailable");
        s_generation_destroy(&self->loading);
        self->in_flight = false;
        if (reply) yx__roster_reply__free_unpacked(reply, NULL);
        return;
    }
    if (reply->identities->unchanged) { /* the common case: nothing to load */
        s_generation_destroy(&self->loading);
        self->in_flight = false;
        yx__roster_reply__free_unpacked(reply, NULL);
        return;
    }
    if (reply->identities->version) self->loading_version = reply->identities->version;
    for (size_t i = 0; i < reply->identities->n_items; i++)
        s_add(self->loading, reply->identities->items[i]);
    if (*reply->identities->next_cursor)
        s_request_page(self, reply->identities->next_cursor);
    else {
        s_finish(self);
        self->in_flight = false;
    }
    yx__roster_reply__free_unpacked(reply, NULL);
}

static void s_request_page(directory_t *self, const char *cursor)
{
    Yx__Principal principal = YX__PRINCIPAL__INIT;
    principal.role = YX__ROLE__ROLE_SYSTEM;
    principal.key_id = "credits";
    Yx__RequestHeader header = YX__REQUEST_HEADER__INIT;
    header.version = 1;
    header.request_id = "directory";
    header.principal = &principal;
    Yx__PageRequest page = YX__PAGE_REQUEST__INIT;
    page.limit = PAGE;
    page.cursor = (char *)cursor;
    Yx__ListIdentities op = YX__LIST_IDENTITIES__INIT;
    op.page = &page;
    op.known_version = *cursor || !self->current ? 0 : self->version;
    Yx__RosterRequest req = YX__ROSTER_REQUEST__INIT;
    req.header = &header;
    req.op_case = YX__ROSTER_REQUEST__OP_LIST_IDENTITIES;
    req.list_identities = &op;
    uint8_t buf[1024];
    size_t len = yx__roster_request__get_packed_size(&req);
    if (len > sizeof buf || yx_bus_call(self->roster, buf, yx__roster_request__pack(&req, buf),
                                        CALL_TIMEOUT_MS, s_on_page, self) < 0) {
        s_generation_destroy(&self->loading);
        self->in_flight = false;
    }
}

static void s_on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    directory_t *self = arg;
    if (self->in_flight) return;
    self->loading = s_generation_new();
    if (!self->loading) return;
    self->in_flight = true;
    s_request_page(self, "");
}

directory_t *directory_new(struct event_base *base, void *zmq_ctx, const char *roster_endpoint,
                           int refresh_ms, void (*on_change)(void *arg), void *arg)
{
    directory_t *self = calloc(1, sizeof *self);
    if (!self) return NULL;
    *self =
        (directory_t){.base = base, .refresh_ms = refresh_ms, .on_change = on_change, .arg = arg};
    pthread_rwlock_init(&self->swap, NULL);
    self->roster = yx_bus_client_new(base, zmq_ctx, roster_endpoint);
    self->timer = event_new(base, -1, EV_PERSIST, s_on_timer, self);
    struct timeval tv = {0, FIRST_LOAD_RETRY_MS * 1000};
    if (!self->roster || !self->timer || event_add(self->timer, &tv) < 0) {
        directory_destroy(&self);
        return NULL;
    }
    event_active(self->timer, EV_TIMEOUT, 0); /* first load now */
    return self;
}

void directory_destroy(directory_t **self_p)
{
    directory_t *self = *self_p;
    if (!self) return;
    if (self->timer) event_free(self->timer);
    yx_bus_client_destroy(&self->roster); /* fails a page in flight: frees `loading` */
    s_generation_destroy(&self->loading);
    s_generation_destroy(&self->current);
    pthread_rwlock_destroy(&self->swap);
    free(self);
    *self_p = NULL;
}

void directory_read_lock(directory_t *self)
{
    pthread_rwlock_rdlock(&self->swap);
}

void directory_read_unlock(directory_t *self)
{
    pthread_rwlock_unlock(&self->swap);
}

bool directory_ready(const directory_t *self)
{
    return self->current != NULL;
}

uint64_t directory_fingerprint(const directory_t *self)
{
    return self->current ? self->current->fingerprint | 1 : 0;
}

static const dir_teacher_t *s_lookup(const directory_t *self, yx_strmap_t *(*map)(generation_t *),
                                     const char *key)
{
    if (!self->current || !key) return NULL;
    uintptr_t index = (uintptr_t)yx_strmap_get(map(self->current), key);
    return index ? &self->current->teachers[index - 1] : NULL;
}

static yx_strmap_t *s_ids(generation_t *g)
{
    return g->by_id;
}
static yx_strmap_t *s_mboxes(generation_t *g)
{
    return g->by_mbox;
}
static yx_strmap_t *s_sha1s(generation_t *g)
{
    return g->by_sha1;
}
static yx_strmap_t *s_accounts(generation_t *g)
{
    return g->by_account;
}

const dir_teacher_t *directory_teacher(const directory_t *self, const char *teacher_id)
{
    return s_lookup(self, s_ids, teacher_id);
}

const dir_teacher_t *directory_by_account(const directory_t *self, const char *platform,
                                          const char *name)
{
    char key[512];
    snprintf(key, sizeof key, "%s:%s", platform ? platform : "", name ? name : "");
    const dir_teacher_t *t = s_lookup(self, s_accounts, key);
    return t ? t : s_lookup(self, s_ids, name);
}

const dir_teacher_t *directory_by_mbox(const directory_t *self, const char *mbox)
{
    if (!mbox || strncasecmp(mbox, "mailto:", 7) != 0) return NULL;
    char email[320];
    size_t n = 0;
    for (const char *p = mbox + 7; *p && n + 1 < sizeof email; p++)
        email[n++] = (char)tolower((unsigned char)*p);
    email[n] = '\0';
    return s_lookup(self, s_mboxes, email);
}

const dir_teacher_t *directory_by_mbox_sha1(const directory_t *self, const char *sha1_hex)
{
    char lower[41];
    size_t n = 0;
    for (const char *p = sha1_hex; p && *p && n < 40; p++)
        lower[n++] = (char)tolower((unsigned char)*p);
    lower[n] = '\0';
    return s_lookup(self, s_sha1s, lower);
}

size_t directory_count(const directory_t *self)
{
    return self->current ? self->current->count : 0;
}

const dir_teacher_t *directory_at(const directory_t *self, size_t i)
{
    return self->current && i < self->current->count ? &self->current->teachers[i] : NULL;
}
