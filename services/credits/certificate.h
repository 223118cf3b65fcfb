/* Certificates: a teacher who passed a program gets a JSON document signed with the county's
 * Ed25519 key (yx_sign.h), stored in credits.certificates (migrations/003_certificates.sql).
 * Anyone can check one: offline with `yanxiuctl cert verify` and the county's public key, or
 * online at /verify/{id}, which also knows about revocation. */
#ifndef CREDITS_CERTIFICATE_H
#define CREDITS_CERTIFICATE_H
#include "credits.h"
#include "yx_sign.h"

#include <jansson.h>
#include <stddef.h>

/* ---- the county's key (certificate_signer.c) ---------------------------------------- */

/* Loads YANXIU_SIGNING_KEY (default $YANXIU_VAR_DIR/keys/county-ed25519.pem), creating it on
 * first start (mode 0600 in a 0700 directory), and writes the public key beside it
 * (county-ed25519.pub.pem) for those who verify offline. NULL, logged, when the key can be
 * neither read nor created: the service must not start without it. */
signer_t *signer_load_or_create(void);
void signer_destroy(signer_t **self_p);

/* A new signed document around payload (the document holds its own reference). */
json_t *signer_sign(const signer_t *self, json_t *payload);
/* The document of a stored certificate: payload and signature as stored, our public key.
 * Steals payload. NULL when out of memory. */
json_t *signer_document(const signer_t *self, json_t *payload, const char *signature);
/* True when the document's signature verifies with the county's current key. */
bool signer_check(const signer_t *self, const json_t *doc);

/* ---- issuing (certificate_issue.c) --------------------------------------------------------- */

typedef enum {
    CERT_ERROR = -1,    /* the database or OpenSSL failed (logged) */
    CERT_ISSUED = 0,    /* a new certificate */
    CERT_EXISTING = 1,  /* the live certificate issued before: one per (program, teacher) */
    CERT_REFUSED = 2,   /* not issued: the reason is in why */
    CERT_NO_PROGRAM = 3 /* no such program */
} cert_outcome_t;

/* Issues the certificate of one teacher in one program, unless the teacher did not pass or a
 * live one exists. Runs on credits->db in the caller's transaction, if any: the programs part
 * may call it where it sees a teacher pass a program that issues certificates automatically.
 * On CERT_ISSUED and CERT_EXISTING, *doc (when doc is not NULL) is a new reference to the
 * signed document. */
cert_outcome_t certificate_issue_one(credits_t *credits, const char *program_id,
                                     const char *teacher_id, json_t **doc, char *why,
                                     size_t why_len);

/* ---- shared by the operations (certificate_store.c) ------------------------------------------ */

/* A certificate id as PostgreSQL's uuid type prints it (any case): anything else names no
 * certificate, and is answered 404 without asking the database. */
bool certificate_id_ok(const char *id);
/* Text from a request: 1 to max bytes of UTF-8 without control characters. */
bool certificate_text_ok(const char *s, size_t max);

/* One stored certificate; strings live in the request's arena. */
typedef struct {
    const char *id, *program_id, *teacher_id, *signature;
    json_t *payload;           /* a reference the caller releases */
    const char *revoked_at;    /* NULL while live (ISO 8601 UTC otherwise) */
    const char *revoke_reason; /* NULL while live */
} cert_row_t;

/* Reads certificate id of this county. 1 found, 0 no such certificate, -1 database error. */
int certificate_load(request_t *req, const char *id, cert_row_t *row);

#endif
