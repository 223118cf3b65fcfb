"""The guopei-2015 rule set end to end: statements through HTTPS, grades from a school admin,
transcripts and progress with totals computed here by hand. Overlapping study, the daily cap,
durations, voiding."""
import json

import yx
from yx import check, eq

Setup = yx.CreditsSetup
_at = yx.local_time


def test_guopei_2015_hand_computed_totals():
    x = Setup(3, other_school=True)
    A, B, C = 0, 1, 2
    sts, credited = [], []

    def add(st, counts=True):
        sts.append(st)
        credited.append(counts)

    a = x.agent(A)
    # 平台学习 (minutes, 1 point per 30, stage caps 3/10/2, cap 15)
    add(yx.statement(a, "experienced", _at("2015-09-10"), minutes=70))       # stage 1
    add(yx.statement(a, "completed", _at("2015-09-11"), minutes=60))         # stage 1: 130 → 4 → cap 3
    add(yx.statement(a, "experienced", _at("2015-10-10", "12:00"), minutes=200))
    # 2015-09-30T17:00Z is 10-01 01:00 in Shanghai: stage 2
    add(yx.statement(a, "experienced", "2015-09-30T17:00:00Z", minutes=50))
    add(yx.statement(a, "experienced", _at("2015-11-20", "20:00"), minutes=150))  # stage 2: 400 → 13 → 10
    add(yx.statement(a, "experienced", _at("2015-12-05"), minutes=200))      # stage 3: 200 → 6 → cap 2
    # 2015-12-31T16:30Z is 2016-01-01 00:30 in Shanghai, 2015-08-31T15:00Z is 08-31 23:00: outside
    add(yx.statement(a, "experienced", "2015-12-31T16:30:00Z", minutes=60), False)
    add(yx.statement(a, "experienced", "2015-08-31T15:00:00Z", minutes=60), False)
    # 线上活动: 6 meetings attended → 18 → cap 15; attending a course is not a meeting
    for d in ["2015-09-15", "2015-10-15", "2015-10-16", "2015-11-01", "2015-12-10", "2015-12-11"]:
        add(yx.statement(a, "attended", _at(d), activity_type="meeting"))
    add(yx.statement(a, "attended", _at("2015-10-17"), activity_type="course"), False)
    # 课堂应用: 5 assessments passed → 50 → cap 40; "passed" without the type is not one
    for i in range(5):
        add(yx.statement(a, "passed", _at("2015-10-2%d" % i), activity_type="assessment"))
    add(yx.statement(a, "passed", _at("2015-10-28")), False)
    # 社区积分 (outside the total): blog 2 each, Q&A 1, rating 1, assignment recommended 20,
    # resource recommended rated 10 → 2, rated 8..9 → 1, rated below 8 → nothing
    for _ in range(2):
        add(yx.statement(a, "author", _at("2015-09-20"), activity_type="blog"))
    for _ in range(3):
        add(yx.statement(a, "asked", _at("2015-09-21")))
    add(yx.statement(a, "rated", _at("2015-09-22")))
    add(yx.statement(a, "promoted", _at("2015-10-01"), activity_type="school-assignment"))
    add(yx.statement(a, "promoted", _at("2015-10-02"), activity_type="resource", score=10))
    add(yx.statement(a, "promoted", _at("2015-10-03"), activity_type="resource", score=9))
    add(yx.statement(a, "promoted", _at("2015-10-04"), activity_type="resource", score=5), False)
    community_a = 2 * 2 + 3 + 1 + 20 + 2 + 1
    n_a = len(sts)
    # B: exactly the stage caps of platform study (90/300/60 minutes), 5 meetings, 2 articles
    b = x.agent(B)
    add(yx.statement(b, "experienced", _at("2015-09-05"), minutes=90))
    add(yx.statement(b, "experienced", _at("2015-10-05"), minutes=300))
    add(yx.statement(b, "experienced", _at("2015-12-05"), minutes=60))
    for i in range(5):
        add(yx.statement(b, "attended", _at("2015-10-1%d" % i), activity_type="meeting"))
    for i in range(2):
        add(yx.statement(b, "passed", _at("2015-11-1%d" % i), activity_type="assessment"))
    ids = x.post(sts, "the statements of A and B")
    eq(len(ids), len(sts), "ids answered")

    ta = x.transcript(A)
    eq(yx.stage_raw(ta, "platform_study"), [130, 400, 200], "A: platform study minutes per stage")
    eq(yx.stage_points(ta, "platform_study"), [3, 10, 2], "A: platform study points per stage (capped)")
    pts = yx.points_by_category(ta)
    eq(pts, {"platform_study": 15, "online_activity": 15, "classroom_application": 40,
             "offline_activity": 0, "community": community_a}, "A: points by category before grades")
    cat = yx.category(ta, "online_activity")
    eq((cat["raw"], cat["points_uncapped"], cat["cap"]), (6, 18, 15), "A: meetings raw, uncapped, cap")
    cat = yx.category(ta, "classroom_application")
    eq((cat["raw"], cat["points_uncapped"]), (5, 50), "A: articles raw, uncapped")
    com = yx.category(ta, "community")
    eq((com["counts_toward_total"], com["cap"]), (False, None), "community counts toward the total")
    eq({i["key"]: i["raw"] for i in com["items"] if i["raw"]},
       {"blog_post": 2, "qa_post": 3, "rating": 1, "assignment_recommended": 1,
        "resource_recommended_10": 1, "resource_recommended_8": 1}, "A: community items")
    eq((ta["total_points"], ta["max_points"], ta["passed"], ta["minutes"], ta["pass_threshold"]),
       (70, 100, True, 730, 60), "A: total, max, passed, minutes, threshold")
    eq(sorted(e["statement_id"] for e in ta["entries"]),
       sorted(i for i, c in zip(ids[:n_a], credited[:n_a]) if c), "A: the statements behind the entries")
    eq(len(ta["entries"]), 26, "A: entries")
    check(all(e["source"] == "statement" and e["live"] for e in ta["entries"]),
          "A: entries are live statement entries")

    tb = x.transcript(B)
    eq(yx.stage_points(tb, "platform_study"), [3, 10, 2], "B: platform study at exactly the stage caps")
    eq((tb["total_points"], tb["passed"]), (15 + 15 + 20, False), "B: total, passed before grades")
    tc = x.transcript(C)
    eq((tc["total_points"], tc["passed"], tc["minutes"], tc["entries"]), (0, False, 0, []), "C: nothing yet")

    # 线下活动: the school's score counts only with 3 activities attended
    admin = yx.create_key("school_admin", school=x.school)

    def grade(i, **body):
        body["teacher_id"] = x.teachers[i]
        r = yx.request("POST", "/api/v1/programs/%s/grades" % x.pid, body=json.dumps(body).encode(),
                       token=admin, content_type="application/json")
        eq(r[0], 200, "grade %r (%r)" % (body, r))
        return r[2]

    g = grade(A, offline_score=28, offline_attended=2)
    off = yx.category(g, "offline_activity")
    eq((off["raw"], off["points"], off["gate"]["attended"], off["gate"]["met"]), (28, 0, 2, False),
       "A: score 28 with 2 attended: raw, points, attended, met")
    eq(g["total_points"], 70, "A: total with the gate unmet")
    eq(len(g["recorded"]), 2, "A: entries recorded by the first grade")
    g = grade(A, offline_attended=3)
    off = yx.category(g, "offline_activity")
    eq((off["points"], off["gate"]["attended"], off["gate"]["met"]), (28, 3, True), "A: with 3 attended")
    eq((g["total_points"], g["passed"]), (98, True), "A: total 15 + 15 + 40 + 28 (community outside)")
    eq(len(g["recorded"]), 2, "A: a new attendance reverses the old one: entries recorded")
    g = grade(A, offline_attended=3)
    eq(g["recorded"], [], "A: the same attendance again records nothing")
    ta = x.transcript(A)
    eq(len(ta["entries"]), 26 + 4, "A: entries after the grades")
    rev = [e for e in ta["entries"] if e["reverses"] is not None]
    eq([(e["measure"], e["amount"], e["live"]) for e in rev], [("attended", -2, False)], "A: the reversal")
    old = [e for e in ta["entries"] if e["id"] == rev[0]["reverses"]]
    eq([(e["amount"], e["live"], e["reversed_by"]) for e in old], [(2, False, rev[0]["id"])], "A: the reversed entry")
    eq((ta["total_points"], ta["minutes"], yx.points_by_category(ta)["community"]), (98, 730, community_a),
       "A: transcript after the grades")

    g = grade(B, offline_score=9, offline_attended=3)
    eq((g["total_points"], g["passed"]), (59, False), "B: 50 + 9 is below the threshold")
    g = grade(B, offline_score=10)
    eq((g["total_points"], g["passed"]), (60, True), "B: 50 + 10 is exactly the threshold")

    # a school admin grades only its school's teachers, within the category's cap
    r = yx.request("POST", "/api/v1/programs/%s/grades" % x.pid,
                   body=json.dumps({"teacher_id": x.other, "offline_score": 5}).encode(),
                   token=admin, content_type="application/json")
    eq(r[0], 404, "grade for another school's teacher (%r)" % (r,))
    r = yx.request("POST", "/api/v1/programs/%s/grades" % x.pid,
                   body=json.dumps({"teacher_id": x.teachers[C], "offline_score": 31}).encode(),
                   token=admin, content_type="application/json")
    eq(r[0], 400, "offline_score above the cap of 30 (%r)" % (r,))
    eq(x.transcript(C)["entries"], [], "C: nothing recorded by the refused grade")

    # progress of the county over the program: A 98 and B 60 passed, C behind (the window is past)
    r = yx.get("/api/v1/programs/%s/progress?by=school" % x.pid, yx.county())
    eq(r[0], 200, "progress by school (%r)" % (r,))
    p = r[2]
    eq((p["enrolled"], p["passed"], p["average_points"], p["expected_points"]), (3, 2, 52.6667, 60),
       "progress: enrolled, passed, average, expected")
    eq(len(p["groups"]), 1, "progress groups")
    gr = p["groups"][0]
    eq((gr["id"], gr["enrolled"], gr["passed"], gr["behind_count"], [t["teacher_id"] for t in gr["behind"]]),
       (x.school, 3, 2, 1, [x.teachers[C]]), "progress of the school")
    r = yx.get("/api/v1/programs/%s/progress?by=school" % x.pid, admin)
    eq((r[0], r[2] and r[2].get("enrolled")), (200, 3), "the school admin's progress of its school (%r)" % (r,))


