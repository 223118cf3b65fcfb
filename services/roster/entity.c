#include "entity.h"

#include <string.h>

static const char *const s_user_roles[] = {"administrator", "aide", "guardian", "parent",
                                           "proctor", "relative", "student", "teacher", NULL};
static const char *const s_bools[] = {"true", "false", "TRUE", "FALSE", "True", "False", NULL};
static const char *const s_session_types[] = {"gradingPeriod", "semester", "schoolYear", "term",
                                              NULL};
static const char *const s_class_types[] = {"homeroom", "scheduled", NULL};
static const char *const s_enrol_roles[] = {"administrator", "proctor", "student", "teacher",
                                            NULL};
static const char *const s_group_types[] = {"research", "preparation", NULL};

static const field_t s_district_fields[] = {
    {"name", "name", true, NULL, false},
    {"identifier", "identifier", false, NULL, false},
};
static const field_t s_school_fields[] = {
    {"name", "name", true, NULL, false},
    {"identifier", "identifier", false, NULL, false},
    {"district_id", "parentSourcedId", false, NULL, false},
};
static const field_t s_session_fields[] = {
    {"title", "title", true, NULL, false},
    {"type", "type", true, s_session_types, false},
    {"start_date", "startDate", true, NULL, true},
    {"end_date", "endDate", true, NULL, true},
    {"parent_id", "parentSourcedId", false, NULL, false},
    {"school_year", "schoolYear", false, NULL, false},
};
static const field_t s_user_fields[] = {
    {"role", "role", true, s_user_roles, false},
    {"enabled", "enabledUser", true, s_bools, false},
    {"org_ids", "orgSourcedIds", true, NULL, false},
    {"username", "username", true, NULL, false},
    {"given_name", "givenName", true, NULL, false},
    {"family_name", "familyName", true, NULL, false},
    {"middle_name", "middleName", false, NULL, false},
    {"identifier", "identifier", false, NULL, false},
    {"email", "email", false, NULL, false},
    {"sms", "sms", false, NULL, false},
    {"phone", "phone", false, NULL, false},
    {"grades", "grades", false, NULL, false},
    {"subject", "metadata.subject", false, NULL, false},
    {"user_ids", "userIds", false, NULL, false},
};
static const field_t s_course_fields[] = {
    {"title", "title", true, NULL, false},
    {"school_year_id", "schoolYearSourcedId", false, NULL, false},
    {"course_code", "courseCode", false, NULL, false},
    {"grades", "grades", false, NULL, false},
    {"subjects", "subjects", false, NULL, false},
};
static const field_t s_class_fields[] = {
    {"title", "title", true, NULL, false},
    {"grades", "grades", false, NULL, false},
    {"course_id", "courseSourcedId", true, NULL, false},
    {"class_code", "classCode", false, NULL, false},
    {"class_type", "classType", true, s_class_types, false},
    {"location", "location", false, NULL, false},
    {"term_ids", "termSourcedIds", true, NULL, false},
    {"subjects", "subjects", false, NULL, false},
    {"periods", "periods", false, NULL, false},
};
static const field_t s_enrollment_fields[] = {
    {"class_id", "classSourcedId", true, NULL, false},
    {"user_id", "userSourcedId", true, NULL, false},
    {"role", "role", true, s_enrol_roles, false},
    {"primary", "primary", false, s_bools, false},
    {"begin_date", "beginDate", false, NULL, true},
    {"end_date", "endDate", false, NULL, true},
};
static const field_t s_group_fields[] = {
    {"type", "type", true, s_group_types, false},
    {"name", "name", true, NULL, false},
    {"subject", "subject", false, NULL, false},
    {"grades", "grades", false, NULL, false},
    {"parent_id", "parentSourcedId", false, NULL, false},
    {"leader_id", "leaderSourcedId", false, NULL, false},
};
static const field_t s_member_fields[] = {
    {"group_id", "groupSourcedId", true, NULL, false},
    {"user_id", "userSourcedId", true, NULL, false},
};
static const field_t s_mentor_fields[] = {
    {"mentor_id", "mentorSourcedId", true, NULL, false},
    {"mentee_id", "menteeSourcedId", true, NULL, false},
    {"begin_date", "beginDate", false, NULL, true},
    {"end_date", "endDate", false, NULL, true},
};

#define FIELDS(a) (int)(sizeof a / sizeof a[0]), a

const entity_t roster_entities[E_COUNT] = {
    {E_DISTRICTS, "orgs.csv", "districts", true, NULL, FIELDS(s_district_fields)},
    {E_SCHOOLS, "orgs.csv", "schools", true, NULL, FIELDS(s_school_fields)},
    {E_SESSIONS, "academicSessions.csv", "academic_sessions", true, NULL,
     FIELDS(s_session_fields)},
    {E_USERS, "users.csv", "users", false, "orgSourcedIds", FIELDS(s_user_fields)},
    {E_COURSES, "courses.csv", "courses", false, "orgSourcedId", FIELDS(s_course_fields)},
    {E_CLASSES, "classes.csv", "classes", false, "schoolSourcedId", FIELDS(s_class_fields)},
    {E_ENROLLMENTS, "enrollments.csv", "enrollments", false, "schoolSourcedId",
     FIELDS(s_enrollment_fields)},
    {E_GROUPS, "groups.csv", "groups", false, "schoolSourcedId", FIELDS(s_group_fields)},
    {E_GROUP_MEMBERS, "groupMembers.csv", "group_members", false, NULL, FIELDS(s_member_fields)},
    {E_MENTOR_PAIRS, "mentorPairs.csv", "mentor_pairs", false, "schoolSourcedId",
     FIELDS(s_mentor_fields)},
};

int entity_field(const entity_t *entity, const char *column)
{
    for (int i = 0; i < entity->nfields; i++)
        if (strcmp(entity->fields[i].column, column) == 0) return i;
    return -1;
}
