"""The xAPI alternate request syntax: a POST with ?method=M whose form body carries the
headers, the content and the query parameters. The same resources answer it as they answer
the usual syntax, and a malformed one is refused with the reason and changes nothing."""
import base64
import json
import urllib.parse

import yx
from yx import check, eq

FORM = "application/x-www-form-urlencoded"


def _alt(method, path, form, cred=None, query=None, ctype=FORM, headers=None):
    """POST path?method=M (plus `query` verbatim) with `form` url-encoded as the body; the
    credential goes into the form as Authorization unless headers carry one."""
    form = dict(form)
    if cred:
        form["Authorization"] = "Basic " + base64.b64encode(cred.encode()).decode()
    body = urllib.parse.urlencode(form).encode()
    target = "%s?method=%s%s" % (path, method, query or "")
    return yx.request("POST", target, body=body, content_type=ctype, headers=headers)


def _version(**kw):
    return dict({"X-Experience-API-Version": yx.XAPI_VERSION}, **kw)


def _count(cred, agent):
    r = yx.xapi("GET", "/xapi/statements?agent=" + yx.urlquote(json.dumps(agent)), cred=cred)
    eq(r[0], 200, "GET the agent's statements (%r)" % (r,))
    return len(r[2]["statements"])


def test_statements_through_the_alternate_syntax():
    cred, _, _ = yx.platform_key()
    agent = yx.mbox("alt-%s@x.example.cn" % yx.sfx())
    sid = yx.new_uuid()
    st = yx.statement(agent, "experienced", "2026-03-02T10:00:00+08:00", minutes=30)

    # PUT with statementId in the form; the content's type defaults to JSON
    r = _alt("PUT", "/xapi/statements", _version(statementId=sid, content=json.dumps(st)), cred)
    eq(r[0], 204, "PUT through the alternate syntax (%r)" % (r,))
    eq(r[1].get("x-experience-api-version"), "1.0.3", "the version header of the form is answered")
    # GET by id: the query parameter travels in the form
    r = _alt("GET", "/xapi/statements", _version(statementId=sid), cred)
    eq((r[0], r[2] and r[2].get("id")), (200, sid), "GET through the alternate syntax (%r)" % (r,))
    eq(r[2]["actor"]["mbox"], agent["mbox"], "the statement as it was PUT")
    # POST of an array, Authorization as a real header, Content-Type in the form, Chinese text
    second = yx.statement(agent, "completed", "2026-03-02T11:00:00+08:00")
    second["object"]["definition"] = {"name": {"zh-CN": "课堂观察 + 反思"}}
    auth = {"Authorization": "Basic " + base64.b64encode(cred.encode()).decode()}
    r = _alt("POST", "/xapi/statements",
             _version(**{"Content-Type": "application/json", "content": json.dumps([second], ensure_ascii=False)}),
             headers=auth)
    eq(r[0], 200, "POST through the alternate syntax (%r)" % (r,))
    new_id = r[2][0]
    r = yx.xapi("GET", "/xapi/statements?statementId=" + new_id, cred=cred)
    eq(r[2]["object"]["definition"]["name"]["zh-CN"], "课堂观察 + 反思", "'+' and UTF-8 decoded once")
    # a filtered query with every parameter in the form, answered like the usual GET
    r = _alt("GET", "/xapi/statements", _version(agent=json.dumps(agent), limit="1", ascending="true"), cred)
    eq(r[0], 200, "a filtered GET through the alternate syntax (%r)" % (r,))
    eq([s["id"] for s in r[2]["statements"]], [sid], "the first of the agent's statements")
    check(r[2].get("more"), "a more link to the rest: %r" % (r[2],))


def test_documents_through_the_alternate_syntax():
    cred, _, _ = yx.platform_key()
    key = {"activityId": "http://lms.example.cn/courses/" + yx.sfx(),
           "agent": json.dumps(yx.mbox("alt-doc-%s@x.example.cn" % yx.sfx())), "stateId": "notes"}
    r = _alt("PUT", "/xapi/activities/state",
             _version(**key, **{"Content-Type": "text/plain", "content": "第一页 & more"}), cred)
    eq(r[0], 204, "PUT a state document through the alternate syntax (%r)" % (r,))
    r = _alt("GET", "/xapi/activities/state", _version(**key), cred)
    eq((r[0], r.body.decode(), r[1].get("content-type")), (200, "第一页 & more", "text/plain"),
       "GET it back through the alternate syntax")
    etag = r[1].get("etag")
    r = _alt("PUT", "/xapi/activities/state",
             _version(**key, **{"If-Match": '"%s"' % ("0" * 40), "Content-Type": "text/plain", "content": "x"}), cred)
    eq(r[0], 412, "If-Match in the form is a precondition like the header (%r)" % (r,))
    r = _alt("DELETE", "/xapi/activities/state", _version(**key, **{"If-Match": etag}), cred)
    eq(r[0], 204, "DELETE through the alternate syntax (%r)" % (r,))
    r = yx.xapi("GET", "/xapi/activities/state?" + urllib.parse.urlencode(key), cred=cred)
    eq(r[0], 404, "the document is gone (%r)" % (r,))


def test_malformed_alternate_requests_change_nothing():
    cred, _, _ = yx.platform_key()
    auth = "Basic " + base64.b64encode(cred.encode()).decode()
    agent = yx.mbox("alt-bad-%s@x.example.cn" % yx.sfx())
    content = json.dumps([yx.statement(agent, "experienced", "2026-03-02T10:00:00+08:00", minutes=5)])

    def form(**fields):
        return urllib.parse.urlencode(dict(_version(content=content, Authorization=auth), **fields))

    cases = [  # what, ?method= and more, the form body, its Content-Type, what the error names
        ("another query parameter", "POST&limit=1", form(), FORM, "only method"),
        ("an unknown method", "PATCH", form(), FORM, "method must be"),
        ("a JSON body", "POST", form(), "application/json", "x-www-form-urlencoded"),
        ("content given twice", "POST", form() + "&content=" + yx.urlquote(content), FORM, "given twice"),
        ("a header value with a line break", "POST", form(**{"If-None-Match": "a\r\nX-Evil: 1"}), FORM,
         "not a valid header value"),
        ("no version", "POST", urllib.parse.urlencode({"content": content, "Authorization": auth}), FORM,
         "X-Experience-API-Version"),
        ("an invalid statement", "POST", form(content=content.replace('"verb"', '"verbs"')), FORM, "verb"),
        ("a NUL byte in the content", "POST", form(content=content + "\x00"), FORM, "NUL"),
    ]
    for what, method, body, ctype, reason in cases:
        r = yx.request("POST", "/xapi/statements?method=" + method, body=body.encode(), content_type=ctype)
        eq(r[0], 400, "%s is refused (%r)" % (what, r))
        check(reason in (r[2] or {}).get("error", ""), "%s: the reason names it: %r" % (what, r[2]))
    eq(_count(cred, agent), 0, "nothing was stored by the refused requests")
    r = yx.xapi("GET", "/xapi/statements?method=GET", cred=cred)
    eq(r[0], 400, "?method= on a GET (%r)" % (r,))
    r = yx.request("POST", "/xapi/statements?method=POST", content_type=FORM,
                   body=form(Authorization="Basic " + base64.b64encode(b"nokey:nosecret").decode()).encode())
    eq(r[0], 401, "a wrong credential in the form (%r)" % (r,))
    eq(_count(cred, agent), 0, "still nothing stored")
