/* Configuration from the environment: one place that knows the YANXIU_* conventions. */
#include "yx_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

const char *yx_config_str(const char *name, const char *def)
{
    const char *value = getenv(name);
    return value && *value ? value : def;
}

long yx_config_long(const char *name, long def, long min, long max)
{
    const char *value = getenv(name);
    if (!value || !*value) return def;
    char *end;
    errno = 0;
    long n = strtol(value, &end, 10);
    if (errno || *end || n < min || n > max) {
        fprintf(stderr, "invalid %s=%s: expected a whole number from %ld to %ld\n", name, value,
                min, max);
        exit(2);
    }
    return n;
}

const char *yx_config_var_path(const char *rel, char *buf, unsigned size)
{
    snprintf(buf, size, "%s/%s", yx_config_str("YANXIU_VAR_DIR", "var"), rel);
    return buf;
}
