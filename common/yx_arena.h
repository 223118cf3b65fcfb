/* One arena per inbound message: everything a request allocates is freed at once after
 * the reply (PostgreSQL's MessageContext idea). */
#ifndef YX_ARENA_H
#define YX_ARENA_H
#include <stddef.h>

typedef struct yx_arena yx_arena_t;

yx_arena_t *yx_arena_new(void);
void yx_arena_destroy(yx_arena_t **self_p);
/* Zeroed memory; NULL only when the system is out of memory. */
void *yx_arena_alloc(yx_arena_t *self, size_t size);
char *yx_arena_strndup(yx_arena_t *self, const char *s, size_t n);
char *yx_arena_strdup(yx_arena_t *self, const char *s);
char *yx_arena_printf(yx_arena_t *self, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
