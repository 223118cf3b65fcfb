/* POST and PUT of statements. Many requests are stored in one transaction (group commit:
 * one fsync for a whole batch), yet each is answered on its own: everything that needs no
 * database (parsing, the xAPI rules, ids, the fields pulled out into columns) is done per
 * request first, and a request refused there never reaches the transaction. Inside it,
 * under an advisory lock that serialises writers, one query reads what is stored under the
 * batch's ids (a retry is a no-op, a different statement a 409), and the new statements go
 * straight into the table by COPY: under the lock that read saw every stored id, so nothing
 * can conflict. Seq numbers follow commit order, which lets the ledger credit by seq range
 * afterwards (ledger.h). Every step of the transaction runs without blocking
 * (xapi_write_step), so the service checks the next requests meanwhile. The JSON writer
 * and text buffer are in xapi_json.c. */
#include "xapi_store.h"
#include "ledger.h"
#include "ops.h"
#include "xapi_attachments.h"
#include "xapi_validate.h"
#include "yx_copy.h"
#include "yx_db.h"
#include "yx_log.h"
#include "yx_pgarray.h"
#include "yx_strmap.h"

#include <ctype.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define MAX_PROBLEMS 20

typedef struct xapi_post post_t;

/* One statement of a request, ready to be written. */
typedef struct {
    post_t *post;
    json_t *json;   /* as it will be stored, less "stored" (and "timestamp" if absent) */
    const char *id; /* lower case */
    bool id_given;
    bool has_timestamp; /* else the LRS sets it to "stored" */
    int64_t occurred_us;
    /* As stored: the members of the statement as the client wrote them (or as rewritten, when
     * the rules normalised it), then `tail`, the LRS's own properties. jsonb keeps the last
     * of duplicate keys, so what follows the client's members wins. */
    const char *members;
    size_t members_len;
    const char *tail;
    bool rewrite; /* the rules changed the document: store it re-serialised */
    const char *actor_key, *account_name, *teacher_id;
    const char *verb_id, *activity_id, *activity_type, *registration, *duration_ms;
    const char *voids, *object_ref;                           /* lower-case UUIDs */
    const char *agents, *related_agents, *related_activities; /* array literals */
    bool is_new;       /* false: the same statement is already stored (a retry) */
    bool voids_stored; /* its target was stored before this batch */
} item_t;

struct xapi_post {
    request_t *req;
    const Yx__PostStatements *op;
    Yx__CreditsReply *reply;
    json_t *root;
    item_t *items;
    size_t count;
    yx_strmap_t *by_id;  /* this request's statements */
    const uint8_t *json; /* the statements: the body, or its first part */
    size_t json_len;
    xapi_parts_t parts; /* the attachments' parts of a multipart/mixed body */
    bool is_array, is_put;
    bool prepared;      /* passed every check that needs no database */
    bool refused;       /* refused inside the transaction (409, 400, 403) */
    bool unmatched;     /* some actor matched no teacher of the directory it was checked against */
    uint64_t directory; /* the fingerprint of that directory */
    unsigned problems;
};

static char s_last_stored[32];
static long long s_last_seq;

const char *xapi_last_stored(void)
{
    return s_last_stored;
}

long long xapi_last_seq(void)
{
    return s_last_seq;
}

/* ---- agents and comparison ---------------------------------------------------------- */

static char *s_lower(yx_arena_t *arena, const char *s)
{
    char *out = yx_arena_strdup(arena, s);
    for (char *p = out; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return out;
}

/* a + b + c + d in the arena (no printf: this runs for every statement) */
static char *s_cat(yx_arena_t *arena, const char *a, const char *b, const char *c, const char *d)
{
    size_t la = strlen(a), lb = strlen(b), lc = c ? strlen(c) : 0, ld = d ? strlen(d) : 0;
    char *out = yx_arena_alloc(arena, la + lb + lc + ld + 1);
    if (!out) return NULL;
    memcpy(out, a, la);
    memcpy(out + la, b, lb);
    if (lc) memcpy(out + la + lb, c, lc);
    if (ld) memcpy(out + la + lb + lc, d, ld);
    return out;
}

const char *xapi_agent_key(yx_arena_t *arena, const json_t *agent)
{
    const char *mbox = json_string_value(json_object_get(agent, "mbox"));
    if (mbox) {
        /* the domain of an address is case-insensitive (Data 2.4.2.3.s4) */
        const char *addr = strncmp(mbox, "mailto:", 7) == 0 ? mbox + 7 : mbox;
        char *key = s_cat(arena, "mbox:", addr, NULL, NULL);
        for (char *p = key ? strrchr(key, '@') : NULL; p && *p; p++)
            *p = (char)tolower((unsigned char)*p);
        return key;
    }
    const char *sha1 = json_string_value(json_object_get(agent, "mbox_sha1sum"));
    if (sha1) return s_cat(arena, "sha1:", s_lower(arena, sha1), NULL, NULL);
    const char *openid = json_string_value(json_object_get(agent, "openid"));
    if (openid) return s_cat(arena, "openid:", openid, NULL, NULL);
    json_t *account = json_object_get(agent, "account");
    if (account)
        return s_cat(arena, "account:", json_string_value(json_object_get(account, "homePage")),
                     "|", json_string_value(json_object_get(account, "name")));
    return NULL;
}

static bool s_is(const json_t *obj, const char *object_type)
{
    const char *type = json_string_value(json_object_get(obj, "objectType"));
    return type && strcmp(type, object_type) == 0;
}

static void s_lower_field(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    if (!s) return;
    char *copy = strdup(s);
    if (!copy) return;
    for (char *p = copy; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    json_object_set_new(obj, key, json_string(copy));
    free(copy);
}

static int s_by_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A group's members are an unordered list: sorted by their serialisation. */
static void s_canon_agent(json_t *agent)
{
    json_t *members = json_object_get(agent, "member");
    size_t n = json_array_size(members);
    if (n < 2) return;
    char **texts = calloc(n, sizeof *texts);
    json_t *sorted = json_array();
    for (size_t i = 0; texts && i < n; i++)
        texts[i] = json_dumps(json_array_get(members, i), JSON_COMPACT | JSON_SORT_KEYS);
    for (size_t i = 0; texts && i < n; i++)
        if (!texts[i]) goto done;
    if (!texts || !sorted) goto done;
    qsort(texts, n, sizeof *texts, s_by_text);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(sorted, json_loads(texts[i], 0, NULL));
    json_object_set(agent, "member", sorted);
done:
    for (size_t i = 0; texts && i < n; i++)
        free(texts[i]);
    free(texts);
    json_decref(sorted);
}

static void s_canon_timestamp(json_t *obj)
{
    int64_t us;
    const char *ts = json_string_value(json_object_get(obj, "timestamp"));
    if (ts && xapi_parse_timestamp(ts, &us) == 0)
        json_object_set_new(obj, "timestamp", json_integer(us));
}

/* What may differ between two serialisations of one statement, made equal. */
static void s_canon(json_t *st, bool keep_timestamp)
{
    json_object_del(st, "stored");
    json_object_del(st, "authority");
    json_object_del(st, "version");
    if (keep_timestamp)
        s_canon_timestamp(st);
    else
        json_object_del(st, "timestamp");
    s_lower_field(st, "id");
    json_object_del(json_object_get(st, "verb"), "display");
    s_canon_agent(json_object_get(st, "actor"));
    json_t *object = json_object_get(st, "object");
    if (s_is(object, "Agent") || s_is(object, "Group"))
        s_canon_agent(object);
    else if (s_is(object, "StatementRef"))
        s_lower_field(object, "id");
    else if (s_is(object, "SubStatement"))
        s_canon(object, true);
    else
        json_object_del(object, "definition");
    json_t *context = json_object_get(st, "context");
    s_lower_field(context, "registration");
    s_lower_field(json_object_get(context, "statement"), "id");
    s_canon_agent(json_object_get(context, "instructor"));
    s_canon_agent(json_object_get(context, "team"));
    const char *kind;
    json_t *list;
    json_object_foreach(json_object_get(context, "contextActivities"), kind, list)
    {
        size_t i;
        json_t *activity;
        json_array_foreach(list, i, activity) json_object_del(activity, "definition");
    }
}

bool xapi_same_statement(const json_t *incoming, const json_t *stored)
{
    bool keep_timestamp = json_object_get(incoming, "timestamp") != NULL;
    json_t *a = json_deep_copy(incoming), *b = json_deep_copy(stored);
    bool same = false;
    if (a && b) {
        s_canon(a, keep_timestamp);
        s_canon(b, keep_timestamp);
        same = json_equal(a, b);
    }
    json_decref(a);
    json_decref(b);
    return same;
}

/* ---- preparing one request ---------------------------------------------------------- */

static int64_t s_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void s_uuid4(char out[37])
{
    static unsigned char pool[4096];
    static size_t used = sizeof pool;
    if (used + 16 > sizeof pool) {
        for (size_t got = 0; got < sizeof pool;) {
            ssize_t n = getrandom(pool + got, sizeof pool - got, 0);
            if (n > 0) got += (size_t)n;
        }
        used = 0;
    }
    unsigned char *b = pool + used;
    used += 16;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    static const char hex[] = "0123456789abcdef";
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) *p++ = '-';
        *p++ = hex[b[i] >> 4];
        *p++ = hex[b[i] & 15];
    }
    *p = '\0';
}

