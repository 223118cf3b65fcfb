/* Reading an uploaded zip archive in memory with libarchive, bounded against bombs. */
#ifndef YX_ZIP_H
#define YX_ZIP_H
#include <stddef.h>

typedef struct {
    char *name; /* base name inside the archive ("users.csv"); folders are ignored */
    char *data; /* NUL-terminated for convenience; size excludes the NUL */
    size_t size;
} yx_zip_entry_t;

typedef struct {
    yx_zip_entry_t *entries;
    size_t count;
} yx_zip_t;

typedef struct {
    size_t max_entries;
    size_t max_entry_size; /* uncompressed bytes of one entry */
    size_t max_total_size; /* uncompressed bytes of all entries */
} yx_zip_limits_t;

enum { YX_ZIP_OK = 0, YX_ZIP_MALFORMED = -1, YX_ZIP_TOO_LARGE = -2 };

/* Reads every regular file. Sizes are enforced while inflating (never trusting the
 * headers), so a zip bomb stops at the limit. Entries whose path is absolute or contains
 * "..", duplicate base names, and non-zip input are refused with a message in err. */
int yx_zip_read(const void *buf, size_t n, const yx_zip_limits_t *limits, yx_zip_t *out,
                char *err, size_t errlen);
const yx_zip_entry_t *yx_zip_find(const yx_zip_t *zip, const char *name);
void yx_zip_free(yx_zip_t *zip);

#endif
