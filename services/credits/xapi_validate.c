/* The statement rules of xAPI 1.0.3, one small checker per object type of the data model.
 * Checkers walk the parsed document with a path stack, so the first problem names the
 * exact field; they stop at the first problem (one clear reason beats a cascade). */
#include "xapi_validate.h"
#include "xapi_signature.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define VOIDED_VERB "http://adlnet.gov/expapi/verbs/voided"

typedef struct {
    xapi_error_t *err;
    char path[XAPI_PATH_MAX];
    size_t len;
    int major;
    bool in_substatement;    /* nesting is forbidden, and id/stored/... too */
    bool object_is_activity; /* context.revision and context.platform need it */
    bool normalised;         /* the document was changed (contextActivities) */
} vctx_t;

typedef bool(check_fn)(vctx_t *v, json_t *value);

static bool s_fail(vctx_t *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool s_fail(vctx_t *v, const char *fmt, ...)
{
    snprintf(v->err->path, sizeof v->err->path, "%s", v->path);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->err->reason, sizeof v->err->reason, fmt, ap);
    va_end(ap);
    return false;
}

static size_t s_push(vctx_t *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t s_push(vctx_t *v, const char *fmt, ...)
{
    size_t mark = v->len, room = sizeof v->path - v->len;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(v->path + v->len, room, fmt, ap);
    va_end(ap);
    if (n > 0) v->len += (size_t)n < room ? (size_t)n : room - 1;
    return mark;
}

/* "[i]": on the path of every array element visited */
static size_t s_push_index(vctx_t *v, size_t i)
{
    char digits[24], *d = digits + sizeof digits;
    *--d = '\0';
    do
        *--d = (char)('0' + i % 10);
    while (i /= 10);
    size_t mark = v->len, n = (size_t)(digits + sizeof digits - 1 - d);
    if (v->len + n + 3 > sizeof v->path) return mark;
    v->path[v->len++] = '[';
    memcpy(v->path + v->len, d, n);
    v->len += n;
    v->path[v->len++] = ']';
    v->path[v->len] = '\0';
    return mark;
}

/* ".key": on the path of every field visited, so cheaper than a printf */
static size_t s_push_key(vctx_t *v, const char *key)
{
    size_t mark = v->len, n = strlen(key);
    if (v->len + n + 2 > sizeof v->path) return s_push(v, ".%s", key);
    v->path[v->len++] = '.';
    memcpy(v->path + v->len, key, n + 1);
    v->len += n;
    return mark;
}

/* A problem with one property of the object at the current path. */
static bool s_fail_at(vctx_t *v, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool s_fail_at(vctx_t *v, const char *key, const char *fmt, ...)
{
    char reason[XAPI_REASON_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    s_push_key(v, key);
    return s_fail(v, "%s", reason);
}

static void s_pop(vctx_t *v, size_t mark)
{
    v->len = mark;
    v->path[mark] = '\0';
}

/* Runs `check` on obj[key] with the path extended by the key. */
static bool s_field(vctx_t *v, json_t *obj, const char *key, bool required, check_fn *check)
{
    json_t *value = json_object_get(obj, key);
    if (!value && !required) return true;
    size_t mark = s_push_key(v, key);
    bool ok = value ? check(v, value) : s_fail(v, "is required");
    s_pop(v, mark);
    return ok;
}

static bool s_in(const char *key, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(key, *list) == 0) return true;
    return false;
}

/* Only the properties the specification names, spelt as it spells them, and no nulls
 * (extensions are never walked into, so their values may be anything). */
static bool s_keys(vctx_t *v, json_t *obj, const char *what, const char *const *allowed)
{
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value)
    {
        if (!s_in(key, allowed))
            return s_fail_at(v, key, "is not a property of %s (names are case-sensitive)", what);
        if (json_is_null(value)) return s_fail_at(v, key, "must not be null");
    }
    return true;
}

static bool s_object(vctx_t *v, json_t *value, const char *what)
{
    return json_is_object(value) ? true : s_fail(v, "must be %s (a JSON object)", what);
}

/* ---- formats ------------------------------------------------------------------ */

static bool s_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool s_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool s_digit(char c)
{
    return c >= '0' && c <= '9';
}

bool xapi_is_uuid(const char *s)
{
    static const int groups[] = {8, 4, 4, 4, 12};
    for (int g = 0; g < 5; g++) {
        for (int i = 0; i < groups[g]; i++, s++)
            if (!s_hex(*s)) return false;
        if (g < 4 && *s++ != '-') return false;
    }
    return *s == '\0';
}

/* Best effort (Data 2.2.s4.b6): a scheme, then characters an IRI may hold. */
bool xapi_is_iri(const char *s)
{
    if (!s_alpha(*s)) return false;
    const char *p = s + 1;
    while (s_alpha(*p) || s_digit(*p) || *p == '+' || *p == '-' || *p == '.')
        p++;
    if (*p++ != ':' || !*p) return false;
    for (; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c == 0x7f || strchr("<>\"{}|\\^`", c)) return false;
        if (c == '%' && !(s_hex(p[1]) && s_hex(p[2]))) return false;
    }
    return true;
}

