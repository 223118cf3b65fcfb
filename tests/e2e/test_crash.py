"""kill -9 of the roster daemon during a large bulk upload: all or nothing."""
import http.client
import ssl
import threading
import time

import yx
from yx import check, eq

OLD, NEW = 1000, 20000


def _bundle(s, school, prefix, n):
    rows = [yx.teacher("%s%d-%s" % (prefix, i, s), school, "名%d" % i, "卫") for i in range(1, n + 1)]
    return yx.school_bundle(s, rows)


def _post_in_background(big, result, sent):
    def post():
        conn = http.client.HTTPSConnection(yx.HOST, yx.PORT, context=yx.ctx(), timeout=120)
        try:
            conn.request("POST", "/api/v1/roster/oneroster?mode=bulk", body=big,
                         headers={"Authorization": "Bearer " + yx.county(),
                                  "Content-Type": "application/zip"})
            sent.set()
            resp = conn.getresponse()
            result["status"] = resp.status
            result["body"] = resp.read()[:300]
        except (OSError, ssl.SSLError, http.client.HTTPException) as e:
            result["error"] = repr(e)
        finally:
            result["at"] = time.time()
            sent.set()
            conn.close()

    th = threading.Thread(target=post)
    th.start()
    return th


def _attempt(fraction):
    """One school with OLD teachers; a bulk of NEW other teachers killed `fraction` of the way
    through its expected duration. Returns (school, old, new, big bundle, result, killed_at)."""
    yx.county()
    s = yx.sfx()
    school = "sch-" + s
    r = yx.upload(_bundle(s, school, "o", OLD), "bulk")
    eq(r[0], 200, "old roster of %d teachers (%r)" % (OLD, r))
    old, new = {"active": OLD}, {"active": NEW, "inactive": OLD}
    eq(yx.status_counts(school), old, "statuses of the old roster")
    big = _bundle(s, school, "n", NEW)
    t0 = time.time()
    r = yx.upload(big, "bulk", dry_run=True)  # how long the roster needs to parse and check it
    duration = time.time() - t0
    eq(r[0], 200, "dry run of the big bundle (%r)" % (r,))
    eq(yx.counts(r, "users.csv"), (NEW, 0, OLD, 0), "dry run users.csv counts")
    eq(yx.status_counts(school), old, "statuses after the dry run")

    result, sent = {}, threading.Event()
    th = _post_in_background(big, result, sent)
    killed_at = None
    try:
        check(sent.wait(60), "the upload was never sent")
        time.sleep(duration * fraction)
        k = yx.stack("kill", "roster")
        killed_at = time.time()
        eq(k.returncode, 0, "deploy/stack.sh kill roster: %s" % (k.stderr or k.stdout)[-300:])
        th.join(120)
        check(not th.is_alive(), "the upload never answered after the roster was killed")
    finally:
        st = yx.stack("start", "roster")
        eq(st.returncode, 0, "deploy/stack.sh start roster: %s" % (st.stderr or st.stdout)[-300:])
        yx.wait_ready(60)
    return school, old, new, big, result, killed_at


def test_kill_roster_during_large_bulk_upload():
    for fraction in (0.8, 0.5, 0.2):
        school, old, new, big, result, killed_at = _attempt(fraction)
        if "status" in result and result["at"] < killed_at:
            # answered before the kill: the crash was not in flight; an earlier kill next time
            eq(result["status"], 200, "the uninterrupted upload (%r)" % result)
            continue
        break
    else:
        raise yx.Fail("every upload finished before the kill; the crash was never in flight")
    check("error" in result or result["status"] >= 500,
          "upload interrupted by kill -9: expected a 5xx or a connection error, got %r" % result)

    after = yx.status_counts(school)
    check(after in (old, new), "roster after the crash is a mix: %r (old %r, new %r)" % (after, old, new))

    r = yx.upload(big, "bulk")
    eq(r[0], 200, "the same upload after the restart (%r)" % (r,))
    eq(yx.counts(r, "users.csv"), (NEW, 0, OLD, 0) if after == old else (0, 0, 0, NEW),
       "users.csv counts of the retried upload (state after crash: %r)" % after)
    eq(yx.status_counts(school), new, "statuses after the retried upload")