static const char *s_path(post_t *p, size_t i)
{
    return p->is_array ? yx_arena_printf(p->req->arena, "statement[%zu]", i) : "statement";
}

/* Refuses the request; the first problem is the message, every one (up to a limit) is
 * listed with its field path. */
static void s_refuse(post_t *p, unsigned code, const char *path, const char *reason)
{
    if (!p->problems++) {
        reply_error(p->req, p->reply, code, "%s%s%s", path, *path ? ": " : "", reason);
        if (*s_last_stored)
            reply_header(p->req, p->reply, "X-Experience-API-Consistent-Through", s_last_stored);
    }
    if (p->problems <= MAX_PROBLEMS) reply_problem(p->req, p->reply, "", 0, path, reason);
    p->prepared = false;
}

/* "https://x/" and "https://x" name the same home page. */
static bool s_same_home(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la && a[la - 1] == '/') la--;
    if (lb && b[lb - 1] == '/') lb--;
    return la == lb && strncmp(a, b, la) == 0;
}

/* A small set of strings; most statements need a handful, so the first few live inline. */
typedef struct {
    const char *inline_keys[8];
    const char **keys;
    size_t n, cap;
} keys_t;

static void s_key(keys_t *k, const char *key)
{
    if (!key) return;
    if (!k->keys) {
        k->keys = k->inline_keys;
        k->cap = sizeof k->inline_keys / sizeof *k->inline_keys;
    }
    for (size_t i = 0; i < k->n; i++)
        if (strcmp(k->keys[i], key) == 0) return;
    if (k->n == k->cap) {
        const char **keys = malloc(2 * k->cap * sizeof *keys);
        if (!keys) return;
        memcpy(keys, k->keys, k->n * sizeof *keys);
        if (k->keys != k->inline_keys) free(k->keys);
        k->keys = keys;
        k->cap *= 2;
    }
    k->keys[k->n++] = key;
}

/* An Agent or Group and, for a Group, its members: who an `agent` filter finds. */
static void s_agent_keys(keys_t *k, yx_arena_t *arena, json_t *agent)
{
    if (!agent) return;
    s_key(k, xapi_agent_key(arena, agent));
    size_t i;
    json_t *member;
    json_array_foreach(json_object_get(agent, "member"), i, member)
        s_key(k, xapi_agent_key(arena, member));
}

static void s_context_keys(keys_t *agents, keys_t *activities, yx_arena_t *arena, json_t *ctx)
{
    s_agent_keys(agents, arena, json_object_get(ctx, "instructor"));
    s_agent_keys(agents, arena, json_object_get(ctx, "team"));
    const char *kind;
    json_t *list;
    json_object_foreach(json_object_get(ctx, "contextActivities"), kind, list)
    {
        size_t i;
        json_t *activity;
        json_array_foreach(list, i, activity)
            s_key(activities, json_string_value(json_object_get(activity, "id")));
    }
}

static bool s_is_activity(const json_t *object)
{
    return !json_object_get(object, "objectType") || s_is(object, "Activity");
}

/* A PostgreSQL array literal of the set, in the arena; releases the set. */
static const char *s_literal(yx_arena_t *arena, keys_t *k)
{
    size_t size = 3;
    for (size_t i = 0; i < k->n; i++)
        size += 2 * strlen(k->keys[i]) + 3;
    char *out = yx_arena_alloc(arena, size), *p = out;
    if (p) {
        *p++ = '{';
        for (size_t i = 0; i < k->n; i++) {
            if (i) *p++ = ',';
            *p++ = '"';
            for (const char *c = k->keys[i]; *c; c++) {
                if (*c == '"' || *c == '\\') *p++ = '\\';
                *p++ = *c;
            }
            *p++ = '"';
        }
        *p++ = '}';
        *p = '\0';
    }
    if (k->keys != k->inline_keys) free(k->keys);
    *k = (keys_t){0};
    return out;
}

