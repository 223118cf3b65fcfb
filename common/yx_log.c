/* JSON-lines logging. jansson escapes messages so a hostile string cannot forge lines. */
#include "yx_log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *s_service = "yanxiu";
static yx_log_level_t s_min_level = YX_LOG_INFO;
static const char *const s_level_names[] = {"debug", "info", "warn", "error"};

void yx_log_init(const char *service)
{
    s_service = service;
    const char *level = getenv("YANXIU_LOG_LEVEL");
    for (int i = 0; level && i < 4; i++)
        if (strcasecmp(level, s_level_names[i]) == 0) s_min_level = (yx_log_level_t)i;
}

void yx_log(yx_log_level_t level, const char *request_id, const char *fmt, ...)
{
    if (level < s_min_level) return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    char ts[40];
    size_t n = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + n, sizeof ts - n, ".%03ldZ", now.tv_nsec / 1000000);

    json_t *line = json_pack("{s:s, s:s, s:s}", "ts", ts, "level", s_level_names[level],
                             "service", s_service);
    if (!line) return;
    if (request_id && *request_id) json_object_set_new(line, "request_id", json_string(request_id));
    json_t *m = json_string(msg);
    if (!m) { /* invalid UTF-8 from some input: keep the line, lose the odd bytes */
        for (char *p = msg; *p; p++)
            if ((unsigned char)*p >= 0x80) *p = '?';
        m = json_string(msg);
    }
    json_object_set_new(line, "msg", m);
    char *text = json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (text) {
        fprintf(stderr, "%s\n", text);
        free(text);
    }
    json_decref(line);
}
