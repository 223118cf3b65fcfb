/* The one aggregate query behind progress reports and the milestone sweep: every live entry
 * of a program (reversed ones and their reversals left out), study minutes united per
 * teacher and capped per day exactly as rules_assign() does it in C, summed per teacher,
 * category, item, measure and stage. Caps, rounding and gates are applied in C
 * (rules_total), so both paths share the rules. */
#include "program.h"
#include "yx_db.h"
#include "yx_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Keep in step with rules_eval.c: per teacher and category, s_union() orders by (start,
 * end, id) and lets an interval add only what lies beyond the furthest end before it;
 * s_daily_cap() orders a local day's pieces by (end, id) and counts them until the cap.
 * Days are (us + offset) / 86400e6. */
static const char s_sql[] =
    "WITH live AS ("
    "  SELECT e.teacher_id COLLATE \"C\" AS teacher_id, e.id, e.category, e.item, e.measure,"
    "         e.source, e.amount,"
    "         (extract(epoch FROM e.started_at) * 1000000)::int8 AS s_us,"
    "         (extract(epoch FROM e.occurred_at) * 1000000)::int8 AS e_us"
    "    FROM credits.ledger e"
    "   WHERE e.county_id = $1 AND e.program_id = $2 AND e.reverses IS NULL"
    "     AND ($3::text[] IS NULL OR e.teacher_id = ANY($3::text[]))"
    "     AND e.id NOT IN (SELECT r.reverses FROM credits.ledger r WHERE r.county_id = $1"
    "          AND r.program_id = $2 AND r.reverses IS NOT NULL"
    "          AND ($3::text[] IS NULL OR r.teacher_id = ANY($3::text[])))),"
    " u AS (SELECT teacher_id, id, category, item, s_us, e_us,"
    "              max(e_us) OVER (PARTITION BY teacher_id, category ORDER BY s_us, e_us, id"
    "                              ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach"
    "         FROM live WHERE s_us IS NOT NULL AND measure = 'minutes'),"
    " pc AS (SELECT teacher_id, id, category, item, e_us, (e_us + $4::int8) / 86400000000 AS day,"
    "               greatest(0, e_us - greatest(s_us, coalesce(reach, s_us))) AS piece FROM u),"
    " cap AS (SELECT pc.*, sum(piece) OVER (PARTITION BY teacher_id, category, day"
    "                                        ORDER BY e_us, id) AS run FROM pc),"
    " facts AS ("
    "  SELECT teacher_id, category, item, 'minutes' AS measure, false AS entered, day,"
    "         least(piece, greatest(0, $5::int8 - (run - piece))) / 60000000.0 AS amount FROM cap"
    "  UNION ALL"
    "  SELECT teacher_id, category, item, measure, source IN ('grade', 'manual'),"
    "         (e_us + $4::int8) / 86400000000, amount FROM live WHERE s_us IS NULL)"
    " SELECT teacher_id, category, item, measure, entered,"
    "        CASE WHEN day > $7::int8 THEN 0 ELSE width_bucket(day, $6::int8[]) END AS stage,"
    "        sum(amount)"
    "   FROM facts GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1";

int program_aggregate(credits_t *credits, const rules_program_t *p, const char *teacher_ids_array,
                      program_each_fn each, void *arg)
{
    char offset[24], cap[24], last[16], firsts[16 * RULES_MAX_STAGES + 4];
    snprintf(offset, sizeof offset, "%lld", (long long)RULES_TZ_OFFSET_S * 1000000);
    snprintf(cap, sizeof cap, "%lld",
             (long long)(p->daily_minutes_cap * (double)RULES_US_PER_MINUTE + 0.5));
    snprintf(last, sizeof last, "%d", (int)p->last_day);
    size_t len = 0;
    firsts[len++] = '{';
    for (int s = 0; s < p->nstages; s++)
        len += (size_t)snprintf(firsts + len, sizeof firsts - len, "%s%d", s ? "," : "",
                                (int)p->stages[s].first_day);
    snprintf(firsts + len, sizeof firsts - len, "}");
    const char *const params[] = {
        credits->county_id, p->id, teacher_ids_array, offset, cap, firsts, last};
    PGresult *res = yx_db_query(credits->db, s_sql, 7, params);
    if (!res) return -1;
    int rows = PQntuples(res);
    rules_entry_t *entries = malloc(sizeof *entries * (size_t)(rows ? rows : 1));
    if (!entries) {
        PQclear(res);
        return -1;
    }
    size_t n = 0;
    for (int r = 0; r < rows; r++) {
        const char *teacher = PQgetvalue(res, r, 0);
        rules_entry_t *e = &entries[n++];
        memset(e, 0, sizeof *e);
        e->id = r;
        e->live = true;
        e->measure = rules_measure_parse(PQgetvalue(res, r, 3));
        e->category = rules_category_index(p, PQgetvalue(res, r, 1));
        e->item = e->category < 0 ? -1
                                  : rules_item_index(p, e->category, PQgetvalue(res, r, 2),
                                                     e->measure == M_ATTENDED);
        e->entered = PQgetvalue(res, r, 4)[0] == 't';
        e->stage = atoi(PQgetvalue(res, r, 5)) - 1;
        e->amount = strtod(PQgetvalue(res, r, 6), NULL);
        if (r + 1 == rows || strcmp(teacher, PQgetvalue(res, r + 1, 0)) != 0) {
            each(arg, teacher, entries, n);
            n = 0;
        }
    }
    free(entries);
    PQclear(res);
    return 0;
}
