/* Answering an exchange: every response carries X-Request-Id and a Content-Type, is counted
 * in the metrics and logged once. Exactly one reply per exchange. */
#ifndef YX_REPLY_H
#define YX_REPLY_H
#include "gateway.h"

#include <jansson.h>
#include <stddef.h>

struct evbuffer;

/* Sends body (stolen; NULL answers {"error": "out of memory"} with 500). */
void yx_reply_json(yx_exchange_t *x, int code, json_t *body);
/* {"error": message, "problems": []} */
void yx_reply_error(yx_exchange_t *x, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A body that outlives the reply (a string literal), sent without copying. */
void yx_reply_static(yx_exchange_t *x, int code, const char *content_type, const char *body,
                     size_t len);
/* The contents of body are moved into the reply. */
void yx_reply_buffer(yx_exchange_t *x, int code, const char *content_type, struct evbuffer *body);

/* A heap copy of x that stays valid until released, even when the client disconnects
 * meanwhile (its req then becomes NULL). NULL when out of memory. */
yx_exchange_t *yx_exchange_hold(const yx_exchange_t *x);
void yx_exchange_release(yx_exchange_t **x_p);

#endif
