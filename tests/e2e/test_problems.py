"""Refused uploads: exact problem locations, and nothing applied."""
import json
import os

import yx
from yx import check, eq


def _only(probs, expected, what):
    got = sorted((p.get("file"), p.get("line"), p.get("column")) for p in probs)
    eq(got, sorted(expected), "%s: problems (file, line, column) (%s)"
       % (what, json.dumps(probs, ensure_ascii=False)[:1500]))


def test_5000_teachers_one_bad_row():
    s, school, existing = yx.make_school(3)
    before = yx.teachers_of(school)
    bad = 3333  # 1-based data row; physical line = bad + 1 (header is line 1)
    rows = []
    for i in range(1, 5001):
        r = yx.teacher("b%d-%s" % (i, s), school, "名%d" % i, "钱", mode="delta")
        if i == bad:
            r["familyName"] = ""
        rows.append(r)
    users = yx.csv_bytes(yx.USERS_H, rows, newline="\r\n")
    z = yx.bundle("delta", {}, raw={"users.csv": users})
    r = yx.upload(z, "delta")
    eq(r[0], 422, "5,000-row bundle with one bad row (%r)" % (r,))
    _only(yx.problems(r), [("users.csv", bad + 1, "familyName")], "5,000-row bundle")
    eq(yx.teachers_of(school), before, "teachers after the refused 5,000-row bundle")
    sch = yx.get("/api/v1/schools/" + school, yx.county())[2]
    eq(sch.get("teacher_count"), 3, "school teacher_count after the refused bundle")
    eq(yx.get("/api/v1/teachers/b1-" + s, yx.county())[0], 404, "first row of the refused bundle")


def test_every_missing_required_user_field_listed():
    s, school, existing = yx.make_school(1)
    before = yx.teachers_of(school)
    required = ["sourcedId", "enabledUser", "orgSourcedIds", "role", "username", "givenName", "familyName"]
    rows = [yx.teacher("ok-" + s, school, "好", "吕", mode="delta")]
    for i, col in enumerate(required):
        r = yx.teacher("req%d-%s" % (i, s), school, "名", "吕", mode="delta")
        r[col] = ""
        rows.append(r)
    r = yx.upload(yx.bundle("delta", {"users.csv": rows}), "delta")
    eq(r[0], 422, "users.csv with one missing required field per row (%r)" % (r,))
    _only(yx.problems(r), [("users.csv", i + 3, col) for i, col in enumerate(required)],
          "missing required fields")
    r = yx.upload(yx.bundle("delta", {"users.csv": rows}), "delta", dry_run=True)
    eq(r[0], 422, "the same bundle as a dry run (%r)" % (r,))
    eq(len(yx.problems(r)), len(required), "dry run problems")
    eq(yx.teachers_of(school), before, "teachers after the refused bundle")
    eq(yx.get("/api/v1/teachers/ok-" + s, yx.county())[0], 404, "good row of the refused bundle")


def test_user_of_unknown_school_refused():
    s = yx.sfx()
    rows = [yx.teacher("t1-" + s, "no-such-school-" + s, "一", "施", mode="delta")]
    r = yx.upload(yx.bundle("delta", {"users.csv": rows}), "delta")
    eq(r[0], 422, "teacher of a school that does not exist (%r)" % (r,))
    _only(yx.problems(r), [("users.csv", 2, "orgSourcedIds")], "unknown school")
    eq(yx.get("/api/v1/teachers/t1-" + s, yx.county())[0], 404, "teacher of the refused bundle")


def test_invalid_utf8_in_csv():
    s = yx.sfx()
    school = "sch-" + s
    good = yx.csv_bytes(yx.USERS_H, [yx.teacher("t1-%s" % s, school, "名", "王"),
                                     yx.teacher("t2-%s" % s, school, "XXBADXX", "王"),
                                     yx.teacher("t3-%s" % s, school, "名", "王")])
    users = good.replace(b"XXBADXX", b"\xe5\xbc\xa0\xff\xfe\xc3")
    orgs = yx.csv_bytes(yx.ORGS_H, [yx.org(school, "学校" + s, "school")])
    r = yx.upload(yx.bundle("bulk", {}, raw={"orgs.csv": orgs, "users.csv": users}), "bulk")
    eq(r[0], 422, "bundle with invalid UTF-8 (%r)" % (r,))
    probs = yx.problems(r)
    eq(len(probs), 1, "one problem (%s)" % json.dumps(probs, ensure_ascii=False))
    eq((probs[0].get("file"), probs[0].get("line")), ("users.csv", 3), "invalid UTF-8 location")
    eq(yx.get("/api/v1/schools/" + school, yx.county())[0], 404, "school of the refused bundle")