bool xapi_is_mbox(const char *s)
{
    if (strncmp(s, "mailto:", 7) != 0) return false;
    const char *addr = s + 7, *at = strrchr(addr, '@');
    if (!at || at == addr || !at[1]) return false;
    for (const char *p = addr; *p; p++)
        if ((unsigned char)*p <= 0x20 || strchr("<>\"(),;:\\[]", *p)) return false;
    return true;
}

static bool s_is_sha1(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!s_hex(s[n])) return false;
    return n == 40;
}

/* RFC 5646 section 2.1: the sequence of subtag kinds and lengths, and the grandfathered
 * tags that do not follow it. */
static const char *const s_irregular[] = {
    "en-GB-oed", "i-ami", "i-bnn",     "i-default", "i-enochian", "i-hak",
    "i-klingon", "i-lux", "i-mingo",   "i-navajo",  "i-pwn",      "i-tao",
    "i-tay",     "i-tsu", "sgn-BE-FR", "sgn-BE-NL", "sgn-CH-DE",  NULL};

static bool s_all(const char *t, size_t n, bool (*is)(char))
{
    for (size_t i = 0; i < n; i++)
        if (!is(t[i])) return false;
    return true;
}

static bool s_alnum(char c)
{
    return s_alpha(c) || s_digit(c);
}

bool xapi_is_language_tag(const char *s)
{
    for (const char *const *g = s_irregular; *g; g++)
        if (strcasecmp(s, *g) == 0) return true;
    const char *tags[64];
    size_t lens[64], n = 0;
    for (const char *p = s;; n++) {
        if (n == 64) return false;
        size_t len = strcspn(p, "-");
        if (len < 1 || len > 8 || !s_all(p, len, s_alnum)) return false;
        tags[n] = p;
        lens[n] = len;
        if (!p[len]) {
            n++;
            break;
        }
        p += len + 1;
    }
    size_t i = 0;
#define ALPHA(k) s_all(tags[k], lens[k], s_alpha)
#define DIGITS(k) s_all(tags[k], lens[k], s_digit)
#define IS_X(k) (lens[k] == 1 && (tags[k][0] == 'x' || tags[k][0] == 'X'))
    if (!IS_X(0)) {
        if (!ALPHA(0) || lens[0] < 2) return false; /* language */
        i = 1;
        if (lens[0] <= 3) /* up to three extlang subtags */
            for (int e = 0; e < 3 && i < n && lens[i] == 3 && ALPHA(i); e++)
                i++;
        if (i < n && lens[i] == 4 && ALPHA(i)) i++; /* script */
        if (i < n && ((lens[i] == 2 && ALPHA(i)) || (lens[i] == 3 && DIGITS(i)))) i++;
        while (i < n && (lens[i] >= 5 || (lens[i] == 4 && s_digit(tags[i][0]))))
            i++; /* variants */
        bool seen[36] = {false};
        while (i < n && lens[i] == 1 && !IS_X(i)) { /* extensions, each singleton once */
            char c = tags[i][0];
            int slot = s_digit(c) ? c - '0' : 10 + ((c | 0x20) - 'a');
            if (seen[slot]) return false;
            seen[slot] = true;
            if (++i >= n || lens[i] < 2) return false;
            while (i < n && lens[i] >= 2)
                i++;
        }
    }
    if (i < n && IS_X(i)) /* private use: everything after it, at least one subtag */
        return i + 1 < n;
#undef ALPHA
#undef DIGITS
#undef IS_X
    return i == n;
}

/* ---- time ----------------------------------------------------------------------- */

static int64_t s_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int s_days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* n digits at *p into *out; advances */
static bool s_num(const char **p, int n, int *out)
{
    int value = 0;
    for (int i = 0; i < n; i++) {
        if (!s_digit((*p)[i])) return false;
        value = value * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = value;
    return true;
}

int xapi_parse_timestamp(const char *s, int64_t *us)
{
    int y, mo, d, h, mi, sec = 0;
    int64_t frac_us = 0;
    const char *p = s;
    if (!s_num(&p, 4, &y)) return -1;
    bool extended = *p == '-';
    if (extended) p++;
    if (!s_num(&p, 2, &mo) || (extended && *p++ != '-') || !s_num(&p, 2, &d)) return -1;
    if (*p != 'T' && *p != 't') return -1;
    p++;
    if (!s_num(&p, 2, &h)) return -1;
    if (extended && *p++ != ':') return -1;
    if (!s_num(&p, 2, &mi)) return -1;
    if ((extended && *p == ':') || (!extended && s_digit(*p))) {
        if (extended) p++;
        if (!s_num(&p, 2, &sec)) return -1;
        if (*p == '.' || *p == ',') {
            p++;
            if (!s_digit(*p)) return -1;
            int64_t scale = 100000;
            for (; s_digit(*p); p++, scale /= 10)
                frac_us += (*p - '0') * scale;
        }
    }
    if (mo < 1 || mo > 12 || d < 1 || d > s_days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59 ||
        y < 1)
        return -1;
    int offset_min = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
        if (!s_num(&p, 2, &oh)) return -1;
        if (*p == ':' && extended) p++;
        if (s_digit(*p) && !s_num(&p, 2, &om)) return -1;
        if (oh > 23 || om > 59) return -1;
        /* "-00:00" says the offset is unknown (RFC 3339 4.3): not an instant */
        if (sign < 0 && oh == 0 && om == 0) return -1;
        offset_min = sign * (oh * 60 + om);
    } else {
        return -1; /* no time zone: not an instant */
    }
    if (*p) return -1;
    int64_t seconds = s_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    *us = (seconds - (int64_t)offset_min * 60) * 1000000 + frac_us;
    return 0;
}

