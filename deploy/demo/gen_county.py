#!/usr/bin/env python3
"""Writes a OneRoster v1.1 CSV bundle (zip) for a generated Chinese county.

Deterministic for a given --seed. Besides the standard files it writes the county
extensions groups.csv (教研组 / 备课组), groupMembers.csv and mentorPairs.csv.

  gen_county.py --out county.zip                        # demo: 3 片区, 30 schools, 1,500 teachers
  gen_county.py --districts 10 --schools 300 --teachers 10000 --students 100000 \\
                --classes 3000 --groups 2500 --out bench.zip
  gen_county.py --school-bundle s001 --out s001.zip     # one school's rows, as its admin uploads
"""
import argparse
import csv
import io
import itertools
import random
import sys
import zipfile

SCHOOL_YEAR = "2026"  # OneRoster: the school year 2025-2026 is called by the year it ends
YEAR_START, YEAR_END = "2025-09-01", "2026-07-10"
TERMS = [("y2026t1", "2025—2026学年第一学期", "2025-09-01", "2026-01-20"),
         ("y2026t2", "2025—2026学年第二学期", "2026-02-23", "2026-07-10")]

DISTRICT_NAMES = ["城关片区", "东部片区", "西部片区", "南部片区", "北部片区",
                  "中部片区", "东南片区", "西南片区", "东北片区", "西北片区"]
TOWN_FIRST = "龙泉 石桥 柳河 白马 青山 新华 杨集 马坊 双河 高桥 黄土 桃园 长岭 清水 凤凰 " \
             "金沙 太平 永安 兴隆 红星 三里 五里 七星 九龙 平安 梨园 石门 花园 大营 小营 " \
             "东关 西关 南坪 北坝 沙河 铁佛 观音 天池 月湖 云台".split()
TOWN_KIND = ["镇", "乡"]
VILLAGE_SUFFIX = "庄 湾 沟 坪 岭 河 店 寨 营 堡 集 铺 塘 坝 洼".split()

SUBJECTS = ["语文", "数学", "英语", "物理", "化学", "生物", "历史", "地理", "政治",
            "音乐", "体育", "美术", "信息技术"]
SUBJECT_CODE = {"语文": "CHN", "数学": "MATH", "英语": "ENG", "物理": "PHY", "化学": "CHEM",
                "生物": "BIO", "历史": "HIST", "地理": "GEO", "政治": "POL", "音乐": "MUS",
                "体育": "PE", "美术": "ART", "信息技术": "IT"}
SUBJECT_WEIGHT = {"语文": 18, "数学": 18, "英语": 12, "物理": 6, "化学": 5, "生物": 4,
                  "历史": 4, "地理": 4, "政治": 4, "音乐": 3, "体育": 5, "美术": 3, "信息技术": 3}
PRIMARY_SUBJECTS = ["语文", "数学", "英语", "音乐", "体育", "美术", "信息技术"]
# grades in which a subject is taught (OneRoster grade codes 01..12)
SUBJECT_GRADES = {"英语": range(3, 13), "信息技术": range(3, 13), "物理": range(8, 13),
                  "化学": range(9, 13), "生物": range(7, 13), "历史": range(7, 13),
                  "地理": range(7, 13), "政治": range(7, 13)}
GRADE_LABEL = {1: "一年级", 2: "二年级", 3: "三年级", 4: "四年级", 5: "五年级", 6: "六年级",
               7: "七年级", 8: "八年级", 9: "九年级", 10: "高一", 11: "高二", 12: "高三"}

# school kinds: name pattern, grades, subjects, relative size
HIGH = ("high", range(10, 13), SUBJECTS, 5.0)
JUNIOR = ("junior", range(7, 10), SUBJECTS, 3.0)
CENTRAL = ("central", range(1, 7), PRIMARY_SUBJECTS, 2.0)
VILLAGE = ("village", range(1, 7), PRIMARY_SUBJECTS, 0.6)

