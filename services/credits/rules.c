/* A program definition checked field by field and rebuilt with every default explicit: what
 * is stored and shown is exactly what the rules engine reads. Problems name the field path
 * ("rules.categories[2].cap") so an admin can fix the document without guessing. */
#include "rules.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WINDOW_DAYS 3660
#define MAX_NAME 200
#define MAX_IRI 2048
#define MAX_KEY 40
#define MAX_SCOPE_IDS 5000
#define MAX_ATTENDED 1000

static const char *const s_stage_names[] = {"阶段一", "阶段二", "阶段三",   "阶段四",
                                            "阶段五", "阶段六", "阶段七",   "阶段八",
                                            "阶段九", "阶段十", "阶段十一", "阶段十二"};

typedef struct {
    rules_problems_t *problems;
    rules_program_t *p;
} ctx_t;

static int s_problem(ctx_t *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Notes a problem; -1, so that a check can end with `return s_problem(...)`. */
static int s_problem(ctx_t *c, const char *path, const char *fmt, ...)
{
    rules_problems_t *pr = c->problems;
    if (pr->count >= RULES_MAX_PROBLEMS) return -1;
    snprintf(pr->items[pr->count].path, sizeof pr->items[pr->count].path, "%s", path);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pr->items[pr->count].reason, sizeof pr->items[pr->count].reason, fmt, ap);
    va_end(ap);
    pr->count++;
    return -1;
}

/* "prefix.name" or "name" */
static const char *s_path(char *buf, size_t size, const char *prefix, const char *name)
{
    snprintf(buf, size, "%s%s%s", prefix, *prefix ? "." : "", name);
    return buf;
}

/* Fields outside `allowed` are refused: a typo ("capp") must not silently mean "no cap". */
static void s_only(ctx_t *c, const json_t *obj, const char *prefix, const char *const *allowed)
{
    const char *key;
    json_t *value;
    char path[128];
    json_object_foreach((json_t *)obj, key, value)
    {
        const char *const *a = allowed;
        while (*a && strcmp(*a, key) != 0)
            a++;
        if (!*a) s_problem(c, s_path(path, sizeof path, prefix, key), "unknown field");
    }
}

static bool s_id_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max) return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("._-", *s)) return false;
    return true;
}

static bool s_key_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > MAX_KEY) return false;
    for (; *s; s++)
        if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_') return false;
    return true;
}

/* An absolute IRI: a scheme, then something, no blanks or control characters. */
static bool s_iri_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 3 || n > MAX_IRI || !isalpha((unsigned char)s[0])) return false;
    const char *colon = s + 1;
    while (*colon && (isalnum((unsigned char)*colon) || strchr("+.-", *colon)))
        colon++;
    if (*colon != ':' || !colon[1]) return false;
    for (const char *q = s; *q; q++)
        if ((unsigned char)*q <= 0x20 || *q == 0x7f) return false;
    return true;
}

static bool s_text_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max) return false;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20) return false;
    return true;
}

/* A string field; NULL (problem noted when required or mistyped) when absent or bad. */
static const char *s_string(ctx_t *c, const json_t *obj, const char *prefix, const char *name,
                            bool required)
{
    char path[128];
    json_t *v = json_object_get(obj, name);
    if (!v || json_is_null(v)) {
        if (required) s_problem(c, s_path(path, sizeof path, prefix, name), "is required");
        return NULL;
    }
    if (!json_is_string(v)) {
        s_problem(c, s_path(path, sizeof path, prefix, name), "must be a string");
        return NULL;
    }
    return json_string_value(v);
}

/* A number field >= min; def when absent. *ok false (problem noted) when bad. */
static double s_number(ctx_t *c, const json_t *obj, const char *prefix, const char *name,
                       double def, double min, bool *ok)
{
    char path[128];
    json_t *v = json_object_get(obj, name);
    if (!v) return def;
    if (!json_is_number(v) || json_number_value(v) < min) {
        s_problem(c, s_path(path, sizeof path, prefix, name), "must be a %snumber",
                  min == 0  ? "non-negative "
                  : min > 0 ? "positive "
                            : "");
        *ok = false;
        return def;
    }
    return json_number_value(v);
}