/* The columns the ledger and the queries need, pulled out of the statement. */
static void s_extract(post_t *p, item_t *it, credits_t *credits)
{
    yx_arena_t *arena = p->req->arena;
    json_t *st = it->json, *actor = json_object_get(st, "actor");
    json_t *object = json_object_get(st, "object"), *context = json_object_get(st, "context");
    const char *key = xapi_agent_key(arena, actor);
    if (s_is(actor, "Group")) {
        /* groups earn no credits: their key never matches a teacher */
        it->actor_key = s_cat(arena, "group:", key ? key : it->id, NULL, NULL);
    } else {
        it->actor_key = key;
        json_t *account = json_object_get(actor, "account");
        const char *home = p->op->platform_home_page;
        if (account && (!home || !*home ||
                        s_same_home(home, json_string_value(json_object_get(account, "homePage")))))
            it->account_name = json_string_value(json_object_get(account, "name"));
        const dir_teacher_t *t = NULL;
        const directory_t *dir = credits->directory;
        const char *mbox = json_string_value(json_object_get(actor, "mbox"));
        const char *sha1 = json_string_value(json_object_get(actor, "mbox_sha1sum"));
        if (dir && it->account_name)
            t = directory_by_account(dir, p->req->principal->platform, it->account_name);
        else if (dir && mbox)
            t = directory_by_mbox(dir, mbox);
        else if (dir && sha1)
            t = directory_by_mbox_sha1(dir, sha1);
        if (t) {
            it->teacher_id = yx_arena_strdup(arena, t->teacher_id);
        } else {
            p->unmatched = true;
            p->directory = dir ? directory_fingerprint(dir) : 0;
        }
    }
    it->verb_id = json_string_value(json_object_get(json_object_get(st, "verb"), "id"));
    if (s_is_activity(object)) {
        it->activity_id = json_string_value(json_object_get(object, "id"));
        it->activity_type =
            json_string_value(json_object_get(json_object_get(object, "definition"), "type"));
    } else if (s_is(object, "StatementRef")) {
        it->object_ref = s_lower(arena, json_string_value(json_object_get(object, "id")));
        if (strcmp(it->verb_id, XAPI_VOIDED_VERB) == 0) it->voids = it->object_ref;
    }
    it->registration = json_string_value(json_object_get(context, "registration"));
    int64_t ms;
    const char *duration =
        json_string_value(json_object_get(json_object_get(st, "result"), "duration"));
    if (duration && xapi_parse_duration(duration, &ms) == 0 && ms >= 0)
        it->duration_ms = yx_arena_printf(arena, "%lld", (long long)ms);

    /* who and what the agent and activity filters find (Communication 2.1.3) */
    keys_t agents = {0}, related = {0}, activities = {0};
    s_agent_keys(&agents, arena, actor);
    if (s_is(object, "Agent") || s_is(object, "Group")) s_agent_keys(&agents, arena, object);
    for (size_t i = 0; i < agents.n; i++)
        s_key(&related, agents.keys[i]);
    s_agent_keys(&related, arena, json_object_get(st, "authority"));
    if (it->activity_id) s_key(&activities, it->activity_id);
    s_context_keys(&related, &activities, arena, context);
    if (s_is(object, "SubStatement")) {
        json_t *sub_object = json_object_get(object, "object");
        s_agent_keys(&related, arena, json_object_get(object, "actor"));
        if (s_is(sub_object, "Agent") || s_is(sub_object, "Group"))
            s_agent_keys(&related, arena, sub_object);
        if (s_is_activity(sub_object))
            s_key(&activities, json_string_value(json_object_get(sub_object, "id")));
        s_context_keys(&related, &activities, arena, json_object_get(object, "context"));
    }
    it->agents = s_literal(arena, &agents);
    it->related_agents = s_literal(arena, &related);
    it->related_activities = s_literal(arena, &activities);
}

/* Appends ,"key":<json string> to out. */
static int s_tail_string(xapi_buf_t *out, const char *key, const char *value)
{
    json_t *text = json_string(value);
    int rc = !text || xapi_buf_str(out, ",\"") || xapi_buf_str(out, key) ||
             xapi_buf_str(out, "\":") || xapi_dump(out, text);
    json_decref(text);
    return rc ? -1 : 0;
}

/* Everything about one statement that needs no database. 0, or -1 (refused). */
static int s_complete(post_t *p, size_t i, json_t *authority, const char *authority_text, int major,
                      xapi_buf_t *scratch, credits_t *credits)
{
    item_t *it = &p->items[i];
    json_t *st = it->json;
    yx_arena_t *arena = p->req->arena;
    const char *id = json_string_value(json_object_get(st, "id"));
    const char *version = major >= 2 ? "2.0.0" : "1.0.0";
    bool had_id = id != NULL, had_version = json_object_get(st, "version") != NULL;
    if (p->is_put) {
        if (id && strcasecmp(id, p->op->statement_id) != 0)
            return s_refuse(p, 400, yx_arena_printf(arena, "%s.id", s_path(p, i)),
                            "does not match the statementId parameter"),
                   -1;
        if (!id) {
            json_object_set_new(st, "id", json_string(p->op->statement_id));
            id = p->op->statement_id;
        }
    }
    it->id_given = id != NULL;
    if (!id) {
        char fresh[37];
        s_uuid4(fresh);
        json_object_set_new(st, "id", json_string(fresh));
        id = json_string_value(json_object_get(st, "id"));
    }
    it->id = s_lower(arena, id);
    if (yx_strmap_put(p->by_id, it->id, it) != 0)
        return s_refuse(p, 400, yx_arena_printf(arena, "%s.id", s_path(p, i)),
                        "another statement of this request has the same id"),
               -1;
    const char *ts = json_string_value(json_object_get(st, "timestamp"));
    it->has_timestamp = ts && xapi_parse_timestamp(ts, &it->occurred_us) == 0;
    /* the LRS's own properties; stored (and timestamp) are added when the batch commits */
    json_object_del(st, "stored");
    json_object_set(st, "authority", authority);
    if (!had_version) json_object_set_new(st, "version", json_string(version));
    s_extract(p, it, credits);
    scratch->len = 0;
    int rc = 0;
    if (it->rewrite) {
        rc = xapi_dump(scratch, st);
        it->members = scratch->data + 1;
        it->members_len = scratch->len - 2;
    } else {
        rc = xapi_buf_str(scratch, ",\"authority\":") | xapi_buf_str(scratch, authority_text);
        if (!had_version) rc |= s_tail_string(scratch, "version", version);
        if (!had_id) rc |= s_tail_string(scratch, "id", id);
    }
    if (rc < 0) return s_refuse(p, 500, s_path(p, i), "out of memory"), -1;
    if (it->members_len + scratch->len + 96 > XAPI_MAX_STATEMENT_BYTES)
        return s_refuse(p, 413, s_path(p, i), "a statement may not exceed 64 KiB"), -1;
    if (it->rewrite) {
        it->members = yx_arena_strndup(arena, it->members, it->members_len);
        it->tail = "";
    } else {
        it->tail = yx_arena_strndup(arena, scratch->data, scratch->len);
    }
    it->is_new = true;
    return it->members && it->tail ? 0 : -1;
}