SURNAMES = ("王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗 郑 梁 谢 宋 唐 许 韩 冯 "
            "邓 曹 彭 曾 肖 田 董 袁 潘 于 蒋 蔡 余 杜 叶 程 苏 魏 吕 丁 任 沈 姚 卢 姜 崔 钟 "
            "谭 陆 汪 范 金 石 廖 贾 夏 韦 付 方 白 邹 孟 熊 秦 邱 江 尹 薛 闫 段 雷 侯 龙 史 "
            "陶 黎 贺 顾 毛 郝 龚 邵 万 钱 严 覃 武 戴 莫 孔 向 汤 欧阳 司马 诸葛 上官").split()
# weights fall off like real surname frequencies; the compound ones are rare
SURNAME_WEIGHTS = [1.0 / (i + 8) for i in range(len(SURNAMES) - 4)] + [0.002] * 4
GIVEN_F = ("丽 芳 娜 敏 静 秀 娟 霞 燕 艳 玲 婷 雪 慧 颖 琳 洁 倩 晶 红 梅 萍 英 兰 琴 云 莉 "
           "璐 欣 悦 瑶 怡 佳 雯 蕾 丹 露 薇 晓 梦 思 雨 月 凤 春 秋 淑 桂 翠").split()
GIVEN_M = ("伟 强 磊 军 勇 杰 涛 斌 超 明 刚 平 辉 鹏 华 飞 鑫 波 宇 浩 凯 健 俊 帆 帅 旭 宁 "
           "龙 林 峰 建 国 东 文 志 海 亮 成 春 振 永 德 庆 生 新 学 光 荣 义 胜 毅 博 晨").split()
MOBILE_PREFIX = "130 131 132 133 135 136 137 138 139 150 151 152 155 156 157 158 159 " \
                "177 180 181 182 183 185 186 187 188 189 199".split()
MAIL_DOMAIN = "jy.qinghe.example"  # the county education bureau's (reserved, fictitious) domain

HEADERS = {
    "orgs.csv": "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId",
    "users.csv": "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,"
                 "userIds,givenName,familyName,middleName,identifier,email,sms,phone,"
                 "agentSourcedIds,grades,password,metadata.subject",
    "academicSessions.csv": "sourcedId,status,dateLastModified,title,type,startDate,endDate,"
                            "parentSourcedId,schoolYear",
    "courses.csv": "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,"
                   "grades,orgSourcedId,subjects,subjectCodes",
    "classes.csv": "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,"
                   "classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods",
    "enrollments.csv": "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,"
                       "userSourcedId,role,primary,beginDate,endDate",
    "groups.csv": "sourcedId,status,dateLastModified,schoolSourcedId,type,name,subject,grades,"
                  "parentSourcedId,leaderSourcedId",
    "groupMembers.csv": "groupSourcedId,userSourcedId,status",
    "mentorPairs.csv": "sourcedId,status,dateLastModified,schoolSourcedId,mentorSourcedId,"
                       "menteeSourcedId,beginDate,endDate",
}
MANIFEST_ORDER = ["academicSessions", "categories", "classes", "classResources", "courses",
                  "courseResources", "demographics", "enrollments", "lineItems", "orgs",
                  "resources", "results", "users", "groups", "groupMembers", "mentorPairs"]


def grade_code(g):
    return "%02d" % g


def spread(total, weights):
    """Splits total into integers proportional to weights (largest remainder)."""
    s = sum(weights)
    if s <= 0 or total <= 0:
        return [0] * len(weights)
    raw = [total * w / s for w in weights]
    out = [int(x) for x in raw]
    order = sorted(range(len(weights)), key=lambda i: (out[i] - raw[i], i))
    for i in order[:total - sum(out)]:
        out[i] += 1
    return out


