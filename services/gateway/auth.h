/* Authentication: "Authorization: Bearer yx_<key_id>_<secret>" or, for platforms, HTTP
 * Basic with <key_id>:<secret>. */
#ifndef YX_AUTH_H
#define YX_AUTH_H
#include "keys.h"

/* The key the header proves, or NULL when it is missing, malformed or wrong. */
const yx_key_t *yx_auth_check(const yx_keys_t *keys, const char *authorization);

#endif
