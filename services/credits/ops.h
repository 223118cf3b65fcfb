/* The operations of the credits service, one function each; dispatch.c routes to them.
 * Each fills `reply` (status 200 unless it says otherwise). */
#ifndef CREDITS_OPS_H
#define CREDITS_OPS_H
#include "credits.h"

/* xAPI (xapi_*.c). POSTs are batched by dispatch.c: xapi_post_batch stores many requests'
 * statements in one transaction (group commit) and answers each request. */
void xapi_post_batch(credits_t *credits, request_t **reqs, const Yx__PostStatements **ops,
                     Yx__CreditsReply **replies, size_t n);
void xapi_get(request_t *req, const Yx__GetStatements *op, Yx__CreditsReply *reply);
void xapi_list_unmatched(request_t *req, const Yx__ListUnmatched *op, Yx__CreditsReply *reply);
/* The state, activity profile and agent profile resources (xapi_documents.c). */
void xapi_document(request_t *req, const Yx__XapiDocument *op, Yx__CreditsReply *reply);
/* The activities and agents resources, read from the statements (xapi_objects.c). */
void xapi_object(request_t *req, const Yx__XapiDocument *op, Yx__CreditsReply *reply);
/* After the directory learned teachers: match stored unmatched statements, credit them. */
void xapi_rematch(credits_t *credits);

/* Programs, rules, the ledger (program*.c, rules*.c, ledger*.c, transcript.c, progress.c). */
void program_create(request_t *req, const Yx__CreateProgram *op, Yx__CreditsReply *reply);
void program_get(request_t *req, const Yx__GetProgram *op, Yx__CreditsReply *reply);
void program_list(request_t *req, const Yx__ListPrograms *op, Yx__CreditsReply *reply);
void program_transcript(request_t *req, const Yx__GetTranscript *op, Yx__CreditsReply *reply);
void program_progress(request_t *req, const Yx__GetProgress *op, Yx__CreditsReply *reply);
void program_record_grade(request_t *req, const Yx__RecordGrade *op, Yx__CreditsReply *reply);
void program_manual_entry(request_t *req, const Yx__ManualEntry *op, Yx__CreditsReply *reply);

/* Certificates (certificate*.c). */
void certificate_issue(request_t *req, const Yx__IssueCertificates *op, Yx__CreditsReply *reply);
void certificate_get(request_t *req, const Yx__GetCertificate *op, Yx__CreditsReply *reply);
void certificate_verify(request_t *req, const Yx__VerifyCertificate *op, Yx__CreditsReply *reply);
void certificate_revoke(request_t *req, const Yx__RevokeCertificate *op, Yx__CreditsReply *reply);

#endif
