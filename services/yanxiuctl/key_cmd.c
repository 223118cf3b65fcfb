/* key create / list / revoke. Every change runs in one transaction with NOTIFY yanxiu_keys
 * so running gateways reload their cache without a restart. */
#include "key_cmd.h"
#include "token.h"
#include "yx_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CREATE_ATTEMPTS 5 /* a key id collision (48 random bits) is retried */

static int s_commit_with_notify(PGconn *db)
{
    if (yx_db_exec(db, "NOTIFY yanxiu_keys", 0, NULL) < 0 || yx_db_commit(db) < 0) {
        yx_db_rollback(db);
        return -1;
    }
    return 0;
}

int yx_key_create(PGconn *db, const yx_key_spec_t *spec)
{
    char key_id[YX_TOKEN_KEY_ID_LEN + 1], secret[YX_TOKEN_SECRET_LEN + 1];
    char hash[YX_TOKEN_HASH_LEN + 1];
    for (int attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
        if (yx_token_new(key_id, secret) < 0) {
            fprintf(stderr, "yanxiuctl: could not generate random bytes\n");
            return 1;
        }
        yx_token_hash(secret, hash);
        const char *params[] = {key_id,
                                spec->role,
                                spec->school,
                                spec->platform,
                                spec->teacher,
                                hash,
                                spec->label ? spec->label : "",
                                spec->home_page};
        if (yx_db_begin(db) < 0) break;
        if (yx_db_exec(db,
                       "INSERT INTO auth.keys (key_id, role, school_id, platform, teacher_id,"
                       " secret_hash, label, home_page) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                       8, params) < 0) {
            yx_db_rollback(db);
            if (strcmp(yx_db_last_sqlstate(), "23505") == 0) continue; /* unique_violation */
            break;
        }
        if (s_commit_with_notify(db) < 0) break;
        const char *scope = spec->school     ? spec->school
                            : spec->platform ? spec->platform
                            : spec->teacher  ? spec->teacher
                                             : "county";
        printf("created key %s (role %s, scope %s", key_id, spec->role, scope);
        if (spec->home_page) printf(", home page %s", spec->home_page);
        printf(")\n");
        if (spec->platform) {
            printf("HTTP Basic credentials (key id:secret), shown only once:\n");
            printf("%s:%s\n", key_id, secret);
        } else {
            printf("bearer token, shown only once:\n");
            printf("yx_%s_%s\n", key_id, secret);
        }
        return 0;
    }
    fprintf(stderr, "yanxiuctl: could not create key: %s\n", yx_db_last_error());
    return 1;
}

/* Display width: CJK and other wide characters take two columns. */
static int s_width(const char *s)
{
    int w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p & 0xc0) == 0x80) continue;
        w += *p >= 0xe3 ? 2 : 1; /* from U+3000 (CJK, fullwidth, emoji) up: wide */
    }
    return w;
}

/* Control characters in a label must not drive the terminal. */
static void s_sanitize(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) *s = '?';
}

int yx_key_list(PGconn *db)
{
    PGresult *res = yx_db_query(
        db,
        "SELECT key_id, role,"
        " CASE role WHEN 'county_admin' THEN 'county'"
        "  WHEN 'school_admin' THEN 'school:' || school_id"
        "  WHEN 'platform' THEN 'platform:' || platform"
        "  ELSE 'teacher:' || teacher_id END,"
        " label,"
        " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS\"Z\"'),"
        " coalesce(to_char(revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS\"Z\"'), '')"
        " FROM auth.keys ORDER BY created_at, key_id",
        0, NULL);
    if (!res) {
        fprintf(stderr, "yanxiuctl: could not list keys: %s\n", yx_db_last_error());
        return 1;
    }
    enum { COLS = 6 };
    static const char *const headers[COLS] = {"key_id", "role",    "scope",
                                              "label",  "created", "revoked"};
    int rows = PQntuples(res), width[COLS];
    for (int c = 0; c < COLS; c++) {
        width[c] = s_width(headers[c]);
        for (int r = 0; r < rows; r++) {
            s_sanitize(PQgetvalue(res, r, c));
            int w = s_width(PQgetvalue(res, r, c));
            if (w > width[c]) width[c] = w;
        }
    }
    for (int r = -1; r < rows; r++)
        for (int c = 0; c < COLS; c++) {
            const char *v = r < 0 ? headers[c] : PQgetvalue(res, r, c);
            if (c == COLS - 1)
                printf("%s\n", *v ? v : "-");
            else
                printf("%s%*s  ", *v ? v : "-", width[c] - s_width(*v ? v : "-"), "");
        }
    PQclear(res);
    return 0;
}

int yx_key_revoke(PGconn *db, const char *key_id)
{
    const char *params[] = {key_id};
    if (yx_db_begin(db) < 0) goto fail;
    PGresult *res = yx_db_query(db,
                                "UPDATE auth.keys SET revoked_at = now()"
                                " WHERE key_id = $1 AND revoked_at IS NULL RETURNING key_id",
                                1, params);
    if (!res) {
        yx_db_rollback(db);
        goto fail;
    }
    int revoked = PQntuples(res);
    PQclear(res);
    if (revoked) {
        if (s_commit_with_notify(db) < 0) goto fail;
        printf("revoked key %s\n", key_id);
        return 0;
    }
    yx_db_rollback(db);
    res = yx_db_query(db, "SELECT 1 FROM auth.keys WHERE key_id = $1", 1, params);
    if (!res) goto fail;
    int exists = PQntuples(res);
    PQclear(res);
    if (!exists) {
        fprintf(stderr, "yanxiuctl: no key %s\n", key_id);
        return 1;
    }
    printf("key %s was already revoked\n", key_id);
    return 0;
fail:
    fprintf(stderr, "yanxiuctl: could not revoke key: %s\n", yx_db_last_error());
    return 1;
}