def test_overlapping_sessions_count_once_and_the_daily_cap():
    x = Setup(3)
    a, b, c = x.agent(0), x.agent(1), x.agent(2)
    # A: 09:00-11:00, 10:00-12:00, 10:30-11:30 on one day of stage 2: 180 minutes, not 300
    first = [yx.statement(a, "experienced", _at("2015-10-12", "11:00"), minutes=120),
             yx.statement(a, "completed", _at("2015-10-12", "12:00"), minutes=120),
             yx.statement(a, "experienced", _at("2015-10-12", "11:30"), minutes=60)]
    ids = x.post(first, "overlapping sessions")
    # the same interval again as another statement, later: adds nothing
    again = x.post([yx.statement(a, "experienced", _at("2015-10-12", "11:00"), minutes=120)], "a repeated interval")
    t = x.transcript(0)
    eq((yx.stage_raw(t, "platform_study"), t["minutes"], yx.stage_points(t, "platform_study")),
       ([0, 180, 0], 180, [0, 6, 0]), "A: minutes per stage, minutes, points")
    counted = {e["statement_id"]: e["counted"] for e in t["entries"]}
    eq(counted, {ids[0]: 120, ids[1]: 60, ids[2]: 0, again[0]: 0}, "A: minutes each statement adds to the union")
    eq({e["statement_id"]: e["amount"] for e in t["entries"]},
       {ids[0]: 120, ids[1]: 120, ids[2]: 60, again[0]: 120}, "A: the entries keep the raw durations")

    # B: nine separate hours on one day: 480 minutes count (the daily cap); an hour ending at
    # 00:30 the next day counts on that day
    nine = [yx.statement(b, "experienced", _at("2015-11-03", "%02d:00" % h), minutes=60) for h in range(9, 18)]
    nine.append(yx.statement(b, "experienced", _at("2015-11-04", "00:30"), minutes=60))
    x.post(nine, "nine hours and one after midnight")
    t = x.transcript(1)
    eq((yx.stage_raw(t, "platform_study")[1], t["minutes"]), (540, 540), "B: stage 2 minutes and minutes")
    eq(sorted(e["counted"] for e in t["entries"]), [0] + [60] * 9, "B: minutes counted per statement")
    late = [e for e in t["entries"] if e["occurred_at"].startswith("2015-11-03T17:00")]
    eq([e["counted"] for e in late], [0], "B: the ninth hour of the day is beyond the cap")

    # C: durations: years and months have no fixed length and earn nothing; weeks, days,
    # hours, fractions are exact; a zero duration earns nothing
    durs = [("P1M", 0), ("P1Y2M", 0), ("PT1H30M", 90), ("PT0S", 0), ("PT45M30S", 45.5), ("P0DT0.5H", 30)]
    sts = [yx.statement(c, "experienced", _at("2015-10-2%d" % i, "12:00"), duration=d)
           for i, (d, _) in enumerate(durs)]
    got = x.post(sts, "statements with durations")
    t = x.transcript(2)
    eq({e["statement_id"]: e["amount"] for e in t["entries"]},
       {i: m for i, (_, m) in zip(got, durs) if m}, "C: minutes credited per duration")
    eq(t["minutes"], 90 + 45.5 + 30, "C: minutes")
    eq(yx.stage_points(t, "platform_study"), [0, 5, 0], "C: floor(165.5 / 30) points in stage 2")