void xapi_format_timestamp(int64_t us, char out[32])
{
    int64_t ms = us >= 0 ? us / 1000 : (us - 999) / 1000;
    int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    int64_t rem = secs - days * 86400;
    /* civil_from_days (H. Hinnant) */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    /* the modulos only tell the compiler the ranges the arithmetic above guarantees */
    snprintf(out, 32, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", (unsigned)y % 10000u,
             (unsigned)m % 13u, (unsigned)d % 32u, (unsigned)(rem / 3600) % 24u,
             (unsigned)(rem % 3600 / 60) % 60u, (unsigned)(rem % 60) % 60u,
             (unsigned)(ms - secs * 1000) % 1000u);
}

int xapi_parse_duration(const char *s, int64_t *ms)
{
    static const char date_units[] = "YMD", time_units[] = "HMS";
    static const double date_ms[] = {-1, -1, 86400e3}, time_ms[] = {3600e3, 60e3, 1e3};
    const char *p = s;
    if (*p++ != 'P') return -1;
    double total = 0;
    bool calendar = false, any = false, fraction_seen = false, in_time = false;
    int next = 0; /* index of the next unit allowed in the current part */
    while (*p) {
        if (*p == 'T') {
            if (in_time || fraction_seen) return -1;
            in_time = true;
            next = 0;
            if (!*++p) return -1; /* "T" must introduce at least one part */
            continue;
        }
        if (fraction_seen || !s_digit(*p)) return -1; /* a fraction only on the last part */
        double value = 0;
        for (; s_digit(*p); p++)
            value = value * 10 + (*p - '0');
        if (*p == '.' || *p == ',') {
            p++;
            if (!s_digit(*p)) return -1;
            double scale = 0.1;
            for (; s_digit(*p); p++, scale /= 10)
                value += (*p - '0') * scale;
            fraction_seen = true;
        }
        char unit = *p;
        if (!unit) return -1; /* a number needs its unit */
        p++;
        if (!in_time && unit == 'W') {
            if (any || *p) return -1; /* weeks stand alone: "P4W1D" is not valid */
            *ms = value * 7 * 86400e3 < 9.2e18 ? llround(value * 7 * 86400e3) : -1;
            return 0;
        }
        const char *units = in_time ? time_units : date_units;
        const char *at = strchr(units + next, unit);
        if (!at) return -1; /* unknown unit, or out of order */
        int k = (int)(at - units);
        next = k + 1;
        double per = in_time ? time_ms[k] : date_ms[k];
        if (per < 0)
            calendar = true;
        else
            total += value * per;
        any = true;
    }
    if (!any) return -1;
    /* rounded: 0.29 s is 289.99999... ms in binary floating point */
    *ms = calendar || total >= 9.2e18 ? -1 : llround(total);
    return 0;
}

/* ---- checkers for value types ------------------------------------------------------- */

static bool s_string(vctx_t *v, json_t *value)
{
    return json_is_string(value) ? true : s_fail(v, "must be a string");
}

static bool s_iri(vctx_t *v, json_t *value)
{
    if (!json_is_string(value)) return s_fail(v, "must be an IRI string");
    return xapi_is_iri(json_string_value(value)) ? true : s_fail(v, "must be an IRI with a scheme");
}

/* An IRL is an IRI that locates something: the same best-effort check. */
static bool s_irl(vctx_t *v, json_t *value)
{
    if (!json_is_string(value)) return s_fail(v, "must be an IRL string");
    return xapi_is_iri(json_string_value(value)) ? true : s_fail(v, "must be an IRL with a scheme");
}

static bool s_uuid(vctx_t *v, json_t *value)
{
    if (!json_is_string(value)) return s_fail(v, "must be a UUID string");
    return xapi_is_uuid(json_string_value(value))
               ? true
               : s_fail(v, "must be a UUID in standard string form");
}

static bool s_bool(vctx_t *v, json_t *value)
{
    return json_is_boolean(value) ? true : s_fail(v, "must be true or false (a JSON boolean)");
}

static bool s_number(vctx_t *v, json_t *value)
{
    return json_is_number(value) ? true : s_fail(v, "must be a number");
}

