"""Statements into the ledger: retries and conflicting duplicates, all-or-nothing batches,
actors the roster learns later, and who may read whose transcript."""
import hashlib
import json
import threading
import time

import yx
from yx import check, eq

Setup = yx.CreditsSetup
_at = yx.local_time


def _unmatched(pred):
    """The county's list of unmatched actors, every page: {actor_key: statements} where pred(key)."""
    out, cursor, pages = {}, None, 0
    while True:
        q = "/api/v1/credits/unmatched?limit=500" + ("&cursor=" + yx.urlquote(cursor) if cursor else "")
        r = yx.get(q, yx.county())
        eq(r[0], 200, "GET %s (%r)" % (q, r))
        for i in r[2]["items"]:
            check(i["actor_key"] not in out, "unmatched actor %s listed twice" % i["actor_key"])
            if pred(i["actor_key"]):
                out[i["actor_key"]] = i["statements"]
        cursor = r[2].get("next_cursor")
        pages += 1
        if not cursor or pages > 1000:
            return out


def _get(cred, sid):
    return yx.xapi("GET", "/xapi/statements?statementId=" + sid, cred=cred)


def test_duplicates_and_conflicting_duplicates():
    x = Setup(1)
    a = x.agent(0)
    X = yx.statement(a, "experienced", _at("2015-10-10", "12:00"), minutes=60, sid=yx.new_uuid())
    eq(x.post([X]), [X["id"]], "first POST of X")
    eq(x.post([X]), [X["id"]], "X again (a retry)")
    eq(x.post(X), [X["id"]], "X again, alone")
    # the same statement spelt differently: the instant in UTC, the id in upper case
    same = dict(X, timestamp="2015-10-10T04:00:00Z", id=X["id"].upper())
    eq([i.lower() for i in x.post([same])], [X["id"]], "X with an equivalent timestamp and id spelling")
    r = yx.xapi("PUT", "/xapi/statements?statementId=" + X["id"], X, x.cred)
    eq(r[0], 204, "PUT of X (%r)" % (r,))

    conflicts = [dict(X, result={"duration": "PT61M"}), dict(X, verb={"id": yx.VERB["completed"]}),
                 dict(X, timestamp=_at("2015-10-11", "12:00"))]
    for c in conflicts:
        r = yx.post_statements(x.cred, [c])
        eq(r[0], 409, "a different statement under X's id (%r)" % (r,))
        check(X["id"] in r[2]["error"], "the 409 names the id: %r" % (r,))
    r = yx.xapi("PUT", "/xapi/statements?statementId=" + X["id"], conflicts[0], x.cred)
    eq(r[0], 409, "PUT of a different statement under X's id (%r)" % (r,))

    Y = yx.statement(a, "experienced", _at("2015-10-12", "12:00"), minutes=30, sid=yx.new_uuid())
    r = yx.post_statements(x.cred, [Y, conflicts[0]])
    eq(r[0], 409, "a new statement with a conflicting one (%r)" % (r,))
    eq(yx.problems(r)[0]["column"], "statement[1].id", "the conflicting statement is named")
    eq(_get(x.cred, Y["id"])[0], 404, "nothing of a refused request is stored")
    eq(x.post([Y, X]), [Y["id"], X["id"]], "a new statement with a retried one")
    Z = yx.statement(a, "experienced", _at("2015-10-13", "12:00"), minutes=30, sid=yx.new_uuid())
    r = yx.post_statements(x.cred, [Z, dict(Z)])
    eq(r[0], 400, "the same id twice in one request (%r)" % (r,))
    eq(yx.problems(r)[0]["column"], "statement[1].id", "the repeated id is named")
    eq(_get(x.cred, Z["id"])[0], 404, "Z was not stored")

    # another platform sending X's id: the id is the county's, whoever sent it first
    other, _, _ = yx.platform_key()
    r = yx.post_statements(other, [X])
    check(r[0] in (200, 409), "another platform resending X (%r)" % (r,))

    listed, _ = yx.walk_statements(x.cred, "agent=" + yx.urlquote(json.dumps(a)))
    eq(sorted(s["id"] for s in listed), sorted([X["id"], Y["id"]]), "stored once each")
    t = x.transcript(0)
    eq(sorted((e["statement_id"], e["amount"]) for e in t["entries"]), sorted([(X["id"], 60), (Y["id"], 30)]),
       "credited once each")
    eq((t["minutes"], t["total_points"]), (90, 3), "minutes and points")