/* A cap: a non-negative number, or null/absent for none. */
static bool s_cap(ctx_t *c, const json_t *v, const char *path, double *cap)
{
    if (!v || json_is_null(v)) return false;
    if (!json_is_number(v) || json_number_value(v) < 0) {
        s_problem(c, path, "must be a non-negative number");
        return false;
    }
    *cap = json_number_value(v);
    return true;
}

static const char *s_put(json_t *obj, const char *key, const char *value)
{
    json_object_set_new(obj, key, json_string(value));
    return json_string_value(json_object_get(obj, key));
}

static json_t *s_num(double v)
{
    /* integral values print as integers: 3, not 3.0 */
    if (v == floor(v) && fabs(v) < 9e15) return json_integer((json_int_t)v);
    return json_real(v);
}

static const char *const s_units[] = {"minutes", "count", "score", NULL};
static const char *const s_roundings[] = {"floor", "round", "ceil", "none", NULL};

static int s_enum(const char *s, const char *const *names)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(s, names[i]) == 0) return i;
    return -1;
}

const char *rules_unit_name(rules_unit_t unit)
{
    return s_units[unit];
}

static const char *const s_measures[] = {"minutes", "count", "score", "attended", NULL};

const char *rules_measure_name(rules_measure_t m)
{
    return m < M_NONE ? s_measures[m] : "";
}

rules_measure_t rules_measure_parse(const char *s)
{
    int i = s_enum(s, s_measures);
    return i < 0 ? M_NONE : (rules_measure_t)i;
}

/* ---- the parts --------------------------------------------------------------------- */

static int s_scope(ctx_t *c, const json_t *in, json_t *out)
{
    rules_program_t *p = c->p;
    json_t *scope = json_object();
    json_object_set_new(out, "scope", scope);
    p->scope = SCOPE_COUNTY;
    if (!in || json_is_null(in)) {
        s_put(scope, "kind", "county");
        return 0;
    }
    if (!json_is_object(in)) return s_problem(c, "scope", "must be an object");
    static const char *const allowed[] = {"kind", "ids", NULL};
    s_only(c, in, "scope", allowed);
    const char *kind = s_string(c, in, "scope", "kind", true);
    if (!kind) return 0;
    static const char *const kinds[] = {"county", "districts", "schools", NULL};
    int k = s_enum(kind, kinds);
    if (k < 0) return s_problem(c, "scope.kind", "must be county, districts or schools");
    p->scope = (rules_scope_kind_t)k;
    s_put(scope, "kind", kind);
    json_t *ids = json_object_get(in, "ids");
    if (k == SCOPE_COUNTY) {
        if (ids) s_problem(c, "scope.ids", "a county scope takes no ids");
        return 0;
    }
    size_t n = json_array_size(ids);
    if (!json_is_array(ids) || n == 0 || n > MAX_SCOPE_IDS)
        return s_problem(c, "scope.ids", "must be a list of 1 to %d %s ids", MAX_SCOPE_IDS,
                         k == SCOPE_DISTRICTS ? "district" : "school");
    json_t *list = json_array();
    json_object_set_new(scope, "ids", list);
    p->scope_ids = calloc(n, sizeof *p->scope_ids);
    if (!p->scope_ids) return s_problem(c, "scope.ids", "out of memory");
    for (size_t i = 0; i < n; i++) {
        const char *id = json_string_value(json_array_get(ids, i));
        char path[64];
        snprintf(path, sizeof path, "scope.ids[%zu]", i);
        if (!id || !s_text_ok(id, RULES_MAX_ID)) {
            s_problem(c, path, "must be an id of 1 to %d characters", RULES_MAX_ID);
            continue;
        }
        bool dup = false;
        for (size_t j = 0; j < p->nscope_ids && !dup; j++)
            dup = strcmp(p->scope_ids[j], id) == 0;
        if (dup) {
            s_problem(c, path, "'%s' is listed twice", id);
            continue;
        }
        json_array_append_new(list, json_string(id));
        p->scope_ids[p->nscope_ids++] =
            json_string_value(json_array_get(list, json_array_size(list) - 1));
    }
    return 0;
}

