/* The two upload operations: a OneRoster bundle and a Chinese spreadsheet. */
#include "request.h"
#include "sync.h"
#include "yx_db.h"
#include "yx_log.h"

#include <time.h>

static bool s_may_upload(request_t *req, Yx__RosterReply *reply)
{
    Yx__Role role = req->principal->role;
    if (role == YX__ROLE__ROLE_COUNTY_ADMIN ||
        (role == YX__ROLE__ROLE_SCHOOL_ADMIN && *req->principal->school_id))
        return true;
    request_fail(reply, 403, "only county and school admins may sync rosters");
    return false;
}

static void s_run(request_t *req, sync_t *sync, Yx__RosterReply *reply)
{
    sync_run(sync, reply);
    yx_info(req->request_id, "sync finished with status %u (%zu problems, %zu warnings)",
            reply->status->code, sync->problems.count, sync->warnings.count);
}

void op_sync_bundle(request_t *req, const Yx__SyncBundle *op, Yx__RosterReply *reply)
{
    if (!s_may_upload(req, reply)) return;
    sync_t *sync = sync_new(req->db, req->principal, req->county_id, req->request_id, req->arena);
    if (!sync) return request_fail(reply, 500, "out of memory");
    sync->delta = op->mode == YX__SYNC_MODE__SYNC_DELTA;
    sync->dry_run = op->dry_run;
    sync->deadline_unix_ms = req->deadline_unix_ms;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    bundle_load(sync, op->zip.data, op->zip.len);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    yx_debug(req->request_id, "bundle read in %.1f ms",
             (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    s_run(req, sync, reply);
    sync_destroy(&sync);
}

void op_sync_teachers_csv(request_t *req, const Yx__SyncTeachersCsv *op, Yx__RosterReply *reply)
{
    if (!s_may_upload(req, reply)) return;
    sync_t *sync = sync_new(req->db, req->principal, req->county_id, req->request_id, req->arena);
    if (!sync) return request_fail(reply, 500, "out of memory");
    sync->delta = true; /* a spreadsheet lists some teachers; the others stay as they are */
    sync->dry_run = op->dry_run;
    sync->deadline_unix_ms = req->deadline_unix_ms;
    teachers_csv_load(sync, op->csv.data, op->csv.len);
    s_run(req, sync, reply);
    sync_destroy(&sync);
}
