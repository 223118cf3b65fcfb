/* Events of the credits service (credits.outbox, numbered gap-free in commit order like
 * roster.outbox): credit milestones, and what other parts announce (certificates). */
#ifndef CREDITS_OUTBOX_H
#define CREDITS_OUTBOX_H
#include "credits.h"

/* Writes one event in the caller's transaction: topic (e.g. "certificate.issued"), the
 * teacher it is about (tenant: the teacher's school, else the county), and a JSON object
 * payload to which program_id and teacher_id are added. 0, or -1 (bad payload, database). */
int ledger_event(credits_t *credits, const char *topic, const char *teacher_id,
                 const char *program_id, const char *payload_json);

/* The sweep: for teachers with entries recorded since its watermark, computes their numbers,
 * keeps them as standings (progress reads those) and announces, once each,
 * "credits.milestone" with milestone "half" (half the pass threshold) or "passed". Each
 * teacher once per sweep, however many entries they got; a sweep covers at most `window`
 * entries. 1 when more is waiting, 0 when caught up, -1 on failure. */
int ledger_sweep(credits_t *credits, long window);

/* Runs ledger_sweep on a thread and a connection of its own: every 2 s, sooner while work is
 * waiting, rarely and in small steps while statements stream in. Call once the directory
 * exists; stop before freeing it. 0 or -1. */
int ledger_sweep_start(credits_t *credits, const char *db_url);
void ledger_sweep_stop(void);

#endif
