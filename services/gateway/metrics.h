/* Prometheus counters and histograms of the gateway, updated on the request path without
 * allocating: fixed arrays indexed by route and service. */
#ifndef YX_METRICS_H
#define YX_METRICS_H
#include <stddef.h>

struct evbuffer;
typedef struct yx_metrics yx_metrics_t;

/* routes[nroutes] and services[nservices] are label values, kept by pointer; routes with
 * the same label (one path, several methods) share one series. */
yx_metrics_t *yx_metrics_new(const char *const *routes, int nroutes, const char *const *services,
                             int nservices);
void yx_metrics_destroy(yx_metrics_t **self_p);
void yx_metrics_http(yx_metrics_t *self, int route, int code, double seconds);
void yx_metrics_bus(yx_metrics_t *self, int service, double seconds);
/* Appends the request counters and both histograms in the text exposition format. */
void yx_metrics_render(const yx_metrics_t *self, struct evbuffer *out);

#endif
