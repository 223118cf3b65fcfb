/* The credit rules without a database: rule sets validated with field paths, the built-in
 * guopei-2015 template, and entries turned into transcript numbers (union of study
 * intervals, daily cap, stages, per-stage floors and caps, category caps, the offline gate,
 * community outside the total). Every expected figure is computed by hand in the comment
 * beside it. */
/* the service's headers are not on the unit tests' include path; reach them directly */
#include "../../services/credits/rules.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define MAX_ENTRIES 64

/* A guopei-2015 program over 2015-09-01 .. 2015-12-31: 122 days, stages of 41, 41 and 40
 * days (09-01..10-11, 10-12..11-21, 11-22..12-31). */
static rules_program_t *s_guopei(const char *extra_json)
{
    char text[1024];
    snprintf(text, sizeof text,
             "{\"id\": \"gp2015\", \"name\": \"国培计划(2015)\", \"start\": \"2015-09-01\","
             " \"end\": \"2015-12-31\"%s}",
             extra_json ? extra_json : "");
    json_t *in = json_loads(text, 0, NULL);
    assert_non_null(in);
    rules_problems_t pr;
    json_t *def = rules_template("guopei-2015", in, &pr);
    json_decref(in);
    assert_non_null(def);
    rules_program_t *p = rules_program_parse(def, &pr);
    if (!p)
        for (size_t i = 0; i < pr.count; i++)
            print_error("%s: %s\n", pr.items[i].path, pr.items[i].reason);
    json_decref(def);
    assert_non_null(p);
    return p;
}

typedef struct {
    rules_program_t *p;
    rules_entry_t e[MAX_ENTRIES];
    size_t n;
    rules_result_t r;
} fx_t;

static int64_t s_time(const char *iso)
{
    int64_t us;
    assert_true(rules_parse_time(iso, &us));
    return us;
}

static rules_entry_t *s_add(fx_t *f, const char *category, const char *item, rules_measure_t m,
                            double amount, const char *when)
{
    assert_true(f->n < MAX_ENTRIES);
    rules_entry_t *e = &f->e[f->n];
    memset(e, 0, sizeof *e);
    e->id = (int64_t)++f->n;
    e->category = rules_category_index(f->p, category);
    assert_true(e->category >= 0);
    e->item = item ? rules_item_index(f->p, e->category, item, false) : -1;
    if (item) assert_true(e->item >= 0);
    e->measure = m;
    e->amount = amount;
    e->end_us = s_time(when);
    e->live = true;
    return e;
}

/* A statement with result.duration: `minutes` of study ending at `end`. */
static rules_entry_t *s_study(fx_t *f, double minutes, const char *end)
{
    rules_entry_t *e = s_add(f, "platform_study", "experienced", M_MINUTES, minutes, end);
    e->interval = true;
    e->start_us = e->end_us - (int64_t)(minutes * (double)RULES_US_PER_MINUTE);
    return e;
}

static void s_count(fx_t *f, const char *category, const char *item, int times, const char *when)
{
    for (int i = 0; i < times; i++)
        s_add(f, category, item, M_COUNT, 1, when);
}

static const rules_category_result_t *s_cat(fx_t *f, const char *key)
{
    int c = rules_category_index(f->p, key);
    assert_true(c >= 0);
    return &f->r.categories[c];
}

static void s_eval(fx_t *f)
{
    assert_int_equal(rules_evaluate(f->p, f->e, f->n, &f->r), 0);
}

static int s_setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    f->p = s_guopei(NULL);
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    fx_t *f = *state;
    rules_program_destroy(&f->p);
    free(f);
    return 0;
}

/* ---- the template ------------------------------------------------------------------ */