static bool s_timestamp(vctx_t *v, json_t *value)
{
    int64_t us;
    if (!json_is_string(value)) return s_fail(v, "must be an ISO 8601 timestamp string");
    return xapi_parse_timestamp(json_string_value(value), &us) == 0
               ? true
               : s_fail(v, "must be an ISO 8601 date and time with a time zone");
}

static bool s_duration(vctx_t *v, json_t *value)
{
    int64_t ms;
    if (!json_is_string(value)) return s_fail(v, "must be an ISO 8601 duration string");
    return xapi_parse_duration(json_string_value(value), &ms) == 0
               ? true
               : s_fail(v, "must be an ISO 8601 duration such as PT1H30M");
}

static bool s_language(vctx_t *v, json_t *value)
{
    if (!json_is_string(value)) return s_fail(v, "must be a language tag string");
    return xapi_is_language_tag(json_string_value(value))
               ? true
               : s_fail(v, "must be an RFC 5646 language tag");
}

static bool s_language_map(vctx_t *v, json_t *value)
{
    if (!json_is_object(value)) return s_fail(v, "must be a language map (a JSON object)");
    if (!json_object_size(value)) return s_fail(v, "a language map needs at least one entry");
    const char *tag;
    json_t *text;
    json_object_foreach(value, tag, text)
    {
        if (!xapi_is_language_tag(tag)) return s_fail_at(v, tag, "is not an RFC 5646 language tag");
        if (!json_is_string(text)) return s_fail_at(v, tag, "must be a string");
    }
    return true;
}

static bool s_extensions(vctx_t *v, json_t *value)
{
    if (!json_is_object(value)) return s_fail(v, "must be an object of extensions");
    const char *key;
    json_t *ignored;
    json_object_foreach(value, key, ignored)
    {
        if (!xapi_is_iri(key)) return s_fail_at(v, key, "extension keys must be IRIs");
    }
    return true;
}

/* ---- agents and groups ------------------------------------------------------------ */

static const char *const s_ifis[] = {"mbox", "mbox_sha1sum", "openid", "account", NULL};

static bool s_mbox(vctx_t *v, json_t *value)
{
    if (!json_is_string(value) || !xapi_is_mbox(json_string_value(value)))
        return s_fail(v, "must be a mailto IRI (\"mailto:name@example.com\")");
    return true;
}

static bool s_sha1(vctx_t *v, json_t *value)
{
    if (!json_is_string(value) || !s_is_sha1(json_string_value(value)))
        return s_fail(v, "must be the 40 hexadecimal digits of a SHA-1");
    return true;
}

static bool s_account(vctx_t *v, json_t *value)
{
    static const char *const keys[] = {"homePage", "name", NULL};
    return s_object(v, value, "an Account") && s_keys(v, value, "an Account", keys) &&
           s_field(v, value, "homePage", true, s_irl) && s_field(v, value, "name", true, s_string);
}

static int s_ifi_count(json_t *obj)
{
    int n = 0;
    for (const char *const *k = s_ifis; *k; k++)
        n += json_object_get(obj, *k) != NULL;
    return n;
}

static bool s_ifi_formats(vctx_t *v, json_t *obj)
{
    return s_field(v, obj, "mbox", false, s_mbox) &&
           s_field(v, obj, "mbox_sha1sum", false, s_sha1) &&
           s_field(v, obj, "openid", false, s_iri) && s_field(v, obj, "account", false, s_account);
}

static bool s_object_type(vctx_t *v, json_t *obj, const char *expected)
{
    json_t *type = json_object_get(obj, "objectType");
    if (!type) return true;
    if (!json_is_string(type) || strcmp(json_string_value(type), expected) != 0)
        return s_fail_at(v, "objectType", "must be \"%s\"", expected);
    return true;
}

static bool s_agent(vctx_t *v, json_t *value)
{
    static const char *const keys[] = {"objectType", "name",    "mbox", "mbox_sha1sum",
                                       "openid",     "account", NULL};
    if (!s_object(v, value, "an Agent") || !s_object_type(v, value, "Agent") ||
        !s_keys(v, value, "an Agent", keys) || !s_field(v, value, "name", false, s_string))
        return false;
    if (s_ifi_count(value) != 1)
        return s_fail(v, "an Agent needs exactly one of mbox, mbox_sha1sum, openid, account");
    return s_ifi_formats(v, value);
}

static bool s_members(vctx_t *v, json_t *value)
{
    if (!json_is_array(value)) return s_fail(v, "must be an array of Agents");
    size_t i;
    json_t *member;
    json_array_foreach(value, i, member)
    {
        size_t mark = s_push_index(v, i);
        json_t *type = json_object_get(member, "objectType");
        if (json_is_string(type) && strcmp(json_string_value(type), "Group") == 0)
            return s_fail(v, "a Group's members must be Agents, not Groups");
        if (!s_agent(v, member)) return false;
        s_pop(v, mark);
    }
    return true;
}

