/* The verification page. Everything shown comes from the service's JSON document and is
 * HTML-escaped; the page loads nothing (no scripts, images, fonts or styles from elsewhere)
 * and says so in its Content-Security-Policy. */
#include "verify_page.h"
#include "reply.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <jansson.h>
#include <string.h>
#include <strings.h>

/* ---- content negotiation ------------------------------------------------------------ */

static const char *s_skip_spaces(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

static bool s_token_is(const char *s, size_t n, const char *word)
{
    return n == strlen(word) && strncasecmp(s, word, n) == 0;
}

/* "q=0.8" within [p, end): 0-1000; 1000 when absent, 0 when malformed. */
static int s_quality(const char *p, const char *end)
{
    while (p < end) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        if (!semi) return 1000;
        p = s_skip_spaces(semi + 1, end);
        if (end - p < 2 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=') continue;
        p += 2;
        if (p < end && *p == '1') return 1000;
        if (p >= end || *p != '0') return 0;
        int q = 0, scale = 100;
        if (++p < end && *p == '.')
            for (p++; p < end && *p >= '0' && *p <= '9' && scale > 0; p++, scale /= 10)
                q += (*p - '0') * scale;
        return q;
    }
    return 1000;
}

/* The weight Accept gives type/subtype: the q of the most specific matching range. */
static int s_weight(const char *accept, const char *type, const char *subtype)
{
    int best = 0, weight = 0;
    for (const char *p = accept; *p;) {
        const char *end = p + strcspn(p, ",");
        const char *range = s_skip_spaces(p, end);
        const char *params = range + strcspn(range, ";,");
        const char *range_end = params;
        while (range_end > range && (range_end[-1] == ' ' || range_end[-1] == '\t'))
            range_end--;
        const char *slash = memchr(range, '/', (size_t)(range_end - range));
        if (slash) {
            size_t tn = (size_t)(slash - range), sn = (size_t)(range_end - slash - 1);
            bool any_type = s_token_is(range, tn, "*"), any_sub = s_token_is(slash + 1, sn, "*");
            int specificity = any_type && any_sub                      ? 1
                              : s_token_is(range, tn, type) && any_sub ? 2
                              : s_token_is(range, tn, type) && s_token_is(slash + 1, sn, subtype)
                                  ? 3
                                  : 0;
            if (specificity > best) {
                best = specificity;
                weight = s_quality(params, end);
            }
        }
        p = *end ? end + 1 : end;
    }
    return weight;
}

bool yx_verify_prefers_html(const char *accept)
{
    return accept && s_weight(accept, "text", "html") > s_weight(accept, "application", "json");
}

/* ---- the page --------------------------------------------------------------------- */

typedef enum { S_VALID, S_INVALID, S_REVOKED } s_verdict_t;

static void s_escaped(struct evbuffer *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            evbuffer_add(out, "&amp;", 5);
            break;
        case '<':
            evbuffer_add(out, "&lt;", 4);
            break;
        case '>':
            evbuffer_add(out, "&gt;", 4);
            break;
        case '"':
            evbuffer_add(out, "&quot;", 6);
            break;
        case '\'':
            evbuffer_add(out, "&#39;", 5);
            break;
        default:
            evbuffer_add(out, s, 1);
        }
    }
}

/* The verification answer: {"certificate_id", "valid", "revoked", "revoked_at",
 * "revoke_reason", "teacher_name", "program_name", "issued_at"}. */
static const char *s_text(json_t *doc, const char *key)
{
    const char *v = json_string_value(json_object_get(doc, key));
    return v && *v ? v : NULL;
}

static s_verdict_t s_verdict(json_t *doc)
{
    if (json_is_true(json_object_get(doc, "revoked"))) return S_REVOKED;
    return json_is_true(json_object_get(doc, "valid")) ? S_VALID : S_INVALID;
}

static void s_row(struct evbuffer *out, const char *label, const char *value, bool date)
{
    if (!value) return;
    evbuffer_add_printf(out, "<dt>%s</dt><dd>", label);
    /* 2025-07-01T08:00:00Z reads as 2025-07-01 */
    if (date && strlen(value) > 10 && value[4] == '-' && value[7] == '-' && value[10] == 'T') {
        char day[11];
        memcpy(day, value, 10);
        day[10] = '\0';
        s_escaped(out, day);
    } else {
        s_escaped(out, value);
    }
    evbuffer_add(out, "</dd>", 5);
}

