/* Signed statements: JWS built here with an RSA key and a self-signed certificate made in
 * the test, checked against the statement they sign; every malformed or hostile shape
 * refused with its reason. */
/* the service's headers are not on the unit tests' include path; reach them directly */
#include "../../services/credits/xapi_signature.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATEMENT                                                                                  \
    "{\"id\":\"0b7e6c1e-3f0a-4c55-9d53-2f4a2f1f7a10\",\"actor\":{\"mbox\":\"mailto:a@x.cn\"},"     \
    "\"verb\":{\"id\":\"http://adlnet.gov/expapi/verbs/passed\"},"                                 \
    "\"object\":{\"id\":\"http://x.cn/a\"},\"result\":{\"score\":{\"raw\":88}}}"

static EVP_PKEY *s_key, *s_other;
static char s_x5c[4096];

static void s_b64(const unsigned char *in, size_t len, bool url, char *out)
{
    int n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    if (!url) return;
    for (int i = 0; i < n; i++)
        out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
    while (n > 0 && out[n - 1] == '=')
        out[--n] = '\0';
}

static int s_setup(void **state)
{
    (void)state;
    s_key = EVP_RSA_gen(2048);
    s_other = EVP_RSA_gen(2048);
    X509 *cert = X509_new();
    if (!s_key || !s_other || !cert) return -1;
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
    X509_set_pubkey(cert, s_key);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
                               (const unsigned char *)"platform.example.cn", -1, -1, 0);
    X509_set_issuer_name(cert, X509_get_subject_name(cert));
    X509_sign(cert, s_key, EVP_sha256());
    unsigned char *der = NULL;
    int len = i2d_X509(cert, &der);
    X509_free(cert);
    if (len <= 0 || (size_t)len * 4 / 3 + 4 >= sizeof s_x5c) return -1;
    s_b64(der, (size_t)len, false, s_x5c);
    OPENSSL_free(der);
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    EVP_PKEY_free(s_key);
    EVP_PKEY_free(s_other);
    return 0;
}

/* header.payload.signature over the given header and payload JSON, signed by key. */
static char *s_jws(const char *header, const char *payload, EVP_PKEY *key, const EVP_MD *md)
{
    static char out[16384];
    size_t h = strlen(header), p = strlen(payload);
    char *signing = malloc(2 * (h + p) + 8);
    assert_non_null(signing);
    s_b64((const unsigned char *)header, h, true, signing);
    strcat(signing, ".");
    s_b64((const unsigned char *)payload, p, true, signing + strlen(signing));
    unsigned char sig[512];
    size_t sig_len = sizeof sig;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(ctx, NULL, md, NULL, key), 1);
    assert_int_equal(EVP_DigestSign(ctx, sig, &sig_len, (unsigned char *)signing, strlen(signing)),
                     1);
    EVP_MD_CTX_free(ctx);
    snprintf(out, sizeof out, "%s.", signing);
    s_b64(sig, sig_len, true, out + strlen(out));
    free(signing);
    return out;
}

static const char *s_check(const char *jws, const char *statement)
{
    json_t *st = json_loads(statement, 0, NULL);
    assert_non_null(st);
    const char *why = xapi_signature_check((const uint8_t *)jws, strlen(jws), st, 1);
    json_decref(st);
    return why;
}

static void s_refused(const char *jws, const char *statement, const char *reason)
{
    const char *why = s_check(jws, statement);
    if (!why || !strstr(why, reason)) fail_msg("expected \"%s\", got %s", reason, why ? why : "OK");
}

