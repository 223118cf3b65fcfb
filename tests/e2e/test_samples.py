"""The two real OneRoster bundles in shared/data/oneroster-samples (see SOURCES.txt)."""
import json

import yx
from yx import check, eq

LEPO = "lepo-project_roster-hub_en"
OAT = "oat-sa_oneroster-import_OneRosterv1p1BaseCSV"
LEPO_ROWS = {"orgs.csv": 1, "users.csv": 20, "academicSessions.csv": 4, "courses.csv": 2,
             "classes.csv": 5, "enrollments.csv": 30}


def test_lepo_sample_applies_then_resync_unchanged():
    z = yx.sample_zip(LEPO)
    before = yx.get("/api/v1/schools/or0001", yx.county())
    check(before[0] in (200, 404), "GET /api/v1/schools/or0001 before: %r" % (before,))
    fresh = before[0] == 404
    r = yx.upload(z, "bulk")
    eq(r[0], 200, "lepo bundle bulk upload (%r)" % (r,))
    eq(r[2].get("dry_run"), False, "dry_run")
    eq(r[2].get("applied"), True, "applied")
    for f, n in LEPO_ROWS.items():
        eq(yx.counts(r, f), (n, 0, 0, 0) if fresh else (0, 0, 0, n), "%s counts (created, updated, deactivated, unchanged)" % f)
    warns = r[2].get("warnings") or []
    check(any(w.get("file") == "manifest.csv" and w.get("line") == 10 and w.get("column") == "propertyName"
              for w in warns),
          "no warning at manifest.csv line 10 (propertyName \"fiel.demographics\"): %s"
          % json.dumps(warns, ensure_ascii=False))
    s = yx.get("/api/v1/schools/or0001", yx.county())
    eq(s[0], 200, "GET /api/v1/schools/or0001 after the upload")
    eq(s[2].get("name"), "Sample School", "school name")
    eq(s[2].get("status"), "active", "school status")
    # every user of the bundle has role=student: the school has no teachers
    eq(yx.teachers_of("or0001"), {}, "teachers of or0001")

    again = yx.upload(z, "bulk")
    eq(again[0], 200, "lepo re-sync (%r)" % (again,))
    for f, n in LEPO_ROWS.items():
        eq(yx.counts(again, f), (0, 0, 0, n), "re-sync %s counts" % f)


def test_oat_sa_sample_refused_nothing_applied():
    z = yx.sample_zip(OAT)
    r = yx.upload(z, "bulk")
    eq(r[0], 422, "oat-sa bundle upload (%r)" % (r,))
    probs = yx.problems(r)
    for line in (2, 3, 4):
        yx.expect_problem(probs, "classes.csv", line, "courseSourcedId")
        yx.expect_problem(probs, "classes.csv", line, "termSourcedIds")
    term = [p for p in probs if p.get("column") == "termSourcedIds"]
    check(all('"1"' in p.get("reason", "") or "'1'" in p.get("reason", "") or " 1" in p.get("reason", "")
              for p in term),
          "termSourcedIds problems do not name the dangling term \"1\": %s" % json.dumps(term, ensure_ascii=False))
    for school in ("12345", "54321"):
        g = yx.get("/api/v1/schools/" + school, yx.county())
        eq(g[0], 404, "school %s after the refused oat-sa upload (%r)" % (school, g))
    for user in ("user1", "user2"):
        g = yx.get("/api/v1/teachers/" + user, yx.county())
        eq(g[0], 404, "user %s after the refused oat-sa upload" % user)