static void s_stage_json(json_t *stages, const char *name, int32_t first, int32_t last)
{
    char a[11], b[11];
    rules_format_date(first, a);
    rules_format_date(last, b);
    json_array_append_new(stages, json_pack("{s:s, s:s, s:s}", "name", name, "start", a, "end", b));
}

static int s_stages(ctx_t *c, const json_t *in, json_t *out)
{
    rules_program_t *p = c->p;
    json_t *stages = json_array();
    json_object_set_new(out, "stages", stages);
    if (!in || json_is_null(in)) { /* one stage: the whole window */
        s_stage_json(stages, "全程", p->first_day, p->last_day);
    } else {
        size_t n = json_array_size(in);
        if (!json_is_array(in) || n == 0 || n > RULES_MAX_STAGES)
            return s_problem(c, "stages", "must be a list of 1 to %d stages", RULES_MAX_STAGES);
        int32_t expect = p->first_day;
        for (size_t i = 0; i < n; i++) {
            char prefix[32], path[64];
            snprintf(prefix, sizeof prefix, "stages[%zu]", i);
            json_t *st = json_array_get(in, i);
            if (!json_is_object(st)) {
                s_problem(c, prefix, "must be an object");
                continue;
            }
            static const char *const allowed[] = {"name", "start", "end", NULL};
            s_only(c, st, prefix, allowed);
            const char *name = s_string(c, st, prefix, "name", false);
            if (name && !s_text_ok(name, MAX_NAME))
                s_problem(c, s_path(path, sizeof path, prefix, "name"),
                          "must be 1 to %d characters", MAX_NAME);
            const char *start = s_string(c, st, prefix, "start", true);
            const char *end = s_string(c, st, prefix, "end", true);
            int32_t a = 0, b = 0;
            if (start && !rules_parse_date(start, &a)) {
                s_problem(c, s_path(path, sizeof path, prefix, "start"),
                          "must be a date (YYYY-MM-DD)");
                start = NULL;
            }
            if (end && !rules_parse_date(end, &b)) {
                s_problem(c, s_path(path, sizeof path, prefix, "end"),
                          "must be a date (YYYY-MM-DD)");
                end = NULL;
            }
            if (!start || !end) continue;
            /* stages tile the window: every day of the program is in exactly one stage */
            if (a != expect) {
                char want[11];
                rules_format_date(expect, want);
                s_problem(c, s_path(path, sizeof path, prefix, "start"), "must be %s (%s)", want,
                          i == 0 ? "the program's start" : "the day after the previous stage");
            }
            if (b < a)
                s_problem(c, s_path(path, sizeof path, prefix, "end"), "is before its start");
            if (i + 1 == n && b != p->last_day)
                s_problem(c, s_path(path, sizeof path, prefix, "end"),
                          "must be the program's end (%s)",
                          json_string_value(json_object_get(out, "end")));
            expect = b + 1;
            s_stage_json(stages, name ? name : s_stage_names[i], a, b);
        }
    }
    for (size_t i = 0; i < json_array_size(stages) && i < RULES_MAX_STAGES; i++) {
        json_t *st = json_array_get(stages, i);
        rules_stage_t *s = &p->stages[p->nstages++];
        s->name = json_string_value(json_object_get(st, "name"));
        rules_parse_date(json_string_value(json_object_get(st, "start")), &s->first_day);
        rules_parse_date(json_string_value(json_object_get(st, "end")), &s->last_day);
    }
    return 0;
}

