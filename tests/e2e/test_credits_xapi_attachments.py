"""Statements with attachments (multipart/mixed) and signed statements: parts stored once and
returned with GET ?attachments=true; every malformed request refused with its reason and
nothing stored; a JWS signature checked against its statement and its x5c certificate."""
import base64
import hashlib
import json
import os
import subprocess
import tempfile

import yx
from yx import check, eq

SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"
BOUNDARY = "yx-test-boundary"


def _attachment(data, content_type="text/plain", usage="http://lms.example.cn/usage/report", **extra):
    return dict({"usageType": usage, "display": {"zh-CN": "附件"}, "contentType": content_type,
                 "length": len(data), "sha2": hashlib.sha256(data).hexdigest()}, **extra)


def _part(data, content_type="text/plain", sha2=None, encoding="binary"):
    head = "Content-Type: %s\r\n" % content_type
    if encoding:
        head += "Content-Transfer-Encoding: %s\r\n" % encoding
    if sha2 is not False:
        head += "X-Experience-API-Hash: %s\r\n" % (sha2 or hashlib.sha256(data).hexdigest())
    return head.encode() + b"\r\n" + data


def _multipart(statements, parts, first_type="application/json"):
    body = ("--%s\r\nContent-Type: %s\r\n\r\n" % (BOUNDARY, first_type)).encode()
    body += json.dumps(statements, ensure_ascii=False).encode()
    for p in parts:
        body += ("\r\n--%s\r\n" % BOUNDARY).encode() + p
    return body + ("\r\n--%s--\r\n" % BOUNDARY).encode()


def _post(cred, body, method="POST", query="", ctype="multipart/mixed; boundary=" + BOUNDARY):
    return yx.request(method, "/xapi/statements" + query, body=body, basic=cred, content_type=ctype,
                      headers={"X-Experience-API-Version": yx.XAPI_VERSION})


def _parts_of(reply):
    """The parts of a multipart/mixed answer: [(headers {lower name: value}, bytes)]."""
    ctype = reply[1].get("content-type", "")
    check(ctype.startswith("multipart/mixed; boundary="), "a multipart answer: %r" % ctype)
    delim = b"--" + ctype.split("boundary=", 1)[1].encode()
    out = []
    chunks = reply.body.split(b"\r\n" + delim)
    check(chunks[0].startswith(delim), "the answer opens with its boundary")
    chunks[0] = chunks[0][len(delim):]
    for chunk in chunks:
        if chunk.startswith(b"--"):
            break
        check(chunk.startswith(b"\r\n"), "a line break after each delimiter")
        head, _, data = chunk[2:].partition(b"\r\n\r\n")
        headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n") if line)
        out.append(({k.lower(): v for k, v in headers.items()}, data))
    return out


def _statement(email, attachments):
    st = yx.statement(yx.mbox(email), "experienced", "2026-03-02T10:00:00+08:00", minutes=10)
    st["attachments"] = attachments
    return st


def test_attachments_are_stored_and_returned():
    cred, _, _ = yx.platform_key()
    email = "att-%s@x.example.cn" % yx.sfx()
    report = "课堂观察报告\r\n--%sX\r\n原样保存".encode() % BOUNDARY[:-1].encode()  # nearly a delimiter
    image = bytes(range(256)) * 40
    one = _statement(email, [_attachment(report), _attachment(image, "image/png")])
    two = _statement(email, [_attachment(report)])  # two statements, one part for both
    r = _post(cred, _multipart([one, two], [_part(report), _part(image, "image/png")]))
    eq(r[0], 200, "POST statements with their attachments (%r)" % (r,))
    ids = r[2]
    r = yx.xapi("GET", "/xapi/statements?attachments=true&statementId=" + ids[0], cred=cred)
    eq(r[0], 200, "GET one statement with attachments=true (%r)" % (r,))
    parts = _parts_of(r)
    eq(len(parts), 3, "the statement, then its two attachments")
    eq(json.loads(parts[0][1])["id"], ids[0], "the statement first")
    got = {h["x-experience-api-hash"]: (h["content-type"], data) for h, data in parts[1:]}
    eq(got, {hashlib.sha256(report).hexdigest(): ("text/plain", report),
             hashlib.sha256(image).hexdigest(): ("image/png", image)}, "each attachment's bytes as sent")
    r = yx.xapi("GET", "/xapi/statements?attachments=true&agent=" + yx.urlquote(json.dumps(yx.mbox(email))),
                cred=cred)
    parts = _parts_of(r)
    eq(len(json.loads(parts[0][1])["statements"]), 2, "both statements")
    eq(len(parts), 3, "each attachment once, though two statements name the report")
    r = yx.xapi("GET", "/xapi/statements?statementId=" + ids[1], cred=cred)
    eq((r[0], r[1].get("content-type")), (200, "application/json"), "without attachments=true: JSON")
    # a PUT with its attachment, and an attachment with a fileUrl needs no part
    sid = yx.new_uuid()
    three = _statement(email, [_attachment(b"x" * 10, fileUrl="https://files.example.cn/x")])
    eq(_post(cred, _multipart(three, []), "PUT", "?statementId=" + sid)[0], 204,
       "PUT of one statement whose attachment has a fileUrl, as multipart")
    r = yx.post_statements(cred, [_statement(email, [_attachment(b"y", fileUrl="https://files.example.cn/y")])])
    eq(r[0], 200, "a fileUrl attachment in a JSON request (%r)" % (r,))


