/* API key cache: an open-addressing table rebuilt wholesale on every reload, so a lookup
 * never sees a half-updated set. */
#include "keys.h"
#include "common.pb-c.h"
#include "yx_db.h"
#include "yx_log.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    yx_key_t *entries;
    size_t count;
    size_t *slots; /* entry index + 1; 0 marks an empty slot */
    size_t mask;
} s_set_t;

struct yx_keys {
    s_set_t set;
    bool loaded;
};

static uint64_t s_hash(const char *key_id)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (int i = 0; i < YX_KEY_ID_LEN; i++)
        h = (h ^ (unsigned char)key_id[i]) * 1099511628211ULL;
    return h;
}

static void s_set_free(s_set_t *set)
{
    for (size_t i = 0; i < set->count; i++) {
        free(set->entries[i].school_id);
        free(set->entries[i].platform);
        free(set->entries[i].teacher_id);
        free(set->entries[i].home_page);
    }
    free(set->entries);
    free(set->slots);
    memset(set, 0, sizeof *set);
}

static int s_hex_decode(const char *hex, unsigned char *out, size_t n)
{
    if (strlen(hex) != 2 * n) return -1;
    for (size_t i = 0; i < 2 * n; i++) {
        char c = hex[i];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0) return -1;
        if (i % 2 == 0)
            out[i / 2] = (unsigned char)(v << 4);
        else
            out[i / 2] |= (unsigned char)v;
    }
    return 0;
}

int yx_keys_role(const char *name)
{
    static const struct {
        const char *name;
        int role;
    } roles[] = {{"county_admin", YX__ROLE__ROLE_COUNTY_ADMIN},
                 {"school_admin", YX__ROLE__ROLE_SCHOOL_ADMIN},
                 {"platform", YX__ROLE__ROLE_PLATFORM},
                 {"teacher", YX__ROLE__ROLE_TEACHER}};
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        if (strcmp(name, roles[i].name) == 0) return roles[i].role;
    return YX__ROLE__ROLE_NONE;
}

static const yx_key_t *s_find(const s_set_t *set, const char *key_id)
{
    if (!set->slots) return NULL;
    for (size_t i = s_hash(key_id) & set->mask;; i = (i + 1) & set->mask) {
        size_t slot = set->slots[i];
        if (!slot) return NULL;
        if (memcmp(set->entries[slot - 1].key_id, key_id, YX_KEY_ID_LEN) == 0)
            return &set->entries[slot - 1];
    }
}

static int s_set_build(s_set_t *set, PGresult *res)
{
    size_t rows = (size_t)PQntuples(res);
    size_t cap = 16;
    while (cap < rows * 2)
        cap *= 2;
    set->entries = calloc(rows ? rows : 1, sizeof *set->entries);
    set->slots = calloc(cap, sizeof *set->slots);
    set->mask = cap - 1;
    if (!set->entries || !set->slots) return -1;
    for (size_t r = 0; r < rows; r++) {
        yx_key_t *key = &set->entries[set->count];
        const char *key_id = PQgetvalue(res, (int)r, 0);
        key->role = yx_keys_role(PQgetvalue(res, (int)r, 1));
        if (strlen(key_id) != YX_KEY_ID_LEN || key->role == YX__ROLE__ROLE_NONE ||
            s_hex_decode(PQgetvalue(res, (int)r, 5), key->secret_hash, 32) < 0) {
            yx_warn(NULL, "skipped malformed api key row %zu", r);
            continue;
        }
        memcpy(key->key_id, key_id, YX_KEY_ID_LEN + 1);
        key->school_id = strdup(PQgetvalue(res, (int)r, 2));
        key->platform = strdup(PQgetvalue(res, (int)r, 3));
        key->teacher_id = strdup(PQgetvalue(res, (int)r, 4));
        key->home_page = strdup(PQgetvalue(res, (int)r, 6));
        set->count++; /* counted before the checks below so s_set_free frees the strings */
        if (!key->school_id || !key->platform || !key->teacher_id || !key->home_page) return -1;
        if (s_find(set, key->key_id)) continue; /* the primary key forbids it; stay safe */
        size_t i = s_hash(key->key_id) & set->mask;
        while (set->slots[i])
            i = (i + 1) & set->mask;
        set->slots[i] = set->count;
    }
    return 0;
}

yx_keys_t *yx_keys_new(void)
{
    return calloc(1, sizeof(yx_keys_t));
}

void yx_keys_destroy(yx_keys_t **self_p)
{
    yx_keys_t *self = *self_p;
    if (!self) return;
    s_set_free(&self->set);
    free(self);
    *self_p = NULL;
}

int yx_keys_load(yx_keys_t *self, PGconn *db)
{
    PGresult *res = yx_db_query(db,
                                "SELECT key_id, role, coalesce(school_id, ''),"
                                " coalesce(platform, ''), coalesce(teacher_id, ''), secret_hash,"
                                " coalesce(home_page, '')"
                                " FROM auth.keys WHERE revoked_at IS NULL",
                                0, NULL);
    if (!res) return -1;
    s_set_t set = {0};
    int rc = s_set_build(&set, res);
    PQclear(res);
    if (rc < 0) {
        s_set_free(&set);
        yx_error(NULL, "could not load api keys: out of memory");
        return -1;
    }
    s_set_free(&self->set);
    self->set = set;
    self->loaded = true;
    return 0;
}

const yx_key_t *yx_keys_verify(const yx_keys_t *self, const char *key_id, const char *secret,
                               size_t secret_len)
{
    static const unsigned char nothing[32];
    unsigned char hash[32];
    SHA256((const unsigned char *)secret, secret_len, hash);
    const yx_key_t *key = s_find(&self->set, key_id);
    /* Compare even for an unknown id so timing does not tell which ids exist. */
    int differs = CRYPTO_memcmp(hash, key ? key->secret_hash : nothing, sizeof hash);
    return key && !differs ? key : NULL;
}

bool yx_keys_loaded(const yx_keys_t *self)
{
    return self->loaded;
}

size_t yx_keys_count(const yx_keys_t *self)
{
    return self->set.count;
}