static void test_valid_signatures(void **state)
{
    (void)state;
    char header[5000];
    snprintf(header, sizeof header, "{\"alg\":\"RS256\",\"x5c\":[\"%s\"]}", s_x5c);
    assert_null(s_check(s_jws(header, STATEMENT, s_key, EVP_sha256()), STATEMENT));
    snprintf(header, sizeof header, "{\"alg\":\"RS512\",\"x5c\":[\"%s\"]}", s_x5c);
    assert_null(s_check(s_jws(header, STATEMENT, s_key, EVP_sha512()), STATEMENT));
    /* without a certificate the LRS cannot verify, only compare */
    assert_null(s_check(s_jws("{\"alg\":\"RS384\"}", STATEMENT, s_other, EVP_sha384()), STATEMENT));
    /* what the LRS adds does not count: authority, stored, version, and the signature itself */
    const char *stored =
        "{\"id\":\"0b7e6c1e-3f0a-4c55-9d53-2f4a2f1f7a10\",\"actor\":{\"mbox\":\"mailto:a@x.cn\"},"
        "\"verb\":{\"id\":\"http://adlnet.gov/expapi/verbs/passed\"},"
        "\"object\":{\"id\":\"http://x.cn/a\"},\"result\":{\"score\":{\"raw\":88}},"
        "\"version\":\"1.0.0\",\"authority\":{\"mbox\":\"mailto:lrs@x.cn\"},"
        "\"attachments\":[{\"usageType\":\"http://adlnet.gov/expapi/attachments/signature\","
        "\"display\":{\"en\":\"s\"},\"contentType\":\"application/octet-stream\",\"length\":1,"
        "\"sha2\":\"00\"}]}";
    assert_null(s_check(s_jws(header, STATEMENT, s_key, EVP_sha512()), stored));
}

static void test_bad_signatures(void **state)
{
    (void)state;
    char header[5000];
    snprintf(header, sizeof header, "{\"alg\":\"RS256\",\"x5c\":[\"%s\"]}", s_x5c);
    s_refused(s_jws(header, STATEMENT, s_other, EVP_sha256()), STATEMENT, "does not verify");
    s_refused(s_jws(header, STATEMENT, s_key, EVP_sha256()),
              "{\"actor\":{\"mbox\":\"mailto:b@x.cn\"},\"verb\":{\"id\":\"http://x.cn/v\"},"
              "\"object\":{\"id\":\"http://x.cn/a\"}}",
              "not the statement it signs");
    s_refused(s_jws("{\"alg\":\"HS256\"}", STATEMENT, s_key, EVP_sha256()), STATEMENT, "RS256");
    s_refused(s_jws("{\"alg\":\"none\"}", STATEMENT, s_key, EVP_sha256()), STATEMENT, "RS256");
    s_refused(s_jws("[1]", STATEMENT, s_key, EVP_sha256()), STATEMENT, "header");
    s_refused(s_jws("{\"alg\":\"RS256\"}", "[1]", s_key, EVP_sha256()), STATEMENT, "payload");
    s_refused(s_jws("{\"alg\":\"RS256\"}", "{\"not\":\"a statement\"}", s_key, EVP_sha256()),
              STATEMENT, "not the statement");
    s_refused(s_jws("{\"alg\":\"RS256\",\"x5c\":\"not an array\"}", STATEMENT, s_key, EVP_sha256()),
              STATEMENT, "x5c");
    s_refused(s_jws("{\"alg\":\"RS256\",\"x5c\":[\"!!!\"]}", STATEMENT, s_key, EVP_sha256()),
              STATEMENT, "x5c");
    /* shapes that are no JWS at all */
    s_refused("", STATEMENT, "compact serialization");
    s_refused("a.b", STATEMENT, "compact serialization");
    s_refused("a.b.c.d", STATEMENT, "compact serialization");
    s_refused("eyJ+.e30.YQ", STATEMENT, "header"); /* '+' is not base64url */
    s_refused("eyJhbGciOiJSUzI1NiJ9.e30.", STATEMENT, "signature is not base64url");
    s_refused("eyJhbGciOiJSUzI1NiJ9.A.YQ", STATEMENT, "payload"); /* one character: no byte */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_signatures),
        cmocka_unit_test(test_bad_signatures),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
