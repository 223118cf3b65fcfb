/* JSON-lines logs on stderr: one object per line with time, level, service,
 * request_id (when known) and message, so a request can be followed gateway -> service. */
#ifndef YX_LOG_H
#define YX_LOG_H

typedef enum { YX_LOG_DEBUG, YX_LOG_INFO, YX_LOG_WARN, YX_LOG_ERROR } yx_log_level_t;

/* Names the process in every line; reads YANXIU_LOG_LEVEL. */
void yx_log_init(const char *service);
void yx_log(yx_log_level_t level, const char *request_id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define yx_debug(rid, ...) yx_log(YX_LOG_DEBUG, rid, __VA_ARGS__)
#define yx_info(rid, ...) yx_log(YX_LOG_INFO, rid, __VA_ARGS__)
#define yx_warn(rid, ...) yx_log(YX_LOG_WARN, rid, __VA_ARGS__)
#define yx_error(rid, ...) yx_log(YX_LOG_ERROR, rid, __VA_ARGS__)

#endif
