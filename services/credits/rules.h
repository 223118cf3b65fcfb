/* Rule sets as data: a program's definition, parsed and validated (rules.c), and the pure
 * computation that turns ledger entries into transcript numbers (rules_eval.c). Nothing here
 * touches the database, so the unit tests run it alone; progress.c mirrors the first step
 * (union of study intervals and the daily cap) in SQL and feeds the rest back through
 * rules_total(). */
#ifndef CREDITS_RULES_H
#define CREDITS_RULES_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RULES_MAX_STAGES 12
#define RULES_MAX_CATEGORIES 32
#define RULES_MAX_ITEMS 256 /* match items of all categories and gates together */
#define RULES_MAX_PROBLEMS 20
#define RULES_MAX_ID 64
/* Calendar days and stage windows are those of Asia/Shanghai: UTC+8 without daylight saving
 * since 1991, so a fixed offset is exact for every date a program can have. */
#define RULES_TZ_NAME "Asia/Shanghai"
#define RULES_TZ_OFFSET_S (8 * 3600)
#define RULES_US_PER_MINUTE INT64_C(60000000)

typedef enum { RULES_MINUTES, RULES_COUNT, RULES_SCORE } rules_unit_t;
/* What one ledger entry measures; "attended" feeds a category's gate. */
typedef enum { M_MINUTES, M_COUNT, M_SCORE, M_ATTENDED, M_NONE } rules_measure_t;
typedef enum { ROUND_FLOOR, ROUND_NEAREST, ROUND_CEIL, ROUND_NONE } rules_rounding_t;
typedef enum { SCOPE_COUNTY, SCOPE_DISTRICTS, SCOPE_SCHOOLS } rules_scope_kind_t;

/* One kind of statement a category counts: verb and, optionally, activity type and a least
 * result.score.raw. The first item of a category that matches a statement wins. */
typedef struct {
    int category;
    bool gate; /* counts attendance for the category's gate, not the category itself */
    const char *key;
    const char *verb;
    const char *activity_type; /* NULL: any type */
    double weight;             /* units one occurrence (or one minute) is worth */
    bool has_score_min;
    double score_min;
} rules_item_t;

typedef struct {
    const char *key, *name;
    rules_unit_t unit;
    double per, points; /* rounding(units / per) * points, per stage */
    rules_rounding_t rounding;
    bool has_stage_cap[RULES_MAX_STAGES];
    double stage_cap[RULES_MAX_STAGES];
    bool has_cap;
    double cap;
    bool counts;      /* toward the total */
    int min_attended; /* the gate: points count only with this many activities attended; 0: none */
} rules_category_t;

typedef struct {
    const char *name;
    int32_t first_day, last_day; /* days since 1970-01-01, inclusive */
} rules_stage_t;

typedef struct {
    json_t *doc; /* the normalised definition; every string below points into it */
    const char *id, *name, *template_name;
    int32_t first_day, last_day;
    rules_scope_kind_t scope;
    const char **scope_ids;
    size_t nscope_ids;
    int nstages;
    rules_stage_t stages[RULES_MAX_STAGES];
    double pass_threshold;
    bool has_total_cap;
    double total_cap;
    double daily_minutes_cap;
    int ncategories;
    rules_category_t categories[RULES_MAX_CATEGORIES];
    int nitems;
    rules_item_t items[RULES_MAX_ITEMS];
} rules_program_t;

typedef struct {
    size_t count;
    struct {
        char path[128];
        char reason[192];
    } items[RULES_MAX_PROBLEMS];
} rules_problems_t;

/* Validates a program definition and returns it normalised (every default explicit), with
 * the model built on it; NULL with the problems listed (field paths such as
 * "rules.categories[2].cap"). The input is not modified. */
rules_program_t *rules_program_parse(const json_t *input, rules_problems_t *problems);
void rules_program_destroy(rules_program_t **self_p);

/* A built-in template ("guopei-2015", guopei.c) expanded into a whole definition for
 * rules_program_parse(); NULL with the problems listed (or none listed: no such template). */
