/* The in-memory cache of API keys: every non-revoked row of auth.keys, by key_id, so no
 * request waits for the database. Secrets are never stored, only their SHA-256. */
#ifndef YX_KEYS_H
#define YX_KEYS_H
#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#define YX_KEY_ID_LEN 12
#define YX_SECRET_MAX 128

typedef struct {
    char key_id[YX_KEY_ID_LEN + 1];
    int role; /* Yx__Role */
    char *school_id;
    char *platform;
    char *teacher_id;
    char *home_page; /* platforms: the IRI their xAPI accounts live under */
    unsigned char secret_hash[32];
} yx_key_t;

typedef struct yx_keys yx_keys_t;

yx_keys_t *yx_keys_new(void);
void yx_keys_destroy(yx_keys_t **self_p);
/* Replaces the whole set with the table's non-revoked keys; on failure keeps the old set. */
int yx_keys_load(yx_keys_t *self, PGconn *db);
/* The key when key_id exists and the secret's hash matches (constant-time), else NULL. */
const yx_key_t *yx_keys_verify(const yx_keys_t *self, const char *key_id, const char *secret,
                               size_t secret_len);
bool yx_keys_loaded(const yx_keys_t *self);
size_t yx_keys_count(const yx_keys_t *self);
/* Role from its name in auth.keys ("county_admin"...), 0 (ROLE_NONE) when unknown. */
int yx_keys_role(const char *name);

#endif
