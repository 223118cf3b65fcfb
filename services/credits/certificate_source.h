/* What certificates need from the programs part (transcript*.c): one teacher's result in one
 * program. Declared here until the programs part exposes it in a header of its own; the
 * certificate code calls nothing else of it. */
#ifndef CREDITS_CERTIFICATE_SOURCE_H
#define CREDITS_CERTIFICATE_SOURCE_H
#include "credits.h"

#include <stdbool.h>

enum {
    TRANSCRIPT_OK = 0,
    TRANSCRIPT_NO_PROGRAM = 1,     /* no program program_id in this county */
    TRANSCRIPT_NOT_IN_PROGRAM = 2, /* the teacher is outside the program's scope */
};

/* The teacher's transcript of the program as program_transcript computes it: the points that
 * count toward the program and whether its rule set says the teacher passed. Reads through
 * credits->db on the caller's connection, so inside the caller's transaction it sees what
 * that transaction wrote. *program_name is malloc'd (the caller frees it) and set only on
 * TRANSCRIPT_OK. Returns a TRANSCRIPT_* value, or -1 when the database failed (logged). */
int transcript_result(credits_t *credits, const char *program_id, const char *teacher_id,
                      double *total_points, bool *passed, char **program_name);

#endif