/* The byte ranges of the statements in the body (the parser has checked it: every element
 * of an array is an object), so each can be stored as the client wrote it. 0 or -1. */
static int s_ranges(post_t *p)
{
    const char *text = (const char *)p->json;
    size_t len = p->json_len, k = 0, start = 0;
    int depth = p->is_array ? 0 : 1; /* a single statement is the element itself */
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (depth++ == 1) start = i;
        } else if ((c == '}' || c == ']') && --depth == 1 && k < p->count) {
            /* an element ends: keep what lies between its braces */
            p->items[k].members = text + start + 1;
            p->items[k].members_len = i - start - 1;
            k++;
        }
    }
    return k == p->count ? 0 : -1;
}

/* Parses and checks one request, and prepares its statements. */
static void s_prepare(post_t *p, credits_t *credits)
{
    const Yx__Principal *who = p->req->principal;
    const Yx__PostStatements *op = p->op;
    p->is_put = op->statement_id && *op->statement_id;
    if (who->role != YX__ROLE__ROLE_PLATFORM || !who->platform || !*who->platform)
        return s_refuse(p, 403, "", "only a platform's key may send statements");
    if (p->is_put && !xapi_is_uuid(op->statement_id))
        return s_refuse(p, 400, "statementId", "must be a UUID");
    p->json = op->body.data;
    p->json_len = op->body.len;
    if (op->content_type && *op->content_type) {
        if (!multipart_is_mixed(op->content_type))
            return s_refuse(p, 400, "", "Content-Type must be application/json or multipart/mixed");
        const char *why = xapi_parts_read(p->req->arena, op->content_type, op->body.data,
                                          op->body.len, &p->json, &p->json_len, &p->parts);
        if (why) return s_refuse(p, 400, "", why);
    }
    json_error_t jerr;
    p->root = json_loadb((const char *)p->json, p->json_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!p->root)
        return s_refuse(p, 400, "",
                        yx_arena_printf(p->req->arena,
                                        "the body is not valid JSON: %s (line %d, column %d)",
                                        jerr.text, jerr.line, jerr.column));
    p->is_array = json_is_array(p->root);
    if (p->is_put && p->is_array)
        return s_refuse(p, 400, "", "a PUT carries exactly one statement, not an array");
    if (!p->is_array && !json_is_object(p->root))
        return s_refuse(p, 400, "", "the body must be a statement or an array of statements");
    p->count = p->is_array ? json_array_size(p->root) : 1;
    if (!p->count) return s_refuse(p, 400, "", "the array holds no statements");
    if (p->count > XAPI_MAX_BATCH)
        return s_refuse(p, 413, "", "a request may carry at most 10000 statements");
    p->items = yx_arena_alloc(p->req->arena, p->count * sizeof *p->items);
    p->by_id = yx_strmap_new(p->count * 2);
    if (!p->items || !p->by_id) return s_refuse(p, 500, "", "out of memory");
    int major = op->version && op->version[0] == '2' ? 2 : 1;
    p->prepared = true;
    for (size_t i = 0; i < p->count; i++) {
        item_t *it = &p->items[i];
        it->post = p;
        it->json = p->is_array ? json_array_get(p->root, i) : p->root;
        xapi_error_t err;
        int rc = xapi_validate_statement(it->json, s_path(p, i), major, &err);
        if (rc < 0)
            s_refuse(p, 400, yx_arena_strdup(p->req->arena, err.path),
                     yx_arena_strdup(p->req->arena, err.reason));
        it->rewrite = rc > 0;
        const char *where = "",
                   *why = rc < 0 ? NULL
                                 : xapi_attachments_match(p->req->arena, it->json, s_path(p, i),
                                                          &p->parts, major, &where);
        if (why) s_refuse(p, 400, where, why);
    }
    const char *unused = p->prepared ? xapi_parts_unused(p->req->arena, &p->parts) : NULL;
    if (unused) s_refuse(p, 400, "", unused);
    if (!p->prepared) {
        if (p->problems > 1)
            p->reply->status->message = yx_arena_printf(p->req->arena, "%s (and %u more problems)",
                                                        p->reply->status->message, p->problems - 1);
        return;
    }
    if (s_ranges(p) < 0) return s_refuse(p, 400, "", "the body is not valid JSON");
    const char *home = op->platform_home_page && *op->platform_home_page ? op->platform_home_page
                                                                         : XAPI_PLATFORMS_HOME;
    json_t *authority = json_pack("{s:s, s:{s:s, s:s}}", "objectType", "Agent", "account",
                                  "homePage", home, "name", who->platform);
    xapi_buf_t scratch = {0}, authority_text = {0};
    if (!authority || xapi_dump(&authority_text, authority) < 0) {
        s_refuse(p, 500, "", "out of memory");
    }
    for (size_t i = 0; p->prepared && i < p->count; i++)
        s_complete(p, i, authority, authority_text.data, major, &scratch, credits);
    xapi_buf_free(&scratch);
    xapi_buf_free(&authority_text);
    json_decref(authority);
}

/* ---- the transaction ---------------------------------------------------------------- */

#define COLUMNS                                                                                    \
    "county_id, id, stored, seq, platform, actor_key, teacher_id, verb_id, activity_id,"           \
    " activity_type, registration, occurred_at, duration_ms, voided, voids, object_ref,"           \
    " account_name, agents, related_agents, related_activities, statement"

/* The lock first, then the counter in a statement of its own: under READ COMMITTED its
 * snapshot is taken after the lock is granted, so it sees the previous batch's commit. */
static const char s_lock_sql[] = "SELECT pg_advisory_xact_lock(" XAPI_WRITE_LOCK ")";
static const char s_counter_sql[] =
    "SELECT last, (extract(epoch FROM last_stored) * 1000000)::bigint"
    " FROM credits.statement_counter";
/* What is stored under the ids the batch carries or voids, and the voiding statements
 * already stored that target one of its statements (a voiding statement may come first). */
#define EXISTING_COLUMNS                                                                           \
    "s.id::text, s.statement::text, s.platform, s.voids IS NOT NULL, s.voids::text"
/* unnest rather than = ANY: planning an ANY of 800 values costs a millisecond */
static const char s_existing_sql[] =
    "SELECT " EXISTING_COLUMNS " FROM unnest($2::uuid[]) AS u(id)"
    " JOIN credits.statements s ON s.county_id = $1 AND s.id = u.id"
    " UNION ALL SELECT " EXISTING_COLUMNS " FROM unnest($2::uuid[]) AS u(id)"
    " JOIN credits.statements s ON s.county_id = $1 AND s.voids = u.id";
