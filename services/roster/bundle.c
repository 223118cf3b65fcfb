/* Reading a OneRoster v1.1 CSV bundle (plus the county's extension files) into rows.
 * Everything wrong is collected, not only the first problem, so one round trip shows the
 * admin every row to fix. */
#include "csv_file.h"
#include "sync.h"
#include "yx_zip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const yx_zip_limits_t s_zip_limits = {
    .max_entries = 64, .max_entry_size = 128L << 20, .max_total_size = 256L << 20};

/* Files the specification defines that the county does not use. */
static const char *const s_ignored_files[] = {
    "demographics.csv", "categories.csv", "classResources.csv", "courseResources.csv",
    "lineItems.csv", "resources.csv", "results.csv", NULL};

static bool s_in(const char *value, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(value, *list) == 0) return true;
    return false;
}

static bool s_valid_date(const char *s)
{
    static const char shape[] = "dddd-dd-dd";
    for (int i = 0; i < 10; i++)
        if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != '-') return false;
    if (s[10]) return false;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return y >= 1900 && m >= 1 && m <= 12 && d >= 1 && d <= days[m - 1] &&
           !(m == 2 && d == 29 && (y % 4 || (y % 100 == 0 && y % 400)));
}

/* The first element of a comma-separated id list. */
static const char *s_first_id(sync_t *self, const char *list)
{
    size_t n = strcspn(list, ",");
    while (n && list[n - 1] == ' ')
        n--;
    return yx_arena_strndup(self->arena, list, n);
}

static void s_manifest(sync_t *self, const yx_zip_t *zip)
{
    const yx_zip_entry_t *entry = yx_zip_find(zip, "manifest.csv");
    if (!entry) {
        sync_warning(self, "manifest.csv", 0, NULL,
                     "manifest.csv is missing; files were read as the request's mode says");
        return;
    }
    yx_csv_t *t = csv_file_open(self, "manifest.csv", entry->data, entry->size, false);
    if (!t) return;
    int name_col = yx_csv_column(t, "propertyName"), value_col = yx_csv_column(t, "value");
    if (name_col < 0 || value_col < 0) {
        sync_problem(self, "manifest.csv", 1, name_col < 0 ? "propertyName" : "value",
                     "required column missing");
        return;
    }
    for (size_t r = 0; r < yx_csv_rows(t); r++) {
        const char *name = yx_csv_cell(t, r, name_col), *value = yx_csv_cell(t, r, value_col);
        unsigned line = (unsigned)yx_csv_line(t, r);
        if (strcmp(name, "oneroster.version") == 0) {
            if (strcmp(value, "1.1") != 0)
                sync_warning(self, "manifest.csv", line, "value",
                             "oneroster.version %s: read as 1.1", value);
        } else if (strncmp(name, "file.", 5) == 0) {
            if (!s_in(value, (const char *const[]){"bulk", "delta", "absent", NULL}))
                sync_problem(self, "manifest.csv", line, "value",
                             "%s must be bulk, delta or absent", name);
            else if (strcmp(value, "absent") != 0 &&
                     strcmp(value, self->delta ? "delta" : "bulk") != 0)
                sync_warning(self, "manifest.csv", line, "value",
                             "%s says %s; the request's mode=%s was used", name, value,
                             self->delta ? "delta" : "bulk");
        } else if (strcmp(name, "manifest.version") != 0 && strncmp(name, "source.", 7) != 0)
            sync_warning(self, "manifest.csv", line, "propertyName",
                         "unknown property '%s' ignored", name);
    }
}

/* Columns of the file for each field of the entity; problems for missing required ones,
 * warnings for columns nobody reads. */
static bool s_map_columns(sync_t *self, const entity_t *entity, const yx_csv_t *t, int *cols,
                          bool warn)
{
    bool ok = true;
    for (int i = 0; i < entity->nfields; i++) {
        cols[i] = yx_csv_column(t, entity->fields[i].header);
        if (cols[i] < 0 && entity->fields[i].required) {
            sync_problem(self, entity->file, 1, entity->fields[i].header,
                         "required column missing");
            ok = false;
        }
    }
    /* columns of the specification the county has no use for pass silently */
    static const char *const common[] = {"sourcedId", "status", "dateLastModified", "type",
                                         "agentSourcedIds", "password", "subjectCodes",
                                         NULL};
    for (size_t c = 0; warn && c < yx_csv_cols(t); c++) {
        const char *h = yx_csv_header(t, c);
        bool known = s_in(h, common) || strncmp(h, "metadata.", 9) == 0 ||
                     (entity->school_header && strcmp(h, entity->school_header) == 0);
        for (int i = 0; !known && i < entity->nfields; i++)
            known = strcmp(h, entity->fields[i].header) == 0;
        if (!known)
            sync_warning(self, entity->file, 1, h, "column '%s' is not read and was ignored",
                         h);
    }
    return ok;
}

