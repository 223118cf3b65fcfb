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

#endif
