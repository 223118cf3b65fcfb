"""Certificates: issued to teachers who passed, signed with the county's Ed25519 key, checked
offline with `yanxiuctl cert verify` and online at /verify/{id}, revoked."""
import json
import os
import subprocess
import tempfile

import yx
from yx import check, eq

_at = yx.local_time


def _pubkey():
    path = os.path.join(yx.VAR_DIR, "keys", "county-ed25519.pub.pem")
    check(os.path.isfile(path), "the county's public key is published at %s" % path)
    return path


def _verify_offline(doc_text, pubkey):
    """yanxiuctl cert verify on a file holding doc_text: (exit status, stdout, stderr)."""
    fd, path = tempfile.mkstemp(prefix="yx-cert-", suffix=".json")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(doc_text.encode("utf-8"))
        p = subprocess.run([yx.CTL, "cert", "verify", path, "--pubkey", pubkey], capture_output=True,
                           text=True, timeout=30)
        return p.returncode, p.stdout, p.stderr
    finally:
        os.unlink(path)


def _verify_online(cid, accept="application/json"):
    return yx.get("/verify/" + cid, headers={"Accept": accept})


def test_certificate_verifies_and_fails_after_one_byte_changes():
    x = yx.CreditsSetup(2)
    a = x.agent(0)
    # A passes: 5 articles (40) + 5 meetings (15) + 2 hours in stage 2 (4) = 59, then the school's
    # offline score 20 with 3 activities attended: 79
    sts = [yx.statement(a, "passed", _at("2015-10-1%d" % i), activity_type="assessment") for i in range(5)]
    sts += [yx.statement(a, "attended", _at("2015-11-1%d" % i), activity_type="meeting") for i in range(5)]
    sts += [yx.statement(a, "experienced", _at("2015-10-20"), minutes=120)]
    sts += [yx.statement(x.agent(1), "experienced", _at("2015-10-20"), minutes=30)]
    x.post(sts)
    r = yx.request("POST", "/api/v1/programs/%s/grades" % x.pid, token=yx.county(), content_type="application/json",
                   body=json.dumps({"teacher_id": x.teachers[0], "offline_score": 20, "offline_attended": 3}).encode())
    eq((r[0], r[2] and r[2].get("total_points"), r[2] and r[2].get("passed")), (200, 79, True),
       "A's grade: status, total, passed (%r)" % (r,))

    path = "/api/v1/programs/%s/certificates" % x.pid
    body = json.dumps({"teacher_ids": x.teachers}).encode()
    admin = yx.create_key("school_admin", school=x.school)
    r = yx.request("POST", path, body=body, token=admin, content_type="application/json")
    eq(r[0], 403, "a school admin issuing certificates (%r)" % (r,))
    r = yx.request("POST", path, body=body, token=yx.county(), content_type="application/json")
    eq(r[0], 200, "issuing certificates (%r)" % (r,))
    eq(len(r[2]["issued"]), 1, "certificates issued (%r)" % (r,))
    eq([(f["teacher_id"], f["reason"].split(" (")[0]) for f in r[2]["refused"]],
       [(x.teachers[1], "did not pass")], "refusals")
    doc = r[2]["issued"][0]
    payload = doc["payload"]
    eq((payload["teacher_id"], payload["program_id"], payload["total_points"], payload["passed"],
        payload["school_id"]), (x.teachers[0], x.pid, 79, True, x.school), "the certificate's payload")
    eq(doc.get("algorithm"), "Ed25519", "the signature's algorithm")
    cid = payload["certificate_id"]

    r = yx.request("POST", path, body=json.dumps({"teacher_ids": [x.teachers[0]]}).encode(), token=yx.county(),
                   content_type="application/json")
    eq((r[0], [d["payload"]["certificate_id"] for d in r[2]["issued"]]), (200, [cid]),
       "issuing again answers the same certificate")

    # offline, as anyone holding the county's public key
    pub = _pubkey()
    text = json.dumps(doc, ensure_ascii=False, indent=1)
    rc, out, err = _verify_offline(text, pub)
    eq(rc, 0, "yanxiuctl cert verify of the certificate (stdout %r, stderr %r)" % (out, err))
    check(out.startswith("valid") and cid in out and x.teachers[0] in out, "verify output: %r" % out)
    # one byte of the payload changed: 79 points become 99 (still valid JSON)
    i = text.index('"total_points": 79')
    tampered = text[:i + 16] + "9" + text[i + 17:]
    eq(len(tampered.encode()), len(text.encode()), "one byte replaced")
    eq(sum(p != q for p, q in zip(tampered.encode(), text.encode())), 1, "bytes that differ")
    eq(json.loads(tampered)["payload"]["total_points"], 99, "the tampered payload still parses")
    rc, out, err = _verify_offline(tampered, pub)
    eq(rc, 1, "yanxiuctl cert verify of a tampered certificate (stdout %r, stderr %r)" % (out, err))
    check("invalid" in err and "valid:" not in out, "the tampered certificate is called invalid: %r %r" % (out, err))
    # the same byte in another field of the payload, and a byte of the signature
    j = text.index(x.s, text.index('"teacher_id"'))
    for what, bad in (("teacher id", text[:j] + ("0" if text[j] != "0" else "1") + text[j + 1:]),):
        rc, out, err = _verify_offline(bad, pub)
        eq(rc, 1, "offline verify with the %s changed (%r)" % (what, err))
    sig = doc["signature"]
    flipped = dict(doc, signature=("B" if sig[0] != "B" else "C") + sig[1:])
    rc, out, err = _verify_offline(json.dumps(flipped), pub)
    eq(rc, 1, "offline verify with the signature changed (%r)" % (err,))
    rc, out, err = _verify_offline(text, os.path.join(yx.VAR_DIR, "keys", "no-such.pub.pem"))
    eq(rc, 2, "offline verify without the public key file (%r)" % (err,))

    # online: public, no key needed
    r = _verify_online(cid)
    eq(r[0], 200, "GET /verify/%s (%r)" % (cid, r))
    eq((r[2]["certificate_id"], r[2]["valid"], r[2]["revoked"], r[2]["teacher_name"], r[2]["program_name"],
        r[2]["issued_at"]),
       (cid, True, False, payload["teacher_name"], payload["program_name"], payload["issued_at"]), "/verify answer")
    eq(r[1].get("cache-control"), "no-store", "Cache-Control of /verify")
    r = _verify_online(cid, "text/html")
    eq(r[0], 200, "GET /verify as HTML (%r)" % (r,))
    check(r[1].get("content-type", "").startswith("text/html") and cid in r.body.decode("utf-8"),
          "the HTML page names the certificate: %r" % (r,))
    for bad in (yx.new_uuid(), "not-a-uuid", cid[:-1]):
        r = _verify_online(bad)
        eq(r[0], 404, "GET /verify/%s (%r)" % (bad, r))

    # the teacher reads their certificate; another teacher does not
    mine = yx.create_key("teacher", teacher=x.teachers[0])
    theirs = yx.create_key("teacher", teacher=x.teachers[1])
    r = yx.get("/api/v1/certificates/" + cid, mine)
    eq((r[0], r[2] and r[2].get("payload")), (200, payload), "the teacher's own certificate (%r)" % (r,))
    rc, out, err = _verify_offline(r.body.decode("utf-8"), pub)
    eq(rc, 0, "the certificate as GET answers it verifies offline (%r)" % (err,))
    r = yx.get("/api/v1/certificates/" + cid, theirs)
    eq(r[0], 404, "another teacher's certificate (%r)" % (r,))

    # revoked: /verify says so at once; offline the signature still holds (README)
    r = yx.request("POST", "/api/v1/certificates/%s/revoke" % cid, token=yx.county(),
                   content_type="application/json", body=json.dumps({"reason": "e2e: issued in error"}).encode())
    eq(r[0], 200, "revoking (%r)" % (r,))
    r = _verify_online(cid)
    eq((r[0], r[2]["valid"], r[2]["revoked"], r[2]["revoke_reason"]), (200, False, True, "e2e: issued in error"),
       "/verify of a revoked certificate")
    r = yx.request("POST", "/api/v1/certificates/%s/revoke" % cid, token=yx.county(),
                   content_type="application/json", body=json.dumps({"reason": "again"}).encode())
    eq((r[0], r[2] and r[2].get("revoke_reason")), (200, "e2e: issued in error"),
       "revoking twice: the first reason stands (%r)" % (r,))
    eq(_verify_online(cid)[2]["revoke_reason"], "e2e: issued in error", "/verify: the first reason stands")
    r = yx.request("POST", path, body=json.dumps({"teacher_ids": [x.teachers[0]]}).encode(), token=yx.county(),
                   content_type="application/json")
    eq(r[0], 200, "issuing after the revocation (%r)" % (r,))
    new = r[2]["issued"][0]["payload"]["certificate_id"]
    check(new != cid, "a new certificate after the revocation")
    eq(_verify_online(new)[2]["valid"], True, "the new certificate is valid")
