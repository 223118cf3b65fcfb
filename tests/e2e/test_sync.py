"""Bulk and delta semantics, dry runs, county extensions, paging, inert formulas."""
import yx
from yx import check, eq


def test_bulk_then_delta_then_bulk_resync():
    s = yx.sfx()
    school, district = "sch-" + s, "d-" + s
    t = ["t%d-%s" % (i, s) for i in range(1, 7)]
    names = [("伟", "张"), ("芳", "李"), ("娜", "王"), ("敏", "刘"), ("静", "陈"), ("强", "杨")]
    rows = [yx.teacher(t[i], school, g, f) for i, (g, f) in enumerate(names[:5])]
    rows[0].update({"email": "zw@%s.example.cn" % s, "phone": "13800000001", "identifier": "GH001",
                    "grades": "07", "metadata.subject": "数学"})
    r = yx.upload(yx.school_bundle(s, rows), "bulk")
    eq(r[0], 200, "first bulk (%r)" % (r,))
    eq(yx.counts(r, "orgs.csv"), (2, 0, 0, 0), "first bulk orgs.csv counts")
    eq(yx.counts(r, "users.csv"), (5, 0, 0, 0), "first bulk users.csv counts")
    eq(len(r[2]["files"]) in (2, 3), True, "files entries (orgs, users, maybe manifest): %r" % r[2]["files"])

    one = yx.teacher_json(t[0])
    expect = {"id": t[0], "school_id": school, "name": "张伟", "given_name": "伟", "family_name": "张",
              "username": "u-" + t[0], "identifier": "GH001", "email": "zw@%s.example.cn" % s,
              "phone": "13800000001", "subject": "数学", "grade": "07", "status": "active",
              "groups": [], "mentor_ids": [], "mentee_ids": []}
    for k, v in expect.items():
        eq(one.get(k), v, "teacher %s field %s" % (t[0], k))
    sch = yx.get("/api/v1/schools/" + school, yx.county())
    eq(sch[0], 200, "GET school")
    eq((sch[2].get("name"), sch[2].get("district_id"), sch[2].get("status")),
       ("学校" + s, district, "active"), "school name, district, status")
    lst = yx.list_all("/api/v1/schools?district=" + district)[0]
    eq([x["id"] for x in lst], [school], "schools of district %s" % district)
    ds = [d for d in yx.list_all("/api/v1/districts")[0] if d["id"] == district]
    eq(len(ds), 1, "district %s listed once" % district)
    eq((ds[0].get("name"), ds[0].get("school_count")), ("片区" + s, 1), "district name and school_count")

    # delta: deactivate t1, rename t2, add t6; t3..t5 untouched
    delta = [yx.teacher(t[0], school, "伟", "张", mode="delta", status="tobedeleted"),
             yx.teacher(t[1], school, "芳芳", "李", mode="delta"),
             yx.teacher(t[5], school, "强", "杨", mode="delta")]
    r = yx.upload(yx.bundle("delta", {"users.csv": delta}), "delta")
    eq(r[0], 200, "delta (%r)" % (r,))
    eq(yx.counts(r, "users.csv"), (1, 1, 1, 0), "delta users.csv counts")
    ts = yx.teachers_of(school)
    eq({k: v["status"] for k, v in ts.items()},
       {t[0]: "inactive", t[1]: "active", t[2]: "active", t[3]: "active", t[4]: "active", t[5]: "active"},
       "statuses after delta")
    eq(yx.teacher_json(t[1])["name"], "李芳芳", "renamed teacher's name")
    eq(yx.teacher_json(t[0])["email"], "zw@%s.example.cn" % s, "deactivated teacher keeps its data")

    # bulk omitting t3 (and the already inactive t1): t3 becomes inactive, never deleted
    bulk2 = [yx.teacher(t[1], school, "芳芳", "李")] + \
            [yx.teacher(t[i], school, g, f) for i, (g, f) in enumerate(names) if i in (3, 4, 5)]
    r = yx.upload(yx.school_bundle(s, bulk2), "bulk")
    eq(r[0], 200, "bulk re-sync without t3 (%r)" % (r,))
    eq(yx.counts(r, "orgs.csv"), (0, 0, 0, 2), "bulk re-sync orgs.csv counts")
    eq(yx.counts(r, "users.csv"), (0, 0, 1, 4), "bulk re-sync users.csv counts")
    ts = yx.teachers_of(school)
    eq({k: v["status"] for k, v in ts.items()},
       {t[0]: "inactive", t[1]: "active", t[2]: "inactive", t[3]: "active", t[4]: "active", t[5]: "active"},
       "statuses after bulk re-sync")
    eq(yx.teacher_json(t[2])["name"], "王娜", "inactive teacher still readable")

    r = yx.upload(yx.school_bundle(s, bulk2), "bulk")
    eq(r[0], 200, "identical bulk again (%r)" % (r,))
    eq(yx.counts(r, "orgs.csv"), (0, 0, 0, 2), "identical bulk orgs.csv counts")
    eq(yx.counts(r, "users.csv"), (0, 0, 0, 4), "identical bulk users.csv counts")

    # a delta can bring an inactive teacher back
    r = yx.upload(yx.bundle("delta", {"users.csv": [yx.teacher(t[2], school, "娜", "王", mode="delta")]}), "delta")
    eq(r[0], 200, "delta reactivation (%r)" % (r,))
    eq(yx.counts(r, "users.csv"), (0, 1, 0, 0), "reactivation counts")
    eq(yx.teacher_json(t[2])["status"], "active", "reactivated teacher")