def test_voiding_reverses_credit():
    x = Setup(1)
    a = x.agent(0)
    admin = yx.account(x.home, "admin")
    sts = [yx.statement(a, "experienced", _at("2015-10-0%d" % d), minutes=60, sid=yx.new_uuid()) for d in (5, 6, 7)]
    x.post(sts, "three hours")
    t = x.transcript(0)
    eq((t["minutes"], t["total_points"]), (180, 6), "before voiding: minutes, points")

    def void(target, sid=None):
        return {"id": sid or yx.new_uuid(), "actor": admin, "verb": {"id": yx.VERB["voided"]},
                "object": {"objectType": "StatementRef", "id": target}}

    v = void(sts[1]["id"])
    x.post([v], "the voiding statement")
    t = x.transcript(0)
    eq((t["minutes"], t["total_points"], yx.stage_raw(t, "platform_study")), (120, 4, [0, 120, 0]),
       "after voiding one hour: minutes, points, stage minutes")
    ent = {e["id"]: e for e in t["entries"]}
    rev = [e for e in t["entries"] if e["source"] == "void"]
    eq([(e["statement_id"], e["amount"], e["live"]) for e in rev], [(v["id"], -60, False)],
       "the reversing entry: evidence, amount, live")
    target = ent[rev[0]["reverses"]]
    eq((target["statement_id"], target["live"], target["reversed_by"]), (sts[1]["id"], False, rev[0]["id"]),
       "the reversed entry")
    eq(len(t["entries"]), 4, "entries after voiding")

    r = yx.xapi("GET", "/xapi/statements?statementId=" + sts[1]["id"], cred=x.cred)
    eq(r[0], 404, "a voided statement by statementId (%r)" % (r,))
    r = yx.xapi("GET", "/xapi/statements?voidedStatementId=" + sts[1]["id"], cred=x.cred)
    eq((r[0], r[2] and r[2].get("id")), (200, sts[1]["id"]), "a voided statement by voidedStatementId (%r)" % (r,))
    r = yx.xapi("GET", "/xapi/statements?statementId=" + v["id"], cred=x.cred)
    eq((r[0], r[2] and r[2].get("id")), (200, v["id"]), "the voiding statement by statementId (%r)" % (r,))
    listed, _ = yx.walk_statements(x.cred, "limit=2")
    eq(sorted(s["id"] for s in listed), sorted([sts[0]["id"], sts[2]["id"], v["id"]]),
       "the platform's statements: the voided one is not listed")
    listed, _ = yx.walk_statements(x.cred, "agent=" + yx.urlquote(json.dumps(a)))
    eq(sorted(s["id"] for s in listed), sorted([sts[0]["id"], sts[2]["id"], v["id"]]),
       "agent filter: the voiding statement comes with the statements it targets")

    # voiding again reverses nothing more; a voiding statement cannot be voided; another
    # platform cannot void ours
    x.post([void(sts[1]["id"])], "a second voiding of the same statement")
    r = yx.post_statements(x.cred, [void(v["id"])])
    eq(r[0], 400, "voiding a voiding statement (%r)" % (r,))
    other, _, _ = yx.platform_key()
    r = yx.post_statements(other, [void(sts[0]["id"])])
    eq(r[0], 403, "another platform voiding our statement (%r)" % (r,))
    t = x.transcript(0)
    eq((t["minutes"], len(t["entries"])), (120, 4), "after the refused and repeated voids: minutes, entries")

    # voided in the same request, and voided before it arrives: never credited
    same = yx.statement(a, "experienced", _at("2015-10-08"), minutes=60, sid=yx.new_uuid())
    x.post([same, void(same["id"])], "a statement and its voiding together")
    early = yx.statement(a, "experienced", _at("2015-10-09"), minutes=60, sid=yx.new_uuid())
    x.post([void(early["id"])], "a voiding statement ahead of its target")
    x.post([early], "the target after its voiding statement")
    t = x.transcript(0)
    eq((t["minutes"], len(t["entries"])), (120, 4), "voided statements earn nothing")
    for sid in (same["id"], early["id"]):
        r = yx.xapi("GET", "/xapi/statements?statementId=" + sid, cred=x.cred)
        eq(r[0], 404, "statementId of a voided statement (%r)" % (r,))
        r = yx.xapi("GET", "/xapi/statements?voidedStatementId=" + sid, cred=x.cred)
        eq(r[0], 200, "voidedStatementId of a voided statement (%r)" % (r,))