/* The match list of a category or of its gate. */
static int s_items(ctx_t *c, const json_t *in, const char *prefix, int category, bool gate,
                   json_t *out_list)
{
    rules_program_t *p = c->p;
    size_t n = json_array_size(in);
    char path[160], iprefix[128];
    if (!json_is_array(in)) return s_problem(c, prefix, "must be a list");
    int first = p->nitems;
    for (size_t i = 0; i < n; i++) {
        snprintf(iprefix, sizeof iprefix, "%s[%zu]", prefix, i);
        json_t *it = json_array_get(in, i);
        if (!json_is_object(it)) {
            s_problem(c, iprefix, "must be an object");
            continue;
        }
        static const char *const allowed[] = {"key",    "verb",      "activity_type",
                                              "weight", "score_min", NULL};
        s_only(c, it, iprefix, allowed);
        if (p->nitems >= RULES_MAX_ITEMS) return s_problem(c, iprefix, "too many match items");
        rules_item_t *item = &p->items[p->nitems];
        memset(item, 0, sizeof *item);
        item->category = category;
        item->gate = gate;
        bool ok = true;
        char defkey[24];
        snprintf(defkey, sizeof defkey, "%zu", i + 1);
        const char *key = s_string(c, it, iprefix, "key", false);
        if (key && !s_key_ok(key)) {
            s_problem(c, s_path(path, sizeof path, iprefix, "key"),
                      "must be 1 to %d of a-z, 0-9, _", MAX_KEY);
            ok = false;
        }
        if (!key) key = defkey;
        for (int j = first; j < p->nitems && ok; j++)
            if (strcmp(p->items[j].key, key) == 0) {
                s_problem(c, s_path(path, sizeof path, iprefix, "key"), "'%s' is used twice", key);
                ok = false;
            }
        const char *verb = s_string(c, it, iprefix, "verb", true);
        if (verb && !s_iri_ok(verb)) {
            s_problem(c, s_path(path, sizeof path, iprefix, "verb"), "must be an absolute IRI");
            ok = false;
        }
        const char *type = s_string(c, it, iprefix, "activity_type", false);
        if (type && !s_iri_ok(type)) {
            s_problem(c, s_path(path, sizeof path, iprefix, "activity_type"),
                      "must be an absolute IRI");
            ok = false;
        }
        double weight = s_number(c, it, iprefix, "weight", 1, 0, &ok);
        json_t *smin = json_object_get(it, "score_min");
        if (smin && !json_is_null(smin) && !json_is_number(smin)) {
            s_problem(c, s_path(path, sizeof path, iprefix, "score_min"), "must be a number");
            ok = false;
        }
        if (!ok || !verb) continue;
        json_t *o = json_object();
        json_array_append_new(out_list, o);
        item->key = s_put(o, "key", key);
        item->verb = s_put(o, "verb", verb);
        if (type)
            item->activity_type = s_put(o, "activity_type", type);
        else
            json_object_set_new(o, "activity_type", json_null());
        item->weight = weight;
        json_object_set_new(o, "weight", s_num(weight));
        if (json_is_number(smin)) {
            item->has_score_min = true;
            item->score_min = json_number_value(smin);
            json_object_set_new(o, "score_min", s_num(item->score_min));
        } else {
            json_object_set_new(o, "score_min", json_null());
        }
        p->nitems++;
    }
    return 0;
}

