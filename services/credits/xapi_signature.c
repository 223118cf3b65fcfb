/* Signed statements (xAPI Data 2.6): the signature attachment's part is a JWS in compact
 * serialization whose payload is the statement as it was before the signature was added.
 * The LRS checks that the JWS is well formed, that its algorithm is RS256, RS384 or RS512,
 * that its payload is the statement it came with (apart from what the LRS itself may set:
 * id, timestamp, authority, stored, version), and, when the header carries the signer's
 * X.509 certificate (x5c), that the signature verifies against it. */
#include "xapi_signature.h"
#include "xapi_validate.h"
#include "yx_sign.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define SIGNATURE_USAGE "http://adlnet.gov/expapi/attachments/signature"

bool xapi_is_signature(const json_t *attachment)
{
    const char *usage = json_string_value(json_object_get(attachment, "usageType"));
    return usage && strcmp(usage, SIGNATURE_USAGE) == 0;
}

/* Decodes base64 of text[0..len) into a new buffer: base64url without padding (JWS) when
 * url, else padded base64 (x5c); strict either way (yx_sign.h). NULL when invalid. */
static unsigned char *s_base64(const char *text, size_t len, bool url, size_t *out_len)
{
    size_t padded = url ? (len + 3) / 4 * 4 : len;
    char *std = malloc(padded + 1);
    unsigned char *out = malloc(padded / 4 * 3 + 1);
    bool ok = std && out && memchr(text, '\0', len) == NULL;
    for (size_t i = 0; ok && i < len; i++) {
        char c = text[i];
        ok = !url || (c != '+' && c != '/' && c != '=');
        std[i] = url && c == '-' ? '+' : url && c == '_' ? '/' : c;
    }
    if (ok) {
        memset(std + len, '=', padded - len);
        std[padded] = '\0';
        ok = yx_sign_base64_decode(std, out, padded / 4 * 3, out_len) == 0;
    }
    free(std);
    if (!ok) free(out);
    return ok ? out : NULL;
}

static json_t *s_json_segment(const char *text, size_t len)
{
    size_t n;
    unsigned char *raw = s_base64(text, len, true, &n);
    json_t *doc = raw ? json_loadb((const char *)raw, n, JSON_REJECT_DUPLICATES, NULL) : NULL;
    free(raw);
    return doc;
}

/* The statement less what the LRS may add or change, for comparing with the payload. */
static json_t *s_comparable(const json_t *statement, const json_t *other)
{
    json_t *copy = json_deep_copy(statement);
    if (!copy) return NULL;
    json_object_del(copy, "authority");
    json_object_del(copy, "stored");
    json_object_del(copy, "version");
    /* the LRS sets id and timestamp only where the client left them out */
    if (!json_object_get(other, "id")) json_object_del(copy, "id");
    if (!json_object_get(other, "timestamp")) json_object_del(copy, "timestamp");
    json_t *attachments = json_object_get(copy, "attachments");
    for (size_t i = json_array_size(attachments); i-- > 0;)
        if (xapi_is_signature(json_array_get(attachments, i))) json_array_remove(attachments, i);
    if (attachments && !json_array_size(attachments)) json_object_del(copy, "attachments");
    return copy;
}

/* Whether the signature of signed[0..signed_len) verifies with the first x5c certificate. */
static bool s_verifies(const json_t *x5c, const EVP_MD *md, const char *signed_text,
                       size_t signed_len, const unsigned char *sig, size_t sig_len)
{
    const char *cert_b64 = json_string_value(json_array_get(x5c, 0));
    size_t der_len;
    unsigned char *der = cert_b64 ? s_base64(cert_b64, strlen(cert_b64), false, &der_len) : NULL;
    const unsigned char *p = der;
    X509 *cert = der ? d2i_X509(NULL, &p, (long)der_len) : NULL;
    EVP_PKEY *key = cert ? X509_get_pubkey(cert) : NULL;
    EVP_MD_CTX *ctx = key && EVP_PKEY_base_id(key) == EVP_PKEY_RSA ? EVP_MD_CTX_new() : NULL;
    bool ok =
        ctx && EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) == 1 &&
        EVP_DigestVerify(ctx, sig, sig_len, (const unsigned char *)signed_text, signed_len) == 1;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    X509_free(cert);
    free(der);
    return ok;
}

const char *xapi_signature_check(const uint8_t *jws, size_t len, const json_t *statement, int major)
{
    const char *text = (const char *)jws;
    const char *dot1 = memchr(text, '.', len);
    const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - text)) : NULL;
    if (!dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - text)))
        return "the signature is not a JWS in compact serialization (header.payload.signature)";
    json_t *header = s_json_segment(text, (size_t)(dot1 - text));
    const char *alg = json_string_value(json_object_get(header, "alg"));
    const EVP_MD *md = !alg                        ? NULL
                       : strcmp(alg, "RS256") == 0 ? EVP_sha256()
                       : strcmp(alg, "RS384") == 0 ? EVP_sha384()
                       : strcmp(alg, "RS512") == 0 ? EVP_sha512()
                                                   : NULL;
    const char *why = NULL;
    json_t *payload = NULL, *mine = NULL;
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    if (!json_is_object(header))
        why = "the JWS header is not a JSON object";
    else if (!md)
        why = "the JWS algorithm (alg) must be RS256, RS384 or RS512";
    else if (!(payload = s_json_segment(dot1 + 1, (size_t)(dot2 - dot1 - 1))) ||
             !json_is_object(payload))
        why = "the JWS payload is not a JSON statement";
    else if (!(sig = s_base64(dot2 + 1, len - (size_t)(dot2 + 1 - text), true, &sig_len)) ||
             !sig_len)
        why = "the JWS signature is not base64url";
    if (!why) {
        /* the payload is read the way the statement was: the same normalisation */
        xapi_error_t err;
        json_t *theirs = NULL;
        if (xapi_validate_statement(payload, "payload", major, &err) < 0 ||
            !(theirs = s_comparable(payload, statement)) ||
            !(mine = s_comparable(statement, payload)) || !json_equal(theirs, mine))
            why = "the JWS payload is not the statement it signs";
        json_decref(theirs);
    }
    json_t *x5c = json_object_get(header, "x5c");
    if (!why && x5c &&
        (!json_is_array(x5c) || !s_verifies(x5c, md, text, (size_t)(dot2 - text), sig, sig_len)))
        why = "the JWS signature does not verify against the certificate in its x5c header";
    free(sig);
    json_decref(mine);
    json_decref(payload);
    json_decref(header);
    return why;
}
