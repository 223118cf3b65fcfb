/* Roster replies as JSON: snake_case keys of the proto fields, empty strings omitted. */
#ifndef YX_ROSTER_JSON_H
#define YX_ROSTER_JSON_H
#include "roster.pb-c.h"

#include <jansson.h>

/* [{"file","line","column","reason"}] */
json_t *yx_json_problems(Yx__Problem *const *problems, size_t n);
/* The body of a 2xx reply whose result is set; NULL on an unknown result. */
json_t *yx_json_roster_result(const Yx__RosterReply *reply);
/* {"error": message, "problems": [...]} plus the sync report's fields when present. */
json_t *yx_json_roster_error(const Yx__RosterReply *reply, int code);

#endif
