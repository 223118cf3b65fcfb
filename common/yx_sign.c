/* Ed25519 keys, signatures and signed JSON documents, on OpenSSL 3's EVP interface only. */
#include "yx_sign.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_PEM 16384 /* a PEM key is a few hundred bytes; anything larger is not one */

struct yx_sign_key {
    EVP_PKEY *pkey;
    bool has_private;
};

static void s_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void s_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    ERR_clear_error(); /* the next OpenSSL call must not see our failure's leftovers */
}

static yx_sign_key_t *s_wrap(EVP_PKEY *pkey, bool has_private)
{
    if (!pkey) return NULL;
    yx_sign_key_t *self = calloc(1, sizeof *self);
    if (!self) {
        EVP_PKEY_free(pkey);
        return NULL;
    }
    self->pkey = pkey;
    self->has_private = has_private;
    return self;
}

/* Never prompt on a terminal for the passphrase of an encrypted PEM: refuse it instead. */
static int s_no_password(char *buf, int size, int rwflag, void *u)
{
    (void)buf, (void)size, (void)rwflag, (void)u;
    return -1;
}

/* The whole file, at most max bytes. -1 with errno set (EFBIG when larger). */
static int s_read_file(const char *path, char *buf, size_t max, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t n = 0;
    ssize_t r;
    char extra;
    /* one byte past max tells a file of exactly max bytes from a larger one */
    while ((r = n < max ? read(fd, buf + n, max - n) : read(fd, &extra, 1)) != 0) {
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 || n == max) {
            int saved = r < 0 ? errno : EFBIG;
            close(fd);
            errno = saved;
            return -1;
        }
        n += (size_t)r;
    }
    close(fd);
    *len = n;
    return 0;
}

static int s_write_all(int fd, const char *data, size_t n)
{
    while (n) {
        ssize_t w = write(fd, data, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        data += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Writes data to a new file `tmp` with mode, flushed to disk. 0 or -1 (errno; tmp removed). */
static int s_write_new(const char *tmp, mode_t mode, const char *data, size_t n)
{
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) return -1;
    if (s_write_all(fd, data, n) < 0 || fsync(fd) < 0) {
        int saved = errno;
        close(fd);
        unlink(tmp);
        errno = saved;
        return -1;
    }
    if (close(fd) < 0) {
        int saved = errno;
        unlink(tmp);
        errno = saved;
        return -1;
    }
    return 0;
}

/* Creates the directories leading to path's file: the key's own directory 0700 (only its
 * owner may list the keys), those above it 0755. Existing directories are left as they are. */
static int s_make_parents(const char *path)
{
    char dir[4096];
    if (strlen(path) >= sizeof dir) return errno = ENAMETOOLONG, -1;
    strcpy(dir, path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir) return 0;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(dir, 0755) < 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) return -1;
    return 0;
}

/* PEM text of the key (private PKCS#8 or public SPKI), malloc'd. */
static char *s_pem(EVP_PKEY *pkey, bool private_part, size_t *len)
{
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio) return NULL;
    int ok = private_part ? PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL)
                          : PEM_write_bio_PUBKEY(bio, pkey);
    char *text = NULL;
    char *data;
    long n = BIO_get_mem_data(bio, &data);
    if (ok == 1 && n > 0 && (text = malloc((size_t)n + 1))) {
        memcpy(text, data, (size_t)n);
        text[n] = '\0';
        *len = (size_t)n;
    }
    BIO_free(bio);
    return text;
}

static EVP_PKEY *s_parse_pem(const char *pem, size_t len, bool private_part)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (!bio) return NULL;
    EVP_PKEY *pkey = private_part ? PEM_read_bio_PrivateKey(bio, NULL, s_no_password, NULL)
                                  : PEM_read_bio_PUBKEY(bio, NULL, s_no_password, NULL);
    BIO_free(bio);
    if (pkey && !EVP_PKEY_is_a(pkey, "ED25519")) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    return pkey;
}

