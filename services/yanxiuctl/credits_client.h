/* yanxiuctl's calls to the credits service: one request, one reply, over the bus
 * (YANXIU_CREDITS_ENDPOINT), as the county administrator. Programs are the credits
 * service's; the tool does not touch its schema. */
#ifndef YX_CREDITS_CLIENT_H
#define YX_CREDITS_CLIENT_H
#include "credits.pb-c.h"

/* Fills cr's header (principal COUNTY_ADMIN, key id "yanxiuctl"), sends it and waits up to
 * YANXIU_BUS_TIMEOUT_MS for the reply. The reply (free with
 * yx__credits_reply__free_unpacked), or NULL with the reason printed on stderr. */
Yx__CreditsReply *yx_credits_client_call(Yx__CreditsRequest *cr);

/* Prints a 2xx reply's body on stdout and returns 0; otherwise the error and its problems on
 * stderr and returns 1. Frees the reply. */
int yx_credits_client_print(Yx__CreditsReply *reply);

#endif