def test_malformed_attachment_requests_store_nothing():
    cred, _, _ = yx.platform_key()
    email = "att-bad-%s@x.example.cn" % yx.sfx()
    data = b"the report"
    st = _statement(email, [_attachment(data)])
    cases = [  # what, body, Content-Type, what the error names
        ("no part for the attachment", _multipart([st], []), None, "no part of the request"),
        ("a part no attachment names", _multipart([st], [_part(data), _part(b"other")]), None,
         "belongs to no attachment"),
        ("a part whose bytes do not match its hash", _multipart([st], [_part(data, sha2="ab" * 32)]), None,
         "do not hash"),
        ("a part without its hash", _multipart([st], [_part(data, sha2=False)]), None, "X-Experience-API-Hash"),
        ("a part not sent as binary", _multipart([st], [_part(data, encoding="base64")]), None, "binary"),
        ("statements not first", _multipart([st], [_part(data)], first_type="text/plain"), None,
         "first part"),
        ("no boundary", _multipart([st], [_part(data)]), "multipart/mixed", "boundary"),
        ("no closing delimiter", _multipart([st], [_part(data)])[:-20], None, "closing delimiter"),
        ("an attachment without fileUrl in a JSON request", json.dumps([st]).encode(), "application/json",
         "multipart/mixed"),
        ("a signature with the wrong contentType",
         _multipart([_statement(email, [_attachment(data, usage=SIGNATURE)])], [_part(data)]), None,
         "application/octet-stream"),
    ]
    for what, body, ctype, reason in cases:
        r = _post(cred, body, ctype=ctype or "multipart/mixed; boundary=" + BOUNDARY)
        eq(r[0], 400, "%s is refused (%r)" % (what, r))
        check(reason in (r[2] or {}).get("error", ""), "%s: the error names it: %r" % (what, r[2]))
    r = yx.xapi("GET", "/xapi/statements?agent=" + yx.urlquote(json.dumps(yx.mbox(email))), cred=cred)
    eq(r[2]["statements"], [], "nothing was stored")


# --- signed statements -------------------------------------------------------------------

def _b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class _Signer:
    """An RSA key and its self-signed certificate, made with the openssl command."""

    def __init__(self, d):
        self.key = os.path.join(d, "key-%s.pem" % yx.sfx())
        cert = self.key.replace("key-", "cert-")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", self.key,
                        "-out", cert, "-subj", "/CN=platform.example.cn", "-days", "2"],
                       check=True, capture_output=True)
        der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"], check=True,
                             capture_output=True).stdout
        self.x5c = base64.b64encode(der).decode()

    def jws(self, payload, alg="RS256", x5c=None, key=None):
        header = {"alg": alg, "x5c": [x5c or self.x5c]}
        signing_input = "%s.%s" % (_b64url(json.dumps(header).encode()),
                                   _b64url(json.dumps(payload, ensure_ascii=False).encode()))
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key or self.key], input=signing_input.encode(),
                             check=True, capture_output=True).stdout
        return (signing_input + "." + _b64url(sig)).encode()


def _signed(statement, jws):
    st = json.loads(json.dumps(statement))
    st.setdefault("attachments", []).append(
        _attachment(jws, "application/octet-stream", usage=SIGNATURE))
    return _multipart([st], [_part(jws, "application/octet-stream")])


def test_signed_statements():
    cred, _, _ = yx.platform_key()
    email = "signed-%s@x.example.cn" % yx.sfx()
    with tempfile.TemporaryDirectory() as d:
        signer, stranger = _Signer(d), _Signer(d)
        st = yx.statement(yx.mbox(email), "passed", "2026-03-02T10:00:00+08:00", score=88)
        st["id"] = yx.new_uuid()
        jws = signer.jws(st)
        r = _post(cred, _signed(st, jws))
        eq(r[0], 200, "a statement signed with RS256 and its certificate (%r)" % (r,))
        r = yx.xapi("GET", "/xapi/statements?attachments=true&statementId=" + st["id"], cred=cred)
        parts = _parts_of(r)
        eq(parts[1][1], jws, "the signature part is returned as it was sent")
        eq(parts[1][0]["content-type"], "application/octet-stream", "as application/octet-stream")

        other = dict(st, id=yx.new_uuid())
        tampered = dict(other, result={"score": {"raw": 99}})
        cases = [
            ("a payload that is another statement", _signed(other, signer.jws(tampered)), "not the statement"),
            ("an HMAC algorithm", _signed(other, signer.jws(other, alg="HS256")), "RS256"),
            ("a signature by another key", _signed(other, signer.jws(other, key=stranger.key)), "does not verify"),
            ("not a JWS", _signed(other, b"not a jws at all"), "compact serialization"),
        ]
        for what, body, reason in cases:
            r = _post(cred, body)
            eq(r[0], 400, "%s is refused (%r)" % (what, r))
            check(reason in (r[2] or {}).get("error", ""), "%s: the error names it: %r" % (what, r[2]))
        r = yx.xapi("GET", "/xapi/statements?statementId=" + other["id"], cred=cred)
        eq(r[0], 404, "none of them was stored (%r)" % (r,))
        # the LRS's own id: a payload without one signs the statement it was given
        bare = yx.statement(yx.mbox(email), "passed", "2026-03-03T10:00:00+08:00", score=90)
        r = _post(cred, _signed(bare, signer.jws(bare)))
        eq(r[0], 200, "a signed statement without id (%r)" % (r,))
