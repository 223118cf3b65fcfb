/* Request helpers shared by the route handlers. */
#include "request.h"
#include "http_util.h"
#include "reply.h"
#include "yx_text.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *yx_req_query(const yx_exchange_t *x)
{
    if (x->query) return x->query;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(x->req);
    const char *query = uri ? evhttp_uri_get_query(uri) : NULL;
    return query ? query : "";
}

uint8_t *yx_req_body(yx_exchange_t *x, size_t *len)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(x->req);
    *len = evbuffer_get_length(in);
    uint8_t *data = *len ? evbuffer_pullup(in, -1) : NULL;
    if (!data) yx_reply_error(x, 400, "empty body");
    return data;
}

bool yx_req_content_type_in(const yx_exchange_t *x, const char *const *types, bool allow_missing)
{
    const char *type = evhttp_find_header(evhttp_request_get_input_headers(x->req), "Content-Type");
    if (!type) return allow_missing;
    size_t len = strcspn(type, "; \t");
    for (; *types; types++)
        if (strlen(*types) == len && strncasecmp(type, *types, len) == 0) return true;
    return false;
}

int yx_req_page(yx_exchange_t *x, Yx__PageRequest *page, char *cursor)
{
    const char *query = yx_req_query(x);
    char value[16];
    page->limit = 100;
    int rc = yx_query_param(query, "limit", value, sizeof value);
    if (rc != 0) {
        char *end;
        long n = rc > 0 ? strtol(value, &end, 10) : 0;
        if (rc < 0 || !*value || *end || n < 1 || n > 500) {
            yx_reply_error(x, 400, "limit must be a whole number from 1 to 500");
            return -1;
        }
        page->limit = (uint32_t)n;
    }
    rc = yx_query_param(query, "cursor", cursor, YX_CURSOR_MAX + 1);
    if (rc < 0 || (rc > 0 && !yx_utf8_valid(cursor, strlen(cursor)))) {
        yx_reply_error(x, 400, "invalid cursor");
        return -1;
    }
    page->cursor = rc > 0 ? cursor : (char *)protobuf_c_empty_string;
    return 0;
}

int yx_req_text_param(yx_exchange_t *x, const char *name, char *out, size_t cap)
{
    int rc = yx_query_param(yx_req_query(x), name, out, cap);
    if (rc < 0 || (rc > 0 && !yx_utf8_valid(out, strlen(out)))) {
        yx_reply_error(x, 400, "invalid %s", name);
        return -1;
    }
    return rc;
}

void yx_req_bus_header(const yx_exchange_t *x, Yx__RequestHeader *header, Yx__Principal *principal,
                       int timeout_ms)
{
    const yx_key_t *key = x->key;
    if (key) {
        principal->role = key->role;
        principal->school_id = key->school_id;
        principal->platform = key->platform;
        principal->teacher_id = key->teacher_id;
        principal->key_id = (char *)key->key_id;
    }
    header->version = 1;
    header->request_id = (char *)x->request_id;
    header->principal = principal;
    header->deadline_unix_ms = yx_now_unix_ms() + timeout_ms;
}
