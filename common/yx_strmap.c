/* An open-addressing hash map from string keys to pointer values (linear probing). */
#include "yx_strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *key; /* NULL marks a free slot */
    void *value;
    uint64_t hash;
} s_slot_t;

struct yx_strmap {
    s_slot_t *slots;
    size_t cap; /* a power of two, kept at least twice the size */
    size_t size;
};

/* FNV-1a, then a 64-bit finaliser: ids like st000001..st100000 differ only in their last
 * bytes, and FNV's low bits alone cluster them badly under linear probing. */
static uint64_t s_hash(const char *key)
{
    uint64_t h = 14695981039346656037ULL;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/* The slot holding key, or the free slot where it belongs. */
static s_slot_t *s_find(s_slot_t *slots, size_t cap, const char *key, uint64_t hash)
{
    size_t i = (size_t)hash & (cap - 1);
    while (slots[i].key && (slots[i].hash != hash || strcmp(slots[i].key, key) != 0))
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

static int s_grow(yx_strmap_t *self)
{
    size_t cap = self->cap * 2;
    s_slot_t *slots = calloc(cap, sizeof *slots);
    if (!slots) return -1;
    for (size_t i = 0; i < self->cap; i++)
        if (self->slots[i].key)
            *s_find(slots, cap, self->slots[i].key, self->slots[i].hash) = self->slots[i];
    free(self->slots);
    self->slots = slots;
    self->cap = cap;
    return 0;
}

yx_strmap_t *yx_strmap_new(size_t expected)
{
    yx_strmap_t *self = calloc(1, sizeof *self);
    if (!self) return NULL;
    self->cap = 16;
    while (self->cap / 2 < expected && self->cap < SIZE_MAX / 4)
        self->cap *= 2;
    self->slots = calloc(self->cap, sizeof *self->slots);
    if (!self->slots) {
        free(self);
        return NULL;
    }
    return self;
}

void yx_strmap_destroy(yx_strmap_t **self_p)
{
    if (!self_p || !*self_p) return;
    free((*self_p)->slots);
    free(*self_p);
    *self_p = NULL;
}

int yx_strmap_put(yx_strmap_t *self, const char *key, void *value)
{
    uint64_t hash = s_hash(key);
    s_slot_t *slot = s_find(self->slots, self->cap, key, hash);
    if (slot->key) return 1;
    if ((self->size + 1) * 2 > self->cap) {
        if (s_grow(self) != 0) return -1;
        slot = s_find(self->slots, self->cap, key, hash);
    }
    *slot = (s_slot_t){key, value, hash};
    self->size++;
    return 0;
}

void *yx_strmap_get(const yx_strmap_t *self, const char *key)
{
    return s_find(self->slots, self->cap, key, s_hash(key))->value;
}

size_t yx_strmap_size(const yx_strmap_t *self)
{
    return self->size;
}
