"""Volume: kill -9 of the credits daemon while a platform pushes 20,000 statements and retries
what fails (afterwards every statement is stored exactly once and the totals are exact; a
program created later over the same window credits them all), and the largest request the
Statements resource takes (10,000 statements). Last of the credits tests: a slow service here
would slow the ones after it."""
import base64
import datetime
import http.client
import json
import queue
import ssl
import threading
import time

import yx
from yx import check, eq

TEACHERS = 10
PER_TEACHER = 2000  # 1,000 one-minute study sessions and 1,000 Q&A posts (community, uncapped)
BATCH = 100
PUSHERS = 4
KILL_AFTER = 6000  # statements acknowledged before the kill
GIVE_UP_S = 90


def _statements(x):
    """Every statement with its id, in batches of BATCH, mixed across teachers."""
    out = []
    base = datetime.datetime(2015, 10, 1, 8, 0)
    for i in range(TEACHERS):
        agent = x.agent(i)
        for k in range(PER_TEACHER // 2):
            # one minute each, 250 a day from 08:00: within the daily cap, never overlapping
            end = base + datetime.timedelta(days=k // 250, minutes=k % 250 + 1)
            out.append(yx.statement(agent, "experienced", end.strftime("%Y-%m-%dT%H:%M:00+08:00"),
                                    minutes=1, sid=yx.new_uuid(),
                                    activity="http://lms.example.cn/%s/v/%d" % (x.s, k)))
            out.append(yx.statement(agent, "asked", yx.local_time("2015-11-%02d" % (k % 28 + 1)),
                                    sid=yx.new_uuid(), activity="http://lms.example.cn/%s/q/%d" % (x.s, k)))
    # interleave teachers so that every batch touches several of them
    out.sort(key=lambda st: st["id"])
    return [out[i:i + BATCH] for i in range(0, len(out), BATCH)]


class Pusher(threading.Thread):
    """Takes batches from the queue and POSTs each until it is answered 200 with its ids,
    over one keep-alive connection (a new one after any error)."""

    def __init__(self, cred, work, state):
        super().__init__(daemon=True)
        self.cred, self.work, self.state = cred, work, state
        self.conn = None
        self.headers = {"Authorization": "Basic " + base64.b64encode(cred.encode()).decode(),
                        "Content-Type": "application/json",
                        "X-Experience-API-Version": yx.XAPI_VERSION}

    def post(self, body):
        if self.conn is None:
            self.conn = http.client.HTTPSConnection(yx.HOST, yx.PORT, context=yx.ctx(), timeout=30)
        self.conn.request("POST", "/xapi/statements", body=body, headers=self.headers)
        resp = self.conn.getresponse()
        return resp.status, resp.read()

    def run(self):
        st = self.state
        while not st["fatal"]:
            try:
                batch = self.work.get_nowait()
            except queue.Empty:
                break
            body = json.dumps(batch).encode()
            want = [s["id"] for s in batch]
            while not st["fatal"]:
                try:
                    status, data = self.post(body)
                except (OSError, ssl.SSLError, http.client.HTTPException) as e:
                    status, data = None, repr(e).encode()
                    try:
                        self.conn.close()
                    except Exception:  # noqa: BLE001 - the connection is dropped either way
                        pass
                    self.conn = None
                if status == 200:
                    got = json.loads(data)
                    with st["lock"]:
                        if got != want:
                            st["fatal"] = "ids answered %r… for a batch of %r…" % (got[:2], want[:2])
                        st["acked"] += len(batch)
                    break
                with st["lock"]:
                    st["failures"].append((status, data[:160]))
                    if status in (400, 403, 409, 413):  # a retry is the same request: never valid
                        st["fatal"] = "a retried batch answered %s: %r" % (status, data[:300])
                    if time.time() > st["give_up"]:
                        st["fatal"] = "a batch still failed after %d s (last %s %r)" % (GIVE_UP_S, status, data[:200])
                time.sleep(0.2)
        if self.conn:
            self.conn.close()


def test_kill_credits_during_20000_statements_with_retries():
    x = yx.CreditsSetup(TEACHERS)
    batches = _statements(x)
    eq(sum(len(b) for b in batches), TEACHERS * PER_TEACHER, "statements prepared")
    work = queue.Queue()
    for b in batches:
        work.put(b)
    state = {"lock": threading.Lock(), "acked": 0, "failures": [], "fatal": None,
             "give_up": time.time() + GIVE_UP_S}
    pushers = [Pusher(x.cred, work, state) for _ in range(PUSHERS)]
    killed = started = finished = False
    acked_at_kill = None
    try:
        for p in pushers:
            p.start()
        deadline = time.time() + 60
        while state["acked"] < KILL_AFTER and not state["fatal"] and any(p.is_alive() for p in pushers):
            check(time.time() < deadline, "only %d statements acknowledged in 60 s" % state["acked"])
            time.sleep(0.002)
        acked_at_kill = state["acked"]
        check(acked_at_kill < TEACHERS * PER_TEACHER,
              "every statement was acknowledged before the kill: the crash was never in flight")
        k = yx.stack("kill", "credits")
        killed = True
        eq(k.returncode, 0, "deploy/stack.sh kill credits: %s" % (k.stderr or k.stdout)[-300:])
        time.sleep(0.3)  # requests meet a dead service for a moment
        st = yx.stack("start", "credits")
        started = True
        eq(st.returncode, 0, "deploy/stack.sh start credits: %s" % (st.stderr or st.stdout)[-300:])
        for p in pushers:
            p.join(GIVE_UP_S + 30)
        finished = True
    finally:
        if not finished:  # stop the pushers of a failed test
            state["fatal"] = state["fatal"] or "the test failed"
        if killed and not started:
            yx.stack("start", "credits")
    check(not any(p.is_alive() for p in pushers), "pushers still running")
    check(not state["fatal"], "pushing: %s" % state["fatal"])
    eq(state["acked"], TEACHERS * PER_TEACHER, "statements acknowledged")
    check(state["failures"], "no request failed: the kill (after %d statements) was not felt" % acked_at_kill)
    yx.wait_ready(30)

    # every statement stored exactly once
    want = {s["id"] for b in batches for s in b}
    items, pages = yx.walk_statements(x.cred, "limit=500")
    eq(len(items), len(want), "statements the platform reads back (%d failed requests were retried: %r…)"
       % (len(state["failures"]), state["failures"][:3]))
    eq({s["id"] for s in items}, want, "the statements read back are the ones sent")
    eq(pages, len(want) // 500, "pages of 500")

    # and credited exactly once. A restarted credits service answers 503 until it has loaded its
    # teacher directory, and statements stored before that are matched when it loads: wait for
    # the totals, then check them exactly
    last = {}

    def exact():
        docs = []
        for t in x.teachers:
            r = yx.transcript(x.pid, t)
            if r[0] == 503:
                last["503"] = r
                return None
            eq(r[0], 200, "GET transcript of %s (%r)" % (t, r))
            docs.append(r[2])
        last["seen"] = [(t, d["minutes"], yx.category(d, "community")["points"]) for t, d in zip(x.teachers, docs)]
        ok = all(d["minutes"] == PER_TEACHER // 2 and yx.category(d, "community")["points"] == PER_TEACHER // 2
                 for d in docs)
        return docs if ok else None

    try:
        docs = yx.wait_for("every teacher's minutes and community points at %d" % (PER_TEACHER // 2), exact, 20, 0.3)
    except yx.Fail as e:
        raise yx.Fail("%s; (teacher, minutes, community) last seen: %r" % (e, last))
    by_teacher = {}
    for b in batches:
        for s in b:
            by_teacher.setdefault(s["actor"]["mbox"], set()).add(s["id"])
    for i, d in enumerate(docs):
        ids = [e["statement_id"] for e in d["entries"]]
        eq(len(ids), PER_TEACHER, "entries of %s" % x.teachers[i])
        eq(set(ids), by_teacher["mailto:" + x.emails[i]], "statements behind the entries of %s" % x.teachers[i])
        eq((d["total_points"], yx.stage_raw(d, "platform_study"), yx.stage_points(d, "platform_study"),
            yx.category(d, "community")["raw"], d["passed"]),
           (10, [0, PER_TEACHER // 2, 0], [0, 10, 0], PER_TEACHER // 2, False),
           "totals of %s" % x.teachers[i])

    # a program created now over the same window and school credits the same 20,000 statements
    # (its backfill) within the gateway's deadline
    later = x.pid + "-later"
    try:
        t0 = time.time()
        r = yx.create_program(later, yx.GUOPEI_WINDOW[0], yx.GUOPEI_WINDOW[1],
                              scope={"kind": "schools", "ids": [x.school]}, stages=yx.GUOPEI_STAGES, expect=None)
        took = time.time() - t0
        eq(r[0], 201, "creating a program over 20,000 stored statements (%.1f s: %r)" % (took, r))
    finally:
        _wait_answering()
    for i, t in enumerate(x.teachers):
        d = yx.transcript_ok(later, t)
        eq((len(d["entries"]), d["minutes"], yx.category(d, "community")["points"]),
           (PER_TEACHER, PER_TEACHER // 2, PER_TEACHER // 2), "backfilled totals of %s" % t)


def _wait_answering(timeout=180):
    """After a slow answer the service may still be busy: let it finish before the next test."""
    try:
        yx.wait_ready(timeout)
    except yx.Fail:
        pass


def test_largest_request_of_10000_statements():
    # a window of its own: no other test's statements are in it
    x = yx.CreditsSetup(5, window=("2018-09-01", "2018-12-31"),
                        stages=[("2018-09-01", "2018-09-30"), ("2018-10-01", "2018-11-30"), ("2018-12-01", "2018-12-31")])
    sts = [yx.statement(x.agent(i % 5), "asked", yx.local_time("2018-11-%02d" % (i % 28 + 1)), sid=yx.new_uuid())
           for i in range(10000)]
    try:
        t0 = time.time()
        r = yx.post_statements(x.cred, sts, timeout=300)
        took = time.time() - t0
        eq(r[0], 200, "POST of 10,000 statements in one request (%.1f s: %r)" % (took, r))
    finally:
        _wait_answering()
    eq(r[2], [s["id"] for s in sts], "ids answered")
    r = yx.post_statements(x.cred, sts + [yx.statement(x.agent(0), "asked", yx.local_time("2018-11-01"))])
    eq(r[0], 413, "10,001 statements in one request (%r)" % (r,))
    items, pages = yx.walk_statements(x.cred, "limit=500")
    eq((len(items), pages), (10000, 20), "statements read back, pages")
    for i, t in enumerate(x.teachers):
        d = yx.transcript_ok(x.pid, t)
        eq((len(d["entries"]), yx.category(d, "community")["points"]), (2000, 2000), "entries, community of %s" % t)
