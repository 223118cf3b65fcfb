/* The spreadsheet a Chinese school exports from Excel: one row per teacher, Chinese headers,
 * often GB18030. It upserts the teachers it lists, and the 教研组/备课组 it names (created in
 * the teacher's school when missing). */
#include "csv_file.h"
#include "scope.h"
#include "sync.h"
#include "yx_db.h"

#include <string.h>

#define FILE_NAME "teachers.csv"

enum { C_ID, C_NAME, C_SCHOOL, C_SUBJECT, C_GRADE, C_PHONE, C_EMAIL, C_RESEARCH, C_PREP,
       C_STATUS, C_GENDER, C_COUNT };

/* Accepted spellings of each column, the documented one first. */
static const char *const s_headers[C_COUNT][4] = {
    [C_ID] = {"工号", "教师编号", "职工号", NULL},
    [C_NAME] = {"姓名", "教师姓名", NULL},
    [C_SCHOOL] = {"学校", "学校名称", "所在学校", NULL},
    [C_SUBJECT] = {"学科", "任教学科", NULL},
    [C_GRADE] = {"年级", "任教年级", NULL},
    [C_PHONE] = {"手机", "手机号", "手机号码", NULL},
    [C_EMAIL] = {"邮箱", "电子邮箱", "Email", NULL},
    [C_RESEARCH] = {"教研组", NULL},
    [C_PREP] = {"备课组", NULL},
    [C_STATUS] = {"状态", "在职状态", NULL},
    [C_GENDER] = {"性别", NULL},
};

/* Two-character family names; every other name's family name is its first character. */
static const char *const s_compound_surnames[] = {
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
    "宇文", "司徒", "夏侯", "令狐", "端木", "南宫", "西门", "独孤", NULL};

typedef struct {
    sync_t *sync;
    int cols[C_COUNT];
    yx_strmap_t *schools;  /* sourcedId or exact name -> sourcedId */
    yx_strmap_t *groups;   /* "school\ttype\tname" -> group id */
} loader_t;

