"""Size limits: zip bombs and oversized bodies are refused with 413."""
import io
import zipfile

import yx
from yx import check, eq


def test_zip_bomb_413():
    s, school, existing = yx.make_school(2)
    before = yx.teachers_of(school)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.csv", yx.manifest({"orgs.csv", "users.csv"}, "delta"))
        z.writestr("orgs.csv", yx.csv_bytes(yx.ORGS_H, [yx.org(school, "学校" + s, "school", mode="delta")]))
        with z.open("users.csv", "w", force_zip64=True) as f:
            f.write(",".join(yx.USERS_H).encode() + b"\n")
            chunk = b"A" * (1 << 20)
            for _ in range(300):
                f.write(chunk)
    data = buf.getvalue()
    check(len(data) < 2 * 1024 * 1024, "bomb is small on the wire (%d bytes)" % len(data))
    r = yx.upload(data, "delta")
    eq(r[0], 413, "zip bomb of %d bytes expanding to 300 MiB (%r)" % (len(data), r))
    eq(yx.teachers_of(school), before, "teachers after the zip bomb")
    eq(yx.get("/healthz")[0], 200, "gateway alive after the zip bomb")


def test_body_over_limit_413():
    s, school, existing = yx.make_school(1)
    before = yx.teachers_of(school)
    total = yx.MAX_BODY + (1 << 20)
    chunk = bytes(1 << 20)
    status, raw, err = yx.raw_post_stream("/api/v1/roster/oneroster?mode=bulk", yx.county(),
                                          "application/zip", total, (chunk for _ in range(total >> 20)))
    eq(status, 413, "POST of %d zero bytes (send error: %r; reply: %r)" % (total, err, raw[:300]))
    eq(yx.teachers_of(school), before, "teachers after the oversized body")
    eq(yx.get("/healthz")[0], 200, "gateway alive after the oversized body")
