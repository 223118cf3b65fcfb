/* Filling a CreditsReply. Everything it points to lives in the request's arena until the
 * reply is packed. Errors carry no body: the gateway renders status.message and problems. */
#include "credits.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define JSON_TYPE "application/json"

void reply_text(request_t *req, Yx__CreditsReply *reply, unsigned code, const char *content_type,
                const char *text, size_t len)
{
    uint8_t *copy = len ? yx_arena_alloc(req->arena, len) : NULL;
    if (len && !copy) {
        reply_error(req, reply, 500, "out of memory");
        return;
    }
    if (len) memcpy(copy, text, len);
    reply->status->code = code;
    reply->body.data = copy;
    reply->body.len = len;
    reply->content_type = yx_arena_strdup(req->arena, content_type ? content_type : "");
}

void reply_json(request_t *req, Yx__CreditsReply *reply, unsigned code, json_t *doc)
{
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!text) {
        reply_error(req, reply, 500, "out of memory");
        return;
    }
    reply_text(req, reply, code, JSON_TYPE, text, strlen(text));
    free(text);
}

void reply_error(request_t *req, Yx__CreditsReply *reply, unsigned code, const char *fmt, ...)
{
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    reply->status->code = code;
    reply->status->message = yx_arena_strdup(req->arena, message);
    reply->body.data = NULL;
    reply->body.len = 0;
}

void reply_problem(request_t *req, Yx__CreditsReply *reply, const char *file, unsigned line,
                   const char *column, const char *reason)
{
    Yx__Status *status = reply->status;
    Yx__Problem *problem = yx_arena_alloc(req->arena, sizeof *problem);
    /* grown by doubling inside the arena: the old array is simply left there */
    if (!problem) return;
    if (!(status->n_problems & (status->n_problems - 1))) {
        size_t cap = status->n_problems ? 2 * status->n_problems : 4;
        Yx__Problem **grown = yx_arena_alloc(req->arena, cap * sizeof *grown);
        if (!grown) return;
        if (status->n_problems) memcpy(grown, status->problems, status->n_problems * sizeof *grown);
        status->problems = grown;
    }
    yx__problem__init(problem);
    problem->file = yx_arena_strdup(req->arena, file ? file : "");
    problem->line = line;
    problem->column = yx_arena_strdup(req->arena, column ? column : "");
    problem->reason = yx_arena_strdup(req->arena, reason ? reason : "");
    status->problems[status->n_problems++] = problem;
}

void reply_header(request_t *req, Yx__CreditsReply *reply, const char *name, const char *value)
{
    /* a header set twice keeps its last value */
    for (size_t i = 0; i < reply->n_headers; i++)
        if (strcasecmp(reply->headers[i]->name, name) == 0) {
            reply->headers[i]->value = yx_arena_strdup(req->arena, value);
            return;
        }
    Yx__Header *header = yx_arena_alloc(req->arena, sizeof *header);
    Yx__Header **grown = yx_arena_alloc(req->arena, (reply->n_headers + 1) * sizeof *grown);
    if (!header || !grown) return;
    if (reply->n_headers) memcpy(grown, reply->headers, reply->n_headers * sizeof *grown);
    yx__header__init(header);
    header->name = yx_arena_strdup(req->arena, name);
    header->value = yx_arena_strdup(req->arena, value);
    grown[reply->n_headers++] = header;
    reply->headers = grown;
}