class County:
    def __init__(self, args):
        self.rng = random.Random(args.seed)
        self.args = args
        self.orgs, self.users, self.courses, self.classes = [], [], [], []
        self.enrollments, self.groups, self.members, self.mentors = [], [], [], []
        self.schools = []  # dicts: id, district, kind, name
        self.teachers_of = {}  # school id -> list of teacher dicts
        self.used_names = set()

    # --- names -------------------------------------------------------------------
    def person(self):
        r = self.rng
        female = r.random() < 0.62  # most teachers in a county are women
        pool = GIVEN_F if female else GIVEN_M
        given = r.choice(pool) if r.random() < 0.35 else r.choice(pool) + r.choice(pool)
        return r.choices(SURNAMES, SURNAME_WEIGHTS)[0], given

    def mobile(self):
        return self.rng.choice(MOBILE_PREFIX) + "%08d" % self.rng.randrange(10 ** 8)

    def unique(self, make, numbered):
        """A random name from make(), or numbered(n) for the first free n when those run out."""
        names = itertools.chain((make() for _ in range(20)),
                                (numbered(n) for n in range(2, 10000)))
        for name in names:
            if name not in self.used_names:
                self.used_names.add(name)
                return name
        raise SystemExit("gen_county: ran out of school names")

    # --- orgs --------------------------------------------------------------------
    def make_orgs(self):
        a = self.args
        dw = max(2, len(str(a.districts)))
        sw = max(3, len(str(a.schools)))
        districts = []
        for i in range(a.districts):
            did = "d%0*d" % (dw, i + 1)
            name = DISTRICT_NAMES[i] if i < len(DISTRICT_NAMES) else "第%d片区" % (i + 1)
            districts.append(did)
            self.orgs.append([did, "", "", name, "district", "PQ%02d" % (i + 1), ""])
        towns = self.rng.sample(TOWN_FIRST, len(TOWN_FIRST))
        kinds = []
        for i in range(a.schools):  # a county has few high schools and many primary schools
            r = i % 10
            kinds.append(HIGH if r == 0 else JUNIOR if r in (1, 5) else CENTRAL if r in (2, 6, 8)
                         else VILLAGE)
        high_no = junior_no = 0
        for i, kind in enumerate(kinds):
            sid = "s%0*d" % (sw, i + 1)
            d = i * a.districts // max(1, a.schools) if a.districts else None
            did = districts[d] if d is not None else ""
            town = "城关镇" if d == 0 and i < 10 else None
            if town is None:
                t = towns[i % len(towns)]
                town = t + TOWN_KIND[(i // len(towns)) % 2]
            if kind is HIGH:
                high_no += 1
                name = self.unique(lambda: "县第%s中学" % num_cn(high_no),
                                   lambda n: "县第%s中学" % num_cn(high_no + n))
            elif kind is JUNIOR:
                junior_no += 1
                name = self.unique(lambda: "县实验中学" if junior_no == 1 else self.rng.choice(
                    ["%s中学" % town, "%s初级中学" % town, "%s第二初级中学" % town]),
                    lambda n: "%s第%s初级中学" % (town, num_cn(n + 1)))
            elif kind is CENTRAL:
                name = self.unique(lambda: self.rng.choice(
                    ["%s中心小学" % town, "%s第一小学" % town, "%s实验小学" % town,
                     "%s第二小学" % town]), lambda n: "%s第%s小学" % (town, num_cn(n + 1)))
            else:
                name = self.unique(lambda: "%s%s家%s村小学" % (
                    town, self.rng.choice(SURNAMES[:60]), self.rng.choice(VILLAGE_SUFFIX)),
                    lambda n: "%s第%s村小" % (town, num_cn(n)))
            code = "%s%04d" % ({"high": "GZ", "junior": "CZ", "central": "XX", "village": "CX"}
                               [kind[0]], i + 1)
            self.schools.append({"id": sid, "district": did, "kind": kind, "name": name,
                                 "code": code})
            self.orgs.append([sid, "", "", name, "school", code, did])

    # --- teachers ----------------------------------------------------------------
    def make_teachers(self):
        a, r = self.args, self.rng
        counts = spread(a.teachers, [s["kind"][3] for s in self.schools])
        if a.teachers >= len(self.schools):  # every school has at least one teacher
            for i, c in enumerate(counts):
                if c == 0:
                    j = counts.index(max(counts))
                    counts[j] -= 1
                    counts[i] = 1
        tw = max(5, len(str(a.teachers)))
        staff = []
        for s, n in zip(self.schools, counts):
            subjects = s["kind"][2]
            # one teacher per subject first, the rest by how many lessons a subject has
            subj = subjects[:n] + r.choices(subjects, [SUBJECT_WEIGHT[x] for x in subjects],
                                            k=max(0, n - len(subjects)))
            per_subject_seen = {}
            lst = []
            for sj in subj:
                grades = [g for g in s["kind"][1] if g in SUBJECT_GRADES.get(sj, range(1, 13))]
                k = per_subject_seen.get(sj, 0)
                per_subject_seen[sj] = k + 1
                # years of service: some new hires, most in mid career
                years = r.randrange(3) if r.random() < 0.08 else int(r.triangular(3, 38, 15))
                t = {"school": s["id"], "subject": sj, "grade": grades[k % len(grades)],
                     "years": years}
                lst.append(t)
            self.teachers_of[s["id"]] = lst
            staff.extend(lst)
        per_year = {}
        for t in staff:
            y = 2025 - t["years"]
            per_year[y] = per_year.get(y, 0) + 1
        seqw = max(3, len(str(max(per_year.values(), default=1))))
        seq = {}
        for i, t in enumerate(staff):
            t["id"] = "t%0*d" % (tw, i + 1)
            y = 2025 - t["years"]
            seq[y] = seq.get(y, 0) + 1
            emp = "T%d%0*d" % (y, seqw, seq[y])
            family, given = self.person()
            mobile = self.mobile()
            self.users.append([t["id"], "", "", "true", t["school"], "teacher", emp.lower(), "",
                               given, family, "", emp, "%s@%s" % (emp.lower(), MAIL_DOMAIN),
                               mobile, mobile, "", grade_code(t["grade"]), "", t["subject"]])

    # --- 教研组, 备课组 and their members ----------------------------------------------
    def make_groups(self):
        # candidates per school, ranked so that a research group always precedes its preparation
        # groups: taking a prefix of (rank, school) keeps every parent of what is taken
        cands = []
        for si, s in enumerate(self.schools):
            staff = self.teachers_of[s["id"]]
            rank = 0
            subjects = [x for x in s["kind"][2] if any(t["subject"] == x for t in staff)]
            for sj in subjects:
                of = [t for t in staff if t["subject"] == sj]
                cands.append((rank, si, "research", s, sj, None, of))
                rank += 1
            for sj in subjects:
                of = [t for t in staff if t["subject"] == sj]
                for g in s["kind"][1]:
                    members = [t for t in of if t["grade"] == g]
                    if members:
                        cands.append((rank, si, "preparation", s, sj, g, members))
                        rank += 1
        cands.sort(key=lambda c: (c[0], c[1]))
        if self.args.groups != "auto":
            want = int(self.args.groups)
            if want > len(cands):
                print("gen_county: only %d groups possible, writing those" % len(cands),
                      file=sys.stderr)
            cands = cands[:want]
        # ids follow school then rank, so a school's groups are numbered together
        cands.sort(key=lambda c: (c[1], c[0]))
        gw = max(4, len(str(len(cands))))
        research_id = {}
        for i, (_, _, kind, s, sj, g, members) in enumerate(cands):
            gid = "g%0*d" % (gw, i + 1)
            leader = max(members, key=lambda t: (t["years"], t["id"]))
            if kind == "research":
                research_id[(s["id"], sj)] = gid
                self.groups.append([gid, "", "", s["id"], "research", sj + "教研组", sj, "", "",
                                    leader["id"]])
            else:
                self.groups.append([gid, "", "", s["id"], "preparation",
                                    GRADE_LABEL[g] + sj + "备课组", sj, grade_code(g),
                                    research_id[(s["id"], sj)], leader["id"]])
            for t in members:
                self.members.append([gid, t["id"], ""])

    def make_mentors(self):
        n = 0
        for s in self.schools:
            staff = self.teachers_of[s["id"]]
            load = {}
            for t in staff:
                if t["years"] > 2:
                    continue
                # same subject first, then anyone experienced; nobody guides more than two
                pool = [m for m in staff if m["years"] >= 10 and load.get(m["id"], 0) < 2]
                same = [m for m in pool if m["subject"] == t["subject"]]
                choice = same or pool
                if not choice:
                    continue
                m = max(choice, key=lambda m: (m["years"], m["id"]))
                load[m["id"]] = load.get(m["id"], 0) + 1
                n += 1
                self.mentors.append(["mp%04d" % n, "", "", s["id"], m["id"], t["id"],
                                     YEAR_START, "2028-07-10"])

    # --- classes, students, enrollments --------------------------------------------
    def make_classes(self):
        a, r = self.args, self.rng
        weights = [s["kind"][3] for s in self.schools]
        if a.classes > 0:
            per_school_classes = spread(a.classes, weights)
        else:
            per_school_classes = [0] * len(self.schools)
        cw = max(4, len(str(a.classes)))
        stw = max(6, len(str(a.students)))
        course_ids = {}
        classes = []  # (class row, school, grade, teacher)
        for s, n in zip(self.schools, per_school_classes):
            grades = list(s["kind"][1])
            staff = self.teachers_of[s["id"]]
            per_grade = {}
            for k in range(n):
                g = grades[k % len(grades)]
                per_grade[g] = per_grade.get(g, 0) + 1
                room = per_grade[g]
                taught = [x for x in s["kind"][2] if g in SUBJECT_GRADES.get(x, range(1, 13))]
                sj = taught[(k // len(grades)) % len(taught)]
                key = (s["id"], sj, g)
                if key not in course_ids:
                    cid = "co%05d" % (len(course_ids) + 1)
                    course_ids[key] = cid
                    self.courses.append([cid, "", "", "y" + SCHOOL_YEAR, GRADE_LABEL[g] + sj,
                                         "%s-%02d" % (SUBJECT_CODE[sj], g), grade_code(g), s["id"],
                                         sj, ""])
                clid = "c%0*d" % (cw, len(self.classes) + 1)
                who = ([t for t in staff if t["subject"] == sj and t["grade"] == g]
                       or [t for t in staff if t["subject"] == sj] or staff)
                teacher = who[room % len(who)] if who else None
                self.classes.append([clid, "", "", "%s(%d)班%s" % (GRADE_LABEL[g], room, sj),
                                     grade_code(g), course_ids[key],
                                     "%s-%02d-%02d-%s" % (s["code"], g, room, SUBJECT_CODE[sj]),
                                     "scheduled", "教学楼%d%02d" % (1 + room // 10, room % 100),
                                     s["id"], ",".join(t[0] for t in TERMS), sj, "",
                                     str(1 + k % 8)])
                classes.append((clid, s, g, teacher))
        # students: spread over the classes (about 33 each), or over the schools when no class
        n_students = a.students
        if classes:
            sizes = spread(n_students, [1] * len(classes))
            slots = [(s, g, clid, teacher, size) for (clid, s, g, teacher), size in
                     zip(classes, sizes)]
        else:
            sizes = spread(n_students, weights)
            slots = [(s, None, None, None, size) for s, size in zip(self.schools, sizes)]
        ew = max(7, len(str(n_students + len(classes))))
        sid_no = 0
        for s, g, clid, teacher, size in slots:
            if clid and teacher:
                self.enrollments.append(["e%0*d" % (ew, len(self.enrollments) + 1), "", "", clid,
                                         s["id"], teacher["id"], "teacher", "true",
                                         YEAR_START, YEAR_END])
            for _ in range(size):
                sid_no += 1
                uid = "st%0*d" % (stw, sid_no)
                gg = g if g is not None else r.choice(list(s["kind"][1]))
                family, given = self.person()
                self.users.append([uid, "", "", "true", s["id"], "student", uid, "", given,
                                   family, "", "X%d%07d" % (2025 - gg + 1, sid_no), "", "", "",
                                   "", grade_code(gg), "", ""])
                if clid:
                    self.enrollments.append(["e%0*d" % (ew, len(self.enrollments) + 1), "", "",
                                             clid, s["id"], uid, "student", "false",
                                             YEAR_START, YEAR_END])

    def sessions(self):
        rows = [["y" + SCHOOL_YEAR, "", "", "2025—2026学年", "schoolYear", YEAR_START, YEAR_END,
                 "", SCHOOL_YEAR]]
        for sid, title, start, end in TERMS:
            rows.append([sid, "", "", title, "term", start, end, "y" + SCHOOL_YEAR, SCHOOL_YEAR])
        return rows

    def build(self):
        self.make_orgs()
        self.make_teachers()
        self.make_groups()
        self.make_mentors()
        self.make_classes()
        return {
            "academicSessions.csv": self.sessions(),
            "orgs.csv": self.orgs,
            "users.csv": self.users,
            "courses.csv": self.courses,
            "classes.csv": self.classes,
            "enrollments.csv": self.enrollments,
            "groups.csv": self.groups,
            "groupMembers.csv": self.members,
            "mentorPairs.csv": self.mentors,
        }


def num_cn(n):
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    if n < 100:
        return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")
    return str(n)


def only_school(files, sid):
    """The rows one school's admin would upload: that school and what belongs to it."""
    orgs = [r for r in files["orgs.csv"] if r[0] == sid and r[4] == "school"]
    if not orgs:
        raise SystemExit("gen_county: no school %s in this county" % sid)
    users = [r for r in files["users.csv"] if r[4] == sid]
    groups = [r for r in files["groups.csv"] if r[3] == sid]
    gids = {r[0] for r in groups}
    return {
        "academicSessions.csv": files["academicSessions.csv"],
        "orgs.csv": orgs,
        "users.csv": users,
        "courses.csv": [r for r in files["courses.csv"] if r[7] == sid],
        "classes.csv": [r for r in files["classes.csv"] if r[9] == sid],
        "enrollments.csv": [r for r in files["enrollments.csv"] if r[4] == sid],
        "groups.csv": groups,
        "groupMembers.csv": [r for r in files["groupMembers.csv"] if r[0] in gids],
        "mentorPairs.csv": [r for r in files["mentorPairs.csv"] if r[3] == sid],
    }


def write_zip(path, files):
    manifest = [["manifest.version", "1.0"], ["oneroster.version", "1.1"]]
    extensions = ("groups", "groupMembers", "mentorPairs")
    for name in MANIFEST_ORDER:
        rows = files.get(name + ".csv")
        manifest.append(["file." + name,
                         "bulk" if rows or (name in extensions and rows is not None) else "absent"])
    out = sys.stdout.buffer if path == "-" else open(path, "wb")
    with out, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        entries = [("manifest.csv", "propertyName,value", manifest)]
        entries += [(n, HEADERS[n], rows) for n, rows in files.items()
                    if rows or n in ("groups.csv", "groupMembers.csv", "mentorPairs.csv")]
        for name, header, rows in entries:
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\r\n")
            w.writerow(header.split(","))
            w.writerows(rows)
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))  # reproducible bytes
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, buf.getvalue().encode("utf-8"))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--districts", type=int, default=3)
    p.add_argument("--schools", type=int, default=30)
    p.add_argument("--teachers", type=int, default=1500)
    p.add_argument("--students", type=int, default=0)
    p.add_argument("--classes", type=int, default=0)
    p.add_argument("--groups", default="auto", help="'auto' (every 教研组/备课组) or a total")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--school-bundle", metavar="ID", help="write only this school's rows")
    p.add_argument("--out", default="county.zip", help="zip file to write ('-' for stdout)")
    a = p.parse_args()
    if a.groups != "auto" and not a.groups.isdigit():
        p.error("--groups takes 'auto' or a number")
    if min(a.districts, a.schools, a.teachers, a.students, a.classes) < 0 or a.schools < 1:
        p.error("counts must be positive (and at least one school)")
    files = County(a).build()
    if a.school_bundle:
        files = only_school(files, a.school_bundle)
    write_zip(a.out, files)


if __name__ == "__main__":
    main()
