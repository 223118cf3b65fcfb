/* xAPI 1.0.3 statement rules (xAPI-Data.md, part two), checked in C on the parsed document:
 * every property's type and format, the Agent/Group identifier rules, interaction
 * activities, SubStatement restrictions, and no properties the specification does not name.
 * The first problem is reported with the path of the offending field, e.g.
 * "statement[2].actor" / "an Agent needs exactly one of mbox, mbox_sha1sum, openid, account". */
#ifndef CREDITS_XAPI_VALIDATE_H
#define CREDITS_XAPI_VALIDATE_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XAPI_PATH_MAX 256
#define XAPI_REASON_MAX 256

typedef struct {
    char path[XAPI_PATH_MAX];     /* where: "statement[2].actor.mbox" */
    char reason[XAPI_REASON_MAX]; /* what: "must be a mailto IRI" */
} xapi_error_t;

/* Checks one statement as a client sent it (`path` names it in errors) and normalises it in
 * place where the specification tells the LRS to: a single Activity in contextActivities
 * becomes an array of one. `major` is the request's xAPI major version (1 or 2): it decides
 * which "version" values are accepted. 0 (1 when it normalised something), or -1 with *err
 * filled. */
int xapi_validate_statement(json_t *statement, const char *path, int major, xapi_error_t *err);

/* The `agent` query parameter (JSON text): an Agent or Identified Group, parsed and checked.
 * A new reference, or NULL with *err filled ("agent" / why). */
json_t *xapi_agent_param(const char *text, xapi_error_t *err);

/* Formats, as the specification uses them. */
bool xapi_is_uuid(const char *s);
bool xapi_is_iri(const char *s);
bool xapi_is_language_tag(const char *s);
bool xapi_is_mbox(const char *s);

/* ISO 8601 combined date and time with a time zone (extended or basic format; "-00:00"
 * and friends, "unknown local offset", are refused). *us: microseconds since the epoch,
 * UTC. 0 or -1. */
int xapi_parse_timestamp(const char *s, int64_t *us);
/* "YYYY-MM-DDTHH:MM:SS.mmmZ" (24 characters and the terminator). */
void xapi_format_timestamp(int64_t us, char out[32]);

/* ISO 8601 duration (4.4.3.2: PnYnMnDTnHnMnS or PnW, a fraction on the last part only).
 * 0 when valid, -1 when not. *ms is the length in milliseconds, or -1 when it cannot be
 * known: years and months have no fixed length (the ledger then ignores the duration). */
int xapi_parse_duration(const char *s, int64_t *ms);

#endif
