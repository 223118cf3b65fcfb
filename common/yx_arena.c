/* A bump allocator over a list of blocks; large requests get a block of their own. Blocks
 * start small and double: most messages need a few KiB, and a block of the allocator's
 * mmap size for each one cost more in mapping, zeroing and unmapping than the work. */
#include "yx_arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIRST_BLOCK (4 * 1024)
#define LARGEST_BLOCK (64 * 1024) /* below glibc's mmap threshold: reused, not mapped */

typedef struct block {
    struct block *next;
    size_t used, size;
    max_align_t data[];
} block_t;

struct yx_arena {
    block_t *head;
    size_t next_size;
};

yx_arena_t *yx_arena_new(void)
{
    return calloc(1, sizeof(yx_arena_t));
}

void yx_arena_destroy(yx_arena_t **self_p)
{
    yx_arena_t *self = *self_p;
    if (!self) return;
    for (block_t *b = self->head, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(self);
    *self_p = NULL;
}

void *yx_arena_alloc(yx_arena_t *self, size_t size)
{
    size = (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
    block_t *b = self->head;
    if (!b || b->size - b->used < size) {
        size_t grown = self->next_size ? self->next_size : FIRST_BLOCK;
        size_t cap = size > grown / 4 ? size : grown;
        b = malloc(sizeof *b + cap);
        if (!b) return NULL;
        b->used = 0;
        b->size = cap;
        if (cap == grown && grown < LARGEST_BLOCK) self->next_size = 2 * grown;
        if (cap == size && self->head) { /* keep filling the current block afterwards */
            b->next = self->head->next;
            self->head->next = b;
        } else {
            b->next = self->head;
            self->head = b;
        }
    }
    void *p = (char *)b->data + b->used;
    b->used += size;
    return memset(p, 0, size);
}

char *yx_arena_strndup(yx_arena_t *self, const char *s, size_t n)
{
    char *p = yx_arena_alloc(self, n + 1);
    if (p) memcpy(p, s, n);
    return p;
}

char *yx_arena_strdup(yx_arena_t *self, const char *s)
{
    return yx_arena_strndup(self, s, strlen(s));
}

char *yx_arena_printf(yx_arena_t *self, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *p = n >= 0 ? yx_arena_alloc(self, (size_t)n + 1) : NULL;
    if (!p) return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}