static void test_guopei_shape(void **state)
{
    fx_t *f = *state;
    rules_program_t *p = f->p;
    assert_int_equal(p->nstages, 3);
    char a[11], b[11];
    rules_format_date(p->stages[0].first_day, a);
    rules_format_date(p->stages[0].last_day, b);
    assert_string_equal(a, "2015-09-01");
    assert_string_equal(b, "2015-10-11");
    rules_format_date(p->stages[1].first_day, a);
    rules_format_date(p->stages[2].last_day, b);
    assert_string_equal(a, "2015-10-12");
    assert_string_equal(b, "2015-12-31");
    assert_int_equal(p->ncategories, 5);
    assert_string_equal(p->categories[0].key, "platform_study");
    assert_string_equal(p->categories[4].key, "community");
    assert_false(p->categories[4].counts);
    assert_int_equal(p->categories[3].min_attended, 3);
    assert_true(p->pass_threshold == 60);
    assert_true(p->daily_minutes_cap == 480);
    assert_string_equal(json_string_value(json_object_get(p->doc, "template")), "guopei-2015");
    /* nothing earned: 0 of 100 */
    s_eval(f);
    assert_true(f->r.total_points == 0);
    assert_true(f->r.max_points == 100);
    assert_false(f->r.passed);
}

/* Seed 003 exactly: stage minutes 90/300/60 -> 3/10/2; one online activity in stage 1 (3)
 * and four in stage 2 (12); four articles (40); offline graded 30 with 3 attended.
 * 15 + 15 + 40 + 30 = 100. */
static void test_seed_003_full_marks(void **state)
{
    fx_t *f = *state;
    s_study(f, 90, "2015-09-10T10:00:00+08:00");
    s_study(f, 120, "2015-10-20T10:00:00+08:00");
    s_study(f, 180, "2015-11-02T21:00:00+08:00");
    s_study(f, 60, "2015-12-01T09:00:00+08:00");
    s_count(f, "online_activity", "meeting", 1, "2015-09-15T19:00:00+08:00");
    s_count(f, "online_activity", "meeting", 4, "2015-10-25T19:00:00+08:00");
    s_count(f, "classroom_application", "article", 4, "2015-11-05T12:00:00+08:00");
    s_add(f, "offline_activity", NULL, M_SCORE, 30, "2015-12-20T12:00:00+08:00");
    s_add(f, "offline_activity", NULL, M_ATTENDED, 3, "2015-12-20T12:00:00+08:00")->entered = true;
    s_eval(f);
    const rules_category_result_t *ps = s_cat(f, "platform_study");
    assert_true(ps->stages[0].raw == 90 && ps->stages[0].points == 3);
    assert_true(ps->stages[1].raw == 300 && ps->stages[1].points == 10);
    assert_true(ps->stages[2].raw == 60 && ps->stages[2].points == 2);
    assert_true(ps->points == 15);
    assert_true(s_cat(f, "online_activity")->stages[0].points == 3);
    assert_true(s_cat(f, "online_activity")->stages[1].points == 12);
    assert_true(s_cat(f, "online_activity")->points == 15);
    assert_true(s_cat(f, "classroom_application")->points == 40);
    assert_true(s_cat(f, "offline_activity")->points == 30);
    assert_true(s_cat(f, "offline_activity")->gate_met);
    assert_true(f->r.total_points == 100);
    assert_true(f->r.minutes == 450);
    assert_true(f->r.passed);
}

/* floor(minutes / 30) per stage, never over the whole: 45 + 45 minutes in two stages give
 * 1 + 1 = 2 points (not floor(90 / 30) = 3); 100 minutes in stage 1 floor to 3 (= its cap);
 * 29 minutes in stage 3 give 0. */
static void test_floor_per_stage(void **state)
{
    fx_t *f = *state;
    s_study(f, 45, "2015-09-05T10:00:00+08:00");
    s_study(f, 45, "2015-10-15T10:00:00+08:00");
    s_study(f, 29, "2015-12-15T10:00:00+08:00");
    s_eval(f);
    const rules_category_result_t *ps = s_cat(f, "platform_study");
    assert_true(ps->stages[0].points == 1);
    assert_true(ps->stages[1].points == 1);
    assert_true(ps->stages[2].points == 0);
    assert_true(ps->points == 2);
    assert_true(ps->raw == 119);
    f->n = 0;
    s_study(f, 100, "2015-09-05T10:00:00+08:00");
    s_eval(f);
    assert_true(s_cat(f, "platform_study")->stages[0].points == 3);
}