static int s_category(ctx_t *c, const json_t *in, size_t index, json_t *out_list)
{
    rules_program_t *p = c->p;
    char prefix[64], path[128];
    snprintf(prefix, sizeof prefix, "rules.categories[%zu]", index);
    if (!json_is_object(in)) return s_problem(c, prefix, "must be an object");
    static const char *const allowed[] = {
        "key",    "name",     "unit",       "match", "per",
        "points", "rounding", "stage_caps", "cap",   "counts_toward_total",
        "gate",   NULL};
    s_only(c, in, prefix, allowed);
    int ci = p->ncategories;
    rules_category_t *cat = &p->categories[ci];
    memset(cat, 0, sizeof *cat);
    json_t *o = json_object();
    bool ok = true;

    const char *key = s_string(c, in, prefix, "key", true);
    if (key && !s_key_ok(key)) {
        s_problem(c, s_path(path, sizeof path, prefix, "key"), "must be 1 to %d of a-z, 0-9, _",
                  MAX_KEY);
        ok = false;
    }
    if (key && rules_category_index(p, key) >= 0) {
        s_problem(c, s_path(path, sizeof path, prefix, "key"), "'%s' is used twice", key);
        ok = false;
    }
    if (!key) ok = false;
    const char *name = s_string(c, in, prefix, "name", false);
    if (name && !s_text_ok(name, MAX_NAME)) {
        s_problem(c, s_path(path, sizeof path, prefix, "name"), "must be 1 to %d characters",
                  MAX_NAME);
        ok = false;
    }
    const char *unit = s_string(c, in, prefix, "unit", true);
    int u = unit ? s_enum(unit, s_units) : -1;
    if (unit && u < 0)
        s_problem(c, s_path(path, sizeof path, prefix, "unit"), "must be minutes, count or score");
    if (u < 0) ok = false;
    cat->key = ok ? s_put(o, "key", key) : "";
    cat->name = s_put(o, "name", name ? name : key ? key : "");
    if (u >= 0) s_put(o, "unit", unit);
    cat->unit = u < 0 ? RULES_COUNT : (rules_unit_t)u;

    json_t *match = json_object_get(in, "match");
    json_t *mlist = json_array();
    json_object_set_new(o, "match", mlist);
    if (match && u == RULES_SCORE && json_array_size(match))
        s_problem(c, s_path(path, sizeof path, prefix, "match"),
                  "a score category takes no statements (scores are entered)");
    else if (match)
        s_items(c, match, s_path(path, sizeof path, prefix, "match"), ci, false, mlist);

    cat->per = s_number(c, in, prefix, "per", 1, 1e-9, &ok);
    cat->points = s_number(c, in, prefix, "points", 1, 0, &ok);
    json_object_set_new(o, "per", s_num(cat->per));
    json_object_set_new(o, "points", s_num(cat->points));
    const char *rounding = s_string(c, in, prefix, "rounding", false);
    int r = rounding ? s_enum(rounding, s_roundings) : ROUND_FLOOR;
    if (r < 0) {
        s_problem(c, s_path(path, sizeof path, prefix, "rounding"),
                  "must be floor, round, ceil or none");
        ok = false;
        r = ROUND_FLOOR;
    }
    cat->rounding = (rules_rounding_t)r;
    s_put(o, "rounding", s_roundings[r]);

    json_t *caps = json_object_get(in, "stage_caps");
    json_t *ocaps = json_array();
    json_object_set_new(o, "stage_caps", ocaps);
    if (caps && !json_is_null(caps)) {
        if (!json_is_array(caps) || json_array_size(caps) != (size_t)p->nstages) {
            s_problem(c, s_path(path, sizeof path, prefix, "stage_caps"),
                      "must be a list of %d caps (one per stage; null for none)", p->nstages);
            ok = false;
        } else {
            for (int s = 0; s < p->nstages; s++) {
                char cpath[160];
                snprintf(cpath, sizeof cpath, "%s.stage_caps[%d]", prefix, s);
                cat->has_stage_cap[s] =
                    s_cap(c, json_array_get(caps, (size_t)s), cpath, &cat->stage_cap[s]);
            }
        }
    }
    for (int s = 0; s < p->nstages; s++)
        json_array_append_new(ocaps,
                              cat->has_stage_cap[s] ? s_num(cat->stage_cap[s]) : json_null());
    cat->has_cap =
        s_cap(c, json_object_get(in, "cap"), s_path(path, sizeof path, prefix, "cap"), &cat->cap);
    json_object_set_new(o, "cap", cat->has_cap ? s_num(cat->cap) : json_null());
    json_t *counts = json_object_get(in, "counts_toward_total");
    if (counts && !json_is_boolean(counts)) {
        s_problem(c, s_path(path, sizeof path, prefix, "counts_toward_total"),
                  "must be true or false");
        ok = false;
    }
    cat->counts = !counts || json_is_true(counts);
    json_object_set_new(o, "counts_toward_total", json_boolean(cat->counts));

    json_t *gate = json_object_get(in, "gate");
    if (gate && !json_is_null(gate)) {
        char gprefix[96];
        s_path(gprefix, sizeof gprefix, prefix, "gate");
        if (!json_is_object(gate)) {
            s_problem(c, gprefix, "must be an object");
        } else {
            static const char *const gallowed[] = {"min_attended", "match", NULL};
            s_only(c, gate, gprefix, gallowed);
            json_t *m = json_object_get(gate, "min_attended");
            if (!json_is_integer(m) || json_integer_value(m) < 1 ||
                json_integer_value(m) > MAX_ATTENDED) {
                s_problem(c, s_path(path, sizeof path, gprefix, "min_attended"),
                          "must be a whole number from 1 to %d", MAX_ATTENDED);
            } else {
                cat->min_attended = (int)json_integer_value(m);
                json_t *og = json_pack("{s:i, s:[]}", "min_attended", cat->min_attended, "match");
                json_object_set_new(o, "gate", og);
                json_t *gm = json_object_get(gate, "match");
                if (gm)
                    s_items(c, gm, s_path(path, sizeof path, gprefix, "match"), ci, true,
                            json_object_get(og, "match"));
            }
        }
    }
    if (!json_object_get(o, "gate")) json_object_set_new(o, "gate", json_null());
    json_array_append_new(out_list, o);
    p->ncategories++;
    /* a bad category fails the whole definition; its slot is kept so item indexes hold */
    return 0;
}

