/* Statements' attachments and the parts of their request (xAPI Communication 1.5.2): a
 * statement request with attachments is multipart/mixed, the statements first (JSON), then
 * one part per attachment without a fileUrl, named by the SHA-2 of its bytes
 * (X-Experience-API-Hash) and sent as binary. Every such attachment needs its part and every
 * part an attachment; a signature's part must sign its statement (xapi_signature.c). Parts
 * are stored once per content (credits.attachments) in the statements' own transaction,
 * and follow the statements that name them in GET ?attachments=true. */
#include "xapi_attachments.h"
#include "xapi_signature.h"
#include "yx_db.h"
#include "yx_log.h"
#include "yx_text.h"

#include <openssl/evp.h>
#include <string.h>
#include <strings.h>

/* The SHA-2 of data whose hexadecimal length is hex_len (224, 256, 384 or 512 bits), in
 * lower-case hex into out. false for another length. */
static bool s_sha2_hex(const uint8_t *data, size_t len, size_t hex_len, char out[129])
{
    const EVP_MD *md = hex_len == 56    ? EVP_sha224()
                       : hex_len == 64  ? EVP_sha256()
                       : hex_len == 96  ? EVP_sha384()
                       : hex_len == 128 ? EVP_sha512()
                                        : NULL;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!md || EVP_Digest(data, len, digest, &n, md, NULL) != 1) return false;
    yx_hex(digest, n, out);
    return true;
}

const char *xapi_parts_read(yx_arena_t *arena, const char *content_type, const uint8_t *body,
                            size_t len, const uint8_t **json, size_t *json_len, xapi_parts_t *parts)
{
    multipart_part_t *all = yx_arena_alloc(arena, (XAPI_MAX_PARTS + 1) * sizeof *all);
    if (!all) return "out of memory";
    const char *why = NULL;
    int n = multipart_split(arena, content_type, body, len, all, XAPI_MAX_PARTS + 1, &why);
    if (n < 0) return why;
    if (n == 0 || !xapi_is_json_type(all[0].content_type))
        return "the first part must be the statements, with Content-Type: application/json";
    *json = all[0].data;
    *json_len = all[0].len;
    *parts = (xapi_parts_t){.items = all + 1, .count = (size_t)n - 1, .multipart = true};
    parts->used = yx_arena_alloc(arena, (parts->count + 1) * sizeof *parts->used);
    if (!parts->used) return "out of memory";
    memset(parts->used, 0, (parts->count + 1) * sizeof *parts->used);
    for (size_t i = 0; i < parts->count; i++) {
        const multipart_part_t *part = &parts->items[i];
        char actual[129];
        if (!part->hash)
            return yx_arena_printf(arena, "part %zu: X-Experience-API-Hash is missing", i + 2);
        for (const char *c = part->content_type; c && *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                return yx_arena_printf(
                    arena, "part %zu: its Content-Type holds a control character", i + 2);
        if (!part->transfer_encoding || strcasecmp(part->transfer_encoding, "binary") != 0)
            return yx_arena_printf(arena, "part %zu: Content-Transfer-Encoding must be binary",
                                   i + 2);
        if (!s_sha2_hex(part->data, part->len, strlen(part->hash), actual) ||
            strcasecmp(actual, part->hash) != 0)
            return yx_arena_printf(
                arena, "part %zu: its bytes do not hash to its X-Experience-API-Hash", i + 2);
    }
    return NULL;
}

static multipart_part_t *s_part(xapi_parts_t *parts, const char *sha2, bool **used)
{
    for (size_t i = 0; i < parts->count; i++)
        if (strcasecmp(parts->items[i].hash, sha2) == 0) {
            *used = &parts->used[i];
            return &parts->items[i];
        }
    return NULL;
}

const char *xapi_attachments_match(yx_arena_t *arena, const json_t *statement, const char *path,
                                   xapi_parts_t *parts, int major, const char **where)
{
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(statement, "attachments"), i, a)
    {
        *where = yx_arena_printf(arena, "%s.attachments[%zu]", path, i);
        const char *sha2 = json_string_value(json_object_get(a, "sha2"));
        bool *used = NULL;
        multipart_part_t *part = s_part(parts, sha2, &used);
        if (part) *used = true;
        bool signature = xapi_is_signature(a);
        if (!part && (signature || !json_object_get(a, "fileUrl")))
            return parts->multipart
                       ? "no part of the request carries its sha2 (X-Experience-API-Hash)"
                       : "an attachment without fileUrl comes as a part of a multipart/mixed "
                         "request";
        if (signature) {
            const char *why = xapi_signature_check(part->data, part->len, statement, major);
            if (why) return why;
        }
    }
    return NULL;
}