json_t *rules_template(const char *name, const json_t *input, rules_problems_t *problems);

int rules_category_index(const rules_program_t *p, const char *key);
/* The item of category c with this key, -1 when none. */
int rules_item_index(const rules_program_t *p, int category, const char *key, bool gate);
const char *rules_unit_name(rules_unit_t unit);
const char *rules_measure_name(rules_measure_t m);
rules_measure_t rules_measure_parse(const char *s);

/* ---- dates and times (Asia/Shanghai) ---------------------------------------------------- */

/* "YYYY-MM-DD" to days since 1970-01-01; false when not a valid date. */
bool rules_parse_date(const char *s, int32_t *day);
void rules_format_date(int32_t day, char out[11]);
/* The local calendar day of an instant (microseconds since the epoch). */
int32_t rules_day_of(int64_t us);
/* Local midnight starting that day, as microseconds since the epoch. */
int64_t rules_day_start(int32_t day);
/* RFC 3339 ("2015-09-01T08:00:00Z", offsets, fractions) to microseconds; false if invalid. */
bool rules_parse_time(const char *s, int64_t *us);
/* "2015-09-01T16:00:00+08:00" (fractions of a second when there are any). */
void rules_format_time(int64_t us, char out[40]);
/* The stage containing that local day, -1 when none. */
int rules_stage_of_day(const rules_program_t *p, int32_t day);

/* ---- evaluation (rules_eval.c) -------------------------------------------------------- */

/* One ledger entry as the rules see it. */
typedef struct {
    int64_t id;   /* ledger order: ties in time are broken by it */
    int category; /* index in the program, -1: a category the rules no longer have */
    int item;     /* index in items, -1: none (manual entries, grades) */
    rules_measure_t measure;
    double amount;            /* minutes, count, score or activities attended */
    bool interval;            /* statement minutes: [start_us, end_us] joins the union */
    int64_t start_us, end_us; /* end_us is when it happened (the statement's timestamp) */
    bool entered; /* attendance a school entered (else recorded by scheduling/statements) */
    bool live;    /* false: reversed, or a reversal; shown, never counted */
    /* set by rules_assign() */
    int stage;      /* -1: outside every stage */
    double counted; /* minutes that count after union and daily cap (intervals) */
} rules_entry_t;

typedef struct {
    double raw;    /* in the category's unit, live entries of the stage */
    double units;  /* raw weighted by the items' weights */
    double points; /* after rounding and the stage cap */
} rules_stage_result_t;

typedef struct {
    double raw, units;
    double points_uncapped; /* sum of the stages' points */
    double points;          /* after the category cap and the gate */
    double attended_entered, attended_recorded, attended;
    bool gate_met;
    rules_stage_result_t stages[RULES_MAX_STAGES];
} rules_category_result_t;

typedef struct {
    double total_points;
    double max_points; /* what the rules allow at most; < 0 when unbounded */
    double minutes;    /* study minutes of the minute categories that count toward the total,
                        * after union and daily cap */
    bool passed;
    rules_category_result_t categories[RULES_MAX_CATEGORIES];
    double item_raw[RULES_MAX_ITEMS]; /* per match item, live entries */
} rules_result_t;

/* Stage of every entry, and the minutes each interval adds to the union of the intervals
 * before it in its category, capped per category and local day. 0, or -1 when out of
 * memory. */
int rules_assign(const rules_program_t *p, rules_entry_t *entries, size_t n);
/* The numbers, from entries whose stage (and counted minutes) are set. */
void rules_total(const rules_program_t *p, const rules_entry_t *entries, size_t n,
                 rules_result_t *out);
/* Both. 0 or -1 (out of memory). */
int rules_evaluate(const rules_program_t *p, rules_entry_t *entries, size_t n, rules_result_t *out);
/* The points the elapsed share of the window predicts at `now_us` (behind schedule: fewer). */
double rules_expected_points(const rules_program_t *p, int64_t now_us);

#endif
