/* What the roster stores, described once: every table, the CSV file and headers it comes
 * from, and which values are required or enumerated. The loader, the diff engine and the
 * SQL are all driven by this table, so adding a column is one line. */
#ifndef ROSTER_ENTITY_H
#define ROSTER_ENTITY_H
#include <stdbool.h>

typedef struct {
    const char *column;           /* database column */
    const char *header;           /* CSV header in the source file */
    bool required;                /* must be non-empty */
    const char *const *allowed;   /* NULL-terminated enumeration, or NULL */
    bool date;                    /* YYYY-MM-DD when present */
} field_t;

typedef enum {
    E_DISTRICTS,
    E_SCHOOLS,
    E_SESSIONS,
    E_USERS,
    E_COURSES,
    E_CLASSES,
    E_ENROLLMENTS,
    E_GROUPS,
    E_GROUP_MEMBERS,
    E_MENTOR_PAIRS,
    E_COUNT
} entity_id_t;

typedef struct {
    entity_id_t id;
    const char *file;          /* source file in a bundle */
    const char *table;         /* roster.<table> */
    bool county_scoped;        /* tenant column county_id, else school_id */
    const char *school_header; /* header naming the row's school (first of a list) */
    int nfields;
    const field_t *fields;
} entity_t;

extern const entity_t roster_entities[E_COUNT];

/* Index of the field with this column name in an entity, or -1. */
int entity_field(const entity_t *entity, const char *column);

#endif
