/* What the xAPI handlers share: the version header and the query string (xapi_routes.c), and
 * the alternate request syntax (xapi_alternate.c). */
#ifndef YX_XAPI_REQUEST_H
#define YX_XAPI_REQUEST_H
#include "gateway.h"

#define YX_XAPI_VERSION_MAX 16
#define YX_XAPI_PARAMS_MAX 32

/* The request's X-Experience-API-Version, normalised, into out. NULL when answered 400. */
const char *yx_xapi_version(yx_exchange_t *x, char out[YX_XAPI_VERSION_MAX]);

/* Every parameter of the query string, decoded into *text (free it). The count, or -1 when
 * answered 400 (undecodable, too many, one given twice). */
typedef struct {
    char *key, *value;
} yx_xapi_param_t;
int yx_xapi_params(yx_exchange_t *x, yx_xapi_param_t params[YX_XAPI_PARAMS_MAX], char **text);

/* The alternate request syntax (xapi_alternate.c): a POST with ?method=M and a form body is
 * rewritten in place into the request it stands for, its query string into *query (free it
 * after dispatch). 1 rewritten, 0 not that syntax, -1 answered 400. */
enum evhttp_cmd_type;
int yx_xapi_alternate(yx_exchange_t *x, enum evhttp_cmd_type *method, char **query);

#endif
