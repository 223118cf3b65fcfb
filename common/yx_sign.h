/* Ed25519 signatures over JSON documents (OpenSSL 3 EVP): the county's key pair as PEM files,
 * and the signed document a certificate travels as:
 *
 *   {"payload": {...}, "signature": "<base64>", "algorithm": "Ed25519",
 *    "public_key": "<base64 of the raw 32-byte public key>"}
 *
 * The signature is over the canonical form of the payload (yx_sign_canonical), which a
 * verifier recomputes from the parsed payload: how the document was laid out (whitespace,
 * key order) does not matter, any change of a value does. */
#ifndef YX_SIGN_H
#define YX_SIGN_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define YX_SIGN_PUBLIC_LEN 32
#define YX_SIGN_SIGNATURE_LEN 64
#define YX_SIGN_ALGORITHM "Ed25519"

typedef struct yx_sign_key yx_sign_key_t;

/* The private key in PEM (PKCS#8) at path. When the file is absent, a new key is generated and
 * written there (mode 0600, its directory created 0700); two processes racing to create it end
 * up with the same key. *created says which happened. NULL with a message in err on failure. */
yx_sign_key_t *yx_sign_load_or_create(const char *path, bool *created, char *err, size_t errlen);
/* An Ed25519 public key in PEM (SubjectPublicKeyInfo), as yx_sign_write_public writes it. */
yx_sign_key_t *yx_sign_load_public(const char *path, char *err, size_t errlen);
/* Writes the public half of key as PEM (mode 0644), replacing the file atomically. 0 or -1. */
int yx_sign_write_public(const yx_sign_key_t *key, const char *path, char *err, size_t errlen);
/* "<dir>/name.pub.pem" for "<dir>/name.pem" (else path + ".pub.pem"). 0, -1 when too long. */
int yx_sign_public_path(const char *private_path, char *buf, size_t size);

/* A fresh key pair in memory only. */
yx_sign_key_t *yx_sign_generate(void);
/* A public key from its raw 32 bytes. */
yx_sign_key_t *yx_sign_from_public_raw(const uint8_t raw[YX_SIGN_PUBLIC_LEN]);
void yx_sign_key_destroy(yx_sign_key_t **self_p);

bool yx_sign_has_private(const yx_sign_key_t *self);
int yx_sign_public_raw(const yx_sign_key_t *self, uint8_t raw[YX_SIGN_PUBLIC_LEN]);
/* The raw public key in base64 (44 characters), malloc'd; NULL when out of memory. */
char *yx_sign_public_base64(const yx_sign_key_t *self);

/* Ed25519 over msg[0..n). 0, or -1 (no private key, OpenSSL failure). */
int yx_sign_bytes(const yx_sign_key_t *self, const void *msg, size_t n,
                  uint8_t sig[YX_SIGN_SIGNATURE_LEN]);
bool yx_sign_verify_bytes(const yx_sign_key_t *self, const void *msg, size_t n, const uint8_t *sig,
                          size_t sig_len);

/* The bytes that are signed: the payload as jansson writes it compact, keys sorted by their
 * UTF-8 bytes at every level, non-ASCII text kept as UTF-8 (not \u escapes), reals with 15
 * significant digits (so a real read back from any faithful rendering prints the same).
 * malloc'd, NULL when payload is not an object. */
char *yx_sign_canonical(const json_t *payload);

/* A new signed document around payload (an object; the document holds its own reference).
 * NULL on failure. */
json_t *yx_sign_document(const yx_sign_key_t *key, json_t *payload);
/* 0 when doc is a document as above, with no other members, signed with exactly `trusted`
 * (its public_key must name that key). Else -1 with the reason in why. */
int yx_sign_check(const json_t *doc, const yx_sign_key_t *trusted, char *why, size_t why_len);

/* Base64 (RFC 4648, padded). encode: malloc'd, NULL when out of memory. decode is strict:
 * only the canonical encoding of some bytes is accepted (padding, zero trailing bits, no
 * whitespace), so no two texts decode alike. 0, or -1 when malformed or longer than max. */
char *yx_sign_base64_encode(const void *data, size_t n);
int yx_sign_base64_decode(const char *text, uint8_t *out, size_t max, size_t *out_len);

#endif