/* No ON CONFLICT needed: under the lock, the query above saw every stored id. */
static const char s_copy_sql[] = "COPY credits.statements (" COLUMNS ") FROM STDIN";
static const char s_void_sql[] =
    "UPDATE credits.statements SET voided = true"
    " WHERE county_id = $1 AND id = ANY($2::uuid[]) AND voids IS NULL AND NOT voided";
static const char s_advance_sql[] =
    "UPDATE credits.statement_counter SET last = $1, last_stored = $2::timestamptz";

typedef enum { STORE_OK, STORE_FAILED, STORE_LATE } store_rc_t;

typedef struct {
    PGresult *res;
    yx_strmap_t *rows;      /* id -> row + 1 */
    yx_strmap_t *voided_by; /* "target\x1fplatform" of every voiding statement, stored or new */
    yx_arena_t *arena;      /* for those keys */
} stored_t;

/* The steps of a batch's transaction; each waits for PostgreSQL without blocking. Steps
 * whose statements do not depend on each other's answers go as one pipeline, so a batch
 * costs four round trips: every one is a wait for two busy processes to be scheduled. */
typedef enum {
    W_OPEN,    /* BEGIN, the lock, the counter, what is stored under the batch's ids */
    W_COPY_IN, /* COPY started */
    W_ROWS,    /* the rows going in */
    W_CLOSE,   /* stored targets marked voided, the counter moved, COMMIT */
} phase_t;

/* One batch being written: a transaction whose every step waits for PostgreSQL without
 * blocking the event loop (the next requests are read and checked meanwhile). */
struct xapi_write {
    credits_t *credits;
    PGconn *db;
    post_t **posts;
    size_t n;
    stored_t st;
    yx_db_sync_t got;   /* the answers of the pipeline in flight */
    yx_strmap_t *batch; /* id -> item of the batch's new statements */
    yx_copy_t copy;
    xapi_buf_t text;
    yx_pgarray_t targets; /* stored statements to mark voided */
    size_t count, sent;
    bool copying, ended;
    long long seq;
    char stored[32];
    phase_t phase;
    int64_t began, opened, copy_began, copy_sent, copy_done; /* for the debug log */
};

static const char *s_void_key(yx_arena_t *arena, const char *target, const char *platform)
{
    return yx_arena_printf(arena, "%s\x1f%s", target, platform);
}

/* Asks for the stored statements the batch names: ids it carries, targets it voids, and
 * voiding statements that target its statements. 1 asked, 0 nothing to ask, -1 failed. */
static int s_ask_existing(xapi_write_t *w)
{
    yx_pgarray_t ids;
    yx_pgarray_init(&ids);
    for (size_t k = 0; k < w->n; k++)
        for (size_t i = 0; i < w->posts[k]->count; i++) {
            item_t *it = &w->posts[k]->items[i];
            if (it->id_given) yx_pgarray_add(&ids, it->id);
            if (it->voids) yx_pgarray_add(&ids, it->voids);
        }
    int rc = 0;
    if (ids.count) {
        const char *params[] = {w->credits->county_id, yx_pgarray_text(&ids)};
        rc = yx_db_send_prepared(w->db, s_existing_sql, 2, params) < 0 ? -1 : 1;
    }
    yx_pgarray_free(&ids);
    return rc;
}

/* Takes what is stored under the batch's ids (res: the answer of s_ask_existing, or NULL
 * when nothing was asked). 0 or -1. */
static int s_take_existing(xapi_write_t *w, PGresult *res)
{
    stored_t *st = &w->st;
    st->res = res;
    st->rows = yx_strmap_new((res ? (size_t)PQntuples(res) : 0) + 16);
    st->voided_by = yx_strmap_new(64);
    st->arena = yx_arena_new();
    if (!st->rows || !st->voided_by || !st->arena) return -1;
    for (int r = 0; res && r < PQntuples(res); r++) {
        yx_strmap_put(st->rows, PQgetvalue(res, r, 0), (void *)(intptr_t)(r + 1));
        if (!PQgetisnull(res, r, 4))
            yx_strmap_put(st->voided_by,
                          s_void_key(st->arena, PQgetvalue(res, r, 4), PQgetvalue(res, r, 2)),
                          (void *)1);
    }
    return 0;
}

static void s_stored_free(stored_t *st)
{
    PQclear(st->res);
    yx_strmap_destroy(&st->rows);
    yx_strmap_destroy(&st->voided_by);
    yx_arena_destroy(&st->arena);
    *st = (stored_t){0};
}

static int s_row(const stored_t *st, const char *id)
{
    return (int)(intptr_t)yx_strmap_get(st->rows, id) - 1;
}

/* Decides each statement of a request against what is stored and what earlier requests
 * of the batch carry: a retry is a no-op, a different statement under a known id is a
 * conflict, and only a platform's own ordinary statements can be voided. */
static void s_decide(post_t *p, const stored_t *st, yx_strmap_t *batch)
{
    yx_arena_t *arena = p->req->arena;
    for (size_t i = 0; i < p->count && !p->refused; i++) {
        item_t *it = &p->items[i];
        if (it->id_given) {
            item_t *earlier = yx_strmap_get(batch, it->id);
            int row = earlier ? -1 : s_row(st, it->id);
            bool same = true;
            if (earlier) {
                same = xapi_same_statement(it->json, earlier->json);
            } else if (row >= 0) {
                json_t *stored = json_loads(PQgetvalue(st->res, row, 1), 0, NULL);
                same = stored && xapi_same_statement(it->json, stored);
                json_decref(stored);
            }
            if (!same) {
                p->refused = true;
                s_refuse(p, 409, yx_arena_printf(arena, "%s.id", s_path(p, i)),
                         yx_arena_printf(
                             arena, "a different statement with id %s is already stored", it->id));
                break;
            }
            if (earlier || row >= 0) it->is_new = false;
        }
        if (!it->voids || !it->is_new) continue;
        const char *path = yx_arena_printf(arena, "%s.object.id", s_path(p, i));
        item_t *target = yx_strmap_get(p->by_id, it->voids);
        if (!target) target = yx_strmap_get(batch, it->voids);
        int row = target ? -1 : s_row(st, it->voids);
        bool voiding = target ? target->voids != NULL
                              : row >= 0 && strcmp(PQgetvalue(st->res, row, 3), "t") == 0;
        const char *owner = target     ? target->post->req->principal->platform
                            : row >= 0 ? PQgetvalue(st->res, row, 2)
                                       : NULL;
        if (voiding) {
            p->refused = true;
            s_refuse(p, 400, path, "a voiding statement cannot itself be voided");
        } else if (owner && strcmp(owner, p->req->principal->platform) != 0) {
            p->refused = true;
            s_refuse(p, 403, path, "a platform may only void statements it sent");
        }
        it->voids_stored = row >= 0;
    }
}