static int s_rules(ctx_t *c, const json_t *in, json_t *out)
{
    rules_program_t *p = c->p;
    json_t *rules = json_object();
    json_object_set_new(out, "rules", rules);
    if (!json_is_object(in)) return s_problem(c, "rules", in ? "must be an object" : "is required");
    static const char *const allowed[] = {"daily_minutes_cap", "total_cap", "categories", NULL};
    s_only(c, in, "rules", allowed);
    bool ok = true;
    p->daily_minutes_cap = s_number(c, in, "rules", "daily_minutes_cap", 480, 1e-9, &ok);
    if (ok && p->daily_minutes_cap > 1440)
        s_problem(c, "rules.daily_minutes_cap", "must be at most 1440 (a day)");
    json_object_set_new(rules, "daily_minutes_cap", s_num(p->daily_minutes_cap));
    p->has_total_cap = s_cap(c, json_object_get(in, "total_cap"), "rules.total_cap", &p->total_cap);
    json_object_set_new(rules, "total_cap", p->has_total_cap ? s_num(p->total_cap) : json_null());
    json_t *cats = json_object_get(in, "categories");
    size_t n = json_array_size(cats);
    if (!json_is_array(cats) || n == 0 || n > RULES_MAX_CATEGORIES)
        return s_problem(c, "rules.categories", "must be a list of 1 to %d categories",
                         RULES_MAX_CATEGORIES);
    json_t *list = json_array();
    json_object_set_new(rules, "categories", list);
    for (size_t i = 0; i < n; i++)
        s_category(c, json_array_get(cats, i), i, list);
    return 0;
}

