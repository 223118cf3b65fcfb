/* Calls to the credits service. Its reply is a whole HTTP answer (status, body, content
 * type, headers), which the gateway relays as it is: the service owns the documents, the
 * gateway only carries them. */
#ifndef YX_CREDITS_CALL_H
#define YX_CREDITS_CALL_H
#include "credits.pb-c.h"
#include "gateway.h"

#include <stddef.h>
#include <stdint.h>

/* Answers x from a well-formed reply (status code 200-599), which it takes over. */
typedef void(yx_credits_render_fn)(yx_exchange_t *x, Yx__CreditsReply *reply);

/* Completes cr's header from the exchange and sends it. The exchange is answered either way:
 * by render (NULL: yx_credits_relay) once the service replied, 504 when it did not in time,
 * 503 when it cannot be reached, 502 when its reply is malformed. */
void yx_credits_call(yx_exchange_t *x, Yx__CreditsRequest *cr, yx_credits_render_fn *render);
/* The same for a request packed by the caller into a malloc'd buffer, which it takes. */
void yx_credits_send(yx_exchange_t *x, uint8_t *buf, size_t size, yx_credits_render_fn *render);

/* The generic answer: status = status.code; on 2xx the body with its content type
 * (application/json by default) and every header the service set; otherwise
 * {"error": status.message, "problems": [...]}. */
void yx_credits_relay(yx_exchange_t *x, Yx__CreditsReply *reply);

#endif
