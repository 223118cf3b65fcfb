/* One teacher's transcript in one program: the entries read with one indexed query, the
 * rules applied in C (rules_evaluate), every figure traceable to its entries and their
 * evidence. */
#ifndef CREDITS_TRANSCRIPT_H
#define CREDITS_TRANSCRIPT_H
#include "program.h"

#include <libpq-fe.h>

typedef struct {
    PGresult *res;          /* the entries as read: their evidence */
    rules_entry_t *entries; /* row i of res */
    int64_t *reversed_by;   /* per entry: the entry reversing it, 0 when none */
    int64_t *recorded_us;   /* per entry: when it was recorded */
    size_t n;
    rules_result_t result;
} transcript_t;

/* Reads and evaluates. 0, or -1 when the database failed (logged). */
int transcript_compute(credits_t *credits, const rules_program_t *p, const char *teacher_id,
                       transcript_t *out);
void transcript_free(transcript_t *self);
/* The numbers people read (README "Transcripts"), without the entries (program_transcript
 * adds those). */
json_t *transcript_json(const rules_program_t *p, const dir_teacher_t *t, const transcript_t *tr);

/* For certificates (certificate_issue.c). */
enum {
    TRANSCRIPT_OK = 0,
    TRANSCRIPT_NO_PROGRAM = 1,     /* no program program_id in this county */
    TRANSCRIPT_NOT_IN_PROGRAM = 2, /* the teacher is outside the program's scope */
};

/* The points that count toward the program and whether the teacher passed, as
 * program_transcript computes them, on credits->db (inside the caller's transaction, if
 * any). *program_name is malloc'd, set only on TRANSCRIPT_OK. A TRANSCRIPT_* value, or -1
 * when the database failed (logged). */
int transcript_result(credits_t *credits, const char *program_id, const char *teacher_id,
                      double *total_points, bool *passed, char **program_name);

#endif
