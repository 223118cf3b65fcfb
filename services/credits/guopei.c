/* The national scheme "国培计划(2015)" of seed 003 (河南省网络研修与校本研修整合培训考核制度) as a
 * built-in template: a county gives id, name, window and scope, and gets the scheme's rule
 * set exactly. Task score out of 100: online 30 (platform study 15, online activities 15),
 * offline 70 (classroom application 40, offline activities 30); community points are
 * reported beside it, uncapped, and never enter the total. */
#include "rules.h"

#include <stdio.h>
#include <string.h>

#define ADL "http://adlnet.gov/expapi/"
#define AS "http://activitystrea.ms/schema/1.0/"
#define TC "http://id.tincanapi.com/"

/* The rule set, stages excepted (they follow the window). */
static const char *const s_rules =
    "{\"daily_minutes_cap\": 480, \"total_cap\": 100, \"categories\": ["
    /* 平台学习: 1 point per 30 minutes, per stage; stages 90/300/60 minutes, 3/10/2 points */
    "{\"key\": \"platform_study\", \"name\": \"平台学习\", \"unit\": \"minutes\","
    " \"match\": [{\"key\": \"experienced\", \"verb\": \"" ADL "verbs/experienced\"},"
    "             {\"key\": \"completed\", \"verb\": \"" ADL "verbs/completed\"}],"
    " \"per\": 30, \"points\": 1, \"rounding\": \"floor\","
    " \"stage_caps\": [3, 10, 2], \"cap\": 15},"
    /* 线上活动: 3 points each, 15 at most (stage 1: one, stage 2: four) */
    "{\"key\": \"online_activity\", \"name\": \"线上活动\", \"unit\": \"count\","
    " \"match\": [{\"key\": \"meeting\", \"verb\": \"" ADL "verbs/attended\","
    "              \"activity_type\": \"" ADL "activities/meeting\"}],"
    " \"per\": 1, \"points\": 3, \"cap\": 15},"
    /* 课堂应用: 10 points per article, 40 at most (four articles) */
    "{\"key\": \"classroom_application\", \"name\": \"课堂应用\", \"unit\": \"count\","
    " \"match\": [{\"key\": \"article\", \"verb\": \"" ADL "verbs/passed\","
    "              \"activity_type\": \"" ADL "activities/assessment\"}],"
    " \"per\": 1, \"points\": 10, \"cap\": 40},"
    /* 线下活动: the school's graded score, only with at least 3 activities attended */
    "{\"key\": \"offline_activity\", \"name\": \"线下活动\", \"unit\": \"score\","
    " \"per\": 1, \"points\": 1, \"rounding\": \"none\", \"cap\": 30,"
    " \"gate\": {\"min_attended\": 3}},"
    /* 社区积分: contribution, activity and charm points; uncapped, outside the total.
     * Charm statements name the author as actor (see the README's table). */
    "{\"key\": \"community\", \"name\": \"社区积分\", \"unit\": \"count\","
    " \"per\": 1, \"points\": 1, \"rounding\": \"none\", \"counts_toward_total\": false,"
    " \"match\": ["
    "  {\"key\": \"blog_post\", \"verb\": \"" AS "author\", \"activity_type\": \"" TC
    "activitytype/blog\", \"weight\": 2},"
    "  {\"key\": \"resource_upload\", \"verb\": \"" AS "author\", \"activity_type\": \"" TC
    "activitytype/resource\", \"weight\": 2},"
    "  {\"key\": \"qa_post\", \"verb\": \"" ADL "verbs/asked\", \"weight\": 1},"
    "  {\"key\": \"rating\", \"verb\": \"" TC "verb/rated\", \"weight\": 1},"
    "  {\"key\": \"comment\", \"verb\": \"" ADL "verbs/commented\", \"weight\": 1},"
    "  {\"key\": \"work_commented\", \"verb\": \"" AS "receive\", \"activity_type\": \"" AS
    "comment\", \"weight\": 1},"
    "  {\"key\": \"assignment_recommended\", \"verb\": \"" TC "verb/promoted\","
    "   \"activity_type\": \"" TC "activitytype/school-assignment\", \"weight\": 20},"
    "  {\"key\": \"resource_recommended_10\", \"verb\": \"" TC "verb/promoted\","
    "   \"activity_type\": \"" TC "activitytype/resource\", \"score_min\": 10, \"weight\": 2},"
    "  {\"key\": \"resource_recommended_8\", \"verb\": \"" TC "verb/promoted\","
    "   \"activity_type\": \"" TC "activitytype/resource\", \"score_min\": 8, \"weight\": 1},"
    "  {\"key\": \"resource_downloaded\", \"verb\": \"" AS "receive\", \"activity_type\": \"" TC
    "activitytype/resource\", \"weight\": 1}]}"
    "]}";

