/* yanxiuctl: the command line for operators and scripts. */
#include "cert_cmd.h"
#include "key_cmd.h"
#include "program_cmd.h"
#include "yx_config.h"
#include "yx_db.h"
#include "yx_log.h"
#include "yx_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const yx_migration_t gateway_migrations[];
extern const int gateway_migrations_count;

static const char s_key_usage[] =
    "  yanxiuctl key create --role county_admin [--label L]\n"
    "  yanxiuctl key create --role school_admin --school ID [--label L]\n"
    "  yanxiuctl key create --role platform --platform NAME --home-page URL [--label L]\n"
    "  yanxiuctl key create --role teacher --teacher ID [--label L]\n"
    "  yanxiuctl key list\n"
    "  yanxiuctl key revoke KEY_ID\n";
static const char s_notes[] =
    "key commands use the database YANXIU_DB_URL (default\n"
    "postgresql://yanxiu@127.0.0.1:15432/yanxiu); a new credential is printed as the last line\n"
    "of standard output. program commands ask the credits service at YANXIU_CREDITS_ENDPOINT\n"
    "(default tcp://127.0.0.1:5602) as the county administrator.\n";

static void s_print_usage(FILE *f)
{
    fprintf(f, "usage:\n%s%s%s%s", s_key_usage, program_cmd_usage, cert_cmd_usage, s_notes);
}

static int s_usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "yanxiuctl: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    s_print_usage(stderr);
    return 2;
}

static bool s_platform_ok(const char *s)
{
    size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");
    return n > 0 && n <= 64 && s[n] == '\0';
}

/* An absolute http(s) IRI without spaces or control characters, as auth.keys requires. */
static bool s_home_page_ok(const char *s)
{
    size_t n = strlen(s);
    size_t scheme = !strncmp(s, "https://", 8) ? 8 : !strncmp(s, "http://", 7) ? 7 : 0;
    if (!scheme || n == scheme || n > 255 || !yx_utf8_valid(s, n)) return false;
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || *s == 0x7f) return false;
    return true;
}

static bool s_key_id_ok(const char *s)
{
    return strlen(s) == 12 && strspn(s, "0123456789abcdef") == 12;
}

/* Parses "key create" options into spec. 0, or the usage error's exit code. */
static int s_parse_create(int argc, char **argv, yx_key_spec_t *spec)
{
    for (int i = 0; i < argc; i++) {
        static const char *const names[] = {"--role",     "--label",   "--school",
                                            "--platform", "--teacher", "--home-page"};
        const char **slots[] = {&spec->role,     &spec->label,   &spec->school,
                                &spec->platform, &spec->teacher, &spec->home_page};
        int which = -1;
        const char *value = NULL;
        for (int n = 0; n < 6 && which < 0; n++) {
            size_t len = strlen(names[n]);
            if (strcmp(argv[i], names[n]) == 0) {
                which = n;
                if (i + 1 >= argc) return s_usage_error("%s needs a value", names[n]);
                value = argv[++i];
            } else if (strncmp(argv[i], names[n], len) == 0 && argv[i][len] == '=') {
                which = n;
                value = argv[i] + len + 1;
            }
        }
        if (which < 0) return s_usage_error("unknown option %s", argv[i]);
        if (*slots[which]) return s_usage_error("%s given twice", names[which]);
        *slots[which] = value;
    }
    if (!spec->role) return s_usage_error("%s", "--role is required");
    /* Each role takes exactly its own scope option. */
    static const char *const roles[] = {"school_admin", "platform", "teacher", "county_admin"};
    static const char *const scope_names[] = {"--school", "--platform", "--teacher"};
    const char *scopes[] = {spec->school, spec->platform, spec->teacher};
    int r = 0;
    while (r < 4 && strcmp(spec->role, roles[r]) != 0)
        r++;
    if (r == 4)
        return s_usage_error("unknown role %s (county_admin, school_admin, platform, teacher)",
                             spec->role);
    if (r < 3 && !scopes[r]) return s_usage_error("this role needs %s", scope_names[r]);
    for (int s = 0; s < 3; s++)
        if (s != r && scopes[s])
            return s_usage_error("%s does not apply to this role", scope_names[s]);
    if ((spec->school && !yx_text_is_plain(spec->school, 255)) ||
        (spec->teacher && !yx_text_is_plain(spec->teacher, 255)))
        return s_usage_error("%s", "ids must be 1-255 bytes of UTF-8 text");
    if (spec->platform && !s_platform_ok(spec->platform))
        return s_usage_error("%s", "platform names are 1-64 of [A-Za-z0-9._-]");
    if (spec->platform && !spec->home_page)
        return s_usage_error("%s", "a platform needs --home-page (its xAPI accounts' homePage)");
    if (!spec->platform && spec->home_page)
        return s_usage_error("%s", "--home-page only applies to platforms");
    if (spec->home_page && !s_home_page_ok(spec->home_page))
        return s_usage_error("%s", "--home-page must be an http:// or https:// URL");
    if (spec->label && *spec->label && !yx_text_is_plain(spec->label, 200))
        return s_usage_error("%s", "labels are at most 200 bytes of UTF-8 text");
    return 0;
}

static PGconn *s_connect(void)
{
    const char *url = yx_config_str("YANXIU_DB_URL", "postgresql://yanxiu@127.0.0.1:15432/yanxiu");
    PGconn *db = yx_db_connect(url);
    if (!db) {
        fprintf(stderr, "yanxiuctl: could not connect to the database\n");
        return NULL;
    }
    /* Works before the gateway ever ran: the schema comes with the tool. */
    if (yx_db_migrate(db, "auth", gateway_migrations, gateway_migrations_count) < 0) {
        fprintf(stderr, "yanxiuctl: could not prepare schema auth\n");
        PQfinish(db);
        return NULL;
    }
    return db;
}

int main(int argc, char **argv)
{
    setenv("YANXIU_LOG_LEVEL", "warn", 0); /* a tool's stderr is for problems only */
    yx_log_init("yanxiuctl");
    if (argc >= 2 &&
        (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        s_print_usage(stdout);
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "program")) return program_cmd(argc - 2, argv + 2);
    if (argc >= 3 && !strcmp(argv[1], "cert") && !strcmp(argv[2], "verify"))
        return cert_cmd_verify(argc - 3, argv + 3);
    if (argc >= 2 && !strcmp(argv[1], "cert"))
        return s_usage_error("%s", "unknown cert command (verify)");
    if (argc < 3 || strcmp(argv[1], "key") != 0)
        return s_usage_error("%s", argc < 2 ? "no command given" : "unknown command");

    const char *cmd = argv[2];
    yx_key_spec_t spec = {0};
    if (!strcmp(cmd, "create")) {
        int rc = s_parse_create(argc - 3, argv + 3, &spec);
        if (rc) return rc;
    } else if (!strcmp(cmd, "list")) {
        if (argc != 3) return s_usage_error("%s", "key list takes no arguments");
    } else if (!strcmp(cmd, "revoke")) {
        if (argc != 4) return s_usage_error("%s", "key revoke takes one KEY_ID");
        if (!s_key_id_ok(argv[3]))
            return s_usage_error("%s is not a key id (12 lowercase hex digits)", argv[3]);
    } else {
        return s_usage_error("unknown key command %s", cmd);
    }

    PGconn *db = s_connect();
    if (!db) return 1;
    int rc = !strcmp(cmd, "create") ? yx_key_create(db, &spec)
             : !strcmp(cmd, "list") ? yx_key_list(db)
                                    : yx_key_revoke(db, argv[3]);
    PQfinish(db);
    return rc;
}