def test_batch_with_one_invalid_statement_stores_nothing():
    x = Setup(1)
    a = x.agent(0)
    batch = [yx.statement(a, "experienced", _at("2015-10-%02d" % (i + 1)), minutes=30, sid=yx.new_uuid())
             for i in range(10)]
    bad = [dict(s) for s in batch]
    bad[7] = dict(bad[7], actor={"objectType": "Agent", "mbox": x.emails[0]})  # no mailto:
    r = yx.post_statements(x.cred, bad)
    eq(r[0], 400, "a batch with one invalid statement (%r)" % (r,))
    eq([(p["column"], p["reason"]) for p in yx.problems(r)],
       [("statement[7].actor.mbox", "must be a mailto IRI (\"mailto:name@example.com\")")], "problems")
    check(r[2]["error"].startswith("statement[7].actor.mbox"), "the error names statement[7]: %r" % (r,))
    worse = [dict(s) for s in batch]
    worse[2] = dict(worse[2], id="nope")
    del worse[9]["verb"]
    r = yx.post_statements(x.cred, worse)
    eq(r[0], 400, "a batch with two invalid statements (%r)" % (r,))
    eq([p["column"] for p in yx.problems(r)], ["statement[2].id", "statement[9].verb"], "both problems listed")
    for s in batch:
        eq(_get(x.cred, s["id"])[0], 404, "statement %s of a refused batch" % s["id"])
    eq(yx.walk_statements(x.cred, "")[0], [], "the platform has no statements")
    t = x.transcript(0)
    eq((t["entries"], t["minutes"]), ([], 0), "nothing credited")
    eq(x.post(batch), [s["id"] for s in batch], "the corrected batch")
    t = x.transcript(0)
    eq((len(t["entries"]), t["minutes"], yx.stage_raw(t, "platform_study")), (10, 300, [0, 300, 0]),
       "the corrected batch is credited")