const char *xapi_parts_unused(yx_arena_t *arena, const xapi_parts_t *parts)
{
    for (size_t i = 0; i < parts->count; i++)
        if (!parts->used[i])
            return yx_arena_printf(arena,
                                   "part %zu (X-Experience-API-Hash %s) belongs to no "
                                   "attachment of the statements",
                                   i + 2, parts->items[i].hash);
    return NULL;
}

int xapi_parts_store(PGconn *db, const char *county_id, const xapi_parts_t *parts)
{
    static const char sql[] =
        "INSERT INTO credits.attachments (county_id, sha2, content_type, content)"
        " VALUES ($1, lower($2), $3, $4) ON CONFLICT DO NOTHING";
    for (size_t i = 0; i < parts->count; i++) {
        const multipart_part_t *part = &parts->items[i];
        const char *values[] = {county_id, part->hash,
                                part->content_type ? part->content_type
                                                   : "application/octet-stream",
                                (const char *)part->data};
        const int lengths[] = {0, 0, 0, (int)part->len}, formats[] = {0, 0, 0, 1};
        PGresult *res = PQexecParams(db, sql, 4, NULL, values, lengths, formats, 0);
        bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
        if (!ok) yx_warn(NULL, "could not store an attachment: %s", PQresultErrorMessage(res));
        PQclear(res);
        if (!ok) return -1;
    }
    return 0;
}

void xapi_attachment_hashes(const json_t *statement, yx_pgarray_t *hashes)
{
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(statement, "attachments"), i, a)
    {
        const char *sha2 = json_string_value(json_object_get(a, "sha2"));
        if (sha2) yx_pgarray_add(hashes, sha2);
    }
}

int xapi_parts_append(PGconn *db, const char *county_id, yx_pgarray_t *hashes, xapi_buf_t *body,
                      const char *boundary)
{
    if (!hashes->count) return 0;
    static const char sql[] =
        "SELECT sha2, content_type, content FROM credits.attachments"
        " WHERE county_id = $1 AND sha2 = ANY (SELECT DISTINCT lower(h) FROM unnest($2::text[]) h)";
    const char *params[] = {county_id, yx_pgarray_text(hashes)};
    PGresult *res = yx_db_query_binary(db, sql, 2, params);
    if (!res) return -1;
    int rc = 0;
    for (int r = 0; r < PQntuples(res); r++) {
        rc |=
            xapi_buf_str(body, "\r\n--") | xapi_buf_str(body, boundary) |
            xapi_buf_str(body, "\r\nContent-Type: ") |
            xapi_buf_add(body, PQgetvalue(res, r, 1), (size_t)PQgetlength(res, r, 1)) |
            xapi_buf_str(body, "\r\nContent-Transfer-Encoding: binary\r\nX-Experience-API-Hash: ") |
            xapi_buf_add(body, PQgetvalue(res, r, 0), (size_t)PQgetlength(res, r, 0)) |
            xapi_buf_str(body, "\r\n\r\n") |
            xapi_buf_add(body, PQgetvalue(res, r, 2), (size_t)PQgetlength(res, r, 2));
    }
    PQclear(res);
    return rc ? -1 : 0;
}
