/* Metrics kept as plain counters: the loop is single-threaded, so no atomics are needed. */
#include "metrics.h"

#include <event2/buffer.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const double s_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                  0.25,   0.5,   1,      2.5,   5,    10,    30,   60};
#define NBOUNDS (sizeof s_bounds / sizeof s_bounds[0])
#define MAX_CODES 24 /* distinct status codes per route; more land in the last slot */

typedef struct {
    uint64_t buckets[NBOUNDS + 1]; /* the last one is +Inf */
    uint64_t count;
    double sum;
} s_histogram_t;

typedef struct {
    int code;
    uint64_t count;
} s_code_count_t;

typedef struct {
    s_code_count_t codes[MAX_CODES];
    int ncodes;
    s_histogram_t duration;
} s_route_t;

struct yx_metrics {
    const char *const *route_names;
    const char *const *service_names;
    int nroutes;
    int nservices;
    int *slot;         /* route index -> the first index with the same label */
    s_route_t *routes; /* used at slot indices only */
    s_histogram_t *bus;
};

static void s_observe(s_histogram_t *h, double seconds)
{
    size_t i = 0;
    while (i < NBOUNDS && seconds > s_bounds[i])
        i++;
    h->buckets[i]++;
    h->count++;
    h->sum += seconds;
}

static void s_render_histogram(struct evbuffer *out, const char *name, const char *label,
                               const char *value, const s_histogram_t *h)
{
    uint64_t cumulative = 0;
    for (size_t i = 0; i < NBOUNDS; i++) {
        cumulative += h->buckets[i];
        evbuffer_add_printf(out, "%s_bucket{%s=\"%s\",le=\"%g\"} %llu\n", name, label, value,
                            s_bounds[i], (unsigned long long)cumulative);
    }
    evbuffer_add_printf(out, "%s_bucket{%s=\"%s\",le=\"+Inf\"} %llu\n", name, label, value,
                        (unsigned long long)h->count);
    evbuffer_add_printf(out, "%s_sum{%s=\"%s\"} %.6f\n", name, label, value, h->sum);
    evbuffer_add_printf(out, "%s_count{%s=\"%s\"} %llu\n", name, label, value,
                        (unsigned long long)h->count);
}

yx_metrics_t *yx_metrics_new(const char *const *routes, int nroutes, const char *const *services,
                             int nservices)
{
    yx_metrics_t *self = calloc(1, sizeof *self);
    if (!self) return NULL;
    self->route_names = routes;
    self->service_names = services;
    self->nroutes = nroutes;
    self->nservices = nservices;
    self->routes = calloc((size_t)nroutes, sizeof *self->routes);
    self->bus = calloc((size_t)nservices, sizeof *self->bus);
    self->slot = calloc((size_t)nroutes, sizeof *self->slot);
    if (!self->routes || !self->bus || !self->slot) {
        yx_metrics_destroy(&self);
        return NULL;
    }
    /* One path with several methods (GET and POST /xapi/statements) is one series: the
     * exposition format forbids two samples with the same labels. */
    for (int r = 0; r < nroutes; r++) {
        int first = 0;
        while (strcmp(routes[first], routes[r]) != 0)
            first++;
        self->slot[r] = first;
    }
    return self;
}

void yx_metrics_destroy(yx_metrics_t **self_p)
{
    yx_metrics_t *self = *self_p;
    if (!self) return;
    free(self->routes);
    free(self->bus);
    free(self->slot);
    free(self);
    *self_p = NULL;
}

void yx_metrics_http(yx_metrics_t *self, int route, int code, double seconds)
{
    if (route < 0 || route >= self->nroutes) return;
    s_route_t *r = &self->routes[self->slot[route]];
    int i = 0;
    while (i < r->ncodes && r->codes[i].code != code)
        i++;
    if (i == r->ncodes) {
        if (r->ncodes < MAX_CODES)
            r->codes[r->ncodes++].code = code;
        else
            i = MAX_CODES - 1;
    }
    r->codes[i].count++;
    s_observe(&r->duration, seconds);
}

void yx_metrics_bus(yx_metrics_t *self, int service, double seconds)
{
    if (service >= 0 && service < self->nservices) s_observe(&self->bus[service], seconds);
}

void yx_metrics_render(const yx_metrics_t *self, struct evbuffer *out)
{
    evbuffer_add_printf(out, "# HELP yanxiu_http_requests_total HTTP requests answered.\n"
                             "# TYPE yanxiu_http_requests_total counter\n");
    for (int r = 0; r < self->nroutes; r++)
        for (int i = 0; i < self->routes[r].ncodes; i++)
            evbuffer_add_printf(out, "yanxiu_http_requests_total{route=\"%s\",code=\"%d\"} %llu\n",
                                self->route_names[r], self->routes[r].codes[i].code,
                                (unsigned long long)self->routes[r].codes[i].count);
    evbuffer_add_printf(out, "# HELP yanxiu_http_request_duration_seconds Time from request"
                             " read to reply queued.\n"
                             "# TYPE yanxiu_http_request_duration_seconds histogram\n");
    for (int r = 0; r < self->nroutes; r++)
        if (self->routes[r].duration.count)
            s_render_histogram(out, "yanxiu_http_request_duration_seconds", "route",
                               self->route_names[r], &self->routes[r].duration);
    evbuffer_add_printf(out, "# HELP yanxiu_bus_roundtrip_seconds Time from a bus call to its"
                             " reply.\n"
                             "# TYPE yanxiu_bus_roundtrip_seconds histogram\n");
    for (int s = 0; s < self->nservices; s++)
        s_render_histogram(out, "yanxiu_bus_roundtrip_seconds", "service", self->service_names[s],
                           &self->bus[s]);
}