/* Stage caps 3/10/2 and the category cap 15: 300 minutes in each stage (different days)
 * give floor 10/10/10, capped 3 + 10 + 2 = 15. Online: 7 activities = 21, capped 15.
 * Classroom: 5 articles = 50, capped 40. Total 70. */
static void test_caps(void **state)
{
    fx_t *f = *state;
    s_study(f, 300, "2015-09-05T18:00:00+08:00");
    s_study(f, 300, "2015-10-15T18:00:00+08:00");
    s_study(f, 300, "2015-12-15T18:00:00+08:00");
    s_count(f, "online_activity", "meeting", 7, "2015-10-25T19:00:00+08:00");
    s_count(f, "classroom_application", "article", 5, "2015-11-05T12:00:00+08:00");
    s_eval(f);
    const rules_category_result_t *ps = s_cat(f, "platform_study");
    assert_true(ps->stages[0].points == 3);
    assert_true(ps->stages[1].points == 10);
    assert_true(ps->stages[2].points == 2);
    assert_true(ps->points == 15);
    assert_true(s_cat(f, "online_activity")->points_uncapped == 21);
    assert_true(s_cat(f, "online_activity")->points == 15);
    assert_true(s_cat(f, "classroom_application")->points == 40);
    assert_true(f->r.total_points == 70);
    assert_true(f->r.passed);
}

/* Community: 3 blog posts (2 each), a resource promoted with rating 10 (2) and one with 8 (1),
 * an assignment recommended (20), 2 comments (1 each): 6 + 2 + 1 + 20 + 2 = 31 points,
 * reported but never in the total (which stays at the 40 of four articles). */
static void test_community_outside_total(void **state)
{
    fx_t *f = *state;
    s_count(f, "community", "blog_post", 3, "2015-09-05T10:00:00+08:00");
    s_count(f, "community", "resource_recommended_10", 1, "2015-10-05T10:00:00+08:00");
    s_count(f, "community", "resource_recommended_8", 1, "2015-10-06T10:00:00+08:00");
    s_count(f, "community", "assignment_recommended", 1, "2015-11-05T10:00:00+08:00");
    s_count(f, "community", "comment", 2, "2015-12-05T10:00:00+08:00");
    s_count(f, "classroom_application", "article", 4, "2015-11-05T12:00:00+08:00");
    s_eval(f);
    const rules_category_result_t *cm = s_cat(f, "community");
    assert_true(cm->raw == 8);
    assert_true(cm->points == 31);
    assert_true(f->r.total_points == 40);
    assert_false(f->r.passed);
    int blog = rules_item_index(f->p, rules_category_index(f->p, "community"), "blog_post", false);
    assert_true(f->r.item_raw[blog] == 3);
}

/* The offline score counts only with >= 3 activities attended: entered 2 -> 0 points;
 * scheduling recorded 3 -> 28; entered 2 and recorded 3 -> the larger, 3 -> 28 (never the
 * sum: 2 entered + 1 recorded is 2, not 3). */
static void test_offline_gate(void **state)
{
    fx_t *f = *state;
    s_add(f, "offline_activity", NULL, M_SCORE, 28, "2015-12-20T12:00:00+08:00");
    s_add(f, "offline_activity", NULL, M_ATTENDED, 2, "2015-12-20T12:00:00+08:00")->entered = true;
    s_eval(f);
    assert_false(s_cat(f, "offline_activity")->gate_met);
    assert_true(s_cat(f, "offline_activity")->raw == 28);
    assert_true(s_cat(f, "offline_activity")->points == 0);
    s_add(f, "offline_activity", NULL, M_ATTENDED, 1, "2015-10-20T15:00:00+08:00");
    s_eval(f);
    assert_true(s_cat(f, "offline_activity")->attended == 2);
    assert_true(s_cat(f, "offline_activity")->points == 0);
    s_add(f, "offline_activity", NULL, M_ATTENDED, 1, "2015-11-20T15:00:00+08:00");
    s_add(f, "offline_activity", NULL, M_ATTENDED, 1, "2015-11-27T15:00:00+08:00");
    s_eval(f);
    assert_true(s_cat(f, "offline_activity")->attended_recorded == 3);
    assert_true(s_cat(f, "offline_activity")->attended == 3);
    assert_true(s_cat(f, "offline_activity")->points == 28);
    assert_true(f->r.total_points == 28);
}