static int s_copy_row(yx_copy_t *copy, credits_t *credits, const item_t *it, long long seq,
                      const char *stored, bool voided, xapi_buf_t *text)
{
    char seq_text[24], occurred[32];
    snprintf(seq_text, sizeof seq_text, "%lld", seq);
    if (it->has_timestamp) xapi_format_timestamp(it->occurred_us, occurred);
    /* the client's members, then the LRS's properties, which win over any the client sent */
    text->len = 0;
    int rc = xapi_buf_add(text, "{", 1) | xapi_buf_add(text, it->members, it->members_len) |
             xapi_buf_str(text, it->tail) | xapi_buf_str(text, ",\"stored\":\"") |
             xapi_buf_str(text, stored) | xapi_buf_str(text, "\"");
    if (!it->has_timestamp)
        rc |= xapi_buf_str(text, ",\"timestamp\":\"") | xapi_buf_str(text, stored) |
              xapi_buf_str(text, "\"");
    rc |= xapi_buf_add(text, "}", 1);
    const char *fields[] = {credits->county_id,
                            it->id,
                            stored,
                            seq_text,
                            it->post->req->principal->platform,
                            it->actor_key,
                            it->teacher_id,
                            it->verb_id,
                            it->activity_id,
                            it->activity_type,
                            it->registration,
                            it->has_timestamp ? occurred : stored,
                            it->duration_ms,
                            voided ? "t" : "f",
                            it->voids,
                            it->object_ref,
                            it->account_name,
                            it->agents,
                            it->related_agents,
                            it->related_activities,
                            text->data};
    for (size_t f = 0; f < sizeof fields / sizeof *fields; f++)
        rc |= yx_copy_field(copy, fields[f]);
    return rc | yx_copy_end_row(copy);
}

static bool s_late(const post_t *p, int64_t now_ms)
{
    return p->req->deadline_unix_ms && p->req->deadline_unix_ms < now_ms;
}

/* The transaction begins, in one pipeline: BEGIN, the lock, the counter, and what is stored
 * under the batch's ids. 0 or -1. */
static int s_write_begin(xapi_write_t *w)
{
    PGconn *db = w->db;
    bool sent = yx_db_ensure(db) && yx_db_prepare(db, s_counter_sql, 0) == 0 &&
                yx_db_prepare(db, s_existing_sql, 2) == 0 && PQenterPipelineMode(db) &&
                PQsendQueryParams(db, "BEGIN", 0, NULL, NULL, NULL, NULL, 0) &&
                PQsendQueryParams(db, s_lock_sql, 0, NULL, NULL, NULL, NULL, 0) &&
                yx_db_send_prepared(db, s_counter_sql, 0, NULL) == 0 && s_ask_existing(w) >= 0 &&
                PQpipelineSync(db);
    if (!sent) {
        yx_warn(NULL, "could not begin a statement batch: %s", PQerrorMessage(db));
        return -1;
    }
    w->phase = W_OPEN;
    return 0;
}

/* The counter read: the last seq and stored time. 0 or -1. */
static int s_take_counter(xapi_write_t *w, PGresult *counter)
{
    if (PQresultStatus(counter) != PGRES_TUPLES_OK || PQntuples(counter) != 1) return -1;
    w->seq = atoll(PQgetvalue(counter, 0, 0));
    int64_t last_us = atoll(PQgetvalue(counter, 0, 1));
    /* stored never goes back, even when the clock does: it follows commit order */
    int64_t now_us = s_now_us() / 1000 * 1000;
    xapi_format_timestamp(now_us > last_us ? now_us : last_us, w->stored);
    w->batch = yx_strmap_new(64);
    return w->batch ? 0 : -1;
}

/* With what is stored known: the decisions, and the rows for the COPY. 0 or -1. */
static int s_write_rows(xapi_write_t *w)
{
    for (size_t k = 0; k < w->n; k++) {
        post_t *p = w->posts[k];
        s_decide(p, &w->st, w->batch);
        for (size_t i = 0; !p->refused && i < p->count; i++) {
            item_t *it = &p->items[i];
            if (!it->is_new) continue;
            yx_strmap_put(w->batch, it->id, it);
            if (it->voids_stored) yx_pgarray_add(&w->targets, it->voids);
            if (it->voids)
                yx_strmap_put(w->st.voided_by,
                              s_void_key(w->st.arena, it->voids, p->req->principal->platform),
                              (void *)1);
            w->count++;
        }
    }
    for (size_t k = 0; k < w->n; k++) {
        post_t *p = w->posts[k];
        for (size_t i = 0; !p->refused && i < p->count; i++) {
            item_t *it = &p->items[i];
            if (!it->is_new) continue;
            /* voided when a voiding statement of the same platform, stored or in this batch,
             * names it (only ordinary statements: a voiding one cannot be voided) */
            bool voided = !it->voids && yx_strmap_size(w->st.voided_by) &&
                          yx_strmap_get(w->st.voided_by, s_void_key(w->st.arena, it->id,
                                                                    p->req->principal->platform));
            if (s_copy_row(&w->copy, w->credits, it, ++w->seq, w->stored, voided, &w->text) < 0)
                return -1;
        }
    }
    return 0;
}

/* Sends rows without blocking and collects the COPY's outcome. 1 while the database is
 * busy (*want_write: it also needs the socket writable), 0 when done, -1 on failure. */
static int s_write_pump(xapi_write_t *w, bool *want_write)
{
    PGconn *db = w->db;
    *want_write = false;
    if (!w->copying) return 0;
    while (w->sent < w->copy.len) {
        size_t chunk = w->copy.len - w->sent < 256 * 1024 ? w->copy.len - w->sent : 256 * 1024;
        int rc = PQputCopyData(db, w->copy.data + w->sent, (int)chunk);
        if (rc < 0) return -1;
        if (rc == 0 || PQflush(db) == 1) {
            if (rc == 1) w->sent += chunk;
            *want_write = true;
            return 1;
        }
        w->sent += chunk;
    }
    if (!w->ended) {
        int rc = PQputCopyEnd(db, NULL);
        if (rc < 0) return -1;
        if (rc == 0) {
            *want_write = true;
            return 1;
        }
        w->ended = true;
        w->copy_sent = s_now_us();
    }
    int flushed = PQflush(db);
    if (flushed < 0) return -1;
    if (flushed == 1) {
        *want_write = true;
        return 1;
    }
    if (!PQconsumeInput(db)) return -1;
    if (PQisBusy(db)) return 1;
    bool ok = true;
    PGresult *res;
    while ((res = PQgetResult(db))) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            yx_warn(NULL, "could not store statements: %s", PQresultErrorMessage(res));
            ok = false;
        }
        PQclear(res);
    }
    w->copying = false;
    w->copy_done = s_now_us();
    PQsetnonblocking(db, 0);
    return ok ? 0 : -1;
}