def test_duplicate_sourced_id_names_second_line():
    s, school, existing = yx.make_school(2)
    before = yx.teachers_of(school)
    a, b = "dupa-" + s, "dupb-" + s
    rows = [yx.teacher(a, school, "甲", "赵", mode="delta"), yx.teacher(b, school, "乙", "赵", mode="delta"),
            yx.teacher(a, school, "丙", "赵", mode="delta")]
    r = yx.upload(yx.bundle("delta", {"users.csv": rows}), "delta")
    eq(r[0], 422, "duplicate sourcedId (%r)" % (r,))
    _only(yx.problems(r), [("users.csv", 4, "sourcedId")], "duplicate sourcedId")
    eq(yx.teachers_of(school), before, "teachers after the refused duplicate")


def test_dangling_references_all_listed():
    s = yx.sfx()
    school = "sch-" + s
    t1, st1 = "t1-" + s, "st1-" + s
    tables = {
        "orgs.csv": [yx.org(school, "学校" + s, "school")],
        "users.csv": [yx.teacher(t1, school, "一", "冯"), yx.teacher(st1, school, "二", "冯", role="student")],
        "academicSessions.csv": [{"sourcedId": "term-" + s, "title": "2025秋", "type": "term",
                                  "startDate": "2025-09-01", "endDate": "2026-01-31", "schoolYear": "2026"}],
        "courses.csv": [{"sourcedId": "co-" + s, "title": "数学", "orgSourcedId": school}],
        "classes.csv": [{"sourcedId": "cl-" + s, "title": "七(1)班", "courseSourcedId": "co-" + s,
                         "classType": "homeroom", "schoolSourcedId": school, "termSourcedIds": "term-" + s}],
        "enrollments.csv": [
            {"sourcedId": "en1-" + s, "classSourcedId": "cl-" + s, "schoolSourcedId": school,
             "userSourcedId": t1, "role": "teacher", "primary": "true"},
            {"sourcedId": "en2-" + s, "classSourcedId": "cl-missing-" + s, "schoolSourcedId": school,
             "userSourcedId": st1, "role": "student", "primary": "false"}],
        "groups.csv": [{"sourcedId": "g-" + s, "schoolSourcedId": school, "type": "research", "name": "数学教研组"}],
        "groupMembers.csv": [{"groupSourcedId": "g-" + s, "userSourcedId": t1},
                             {"groupSourcedId": "g-" + s, "userSourcedId": "ghost-" + s}],
        "mentorPairs.csv": [{"sourcedId": "m-" + s, "schoolSourcedId": school, "mentorSourcedId": t1,
                             "menteeSourcedId": "ghost2-" + s, "beginDate": "2025-09-01"}],
    }
    r = yx.upload(yx.bundle("bulk", tables), "bulk")
    eq(r[0], 422, "bundle with dangling references (%r)" % (r,))
    _only(yx.problems(r), [("enrollments.csv", 3, "classSourcedId"), ("groupMembers.csv", 3, "userSourcedId"),
                           ("mentorPairs.csv", 2, "menteeSourcedId")], "dangling references")
    eq(yx.get("/api/v1/schools/" + school, yx.county())[0], 404, "school of the refused bundle")
    eq(yx.get("/api/v1/teachers/" + t1, yx.county())[0], 404, "teacher of the refused bundle")

    # the same bundle without the dangling rows applies
    tables["enrollments.csv"] = tables["enrollments.csv"][:1]
    tables["groupMembers.csv"] = tables["groupMembers.csv"][:1]
    del tables["mentorPairs.csv"]
    r = yx.upload(yx.bundle("bulk", tables), "bulk")
    eq(r[0], 200, "bundle without the dangling rows (%r)" % (r,))
    for f, n in (("orgs.csv", 1), ("users.csv", 2), ("academicSessions.csv", 1), ("courses.csv", 1),
                 ("classes.csv", 1), ("enrollments.csv", 1), ("groups.csv", 1), ("groupMembers.csv", 1)):
        eq(yx.counts(r, f), (n, 0, 0, 0), "%s counts" % f)
    eq(sorted(yx.teachers_of(school)), [t1], "teachers (the student is not one)")