/* Reads a key file. NULL with errno ENOENT when it does not exist (the caller may create it). */
static yx_sign_key_t *s_load(const char *path, bool private_part, char *err, size_t errlen)
{
    char pem[MAX_PEM];
    size_t len;
    if (s_read_file(path, pem, sizeof pem, &len) < 0) {
        int saved = errno;
        s_err(err, errlen, "cannot read %s: %s", path,
              saved == EFBIG ? "too large for a key" : strerror(saved));
        errno = saved;
        return NULL;
    }
    EVP_PKEY *pkey = s_parse_pem(pem, len, private_part);
    OPENSSL_cleanse(pem, sizeof pem);
    if (!pkey) {
        s_err(err, errlen, "%s is not an unencrypted Ed25519 %s key in PEM", path,
              private_part ? "private" : "public");
        errno = EINVAL;
        return NULL;
    }
    return s_wrap(pkey, private_part);
}

yx_sign_key_t *yx_sign_generate(void)
{
    return s_wrap(EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"), true);
}

yx_sign_key_t *yx_sign_load_or_create(const char *path, bool *created, char *err, size_t errlen)
{
    *created = false;
    yx_sign_key_t *self = s_load(path, true, err, errlen);
    if (self || errno != ENOENT) return self; /* never overwrite a key we could not read */

    if (s_make_parents(path) < 0) {
        s_err(err, errlen, "cannot create the directory of %s: %s", path, strerror(errno));
        return NULL;
    }
    self = yx_sign_generate();
    size_t len = 0;
    char *pem = self ? s_pem(self->pkey, true, &len) : NULL;
    if (!pem) {
        yx_sign_key_destroy(&self);
        s_err(err, errlen, "cannot generate an Ed25519 key");
        return NULL;
    }
    /* Written whole under a temporary name, then linked into place: link() never replaces a
     * file, so a second instance starting at the same moment keeps the first one's key and
     * no one ever reads a half-written key. */
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    int rc = s_write_new(tmp, 0600, pem, len);
    OPENSSL_cleanse(pem, len);
    free(pem);
    if (rc == 0) {
        rc = link(tmp, path);
        int saved = errno;
        unlink(tmp);
        errno = saved;
    }
    if (rc == 0) {
        *created = true;
        return self;
    }
    yx_sign_key_destroy(&self);
    if (errno == EEXIST) return s_load(path, true, err, errlen);
    s_err(err, errlen, "cannot write %s: %s", path, strerror(errno));
    return NULL;
}

yx_sign_key_t *yx_sign_load_public(const char *path, char *err, size_t errlen)
{
    return s_load(path, false, err, errlen);
}

int yx_sign_write_public(const yx_sign_key_t *key, const char *path, char *err, size_t errlen)
{
    size_t len = 0;
    char *pem = s_pem(key->pkey, false, &len);
    if (!pem) {
        s_err(err, errlen, "cannot encode the public key");
        return -1;
    }
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    unlink(tmp); /* a leftover of a crashed run with our pid */
    int rc = s_write_new(tmp, 0644, pem, len);
    free(pem);
    if (rc == 0 && rename(tmp, path) < 0) {
        int saved = errno;
        unlink(tmp);
        errno = saved;
        rc = -1;
    }
    if (rc < 0) s_err(err, errlen, "cannot write %s: %s", path, strerror(errno));
    return rc;
}

int yx_sign_public_path(const char *private_path, char *buf, size_t size)
{
    size_t n = strlen(private_path);
    if (n > 4 && strcmp(private_path + n - 4, ".pem") == 0) n -= 4;
    int w = snprintf(buf, size, "%.*s.pub.pem", (int)n, private_path);
    return w < 0 || (size_t)w >= size ? -1 : 0;
}

yx_sign_key_t *yx_sign_from_public_raw(const uint8_t raw[YX_SIGN_PUBLIC_LEN])
{
    return s_wrap(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, YX_SIGN_PUBLIC_LEN),
                  false);
}

