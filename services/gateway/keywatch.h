/* Keeps the key cache in step with auth.keys: connects without blocking the loop, applies
 * the gateway's migrations, LISTENs on yanxiu_keys and reloads on every notification.
 * When the connection drops it reconnects with backoff and keeps serving the old cache. */
#ifndef YX_KEYWATCH_H
#define YX_KEYWATCH_H
#include "keys.h"

#include <stdbool.h>

struct event_base;
typedef struct yx_keywatch yx_keywatch_t;

yx_keywatch_t *yx_keywatch_new(struct event_base *base, const char *db_url, yx_keys_t *keys);
void yx_keywatch_destroy(yx_keywatch_t **self_p);
/* True while LISTENing on a live connection. */
bool yx_keywatch_connected(const yx_keywatch_t *self);

#endif