def test_dry_run_changes_nothing():
    s, school, t = yx.make_school(3)
    before = yx.teachers_of(school)
    rows = [yx.teacher(t[0], school, "名1", "王"), yx.teacher(t[1], school, "新名", "王"),
            yx.teacher("t9-" + s, school, "九", "赵")]
    r = yx.upload(yx.school_bundle(s, rows), "bulk", dry_run=True)
    eq(r[0], 200, "bulk dry run (%r)" % (r,))
    eq((r[2].get("dry_run"), r[2].get("applied")), (True, False), "dry_run, applied")
    eq(yx.counts(r, "users.csv"), (1, 1, 1, 1), "dry run users.csv counts")
    eq(yx.counts(r, "orgs.csv"), (0, 0, 0, 2), "dry run orgs.csv counts")
    eq(yx.teachers_of(school), before, "teachers after a dry run")
    eq(yx.get("/api/v1/teachers/t9-" + s, yx.county())[0], 404, "dry-run-created teacher")

    # dry run of a brand-new school creates nothing either
    n = yx.sfx()
    r = yx.upload(yx.school_bundle(n, [yx.teacher("t1-" + n, "sch-" + n, "一", "周")]), "bulk", dry_run=True)
    eq(r[0], 200, "dry run new school (%r)" % (r,))
    eq(yx.counts(r, "orgs.csv"), (2, 0, 0, 0), "dry run new school orgs.csv counts")
    eq(yx.get("/api/v1/schools/sch-" + n, yx.county())[0], 404, "school of a dry run")

    # and the Chinese CSV dry run
    csv = "工号,姓名,学校\n%s,赵九,%s\n%s,王改名,%s\n" % ("t9-" + s, school, t[0], school)
    r = yx.upload_csv(csv.encode("utf-8"), dry_run=True)
    eq(r[0], 200, "teachers.csv dry run (%r)" % (r,))
    eq((r[2].get("dry_run"), r[2].get("applied")), (True, False), "teachers.csv dry_run, applied")
    eq(len(r[2]["files"]), 1, "teachers.csv files entries")
    f = r[2]["files"][0]
    eq((f["created"], f["updated"], f["deactivated"], f["unchanged"]), (1, 1, 0, 0), "teachers.csv dry run counts")
    eq(yx.teachers_of(school), before, "teachers after a teachers.csv dry run")


