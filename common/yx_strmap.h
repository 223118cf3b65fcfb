/* An open-addressing hash map from string keys to pointer values, for the in-memory joins
 * of a sync (duplicate ids, references between files). Keys are not copied. */
#ifndef YX_STRMAP_H
#define YX_STRMAP_H
#include <stddef.h>

typedef struct yx_strmap yx_strmap_t;

yx_strmap_t *yx_strmap_new(size_t expected);
void yx_strmap_destroy(yx_strmap_t **self_p);
/* Inserts key -> value. Returns 0, or 1 (and leaves the map alone) when the key exists. */
int yx_strmap_put(yx_strmap_t *self, const char *key, void *value);
/* The value, or NULL when absent. */
void *yx_strmap_get(const yx_strmap_t *self, const char *key);
size_t yx_strmap_size(const yx_strmap_t *self);

#endif
