/* yx_sign: Ed25519 sign/verify, tampering (payload, signature, key), the canonical form of a
 * payload, strict base64, and the county key files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "yx_sign.h"

/* A certificate payload as the credits service writes it. */
static json_t *s_payload(void)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:b, s:s, s:s}", "certificate_id",
                     "0b7e6c1e-3f0a-4c55-9d53-2f4a2f1f7a10", "program_id", "guopei-2025",
                     "program_name", "国培计划（2025）乡村教师能力提升", "teacher_id", "T0001",
                     "teacher_name", "欧阳明", "school_id", "S01", "total_points", 50.5, "passed",
                     1, "issued_at", "2025-11-23T10:00:00Z", "issuer", "county");
}

static void test_sign_then_verify(void **state)
{
    (void)state;
    yx_sign_key_t *key = yx_sign_generate();
    assert_non_null(key);
    assert_true(yx_sign_has_private(key));
    static const char msg[] = "{\"a\":1}";
    uint8_t sig[YX_SIGN_SIGNATURE_LEN];
    assert_int_equal(yx_sign_bytes(key, msg, strlen(msg), sig), 0);
    assert_true(yx_sign_verify_bytes(key, msg, strlen(msg), sig, sizeof sig));
    /* a signature of the wrong length is refused before OpenSSL sees it */
    assert_false(yx_sign_verify_bytes(key, msg, strlen(msg), sig, sizeof sig - 1));

    json_t *payload = s_payload();
    json_t *doc = yx_sign_document(key, payload);
    assert_non_null(doc);
    char why[200] = "";
    assert_int_equal(yx_sign_check(doc, key, why, sizeof why), 0);
    /* the public half alone verifies */
    uint8_t raw[YX_SIGN_PUBLIC_LEN];
    assert_int_equal(yx_sign_public_raw(key, raw), 0);
    yx_sign_key_t *pub = yx_sign_from_public_raw(raw);
    assert_false(yx_sign_has_private(pub));
    assert_int_equal(yx_sign_check(doc, pub, why, sizeof why), 0);
    assert_int_equal(yx_sign_bytes(pub, msg, strlen(msg), sig), -1);
    json_decref(doc);
    json_decref(payload);
    yx_sign_key_destroy(&pub);
    yx_sign_key_destroy(&key);
    assert_null(key);
    yx_sign_key_destroy(&key);
}

static void test_flipped_byte_fails(void **state)
{
    (void)state;
    yx_sign_key_t *key = yx_sign_generate();
    json_t *payload = s_payload();
    char *canonical = yx_sign_canonical(payload);
    size_t n = strlen(canonical);
    uint8_t sig[YX_SIGN_SIGNATURE_LEN];
    assert_int_equal(yx_sign_bytes(key, canonical, n, sig), 0);
    /* every byte of the payload, one at a time */
    for (size_t i = 0; i < n; i++) {
        canonical[i] ^= 0x01;
        assert_false(yx_sign_verify_bytes(key, canonical, n, sig, sizeof sig));
        canonical[i] ^= 0x01;
    }
    /* every byte of the signature */
    for (size_t i = 0; i < sizeof sig; i++) {
        sig[i] ^= 0x80;
        assert_false(yx_sign_verify_bytes(key, canonical, n, sig, sizeof sig));
        sig[i] ^= 0x80;
    }
    assert_true(yx_sign_verify_bytes(key, canonical, n, sig, sizeof sig));
    free(canonical);
    json_decref(payload);
    yx_sign_key_destroy(&key);
}

/* The test: the document verifies, and fails after one byte of the payload changes. */
static void test_document_value_changed(void **state)
{
    (void)state;
    yx_sign_key_t *key = yx_sign_generate();
    json_t *payload = s_payload();
    json_t *doc = yx_sign_document(key, payload);
    char why[200];
    assert_int_equal(yx_sign_check(doc, key, why, sizeof why), 0);

    json_t *p = json_object_get(doc, "payload");
    json_object_set_new(p, "total_points", json_real(60.5));
    assert_int_equal(yx_sign_check(doc, key, why, sizeof why), -1);
    assert_string_equal(why, "the signature does not match the payload");
    json_object_set_new(p, "total_points", json_real(50.5));
    assert_int_equal(yx_sign_check(doc, key, why, sizeof why), 0);
    json_object_set_new(p, "extra", json_true()); /* a member added to the payload */
    assert_int_equal(yx_sign_check(doc, key, why, sizeof why), -1);
    json_object_del(p, "extra");
    json_object_del(p, "passed"); /* or removed */
    assert_int_equal(yx_sign_check(doc, key, why, sizeof why), -1);
    json_decref(doc);
    json_decref(payload);
    yx_sign_key_destroy(&key);
}

