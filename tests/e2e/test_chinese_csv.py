"""POST /api/v1/roster/teachers.csv: Chinese headers, GB18030 and UTF-8 (with BOM)."""
import json

import yx
from yx import check, eq

HEAD = "工号,姓名,学校,学科,年级,手机,邮箱,教研组,备课组,性别,状态"


def _counts(r):
    return yx.counts(r, "teachers.csv")


def _groups(tid):
    return sorted((g["name"], g["type"], g["role"]) for g in yx.teacher_json(tid)["groups"])


def test_gb18030_csv_creates_teachers_with_groups():
    s, school, _ = yx.make_school(0, name="城关第一中学")
    name = yx.get("/api/v1/schools/" + school, yx.county())[2]["name"]
    z = ["zh%d-%s" % (i, s) for i in (1, 2, 3)]
    text = "\r\n".join([
        HEAD,
        "%s,张伟,%s,数学,七年级,13900000001,zhangwei@%s.example.cn,数学教研组,七年级数学备课组,男,在职" % (z[0], school, s),
        "%s,李娜,%s,数学,七年级,13900000002,,数学教研组,七年级数学备课组,女,在职" % (z[1], name),
        "%s,欧阳修,%s,语文,八年级,,,语文教研组,,男,在职" % (z[2], school),
    ]) + "\r\n"
    data = text.encode("gb18030")
    check(data != text.encode("utf-8"), "test data is not really GB18030")
    r = yx.upload_csv(data)
    eq(r[0], 200, "GB18030 teachers.csv (%r)" % (r,))
    eq(_counts(r), (3, 0, 0, 0), "GB18030 teachers.csv counts")

    j = yx.teacher_json(z[0])
    got = {k: j.get(k) for k in ("id", "school_id", "name", "subject", "grade", "phone", "email", "status")}
    eq(got, {"id": z[0], "school_id": school, "name": "张伟", "subject": "数学", "grade": "七年级",
             "phone": "13900000001", "email": "zhangwei@%s.example.cn" % s, "status": "active"}, "teacher 张伟")
    eq(j["family_name"] + j["given_name"], "张伟", "family_name + given_name of 张伟")
    eq(_groups(z[0]), [("七年级数学备课组", "preparation", "member"), ("数学教研组", "research", "member")],
       "groups of 张伟")
    j = yx.teacher_json(z[1])
    eq((j["name"], j["school_id"], j["status"]), ("李娜", school, "active"), "李娜 (school given by name)")
    eq(_groups(z[1]), [("七年级数学备课组", "preparation", "member"), ("数学教研组", "research", "member")],
       "groups of 李娜")
    j = yx.teacher_json(z[2])
    eq((j["name"], j["status"], j["subject"]), ("欧阳修", "active", "语文"), "欧阳修")

    gl = yx.list_all("/api/v1/schools/%s/groups" % school)[0]
    by_name = {g["name"]: g for g in gl}
    eq(sorted(by_name), sorted(["数学教研组", "七年级数学备课组", "语文教研组"]),
       "group names of the school (%s)" % json.dumps(gl, ensure_ascii=False))
    eq(len(gl), 3, "number of groups")
    eq((by_name["数学教研组"]["type"], by_name["七年级数学备课组"]["type"], by_name["语文教研组"]["type"]),
       ("research", "preparation", "research"), "group types")
    eq(by_name["七年级数学备课组"]["parent_id"], by_name["数学教研组"]["id"], "备课组's parent is its 教研组")
    eq(by_name["数学教研组"]["member_count"], 2, "数学教研组 member_count")

    again = yx.upload_csv(data)
    eq(again[0], 200, "same GB18030 csv again")
    eq(_counts(again), (0, 0, 0, 3), "re-sync of the same teachers.csv")
    eq(len(yx.list_all("/api/v1/schools/%s/groups" % school)[0]), 3, "groups after re-sync")

    # 欧阳修 leaves (离职): deactivated, still readable, the others untouched
    left = text.replace("语文教研组,,男,在职", "语文教研组,,男,离职").encode("gb18030")
    r = yx.upload_csv(left)
    eq(r[0], 200, "teachers.csv with 离职 (%r)" % (r,))
    eq(_counts(r), (0, 0, 1, 2), "counts of the 离职 sync")
    eq({k: v["status"] for k, v in yx.teachers_of(school).items()},
       {z[0]: "active", z[1]: "active", z[2]: "inactive"}, "statuses after 离职")


