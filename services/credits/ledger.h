/* The append-only ledger, fed by statements. The xAPI store calls it inside the transaction
 * that stored the statements, so a statement and its credit commit together or not at all. */
#ifndef CREDITS_LEDGER_H
#define CREDITS_LEDGER_H
#include "credits.h"

/* Derives ledger entries for newly stored statements (ids as text UUIDs) whose teacher is
 * known. Reads what it needs from credits.statements (see migrations/001_statements.sql).
 * A statement already credited is never credited twice. 0 or -1 (the caller rolls back). */
int ledger_credit_statements(credits_t *credits, const char *const *statement_ids, size_t n);

/* Reversing entries for what the targets of newly stored voiding statements had earned
 * (only targets the store marked voided). Idempotent too. 0 or -1. */
int ledger_reverse_voided(credits_t *credits, const char *const *voiding_ids, size_t n);

#endif