/* Every single-byte change of the document as a file is caught: it no longer parses, or it
 * no longer verifies. */
static void test_document_file_every_byte(void **state)
{
    (void)state;
    yx_sign_key_t *key = yx_sign_generate();
    json_t *payload = s_payload();
    json_t *doc = yx_sign_document(key, payload);
    char *text = json_dumps(doc, JSON_COMPACT);
    size_t n = strlen(text);
    char why[200];
    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit++) {
            text[i] ^= (char)(1 << bit);
            json_t *parsed = json_loadb(text, n, JSON_REJECT_DUPLICATES, NULL);
            if (parsed) {
                if (yx_sign_check(parsed, key, why, sizeof why) == 0)
                    fail_msg("byte %zu bit %d changed and still valid: %s", i, bit, text);
                json_decref(parsed);
            }
            text[i] ^= (char)(1 << bit);
        }
    }
    json_t *parsed = json_loadb(text, n, JSON_REJECT_DUPLICATES, NULL);
    assert_int_equal(yx_sign_check(parsed, key, why, sizeof why), 0);
    json_decref(parsed);
    free(text);
    json_decref(doc);
    json_decref(payload);
    yx_sign_key_destroy(&key);
}

static void test_wrong_key_fails(void **state)
{
    (void)state;
    yx_sign_key_t *county = yx_sign_generate(), *other = yx_sign_generate();
    json_t *payload = s_payload();
    json_t *doc = yx_sign_document(county, payload);
    char why[200];
    assert_int_equal(yx_sign_check(doc, other, why, sizeof why), -1);
    assert_string_equal(why, "signed with another key than the trusted one");

    /* a forger who also swaps in his own public_key is still refused by the trusted key */
    json_t *forged = yx_sign_document(other, payload);
    assert_int_equal(yx_sign_check(forged, other, why, sizeof why), 0);
    assert_int_equal(yx_sign_check(forged, county, why, sizeof why), -1);
    /* and one who only claims the county's key has a signature that does not match */
    json_object_set(forged, "public_key", json_object_get(doc, "public_key"));
    assert_int_equal(yx_sign_check(forged, county, why, sizeof why), -1);
    assert_string_equal(why, "the signature does not match the payload");

    /* raw level: another key's signature of the same bytes */
    static const char msg[] = "payload";
    uint8_t sig[YX_SIGN_SIGNATURE_LEN];
    assert_int_equal(yx_sign_bytes(other, msg, sizeof msg - 1, sig), 0);
    assert_false(yx_sign_verify_bytes(county, msg, sizeof msg - 1, sig, sizeof sig));
    json_decref(forged);
    json_decref(doc);
    json_decref(payload);
    yx_sign_key_destroy(&county);
    yx_sign_key_destroy(&other);
}

static void test_malformed_documents(void **state)
{
    (void)state;
    yx_sign_key_t *key = yx_sign_generate();
    json_t *payload = s_payload();
    json_t *doc = yx_sign_document(key, payload);
    char why[200];
    json_t *copy = json_deep_copy(doc);
    json_object_set_new(copy, "algorithm", json_string("RS256"));
    assert_int_equal(yx_sign_check(copy, key, why, sizeof why), -1);
    assert_string_equal(why, "algorithm is not Ed25519");
    json_decref(copy);

    copy = json_deep_copy(doc);
    json_object_set_new(copy, "comment", json_string("hello"));
    assert_int_equal(yx_sign_check(copy, key, why, sizeof why), -1);
    assert_string_equal(why, "unexpected member \"comment\"");
    json_decref(copy);

    copy = json_deep_copy(doc);
    json_object_set_new(copy, "signature", json_string("AAAA"));
    assert_int_equal(yx_sign_check(copy, key, why, sizeof why), -1);
    assert_string_equal(why, "signature is not base64 of 64 bytes");
    json_object_del(copy, "signature");
    assert_int_equal(yx_sign_check(copy, key, why, sizeof why), -1);
    json_decref(copy);

    json_t *array = json_array();
    assert_int_equal(yx_sign_check(array, key, why, sizeof why), -1);
    assert_null(yx_sign_canonical(array));
    json_decref(array);
    json_decref(doc);
    json_decref(payload);
    yx_sign_key_destroy(&key);
}