static bool s_group(vctx_t *v, json_t *value)
{
    static const char *const keys[] = {"objectType",   "name",   "member",  "mbox",
                                       "mbox_sha1sum", "openid", "account", NULL};
    if (!s_object(v, value, "a Group") || !s_keys(v, value, "a Group", keys)) return false;
    json_t *type = json_object_get(value, "objectType");
    if (!json_is_string(type) || strcmp(json_string_value(type), "Group") != 0) {
        s_push(v, ".objectType");
        return s_fail(v, "a Group must have objectType \"Group\"");
    }
    if (!s_field(v, value, "name", false, s_string) ||
        !s_field(v, value, "member", false, s_members))
        return false;
    int ifis = s_ifi_count(value);
    if (ifis > 1)
        return s_fail(v, "a Group may have at most one of mbox, mbox_sha1sum, openid, account");
    json_t *member = json_object_get(value, "member");
    if (!ifis && !json_array_size(member))
        return s_fail(v, "an anonymous Group (no identifier) must list its members");
    return s_ifi_formats(v, value);
}

/* An Agent, or a Group when it says so. */
static bool s_actor(vctx_t *v, json_t *value)
{
    if (!s_object(v, value, "an Agent or a Group")) return false;
    json_t *type = json_object_get(value, "objectType");
    if (type && !json_is_string(type)) {
        s_push(v, ".objectType");
        return s_fail(v, "must be \"Agent\" or \"Group\"");
    }
    if (type && strcmp(json_string_value(type), "Group") == 0) return s_group(v, value);
    if (type && strcmp(json_string_value(type), "Agent") != 0) {
        s_push(v, ".objectType");
        return s_fail(v, "must be \"Agent\" or \"Group\"");
    }
    return s_agent(v, value);
}

static bool s_team(vctx_t *v, json_t *value)
{
    return s_object(v, value, "a Group") && s_group(v, value);
}

/* The authority a client sends is checked, then replaced by the LRS. */
static bool s_authority(vctx_t *v, json_t *value)
{
    if (!s_actor(v, value)) return false;
    json_t *type = json_object_get(value, "objectType");
    if (!type || strcmp(json_string_value(type), "Group") != 0) return true;
    if (s_ifi_count(value) || json_array_size(json_object_get(value, "member")) != 2)
        return s_fail(v, "an authority Group must be an anonymous Group of exactly two Agents "
                         "(3-legged OAuth)");
    return true;
}

/* ---- verb and objects --------------------------------------------------------------- */

static bool s_verb(vctx_t *v, json_t *value)
{
    static const char *const keys[] = {"id", "display", NULL};
    return s_object(v, value, "a Verb") && s_keys(v, value, "a Verb", keys) &&
           s_field(v, value, "id", true, s_iri) &&
           s_field(v, value, "display", false, s_language_map);
}

static bool s_component_list(vctx_t *v, json_t *value)
{
    static const char *const keys[] = {"id", "description", NULL};
    if (!json_is_array(value)) return s_fail(v, "must be an array of interaction components");
    size_t i, j;
    json_t *c, *other;
    json_array_foreach(value, i, c)
    {
        size_t mark = s_push_index(v, i);
        if (!s_object(v, c, "an interaction component") ||
            !s_keys(v, c, "an interaction component", keys) ||
            !s_field(v, c, "id", true, s_string) ||
            !s_field(v, c, "description", false, s_language_map))
            return false;
        const char *id = json_string_value(json_object_get(c, "id"));
        if (!*id) return s_fail(v, "an interaction component needs a non-empty id");
        json_array_foreach(value, j, other)
        {
            if (j >= i) break;
            if (strcmp(id, json_string_value(json_object_get(other, "id"))) == 0)
                return s_fail(v, "id \"%s\" is used twice in this list", id);
        }
        s_pop(v, mark);
    }
    return true;
}

static bool s_string_array(vctx_t *v, json_t *value)
{
    if (!json_is_array(value)) return s_fail(v, "must be an array of strings");
    size_t i;
    json_t *s;
    json_array_foreach(value, i, s)
    {
        if (!json_is_string(s)) {
            s_push_index(v, i);
            return s_fail(v, "must be a string");
        }
    }
    return true;
}

static const char *const s_interaction_types[] = {
    "true-false", "choice", "fill-in", "long-fill-in", "matching", "performance",
    "sequencing", "likert", "numeric", "other",        NULL};

static const char *const s_component_lists[] = {"choices", "scale", "source",
                                                "target",  "steps", NULL};

/* Which interaction component lists an interactionType supports (Data 2.4.4.1.s15). */
static bool s_list_supported(const char *type, const char *list)
{
    if (strcmp(list, "choices") == 0)
        return strcmp(type, "choice") == 0 || strcmp(type, "sequencing") == 0;
    if (strcmp(list, "scale") == 0) return strcmp(type, "likert") == 0;
    if (strcmp(list, "source") == 0 || strcmp(list, "target") == 0)
        return strcmp(type, "matching") == 0;
    return strcmp(type, "performance") == 0; /* steps */
}

static bool s_interaction_type(vctx_t *v, json_t *value)
{
    if (!json_is_string(value) || !s_in(json_string_value(value), s_interaction_types))
        return s_fail(v, "must be one of true-false, choice, fill-in, long-fill-in, matching, "
                         "performance, sequencing, likert, numeric, other");
    return true;
}