def test_problem_line_is_physical_line():
    s = yx.sfx()
    school = "sch-" + s
    head = yx.USERS_H + ["metadata.note"]
    rows = [dict(yx.teacher("t1-" + s, school, "一", "韩"), **{"metadata.note": "第一行\n第二行\n第三行"}),
            yx.teacher("t2-" + s, school, "", "韩"),
            yx.teacher("t3-" + s, school, "三", "韩")]
    users = yx.csv_bytes(head, rows)
    orgs = yx.csv_bytes(yx.ORGS_H, [yx.org(school, "学校" + s, "school")])
    r = yx.upload(yx.bundle("bulk", {}, raw={"orgs.csv": orgs, "users.csv": users}), "bulk")
    eq(r[0], 422, "bundle with a multi-line cell before a bad row (%r)" % (r,))
    # t1 spans lines 2-4, so t2 is on physical line 5
    _only(yx.problems(r), [("users.csv", 5, "givenName")], "multi-line cell")
    eq(yx.get("/api/v1/schools/" + school, yx.county())[0], 404, "school of the refused bundle")


def test_malformed_quoting_names_its_line():
    s, school, existing = yx.make_school(1)
    before = yx.teachers_of(school)
    users = yx.csv_bytes(yx.USERS_H, [yx.teacher("q1-" + s, school, "一", "沈", mode="delta"),
                                      yx.teacher("q2-" + s, school, "XXQ", "沈", mode="delta")])
    users = users.replace(b"XXQ", b'a"b"c')  # a stray quote inside an unquoted field, line 3
    r = yx.upload(yx.bundle("delta", {}, raw={"users.csv": users}), "delta")
    eq(r[0], 422, "users.csv with a stray quote (%r)" % (r,))
    probs = yx.problems(r)
    eq([(p.get("file"), p.get("line")) for p in probs], [("users.csv", 3)],
       "malformed quoting location (%s)" % json.dumps(probs, ensure_ascii=False))
    csv = "工号,姓名,学校\nq3-%s,沈三,%s\nq4-%s,=HYP\"x\",%s\n" % (s, school, s, school)
    r = yx.upload_csv(csv.encode("utf-8"))
    eq(r[0], 422, "teachers.csv with a stray quote (%r)" % (r,))
    probs = yx.problems(r)
    eq([p.get("line") for p in probs], [3], "teachers.csv malformed quoting line (%s)"
       % json.dumps(probs, ensure_ascii=False))
    eq(yx.teachers_of(school), before, "teachers after the refused uploads")


def test_malformed_zip_400():
    s, school, _ = yx.make_school(1)
    before = yx.teachers_of(school)
    for what, body in (("random bytes", os.urandom(4096)), ("empty body", b""),
                       ("truncated zip", yx.school_bundle(s, [])[:-40])):
        r = yx.upload(body, "bulk")
        eq(r[0], 400, "%s as a bundle (%r)" % (what, r))
        check(isinstance(r[2], dict) and r[2].get("error"), "%s: body not a JSON error: %r" % (what, r))
    eq(yx.teachers_of(school), before, "teachers after malformed uploads")


def test_wrong_content_type_415():
    s, school, _ = yx.make_school(0)
    n = yx.sfx()
    z = yx.school_bundle(n, [yx.teacher("t1-" + n, "sch-" + n, "一", "许")])
    for ct in ("text/csv", "application/json", None):
        r = yx.request("POST", "/api/v1/roster/oneroster?mode=bulk", body=z, token=yx.county(),
                       content_type=ct)
        eq(r[0], 415, "bundle sent as Content-Type %r (%r)" % (ct, r))
    csv = ("工号,姓名,学校\nct1-%s,许一,%s\n" % (n, school)).encode("utf-8")
    r = yx.request("POST", "/api/v1/roster/teachers.csv", body=csv, token=yx.county(),
                   content_type="application/zip")
    eq(r[0], 415, "teachers.csv sent as application/zip (%r)" % (r,))
    eq(yx.get("/api/v1/schools/sch-" + n, yx.county())[0], 404, "school of the refused bundle")
    eq(yx.get("/api/v1/teachers/ct1-" + n, yx.county())[0], 404, "teacher of the refused csv")


def test_missing_or_invalid_mode_400():
    n = yx.sfx()
    z = yx.school_bundle(n, [yx.teacher("t1-" + n, "sch-" + n, "一", "何")])
    for q in ("", "?mode=", "?mode=full", "?mode=BULKY&dry_run=1"):
        r = yx.request("POST", "/api/v1/roster/oneroster" + q, body=z, token=yx.county(),
                       content_type="application/zip")
        eq(r[0], 400, "POST /api/v1/roster/oneroster%s (%r)" % (q, r))
    eq(yx.get("/api/v1/schools/sch-" + n, yx.county())[0], 404, "school of the refused bundle")