def test_new_teacher_listed_as_departed_recorded_inactive():
    s, school, _ = yx.make_school(0)
    tid = "gone-" + s
    text = HEAD + "\n" + "%s,赵敏,%s,物理,九年级,,,,,女,离职\n" % (tid, school)
    r = yx.upload_csv(text.encode("gb18030"))
    eq(r[0], 200, "teachers.csv with one unknown 离职 teacher (%r)" % (r,))
    eq(_counts(r), (1, 0, 0, 0), "an upsert of a new 离职 teacher creates it")
    j = yx.teacher_json(tid)
    eq((j["name"], j["status"]), ("赵敏", "inactive"), "new 离职 teacher")


def test_utf8_bom_csv_and_existing_groups_reused():
    s, school, existing = yx.make_school(1)
    a, b = "bom1-" + s, "bom2-" + s
    text = "\ufeff" + HEAD + "\n" + "%s,王芳,%s,英语,九年级,,,英语教研组,,女,在职\n" % (a, school)
    r = yx.upload_csv(text.encode("utf-8"))
    eq(r[0], 200, "UTF-8 BOM teachers.csv (%r)" % (r,))
    eq(_counts(r), (1, 0, 0, 0), "BOM csv counts")
    j = yx.teacher_json(a)
    eq((j["name"], j["subject"], j["grade"], j["status"]), ("王芳", "英语", "九年级", "active"), "王芳")
    eq(_groups(a), [("英语教研组", "research", "member")], "groups of 王芳")

    # plain UTF-8 without BOM, minimal columns, the same 教研组 by name: reused, not duplicated
    text = "工号,姓名,学校,教研组\n%s,刘洋,%s,英语教研组\n" % (b, school)
    r = yx.upload_csv(text.encode("utf-8"))
    eq(r[0], 200, "UTF-8 teachers.csv (%r)" % (r,))
    eq(_counts(r), (1, 0, 0, 0), "UTF-8 csv counts")
    gl = yx.list_all("/api/v1/schools/%s/groups" % school)[0]
    eq([(g["name"], g["member_count"]) for g in gl], [("英语教研组", 2)], "groups of the school")
    eq(sorted(yx.teachers_of(school)), sorted([a, b] + existing), "teachers of the school (only listed ones upserted)")
    eq(yx.teacher_json(existing[0])["status"], "active", "teacher absent from the csv untouched")


def test_bad_chinese_csv_refused_with_locations():
    s, school, existing = yx.make_school(1)
    before = yx.teachers_of(school)
    text = "\r\n".join([
        "工号,姓名,学校,状态",
        "ok1-%s,周杰,%s,在职" % (s, school),
        "ok2-%s,,%s,在职" % (s, school),          # 姓名 missing
        ",吴磊,%s,在职" % school,                  # 工号 missing
        "ok4-%s,郑爽,no-such-school-%s,在职" % (s, s),  # unknown school
        "ok5-%s,孙丽,%s,请假" % (s, school),        # unknown 状态 (退休 is a valid one)
    ]) + "\r\n"
    r = yx.upload_csv(text.encode("gb18030"))
    eq(r[0], 422, "bad teachers.csv (%r)" % (r,))
    probs = yx.problems(r)
    got = sorted((p.get("line"), p.get("column")) for p in probs)
    eq(got, [(3, "姓名"), (4, "工号"), (5, "学校"), (6, "状态")],
       "problem (line, column) pairs (%s)" % json.dumps(probs, ensure_ascii=False))
    eq(yx.teachers_of(school), before, "teachers after the refused csv")
    eq(yx.get("/api/v1/teachers/ok1-" + s, yx.county())[0], 404, "the good row was not applied")

    r = yx.upload_csv(("姓名,学校\n周杰,%s\n" % school).encode("utf-8"))
    check(r[0] in (400, 422), "teachers.csv without the 工号 column: expected 400 or 422, got %r" % (r,))
    eq(yx.teachers_of(school), before, "teachers after the csv without 工号")