static bool s_definition(vctx_t *v, json_t *value)
{
    static const char *const keys[] = {"name",
                                       "description",
                                       "type",
                                       "moreInfo",
                                       "extensions",
                                       "interactionType",
                                       "correctResponsesPattern",
                                       "choices",
                                       "scale",
                                       "source",
                                       "target",
                                       "steps",
                                       NULL};
    if (!s_object(v, value, "an Activity Definition") ||
        !s_keys(v, value, "an Activity Definition", keys) ||
        !s_field(v, value, "name", false, s_language_map) ||
        !s_field(v, value, "description", false, s_language_map) ||
        !s_field(v, value, "type", false, s_iri) || !s_field(v, value, "moreInfo", false, s_irl) ||
        !s_field(v, value, "extensions", false, s_extensions) ||
        !s_field(v, value, "interactionType", false, s_interaction_type) ||
        !s_field(v, value, "correctResponsesPattern", false, s_string_array))
        return false;
    json_t *type = json_object_get(value, "interactionType");
    if (!type && json_object_get(value, "correctResponsesPattern"))
        return s_fail(v, "correctResponsesPattern needs an interactionType");
    for (const char *const *list = s_component_lists; *list; list++) {
        if (!json_object_get(value, *list)) continue;
        if (!type) return s_fail(v, "%s needs an interactionType", *list);
        if (!s_list_supported(json_string_value(type), *list)) {
            return s_fail_at(v, *list, "is not used with interactionType \"%s\"",
                             json_string_value(type));
        }
        if (!s_field(v, value, *list, false, s_component_list)) return false;
    }
    return true;
}

static bool s_activity(vctx_t *v, json_t *value)
{
    static const char *const keys[] = {"objectType", "id", "definition", NULL};
    return s_object(v, value, "an Activity") && s_object_type(v, value, "Activity") &&
           s_keys(v, value, "an Activity", keys) && s_field(v, value, "id", true, s_iri) &&
           s_field(v, value, "definition", false, s_definition);
}

static bool s_statement_ref(vctx_t *v, json_t *value)
{
    static const char *const keys[] = {"objectType", "id", NULL};
    if (!s_object(v, value, "a StatementRef") || !s_keys(v, value, "a StatementRef", keys))
        return false;
    json_t *type = json_object_get(value, "objectType");
    if (!json_is_string(type) || strcmp(json_string_value(type), "StatementRef") != 0) {
        s_push(v, ".objectType");
        return s_fail(v, "a Statement Reference must have objectType \"StatementRef\"");
    }
    return s_field(v, value, "id", true, s_uuid);
}

static bool s_substatement(vctx_t *v, json_t *value);

static bool s_statement_object(vctx_t *v, json_t *value)
{
    if (!s_object(v, value, "an Activity, Agent, Group, StatementRef or SubStatement"))
        return false;
    json_t *type = json_object_get(value, "objectType");
    const char *t = json_is_string(type) ? json_string_value(type) : NULL;
    if (type && !t) {
        s_push(v, ".objectType");
        return s_fail(v, "must be a string");
    }
    if (!t || strcmp(t, "Activity") == 0) return s_activity(v, value);
    if (strcmp(t, "Agent") == 0) return s_agent(v, value);
    if (strcmp(t, "Group") == 0) return s_group(v, value);
    if (strcmp(t, "StatementRef") == 0) return s_statement_ref(v, value);
    if (strcmp(t, "SubStatement") == 0) {
        if (v->in_substatement) return s_fail(v, "a SubStatement cannot contain a SubStatement");
        return s_substatement(v, value);
    }
    s_push(v, ".objectType");
    return s_fail(v, "must be Activity, Agent, Group, StatementRef or SubStatement");
}

/* ---- result and context ------------------------------------------------------------- */

static bool s_score(vctx_t *v, json_t *value)
{
    static const char *const keys[] = {"scaled", "raw", "min", "max", NULL};
    if (!s_object(v, value, "a Score") || !s_keys(v, value, "a Score", keys) ||
        !s_field(v, value, "scaled", false, s_number) ||
        !s_field(v, value, "raw", false, s_number) || !s_field(v, value, "min", false, s_number) ||
        !s_field(v, value, "max", false, s_number))
        return false;
    json_t *scaled = json_object_get(value, "scaled"), *raw = json_object_get(value, "raw");
    json_t *min = json_object_get(value, "min"), *max = json_object_get(value, "max");
    if (scaled && (json_number_value(scaled) < -1 || json_number_value(scaled) > 1))
        return s_fail_at(v, "scaled", "must be between -1 and 1");
    if (min && max && json_number_value(min) >= json_number_value(max))
        return s_fail_at(v, "min", "must be less than max");
    if (raw && min && json_number_value(raw) < json_number_value(min))
        return s_fail_at(v, "raw", "must not be less than min");
    if (raw && max && json_number_value(raw) > json_number_value(max))
        return s_fail_at(v, "raw", "must not be greater than max");
    return true;
}