/* Overlapping intervals of one teacher count once: 10:00-11:00 and 10:30-11:30 -> 90;
 * 10:00-12:00 containing 10:30-11:00 -> 120; the same hour sent twice -> 60;
 * all of them on separate days -> 90 + 120 + 60 = 270. */
static void test_union_of_intervals(void **state)
{
    fx_t *f = *state;
    s_study(f, 60, "2015-09-02T11:00:00+08:00");
    s_study(f, 60, "2015-09-02T11:30:00+08:00");
    s_study(f, 120, "2015-09-03T12:00:00+08:00");
    s_study(f, 30, "2015-09-03T11:00:00+08:00");
    s_study(f, 60, "2015-09-04T09:00:00+08:00");
    s_study(f, 60, "2015-09-04T09:00:00+08:00");
    s_eval(f);
    assert_true(s_cat(f, "platform_study")->raw == 270);
    /* the piece beyond the earlier interval belongs to the later statement */
    assert_true(f->e[0].counted == 60 && f->e[1].counted == 30);
    assert_true(f->e[2].counted == 120 && f->e[3].counted == 0);
    assert_true(f->e[4].counted + f->e[5].counted == 60);
    assert_true(f->r.minutes == 270);
}

/* The daily cap (480 minutes per local day): three 4-hour sessions on 2015-10-20 give 480,
 * not 720; a fourth on the next day adds its 240 -> 720 in all. The day is Beijing's:
 * 2015-10-21T01:00+08:00 (= 10-20 17:00 UTC) is already the 21st. */
static void test_daily_cap(void **state)
{
    fx_t *f = *state;
    s_study(f, 240, "2015-10-20T12:00:00+08:00");
    s_study(f, 240, "2015-10-20T16:00:00+08:00");
    s_study(f, 240, "2015-10-20T20:00:00+08:00");
    s_study(f, 240, "2015-10-20T17:00:00Z");
    s_eval(f);
    assert_true(f->e[2].counted == 0);
    assert_true(s_cat(f, "platform_study")->stages[1].raw == 720);
    /* a program may say otherwise: a cap of 60 minutes a day */
    rules_program_destroy(&f->p);
    f->p = s_guopei(NULL);
    f->p->daily_minutes_cap = 60;
    s_eval(f);
    assert_true(s_cat(f, "platform_study")->stages[1].raw == 120);
}

/* A statement counts in the stage whose window holds its timestamp (Beijing days): 23:59:59
 * on 2015-10-11 is stage 1, midnight of 10-12 is stage 2, even for a session that started
 * the evening before. 2015-08-31 lies outside every stage. */
static void test_stage_assignment(void **state)
{
    fx_t *f = *state;
    s_study(f, 30, "2015-10-11T23:59:59+08:00");
    s_study(f, 60, "2015-10-12T00:30:00+08:00");
    s_study(f, 30, "2015-10-11T16:00:00Z"); /* = 10-12 00:00:00 Beijing */
    s_study(f, 30, "2015-08-31T20:00:00+08:00");
    s_eval(f);
    assert_int_equal(f->e[0].stage, 0);
    assert_int_equal(f->e[1].stage, 1);
    assert_int_equal(f->e[2].stage, 1);
    assert_int_equal(f->e[3].stage, -1);
    /* 23:29:59-23:59:59 keeps its 30 minutes in stage 1; of 23:30-00:00 and 23:30-00:30
     * only what lies beyond 23:59:59 is new: 1 second and 30 minutes, both in stage 2 */
    const rules_category_result_t *ps = s_cat(f, "platform_study");
    assert_true(ps->stages[0].raw == 30);
    assert_in_range((int64_t)(ps->stages[1].raw * 60 + 0.5), 1801, 1801);
    assert_true(ps->stages[0].points == 1 && ps->stages[1].points == 1);
}

/* A reversed entry and its reversal are shown, never counted; a pass needs the threshold:
 * 59 is not 60, 60 is; a program may set 50. */