void yx_sign_key_destroy(yx_sign_key_t **self_p)
{
    if (!self_p || !*self_p) return;
    EVP_PKEY_free((*self_p)->pkey);
    free(*self_p);
    *self_p = NULL;
}

bool yx_sign_has_private(const yx_sign_key_t *self)
{
    return self->has_private;
}

int yx_sign_public_raw(const yx_sign_key_t *self, uint8_t raw[YX_SIGN_PUBLIC_LEN])
{
    size_t len = YX_SIGN_PUBLIC_LEN;
    if (EVP_PKEY_get_raw_public_key(self->pkey, raw, &len) != 1 || len != YX_SIGN_PUBLIC_LEN) {
        ERR_clear_error();
        return -1;
    }
    return 0;
}

char *yx_sign_public_base64(const yx_sign_key_t *self)
{
    uint8_t raw[YX_SIGN_PUBLIC_LEN];
    if (yx_sign_public_raw(self, raw) < 0) return NULL;
    return yx_sign_base64_encode(raw, sizeof raw);
}

int yx_sign_bytes(const yx_sign_key_t *self, const void *msg, size_t n,
                  uint8_t sig[YX_SIGN_SIGNATURE_LEN])
{
    if (!self->has_private) return -1;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t len = YX_SIGN_SIGNATURE_LEN;
    /* Ed25519 is one-shot and hashes internally: no digest is named */
    int ok = ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, self->pkey) == 1 &&
             EVP_DigestSign(ctx, sig, &len, msg, n) == 1 && len == YX_SIGN_SIGNATURE_LEN;
    EVP_MD_CTX_free(ctx);
    if (!ok) ERR_clear_error();
    return ok ? 0 : -1;
}

bool yx_sign_verify_bytes(const yx_sign_key_t *self, const void *msg, size_t n, const uint8_t *sig,
                          size_t sig_len)
{
    if (sig_len != YX_SIGN_SIGNATURE_LEN) return false;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, self->pkey) == 1 &&
              EVP_DigestVerify(ctx, sig, sig_len, msg, n) == 1;
    EVP_MD_CTX_free(ctx);
    ERR_clear_error(); /* a bad signature leaves an error on the queue */
    return ok;
}

char *yx_sign_canonical(const json_t *payload)
{
    if (!json_is_object(payload)) return NULL;
    /* 15 digits (DBL_DIG): any decimal of 15 significant digits survives a trip through a
     * double, so re-rendering a parsed real gives the same text whatever precision the
     * document was written with. */
    return json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
}

json_t *yx_sign_document(const yx_sign_key_t *key, json_t *payload)
{
    char *canonical = yx_sign_canonical(payload);
    if (!canonical) return NULL;
    uint8_t sig[YX_SIGN_SIGNATURE_LEN];
    int rc = yx_sign_bytes(key, canonical, strlen(canonical), sig);
    free(canonical);
    if (rc < 0) return NULL;
    char *sig64 = yx_sign_base64_encode(sig, sizeof sig);
    char *pub64 = yx_sign_public_base64(key);
    json_t *doc = sig64 && pub64
                      ? json_pack("{s:O, s:s, s:s, s:s}", "payload", payload, "signature", sig64,
                                  "algorithm", YX_SIGN_ALGORITHM, "public_key", pub64)
                      : NULL;
    free(sig64);
    free(pub64);
    return doc;
}

