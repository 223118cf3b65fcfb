/* The county's signing key, loaded (or made) once at start and kept for the process's life. */
#include "certificate.h"
#include "yx_config.h"
#include "yx_log.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct signer {
    yx_sign_key_t *key;
    char *public_key; /* base64 of the raw key, as documents carry it */
};

/* The public file is derived data: rewritten when absent or when it names another key
 * (e.g. after the private key was replaced), so what operators hand out stays right. */
static int s_publish(const yx_sign_key_t *key, const char *private_path)
{
    char path[4096], err[512];
    if (yx_sign_public_path(private_path, path, sizeof path) < 0) {
        yx_error(NULL, "signing key path too long: %s", private_path);
        return -1;
    }
    yx_sign_key_t *published = yx_sign_load_public(path, NULL, 0);
    uint8_t a[YX_SIGN_PUBLIC_LEN], b[YX_SIGN_PUBLIC_LEN];
    bool same = published && yx_sign_public_raw(published, a) == 0 &&
                yx_sign_public_raw(key, b) == 0 && memcmp(a, b, sizeof a) == 0;
    yx_sign_key_destroy(&published);
    if (same) return 0;
    if (yx_sign_write_public(key, path, err, sizeof err) < 0) {
        yx_error(NULL, "%s", err);
        return -1;
    }
    yx_info(NULL, "wrote the county's public key to %s", path);
    return 0;
}

signer_t *signer_load_or_create(void)
{
    char def[4096], err[512];
    const char *path = yx_config_str(
        "YANXIU_SIGNING_KEY", yx_config_var_path("keys/county-ed25519.pem", def, sizeof def));
    bool created;
    yx_sign_key_t *key = yx_sign_load_or_create(path, &created, err, sizeof err);
    if (!key) {
        yx_error(NULL, "no signing key: %s", err);
        return NULL;
    }
    if (created) yx_info(NULL, "created the county's signing key %s", path);
    struct stat st;
    if (stat(path, &st) == 0 && (st.st_mode & 077))
        yx_warn(NULL, "signing key %s is readable by others than its owner (chmod 600)", path);

    signer_t *self = calloc(1, sizeof *self);
    if (self) self->public_key = yx_sign_public_base64(key);
    if (!self || !self->public_key || s_publish(key, path) < 0) {
        if (self) free(self->public_key);
        free(self);
        yx_sign_key_destroy(&key);
        return NULL;
    }
    self->key = key;
    return self;
}

void signer_destroy(signer_t **self_p)
{
    if (!self_p || !*self_p) return;
    yx_sign_key_destroy(&(*self_p)->key);
    free((*self_p)->public_key);
    free(*self_p);
    *self_p = NULL;
}

json_t *signer_sign(const signer_t *self, json_t *payload)
{
    return yx_sign_document(self->key, payload);
}

json_t *signer_document(const signer_t *self, json_t *payload, const char *signature)
{
    if (!payload) return NULL;
    return json_pack("{s:o, s:s, s:s, s:s}", "payload", payload, "signature", signature,
                     "algorithm", YX_SIGN_ALGORITHM, "public_key", self->public_key);
}

bool signer_check(const signer_t *self, const json_t *doc)
{
    return yx_sign_check(doc, self->key, NULL, 0) == 0;
}