static bool s_result(vctx_t *v, json_t *value)
{
    static const char *const keys[] = {"score",    "success",    "completion", "response",
                                       "duration", "extensions", NULL};
    return s_object(v, value, "a Result") && s_keys(v, value, "a Result", keys) &&
           s_field(v, value, "score", false, s_score) &&
           s_field(v, value, "success", false, s_bool) &&
           s_field(v, value, "completion", false, s_bool) &&
           s_field(v, value, "response", false, s_string) &&
           s_field(v, value, "duration", false, s_duration) &&
           s_field(v, value, "extensions", false, s_extensions);
}

/* A single Activity or an array of them; a single one is stored as an array of one
 * (Data 2.4.6.2.s4.b3: the LRS returns every value as an array). */
static bool s_context_list(vctx_t *v, json_t *parent, const char *key)
{
    json_t *value = json_object_get(parent, key);
    if (!value) return true;
    size_t mark = s_push_key(v, key);
    if (json_is_object(value)) {
        if (!s_activity(v, value)) return false;
        json_t *array = json_array();
        if (!array || json_array_append(array, value) < 0 ||
            json_object_set_new(parent, key, array) < 0)
            return s_fail(v, "out of memory");
        v->normalised = true;
    } else if (json_is_array(value)) {
        size_t i;
        json_t *activity;
        json_array_foreach(value, i, activity)
        {
            size_t inner = s_push_index(v, i);
            if (!s_activity(v, activity)) return false;
            s_pop(v, inner);
        }
    } else {
        return s_fail(v, "must be an Activity or an array of Activities");
    }
    s_pop(v, mark);
    return true;
}

static bool s_context_activities(vctx_t *v, json_t *value)
{
    static const char *const keys[] = {"parent", "grouping", "category", "other", NULL};
    if (!s_object(v, value, "a contextActivities object") ||
        !s_keys(v, value, "contextActivities (parent, grouping, category, other)", keys))
        return false;
    if (!json_object_size(value))
        return s_fail(v, "needs at least one of parent, grouping, category, other");
    for (const char *const *k = keys; *k; k++)
        if (!s_context_list(v, value, *k)) return false;
    return true;
}

static bool s_context(vctx_t *v, json_t *value)
{
    static const char *const keys[] = {
        "registration", "instructor", "team",      "contextActivities", "revision",
        "platform",     "language",   "statement", "extensions",        NULL};
    if (!s_object(v, value, "a Context") || !s_keys(v, value, "a Context", keys) ||
        !s_field(v, value, "registration", false, s_uuid) ||
        !s_field(v, value, "instructor", false, s_actor) ||
        !s_field(v, value, "team", false, s_team) ||
        !s_field(v, value, "contextActivities", false, s_context_activities) ||
        !s_field(v, value, "revision", false, s_string) ||
        !s_field(v, value, "platform", false, s_string) ||
        !s_field(v, value, "language", false, s_language) ||
        !s_field(v, value, "statement", false, s_statement_ref) ||
        !s_field(v, value, "extensions", false, s_extensions))
        return false;
    for (const char *const *k = (const char *const[]){"revision", "platform", NULL}; *k; k++)
        if (json_object_get(value, *k) && !v->object_is_activity)
            return s_fail_at(v, *k, "may only be used when the object is an Activity");
    return true;
}

/* ---- attachments ------------------------------------------------------------------------ */

static bool s_length(vctx_t *v, json_t *value)
{
    return json_is_integer(value) && json_integer_value(value) >= 0
               ? true
               : s_fail(v, "must be a non-negative integer");
}

static bool s_sha2(vctx_t *v, json_t *value)
{
    if (!json_is_string(value)) return s_fail(v, "must be a hexadecimal SHA-2 string");
    const char *s = json_string_value(value);
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        if (!s_hex(s[i])) return s_fail(v, "must be a hexadecimal SHA-2 string");
    return n == 56 || n == 64 || n == 96 || n == 128
               ? true
               : s_fail(v, "must be a SHA-224, SHA-256, SHA-384 or SHA-512 in hexadecimal");
}

static bool s_media_type(vctx_t *v, json_t *value)
{
    if (!json_is_string(value)) return s_fail(v, "must be an Internet media type string");
    const char *s = json_string_value(value), *slash = strchr(s, '/');
    if (!slash || slash == s || !slash[1] || strchr(s, ' ') == s)
        return s_fail(v, "must be an Internet media type such as \"application/pdf\"");
    return true;
}