static bool s_check_value(sync_t *self, const entity_t *entity, const field_t *f,
                          const char *value, unsigned line)
{
    if (!*value) {
        if (!f->required) return true;
        sync_problem(self, entity->file, line, f->header, "%s is required", f->header);
        return false;
    }
    if (f->allowed && !s_in(value, f->allowed)) {
        sync_problem(self, entity->file, line, f->header, "'%s' is not a valid %s", value,
                     f->header);
        return false;
    }
    if (f->date && !s_valid_date(value)) {
        sync_problem(self, entity->file, line, f->header, "'%s' is not a date (YYYY-MM-DD)",
                     value);
        return false;
    }
    return true;
}

/* Adds one row of a file to the entity's set, validating every value. */
static void s_load_row(sync_t *self, entity_id_t eid, const yx_csv_t *t, size_t r,
                       const int *cols, int id_col, int status_col, int school_col)
{
    const entity_t *entity = &roster_entities[eid];
    unsigned line = (unsigned)yx_csv_line(t, r);
    const char *id = csv_file_cell(self, t, r, id_col);
    const char *status = yx_csv_cell(t, r, status_col);
    if (!*id) {
        sync_problem(self, entity->file, line, "sourcedId", "sourcedId is required");
        return;
    }
    if (*status && strcmp(status, "active") != 0 && strcmp(status, "tobedeleted") != 0) {
        sync_problem(self, entity->file, line, "status",
                     "'%s' is not a valid status (active or tobedeleted)", status);
        return;
    }
    const char *tenant = self->county_id;
    if (!entity->county_scoped) {
        tenant = school_col >= 0 ? s_first_id(self, csv_file_cell(self, t, r, school_col)) : "";
        if (school_col >= 0 && !*tenant) {
            sync_problem(self, entity->file, line, entity->school_header, "%s is required",
                         entity->school_header);
            return;
        }
    }
    row_t *other = sync_find_row(self, eid, id);
    if (!other && eid == E_SCHOOLS) other = sync_find_row(self, E_DISTRICTS, id);
    if (!other && eid == E_DISTRICTS) other = sync_find_row(self, E_SCHOOLS, id);
    if (other) {
        sync_problem(self, entity->file, line, "sourcedId",
                     "duplicate sourcedId '%s' (first on line %u)", id, other->line);
        return;
    }
    row_t *row = sync_add_row(self, eid, tenant, id, line);
    if (!row) return;
    row->active = strcmp(status, "tobedeleted") != 0;
    for (int i = 0; i < entity->nfields; i++) {
        const char *value = cols[i] >= 0 ? csv_file_cell(self, t, r, cols[i]) : "";
        s_check_value(self, entity, &entity->fields[i], value, line);
        /* spreadsheets write TRUE/False: store one spelling */
        if (entity->fields[i].allowed && strcasecmp(value, "true") == 0) value = "true";
        if (entity->fields[i].allowed && strcasecmp(value, "false") == 0) value = "false";
        row->values[i] = value;
    }
}

