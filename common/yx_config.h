/* Configuration from YANXIU_* environment variables, with defaults. */
#ifndef YX_CONFIG_H
#define YX_CONFIG_H

/* The variable's value, or def when unset or empty. */
const char *yx_config_str(const char *name, const char *def);
/* The variable as an integer within [min, max]; def when unset; exits with a message
 * naming the variable when it is not a number in range (a typo must not go unnoticed). */
long yx_config_long(const char *name, long def, long min, long max);
/* "$YANXIU_VAR_DIR/<rel>" in a static buffer per call site's copy (caller copies). */
const char *yx_config_var_path(const char *rel, char *buf, unsigned size);

#endif
