/* Entries to numbers. The ledger holds raw facts (minutes studied, activities, scores); the
 * rules are applied here, when reading, so a corrected rule set re-derives every transcript
 * without rewriting history. progress.c computes the first step in SQL for many teachers at
 * once and must stay in step with s_union() and s_daily_cap() below. */
#include "rules.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EPS 1e-9 /* sums of fractional minutes must not floor 89.999999 to 2 points */

typedef struct {
    rules_entry_t *e;
    int64_t piece; /* microseconds this interval adds to the union */
} span_t;

static int s_by_start(const void *a, const void *b)
{
    const rules_entry_t *x = ((const span_t *)a)->e, *y = ((const span_t *)b)->e;
    if (x->category != y->category) return x->category < y->category ? -1 : 1;
    if (x->start_us != y->start_us) return x->start_us < y->start_us ? -1 : 1;
    if (x->end_us != y->end_us) return x->end_us < y->end_us ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

static int s_by_end(const void *a, const void *b)
{
    const rules_entry_t *x = ((const span_t *)a)->e, *y = ((const span_t *)b)->e;
    if (x->category != y->category) return x->category < y->category ? -1 : 1;
    if (x->end_us != y->end_us) return x->end_us < y->end_us ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* Overlapping study counts once (within a category: each category measures its own time):
 * taken in order of start, an interval adds only what lies beyond the latest end seen so
 * far, and that piece ends at the statement's own timestamp, so it belongs to the
 * statement's day and stage. */
static void s_union(span_t *spans, size_t n)
{
    qsort(spans, n, sizeof *spans, s_by_start);
    int64_t reach = INT64_MIN;
    for (size_t i = 0; i < n; i++) {
        rules_entry_t *e = spans[i].e;
        if (i > 0 && spans[i - 1].e->category != e->category) reach = INT64_MIN;
        int64_t from = e->start_us > reach ? e->start_us : reach;
        spans[i].piece = e->end_us > from ? e->end_us - from : 0;
        if (e->end_us > reach) reach = e->end_us;
    }
}

/* No one studies more than the daily cap: within a local day (and category), pieces count
 * in order of their end until the cap is reached. */
static void s_daily_cap(const rules_program_t *p, span_t *spans, size_t n)
{
    qsort(spans, n, sizeof *spans, s_by_end);
    int64_t cap = (int64_t)llround(p->daily_minutes_cap * (double)RULES_US_PER_MINUTE);
    int32_t day = 0;
    int64_t used = 0;
    for (size_t i = 0; i < n; i++) {
        rules_entry_t *e = spans[i].e;
        int32_t d = rules_day_of(e->end_us);
        if (i == 0 || d != day || spans[i - 1].e->category != e->category) {
            day = d;
            used = 0;
        }
        int64_t room = cap > used ? cap - used : 0;
        int64_t counted = spans[i].piece < room ? spans[i].piece : room;
        used += spans[i].piece;
        e->counted = (double)counted / (double)RULES_US_PER_MINUTE;
    }
}

int rules_assign(const rules_program_t *p, rules_entry_t *entries, size_t n)
{
    size_t nspans = 0;
    for (size_t i = 0; i < n; i++) {
        rules_entry_t *e = &entries[i];
        e->stage = rules_stage_of_day(p, rules_day_of(e->end_us));
        e->counted = 0;
        if (e->live && e->interval && e->measure == M_MINUTES && e->category >= 0) nspans++;
    }
    if (!nspans) return 0;
    span_t *spans = malloc(nspans * sizeof *spans);
    if (!spans) return -1;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        rules_entry_t *e = &entries[i];
        if (e->live && e->interval && e->measure == M_MINUTES && e->category >= 0)
            spans[k++] = (span_t){e, 0};
    }
    s_union(spans, nspans);
    s_daily_cap(p, spans, nspans);
    free(spans);
    return 0;
}

static double s_round(double x, rules_rounding_t r)
{
    switch (r) {
    case ROUND_FLOOR:
        return floor(x + EPS);
    case ROUND_NEAREST:
        return floor(x + 0.5 + EPS);
    case ROUND_CEIL:
        return ceil(x - EPS);
    default:
        return x;
    }
}

static rules_measure_t s_measure_of(rules_unit_t unit)
{
    return unit == RULES_MINUTES ? M_MINUTES : unit == RULES_COUNT ? M_COUNT : M_SCORE;
}

/* The most a category can give: its cap, else the sum of its stage caps; < 0 unbounded. */
static double s_category_max(const rules_program_t *p, const rules_category_t *c)
{
    if (c->has_cap) return c->cap;
    double sum = 0;
    for (int s = 0; s < p->nstages; s++) {
        if (!c->has_stage_cap[s]) return -1;
        sum += c->stage_cap[s];
    }
    return sum;
}

void rules_total(const rules_program_t *p, const rules_entry_t *entries, size_t n,
                 rules_result_t *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        const rules_entry_t *e = &entries[i];
        if (!e->live || e->category < 0 || e->category >= p->ncategories) continue;
        rules_category_result_t *cr = &out->categories[e->category];
        if (e->measure == M_ATTENDED) {
            if (e->entered)
                cr->attended_entered += e->amount;
            else
                cr->attended_recorded += e->amount;
            continue;
        }
        /* a measure the category no longer has (its unit changed) counts nowhere */
        if (e->measure != s_measure_of(p->categories[e->category].unit) || e->stage < 0 ||
            e->stage >= p->nstages)
            continue;
        double v = e->interval ? e->counted : e->amount;
        double w = e->item >= 0 && e->item < p->nitems ? p->items[e->item].weight : 1;
        cr->stages[e->stage].raw += v;
        cr->stages[e->stage].units += v * w;
        if (e->item >= 0 && e->item < p->nitems) out->item_raw[e->item] += v;
    }
    double max = 0;
    for (int c = 0; c < p->ncategories; c++) {
        const rules_category_t *cat = &p->categories[c];
        rules_category_result_t *cr = &out->categories[c];
        for (int s = 0; s < p->nstages; s++) {
            rules_stage_result_t *sr = &cr->stages[s];
            cr->raw += sr->raw;
            cr->units += sr->units;
            /* corrections may leave a stage below zero: it gives nothing, takes nothing */
            double units = sr->units > 0 ? sr->units : 0;
            sr->points = s_round(units / cat->per, cat->rounding) * cat->points;
            if (cat->has_stage_cap[s] && sr->points > cat->stage_cap[s])
                sr->points = cat->stage_cap[s];
            cr->points_uncapped += sr->points;
        }
        cr->points =
            cat->has_cap && cr->points_uncapped > cat->cap ? cat->cap : cr->points_uncapped;
        /* attendance a school entered is its count of everything attended; scheduling's
         * records are a count of their own: the larger one stands, never the sum */
        cr->attended = cr->attended_entered > cr->attended_recorded ? cr->attended_entered
                                                                    : cr->attended_recorded;
        cr->gate_met = cat->min_attended == 0 || cr->attended + EPS >= cat->min_attended;
        if (!cr->gate_met) cr->points = 0;
        if (!cat->counts) continue;
        if (cat->unit == RULES_MINUTES) out->minutes += cr->raw > 0 ? cr->raw : 0;
        out->total_points += cr->points;
        double m = s_category_max(p, cat);
        max = max < 0 || m < 0 ? -1 : max + m;
    }
    if (p->has_total_cap) {
        if (out->total_points > p->total_cap) out->total_points = p->total_cap;
        if (max < 0 || max > p->total_cap) max = p->total_cap;
    }
    out->max_points = max;
    out->passed = out->total_points + EPS >= p->pass_threshold;
}

int rules_evaluate(const rules_program_t *p, rules_entry_t *entries, size_t n, rules_result_t *out)
{
    if (rules_assign(p, entries, n) < 0) return -1;
    rules_total(p, entries, n, out);
    return 0;
}

double rules_expected_points(const rules_program_t *p, int64_t now_us)
{
    int64_t start = rules_day_start(p->first_day), end = rules_day_start(p->last_day + 1);
    double share = (double)(now_us - start) / (double)(end - start);
    if (share < 0) share = 0;
    if (share > 1) share = 1;
    return p->pass_threshold * share;
}
