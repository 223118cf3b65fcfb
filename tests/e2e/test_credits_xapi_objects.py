"""The Activities and Agents resources: an activity's definition and an agent's Person, as
the platform's own statements give them (the county's key reads every platform's)."""
import json

import yx
from yx import check, eq


def _activity(activity_id, cred=None, token=None):
    return yx.xapi("GET", "/xapi/activities?activityId=" + yx.urlquote(activity_id), cred=cred, token=token)


def _agent(agent, cred=None, token=None):
    return yx.xapi("GET", "/xapi/agents?agent=" + yx.urlquote(json.dumps(agent, ensure_ascii=False)),
                   cred=cred, token=token)


def test_activities_and_agents_from_the_platforms_statements():
    cred, _, _ = yx.platform_key()
    other, _, _ = yx.platform_key()
    email = "obj-%s@x.example.cn" % yx.sfx()
    course = "http://lms.example.cn/courses/" + yx.sfx()
    first = yx.statement(dict(yx.mbox(email), name="张伟"), "experienced", "2026-03-02T10:00:00+08:00",
                         activity=course, activity_type="course")
    first["object"]["definition"]["name"] = {"zh-CN": "课堂观察（旧名）"}
    later = yx.statement(dict(yx.mbox(email), name="Zhang Wei"), "completed", "2026-03-03T10:00:00+08:00",
                         activity=course, activity_type="course")
    later["object"]["definition"]["name"] = {"zh-CN": "课堂观察"}
    bare = yx.statement(yx.mbox(email), "experienced", "2026-03-04T10:00:00+08:00", activity=course)
    r = yx.post_statements(cred, [first, later, bare])
    eq(r[0], 200, "POST the statements (%r)" % (r,))

    r = _activity(course, cred)
    eq(r[0], 200, "GET /xapi/activities (%r)" % (r,))
    eq(r[2], {"objectType": "Activity", "id": course,
              "definition": {"name": {"zh-CN": "课堂观察"}, "type": yx.ACT_TYPE["course"]}},
       "the definition of the latest statement that has one")
    unknown = "http://lms.example.cn/courses/never-" + yx.sfx()
    eq(_activity(unknown, cred)[2], {"objectType": "Activity", "id": unknown}, "an unknown activity: its id")
    eq(_activity(course, other)[2], {"objectType": "Activity", "id": course},
       "another platform does not see this platform's definitions")
    eq(_activity(course, token=yx.county())[2]["definition"]["name"], {"zh-CN": "课堂观察"},
       "the county's key reads every platform's")

    r = _agent(yx.mbox(email), cred)
    eq(r[0], 200, "GET /xapi/agents (%r)" % (r,))
    eq(r[2], {"objectType": "Person", "name": ["Zhang Wei", "张伟"], "mbox": ["mailto:" + email]},
       "the Person with every name the statements gave")
    eq(_agent(yx.mbox(email), other)[2], {"objectType": "Person", "mbox": ["mailto:" + email]},
       "another platform learns no names")
    account = yx.account("https://lms.example.cn/", "u-" + yx.sfx())
    eq(_agent(account, cred)[2], {"objectType": "Person", "account": [account["account"]]},
       "an account the LRS never saw")


def test_activities_and_agents_bad_parameters():
    cred, _, _ = yx.platform_key()
    cases = [
        ("/xapi/activities", 400, "activityId: required"),
        ("/xapi/activities?activityId=not-an-iri", 400, "activityId"),
        ("/xapi/activities?activityId=http%3A%2F%2Fx.cn%2Fa&agent=1", 400, "unknown parameter agent"),
        ("/xapi/agents", 400, "agent: required"),
        ("/xapi/agents?agent=%7B", 400, "not valid JSON"),
        ("/xapi/agents?agent=" + yx.urlquote('{"mbox":"zw@x.cn"}'), 400, "agent.mbox"),
        ("/xapi/agents?agent=" + yx.urlquote('{"objectType":"Group","member":[{"mbox":"mailto:a@x.cn"}]}'),
         400, "anonymous Group"),
    ]
    for path, status, reason in cases:
        r = yx.xapi("GET", path, cred=cred)
        eq(r[0], status, "%s (%r)" % (path, r))
        check(reason in (r[2] or {}).get("error", ""), "%s: the error names it: %r" % (path, r[2]))
    r = yx.xapi("POST", "/xapi/agents", {"mbox": "mailto:a@x.cn"}, cred=cred)
    eq(r[0], 405, "POST /xapi/agents (%r)" % (r,))
    r = yx.xapi("GET", "/xapi/activities?activityId=http%3A%2F%2Fx.cn%2Fa", version=None, cred=cred)
    eq(r[0], 400, "the version header is required here too (%r)" % (r,))
