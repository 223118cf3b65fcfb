"""Shared helpers of the end-to-end suite: HTTPS requests, API keys, bundles.

Standard library only. Configuration comes from the same environment the
stack runs with (YANXIU_HTTPS_ADDR, YANXIU_VAR_DIR, YANXIU_REPO, ...).
"""
import csv
import http.client
import io
import json
import os
import secrets
import socket
import ssl
import subprocess
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.environ.get("YANXIU_REPO") or os.path.join(HERE, "..", ".."))
SAMPLES = os.path.join(REPO, "..", "shared", "data", "oneroster-samples")
ADDR = os.environ.get("YANXIU_HTTPS_ADDR", "127.0.0.1:8444")
HOST, _, _port = ADDR.rpartition(":")
PORT = int(_port)
VAR_DIR = os.environ.get("YANXIU_VAR_DIR", "var")
if not os.path.isabs(VAR_DIR):
    VAR_DIR = os.path.join(REPO, VAR_DIR)
MAX_BODY = int(os.environ.get("YANXIU_MAX_BODY", str(64 * 1024 * 1024)))
CTL = os.path.join(REPO, "build", "bin", "yanxiuctl")
STACK = os.path.join(REPO, "deploy", "stack.sh")

ORGS_H = "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId".split(",")
USERS_H = ("sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,"
           "givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,"
           "password,metadata.subject").split(",")
SESSIONS_H = "sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear".split(",")
COURSES_H = ("sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,"
             "orgSourcedId,subjects,subjectCodes").split(",")
CLASSES_H = ("sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,"
             "location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods").split(",")
ENROLL_H = ("sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,"
            "primary,beginDate,endDate").split(",")
GROUPS_H = ("sourcedId,status,dateLastModified,schoolSourcedId,type,name,subject,grades,"
            "parentSourcedId,leaderSourcedId").split(",")
MEMBERS_H = "groupSourcedId,userSourcedId,status".split(",")
MENTORS_H = ("sourcedId,status,dateLastModified,schoolSourcedId,mentorSourcedId,menteeSourcedId,"
             "beginDate,endDate").split(",")
HEADERS = {"orgs.csv": ORGS_H, "users.csv": USERS_H, "academicSessions.csv": SESSIONS_H,
           "courses.csv": COURSES_H, "classes.csv": CLASSES_H, "enrollments.csv": ENROLL_H,
           "groups.csv": GROUPS_H, "groupMembers.csv": MEMBERS_H, "mentorPairs.csv": MENTORS_H}
MANIFEST_FILES = ["academicSessions", "categories", "classes", "classResources", "courses",
                  "courseResources", "demographics", "enrollments", "lineItems", "orgs",
                  "resources", "results", "users", "groups", "groupMembers", "mentorPairs"]
DELTA_DATE = "2025-09-01T08:00:00.000Z"


class Fail(AssertionError):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def eq(got, expected, what):
    if got != expected:
        raise Fail("%s: expected %r, got %r" % (what, expected, got))


def sfx():
    """A fresh suffix for ids, so tests never share schools or people."""
    return secrets.token_hex(4)


# --- HTTPS -------------------------------------------------------------------

def tls_context():
    cert = os.path.join(VAR_DIR, "tls", "cert.pem")
    if os.path.exists(cert):
        ctx = ssl.create_default_context(cafile=cert)
        ctx.check_hostname = False  # self-signed for the machine; trust is the pinned file
    else:
        ctx = ssl._create_unverified_context()
    return ctx


_CTX = None


def ctx():
    global _CTX
    if _CTX is None:
        _CTX = tls_context()
    return _CTX


class Reply(tuple):
    """(status, headers, json) with the raw body and the request kept for messages."""

    def __new__(cls, status, headers, data, body, what):
        self = tuple.__new__(cls, (status, headers, data))
        self.body = body
        self.what = what
        return self

    def __repr__(self):
        text = self.body[:600].decode("utf-8", "replace")
        return "%s -> %s %s" % (self.what, self[0], text)


