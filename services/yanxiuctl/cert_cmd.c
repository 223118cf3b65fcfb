/* cert verify: the same check the credits service makes (yx_sign_check), offline. */
#include "cert_cmd.h"
#include "yx_sign.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DOCUMENT (1L << 20) /* a certificate is about a kilobyte */

const char cert_cmd_usage[] = "  yanxiuctl cert verify FILE --pubkey PUBFILE\n";

static int s_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "yanxiuctl: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nusage:\n%s", cert_cmd_usage);
    return 2;
}

/* The whole file ("-": standard input), NUL-terminated; NULL with errno (EFBIG: too large). */
static char *s_slurp(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) return NULL;
    char *buf = malloc(MAX_DOCUMENT + 1);
    size_t n = buf ? fread(buf, 1, MAX_DOCUMENT + 1, f) : 0;
    int failed = !buf ? ENOMEM : ferror(f) ? EIO : n > MAX_DOCUMENT ? EFBIG : 0;
    if (f != stdin) fclose(f);
    if (failed) {
        free(buf);
        errno = failed;
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* A payload field for the terminal: control characters must not drive it. */
static void s_field(const char *label, const json_t *payload, const char *name)
{
    const json_t *v = json_object_get(payload, name);
    printf("%-13s", label);
    if (json_is_string(v)) {
        for (const char *s = json_string_value(v); *s; s++)
            putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
    } else if (json_is_number(v)) {
        printf("%.15g", json_number_value(v));
    } else {
        printf("-");
    }
    putchar('\n');
}

static int s_verify(const char *file, const char *pubfile)
{
    char err[512];
    yx_sign_key_t *key = yx_sign_load_public(pubfile, err, sizeof err);
    if (!key) {
        fprintf(stderr, "yanxiuctl: %s\n", err);
        return 2;
    }
    size_t len;
    char *text = s_slurp(file, &len);
    if (!text) {
        fprintf(stderr, "yanxiuctl: cannot read %s: %s\n", file,
                errno == EFBIG ? "larger than any certificate" : strerror(errno));
        yx_sign_key_destroy(&key);
        return 2;
    }
    json_error_t error;
    /* a duplicate member would let a reader see another value than the one verified */
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &error);
    free(text);
    int rc = 1;
    if (!doc)
        fprintf(stderr, "yanxiuctl: invalid certificate: not JSON (line %d: %s)\n", error.line,
                error.text);
    else if (yx_sign_check(doc, key, err, sizeof err) < 0)
        fprintf(stderr, "yanxiuctl: invalid certificate: %s\n", err);
    else
        rc = 0;
    if (rc == 0) {
        const json_t *payload = json_object_get(doc, "payload");
        printf("valid: signed with the key in %s\n", pubfile);
        s_field("certificate", payload, "certificate_id");
        s_field("teacher", payload, "teacher_name");
        s_field("teacher id", payload, "teacher_id");
        s_field("school id", payload, "school_id");
        s_field("program", payload, "program_name");
        s_field("program id", payload, "program_id");
        s_field("points", payload, "total_points");
        s_field("issued at", payload, "issued_at");
        s_field("issuer", payload, "issuer");
        printf("revocation cannot be seen offline: /verify/{certificate id} tells\n");
    }
    json_decref(doc);
    yx_sign_key_destroy(&key);
    return rc;
}

int cert_cmd_verify(int argc, char **argv)
{
    const char *file = NULL, *pubfile = NULL;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = NULL;
        if (strcmp(arg, "--pubkey") == 0) {
            if (i + 1 >= argc) return s_usage("%s needs a value", arg);
            value = argv[++i];
        } else if (strncmp(arg, "--pubkey=", 9) == 0) {
            value = arg + 9;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            return s_usage("unknown option %s", arg);
        } else if (file) {
            return s_usage("%s", "cert verify takes one FILE");
        } else {
            file = arg;
            continue;
        }
        if (pubfile) return s_usage("%s", "--pubkey given twice");
        if (!*value) return s_usage("%s", "--pubkey needs a file");
        pubfile = value;
    }
    if (!file) return s_usage("%s", "cert verify needs the certificate FILE");
    if (!pubfile)
        return s_usage("%s", "cert verify needs --pubkey PUBFILE (county-ed25519.pub.pem)");
    return s_verify(file, pubfile);
}
