/* The roster's teachers as the credits service needs them: to match an xAPI actor to a
 * teacher, and to know who is in a program's scope. Loaded from the roster service over the
 * bus (ListIdentities, as the system principal) at start and refreshed every few seconds;
 * lookups are in memory, so ingesting statements never waits for another service. */
#ifndef CREDITS_DIRECTORY_H
#define CREDITS_DIRECTORY_H
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

struct event_base;

typedef struct {
    const char *teacher_id; /* the OneRoster sourcedId */
    const char *school_id;
    const char *district_id;
    const char *email;      /* lower case */
    const char *name;
    bool active;
} dir_teacher_t;

typedef struct directory directory_t;

/* on_change fires after a refresh that changed anything (new teachers, moves, status):
 * the service re-matches unmatched statements then. */
directory_t *directory_new(struct event_base *base, void *zmq_ctx, const char *roster_endpoint,
                           int refresh_ms, void (*on_change)(void *arg), void *arg);
void directory_destroy(directory_t **self_p);

/* For a thread other than the event loop's: lookups and the teachers they return stay valid
 * until the unlock (a refresh waits). */
void directory_read_lock(directory_t *self);
void directory_read_unlock(directory_t *self);

/* true once a first complete load arrived */
bool directory_ready(const directory_t *self);
/* Changes whenever what the directory holds changes; 0 before the first load. */
uint64_t directory_fingerprint(const directory_t *self);

const dir_teacher_t *directory_teacher(const directory_t *self, const char *teacher_id);
/* xAPI actor.account: name is the teacher's sourcedId, or the platform's own id for the
 * teacher as the roster lists it in OneRoster userIds ("{platform:id}"). */
const dir_teacher_t *directory_by_account(const directory_t *self, const char *platform,
                                          const char *name);
/* xAPI actor.mbox ("mailto:x@y", case-insensitive) and mbox_sha1sum (hex SHA-1 of the
 * mbox IRI) against the roster's email. */
const dir_teacher_t *directory_by_mbox(const directory_t *self, const char *mbox);
const dir_teacher_t *directory_by_mbox_sha1(const directory_t *self, const char *sha1_hex);

/* Every teacher, for program scopes and progress reports. Valid until the next refresh
 * (refreshes happen in the event loop, never during a request). */
size_t directory_count(const directory_t *self);
const dir_teacher_t *directory_at(const directory_t *self, size_t i);

#endif
