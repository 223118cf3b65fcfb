/* The "key" commands of yanxiuctl against auth.keys. Each returns the process exit code. */
#ifndef YX_KEY_CMD_H
#define YX_KEY_CMD_H
#include <libpq-fe.h>

typedef struct {
    const char *role;
    const char *label;
    const char *school;
    const char *platform;
    const char *teacher;
    const char *home_page; /* platforms only: the IRI of their xAPI accounts */
} yx_key_spec_t;

int yx_key_create(PGconn *db, const yx_key_spec_t *spec);
int yx_key_list(PGconn *db);
int yx_key_revoke(PGconn *db, const char *key_id);

#endif
