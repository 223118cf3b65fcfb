/* Route handlers. Each answers its exchange exactly once, now or when a service replies. */
#ifndef YX_HANDLERS_H
#define YX_HANDLERS_H
#include "gateway.h"

void yx_health_live(yx_exchange_t *x);
void yx_health_ready(yx_exchange_t *x);
void yx_health_metrics(yx_exchange_t *x);

void yx_roster_sync_bundle(yx_exchange_t *x);
void yx_roster_sync_csv(yx_exchange_t *x);
void yx_roster_list_districts(yx_exchange_t *x);
void yx_roster_list_schools(yx_exchange_t *x);
void yx_roster_get_school(yx_exchange_t *x);
void yx_roster_list_teachers(yx_exchange_t *x);
void yx_roster_list_groups(yx_exchange_t *x);
void yx_roster_get_teacher(yx_exchange_t *x);

void yx_xapi_post_statements(yx_exchange_t *x);
void yx_xapi_put_statement(yx_exchange_t *x);
void yx_xapi_get_statements(yx_exchange_t *x);
void yx_xapi_about(yx_exchange_t *x);
/* The document resources, every method, and the activities and agents resources (GET)
 * (xapi_documents.c). */
void yx_xapi_state(yx_exchange_t *x);
void yx_xapi_activity_profile(yx_exchange_t *x);
void yx_xapi_agent_profile(yx_exchange_t *x);
void yx_xapi_activity(yx_exchange_t *x);
void yx_xapi_agent(yx_exchange_t *x);
/* Every response under /xapi/ carries X-Experience-API-Version: 2.0.0 when the request asked
 * for 2.0, else 1.0.3. Called by the router before anything can answer. */
void yx_xapi_version_header(struct evhttp_request *req);

void yx_credits_create_program(yx_exchange_t *x);
void yx_credits_list_programs(yx_exchange_t *x);
void yx_credits_get_program(yx_exchange_t *x);
void yx_credits_transcript(yx_exchange_t *x);
void yx_credits_progress(yx_exchange_t *x);
void yx_credits_record_grade(yx_exchange_t *x);
void yx_credits_manual_entry(yx_exchange_t *x);
void yx_credits_list_unmatched(yx_exchange_t *x);
void yx_credits_issue_certificates(yx_exchange_t *x);
void yx_credits_get_certificate(yx_exchange_t *x);
void yx_credits_revoke_certificate(yx_exchange_t *x);
void yx_credits_verify(yx_exchange_t *x);

#endif
