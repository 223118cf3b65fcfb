/* program create: from a template and a few options, or from a whole definition in a file.
 * The tool checks only the shape of its options; the service validates the program. */
#include "program_cmd.h"
#include "credits_client.h"
#include "yx_text.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILE (16L << 20)
#define ID_MAX 64
#define NAME_MAX_BYTES 200

const char program_cmd_usage[] =
    "  yanxiuctl program create --template guopei-2015 --id ID --name NAME\n"
    "                           --start YYYY-MM-DD --end YYYY-MM-DD\n"
    "                           [--scope county|district:ID,...|school:ID,...]\n"
    "  yanxiuctl program create --file program.json [--template NAME]\n";

enum { O_TEMPLATE, O_ID, O_NAME, O_START, O_END, O_SCOPE, O_FILE, O_COUNT };
static const char *const s_names[O_COUNT] = {"--template", "--id",    "--name", "--start",
                                             "--end",      "--scope", "--file"};

static int s_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "yanxiuctl: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nusage:\n%s", program_cmd_usage);
    return 2;
}

/* YYYY-MM-DD naming a real day. */
static bool s_date_ok(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || strspn(s, "0123456789-") != 10)
        return false;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return y >= 1970 && m >= 1 && m <= 12 && d >= 1 && d <= days[m - 1] + (m == 2 && leap);
}

/* "county", "district:d01,d02", "school:s001,s002" as the program's "scope":
 * {"kind": "county"|"districts"|"schools", "ids": [...]}. NULL when the text is not one of
 * those (a usage error, printed). */
static json_t *s_scope(const char *spec)
{
    if (strcmp(spec, "county") == 0) return json_pack("{s:s}", "kind", "county");
    const char *kind = !strncmp(spec, "district:", 9) ? "districts"
                       : !strncmp(spec, "school:", 7) ? "schools"
                                                      : NULL;
    json_t *ids = kind ? json_array() : NULL;
    const char *p = kind ? strchr(spec, ':') + 1 : "";
    bool ok = ids && *p;
    while (ok && *p) {
        size_t n = strcspn(p, ",");
        char id[ID_MAX + 1];
        ok = n > 0 && n <= ID_MAX;
        if (!ok) break;
        memcpy(id, p, n);
        id[n] = '\0';
        ok = yx_text_is_plain(id, ID_MAX) && json_array_append_new(ids, json_string(id)) == 0;
        p += n;
        if (*p == ',') ok = ok && *++p; /* a trailing comma names nothing */
    }
    if (ok) return json_pack("{s:s, s:o}", "kind", kind, "ids", ids);
    json_decref(ids);
    s_usage("%s", "--scope is county, district:ID[,ID...] or school:ID[,ID...]");
    return NULL;
}

/* The whole file ("-": standard input). NULL with a message printed. */
static char *s_slurp(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    char *buf = f ? malloc(MAX_FILE + 1) : NULL;
    size_t n = buf ? fread(buf, 1, MAX_FILE + 1, f) : 0;
    int failed = !f ? errno : !buf ? ENOMEM : ferror(f) ? EIO : n > MAX_FILE ? EFBIG : 0;
    if (f && f != stdin) fclose(f);
    if (failed) {
        fprintf(stderr, "yanxiuctl: could not read %s: %s\n", path, strerror(failed));
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

/* The program's JSON from the options: {"id", "name", "start", "end", "scope"}. */
static char *s_from_options(const char **opt, int *rc)
{
    static const int required[] = {O_TEMPLATE, O_ID, O_NAME, O_START, O_END};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (!opt[required[i]]) {
            *rc = s_usage("%s is required (or --file)", s_names[required[i]]);
            return NULL;
        }
    if (!yx_text_is_plain(opt[O_ID], ID_MAX)) {
        *rc = s_usage("%s", "--id must be 1-64 bytes of text");
        return NULL;
    }
    if (!yx_text_is_plain(opt[O_NAME], NAME_MAX_BYTES)) {
        *rc = s_usage("%s", "--name must be 1-200 bytes of UTF-8 text");
        return NULL;
    }
    if (!s_date_ok(opt[O_START]) || !s_date_ok(opt[O_END])) {
        *rc = s_usage("%s", "--start and --end are dates: YYYY-MM-DD");
        return NULL;
    }
    if (strcmp(opt[O_START], opt[O_END]) > 0) {
        *rc = s_usage("%s", "--end is before --start");
        return NULL;
    }
    json_t *scope = s_scope(opt[O_SCOPE] ? opt[O_SCOPE] : "county");
    if (!scope) {
        *rc = 2;
        return NULL;
    }
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:o}", "id", opt[O_ID], "name", opt[O_NAME],
                            "start", opt[O_START], "end", opt[O_END], "scope", scope);
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!text) {
        fprintf(stderr, "yanxiuctl: out of memory\n");
        *rc = 1;
    }
    return text;
}

static int s_create(int argc, char **argv)
{
    const char *opt[O_COUNT] = {0};
    for (int i = 0; i < argc; i++) {
        int which = -1;
        const char *value = NULL;
        for (int n = 0; n < O_COUNT && which < 0; n++) {
            size_t len = strlen(s_names[n]);
            if (strcmp(argv[i], s_names[n]) == 0) {
                which = n;
                if (i + 1 >= argc) return s_usage("%s needs a value", s_names[n]);
                value = argv[++i];
            } else if (strncmp(argv[i], s_names[n], len) == 0 && argv[i][len] == '=') {
                which = n;
                value = argv[i] + len + 1;
            }
        }
        if (which < 0) return s_usage("unknown option %s", argv[i]);
        if (opt[which]) return s_usage("%s given twice", s_names[which]);
        opt[which] = value;
    }
    if (opt[O_TEMPLATE] && !yx_text_is_plain(opt[O_TEMPLATE], ID_MAX))
        return s_usage("%s", "--template must be a template name such as guopei-2015");
    if (opt[O_FILE])
        for (int n = O_ID; n <= O_SCOPE; n++)
            if (opt[n]) return s_usage("%s does not apply with --file", s_names[n]);

    int rc = 0;
    size_t len = 0;
    char *json = opt[O_FILE] ? s_slurp(opt[O_FILE], &len) : s_from_options(opt, &rc);
    if (!json) return rc ? rc : 1;
    if (!opt[O_FILE]) len = strlen(json);

    Yx__CreateProgram op = YX__CREATE_PROGRAM__INIT;
    op.json.data = (uint8_t *)json;
    op.json.len = len;
    if (opt[O_TEMPLATE]) op.template_ = (char *)opt[O_TEMPLATE];
    Yx__CreditsRequest cr = YX__CREDITS_REQUEST__INIT;
    cr.op_case = YX__CREDITS_REQUEST__OP_CREATE_PROGRAM;
    cr.create_program = &op;
    Yx__CreditsReply *reply = yx_credits_client_call(&cr);
    free(json);
    return reply ? yx_credits_client_print(reply) : 1;
}

int program_cmd(int argc, char **argv)
{
    if (argc < 1) return s_usage("%s", "program needs a command (create)");
    if (strcmp(argv[0], "create") == 0) return s_create(argc - 1, argv + 1);
    return s_usage("unknown program command %s", argv[0]);
}
