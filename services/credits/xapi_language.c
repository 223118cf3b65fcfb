/* format=canonical (xAPI Communication 2.1.3): every language map of a statement reduced
 * to the one language the reader asked for in Accept-Language (RFC 7231 5.3.5: tags with
 * optional q-values). Matching follows RFC 4647 lookup: the tag itself, then the tag
 * without its last subtags ("zh-Hans-CN" → "zh-Hans" → "zh"), then a map key extending the
 * tag or its language ("zh" → "zh-CN", "zh-CN" → "zh-Hans"); the next preferred tag after
 * that; finally "und", or the smallest key, so that a map never comes back empty. The
 * statement's own definitions are the canonical ones: the LRS keeps no others. */
#include "xapi_query.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The county's readers, when they say nothing */
#define DEFAULT_LANGUAGE "zh-CN"

static double s_quality(const char *params)
{
    const char *q = strstr(params, "q=");
    return q ? strtod(q + 2, NULL) : 1.0;
}

void xapi_languages_parse(xapi_languages_t *langs, const char *header)
{
    memset(langs, 0, sizeof *langs);
    const char *p = header && *header ? header : DEFAULT_LANGUAGE;
    while (*p && langs->count < XAPI_MAX_LANGUAGES) {
        size_t len = strcspn(p, ",");
        char item[96] = "";
        if (len < sizeof item) memcpy(item, p, len);
        p += len + (p[len] == ',');
        char *params = strchr(item, ';');
        if (params) *params++ = '\0';
        char *tag = item + strspn(item, " \t");
        tag[strcspn(tag, " \t")] = '\0';
        double q = params ? s_quality(params) : 1.0;
        if (!*tag || q <= 0 || strlen(tag) >= sizeof langs->tags[0]) continue;
        /* kept in order of preference; equal qualities keep the order given */
        size_t at = langs->count;
        while (at > 0 && langs->q[at - 1] < q) {
            memcpy(langs->tags[at], langs->tags[at - 1], sizeof langs->tags[0]);
            langs->q[at] = langs->q[at - 1];
            at--;
        }
        strcpy(langs->tags[at], tag);
        langs->q[at] = q;
        langs->count++;
    }
}

/* The key of `map` equal to `tag` (case-insensitive), or, when `extends`, one that begins
 * with `tag` and a "-". */
static const char *s_find(const json_t *map, const char *tag, size_t len, bool extends)
{
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)map, key, value)
    {
        if (strncasecmp(key, tag, len) != 0) continue;
        if (!extends ? key[len] == '\0' : key[len] == '-') return key;
    }
    return NULL;
}

static const char *s_choose(const json_t *map, const xapi_languages_t *langs)
{
    for (size_t i = 0; i < langs->count; i++) {
        const char *tag = langs->tags[i];
        if (strcmp(tag, "*") == 0) break;
        for (size_t len = strlen(tag); len > 0;) {
            const char *key = s_find(map, tag, len, false);
            if (key) return key;
            while (len > 0 && tag[len - 1] != '-')
                len--;
            if (len > 0) len--; /* drop the "-" too */
        }
        const char *key = s_find(map, tag, strlen(tag), true);
        if (!key) key = s_find(map, tag, strcspn(tag, "-"), true);
        if (key) return key;
    }
    const char *und = s_find(map, "und", 3, false), *first = NULL, *key;
    if (und) return und;
    json_t *value;
    json_object_foreach((json_t *)map, key, value) if (!first || strcmp(key, first) < 0) first = key;
    return first;
}

static void s_map(json_t *map, const xapi_languages_t *langs)
{
    if (!json_is_object(map) || json_object_size(map) < 2) return;
    const char *keep = s_choose(map, langs);
    json_t *value = json_incref(json_object_get(map, keep));
    char *key = strdup(keep);
    json_object_clear(map);
    if (key && value) json_object_set(map, key, value);
    json_decref(value);
    free(key);
}

static void s_activity(json_t *activity, const xapi_languages_t *langs)
{
    json_t *def = json_object_get(activity, "definition");
    if (!json_is_object(def)) return;
    s_map(json_object_get(def, "name"), langs);
    s_map(json_object_get(def, "description"), langs);
    static const char *const components[] = {"choices", "scale", "source", "target", "steps"};
    for (size_t c = 0; c < sizeof components / sizeof *components; c++) {
        size_t i;
        json_t *component;
        json_array_foreach(json_object_get(def, components[c]), i, component)
            s_map(json_object_get(component, "description"), langs);
    }
}

static void s_each_activity(json_t *list, const xapi_languages_t *langs)
{
    if (json_is_object(list)) return s_activity(list, langs);
    size_t i;
    json_t *activity;
    json_array_foreach(list, i, activity) s_activity(activity, langs);
}

void xapi_format_canonical(json_t *statement, const xapi_languages_t *langs)
{
    json_t *verb = json_object_get(statement, "verb");
    s_map(json_object_get(verb, "display"), langs);
    json_t *object = json_object_get(statement, "object");
    const char *type = json_string_value(json_object_get(object, "objectType"));
    if (!type || strcmp(type, "Activity") == 0)
        s_activity(object, langs);
    else if (strcmp(type, "SubStatement") == 0)
        xapi_format_canonical(object, langs);
    json_t *context = json_object_get(json_object_get(statement, "context"), "contextActivities");
    const char *kind;
    json_t *list;
    json_object_foreach(context, kind, list) s_each_activity(list, langs);
    size_t i;
    json_t *attachment;
    json_array_foreach(json_object_get(statement, "attachments"), i, attachment)
    {
        s_map(json_object_get(attachment, "display"), langs);
        s_map(json_object_get(attachment, "description"), langs);
    }
}
