#include "scope.h"
#include "yx_db.h"

#include <string.h>

static int s_set(PGconn *db, const char *scope, const char *school)
{
    const char *const params[] = {scope, school};
    return yx_db_exec(db,
                      "SELECT set_config('yanxiu.scope', $1, false),"
                      " set_config('yanxiu.school_id', $2, false)",
                      2, params);
}

int scope_widen(PGconn *db)
{
    return s_set(db, "county", "");
}

int scope_apply(PGconn *db, const Yx__Principal *principal)
{
    switch (principal->role) {
    case YX__ROLE__ROLE_COUNTY_ADMIN:
    case YX__ROLE__ROLE_SYSTEM:
        return s_set(db, "county", "");
    case YX__ROLE__ROLE_SCHOOL_ADMIN:
        return s_set(db, "school", principal->school_id);
    case YX__ROLE__ROLE_TEACHER: {
        if (s_set(db, "county", "") < 0) return -1;
        const char *const params[] = {principal->teacher_id};
        PGresult *res =
            yx_db_query(db, "SELECT school_id FROM roster.users WHERE id = $1", 1, params);
        if (!res) return -1;
        int rc = s_set(db, "school", PQntuples(res) ? PQgetvalue(res, 0, 0) : "");
        PQclear(res);
        return rc;
    }
    default:
        return s_set(db, "none", "");
    }
}

bool scope_allows_school(const Yx__Principal *principal, const char *school_id,
                         const char *teacher_school)
{
    switch (principal->role) {
    case YX__ROLE__ROLE_COUNTY_ADMIN:
    case YX__ROLE__ROLE_SYSTEM:
        return true;
    case YX__ROLE__ROLE_SCHOOL_ADMIN:
        return strcmp(principal->school_id, school_id) == 0;
    case YX__ROLE__ROLE_TEACHER:
        return teacher_school && strcmp(teacher_school, school_id) == 0;
    default:
        return false;
    }
}
