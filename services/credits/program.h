/* What the programs part shares between its files: loading a program, who is enrolled,
 * who may read whom, the aggregate query over the ledger, numbers and CSV for people.
 * The rule engine itself is rules.h (no SQL); transcripts are transcript.h. */
#ifndef CREDITS_PROGRAM_H
#define CREDITS_PROGRAM_H
#include "credits.h"
#include "rules.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* Program `id` of the county, its definition parsed. 1 found (*out to destroy), 0 none,
 * -1 database error (logged). */
int program_load(credits_t *credits, const char *id, rules_program_t **out);

/* True when the teacher's district or school is in the program's scope (active or not). */
bool program_in_scope(const rules_program_t *p, const dir_teacher_t *t);
/* Enrolled: active and in scope. */
bool program_enrolled(const rules_program_t *p, const dir_teacher_t *t);

/* May this principal read that teacher's credits? The teacher themself, an admin of their
 * school, the county. */
bool program_may_read(const Yx__Principal *pr, const dir_teacher_t *t);

/* The program as people read it beside their numbers: id, name, window, stages. */
json_t *program_summary(const rules_program_t *p);

/* Credits the statements already stored in the program's window (a program created after
 * its platforms started sending). Inside the caller's transaction. 0 or -1. */
int ledger_backfill(credits_t *credits, const rules_program_t *p);

/* Every transaction that writes the ledger takes this lock before its first entry, so entry
 * ids grow in commit order (the sweep's watermark depends on it). 0 or -1. */
int ledger_lock(credits_t *credits);

/* A short hash of the normalised definition (standings computed under other rules are
 * stale). out: 17 bytes. */
void program_rules_hash(const rules_program_t *p, char out[17]);

/* Runs the one aggregate query over the ledger: per teacher, the live entries summed by
 * category, item, measure and stage, study minutes already united and capped per day
 * (the SQL twin of rules_assign()). teacher_ids NULL: every teacher of the program. Calls
 * `each` once per teacher that has entries, with entries ready for rules_total(). 0 or -1. */
typedef void (*program_each_fn)(void *arg, const char *teacher_id, const rules_entry_t *entries,
                                size_t n);
int program_aggregate(credits_t *credits, const rules_program_t *p, const char *teacher_ids_array,
                      program_each_fn each, void *arg);

/* ---- small things ---------------------------------------------------------------------- */

int64_t program_now_us(void);
bool program_late(const request_t *req);
/* A figure for people: at most 4 decimals, integral values as integers. */
json_t *program_num(double v);
/* 1..max bytes of text without control characters. */
bool program_text_ok(const char *s, size_t max);
/* Answers 400 with every problem of a definition or document. */
void program_reply_problems(request_t *req, Yx__CreditsReply *reply, const rules_problems_t *pr);

/* A growing text buffer (program_json.c), with JSON strings and numbers written directly. */
typedef struct {
    char *data;
    size_t len, cap;
    bool failed;
} program_buf_t;

void program_buf_add(program_buf_t *self, const char *text, size_t n);
void program_buf_str(program_buf_t *self, const char *text);
void program_buf_json_str(program_buf_t *self, const char *s); /* NULL: null */
void program_buf_json_num(program_buf_t *self, double v);      /* as program_num() */
void program_buf_free(program_buf_t *self);

/* CSV for Excel: UTF-8 with a BOM, CRLF rows, quoted where needed, formulas made inert. */
typedef struct {
    program_buf_t buf;
    bool row_started;
} program_csv_t;

void program_csv_init(program_csv_t *self); /* writes the BOM */
void program_csv_cell(program_csv_t *self, const char *text);
void program_csv_num(program_csv_t *self, double v);
void program_csv_end_row(program_csv_t *self);
void program_csv_free(program_csv_t *self);
/* Replies 200 text/csv with a download name; frees nothing (the caller frees). */
void program_reply_csv(request_t *req, Yx__CreditsReply *reply, program_csv_t *csv,
                       const char *filename);

#endif