static bool s_attachment(vctx_t *v, json_t *value)
{
    static const char *const keys[] = {"usageType", "display", "description", "contentType",
                                       "length",    "sha2",    "fileUrl",     NULL};
    if (!s_object(v, value, "an Attachment") || !s_keys(v, value, "an Attachment", keys) ||
        !s_field(v, value, "usageType", true, s_iri) ||
        !s_field(v, value, "display", true, s_language_map) ||
        !s_field(v, value, "description", false, s_language_map) ||
        !s_field(v, value, "contentType", true, s_media_type) ||
        !s_field(v, value, "length", true, s_length) || !s_field(v, value, "sha2", true, s_sha2) ||
        !s_field(v, value, "fileUrl", false, s_irl))
        return false;
    /* its part, when there is no fileUrl, is matched by xapi_attachments.c */
    if (xapi_is_signature(value) && strcmp(json_string_value(json_object_get(value, "contentType")),
                                           "application/octet-stream") != 0)
        return s_fail(v, "a signature's contentType must be application/octet-stream");
    return true;
}

static bool s_attachments(vctx_t *v, json_t *value)
{
    if (!json_is_array(value)) return s_fail(v, "must be an array of Attachments");
    size_t i;
    json_t *a;
    json_array_foreach(value, i, a)
    {
        size_t mark = s_push_index(v, i);
        if (!s_attachment(v, a)) return false;
        s_pop(v, mark);
    }
    return true;
}

/* ---- statements ------------------------------------------------------------------------ */

static bool s_version(vctx_t *v, json_t *value)
{
    if (!json_is_string(value)) return s_fail(v, "must be a version string such as \"1.0.0\"");
    const char *s = json_string_value(value);
    bool ok = strncmp(s, "1.0", 3) == 0 || (v->major >= 2 && strncmp(s, "2.0", 3) == 0);
    if (ok && s[3]) {
        ok = s[3] == '.' && s_digit(s[4]);
        for (const char *p = s + 4; ok && *p; p++)
            ok = s_digit(*p);
    }
    return ok ? true
              : s_fail(v, "must be \"1.0\" or \"1.0.x\"%s", v->major >= 2 ? " (or \"2.0.x\")" : "");
}

/* The parts a Statement and a SubStatement share. */
static bool s_core(vctx_t *v, json_t *value)
{
    if (!s_field(v, value, "actor", true, s_actor) || !s_field(v, value, "verb", true, s_verb) ||
        !s_field(v, value, "object", true, s_statement_object))
        return false;
    json_t *object = json_object_get(value, "object");
    json_t *type = json_object_get(object, "objectType");
    v->object_is_activity = !type || strcmp(json_string_value(type), "Activity") == 0;
    if (!s_field(v, value, "result", false, s_result) ||
        !s_field(v, value, "context", false, s_context) ||
        !s_field(v, value, "timestamp", false, s_timestamp) ||
        !s_field(v, value, "attachments", false, s_attachments))
        return false;
    const char *verb = json_string_value(json_object_get(json_object_get(value, "verb"), "id"));
    if (strcmp(verb, VOIDED_VERB) == 0 &&
        (!type || strcmp(json_string_value(type), "StatementRef")))
        return s_fail_at(v, "object", "a voiding statement's object must be a StatementRef");
    return true;
}

static bool s_substatement(vctx_t *v, json_t *value)
{
    static const char *const keys[] = {"objectType", "actor",     "verb",        "object", "result",
                                       "context",    "timestamp", "attachments", NULL};
    for (const char *const *k = (const char *const[]){"id", "stored", "version", "authority", NULL};
         *k; k++)
        if (json_object_get(value, *k))
            return s_fail_at(v, *k, "a SubStatement must not have %s", *k);
    if (!s_keys(v, value, "a SubStatement", keys)) return false;
    v->in_substatement = true;
    bool ok = s_core(v, value);
    v->in_substatement = false;
    return ok;
}

int xapi_validate_statement(json_t *statement, const char *path, int major, xapi_error_t *err)
{
    static const char *const keys[] = {"id",        "actor",   "verb",        "object",
                                       "result",    "context", "timestamp",   "stored",
                                       "authority", "version", "attachments", NULL};
    vctx_t v = {.err = err, .major = major};
    s_push(&v, "%s", path);
    bool ok = s_object(&v, statement, "a Statement") &&
              s_keys(&v, statement, "a Statement", keys) &&
              s_field(&v, statement, "id", false, s_uuid) && s_core(&v, statement) &&
              s_field(&v, statement, "stored", false, s_timestamp) &&
              s_field(&v, statement, "authority", false, s_authority) &&
              s_field(&v, statement, "version", false, s_version);
    return !ok ? -1 : v.normalised ? 1 : 0;
}

json_t *xapi_agent_param(const char *text, xapi_error_t *err)
{
    vctx_t v = {.err = err, .major = 1};
    s_push(&v, "agent");
    json_error_t jerr;
    json_t *agent = text ? json_loads(text, JSON_REJECT_DUPLICATES, &jerr) : NULL;
    if (!agent) {
        if (text)
            s_fail(&v, "not valid JSON: %s", jerr.text);
        else
            s_fail(&v, "an Agent (JSON) is required");
        return NULL;
    }
    if (!s_actor(&v, agent)) {
        json_decref(agent);
        return NULL;
    }
    if (!s_ifi_count(agent)) {
        s_fail(&v, "must be an Agent or an identified Group (an anonymous Group matches nothing)");
        json_decref(agent);
        return NULL;
    }
    return agent;
}