static size_t s_first_char_len(const char *s)
{
    unsigned char c = (unsigned char)*s;
    return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/* 姓名 holds family name then given name with no space. A name in Latin letters ("Anna
 * Li") is split at its last space instead, given name first. */
static void s_split_name(sync_t *sync, const char *full, const char **family, const char **given)
{
    if ((unsigned char)full[0] < 0x80) {
        const char *space = strrchr(full, ' ');
        *given = space ? yx_arena_strndup(sync->arena, full, (size_t)(space - full)) : full;
        *family = space ? space + 1 : "";
        return;
    }
    size_t n = s_first_char_len(full);
    for (const char *const *p = s_compound_surnames; *p; p++)
        if (strncmp(full, *p, strlen(*p)) == 0 && strlen(full) > strlen(*p)) n = strlen(*p);
    if (strlen(full) <= n) n = strlen(full);
    *family = yx_arena_strndup(sync->arena, full, n);
    *given = full + n;
}

static int s_load_lookups(loader_t *ld)
{
    sync_t *sync = ld->sync;
    if (scope_apply(sync->db, sync->principal) < 0) return -1;
    const char *const county[] = {sync->county_id};
    PGresult *res = yx_db_query(
        sync->db, "SELECT id, name FROM roster.schools WHERE county_id = $1 AND status = 'active'",
        1, county);
    if (!res) return -1;
    for (int i = 0; i < PQntuples(res); i++) {
        const char *id = yx_arena_strdup(sync->arena, PQgetvalue(res, i, 0));
        yx_strmap_put(ld->schools, id, (void *)id);
        yx_strmap_put(ld->schools, yx_arena_strdup(sync->arena, PQgetvalue(res, i, 1)), (void *)id);
    }
    PQclear(res);
    /* row-level security limits this to the schools the uploader may see */
    res = yx_db_query(sync->db,
                      "SELECT school_id || E'\\t' || type || E'\\t' || name, id FROM roster.groups"
                      " WHERE status = 'active'",
                      0, NULL);
    if (!res) return -1;
    for (int i = 0; i < PQntuples(res); i++)
        yx_strmap_put(ld->groups, yx_arena_strdup(sync->arena, PQgetvalue(res, i, 0)),
                      yx_arena_strdup(sync->arena, PQgetvalue(res, i, 1)));
    PQclear(res);
    return 0;
}

static bool s_map_headers(loader_t *ld, const yx_csv_t *t)
{
    for (int c = 0; c < C_COUNT; c++) {
        ld->cols[c] = -1;
        for (int a = 0; ld->cols[c] < 0 && s_headers[c][a]; a++)
            ld->cols[c] = yx_csv_column(t, s_headers[c][a]);
    }
    bool ok = true;
    for (int c = C_ID; c <= C_NAME; c++)
        if (ld->cols[c] < 0) {
            sync_problem(ld->sync, FILE_NAME, 1, s_headers[c][0], "required column missing");
            ok = false;
        }
    for (size_t h = 0; h < yx_csv_cols(t); h++) {
        bool known = false;
        for (int c = 0; !known && c < C_COUNT; c++)
            known = ld->cols[c] == (int)h;
        if (!known)
            sync_warning(ld->sync, FILE_NAME, 1, yx_csv_header(t, h),
                         "column '%s' is not read and was ignored", yx_csv_header(t, h));
    }
    return ok;
}

/* The id of the school's group of this type and name, adding the group when it is new. */
static const char *s_group(loader_t *ld, const char *school, const char *type, const char *name,
                           const char *subject, const char *parent, unsigned line)
{
    sync_t *sync = ld->sync;
    const char *key = yx_arena_printf(sync->arena, "%s\t%s\t%s", school, type, name);
    const char *id = yx_strmap_get(ld->groups, key);
    if (id) return id;
    id = yx_arena_printf(sync->arena, "%s:%s:%s", school, type, name);
    row_t *row = sync_add_row(sync, E_GROUPS, school, id, line);
    if (!row) return NULL;
    const entity_t *e = &roster_entities[E_GROUPS];
    row->values[entity_field(e, "type")] = type;
    row->values[entity_field(e, "name")] = name;
    row->values[entity_field(e, "subject")] = subject;
    row->values[entity_field(e, "parent_id")] = parent ? parent : "";
    sync->sets[E_GROUPS].present = true;
    yx_strmap_put(ld->groups, key, (void *)id);
    return id;
}

static void s_member(loader_t *ld, const char *school, const char *group, const char *user,
                     unsigned line)
{
    sync_t *sync = ld->sync;
    const char *id = yx_arena_printf(sync->arena, "%s|%s", group, user);
    row_t *row = sync_add_row(sync, E_GROUP_MEMBERS, school, id, line);
    if (!row) return;
    row->values[0] = group;
    row->values[1] = user;
    sync->sets[E_GROUP_MEMBERS].present = true;
}

static void s_row(loader_t *ld, const yx_csv_t *t, size_t r)
{
    sync_t *sync = ld->sync;
    unsigned line = (unsigned)yx_csv_line(t, r);
    const char *cell[C_COUNT];
    for (int c = 0; c < C_COUNT; c++)
        cell[c] = csv_file_cell(sync, t, r, ld->cols[c]);
    bool ok = true;
    for (int c = C_ID; c <= C_NAME; c++)
        if (!*cell[c]) {
            sync_problem(sync, FILE_NAME, line, s_headers[c][0], "%s is required",
                         s_headers[c][0]);
            ok = false;
        }
    const char *school = NULL;
    if (*cell[C_SCHOOL]) {
        school = yx_strmap_get(ld->schools, cell[C_SCHOOL]);
        if (!school)
            sync_problem(sync, FILE_NAME, line, "学校", "unknown school '%s'", cell[C_SCHOOL]);
    } else if (!sync_is_county(sync)) {
        school = sync->principal->school_id;
    } else {
        sync_problem(sync, FILE_NAME, line, "学校", "学校 is required");
    }
    if (school && !sync_is_county(sync) && strcmp(school, sync->principal->school_id) != 0) {
        sync_forbidden(sync, FILE_NAME, line, "学校", "school '%s' is not yours", cell[C_SCHOOL]);
        school = NULL;
    }
    bool active = true;
    const char *status = cell[C_STATUS];
    if (strcmp(status, "离职") == 0 || strcmp(status, "调出") == 0 || strcmp(status, "退休") == 0)
        active = false;
    else if (*status && strcmp(status, "在职") != 0) {
        sync_problem(sync, FILE_NAME, line, "状态", "'%s' is not 在职, 离职, 调出 or 退休", status);
        ok = false;
    }
    if (!ok || !school) return;

    row_t *dup = sync_find_row(sync, E_USERS, cell[C_ID]);
    row_t *row = dup ? NULL : sync_add_row(sync, E_USERS, school, cell[C_ID], line);
    if (!row) {
        sync_problem(sync, FILE_NAME, line, "工号", "duplicate 工号 '%s' (first on line %u)",
                     cell[C_ID], dup ? dup->line : 0);
        return;
    }
    const entity_t *e = &roster_entities[E_USERS];
    const char *family, *given;
    s_split_name(sync, cell[C_NAME], &family, &given);
    row->active = active;
    row->values[entity_field(e, "role")] = "teacher";
    row->values[entity_field(e, "enabled")] = active ? "true" : "false";
    row->values[entity_field(e, "org_ids")] = school;
    row->values[entity_field(e, "family_name")] = family;
    row->values[entity_field(e, "given_name")] = given;
    row->values[entity_field(e, "identifier")] = cell[C_ID];
    /* columns the sheet leaves out keep what the store has (NULL) */
    if (ld->cols[C_SUBJECT] >= 0) row->values[entity_field(e, "subject")] = cell[C_SUBJECT];
    if (ld->cols[C_GRADE] >= 0) row->values[entity_field(e, "grades")] = cell[C_GRADE];
    if (ld->cols[C_PHONE] >= 0) row->values[entity_field(e, "phone")] = cell[C_PHONE];
    if (ld->cols[C_EMAIL] >= 0) row->values[entity_field(e, "email")] = cell[C_EMAIL];

    const char *research = NULL;
    if (*cell[C_RESEARCH]) {
        research = s_group(ld, school, "research", cell[C_RESEARCH], cell[C_SUBJECT], NULL, line);
        if (research) s_member(ld, school, research, cell[C_ID], line);
    }
    if (*cell[C_PREP]) {
        const char *prep =
            s_group(ld, school, "preparation", cell[C_PREP], cell[C_SUBJECT], research, line);
        if (prep) s_member(ld, school, prep, cell[C_ID], line);
    }
}

void teachers_csv_load(sync_t *sync, const uint8_t *data, size_t size)
{
    for (int e = 0; e < E_COUNT; e++)
        sync->file_names[e] = FILE_NAME;
    sync->file_names[E_GROUPS] = "teachers.csv (groups)";
    sync->file_names[E_GROUP_MEMBERS] = "teachers.csv (group members)";
    sync->keep_new_inactive = true;
    yx_csv_t *t = csv_file_open(sync, FILE_NAME, (const char *)data, size, true);
    if (!t) return;
    loader_t ld = {.sync = sync, .schools = yx_strmap_new(512), .groups = yx_strmap_new(512)};
    if (s_load_lookups(&ld) < 0) {
        sync->fatal_code = 503;
        sync->fatal_message = "could not read schools and groups from the database";
    } else if (s_map_headers(&ld, t)) {
        sync->sets[E_USERS].present = true;
        for (size_t r = 0; r < yx_csv_rows(t); r++)
            if (!csv_file_ragged(sync, FILE_NAME, t, r)) s_row(&ld, t, r);
        if (!yx_csv_rows(t)) sync_problem(sync, FILE_NAME, 1, NULL, "no teacher rows");
    }
    yx_strmap_destroy(&ld.schools);
    yx_strmap_destroy(&ld.groups);
}
