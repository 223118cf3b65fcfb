/* Who may see what, declared to PostgreSQL so row-level security enforces it too. */
#ifndef ROSTER_SCOPE_H
#define ROSTER_SCOPE_H
#include "common.pb-c.h"
#include <libpq-fe.h>
#include <stdbool.h>

/* Declares the principal's scope on the session: county roles see every school, a school
 * admin its school, a teacher the school it belongs to. 0 or -1. */
int scope_apply(PGconn *db, const Yx__Principal *principal);
/* Widens the session to the whole county, for the service's own cross-school checks
 * (an id already used by another school). Call scope_apply again afterwards. */
int scope_widen(PGconn *db);
/* May this principal read or write rows of this school? */
bool scope_allows_school(const Yx__Principal *principal, const char *school_id,
                         const char *teacher_school);

#endif