static void s_problem(rules_problems_t *pr, const char *path, const char *reason)
{
    if (pr->count >= RULES_MAX_PROBLEMS) return;
    snprintf(pr->items[pr->count].path, sizeof pr->items[pr->count].path, "%s", path);
    snprintf(pr->items[pr->count].reason, sizeof pr->items[pr->count].reason, "%s", reason);
    pr->count++;
}

/* Three stages of equal length over the window (the first ones a day longer when the days
 * do not divide by three). */
static json_t *s_three_stages(int32_t first, int32_t last)
{
    static const char *const names[] = {"阶段一", "阶段二", "阶段三"};
    int32_t days = last - first + 1, from = first;
    json_t *stages = json_array();
    for (int i = 0; i < 3; i++) {
        int32_t len = days / 3 + (i < days % 3 ? 1 : 0);
        char a[11], b[11];
        rules_format_date(from, a);
        rules_format_date(from + len - 1, b);
        json_array_append_new(stages,
                              json_pack("{s:s, s:s, s:s}", "name", names[i], "start", a, "end", b));
        from += len;
    }
    return stages;
}

static json_t *s_guopei(const json_t *in, rules_problems_t *pr)
{
    if (!json_is_object(in)) {
        s_problem(pr, "", "the program must be a JSON object");
        return NULL;
    }
    /* the template fixes the rules: only these may be given */
    static const char *const allowed[] = {"id",    "name",   "description",    "start", "end",
                                          "scope", "stages", "pass_threshold", NULL};
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)in, key, value)
    {
        const char *const *a = allowed;
        while (*a && strcmp(*a, key) != 0)
            a++;
        if (!*a) s_problem(pr, key, "not taken with template guopei-2015");
    }
    json_t *stages = json_object_get(in, "stages");
    if (stages && json_array_size(stages) != 3)
        s_problem(pr, "stages", "guopei-2015 has three stages");
    if (pr->count) return NULL;

    json_t *doc = json_deep_copy(in);
    json_object_set_new(doc, "template", json_string("guopei-2015"));
    if (!json_object_get(doc, "name"))
        json_object_set_new(doc, "name", json_string("国培计划(2015)"));
    int32_t first, last;
    if (!stages && rules_parse_date(json_string_value(json_object_get(in, "start")), &first) &&
        rules_parse_date(json_string_value(json_object_get(in, "end")), &last)) {
        if (last - first + 1 < 3) {
            s_problem(pr, "end", "guopei-2015 needs at least three days (three stages)");
            json_decref(doc);
            return NULL;
        }
        json_object_set_new(doc, "stages", s_three_stages(first, last));
    }
    json_object_set_new(doc, "rules", json_loads(s_rules, 0, NULL));
    return doc;
}

json_t *rules_template(const char *name, const json_t *input, rules_problems_t *problems)
{
    memset(problems, 0, sizeof *problems);
    if (strcmp(name, "guopei-2015") == 0) return s_guopei(input, problems);
    return NULL;
}