/* Loads a file into one entity, or orgs.csv into districts and schools by type. */
static void s_load_file(sync_t *self, entity_id_t eid, const yx_zip_entry_t *entry)
{
    const entity_t *entity = &roster_entities[eid];
    yx_csv_t *t = csv_file_open(self, entity->file, entry->data, entry->size, false);
    if (!t) return;
    if (yx_csv_rows(t) == 0) {
        sync_warning(self, entity->file, 1, NULL,
                     "file has no data rows and was read as absent (the specification asks "
                     "to leave such files out)");
        return;
    }
    bool orgs = eid == E_SCHOOLS;
    int cols[2][32];
    int id_col = yx_csv_column(t, "sourcedId"), status_col = yx_csv_column(t, "status");
    int type_col = yx_csv_column(t, "type");
    int school_col = entity->school_header ? yx_csv_column(t, entity->school_header) : -1;
    bool ok = s_map_columns(self, entity, t, cols[0], true);
    if (orgs) ok = s_map_columns(self, &roster_entities[E_DISTRICTS], t, cols[1], false) && ok;
    if (id_col < 0 && eid != E_GROUP_MEMBERS) {
        sync_problem(self, entity->file, 1, "sourcedId", "required column missing");
        ok = false;
    }
    if (orgs && type_col < 0) {
        sync_problem(self, entity->file, 1, "type", "required column missing");
        ok = false;
    }
    if (!ok) return;
    self->sets[eid].present = true;
    if (orgs) self->sets[E_DISTRICTS].present = true;

    for (size_t r = 0; r < yx_csv_rows(t); r++) {
        if (csv_file_ragged(self, entity->file, t, r)) continue;
        if (eid == E_GROUP_MEMBERS) {
            /* memberships have no id of their own: group|user names the row */
            const char *group = csv_file_cell(self, t, r, cols[0][0]);
            const char *user = csv_file_cell(self, t, r, cols[0][1]);
            unsigned line = (unsigned)yx_csv_line(t, r);
            const char *status = yx_csv_cell(t, r, status_col);
            if (!*group || !*user) {
                sync_problem(self, entity->file, line, *group ? "userSourcedId" : "groupSourcedId",
                             "%s is required", *group ? "userSourcedId" : "groupSourcedId");
                continue;
            }
            const char *id = yx_arena_printf(self->arena, "%s|%s", group, user);
            row_t *dup = sync_find_row(self, eid, id);
            row_t *row = dup ? NULL : sync_add_row(self, eid, "", id, line);
            if (!row) {
                sync_problem(self, entity->file, line, "userSourcedId",
                             "duplicate membership (first on line %u)", dup ? dup->line : 0);
                continue;
            }
            row->values[0] = group;
            row->values[1] = user;
            row->active = strcmp(status, "tobedeleted") != 0;
            continue;
        }
        if (!orgs) {
            s_load_row(self, eid, t, r, cols[0], id_col, status_col, school_col);
            continue;
        }
        const char *type = yx_csv_cell(t, r, type_col);
        if (strcmp(type, "school") == 0)
            s_load_row(self, E_SCHOOLS, t, r, cols[0], id_col, status_col, -1);
        else if (strcmp(type, "district") == 0)
            s_load_row(self, E_DISTRICTS, t, r, cols[1], id_col, status_col, -1);
        else
            sync_warning(self, entity->file, (unsigned)yx_csv_line(t, r), "type",
                         "org type '%s' is not used by the county and was ignored", type);
    }
}

void bundle_load(sync_t *self, const uint8_t *data, size_t size)
{
    yx_zip_t zip;
    char err[256];
    int rc = yx_zip_read(data, size, &s_zip_limits, &zip, err, sizeof err);
    if (rc != YX_ZIP_OK) {
        self->fatal_code = rc == YX_ZIP_TOO_LARGE ? 413 : 400;
        self->fatal_message = yx_arena_printf(
            self->arena, rc == YX_ZIP_TOO_LARGE ? "the bundle is too large: %s"
                                                : "the body is not a readable zip archive: %s",
            err);
        return;
    }
    s_manifest(self, &zip);
    for (size_t i = 0; i < zip.count; i++) {
        const char *name = zip.entries[i].name;
        bool known = strcmp(name, "manifest.csv") == 0;
        for (int e = 0; !known && e < E_COUNT; e++)
            known = strcmp(name, roster_entities[e].file) == 0;
        if (s_in(name, s_ignored_files))
            sync_warning(self, name, 0, NULL, "the county does not use %s; it was ignored", name);
        else if (!known)
            sync_warning(self, name, 0, NULL,
                         "not a OneRoster v1.1 file nor a county extension; ignored");
    }
    for (int e = 0; e < E_COUNT; e++) {
        if (e == E_DISTRICTS) continue; /* read with the schools from orgs.csv */
        const yx_zip_entry_t *entry = yx_zip_find(&zip, roster_entities[e].file);
        if (entry) s_load_file(self, (entity_id_t)e, entry);
    }
    yx_zip_free(&zip);
}