static char *s_canonical_of(const char *text)
{
    json_error_t error;
    json_t *v = json_loads(text, 0, &error);
    assert_non_null(v);
    char *c = yx_sign_canonical(v);
    json_decref(v);
    return c;
}

static void test_canonical_form(void **state)
{
    (void)state;
    /* key order, whitespace and escapes of the input do not matter */
    char *a = s_canonical_of("{\"b\": 1, \"a\": {\"y\": [1, 2.5], \"x\": \"\\u6b27\\u9633\"},"
                             " \"c\": true, \"d\": null}");
    char *b = s_canonical_of("{\"d\":null,\"c\":true,\"a\":{\"x\":\"欧阳\",\"y\":[1,2.50]},"
                             "\n  \"b\":1}");
    assert_string_equal(a, b);
    /* compact, sorted at every level, UTF-8 kept */
    assert_string_equal(a, "{\"a\":{\"x\":\"欧阳\",\"y\":[1,2.5]},\"b\":1,\"c\":true,\"d\":null}");
    free(a);
    free(b);

    /* keys sort by bytes: upper case before lower case, ASCII before CJK */
    a = s_canonical_of("{\"学校\":1,\"b\":2,\"B\":3,\"a_b\":4,\"a\":5}");
    assert_string_equal(a, "{\"B\":3,\"a\":5,\"a_b\":4,\"b\":2,\"学校\":1}");
    free(a);

    /* reals: the same text whether the document carried 17 digits or 15 */
    a = s_canonical_of("{\"p\":0.10000000000000001}");
    b = s_canonical_of("{\"p\":0.1}");
    assert_string_equal(a, "{\"p\":0.1}");
    assert_string_equal(a, b);
    free(a);
    free(b);
    a = s_canonical_of("{\"p\":12.0}");
    assert_string_equal(a, "{\"p\":12.0}");
    free(a);

    /* a payload built in two orders in memory */
    json_t *x = json_object(), *y = json_object();
    json_object_set_new(x, "teacher_id", json_string("T1"));
    json_object_set_new(x, "passed", json_true());
    json_object_set_new(x, "total_points", json_real(40.25));
    json_object_set_new(y, "total_points", json_real(40.25));
    json_object_set_new(y, "teacher_id", json_string("T1"));
    json_object_set_new(y, "passed", json_true());
    a = yx_sign_canonical(x);
    b = yx_sign_canonical(y);
    assert_string_equal(a, b);
    assert_string_equal(a, "{\"passed\":true,\"teacher_id\":\"T1\",\"total_points\":40.25}");
    free(a);
    free(b);
    json_decref(x);
    json_decref(y);
}

/* A document rendered differently (pretty, reordered, 17-digit reals) still verifies. */
static void test_layout_does_not_matter(void **state)
{
    (void)state;
    yx_sign_key_t *key = yx_sign_generate();
    json_t *payload = s_payload();
    json_object_set_new(payload, "total_points", json_real(0.1 + 0.2)); /* 0.30000000000000004 */
    json_t *doc = yx_sign_document(key, payload);
    char *pretty = json_dumps(doc, JSON_INDENT(4) | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(17));
    json_t *parsed = json_loads(pretty, 0, NULL);
    char why[200];
    assert_int_equal(yx_sign_check(parsed, key, why, sizeof why), 0);
    json_decref(parsed);
    free(pretty);
    json_decref(doc);
    json_decref(payload);
    yx_sign_key_destroy(&key);
}

