/* Signed statements (xAPI Data 2.6): the JWS of a signature attachment checked against the
 * statement it came with. */
#ifndef CREDITS_XAPI_SIGNATURE_H
#define CREDITS_XAPI_SIGNATURE_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whether an Attachment is a signature (its usageType). */
bool xapi_is_signature(const json_t *attachment);

/* Checks the JWS jws[0..len) that signs `statement` (validated, as the client sent it; `major`
 * the request's xAPI major version). NULL when it is well formed, RS256/384/512, its payload
 * is the statement and, with an x5c certificate, it verifies; else the reason. */
const char *xapi_signature_check(const uint8_t *jws, size_t len, const json_t *statement,
                                 int major);

#endif