static void test_reversal_and_threshold(void **state)
{
    fx_t *f = *state;
    s_count(f, "classroom_application", "article", 4, "2015-11-05T12:00:00+08:00");
    s_count(f, "online_activity", "meeting", 5, "2015-10-25T19:00:00+08:00");
    s_add(f, "offline_activity", NULL, M_SCORE, 4, "2015-12-20T12:00:00+08:00");
    s_add(f, "offline_activity", NULL, M_ATTENDED, 3, "2015-12-20T12:00:00+08:00")->entered = true;
    s_eval(f);
    assert_true(f->r.total_points == 59); /* 40 + 15 + 4 */
    assert_false(f->r.passed);
    s_study(f, 30, "2015-09-05T10:00:00+08:00");
    s_eval(f);
    assert_true(f->r.total_points == 60);
    assert_true(f->r.passed);
    f->e[f->n - 1].live = false; /* voided */
    f->e[0].live = false;        /* one article withdrawn */
    s_eval(f);
    assert_true(f->r.total_points == 49);
    assert_true(s_cat(f, "platform_study")->raw == 0);
    rules_program_destroy(&f->p);
    f->p = s_guopei(", \"pass_threshold\": 45");
    s_eval(f);
    assert_true(f->r.passed);
}

/* Each minute category measures its own time: the same hour counted by two categories
 * counts in both (the union is per category); "minutes" reports those that count toward
 * the total only. 60 minutes: a = floor(60 / 7) = 8, b = 60 (not in the total). */
static void test_union_per_category(void **state)
{
    (void)state;
    rules_problems_t pr;
    json_t *in = json_loads(
        "{\"id\": \"p\", \"name\": \"n\", \"start\": \"2016-03-01\", \"end\": \"2016-06-30\","
        " \"rules\": {\"categories\": ["
        "  {\"key\": \"a\", \"unit\": \"minutes\", \"per\": 7, \"match\": [{\"verb\": "
        "\"http://x/v\"}]},"
        "  {\"key\": \"b\", \"unit\": \"minutes\", \"rounding\": \"none\", "
        "\"counts_toward_total\": false,"
        "   \"match\": [{\"verb\": \"http://x/v\"}]}]}}",
        0, NULL);
    fx_t f = {0};
    f.p = rules_program_parse(in, &pr);
    json_decref(in);
    assert_non_null(f.p);
    for (int c = 0; c < 2; c++) {
        rules_entry_t *e = &f.e[f.n];
        *e = (rules_entry_t){.id = (int64_t)f.n + 1,
                             .category = c,
                             .item = -1,
                             .measure = M_MINUTES,
                             .amount = 60,
                             .interval = true,
                             .live = true};
        e->end_us = s_time("2016-04-01T10:00:00+08:00");
        e->start_us = e->end_us - 60 * RULES_US_PER_MINUTE;
        f.n++;
    }
    s_eval(&f);
    assert_true(f.r.categories[0].raw == 60 && f.r.categories[0].points == 8);
    assert_true(f.r.categories[1].raw == 60 && f.r.categories[1].points == 60);
    assert_true(f.r.total_points == 8);
    assert_true(f.r.minutes == 60);
    rules_program_destroy(&f.p);
}

/* Manual corrections (negative amounts) never take a stage below zero. */
static void test_manual_minutes(void **state)
{
    fx_t *f = *state;
    s_study(f, 60, "2015-09-05T10:00:00+08:00");
    s_add(f, "platform_study", NULL, M_MINUTES, 40, "2015-09-06T10:00:00+08:00");
    s_eval(f);
    assert_true(s_cat(f, "platform_study")->stages[0].raw == 100);
    assert_true(s_cat(f, "platform_study")->stages[0].points == 3);
    s_add(f, "platform_study", NULL, M_MINUTES, -200, "2015-09-07T10:00:00+08:00");
    s_eval(f);
    assert_true(s_cat(f, "platform_study")->stages[0].points == 0);
}

/* ---- validation ------------------------------------------------------------------- */

