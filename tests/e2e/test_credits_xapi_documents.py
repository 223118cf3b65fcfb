"""The xAPI document resources: state, activity profiles and agent profiles (PUT, POST merge,
GET one or the ids, DELETE), their ETag preconditions, bad input and platform isolation."""
import datetime
import json
import time

import yx
from yx import check, eq

STATE = "/xapi/activities/state"
ACTIVITY_PROFILE = "/xapi/activities/profile"
AGENT_PROFILE = "/xapi/agents/profile"


def _q(**params):
    return "?" + "&".join("%s=%s" % (k, yx.urlquote(v if isinstance(v, str) else json.dumps(v)))
                          for k, v in params.items())


def _doc(method, path, cred, body=None, ctype="application/json", headers=None):
    hdrs = {"X-Experience-API-Version": yx.XAPI_VERSION}
    hdrs.update(headers or {})
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body, ensure_ascii=False)
    if isinstance(body, str):
        body = body.encode("utf-8")
    return yx.request(method, path, body=body, basic=cred, content_type=ctype if body is not None else None,
                      headers=hdrs)


def test_state_put_merge_list_and_delete():
    cred, _, _ = yx.platform_key()
    agent = yx.mbox("state-%s@x.example.cn" % yx.sfx())
    activity = "http://lms.example.cn/courses/" + yx.sfx()
    key = dict(activityId=activity, agent=agent)

    r = _doc("PUT", STATE + _q(stateId="bookmark", **key), cred, {"page": 3, "video": "intro"})
    eq(r[0], 204, "PUT a state document (%r)" % (r,))
    etag = r[1].get("etag")
    check(etag and etag.startswith('"') and len(etag) == 42, "PUT answers the ETag: %r" % (r[1],))
    r = _doc("GET", STATE + _q(stateId="bookmark", **key), cred)
    eq((r[0], r[2], r[1].get("etag")), (200, {"page": 3, "video": "intro"}, etag), "GET it back")
    check(r[1].get("content-type", "").startswith("application/json"), "its Content-Type is kept")
    check(r[1].get("last-modified", "").endswith("GMT"), "Last-Modified: %r" % (r[1],))

    # POST merges JSON objects; the ETag changes with the content
    r = _doc("POST", STATE + _q(stateId="bookmark", **key), cred, {"page": 4, "done": False})
    eq(r[0], 204, "POST merges (%r)" % (r,))
    r = _doc("GET", STATE + _q(stateId="bookmark", **key), cred)
    eq(r[2], {"page": 4, "video": "intro", "done": False}, "the merged document")
    check(r[1].get("etag") != etag, "a new ETag after the merge")
    r = _doc("POST", STATE + _q(stateId="bookmark", **key), cred, "[1, 2]")
    eq(r[0], 400, "POST of a JSON array onto an object (%r)" % (r,))
    r = _doc("PUT", STATE + _q(stateId="notes", **key), cred, "plain words", ctype="text/plain")
    eq(r[0], 204, "PUT a text document (%r)" % (r,))
    r = _doc("POST", STATE + _q(stateId="notes", **key), cred, {"a": 1})
    eq(r[0], 400, "POST onto a text document (%r)" % (r,))
    r = _doc("GET", STATE + _q(stateId="notes", **key), cred)
    eq((r.body, r[1].get("content-type")), (b"plain words", "text/plain"), "a text document as it was sent")

    # the ids, since a time; registrations keep documents apart
    reg = yx.new_uuid()
    eq(_doc("PUT", STATE + _q(stateId="bookmark", registration=reg, **key), cred, {"page": 1})[0], 204,
       "PUT under a registration")
    r = _doc("GET", STATE + _q(**key), cred)
    eq((r[0], r[2]), (200, ["bookmark", "notes"]), "the ids without a registration")
    r = _doc("GET", STATE + _q(registration=reg, **key), cred)
    eq(r[2], ["bookmark"], "the ids of the registration")
    time.sleep(0.05)
    mark = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")
    time.sleep(0.05)
    eq(_doc("PUT", STATE + _q(stateId="later", **key), cred, {"x": 1})[0], 204, "PUT one more")
    r = _doc("GET", STATE + _q(since=mark, **key), cred)
    eq(r[2], ["later"], "the ids changed since %s" % mark)

    # DELETE one, then every state document of the activity and agent
    eq(_doc("DELETE", STATE + _q(stateId="notes", **key), cred)[0], 204, "DELETE one")
    eq(_doc("GET", STATE + _q(stateId="notes", **key), cred)[0], 404, "gone")
    eq(_doc("DELETE", STATE + _q(**key), cred)[0], 204, "DELETE them all")
    eq(_doc("GET", STATE + _q(**key), cred)[2], [], "none left")
    eq(_doc("GET", STATE + _q(registration=reg, **key), cred)[2], ["bookmark"],
       "a registration's document is not the activity's without one")