def request(method, path, body=None, token=None, content_type=None, headers=None,
            timeout=180, basic=None):
    """Returns Reply(status, headers {lower-case name: value}, parsed JSON or None)."""
    hdrs = dict(headers or {})
    if token:
        hdrs["Authorization"] = "Bearer " + token
    if basic:
        import base64
        hdrs["Authorization"] = "Basic " + base64.b64encode(basic.encode()).decode()
    if content_type:
        hdrs["Content-Type"] = content_type
    conn = http.client.HTTPSConnection(HOST, PORT, context=ctx(), timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        raw = resp.read()
        rh = {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()
    data = None
    if raw:
        try:
            data = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            data = None
    return Reply(resp.status, rh, data, raw, "%s %s" % (method, path))


def get(path, token=None, **kw):
    return request("GET", path, token=token, **kw)


def raw_post_stream(path, token, content_type, length, chunks, timeout=120):
    """POST a streamed body over a raw TLS socket; keeps going to the response even if
    the server stops reading early. Returns (status or None, body bytes, send_error)."""
    sock = socket.create_connection((HOST, PORT), timeout=timeout)
    tls = ctx().wrap_socket(sock, server_hostname=HOST)
    head = ("POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"
            "Content-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
            % (path, ADDR, token, content_type, length)).encode()
    send_error = None
    try:
        tls.sendall(head)
        for c in chunks:
            tls.sendall(c)
    except (OSError, ssl.SSLError) as e:
        send_error = e
    data = b""
    try:
        while True:
            b = tls.recv(65536)
            if not b:
                break
            data += b
            if b"\r\n\r\n" in data:
                hdr, _, rest = data.partition(b"\r\n\r\n")
                cl = [l for l in hdr.split(b"\r\n") if l.lower().startswith(b"content-length:")]
                if cl and len(rest) >= int(cl[0].split(b":")[1]):
                    break
    except (OSError, ssl.SSLError):
        pass
    finally:
        try:
            tls.close()
        except OSError:
            pass
    status = None
    if data.startswith(b"HTTP/1."):
        status = int(data.split(b" ", 2)[1])
    return status, data, send_error


def wait_ready(timeout=60):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = get("/readyz", timeout=5)
            if last[0] == 200:
                return True
        except (OSError, ssl.SSLError, http.client.HTTPException) as e:
            last = e
        time.sleep(0.25)
    raise Fail("/readyz not 200 within %ds (last: %r)" % (timeout, last))


# --- keys ----------------------------------------------------------------------

def ctl(*args, check_rc=True):
    env = dict(os.environ)
    env.setdefault("YANXIU_VAR_DIR", VAR_DIR)
    if "YANXIU_DB_URL" not in env and "YANXIU_PG_PORT" in env:
        env["YANXIU_DB_URL"] = "postgresql://yanxiu@127.0.0.1:%s/yanxiu" % env["YANXIU_PG_PORT"]
    p = subprocess.run([CTL] + list(args), cwd=REPO, env=env, capture_output=True,
                       text=True, timeout=60)
    if check_rc and p.returncode != 0:
        raise Fail("yanxiuctl %s -> exit %d: %s" % (" ".join(args), p.returncode,
                                                    (p.stderr or p.stdout).strip()[-400:]))
    return p


def create_key(role, school=None, teacher=None, platform=None):
    """The credential: a bearer token, or "keyid:secret" (HTTP Basic) for a platform."""
    args = ["key", "create", "--role", role]
    if school:
        args += ["--school", school]
    if teacher:
        args += ["--teacher", teacher]
    if platform:
        args += ["--platform", platform, "--home-page", "https://%s.example/" % platform]
    out = ctl(*args).stdout.strip().splitlines()
    check(out, "yanxiuctl key create printed nothing")
    token = out[-1].strip()
    # the gateway learns of new keys asynchronously (LISTEN/NOTIFY): wait until it knows this one
    deadline = time.time() + 5
    while True:
        r = get("/api/v1/districts", **({"basic": token} if platform else {"token": token}))
        if r[0] != 401:
            return token
        check(time.time() < deadline, "new %s key still refused after 5 s: %r" % (role, r))
        time.sleep(0.02)


def key_id(token):
    """Tokens look like yx_<keyid>_<secret>."""
    check(token.startswith("yx_") and token.count("_") >= 2, "unexpected token format %r" % token)
    return token[3:].split("_", 1)[0]


_COUNTY = None


def county():
    global _COUNTY
    if _COUNTY is None:
        _COUNTY = create_key("county_admin")
    return _COUNTY


# --- bundles -------------------------------------------------------------------

def csv_bytes(header, rows, newline="\n"):
    """rows: dicts keyed by header name (missing = empty) or plain lists."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=newline)
    w.writerow(header)
    for r in rows:
        w.writerow([r.get(h, "") for h in header] if isinstance(r, dict) else r)
    return buf.getvalue().encode("utf-8")


def manifest(present, mode):
    rows = [["manifest.version", "1.0"], ["oneroster.version", "1.1"]]
    for f in MANIFEST_FILES:
        rows.append(["file." + f, mode if f + ".csv" in present else "absent"])
    return csv_bytes(["propertyName", "value"], rows)


def zip_bytes(files):
    """files: name -> bytes. Written deflated into an in-memory zip."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def bundle(mode, tables, raw=None, with_manifest=True):
    """tables: file name -> list of row dicts (header from HEADERS); raw: name -> bytes."""
    files = {}
    for name, rows in tables.items():
        files[name] = csv_bytes(HEADERS[name], rows)
    files.update(raw or {})
    if with_manifest and "manifest.csv" not in files:
        files = dict([("manifest.csv", manifest(set(files), mode))] + list(files.items()))
    return zip_bytes(files)


def sample_zip(name, only=None):
    d = os.path.join(SAMPLES, name)
    check(os.path.isdir(d), "sample bundle directory missing: %s" % d)
    files = {}
    for f in sorted(os.listdir(d)):
        if f.endswith(".csv") and (only is None or f in only):
            with open(os.path.join(d, f), "rb") as fh:
                files[f] = fh.read()
    check(files, "no CSV files in %s" % d)
    return zip_bytes(files)


def upload(zip_data, mode="bulk", token=None, dry_run=False, timeout=180):
    q = "/api/v1/roster/oneroster?mode=%s%s" % (mode, "&dry_run=1" if dry_run else "")
    return request("POST", q, body=zip_data, token=token or county(),
                   content_type="application/zip", timeout=timeout)


def upload_csv(data, token=None, dry_run=False):
    q = "/api/v1/roster/teachers.csv" + ("?dry_run=1" if dry_run else "")
    return request("POST", q, body=data, token=token or county(),
                   content_type="text/csv; charset=utf-8")


# rows ---------------------------------------------------------------------------

def _status(mode, status):
    if mode == "delta":
        return {"status": status or "active", "dateLastModified": DELTA_DATE}
    return {"status": "", "dateLastModified": ""}


def org(sid, name, typ, parent="", mode="bulk", status=None):
    r = {"sourcedId": sid, "name": name, "type": typ, "identifier": "", "parentSourcedId": parent}
    r.update(_status(mode, status))
    return r


def teacher(sid, school, given, family, mode="bulk", status=None, role="teacher", **extra):
    r = {"sourcedId": sid, "enabledUser": "true", "orgSourcedIds": school, "role": role,
         "username": "u-" + sid, "givenName": given, "familyName": family}
    r.update(_status(mode, status))
    r.update(extra)
    return r


def school_bundle(s, teachers, mode="bulk", district=True, name=None):
    """orgs.csv (district d-<s>, school sch-<s>) + users.csv."""
    orgs = []
    if district:
        orgs.append(org("d-" + s, "片区" + s, "district", mode=mode))
    orgs.append(org("sch-" + s, name or ("学校" + s), "school",
                    parent="d-" + s if district else "", mode=mode))
    tables = {"orgs.csv": orgs}
    if teachers:
        tables["users.csv"] = teachers
    return bundle(mode, tables)


def make_school(n_teachers=0, name=None):
    """A fresh district + school with n teachers t<i>-<s>; returns (s, school_id, teacher ids)."""
    s = sfx()
    school = "sch-" + s
    ids = ["t%d-%s" % (i, s) for i in range(1, n_teachers + 1)]
    rows = [teacher(t, school, "名%d" % i, "王") for i, t in enumerate(ids, 1)]
    r = upload(school_bundle(s, rows, name=name + s if name else None))
    eq(r[0], 200, "setting up school %s: %r" % (school, r))
    return s, school, ids


# --- reading -------------------------------------------------------------------

def list_all(path, token=None, limit=500):
    """Walk every page; fails on a repeated item. Returns (items, pages)."""
    items, seen, pages, cursor = [], set(), 0, None
    while True:
        sep = "&" if "?" in path else "?"
        q = "%s%slimit=%d" % (path, sep, limit)
        if cursor:
            q += "&cursor=" + urlquote(cursor)
        r = get(q, token or county())
        eq(r[0], 200, "status of %s (%r)" % (q, r))
        pages += 1
        for it in r[2]["items"]:
            check(it["id"] not in seen, "%s: item %s seen twice" % (path, it["id"]))
            seen.add(it["id"])
            items.append(it)
        cursor = r[2].get("next_cursor")
        if not cursor:
            return items, pages
        check(pages < 10000, "paging of %s does not end" % path)


def urlquote(s):
    from urllib.parse import quote
    return quote(s, safe="")


def teachers_of(school, token=None):
    return {t["id"]: t for t in list_all("/api/v1/schools/%s/teachers" % school, token)[0]}


def status_counts(school):
    counts = {}
    for t in teachers_of(school).values():
        counts[t["status"]] = counts.get(t["status"], 0) + 1
    return counts


def teacher_json(tid, token=None):
    r = get("/api/v1/teachers/" + urlquote(tid), token or county())
    eq(r[0], 200, "GET teacher %s (%r)" % (tid, r))
    return r[2]


def file_report(reply, name):
    for f in reply[2].get("files", []):
        if f.get("file") == name:
            return f
    raise Fail("no files entry for %s in %r" % (name, reply))


def counts(reply, name):
    f = file_report(reply, name)
    return tuple(f.get(k, 0) for k in ("created", "updated", "deactivated", "unchanged"))


def problems(reply):
    check(isinstance(reply[2], dict), "error body is not JSON: %r" % (reply,))
    check(isinstance(reply[2].get("error"), str) and reply[2]["error"], "no error text: %r" % (reply,))
    return reply[2].get("problems") or []


def has_problem(probs, file, line, column=None):
    for p in probs:
        if p.get("file") == file and p.get("line") == line and (column is None or p.get("column") == column):
            return True
    return False


def expect_problem(probs, file, line, column=None):
    check(has_problem(probs, file, line, column),
          "expected a problem at %s line %s column %s, got %s"
          % (file, line, column, json.dumps(probs, ensure_ascii=False)[:1500]))


def stack(*args):
    env = dict(os.environ)
    env.setdefault("YANXIU_VAR_DIR", VAR_DIR)
    return subprocess.run([STACK] + list(args), cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)


# --- credits: xAPI statements, programs, transcripts ------------------------------------

XAPI_VERSION = "1.0.3"
ADL = "http://adlnet.gov/expapi/verbs/"
ADL_ACT = "http://adlnet.gov/expapi/activities/"
VERB = {"experienced": ADL + "experienced", "completed": ADL + "completed",
        "attended": ADL + "attended", "passed": ADL + "passed", "asked": ADL + "asked",
        "commented": ADL + "commented", "voided": ADL + "voided",
        "author": "http://activitystrea.ms/schema/1.0/author",
        "rated": "http://id.tincanapi.com/verb/rated",
        "promoted": "http://id.tincanapi.com/verb/promoted"}
ACT_TYPE = {"meeting": ADL_ACT + "meeting", "assessment": ADL_ACT + "assessment",
            "course": ADL_ACT + "course", "blog": "http://id.tincanapi.com/activitytype/blog",
            "resource": "http://id.tincanapi.com/activitytype/resource",
            "school-assignment": "http://id.tincanapi.com/activitytype/school-assignment"}


def platform_key(name=None, home_page=None):
    """A fresh platform key: (credential "keyid:secret", platform name, home page)."""
    name = name or "plat-" + sfx()
    home_page = home_page or "https://%s.example.cn/" % name
    out = ctl("key", "create", "--role", "platform", "--platform", name,
              "--home-page", home_page).stdout.strip().splitlines()
    check(out, "yanxiuctl key create printed nothing")
    cred = out[-1].strip()
    check(":" in cred, "platform credential is keyid:secret, got %r" % cred)
    deadline = time.time() + 5
    while True:  # the gateway learns of new keys asynchronously
        r = get("/xapi/statements?limit=1", basic=cred, headers={"X-Experience-API-Version": XAPI_VERSION})
        if r[0] != 401:
            eq(r[0], 200, "GET /xapi/statements with a new platform key (%r)" % (r,))
            return cred, name, home_page
        check(time.time() < deadline, "new platform key still refused after 5 s: %r" % (r,))
        time.sleep(0.02)


def xapi(method, path, body=None, cred=None, version=XAPI_VERSION, headers=None, token=None,
         timeout=60):
    """A request to the xAPI resource: JSON body (a str/bytes body is sent as is), Basic
    credential `cred` (or a bearer token), X-Experience-API-Version unless version is None."""
    hdrs = dict(headers or {})
    if version is not None:
        hdrs["X-Experience-API-Version"] = version
    ctype = None
    if body is not None:
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body, ensure_ascii=False)
        if isinstance(body, str):
            body = body.encode("utf-8")
        ctype = "application/json"
    return request(method, path, body=body, token=token, basic=cred, content_type=ctype,
                   headers=hdrs, timeout=timeout)


def post_statements(cred, statements, **kw):
    return xapi("POST", "/xapi/statements", statements, cred, **kw)


def statement(actor, verb, ts, minutes=None, duration=None, activity=None, activity_type=None,
              sid=None, score=None):
    """One statement: verb a key of VERB or an IRI; minutes gives result.duration PTnM."""
    st = {"actor": actor, "verb": {"id": VERB.get(verb, verb)},
          "object": {"objectType": "Activity",
                     "id": activity or "http://lms.example.cn/activities/" + sfx()},
          "timestamp": ts}
    if activity_type:
        st["object"]["definition"] = {"type": ACT_TYPE.get(activity_type, activity_type)}
    if minutes is not None:
        duration = "PT%sM" % minutes
    if duration is not None or score is not None:
        st["result"] = {}
        if duration is not None:
            st["result"]["duration"] = duration
        if score is not None:
            st["result"]["score"] = {"raw": score}
    if sid:
        st["id"] = sid
    return st


def mbox(email):
    return {"objectType": "Agent", "mbox": "mailto:" + email}


def account(home_page, name):
    return {"objectType": "Agent", "account": {"homePage": home_page, "name": name}}


def new_uuid():
    import uuid
    return str(uuid.uuid4())


def walk_statements(cred, query, token=None, limit_pages=1000):
    """GET /xapi/statements?query and every `more` page after it. Fails on a statement seen
    twice or a page without X-Experience-API-Consistent-Through. Returns (statements, pages)."""
    path = "/xapi/statements" + ("?" + query if query else "")
    out, seen, pages = [], set(), 0
    while path:
        r = xapi("GET", path, cred=cred, token=token)
        eq(r[0], 200, "GET %s (%r)" % (path, r))
        check(r[1].get("x-experience-api-consistent-through"),
              "no X-Experience-API-Consistent-Through on GET %s" % path)
        pages += 1
        for st in r[2]["statements"]:
            check(st["id"] not in seen, "statement %s seen twice walking %s" % (st["id"], query))
            seen.add(st["id"])
            out.append(st)
        more = r[2].get("more", "")
        check(more == "" or more.startswith("/xapi/statements?"), "more is %r" % more)
        path = more
        check(pages <= limit_pages, "the more links of %s do not end" % query)
    return out, pages


def credits_school(n_teachers, platform=None):
    """A fresh district + school with n teachers t<i>-<s>, each with an email
    t<i>-<s>@<s>.example.cn, and (when platform is given) userIds {platform:u<i>-<s>}.
    Returns (s, school_id, teacher ids, emails)."""
    s = sfx()
    school = "sch-" + s
    ids = ["t%d-%s" % (i, s) for i in range(1, n_teachers + 1)]
    emails = ["%s@%s.example.cn" % (t, s) for t in ids]
    rows = []
    for i, (t, e) in enumerate(zip(ids, emails), 1):
        extra = {"email": e}
        if platform:
            extra["userIds"] = "{%s:u%d-%s}" % (platform, i, s)
        rows.append(teacher(t, school, "名%d" % i, "王", **extra))
    r = upload(school_bundle(s, rows))
    eq(r[0], 200, "setting up school %s: %r" % (school, r))
    return s, school, ids, emails


def create_program(pid, start, end, scope=None, stages=None, template="guopei-2015", token=None,
                   expect=201, **extra):
    doc = {"id": pid, "name": "国培计划 " + pid, "start": start, "end": end}
    if scope is not None:
        doc["scope"] = scope
    if stages is not None:
        doc["stages"] = [{"start": a, "end": b} for a, b in stages]
    doc.update(extra)
    q = "/api/v1/programs" + ("?template=" + template if template else "")
    r = request("POST", q, body=json.dumps(doc, ensure_ascii=False).encode(),
                token=token or county(), content_type="application/json")
    if expect is not None:
        eq(r[0], expect, "POST %s (%r)" % (q, r))
    return r


def transcript(pid, tid, token=None):
    return get("/api/v1/programs/%s/teachers/%s/transcript" % (urlquote(pid), urlquote(tid)),
               token or county())


def transcript_ok(pid, tid, token=None):
    r = transcript(pid, tid, token)
    eq(r[0], 200, "GET transcript of %s in %s (%r)" % (tid, pid, r))
    return r[2]


def wait_for(what, fn, timeout=10.0, interval=0.1):
    """Polls fn() until it returns something true; fails naming `what` and the last value."""
    deadline = time.time() + timeout
    last = None
    while True:
        last = fn()
        if last:
            return last
        if time.time() >= deadline:
            raise Fail("%s: not within %.0f s (last: %s)" % (what, timeout, str(last)[:800]))
        time.sleep(interval)


def wait_directory(pid, teacher_ids, timeout=12.0):
    """The credits service refreshes its teacher directory from the roster every 5 s: waits
    until the program's transcript knows every one of these teachers."""
    pending = list(teacher_ids)

    def known():
        while pending:
            r = transcript(pid, pending[0])
            if r[0] == 404:
                return False
            eq(r[0], 200, "transcript of %s while waiting for the directory (%r)" % (pending[0], r))
            pending.pop(0)
        return True

    wait_for("credits directory knows %s" % pending, known, timeout, 0.2)


def category(doc, key):
    for c in doc["categories"]:
        if c["key"] == key:
            return c
    raise Fail("no category %s in %s" % (key, [c["key"] for c in doc["categories"]]))


def points_by_category(doc):
    return {c["key"]: c["points"] for c in doc["categories"]}


def stage_points(doc, key):
    return [st["points"] for st in category(doc, key)["stages"]]


def stage_raw(doc, key):
    return [st["raw"] for st in category(doc, key)["stages"]]


GUOPEI_WINDOW = ("2015-09-01", "2015-12-31")
GUOPEI_STAGES = [("2015-09-01", "2015-09-30"), ("2015-10-01", "2015-11-30"), ("2015-12-01", "2015-12-31")]


def local_time(day, hhmm="10:00"):
    """An xAPI timestamp at a local (Asia/Shanghai) time."""
    return "%sT%s:00+08:00" % (day, hhmm)


class CreditsSetup:
    """A platform key, a school of n teachers (emails; userIds on the platform), a guopei-2015
    program over the school with GUOPEI_STAGES, and the credits directory knowing the
    teachers (and, with other_school, the one teacher of a second school: self.other)."""

    def __init__(self, n, other_school=False, window=GUOPEI_WINDOW, stages=GUOPEI_STAGES):
        self.cred, self.platform, self.home = platform_key()
        self.s, self.school, self.teachers, self.emails = credits_school(n, platform=self.platform)
        self.other = credits_school(1)[2][0] if other_school else None
        self.pid = "gp-" + self.s
        r = create_program(self.pid, window[0], window[1], scope={"kind": "schools", "ids": [self.school]},
                           stages=stages)
        eq([(x["start"], x["end"]) for x in r[2]["stages"]], list(stages), "stages of the created program")
        eq(r[2]["template"], "guopei-2015", "template of the created program")
        wait_directory(self.pid, self.teachers + ([self.other] if self.other else []))

    def agent(self, i):
        return mbox(self.emails[i])

    def post(self, statements, what="statements"):
        r = post_statements(self.cred, statements)
        eq(r[0], 200, "POST %s (%r)" % (what, r))
        return r[2]

    def transcript(self, i):
        return transcript_ok(self.pid, self.teachers[i])
