/* Reading an exchange's HTTP request (query, body, content type, paging) and the bus header
 * that carries its principal. Helpers that fail answer the exchange themselves. */
#ifndef YX_REQUEST_H
#define YX_REQUEST_H
#include "common.pb-c.h"
#include "gateway.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define YX_CURSOR_MAX 512

/* The raw query string, "" when none. */
const char *yx_req_query(const yx_exchange_t *x);
/* The whole body as one contiguous block. NULL (answered 400) when empty. */
uint8_t *yx_req_body(yx_exchange_t *x, size_t *len);
/* True when the request's media type (parameters ignored) is one of types (NULL-ended); a
 * missing Content-Type matches when allow_missing. */
bool yx_req_content_type_in(const yx_exchange_t *x, const char *const *types, bool allow_missing);
/* limit (1-500, default 100) and cursor (into cursor[YX_CURSOR_MAX + 1]). 0 ok, -1 answered
 * 400. */
int yx_req_page(yx_exchange_t *x, Yx__PageRequest *page, char *cursor);
/* An optional text parameter, UTF-8, into out[cap]: 1 found, 0 absent, -1 answered 400. */
int yx_req_text_param(yx_exchange_t *x, const char *name, char *out, size_t cap);

/* Fills header and principal (from the exchange's key; none for public routes) for a bus
 * call whose deadline is timeout_ms from now. Valid while x->key and x are. */
void yx_req_bus_header(const yx_exchange_t *x, Yx__RequestHeader *header, Yx__Principal *principal,
                       int timeout_ms);

#endif
