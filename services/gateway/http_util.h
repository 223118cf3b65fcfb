/* Small HTTP helpers that do not allocate: clocks, request ids, %-decoding, query strings. */
#ifndef YX_HTTP_UTIL_H
#define YX_HTTP_UTIL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct evhttp_request;

/* Monotonic seconds, for durations. */
double yx_now(void);
/* Wall-clock milliseconds since the epoch, for deadlines on the bus. */
int64_t yx_now_unix_ms(void);
/* The request's X-Request-Id when sane (1-64 of [A-Za-z0-9._:-]), else a fresh 16-hex id. */
void yx_request_id(struct evhttp_request *req, char *out, size_t cap);
/* Decodes %XX escapes (and '+' as space when plus_is_space) of s[0..n) into out (NUL-
 * terminated). Returns the length, -1 on a bad escape or a NUL byte, -2 when longer than
 * cap - 1 bytes. */
int yx_percent_decode(const char *s, size_t n, char *out, size_t cap, bool plus_is_space);
/* Finds name in a query string and decodes its value into out.
 * Returns 1 found, 0 absent, -1 malformed or too long. */
int yx_query_param(const char *query, const char *name, char *out, size_t cap);
/* One name=value pair of a query string or form body, still %-encoded. */
typedef struct {
    const char *name, *value;
    size_t name_len, value_len;
} yx_query_pair_t;
/* The next pair of *query (empty pairs skipped), moving *query past it. false at the end. */
bool yx_query_next(const char **query, yx_query_pair_t *pair);
/* Whether the pair's (still encoded) name is exactly name. */
bool yx_query_pair_is(const yx_query_pair_t *pair, const char *name);
/* True when the peer connected from a loopback address. */
bool yx_peer_is_loopback(struct evhttp_request *req);

#endif