def test_profiles_need_the_etag_to_be_replaced():
    cred, _, _ = yx.platform_key()
    activity = "http://lms.example.cn/courses/" + yx.sfx()
    where = ACTIVITY_PROFILE + _q(activityId=activity, profileId="syllabus")
    r = _doc("PUT", where, cred, {"weeks": 12}, headers={"If-None-Match": "*"})
    eq(r[0], 204, "PUT a new profile with If-None-Match: * (%r)" % (r,))
    etag = r[1]["etag"]
    r = _doc("PUT", where, cred, {"weeks": 13}, headers={"If-None-Match": "*"})
    eq(r[0], 412, "If-None-Match: * when it exists (%r)" % (r,))
    r = _doc("PUT", where, cred, {"weeks": 13})
    eq(r[0], 409, "PUT over an existing profile without a precondition (%r)" % (r,))
    r = _doc("PUT", where, cred, {"weeks": 13}, headers={"If-Match": '"%s"' % ("0" * 40)})
    eq(r[0], 412, "If-Match with another ETag (%r)" % (r,))
    r = _doc("PUT", where, cred, {"weeks": 13}, headers={"If-Match": etag})
    eq(r[0], 204, "If-Match with its ETag (%r)" % (r,))
    eq(_doc("GET", where, cred)[2], {"weeks": 13}, "replaced")
    r = _doc("DELETE", where, cred, headers={"If-Match": etag})
    eq(r[0], 412, "DELETE with a stale ETag (%r)" % (r,))
    eq(_doc("GET", ACTIVITY_PROFILE + _q(activityId=activity), cred)[2], ["syllabus"], "the profile ids")

    agent = yx.mbox("profile-%s@x.example.cn" % yx.sfx())
    where = AGENT_PROFILE + _q(agent=agent, profileId="preferences")
    eq(_doc("PUT", where, cred, {"lang": "zh-CN"})[0], 204, "PUT a new agent profile")
    eq(_doc("POST", where, cred, {"font": "large"})[0], 204, "POST merges into an agent profile")
    eq(_doc("GET", where, cred)[2], {"lang": "zh-CN", "font": "large"}, "the agent profile")
    eq(_doc("DELETE", where, cred)[0], 204, "DELETE the agent profile")
    eq(_doc("GET", where, cred)[0], 404, "gone")


def test_documents_refuse_bad_input_and_stay_with_their_platform():
    cred, _, _ = yx.platform_key()
    other, _, _ = yx.platform_key()
    agent = yx.mbox("bad-%s@x.example.cn" % yx.sfx())
    activity = "http://lms.example.cn/courses/" + yx.sfx()
    key = dict(activityId=activity, agent=agent)
    cases = [
        ("PUT", STATE + _q(stateId="s", agent=agent), "activityId"),
        ("PUT", STATE + _q(stateId="s", activityId="not an iri", agent=agent), "activityId"),
        ("PUT", STATE + _q(stateId="s", activityId=activity), "agent"),
        ("PUT", STATE + "?stateId=s&activityId=%s&agent=%s" % (yx.urlquote(activity), yx.urlquote("{not json")),
         "agent"),
        ("PUT", STATE + _q(stateId="s", agent={"name": "no identifier"}, activityId=activity), "agent"),
        ("PUT", STATE + _q(stateId="s", registration="nope", **key), "registration"),
        ("PUT", STATE + _q(**key), "stateId"),
        ("PUT", STATE + _q(stateId="s", since="2020-01-01T00:00:00Z", **key), "since"),
        ("GET", STATE + _q(since="yesterday", **key), "since"),
        ("PUT", STATE + _q(stateId="s", colour="red", **key), "colour"),
        ("DELETE", ACTIVITY_PROFILE + _q(activityId=activity), "profileId"),
        ("PUT", STATE + _q(stateId="x" * 1100, **key), "stateId"),
    ]
    for method, path, named in cases:
        r = _doc(method, path, cred, {"a": 1} if method == "PUT" else None)
        eq(r[0], 400, "%s %s (%r)" % (method, path[:80], r))
        check(named in json.dumps(r[2]), "the error names %s: %r" % (named, r[2]))
    r = _doc("PUT", STATE + _q(stateId="s", **key), cred, "{broken", ctype="application/json")
    eq(r[0], 400, "a JSON document that is not JSON (%r)" % (r,))
    r = _doc("PUT", STATE + _q(stateId="big", **key), cred, b"x" * (1024 * 1024 + 1),
             ctype="application/octet-stream")
    eq(r[0], 413, "a document over 1 MiB (%r)" % (r,))
    eq(_doc("GET", STATE + _q(**key), cred)[2], [], "nothing was stored by any of those")
    r = _doc("PUT", STATE + _q(stateId="s", **key), cred, {"a": 1}, headers={"X-Experience-API-Version": "0.9"})
    eq(r[0], 400, "an unsupported version (%r)" % (r,))

    # another platform sees none of it, and cannot delete it
    eq(_doc("PUT", STATE + _q(stateId="mine", **key), cred, {"a": 1})[0], 204, "PUT")
    eq(_doc("GET", STATE + _q(stateId="mine", **key), other)[0], 404, "another platform's GET")
    eq(_doc("GET", STATE + _q(**key), other)[2], [], "another platform's list")
    eq(_doc("DELETE", STATE + _q(**key), other)[0], 204, "another platform's DELETE touches nothing")
    eq(_doc("GET", STATE + _q(stateId="mine", **key), cred)[2], {"a": 1}, "still there")
    r = yx.request("GET", STATE + _q(stateId="mine", **key), token=yx.county(),
                   headers={"X-Experience-API-Version": yx.XAPI_VERSION})
    eq(r[0], 403, "the county administrator has no documents (%r)" % (r,))