/* After the rows: the attachments, then one pipeline of the voided targets, the counter
 * and COMMIT, unless a request's deadline passed. 0, -1 failed, or 1 late. */
static int s_write_end(xapi_write_t *w)
{
    PGconn *db = w->db;
    credits_t *credits = w->credits;
    /* a request answered 504 must not be committed behind its caller's back */
    int64_t now_ms = s_now_us() / 1000;
    for (size_t k = 0; k < w->n; k++)
        if (!w->posts[k]->refused && s_late(w->posts[k], now_ms)) return 1;
    /* attachments are rare and small beside their statements: stored in turn */
    for (size_t k = 0; w->count && k < w->n; k++)
        if (!w->posts[k]->refused && w->posts[k]->parts.count &&
            xapi_parts_store(db, credits->county_id, &w->posts[k]->parts) < 0)
            return -1;
    if (yx_db_prepare(db, s_advance_sql, 2) < 0 || !PQenterPipelineMode(db)) return -1;
    w->phase = W_CLOSE;
    if (w->count && w->targets.count) {
        const char *params[] = {credits->county_id, yx_pgarray_text(&w->targets)};
        if (!PQsendQueryParams(db, s_void_sql, 2, NULL, params, NULL, NULL, 0)) return -1;
    }
    if (w->count) {
        char seq_text[24];
        snprintf(seq_text, sizeof seq_text, "%lld", w->seq);
        const char *advance[] = {seq_text, w->stored};
        if (yx_db_send_prepared(db, s_advance_sql, 2, advance) < 0) return -1;
    }
    return PQsendQueryParams(db, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) && PQpipelineSync(db) ? 0
                                                                                               : -1;
}

static int s_outcome(store_rc_t *rc, int step)
{
    *rc = step == 0 ? STORE_OK : step > 0 ? STORE_LATE : STORE_FAILED;
    return 0;
}

/* The answers of the opening pipeline: the counter and what is stored; then the COPY. 0 or
 * -1. */
static int s_opened(xapi_write_t *w)
{
    yx_db_sync_t *got = &w->got;
    w->opened = s_now_us();
    if (!PQexitPipelineMode(w->db) || got->count < 3 || s_take_counter(w, got->res[2]) < 0)
        return -1;
    PGresult *existing = got->count > 3 ? got->res[3] : NULL;
    if (existing) got->count--; /* kept by the decisions, which point into it */
    yx_db_sync_clear(got);
    if (s_take_existing(w, existing) < 0) return -1;
    /* the COPY is asked for first and the rows made while the server answers (with no new
     * statement, it copies none) */
    if (!PQsendQuery(w->db, s_copy_sql)) return -1;
    w->phase = W_COPY_IN;
    return s_write_rows(w);
}

static double s_ms_since(const xapi_write_t *w, int64_t us)
{
    return (double)(us - w->began) / 1e3;
}

/* Drives the transaction as far as PostgreSQL has answered. 1 while it waits (*want_write:
 * for the socket to take more rows), else 0 with the outcome in *rc. */
static int s_write_advance(xapi_write_t *w, bool *want_write, store_rc_t *rc)
{
    *want_write = false;
    for (;;) {
        int next;
        if (w->phase == W_ROWS) {
            int pumped = s_write_pump(w, want_write);
            if (pumped == 1) return 1;
            if ((next = pumped < 0 ? -1 : s_write_end(w)) != 0) return s_outcome(rc, next);
            continue;
        }
        if (w->phase == W_COPY_IN) {
            PGresult *res;
            int got = yx_db_collect(w->db, &res);
            if (got == 1) return 1;
            next = got == 0 && PQresultStatus(res) == PGRES_COPY_IN ? 0 : -1;
            PQclear(res);
            if (next == 0) {
                w->phase = W_ROWS;
                w->copying = true;
                w->copy_began = s_now_us();
                next = PQsetnonblocking(w->db, 1);
            }
            if (next != 0) return s_outcome(rc, next);
            continue;
        }
        int got = yx_db_collect_sync(w->db, &w->got);
        if (got == 1) return 1;
        if (got < 0) return s_outcome(rc, -1);
        if (w->phase == W_OPEN) {
            if ((next = s_opened(w)) != 0) return s_outcome(rc, next);
            continue;
        }
        /* W_CLOSE: committed */
        yx_db_sync_clear(&w->got);
        PQexitPipelineMode(w->db);
        yx_debug(NULL,
                 "batch of %zu requests: %zu statements stored in %.1f ms (opened by %.1f ms,"
                 " COPY from %.1f ms, rows sent by %.1f ms, taken in by %.1f ms)",
                 w->n, w->count, s_ms_since(w, s_now_us()), s_ms_since(w, w->opened),
                 s_ms_since(w, w->copy_began), s_ms_since(w, w->copy_sent),
                 s_ms_since(w, w->copy_done));
        return s_outcome(rc, 0);
    }
}

static void s_answer(post_t *p, const char *stored)
{
    reply_header(p->req, p->reply, "X-Experience-API-Consistent-Through", stored);
    if (p->is_put) {
        reply_text(p->req, p->reply, 204, "", "", 0);
        return;
    }
    json_t *ids = json_array();
    for (size_t i = 0; i < p->count; i++)
        json_array_append(ids, json_object_get(p->items[i].json, "id"));
    reply_json(p->req, p->reply, 200, ids);
}

/* Back to "not answered yet", to try the request again. */
static void s_reset(post_t *p)
{
    Yx__Status *status = p->reply->status;
    status->code = 200;
    status->message = "";
    status->n_problems = 0;
    p->reply->n_headers = 0;
    p->refused = false;
    p->problems = 0;
    for (size_t i = 0; i < p->count; i++) {
        p->items[i].is_new = true;
        p->items[i].voids_stored = false;
    }
}

/* Rolls the transaction back, whatever step it is at (a pipeline or a copy under way, a
 * step's answer still coming). */
static void s_abandon(xapi_write_t *w)
{
    yx_db_sync_clear(&w->got);
    if (!yx_db_pipeline_drain(w->db)) return; /* a broken connection ended the transaction */
    PQsetnonblocking(w->db, 0);
    w->copying = false;
    PGresult *res;
    while ((res = PQgetResult(w->db))) {
        /* a COPY asked for or under way is ended (its answer repeats until then) */
        bool copy_in = PQresultStatus(res) == PGRES_COPY_IN;
        PQclear(res);
        if (copy_in && PQputCopyEnd(w->db, "abandoned") < 0) break;
    }
    yx_db_rollback(w->db);
}

static void s_write_free(xapi_write_t *w)
{
    yx_db_sync_clear(&w->got);
    s_stored_free(&w->st);
    yx_strmap_destroy(&w->batch);
    yx_copy_free(&w->copy);
    xapi_buf_free(&w->text);
    yx_pgarray_free(&w->targets);
    free(w->posts);
    free(w);
}

