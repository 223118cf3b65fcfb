/* The public certificate check (/verify/{id}) as a page a person reads: what a QR code on a
 * printed certificate opens. Programs asking with JSON get the service's document. */
#ifndef YX_VERIFY_PAGE_H
#define YX_VERIFY_PAGE_H
#include "credits_call.h"

#include <stdbool.h>

/* True when the Accept header ranks text/html above application/json (RFC 9110 12.5.1:
 * the most specific matching range gives a type its weight). NULL: false. */
bool yx_verify_prefers_html(const char *accept);

/* A yx_credits_render_fn: a small self-contained HTML page in Chinese and English saying
 * 证书有效 / 证书无效 / 已撤销 with teacher, program and date. */
void yx_verify_render_html(yx_exchange_t *x, Yx__CreditsReply *reply);

#endif