static bool s_has(const rules_problems_t *pr, const char *path, const char *reason)
{
    for (size_t i = 0; i < pr->count; i++)
        if (strcmp(pr->items[i].path, path) == 0 && strstr(pr->items[i].reason, reason))
            return true;
    for (size_t i = 0; i < pr->count; i++)
        print_message("  %s: %s\n", pr->items[i].path, pr->items[i].reason);
    return false;
}

static rules_program_t *s_parse(const char *text, rules_problems_t *pr)
{
    json_error_t err;
    json_t *in = json_loads(text, 0, &err);
    if (!in) print_error("bad test JSON: %s\n", err.text);
    assert_non_null(in);
    rules_program_t *p = rules_program_parse(in, pr);
    json_decref(in);
    return p;
}

#define CATS(x)                                                                                    \
    "{\"id\": \"p1\", \"name\": \"n\", \"start\": \"2016-03-01\", \"end\": \"2016-06-30\", "       \
    "\"rules\": {\"categories\": [" x "]}}"
#define OK_CAT                                                                                     \
    "{\"key\": \"a\", \"unit\": \"count\", \"match\": [{\"verb\": "                                \
    "\"http://adlnet.gov/expapi/verbs/attended\"}]}"

static void test_validation(void **state)
{
    (void)state;
    rules_problems_t pr;
    rules_program_t *p = s_parse(CATS(OK_CAT), &pr);
    assert_non_null(p);
    /* defaults made explicit: one stage over the window, pass at 60, 480 minutes a day */
    assert_int_equal(p->nstages, 1);
    assert_true(p->pass_threshold == 60);
    json_t *cat =
        json_array_get(json_object_get(json_object_get(p->doc, "rules"), "categories"), 0);
    assert_string_equal(json_string_value(json_object_get(cat, "rounding")), "floor");
    assert_true(json_is_null(json_object_get(cat, "cap")));
    assert_true(json_is_true(json_object_get(cat, "counts_toward_total")));
    rules_program_destroy(&p);

    assert_null(s_parse(
        CATS(OK_CAT "," OK_CAT ", {\"key\": \"c\", \"unit\": \"count\", \"cap\": -1}"), &pr));
    assert_true(s_has(&pr, "rules.categories[2].cap", "must be a non-negative number"));
    assert_true(s_has(&pr, "rules.categories[1].key", "'a' is used twice"));

    assert_null(s_parse(CATS("{\"key\": \"a\", \"unit\": \"hours\", \"capp\": 3,"
                             " \"match\": [{\"verb\": \"not an iri\"}], \"stage_caps\": [1, 2]}"),
                        &pr));
    assert_true(s_has(&pr, "rules.categories[0].unit", "must be minutes, count or score"));
    assert_true(s_has(&pr, "rules.categories[0].capp", "unknown field"));
    assert_true(s_has(&pr, "rules.categories[0].match[0].verb", "absolute IRI"));
    assert_true(s_has(&pr, "rules.categories[0].stage_caps", "1 caps"));

    assert_null(s_parse(
        CATS("{\"key\": \"s\", \"unit\": \"score\", \"match\": [{\"verb\": \"http://x/y\"}],"
             " \"gate\": {\"min_attended\": 0}}"),
        &pr));
    assert_true(s_has(&pr, "rules.categories[0].match", "takes no statements"));
    assert_true(s_has(&pr, "rules.categories[0].gate.min_attended", "whole number"));

    /* stages tile the window */
    assert_null(s_parse(
        "{\"id\": \"p1\", \"name\": \"n\", \"start\": \"2016-03-01\", \"end\": \"2016-06-30\","
        " \"stages\": [{\"start\": \"2016-03-01\", \"end\": \"2016-04-30\"},"
        "              {\"start\": \"2016-05-02\", \"end\": \"2016-06-29\"}],"
        " \"rules\": {\"categories\": [" OK_CAT "]}}",
        &pr));
    assert_true(s_has(&pr, "stages[1].start", "must be 2016-05-01"));
    assert_true(s_has(&pr, "stages[1].end", "must be the program's end"));

    assert_null(
        s_parse("{\"id\": \"bad id!\", \"start\": \"2016-02-30\", \"end\": \"2016-06-30\","
                " \"scope\": {\"kind\": \"schools\", \"ids\": []}, \"pass_threshold\": \"60\"}",
                &pr));
    assert_true(s_has(&pr, "id", "must be 1 to 64"));
    assert_true(s_has(&pr, "name", "is required"));
    assert_true(s_has(&pr, "start", "must be a date"));
    assert_true(s_has(&pr, "scope.ids", "1 to"));
    assert_true(s_has(&pr, "pass_threshold", "must be a non-negative number"));

    /* the template takes only what it does not fix */
    json_t *in =
        json_loads("{\"id\": \"g\", \"start\": \"2015-09-01\", \"end\": \"2015-09-02\"}", 0, NULL);
    assert_null(rules_template("guopei-2015", in, &pr));
    assert_true(s_has(&pr, "end", "three days"));
    json_decref(in);
    in = json_loads("{\"id\": \"g\", \"rules\": {}}", 0, NULL);
    assert_null(rules_template("guopei-2015", in, &pr));
    assert_true(s_has(&pr, "rules", "not taken"));
    assert_null(rules_template("nope", in, &pr));
    assert_int_equal(pr.count, 0);
    json_decref(in);
}