rules_program_t *rules_program_parse(const json_t *in, rules_problems_t *problems)
{
    memset(problems, 0, sizeof *problems);
    rules_program_t *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    ctx_t c = {problems, p};
    json_t *out = p->doc = json_object();
    if (!json_is_object(in)) {
        s_problem(&c, "", "the program must be a JSON object");
        rules_program_destroy(&p);
        return NULL;
    }
    static const char *const allowed[] = {
        "id",       "name",  "description", "template",       "start", "end",
        "timezone", "scope", "stages",      "pass_threshold", "rules", NULL};
    s_only(&c, in, "", allowed);
    const char *id = s_string(&c, in, "", "id", true);
    if (id && !s_id_ok(id, RULES_MAX_ID))
        s_problem(&c, "id", "must be 1 to %d of A-Z, a-z, 0-9, '.', '_', '-'", RULES_MAX_ID);
    p->id = s_put(out, "id", id ? id : "");
    const char *name = s_string(&c, in, "", "name", true);
    if (name && !s_text_ok(name, MAX_NAME))
        s_problem(&c, "name", "must be 1 to %d characters", MAX_NAME);
    p->name = s_put(out, "name", name ? name : "");
    const char *desc = s_string(&c, in, "", "description", false);
    if (desc) s_put(out, "description", desc);
    const char *tpl = s_string(&c, in, "", "template", false);
    p->template_name = tpl ? s_put(out, "template", tpl) : NULL;
    const char *start = s_string(&c, in, "", "start", true);
    const char *end = s_string(&c, in, "", "end", true);
    bool dates = start && end;
    if (start && !rules_parse_date(start, &p->first_day)) {
        s_problem(&c, "start", "must be a date (YYYY-MM-DD)");
        dates = false;
    }
    if (end && !rules_parse_date(end, &p->last_day)) {
        s_problem(&c, "end", "must be a date (YYYY-MM-DD)");
        dates = false;
    }
    if (dates && p->last_day < p->first_day) {
        s_problem(&c, "end", "is before start");
        dates = false;
    }
    if (dates && p->last_day - p->first_day >= MAX_WINDOW_DAYS) {
        s_problem(&c, "end", "a program lasts at most %d days", MAX_WINDOW_DAYS);
        dates = false;
    }
    s_put(out, "start", start ? start : "");
    s_put(out, "end", end ? end : "");
    const char *tz = s_string(&c, in, "", "timezone", false);
    if (tz && strcmp(tz, RULES_TZ_NAME) != 0)
        s_problem(&c, "timezone", "only %s is supported", RULES_TZ_NAME);
    s_put(out, "timezone", RULES_TZ_NAME);
    s_scope(&c, json_object_get(in, "scope"), out);
    if (dates) s_stages(&c, json_object_get(in, "stages"), out);
    bool ok = true;
    p->pass_threshold = s_number(&c, in, "", "pass_threshold", 60, 0, &ok);
    json_object_set_new(out, "pass_threshold", s_num(p->pass_threshold));
    if (dates) s_rules(&c, json_object_get(in, "rules"), out);
    if (problems->count) {
        rules_program_destroy(&p);
        return NULL;
    }
    return p;
}

void rules_program_destroy(rules_program_t **self_p)
{
    rules_program_t *p = *self_p;
    if (!p) return;
    json_decref(p->doc);
    free(p->scope_ids);
    free(p);
    *self_p = NULL;
}

int rules_category_index(const rules_program_t *p, const char *key)
{
    for (int i = 0; i < p->ncategories; i++)
        if (strcmp(p->categories[i].key, key) == 0) return i;
    return -1;
}

int rules_item_index(const rules_program_t *p, int category, const char *key, bool gate)
{
    for (int i = 0; i < p->nitems; i++)
        if (p->items[i].category == category && p->items[i].gate == gate &&
            strcmp(p->items[i].key, key) == 0)
            return i;
    return -1;
}

/* ---- dates and times ------------------------------------------------------------------- */

/* Howard Hinnant's days_from_civil: proleptic Gregorian, exact for every year we accept. */
static int32_t s_days_from_civil(int y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int32_t)doe - 719468;
}

static void s_civil_from_days(int32_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)yoe + era * 400 + (*m <= 2);
}

static bool s_digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static bool s_date(const char *s, int *y, int *m, int *d)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (!s_digits(s, 4, y) || s[4] != '-' || !s_digits(s + 5, 2, m) || s[7] != '-' ||
        !s_digits(s + 8, 2, d))
        return false;
    if (*y < 1970 || *y > 9999 || *m < 1 || *m > 12 || *d < 1 || *d > mdays[*m - 1]) return false;
    bool leap = (*y % 4 == 0 && *y % 100 != 0) || *y % 400 == 0;
    return !(*m == 2 && *d == 29 && !leap);
}