def test_groups_and_mentor_pairs():
    s = yx.sfx()
    school = "sch-" + s
    t = ["t%d-%s" % (i, s) for i in range(1, 5)]
    g1, g2 = "g1-" + s, "g2-" + s
    users = [yx.teacher(x, school, "名%d" % i, "孙") for i, x in enumerate(t, 1)]
    groups = [{"sourcedId": g1, "schoolSourcedId": school, "type": "research", "name": "数学教研组",
               "subject": "数学", "leaderSourcedId": t[0]},
              {"sourcedId": g2, "schoolSourcedId": school, "type": "preparation", "name": "七年级数学备课组",
               "subject": "数学", "grades": "07", "parentSourcedId": g1, "leaderSourcedId": t[1]}]
    members = [{"groupSourcedId": g, "userSourcedId": u}
               for g, u in ((g1, t[0]), (g1, t[1]), (g1, t[2]), (g2, t[1]), (g2, t[2]))]
    pairs = [{"sourcedId": "m1-" + s, "schoolSourcedId": school, "mentorSourcedId": t[0],
              "menteeSourcedId": t[2], "beginDate": "2025-09-01", "endDate": "2026-07-31"},
             {"sourcedId": "m2-" + s, "schoolSourcedId": school, "mentorSourcedId": t[0],
              "menteeSourcedId": t[3], "beginDate": "2025-09-01", "endDate": "2026-07-31"}]
    orgs = [yx.org(school, "学校" + s, "school")]

    def send(mem, prs):
        return yx.upload(yx.bundle("bulk", {"orgs.csv": orgs, "users.csv": users, "groups.csv": groups,
                                            "groupMembers.csv": mem, "mentorPairs.csv": prs}), "bulk")

    r = send(members, pairs)
    eq(r[0], 200, "bulk with groups and mentor pairs (%r)" % (r,))
    eq(yx.counts(r, "groups.csv"), (2, 0, 0, 0), "groups.csv counts")
    eq(yx.counts(r, "groupMembers.csv"), (5, 0, 0, 0), "groupMembers.csv counts")
    eq(yx.counts(r, "mentorPairs.csv"), (2, 0, 0, 0), "mentorPairs.csv counts")

    gl = {g["id"]: g for g in yx.list_all("/api/v1/schools/%s/groups" % school)[0]}
    eq(sorted(gl), sorted([g1, g2]), "groups of the school")
    eq((gl[g1]["name"], gl[g1]["type"], gl[g1]["leader_id"], gl[g1]["member_count"]),
       ("数学教研组", "research", t[0], 3), "教研组 name, type, leader, member_count")
    eq((gl[g2]["name"], gl[g2]["type"], gl[g2]["parent_id"], gl[g2]["leader_id"], gl[g2]["member_count"]),
       ("七年级数学备课组", "preparation", g1, t[1], 2), "备课组 name, type, parent, leader, member_count")

    def groups_of(tid):
        return sorted((g["id"], g["name"], g["type"], g["role"]) for g in yx.teacher_json(tid)["groups"])

    eq(groups_of(t[0]), [(g1, "数学教研组", "research", "leader")], "groups of t1")
    eq(groups_of(t[1]), [(g1, "数学教研组", "research", "member"),
                         (g2, "七年级数学备课组", "preparation", "leader")], "groups of t2")
    eq(groups_of(t[2]), [(g1, "数学教研组", "research", "member"),
                         (g2, "七年级数学备课组", "preparation", "member")], "groups of t3")
    eq(groups_of(t[3]), [], "groups of t4")
    j = yx.teacher_json(t[0])
    eq((sorted(j["mentee_ids"]), j["mentor_ids"]), ([t[2], t[3]], []), "t1 mentees, mentors")
    j = yx.teacher_json(t[3])
    eq((j["mentee_ids"], j["mentor_ids"]), ([], [t[0]]), "t4 mentees, mentors")

    # bulk without t3's 教研组 membership and without pair m2
    r = send(members[:2] + members[3:], pairs[:1])
    eq(r[0], 200, "bulk re-sync with fewer members and pairs (%r)" % (r,))
    eq(yx.counts(r, "groups.csv"), (0, 0, 0, 2), "re-sync groups.csv counts")
    eq(yx.counts(r, "groupMembers.csv"), (0, 0, 1, 4), "re-sync groupMembers.csv counts")
    eq(yx.counts(r, "mentorPairs.csv"), (0, 0, 1, 1), "re-sync mentorPairs.csv counts")
    eq(groups_of(t[2]), [(g2, "七年级数学备课组", "preparation", "member")], "groups of t3 after re-sync")
    eq(yx.teacher_json(t[3])["mentor_ids"], [], "t4 mentors after its pair left the bundle")
    eq(yx.teacher_json(t[0])["mentee_ids"], [t[2]], "t1 mentees after re-sync")
    gl = {g["id"]: g for g in yx.list_all("/api/v1/schools/%s/groups" % school)[0]}
    eq(gl[g1]["member_count"], 2, "教研组 member_count after re-sync")


