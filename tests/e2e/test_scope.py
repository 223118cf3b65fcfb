"""Who may read and write what: school admins stay in their school, teachers see themselves."""
import json

import yx
from yx import check, eq

DENIED = (403, 404)


def _denied(r, what):
    check(r[0] in DENIED, "%s: expected 403 or 404, got %r" % (what, r))


def test_school_admin_cannot_cross_into_another_school():
    sa, A, ta = yx.make_school(2)
    sb, B, tb = yx.make_school(2)
    before_a, before_b = yx.teachers_of(A), yx.teachers_of(B)
    key = yx.create_key("school_admin", school=A)

    # own school: readable
    eq(yx.get("/api/v1/schools/" + A, key)[0], 200, "school admin reads own school")
    eq(yx.teachers_of(A, key), before_a, "school admin lists own teachers")
    eq(yx.get("/api/v1/teachers/" + ta[0], key)[0], 200, "school admin reads own teacher")
    eq([x["id"] for x in yx.list_all("/api/v1/schools", key)[0]], [A], "schools visible to the school admin")

    # another school: not readable
    _denied(yx.get("/api/v1/schools/" + B, key), "GET other school")
    _denied(yx.get("/api/v1/schools/%s/teachers" % B, key), "GET other school's teachers")
    _denied(yx.get("/api/v1/schools/%s/groups" % B, key), "GET other school's groups")
    _denied(yx.get("/api/v1/teachers/" + tb[0], key), "GET other school's teacher")

    # rows naming school B -> 403 naming those rows, nothing applied
    newa, newb = "na-" + sa, "nb-" + sa
    rows = [yx.teacher(newa, A, "新", "甲", mode="delta"),
            yx.teacher(newb, B, "越", "乙", mode="delta"),
            yx.teacher(tb[0], B, "改", "丙", mode="delta")]
    r = yx.upload(yx.bundle("delta", {"users.csv": rows}), "delta", token=key)
    eq(r[0], 403, "school admin of %s uploading rows of %s (%r)" % (A, B, r))
    probs = yx.problems(r)
    eq(sorted((p.get("file"), p.get("line")) for p in probs), [("users.csv", 3), ("users.csv", 4)],
       "rows named in the 403 (%s)" % json.dumps(probs, ensure_ascii=False))
    eq(yx.get("/api/v1/teachers/" + newa, yx.county())[0], 404, "own-school row of the refused upload")
    eq(yx.get("/api/v1/teachers/" + newb, yx.county())[0], 404, "other-school row of the refused upload")

    # orgs.csv naming school B in a bulk
    orgs = [yx.org(A, "学校" + sa, "school", parent="d-" + sa), yx.org(B, "被改名", "school")]
    r = yx.upload(yx.bundle("bulk", {"orgs.csv": orgs, "users.csv": [yx.teacher(ta[0], A, "名1", "王")]}),
                  "bulk", token=key)
    eq(r[0], 403, "school admin bulk listing school %s in orgs.csv (%r)" % (B, r))
    yx.expect_problem(yx.problems(r), "orgs.csv", 3)

    # taking over B's teacher by naming school A
    r = yx.upload(yx.bundle("delta", {"users.csv": [yx.teacher(tb[1], A, "名2", "王", mode="delta")]}),
                  "delta", token=key)
    check(r[0] in (403, 422), "school admin moving %s's teacher into %s: expected 403/422, got %r" % (B, A, r))

    # the Chinese CSV naming school B
    csv = "工号,姓名,学校\n%s,越界,%s\n" % (newb, B)
    r = yx.upload_csv(csv.encode("utf-8"), token=key)
    eq(r[0], 403, "school admin teachers.csv naming %s (%r)" % (B, r))
    yx.expect_problem([dict(p, file="") for p in yx.problems(r)], "", 2)

    eq(yx.teachers_of(A), before_a, "school A after the refused uploads")
    eq(yx.teachers_of(B), before_b, "school B after the refused uploads")
    eq(yx.get("/api/v1/schools/" + B, yx.county())[2]["name"], "学校" + sb, "school B name")

    # without 学校 the CSV lands in the admin's own school
    csv = "工号,姓名\n%s,自校\n" % newa
    r = yx.upload_csv(csv.encode("utf-8"), token=key)
    eq(r[0], 200, "school admin teachers.csv without 学校 (%r)" % (r,))
    eq(yx.teacher_json(newa)["school_id"], A, "school of a teacher created by the school admin")


def test_teacher_key_reads_only_itself():
    s, A, t = yx.make_school(2)
    s2, B, tb = yx.make_school(1)
    key = yx.create_key("teacher", teacher=t[0])
    r = yx.get("/api/v1/teachers/" + t[0], key)
    eq(r[0], 200, "teacher reads itself (%r)" % (r,))
    eq(r[2]["id"], t[0], "id of the teacher read")
    _denied(yx.get("/api/v1/teachers/" + t[1], key), "teacher reads a colleague")
    _denied(yx.get("/api/v1/teachers/" + tb[0], key), "teacher reads a teacher of another school")
    _denied(yx.get("/api/v1/schools/%s/teachers" % A, key), "teacher lists the school's teachers")
    before = yx.teachers_of(A)
    r = yx.upload(yx.bundle("delta", {"users.csv": [yx.teacher(t[1], A, "改", "王", mode="delta")]}),
                  "delta", token=key)
    eq(r[0], 403, "teacher uploads a bundle (%r)" % (r,))
    r = yx.upload_csv(("工号,姓名,学校\n%s,改名,%s\n" % (t[1], A)).encode("utf-8"), token=key)
    eq(r[0], 403, "teacher uploads a teachers.csv (%r)" % (r,))
    eq(yx.teachers_of(A), before, "teachers after the teacher's refused uploads")


def test_platform_key_reads_no_roster():
    s, A, t = yx.make_school(1)
    cred = yx.create_key("platform", platform="e2e-" + s)
    check(":" in cred, "platform credential is keyid:secret, got %r" % cred)
    r = yx.get("/api/v1/districts", basic=cred)
    eq(r[0], 403, "platform GET /api/v1/districts (%r)" % (r,))
    _denied(yx.get("/api/v1/teachers/" + t[0], basic=cred), "platform GET teacher")
    _denied(yx.get("/api/v1/schools/%s/teachers" % A, basic=cred), "platform GET school's teachers")
    before = yx.teachers_of(A)
    r = yx.request("POST", "/api/v1/roster/oneroster?mode=delta", basic=cred, content_type="application/zip",
                   body=yx.bundle("delta", {"users.csv": [yx.teacher(t[0], A, "改", "王", mode="delta")]}))
    eq(r[0], 403, "platform uploads a bundle (%r)" % (r,))
    eq(yx.teachers_of(A), before, "teachers after the platform's refused upload")
    bad = cred.split(":")[0] + ":" + "x" * 20
    eq(yx.get("/api/v1/districts", basic=bad)[0], 401, "platform key id with a wrong secret")