static void s_run(credits_t *credits, PGconn *db, post_t **posts, size_t n);

/* The outcome of a batch: answers, or the requests tried again. Frees the write. */
static void s_settle(xapi_write_t *w, store_rc_t rc)
{
    if (rc != STORE_OK) s_abandon(w);
    credits_t *credits = w->credits;
    PGconn *db = w->db;
    size_t n = w->n;
    post_t **posts = w->posts;
    w->posts = NULL;
    bool rematch = false;
    if (rc == STORE_OK) {
        snprintf(s_last_stored, sizeof s_last_stored, "%s", w->stored);
        s_last_seq = w->seq;
        /* the directory changed while unmatched statements were on their way in: the rematch
         * it triggered could not see them, uncommitted then */
        uint64_t now = credits->directory ? directory_fingerprint(credits->directory) : 0;
        for (size_t k = 0; k < n; k++) {
            if (!posts[k]->refused) s_answer(posts[k], w->stored);
            rematch |= !posts[k]->refused && posts[k]->unmatched && posts[k]->directory != now;
        }
    }
    s_write_free(w);
    if (rc != STORE_OK) {
        for (size_t k = 0; k < n; k++)
            s_reset(posts[k]);
        if (rc == STORE_LATE) {
            s_run(credits, db, posts, n);
        } else if (n == 1) {
            bool down = PQstatus(db) != CONNECTION_OK;
            yx_error(posts[0]->req->request_id, "could not store statements: %s",
                     down ? "postgresql does not answer" : yx_db_last_error());
            reply_error(posts[0]->req, posts[0]->reply, down ? 503 : 500,
                        "could not store the statements");
        } else {
            /* one request's statements may be what the database refused: try each alone */
            yx_warn(NULL, "a batch of %zu requests failed; storing them one by one", n);
            for (size_t k = 0; k < n; k++)
                s_run(credits, db, &posts[k], 1);
        }
    }
    free(posts);
    if (rematch) xapi_rematch(credits);
}

/* Answers 504 for the late; starts the rest. NULL when nothing is left to do. */
static xapi_write_t *s_start(credits_t *credits, PGconn *db, post_t **posts, size_t n)
{
    int64_t now_ms = s_now_us() / 1000;
    xapi_write_t *w = calloc(1, sizeof *w);
    post_t **kept = calloc(n + 1, sizeof *kept);
    if (!w || !kept) {
        free(w);
        free(kept);
        for (size_t k = 0; k < n; k++)
            reply_error(posts[k]->req, posts[k]->reply, 500, "out of memory");
        return NULL;
    }
    size_t m = 0;
    for (size_t k = 0; k < n; k++) {
        if (s_late(posts[k], now_ms)) {
            yx_warn(posts[k]->req->request_id, "dropped statements whose deadline had passed");
            reply_error(posts[k]->req, posts[k]->reply, 504,
                        "the deadline passed before the statements could be stored");
        } else {
            kept[m++] = posts[k];
        }
    }
    *w = (xapi_write_t){.credits = credits, .db = db, .posts = kept, .n = m, .began = s_now_us()};
    yx_copy_init(&w->copy);
    yx_pgarray_init(&w->targets);
    if (!m) {
        s_write_free(w);
        return NULL;
    }
    if (s_write_begin(w) < 0) {
        s_settle(w, STORE_FAILED);
        return NULL;
    }
    return w;
}

/* A batch from start to end, blocking: for xapi_post_batch and for tries again. */
static void s_run(credits_t *credits, PGconn *db, post_t **posts, size_t n)
{
    xapi_write_t *w = s_start(credits, db, posts, n);
    bool want_write = false;
    while (w && xapi_write_step(&w, &want_write) == 1) {
        struct pollfd pfd = {.fd = PQsocket(db), .events = POLLIN | (want_write ? POLLOUT : 0)};
        poll(&pfd, 1, 1000);
    }
}

xapi_write_t *xapi_write_start(credits_t *credits, PGconn *db, xapi_post_t **posts, size_t n)
{
    return s_start(credits, db, posts, n);
}

int xapi_write_step(xapi_write_t **self_p, bool *want_write)
{
    xapi_write_t *w = *self_p;
    bool writable = false;
    store_rc_t rc = STORE_FAILED;
    int busy = s_write_advance(w, &writable, &rc);
    if (want_write) *want_write = writable;
    if (busy) return 1;
    s_settle(w, rc);
    *self_p = NULL;
    return 0;
}

void xapi_write_abort(xapi_write_t **self_p)
{
    xapi_write_t *w = *self_p;
    if (!w) return;
    if (w->phase == W_CLOSE) { /* COMMIT is on its way: its outcome decides the answers */
        bool want_write = false;
        while (xapi_write_step(self_p, &want_write) == 1) {
            struct pollfd pfd = {.fd = PQsocket(w->db), .events = POLLIN};
            poll(&pfd, 1, 1000);
        }
        return;
    }
    for (size_t k = 0; k < w->n; k++)
        if (!w->posts[k]->refused)
            reply_error(w->posts[k]->req, w->posts[k]->reply, 503, "the service is stopping");
    s_abandon(w);
    s_write_free(w);
    *self_p = NULL;
}

xapi_post_t *xapi_post_prepare(credits_t *credits, request_t *req, const Yx__PostStatements *op,
                               Yx__CreditsReply *reply)
{
    post_t *p = calloc(1, sizeof *p);
    if (!p) {
        reply_error(req, reply, 500, "out of memory");
        return NULL;
    }
    *p = (post_t){.req = req, .op = op, .reply = reply};
    s_prepare(p, credits);
    if (!p->prepared) xapi_post_destroy(&p);
    return p;
}

void xapi_post_destroy(xapi_post_t **self_p)
{
    post_t *p = *self_p;
    if (!p) return;
    json_decref(p->root);
    yx_strmap_destroy(&p->by_id);
    free(p);
    *self_p = NULL;
}

void xapi_post_batch(credits_t *credits, request_t **reqs, const Yx__PostStatements **ops,
                     Yx__CreditsReply **replies, size_t n)
{
    post_t **ready = calloc(n + 1, sizeof *ready);
    if (!ready) {
        for (size_t k = 0; k < n; k++)
            reply_error(reqs[k], replies[k], 500, "out of memory");
        return;
    }
    size_t m = 0;
    for (size_t k = 0; k < n; k++) {
        post_t *p = xapi_post_prepare(credits, reqs[k], ops[k], replies[k]);
        if (p) ready[m++] = p;
    }
    s_run(credits, credits->db, ready, m);
    ledger_credit_pending(credits); /* what batch.c leaves to crediter.c */
    for (size_t k = 0; k < m; k++)
        xapi_post_destroy(&ready[k]);
    free(ready);
}