def test_a_transcript_read_after_a_2xx_sees_the_credit():
    """Statements are answered once stored and credited meanwhile; a transcript read waits
    for the crediter to catch up with them, even while another teacher's flood keeps it busy."""
    x = Setup(2)
    a, b = x.agent(0), x.agent(1)
    stop = threading.Event()

    def flood():
        day = 0
        while not stop.is_set():
            day += 1
            x.post([yx.statement(b, "experienced", _at("2015-10-%02d" % (day % 28 + 1), "%02d:%02d" % (i // 60, i % 60)),
                                 minutes=1, sid=yx.new_uuid()) for i in range(100)])

    flooding = threading.Thread(target=flood)
    flooding.start()
    try:
        for i in range(15):
            S = yx.statement(a, "experienced", _at("2015-11-%02d" % (i + 1), "12:00"), minutes=30, sid=yx.new_uuid())
            eq(x.post([S]), [S["id"]], "statement %d" % i)
            eq(x.transcript(0)["minutes"], 30 * (i + 1), "the transcript right after statement %d" % i)
    finally:
        stop.set()
        flooding.join()


def test_unmatched_actors_are_credited_after_a_roster_sync():
    x = Setup(1)
    s = x.s
    new = ["n%d-%s" % (i, s) for i in (1, 2, 3)]
    mail = {new[0]: "%s@%s.example.cn" % (new[0], s), new[2]: "%s@%s.example.cn" % (new[2], s)}
    sha1 = hashlib.sha1(("mailto:" + mail[new[2]]).encode()).hexdigest()
    pid_on_platform = "u9-" + s
    sts = [
        # by email (mbox), by the platform's own user id (account), by mbox_sha1sum
        yx.statement(yx.mbox(mail[new[0]].upper()), "experienced", _at("2015-10-10"), minutes=60, sid=yx.new_uuid()),
        yx.statement(yx.account(x.home, pid_on_platform), "experienced", _at("2015-10-11"), minutes=90, sid=yx.new_uuid()),
        yx.statement({"mbox_sha1sum": sha1}, "experienced", _at("2015-10-12"), minutes=45, sid=yx.new_uuid()),
        # the same user id under another home page is someone else: never this teacher
        yx.statement(yx.account("https://elsewhere.example.cn/", pid_on_platform), "experienced",
                     _at("2015-10-13"), minutes=120, sid=yx.new_uuid()),
    ]
    x.post(sts, "statements of actors the roster does not know yet")
    unmatched = _unmatched(lambda key: s in key or sha1 in key)
    local, _, domain = mail[new[0]].upper().partition("@")
    eq(unmatched, {"mbox:%s@%s" % (local, domain.lower()): 1,
                   "account:%s|%s" % (x.home, pid_on_platform): 1, "sha1:" + sha1: 1,
                   "account:https://elsewhere.example.cn/|%s" % pid_on_platform: 1}, "unmatched actors")
    for n in new:
        eq(yx.transcript(x.pid, n)[0], 404, "transcript of %s before the roster knows them" % n)
    r = yx.get("/api/v1/programs/%s/progress?by=county" % x.pid, yx.county())
    eq((r[0], r[2] and r[2]["enrolled"]), (200, 1), "enrolled before the sync (%r)" % (r,))

    rows = [yx.teacher(new[0], x.school, "一", "新", mode="delta", email=mail[new[0]]),
            yx.teacher(new[1], x.school, "二", "新", mode="delta", userIds="{%s:%s}" % (x.platform, pid_on_platform)),
            yx.teacher(new[2], x.school, "三", "新", mode="delta", email=mail[new[2]])]
    r = yx.upload(yx.bundle("delta", {"users.csv": rows}), "delta")
    eq(r[0], 200, "delta adding the three teachers (%r)" % (r,))
    t0 = time.time()
    expect = {new[0]: 60, new[1]: 90, new[2]: 45}

    def credited():
        got = {}
        for n in new:
            r = yx.transcript(x.pid, n)
            if r[0] != 200:
                return None
            got[n] = r[2]["minutes"]
        return got if got == expect else None

    yx.wait_for("statements credited to the new teachers (expected minutes %r)" % expect, credited, 10, 0.2)
    took = time.time() - t0
    check(took <= 10, "credited after %.1f s" % took)
    for n, st in zip(new, sts):
        t = yx.transcript_ok(x.pid, n)
        eq([(e["statement_id"], e["source"], e["live"]) for e in t["entries"]], [(st["id"], "statement", True)],
           "the entry of %s" % n)
        eq(t["teacher"]["enrolled"], True, "%s enrolled" % n)
    r = yx.get("/api/v1/programs/%s/progress?by=county" % x.pid, yx.county())
    eq((r[0], r[2] and r[2]["enrolled"]), (200, 4), "enrolled after the sync (%r)" % (r,))
    # the account under another home page is still nobody's
    left = _unmatched(lambda key: s in key or sha1 in key)
    eq(left, {"account:https://elsewhere.example.cn/|%s" % pid_on_platform: 1}, "unmatched after the sync")


def test_a_teacher_reads_only_their_own_transcript():
    x = Setup(2, other_school=True)
    x.post([yx.statement(x.agent(i), "experienced", _at("2015-10-10"), minutes=60 * (i + 1)) for i in (0, 1)])
    me, them = x.teachers
    mine = yx.create_key("teacher", teacher=me)
    r = yx.transcript(x.pid, me, mine)
    eq((r[0], r[2] and r[2]["minutes"]), (200, 60), "a teacher's own transcript (%r)" % (r,))
    r = yx.transcript(x.pid, them, mine)
    eq(r[0], 404, "a teacher reading another teacher's transcript (%r)" % (r,))
    check(them not in r.body.decode("utf-8", "replace") and "120" not in r.body.decode("utf-8", "replace"),
          "the refusal tells nothing of the other teacher: %r" % (r,))
    r = yx.get("/api/v1/programs/%s/teachers/%s/transcript?format=csv" % (x.pid, them), mine)
    eq(r[0], 404, "… nor as CSV (%r)" % (r,))
    r = yx.get("/api/v1/programs/%s/progress?by=school" % x.pid, mine)
    eq(r[0], 403, "a teacher reading progress (%r)" % (r,))
    r = yx.request("POST", "/api/v1/programs/%s/grades" % x.pid, token=mine, content_type="application/json",
                   body=json.dumps({"teacher_id": me, "offline_score": 30, "offline_attended": 3}).encode())
    eq(r[0], 403, "a teacher grading themself (%r)" % (r,))
    r = yx.get("/api/v1/programs/%s/teachers/%s/transcript" % (x.pid, me), basic=x.cred)
    eq(r[0], 403, "a platform reading a transcript (%r)" % (r,))
    # school admins: their own school's teachers only
    admin = yx.create_key("school_admin", school=x.school)
    r = yx.transcript(x.pid, them, admin)
    eq((r[0], r[2] and r[2]["minutes"]), (200, 120), "the school admin reads its teacher (%r)" % (r,))
    other_school = yx.teacher_json(x.other)["school_id"]
    stranger = yx.create_key("school_admin", school=other_school)
    r = yx.transcript(x.pid, them, stranger)
    eq(r[0], 404, "another school's admin (%r)" % (r,))
    r = yx.get("/api/v1/programs/%s/teachers/%s/transcript?format=csv" % (x.pid, me), mine)
    eq(r[0], 200, "own transcript as CSV (%r)" % (r,))
    check(r[1].get("content-type", "").startswith("text/csv") and r.body.startswith(b"\xef\xbb\xbf"),
          "CSV with a BOM: %r" % (r[1],))