/* The normalised definition parses to itself: what is stored is what is read back. */
static void test_roundtrip(void **state)
{
    fx_t *f = *state;
    rules_problems_t pr;
    rules_program_t *again = rules_program_parse(f->p->doc, &pr);
    assert_non_null(again);
    assert_true(json_equal(again->doc, f->p->doc));
    assert_int_equal(again->nitems, f->p->nitems);
    rules_program_destroy(&again);
}

static void test_times(void **state)
{
    (void)state;
    int64_t us;
    char out[40];
    assert_true(rules_parse_time("2015-09-01T00:00:00+08:00", &us));
    assert_int_equal(rules_day_of(us), rules_day_of(us + 1));
    assert_int_equal(us, rules_day_start(rules_day_of(us)));
    rules_format_time(us, out);
    assert_string_equal(out, "2015-09-01T00:00:00+08:00");
    assert_true(rules_parse_time("2015-08-31T16:00:00.25Z", &us));
    rules_format_time(us, out);
    assert_string_equal(out, "2015-09-01T00:00:00.250000+08:00");
    assert_false(rules_parse_time("2015-08-31 16:00:00", &us));
    assert_false(rules_parse_time("2015-02-29T16:00:00Z", &us));
    /* offsets with minutes; a space for the T (RFC 3339 allows it) */
    int64_t other;
    assert_true(rules_parse_time("2015-08-31T16:00:00Z", &us));
    assert_true(rules_parse_time("2015-08-31 21:30:00.25+05:30", &other));
    assert_int_equal(other, us + 250000);
    assert_false(rules_parse_time("2015-08-31T16:00:00+08", &us));
    int32_t d;
    assert_true(rules_parse_date("2016-02-29", &d));
    assert_false(rules_parse_date("2016-2-29", &d));
}

/* Behind schedule: below the threshold times the elapsed share of the window. Halfway
 * through 122 days (61 days in, 2015-11-01 00:00 Beijing) the guopei scheme expects 30. */
static void test_expected_points(void **state)
{
    fx_t *f = *state;
    assert_true(rules_expected_points(f->p, s_time("2015-11-01T00:00:00+08:00")) == 30);
    assert_true(rules_expected_points(f->p, s_time("2015-01-01T00:00:00+08:00")) == 0);
    assert_true(rules_expected_points(f->p, s_time("2016-01-01T00:00:00+08:00")) == 60);
}

#define T(name) cmocka_unit_test_setup_teardown(name, s_setup, s_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_guopei_shape),
        T(test_seed_003_full_marks),
        T(test_floor_per_stage),
        T(test_caps),
        T(test_community_outside_total),
        T(test_offline_gate),
        T(test_union_of_intervals),
        T(test_daily_cap),
        T(test_stage_assignment),
        T(test_reversal_and_threshold),
        T(test_manual_minutes),
        cmocka_unit_test(test_union_per_category),
        cmocka_unit_test(test_validation),
        T(test_roundtrip),
        cmocka_unit_test(test_times),
        T(test_expected_points),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