bool rules_parse_date(const char *s, int32_t *day)
{
    int y, m, d;
    if (!s || strlen(s) != 10 || !s_date(s, &y, &m, &d)) return false;
    *day = s_days_from_civil(y, (unsigned)m, (unsigned)d);
    return true;
}

/* Digits by hand: transcripts print thousands of dates, and printf dominated them. */
static char *s_put_digits(char *out, unsigned v, int width)
{
    for (int i = width - 1; i >= 0; i--, v /= 10)
        out[i] = (char)('0' + v % 10);
    return out + width;
}

void rules_format_date(int32_t day, char out[11])
{
    int y;
    unsigned m, d;
    s_civil_from_days(day, &y, &m, &d);
    char *p = s_put_digits(out, (unsigned)y % 10000u, 4);
    *p++ = '-';
    p = s_put_digits(p, m % 100u, 2);
    *p++ = '-';
    p = s_put_digits(p, d % 100u, 2);
    *p = '\0';
}

static int64_t s_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int32_t rules_day_of(int64_t us)
{
    return (int32_t)s_floor_div(us + (int64_t)RULES_TZ_OFFSET_S * 1000000, INT64_C(86400000000));
}

int64_t rules_day_start(int32_t day)
{
    return ((int64_t)day * 86400 - RULES_TZ_OFFSET_S) * 1000000;
}

bool rules_parse_time(const char *s, int64_t *us)
{
    int y, mo, d, h, mi, sec;
    if (!s || strlen(s) < 20u || !s_date(s, &y, &mo, &d)) return false;
    if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !s_digits(s + 11, 2, &h) ||
        s[13] != ':' || !s_digits(s + 14, 2, &mi) || s[16] != ':' || !s_digits(s + 17, 2, &sec))
        return false;
    if (h > 23 || mi > 59 || sec > 60) return false;
    const char *p = s + 19;
    int64_t frac = 0;
    if (*p == '.') {
        int digits = 0;
        for (p++; isdigit((unsigned char)*p); p++, digits++)
            if (digits < 6) frac = frac * 10 + (*p - '0');
        if (digits == 0) return false;
        for (; digits < 6; digits++)
            frac *= 10;
    }
    int64_t offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om = 0;
        if (!s_digits(p + 1, 2, &oh) || oh > 23) return false;
        const char *q = p + 3;
        if (*q != ':' || !s_digits(q + 1, 2, &om) || om > 59) return false;
        q += 3;
        offset = (*p == '-' ? -1 : 1) * ((int64_t)oh * 3600 + om * 60);
        p = q;
    } else {
        return false;
    }
    if (*p) return false;
    if (sec == 60) sec = 59; /* a leap second is the last second of its minute */
    int64_t secs = (int64_t)s_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
                   (int64_t)h * 3600 + mi * 60 + sec - offset;
    *us = secs * 1000000 + frac;
    return true;
}


void rules_format_time(int64_t us, char out[40])
{
    int64_t local = us + (int64_t)RULES_TZ_OFFSET_S * 1000000;
    int32_t day = (int32_t)s_floor_div(local, INT64_C(86400000000));
    int64_t rest = local - (int64_t)day * INT64_C(86400000000);
    unsigned secs = (unsigned)(rest / 1000000), frac = (unsigned)(rest % 1000000);
    rules_format_date(day, out);
    char *p = out + 10;
    *p++ = 'T';
    p = s_put_digits(p, secs / 3600, 2);
    *p++ = ':';
    p = s_put_digits(p, secs / 60 % 60, 2);
    *p++ = ':';
    p = s_put_digits(p, secs % 60, 2);
    if (frac) {
        *p++ = '.';
        p = s_put_digits(p, frac, 6);
    }
    memcpy(p, "+08:00", 7);
}

int rules_stage_of_day(const rules_program_t *p, int32_t day)
{
    for (int s = 0; s < p->nstages; s++)
        if (day >= p->stages[s].first_day && day <= p->stages[s].last_day) return s;
    return -1;
}
