/* HTTP helpers. Request ids come from a counter mixed by splitmix64: unique in the process,
 * unpredictable enough for log correlation, and far cheaper than RAND_bytes per request. */
#include "http_util.h"

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

double yx_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t yx_now_unix_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool s_id_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == ':' || c == '-';
}

void yx_request_id(struct evhttp_request *req, char *out, size_t cap)
{
    const char *given = evhttp_find_header(evhttp_request_get_input_headers(req), "X-Request-Id");
    if (given) {
        size_t n = 0;
        while (given[n] && n < 65 && s_id_char(given[n]))
            n++;
        if (n > 0 && n <= 64 && !given[n] && n < cap) {
            memcpy(out, given, n + 1);
            return;
        }
    }
    static uint64_t counter;
    if (!counter && RAND_bytes((unsigned char *)&counter, sizeof counter) != 1)
        counter = (uint64_t)time(NULL);
    uint64_t z = (counter += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    snprintf(out, cap, "%016llx", (unsigned long long)z);
}

static int s_hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int yx_percent_decode(const char *s, size_t n, char *out, size_t cap, bool plus_is_space)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= n) return -1;
            int h = s_hexval(s[i + 1]), l = s_hexval(s[i + 2]);
            if (h < 0 || l < 0) return -1;
            c = (char)(h << 4 | l);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        if (c == '\0') return -1;
        if (o + 1 >= cap) return -2;
        out[o++] = c;
    }
    out[o] = '\0';
    return (int)o;
}

int yx_query_param(const char *query, const char *name, char *out, size_t cap)
{
    yx_query_pair_t pair;
    while (query && yx_query_next(&query, &pair))
        if (yx_query_pair_is(&pair, name))
            return yx_percent_decode(pair.value, pair.value_len, out, cap, true) < 0 ? -1 : 1;
    return 0;
}

bool yx_query_next(const char **query, yx_query_pair_t *pair)
{
    const char *p = *query;
    while (*p == '&')
        p++;
    if (!*p) return false;
    size_t len = strcspn(p, "&");
    const char *eq = memchr(p, '=', len);
    pair->name = p;
    pair->name_len = eq ? (size_t)(eq - p) : len;
    pair->value = eq ? eq + 1 : p + len;
    pair->value_len = eq ? len - pair->name_len - 1 : 0;
    *query = p + len;
    return true;
}

bool yx_query_pair_is(const yx_query_pair_t *pair, const char *name)
{
    return pair->name_len == strlen(name) && memcmp(pair->name, name, pair->name_len) == 0;
}

bool yx_peer_is_loopback(struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    if (!evcon) return false;
    char *address = NULL;
    ev_uint16_t port = 0;
    evhttp_connection_get_peer(evcon, &address, &port);
    return address && (strncmp(address, "127.", 4) == 0 || strcmp(address, "::1") == 0 ||
                       strncmp(address, "::ffff:127.", 11) == 0);
}
