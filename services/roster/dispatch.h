#ifndef ROSTER_DISPATCH_H
#define ROSTER_DISPATCH_H
#include "yx_bus.h"

#include <libpq-fe.h>

typedef struct {
    PGconn *db;
    const char *county_id;
} roster_t;

/* The bus handler: arg is the roster_t. */
void dispatch_request(yx_bus_call_t *call, const uint8_t *data, size_t size, void *arg);

#endif