static void s_page(struct evbuffer *out, s_verdict_t verdict, json_t *doc, const char *id)
{
    static const char *const head =
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<title>证书验证 Certificate verification</title><style>"
        "body{font-family:system-ui,\"PingFang SC\",\"Microsoft YaHei\",sans-serif;"
        "max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222;line-height:1.5}"
        "h1{font-size:1.3rem}h1 small{color:#666;font-weight:normal}"
        ".verdict{font-size:1.5rem;font-weight:bold;padding:1rem;border-radius:.5rem}"
        ".verdict span{display:block;font-size:1rem;font-weight:normal}"
        ".valid{background:#e6f4ea;color:#14532d}.invalid{background:#fdecea;color:#7f1d1d}"
        ".revoked{background:#fff4e5;color:#7c2d12}"
        "dl{display:grid;grid-template-columns:max-content 1fr;gap:.4rem 1rem}"
        "dt{color:#555}dd{margin:0;word-break:break-all}"
        "footer{margin-top:2rem;color:#777;font-size:.85rem}</style></head><body>"
        "<h1>证书验证 <small>Certificate verification</small></h1>";
    static const char *const verdicts[] = {
        [S_VALID] = "<p class=\"verdict valid\">✔ 证书有效<span>This certificate is valid."
                    "</span></p>",
        [S_INVALID] = "<p class=\"verdict invalid\">✘ 证书无效<span>No valid certificate has "
                      "this number.</span></p>",
        [S_REVOKED] = "<p class=\"verdict revoked\">✘ 已撤销<span>This certificate has been "
                      "revoked.</span></p>",
    };
    evbuffer_add(out, head, strlen(head));
    evbuffer_add(out, verdicts[verdict], strlen(verdicts[verdict]));
    evbuffer_add(out, "<dl>", 4);
    s_row(out, "证书编号 Certificate", id, false);
    if (doc && verdict != S_INVALID) {
        s_row(out, "教师 Teacher", s_text(doc, "teacher_name"), false);
        s_row(out, "研修项目 Program", s_text(doc, "program_name"), false);
        s_row(out, "颁发日期 Issued", s_text(doc, "issued_at"), true);
    }
    if (doc && verdict == S_REVOKED) {
        s_row(out, "撤销日期 Revoked", s_text(doc, "revoked_at"), true);
        s_row(out, "撤销原因 Reason", s_text(doc, "revoke_reason"), false);
    }
    static const char tail[] = "</dl><footer>县教师发展中心 · County teacher development centre"
                               "</footer></body></html>\n";
    evbuffer_add(out, tail, sizeof tail - 1);
}

void yx_verify_render_html(yx_exchange_t *x, Yx__CreditsReply *reply)
{
    int code = (int)reply->status->code;
    if (code >= 500) { /* the check itself failed: not a verdict on the certificate */
        yx_credits_relay(x, reply);
        return;
    }
    json_t *doc = NULL;
    if (code < 300) {
        doc = json_loadb((const char *)reply->body.data, reply->body.len, 0, NULL);
        if (!json_is_object(doc)) {
            json_decref(doc);
            yx__credits_reply__free_unpacked(reply, NULL);
            yx_reply_error(x, 502, "invalid reply from credits: not a JSON object");
            return;
        }
    }
    yx__credits_reply__free_unpacked(reply, NULL);
    struct evbuffer *out = evbuffer_new();
    if (!out) {
        json_decref(doc);
        yx_reply_error(x, 500, "out of memory");
        return;
    }
    s_page(out, doc ? s_verdict(doc) : S_INVALID, doc, x->id);
    json_decref(doc);
    if (x->req) {
        struct evkeyvalq *headers = evhttp_request_get_output_headers(x->req);
        evhttp_add_header(headers, "Content-Security-Policy",
                          "default-src 'none'; style-src 'unsafe-inline'");
        evhttp_add_header(headers, "X-Content-Type-Options", "nosniff");
        evhttp_add_header(headers, "Referrer-Policy", "no-referrer");
    }
    yx_reply_buffer(x, code, "text/html; charset=utf-8", out);
    evbuffer_free(out);
}