def test_program_created_after_statements_credits_them():
    cred, platform, home = yx.platform_key()
    s, school, teachers, emails = yx.credits_school(2, platform=platform)
    # the roster must know the teachers when the statements arrive; a first program tells
    first = "gp-" + s
    yx.create_program(first, "2016-03-01", "2016-03-31", scope={"kind": "schools", "ids": [school]})
    yx.wait_directory(first, teachers)
    sts = [yx.statement(yx.mbox(emails[0]), "experienced", _at("2016-04-10"), minutes=90, sid=yx.new_uuid()),
           yx.statement(yx.account(home, "u2-" + s), "attended", _at("2016-05-10"), activity_type="meeting",
                        sid=yx.new_uuid()),
           yx.statement(yx.mbox(emails[0]), "experienced", _at("2016-07-01"), minutes=60, sid=yx.new_uuid())]
    r = yx.post_statements(cred, sts)
    eq(r[0], 200, "statements before their program exists (%r)" % (r,))
    eq(yx.transcript_ok(first, teachers[0])["entries"], [], "outside the first program's window: nothing")
    later = "gp2-" + s
    yx.create_program(later, "2016-04-01", "2016-06-30", scope={"kind": "schools", "ids": [school]})
    t0 = yx.transcript_ok(later, teachers[0])
    eq(([e["statement_id"] for e in t0["entries"]], t0["minutes"], t0["total_points"]), ([sts[0]["id"]], 90, 3),
       "the program created later credits the statement in its window (entries, minutes, points)")
    t1 = yx.transcript_ok(later, teachers[1])
    eq(([e["statement_id"] for e in t1["entries"]], t1["total_points"]), ([sts[1]["id"]], 3),
       "… and the one matched by the platform's user id")
    yx.create_program(later, "2016-04-01", "2016-06-30", expect=409)