static void test_base64(void **state)
{
    (void)state;
    static const struct {
        const char *raw, *text;
    } vectors[] = {{"", ""},
                   {"f", "Zg=="},
                   {"fo", "Zm8="},
                   {"foo", "Zm9v"},
                   {"foob", "Zm9vYg=="},
                   {"fooba", "Zm9vYmE="},
                   {"foobar", "Zm9vYmFy"}}; /* RFC 4648 section 10 */
    uint8_t out[16];
    size_t len;
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        char *t = yx_sign_base64_encode(vectors[i].raw, strlen(vectors[i].raw));
        assert_string_equal(t, vectors[i].text);
        free(t);
        assert_int_equal(yx_sign_base64_decode(vectors[i].text, out, sizeof out, &len), 0);
        assert_int_equal(len, strlen(vectors[i].raw));
        assert_memory_equal(out, vectors[i].raw, len);
    }
    /* only the canonical text of some bytes decodes */
    static const char *const bad[] = {"Zg=",   "Zh==", "Zm9=", "Zg==Zg==", "Z===",  "Zm9v\n",
                                      " Zm9v", "Zm-v", "Zm_v", "====",     "Zm9vY", "Zg=a"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(yx_sign_base64_decode(bad[i], out, sizeof out, &len), -1);
    /* longer than the buffer */
    assert_int_equal(yx_sign_base64_decode("Zm9vYmFy", out, 5, &len), -1);
    /* all bytes survive */
    uint8_t all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    char *t = yx_sign_base64_encode(all, sizeof all);
    uint8_t back[256];
    assert_int_equal(yx_sign_base64_decode(t, back, sizeof back, &len), 0);
    assert_int_equal(len, sizeof all);
    assert_memory_equal(all, back, sizeof all);
    free(t);
}

static void test_key_files(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    char dir[200];
    snprintf(dir, sizeof dir, "%s/yx-sign-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(dir));
    char path[300], pub_path[300], err[400];
    snprintf(path, sizeof path, "%s/var/keys/county-ed25519.pem", dir);
    assert_int_equal(yx_sign_public_path(path, pub_path, sizeof pub_path), 0);
    char expected[300];
    snprintf(expected, sizeof expected, "%s/var/keys/county-ed25519.pub.pem", dir);
    assert_string_equal(pub_path, expected);

    bool created = false;
    yx_sign_key_t *key = yx_sign_load_or_create(path, &created, err, sizeof err);
    assert_non_null(key);
    assert_true(created);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char keys_dir[300];
    snprintf(keys_dir, sizeof keys_dir, "%s/var/keys", dir);
    assert_int_equal(stat(keys_dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(yx_sign_write_public(key, pub_path, err, sizeof err), 0);

    /* the second start loads the same key; the public file verifies its signatures */
    yx_sign_key_t *again = yx_sign_load_or_create(path, &created, err, sizeof err);
    assert_non_null(again);
    assert_false(created);
    yx_sign_key_t *pub = yx_sign_load_public(pub_path, err, sizeof err);
    assert_non_null(pub);
    json_t *payload = s_payload();
    json_t *doc = yx_sign_document(again, payload);
    assert_int_equal(yx_sign_check(doc, key, err, sizeof err), 0);
    assert_int_equal(yx_sign_check(doc, pub, err, sizeof err), 0);

    /* a private key is not a public key file, and garbage is no key; neither is replaced */
    assert_null(yx_sign_load_public(path, err, sizeof err));
    FILE *f = fopen(pub_path, "w");
    fputs("not a key\n", f);
    fclose(f);
    assert_null(yx_sign_load_public(pub_path, err, sizeof err));
    assert_null(yx_sign_load_or_create(pub_path, &created, err, sizeof err));
    assert_false(created);
    char missing[300];
    snprintf(missing, sizeof missing, "%s/absent.pub.pem", dir);
    assert_null(yx_sign_load_public(missing, err, sizeof err));

    json_decref(doc);
    json_decref(payload);
    yx_sign_key_destroy(&key);
    yx_sign_key_destroy(&again);
    yx_sign_key_destroy(&pub);
    unlink(path);
    unlink(pub_path);
    rmdir(keys_dir);
    snprintf(keys_dir, sizeof keys_dir, "%s/var", dir);
    rmdir(keys_dir);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_then_verify),
        cmocka_unit_test(test_flipped_byte_fails),
        cmocka_unit_test(test_document_value_changed),
        cmocka_unit_test(test_document_file_every_byte),
        cmocka_unit_test(test_wrong_key_fails),
        cmocka_unit_test(test_malformed_documents),
        cmocka_unit_test(test_canonical_form),
        cmocka_unit_test(test_layout_does_not_matter),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_key_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
