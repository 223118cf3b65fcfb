"""Probes, request ids, authentication."""
import time

import yx
from yx import check, eq


def test_healthz_readyz_metrics():
    r = yx.get("/healthz")
    eq(r[0], 200, "GET /healthz")
    r = yx.get("/readyz")
    eq(r[0], 200, "GET /readyz (%r)" % (r,))
    yx.get("/api/v1/districts", yx.county())  # at least one counted API request
    r = yx.get("/metrics")
    eq(r[0], 200, "GET /metrics")
    text = r.body.decode("utf-8")
    check("yanxiu_http_requests_total" in text, "/metrics lacks yanxiu_http_requests_total: %r" % text[:300])
    check(r[1].get("content-type", "").startswith("text/plain"),
          "/metrics content-type %r" % r[1].get("content-type"))


def test_request_id_echoed_and_generated():
    r = yx.get("/healthz", headers={"X-Request-Id": "e2e-req-42"})
    eq(r[1].get("x-request-id"), "e2e-req-42", "X-Request-Id echoed on /healthz")
    r = yx.get("/api/v1/districts")  # error responses carry one too
    eq(r[0], 401, "GET /api/v1/districts without a key")
    check(r[1].get("x-request-id"), "401 response without X-Request-Id: %r" % r[1])


def test_unknown_route_404():
    for path in ("/api/v1/nope", "/api/v2/schools", "/api/v1/schools/x/y/z"):
        r = yx.get(path, yx.county())
        eq(r[0], 404, "GET %s (%r)" % (path, r))
        check(isinstance(r[2], dict) and r[2].get("error"), "GET %s: body not a JSON error: %r" % (path, r))
    r = yx.get("/api/v1/teachers/no-such-teacher-" + yx.sfx(), yx.county())
    eq(r[0], 404, "unknown teacher (%r)" % (r,))
    r = yx.get("/api/v1/schools/no-such-school-" + yx.sfx(), yx.county())
    eq(r[0], 404, "unknown school (%r)" % (r,))


def test_unauthenticated_401():
    cases = [("no key", {}),
             ("bad bearer", {"token": "yx_nosuchkey_0123456789abcdef"}),
             ("garbage bearer", {"token": "garbage"}),
             ("bad basic", {"basic": "nosuch:secret"})]
    for what, kw in cases:
        for path in ("/api/v1/districts", "/api/v1/schools"):
            r = yx.get(path, **kw)
            eq(r[0], 401, "%s on GET %s (%r)" % (what, path, r))
            check(isinstance(r[2], dict) and r[2].get("error"), "%s: 401 body not JSON error: %r" % (what, r))
    # a wrong secret for an existing key id is refused too
    tok = yx.county()
    kid = yx.key_id(tok)
    r = yx.get("/api/v1/districts", token="yx_%s_%s" % (kid, "0" * 32))
    eq(r[0], 401, "right key id, wrong secret (%r)" % (r,))
    r = yx.upload(yx.bundle("bulk", {"orgs.csv": [yx.org("sch-" + yx.sfx(), "x", "school")]}),
                  token="yx_nosuchkey_secret")
    eq(r[0], 401, "upload with a bad key (%r)" % (r,))


def test_revoked_key_refused():
    tok = yx.create_key("county_admin")
    r = yx.get("/api/v1/districts", tok)
    eq(r[0], 200, "fresh county key (%r)" % (r,))
    kid = yx.key_id(tok)
    listed = yx.ctl("key", "list").stdout
    check(kid in listed, "key id %s not in `key list`: %r" % (kid, listed[-500:]))
    yx.ctl("key", "revoke", kid)
    # revocation reaches the gateway asynchronously: allow it one second
    deadline = time.time() + 1
    while True:
        r = yx.get("/api/v1/districts", tok)
        if r[0] != 200 or time.time() > deadline:
            break
        time.sleep(0.02)
    check(r[0] in (401, 403), "revoked key still accepted 1 s after `key revoke`: %r" % (r,))
    r = yx.upload(yx.bundle("bulk", {"orgs.csv": [yx.org("sch-" + yx.sfx(), "x", "school")]}), token=tok)
    check(r[0] in (401, 403), "upload with a revoked key: %r" % (r,))
    # the other keys keep working
    eq(yx.get("/api/v1/districts", yx.county())[0], 200, "another county key after a revoke")