def test_paging_limit_2_sees_each_teacher_once():
    s, school, ids = yx.make_school(7)
    items, pages = yx.list_all("/api/v1/schools/%s/teachers" % school, limit=2)
    eq(sorted(x["id"] for x in items), sorted(ids), "teachers walked with limit=2")
    eq(pages, 4, "pages of 2 for 7 teachers")
    r = yx.get("/api/v1/schools/%s/teachers?limit=2" % school, yx.county())
    eq(len(r[2]["items"]), 2, "first page size")
    check(r[2].get("next_cursor"), "first page has next_cursor")
    r = yx.get("/api/v1/schools/%s/teachers?limit=500" % school, yx.county())
    eq((len(r[2]["items"]), "next_cursor" in r[2]), (7, False), "one page of 500: items, next_cursor present")


def test_formula_cells_stored_inert():
    s = yx.sfx()
    school = "sch-" + s
    cells = {"givenName": "=cmd|' /C calc'!A0", "familyName": "@SUM(1+1)*cmd|' /C calc'!A0",
             "metadata.subject": "+1+1"}
    tid = "t1-" + s
    r = yx.upload(yx.school_bundle(s, [yx.teacher(tid, school, cells["givenName"], cells["familyName"],
                                                  **{"metadata.subject": cells["metadata.subject"]})]), "bulk")
    eq(r[0], 200, "bundle with formula cells (%r)" % (r,))
    j = yx.teacher_json(tid)
    eq(j["given_name"], "'=cmd|' /C calc'!A0", "given_name stored inert")
    eq(j["family_name"], "'@SUM(1+1)*cmd|' /C calc'!A0", "family_name stored inert")
    eq(j["subject"], "'+1+1", "subject stored inert")
    csv = yx.csv_bytes(["工号", "姓名", "学校", "学科"], [["t2-" + s, '=HYPERLINK("http://x")', school, "-2+3"]])
    r = yx.upload_csv(csv)
    eq(r[0], 200, "teachers.csv with formula cells (%r)" % (r,))
    j = yx.teacher_json("t2-" + s)
    eq(j["name"], "'=HYPERLINK(\"http://x\")", "name from 姓名 stored inert")
    eq(j["subject"], "'-2+3", "学科 stored inert")


def test_teacher_json_has_every_documented_field():
    s, school, ids = yx.make_school(0)
    r = yx.upload_csv(yx.csv_bytes(["工号", "姓名", "学校"], [["min-" + s, "林", school]]))
    eq(r[0], 200, "minimal teachers.csv (%r)" % (r,))
    j = yx.teacher_json("min-" + s)
    fields = ["id", "school_id", "name", "given_name", "family_name", "username", "identifier", "email",
              "phone", "subject", "grade", "status", "groups", "mentor_ids", "mentee_ids"]
    eq([f for f in fields if f not in j], [], "documented teacher fields missing from %r" % j)