static int s_invalid(char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int s_invalid(char *why, size_t why_len, const char *fmt, ...)
{
    if (why && why_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, why_len, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static const char *s_member_text(const json_t *doc, const char *name)
{
    return json_string_value(json_object_get(doc, name));
}

int yx_sign_check(const json_t *doc, const yx_sign_key_t *trusted, char *why, size_t why_len)
{
    if (!json_is_object(doc)) return s_invalid(why, why_len, "not a signed document");
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)doc, key, value)
    {
        if (strcmp(key, "payload") && strcmp(key, "signature") && strcmp(key, "algorithm") &&
            strcmp(key, "public_key"))
            return s_invalid(why, why_len, "unexpected member \"%s\"", key);
    }
    const json_t *payload = json_object_get(doc, "payload");
    const char *sig64 = s_member_text(doc, "signature");
    const char *alg = s_member_text(doc, "algorithm");
    const char *pub64 = s_member_text(doc, "public_key");
    if (!json_is_object(payload)) return s_invalid(why, why_len, "no payload object");
    if (!sig64) return s_invalid(why, why_len, "no signature");
    if (!alg || strcmp(alg, YX_SIGN_ALGORITHM) != 0)
        return s_invalid(why, why_len, "algorithm is not %s", YX_SIGN_ALGORITHM);

    uint8_t claimed[YX_SIGN_PUBLIC_LEN], expected[YX_SIGN_PUBLIC_LEN];
    size_t len;
    if (!pub64 || yx_sign_base64_decode(pub64, claimed, sizeof claimed, &len) < 0 ||
        len != sizeof claimed)
        return s_invalid(why, why_len, "public_key is not a base64 Ed25519 public key");
    if (yx_sign_public_raw(trusted, expected) < 0)
        return s_invalid(why, why_len, "the trusted key is unusable");
    if (memcmp(claimed, expected, sizeof expected) != 0)
        return s_invalid(why, why_len, "signed with another key than the trusted one");

    uint8_t sig[YX_SIGN_SIGNATURE_LEN];
    if (yx_sign_base64_decode(sig64, sig, sizeof sig, &len) < 0 || len != sizeof sig)
        return s_invalid(why, why_len, "signature is not base64 of %d bytes",
                         YX_SIGN_SIGNATURE_LEN);
    char *canonical = yx_sign_canonical(payload);
    if (!canonical) return s_invalid(why, why_len, "out of memory");
    bool ok = yx_sign_verify_bytes(trusted, canonical, strlen(canonical), sig, len);
    free(canonical);
    if (!ok) return s_invalid(why, why_len, "the signature does not match the payload");
    return 0;
}

/* ---- base64 ------------------------------------------------------------------------ */

static const char s_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *yx_sign_base64_encode(const void *data, size_t n)
{
    const uint8_t *in = data;
    char *out = malloc((n + 2) / 3 * 4 + 1);
    if (!out) return NULL;
    char *o = out;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n) v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n) v |= in[i + 2];
        *o++ = s_alphabet[v >> 18 & 63];
        *o++ = s_alphabet[v >> 12 & 63];
        *o++ = i + 1 < n ? s_alphabet[v >> 6 & 63] : '=';
        *o++ = i + 2 < n ? s_alphabet[v & 63] : '=';
    }
    *o = '\0';
    return out;
}

static int s_sextet(char c)
{
    const char *p = c ? strchr(s_alphabet, c) : NULL;
    return p ? (int)(p - s_alphabet) : -1;
}

int yx_sign_base64_decode(const char *text, uint8_t *out, size_t max, size_t *out_len)
{
    size_t n = strlen(text);
    if (n % 4) return -1;
    size_t len = 0;
    for (size_t i = 0; i < n; i += 4) {
        bool last = i + 4 == n;
        int pad = last ? (text[i + 3] == '=') + (text[i + 2] == '=' && text[i + 3] == '=') : 0;
        int s[4] = {0};
        for (int k = 0; k < 4 - pad; k++)
            if ((s[k] = s_sextet(text[i + k])) < 0) return -1;
        uint32_t v =
            (uint32_t)s[0] << 18 | (uint32_t)s[1] << 12 | (uint32_t)s[2] << 6 | (uint32_t)s[3];
        /* the bits padding leaves unused must be zero, or two texts would give one value */
        if ((pad == 1 && (v & 0xff)) || (pad == 2 && (v & 0xffff))) return -1;
        if (len + 3 - (size_t)pad > max) return -1;
        out[len++] = (uint8_t)(v >> 16);
        if (pad < 2) out[len++] = (uint8_t)(v >> 8);
        if (pad < 1) out[len++] = (uint8_t)v;
    }
    *out_len = len;
    return 0;
}
