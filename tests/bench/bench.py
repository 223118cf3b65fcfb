#!/usr/bin/env python3
"""yanxiu benchmarks, run by tests/bench/run.sh against the throwaway stack it started.

Each measurement is put beside a ceiling measured on the same machine in the same run:

  roster sync   POST of a generated 300-school OneRoster bundle (bulk on the empty store, then
                no-change re-syncs)  vs  a raw COPY of the same CSV rows into plain text tables
  gateway       wrk on GET /healthz over TLS  vs  nginx answering `return 200` with the same
                certificate and key
  bus           open-loop round-trip latency at 1,000 req/s  vs  the closed-loop maximum rate
  memory        VmRSS idle, VmHWM after everything, RSS growth over a re-sync soak
  credits       xAPI ingest, transcript and progress (bench_credits.py) vs pgbench INSERTs

Environment (set by run.sh): YANXIU_VAR_DIR (absolute), YANXIU_HTTPS_ADDR, YANXIU_ROSTER_ENDPOINT,
YANXIU_DB_URL, YANXIU_TLS_CERT, YANXIU_TLS_KEY, BENCH_NGINX_ADDR, SOAK_SECONDS.
A measurement that fails prints why and leaves a FAIL or n/a row; the others still run.
Python standard library only.
"""
import argparse
import csv
import http.client
import io
import json
import os
import re
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import time
import traceback
import zipfile
from pathlib import Path

sys.dont_write_bytecode = True  # keep the source tree clean
import bench_credits  # noqa: E402 - tests/bench/ is the script's directory

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / "build" / "bin"
VAR = Path(os.environ.get("YANXIU_VAR_DIR", ROOT / "build" / "bench-var")).resolve()
HTTPS_ADDR = os.environ.get("YANXIU_HTTPS_ADDR", "127.0.0.1:8445")
ROSTER_ENDPOINT = os.environ.get("YANXIU_ROSTER_ENDPOINT", "tcp://127.0.0.1:5621")
DB_URL = os.environ.get("YANXIU_DB_URL", "postgresql://yanxiu@127.0.0.1:15452/yanxiu")
TLS_CERT = Path(os.environ.get("YANXIU_TLS_CERT", VAR / "tls" / "cert.pem"))
TLS_KEY = Path(os.environ.get("YANXIU_TLS_KEY", VAR / "tls" / "key.pem"))
NGINX_ADDR = os.environ.get("BENCH_NGINX_ADDR", "127.0.0.1:8446")

COUNTY_ARGS = ["--districts", "10", "--schools", "300", "--teachers", "10000",
               "--students", "100000", "--classes", "3000", "--groups", "2500"]
SYNC_PATH = "/api/v1/roster/oneroster?mode=bulk"
RESYNC_REPEATS = 3
COUNTS = ("created", "updated", "deactivated", "unchanged")
CEILING_SCHEMA = "bench_ceiling"

# targets
BULK_TARGET_S = 3.0
RESYNC_TARGET_S = 1.0
GATEWAY_TARGET_RATIO = 0.50
BUS_RATE, BUS_SECONDS, BUS_P99_TARGET_MS = 1000, 10, 2.0
BUS_MAX_SECONDS, BUS_MAX_IN_FLIGHT = 5, 64
IDLE_RSS_TARGET_MIB = 20
HWM_TARGET_MIB = 200
SOAK_GROWTH_FLAG_MIB = 5
SOAK_SETTLE_S = 1.0
WRK_ARGS = ["-t2", "-c64", "-d10s"]

MiB = 1024 * 1024


class BenchError(Exception):
    """A measurement failed for a reason worth one line in the output."""


rows = []  # the table: (section, measure, yanxiu, ceiling, target, verdict)
section = 0  # rows are printed by section (1 roster, 2 gateway, 3 bus, 4 memory), then in order


def row(measure, yanxiu, ceiling, target, verdict):
    rows.append((section, measure, yanxiu, ceiling, target, verdict))


def say(msg=""):
    print(msg, flush=True)


def loud(msg):
    bar = "!" * 78
    say(f"{bar}\n!! {msg}\n{bar}")


def loadavg():
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def step(name):
    say(f"\n== {name}  (load average {loadavg()})")


def failed(name, exc):
    """Prints why a measurement failed; returns a short reason for the table."""
    if isinstance(exc, BenchError):
        reason = str(exc)
    elif isinstance(exc, subprocess.TimeoutExpired):
        reason = f"{Path(str(exc.cmd[0])).name} did not finish within {exc.timeout:.0f} s"
    else:
        reason = f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
    say(f"!! {name} failed: {reason}")
    short = reason.splitlines()[0] if reason else "?"
    return "error: " + (short[:80] + "…" if len(short) > 80 else short).replace("|", "/")


def fmt_int(n):
    return f"{n:,}"


def fmt_s(t):
    return f"{t:.2f} s"


def mib(kb):
    return kb * 1024 / MiB


# --- processes and memory -----------------------------------------------------------------

def daemons():
    """{service: pid} from the stack's pid files."""
    out = {}
    for f in sorted((VAR / "run").glob("*.pid")):
        try:
            out[f.stem] = int(f.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return out


def proc_status(pid):
    """VmRSS and VmHWM of a live process in kB."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError as e:
        raise BenchError(f"pid {pid} is gone ({e.strerror})") from e
    if re.search(r"^State:\s+Z", text, re.M):
        raise BenchError(f"pid {pid} has exited (zombie)")
    vals = {}
    for key in ("VmRSS", "VmHWM"):
        m = re.search(rf"^{key}:\s+(\d+) kB", text, re.M)
        if not m:
            raise BenchError(f"no {key} in /proc/{pid}/status")
        vals[key] = int(m.group(1))
    return vals


def alive(pid):
    try:
        return not re.search(r"^State:\s+Z", Path(f"/proc/{pid}/status").read_text(), re.M)
    except OSError:
        return False


def run(cmd, timeout, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


# --- HTTPS ----------------------------------------------------------------------------------

def tls_context():
    # the throwaway stack's certificate is self-signed for localhost; only loopback is spoken to
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def split_addr(addr):
    host, _, port = addr.rpartition(":")
    return host, int(port)


def https(method, addr, path, body=None, headers=None, timeout=300):
    """One request on a fresh connection: (status, body bytes, wall seconds incl. handshake)."""
    host, port = split_addr(addr)
    conn = http.client.HTTPSConnection(host, port, context=tls_context(), timeout=timeout)
    try:
        t0 = time.perf_counter()
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, data, time.perf_counter() - t0
    finally:
        conn.close()


# --- 1. roster sync vs COPY ------------------------------------------------------------------

class Bundle:
    def __init__(self, path):
        self.path = path
        self.body = path.read_bytes()
        self.rows = {}  # file -> data rows (header excluded)
        self.headers = {}
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if not name.endswith(".csv"):
                    continue
                text = z.read(name).decode("utf-8-sig")
                records = list(csv.reader(io.StringIO(text, newline="")))
                self.headers[name] = records[0] if records else []
                self.rows[name] = max(len(records) - 1, 0)

    @property
    def synced_files(self):
        """The files a sync reports on: every CSV but the manifest."""
        return {f: n for f, n in self.rows.items() if f != "manifest.csv"}

    @property
    def total_rows(self):
        return sum(self.synced_files.values())


def sync(bundle, token):
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/zip"}
    return https("POST", HTTPS_ADDR, SYNC_PATH, bundle.body, headers)


def check_sync(bundle, status, data, expect):
    """The 200 answer must report every row of every file under `expect`, nothing else."""
    if status != 200:
        raise BenchError(f"HTTP {status}: {data[:400].decode('utf-8', 'replace')}")
    try:
        doc = json.loads(data)
    except ValueError as e:
        raise BenchError(f"HTTP 200 but not JSON ({e}): {data[:200]!r}") from e
    bad = []
    if doc.get("applied") is not True or doc.get("dry_run") is not False:
        bad.append(f"applied={doc.get('applied')} dry_run={doc.get('dry_run')}")
    if doc.get("problems"):
        bad.append(f"{len(doc['problems'])} problems, first {doc['problems'][0]}")
    files = {f.get("file"): f for f in doc.get("files", [])}
    for name, n in sorted(bundle.synced_files.items()):
        got = files.get(name)
        if got is None:
            bad.append(f"{name} missing from the answer")
            continue
        want = {k: (n if k == expect else 0) for k in COUNTS}
        have = {k: got.get(k) for k in COUNTS}
        if have != want:
            bad.append(f"{name}: {have}, expected {want}")
    if bad:
        raise BenchError("wrong sync answer: " + "; ".join(bad))
    if doc.get("warnings"):
        say(f"   note: {len(doc['warnings'])} warnings, first {doc['warnings'][0]}")
    return doc


def psql_bin():
    found = shutil.which("psql")
    if found:
        return found
    cands = sorted(Path("/usr/lib/postgresql").glob("*/bin/psql"),
                   key=lambda p: [int(x) if x.isdigit() else 0 for x in p.parts[-3].split(".")])
    if cands:
        return str(cands[-1])
    raise BenchError("psql not found")


def psql(script, timeout=300, cwd=None, stdout=None):
    """Runs a psql script over stdin in one session; raises with psql's stderr on failure."""
    env = dict(os.environ, PGCLIENTENCODING="UTF8", PGAPPNAME="yanxiu-bench")
    cmd = [psql_bin(), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", DB_URL, "-f", "-"]
    p = subprocess.run(cmd, input=script, text=True, timeout=timeout, cwd=cwd, env=env,
                       stdout=stdout if stdout is not None else subprocess.PIPE,
                       stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise BenchError(f"psql exited {p.returncode}: {p.stderr.strip()[:400]}")
    return p.stdout if stdout is None else ""


def ident(name):
    return '"' + name.replace('"', '""') + '"'


def ceiling_copy(bundle):
    """Loads every CSV of the bundle with COPY FROM STDIN into plain text tables in one
    transaction of one psql session; then reads them back with COPY TO STDOUT.
    Returns (load seconds, rows loaded, read-back seconds)."""
    work = VAR / "ceiling"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    schema = ident(CEILING_SCHEMA)
    try:
        with zipfile.ZipFile(bundle.path) as z:
            for name in bundle.rows:
                (work / name).write_bytes(z.read(name))
        tables = {name: ident(Path(name).stem) for name in bundle.rows}
        setup = [f"DROP SCHEMA IF EXISTS {schema} CASCADE;", f"CREATE SCHEMA {schema};"]
        for name, table in tables.items():
            cols = ", ".join(f"{ident(c.strip())} text" for c in bundle.headers[name])
            setup.append(f"CREATE TABLE {schema}.{table} ({cols});")
        psql("\n".join(setup) + "\n")

        # timed: connect, one transaction of COPY FROM STDIN (psql's \copy), commit
        load = ["BEGIN;"]
        for name, table in tables.items():
            load.append(f"\\copy {schema}.{table} FROM '{name}' (FORMAT csv, HEADER true)")
        load.append("COMMIT;")
        t0 = time.perf_counter()
        psql("\n".join(load) + "\n", cwd=work)
        t_load = time.perf_counter() - t0

        counts = psql("\n".join(f"SELECT count(*) FROM {schema}.{t};" for t in tables.values()))
        loaded = [int(x) for x in counts.split()]
        want = [bundle.rows[name] for name in tables]
        if loaded != want:
            raise BenchError(f"COPY loaded {loaded} rows, the CSVs have {want}")

        # timed: every row back out through COPY TO STDOUT, the floor of a no-change compare
        read = [f"COPY {schema}.{t} TO STDOUT (FORMAT csv, HEADER true);" for t in tables.values()]
        t0 = time.perf_counter()
        psql("\n".join(read) + "\n", stdout=subprocess.DEVNULL)
        t_read = time.perf_counter() - t0
        return t_load, sum(loaded), t_read
    finally:
        try:
            psql(f"DROP SCHEMA IF EXISTS {schema} CASCADE;\n")
        except Exception as e:  # noqa: BLE001 - reported, the bench goes on
            say(f"!! could not drop schema {CEILING_SCHEMA}: {e}")
        shutil.rmtree(work, ignore_errors=True)


def bench_roster(token):
    """Returns the Bundle (for the soak) or None."""
    global section
    section = 1
    step("roster: generating the county bundle")
    zip_path = VAR / "county.zip"
    bundle = None
    try:
        p = run([sys.executable, str(ROOT / "deploy" / "demo" / "gen_county.py"), *COUNTY_ARGS,
                 "--out", str(zip_path)], timeout=180)
        if p.returncode != 0:
            raise BenchError(f"gen_county.py exited {p.returncode}: {p.stderr.strip()[-400:]}")
        bundle = Bundle(zip_path)
        say(f"   {zip_path.name}: {len(bundle.body) / MiB:.1f} MiB zipped, "
            + ", ".join(f"{f} {fmt_int(n)}" for f, n in bundle.rows.items()))
    except Exception as e:  # noqa: BLE001
        why = failed("generating the county bundle", e)
        row("Roster bulk sync", why, "", f"≤ {BULK_TARGET_S:g} s", "n/a")
        row("Roster no-change re-sync", why, "", f"≤ {RESYNC_TARGET_S:g} s", "n/a")
        return None
    if not token:
        why = "error: no county_admin key"
        say("!! no county_admin token: the sync measurements are skipped")
        row("Roster bulk sync", why, "", f"≤ {BULK_TARGET_S:g} s", "n/a")
        row("Roster no-change re-sync", why, "", f"≤ {RESYNC_TARGET_S:g} s", "n/a")
        bundle = None

    n = bundle.total_rows if bundle else 0
    label = (f"Roster bulk sync, empty store ({fmt_int(n)} rows: 300 schools, "
             "110,000 users, 103,000 enrollments…)") if bundle else ""
    bulk_ok = False
    if bundle:
        step("roster: bulk apply on the empty store")
        try:
            status, data, t = sync(bundle, token)
            say(f"   HTTP {status} in {t:.3f} s")
            try:
                check_sync(bundle, status, data, "created")
            except BenchError as e:
                loud(f"BULK SYNC FAILED: {e}")
                raise
            bulk_ok = True
            bulk = (t, n)
        except Exception as e:  # noqa: BLE001
            row(label, failed("bulk sync", e), "", f"≤ {BULK_TARGET_S:g} s", "FAIL")

    resync = None
    if bundle:
        step(f"roster: no-change re-sync, {RESYNC_REPEATS} times")
        try:
            times = []
            for i in range(RESYNC_REPEATS):
                status, data, t = sync(bundle, token)
                say(f"   #{i + 1}: HTTP {status} in {t:.3f} s")
                try:
                    check_sync(bundle, status, data, "unchanged")
                except BenchError as e:
                    loud(f"RE-SYNC FAILED: {e}")
                    raise
                times.append(t)
            resync = statistics.median(times)
        except Exception as e:  # noqa: BLE001
            resync = failed("no-change re-sync", e)

    step("roster ceiling: raw COPY of the same CSV rows (one psql session, one transaction)")
    ceil_load = ceil_read = None
    ceil_why = ""
    try:
        src = bundle or Bundle(zip_path)
        t_load, loaded, t_read = ceiling_copy(src)
        say(f"   COPY FROM: {fmt_int(loaded)} rows in {t_load:.3f} s; "
            f"COPY TO: {t_read:.3f} s")
        ceil_load = (t_load, loaded)
        ceil_read = t_read
    except Exception as e:  # noqa: BLE001
        ceil_why = failed("COPY ceiling", e)

    if bundle and bulk_ok:
        t, n = bulk
        ceiling = (f"COPY {fmt_s(ceil_load[0])} ({fmt_int(round(ceil_load[1] / ceil_load[0]))} rows/s)"
                   if ceil_load else ceil_why)
        row(label, f"{fmt_s(t)} ({fmt_int(round(n / t))} rows/s)", ceiling,
            f"≤ {BULK_TARGET_S:g} s", "PASS" if t <= BULK_TARGET_S else "FAIL")
    if bundle:
        label2 = f"Roster no-change re-sync, same bundle (median of {RESYNC_REPEATS})"
        ceiling = (f"COPY TO of the same rows {fmt_s(ceil_read)}" if ceil_read is not None
                   else ceil_why)
        if isinstance(resync, float):
            row(label2, fmt_s(resync), ceiling, f"≤ {RESYNC_TARGET_S:g} s",
                "PASS" if resync <= RESYNC_TARGET_S else "FAIL")
        else:
            row(label2, resync, ceiling, f"≤ {RESYNC_TARGET_S:g} s", "FAIL")
    elif ceil_load:
        row("(raw COPY of the county CSVs)", "", f"COPY {fmt_s(ceil_load[0])}", "", "n/a")
    return bundle


# --- 2. gateway vs nginx -----------------------------------------------------------------------

def wrk(url):
    """Requests/s of one wrk run; raises when wrk fails or saw errors only."""
    p = run(["wrk", *WRK_ARGS, url], timeout=60)
    out = p.stdout + p.stderr
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if p.returncode != 0 or not m:
        raise BenchError(f"wrk exited {p.returncode}: {out.strip()[-300:]}")
    rate = float(m.group(1))
    total = re.search(r"(\d+) requests in", out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sockerr = re.search(r"Socket errors: (.*)", out)
    lat = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", out)
    notes = []
    if non2xx:
        notes.append(f"{non2xx.group(1)} non-2xx")
    if sockerr:
        notes.append("socket errors " + sockerr.group(1).strip())
    say(f"   {url}: {rate:,.0f} req/s, {total.group(1) if total else '?'} requests"
        + (f", latency avg {lat.group(1)} max {lat.group(3)}" if lat else "")
        + (f"; {'; '.join(notes)}" if notes else ""))
    if total and non2xx and int(non2xx.group(1)) >= int(total.group(1)):
        raise BenchError(f"every response was an error ({non2xx.group(1)} non-2xx)")
    return rate, notes


def nginx_conf(d, running_as_root):
    host, port = split_addr(NGINX_ADDR)
    v = run(["nginx", "-V"], timeout=10)
    info = v.stdout + v.stderr
    temp = "\n".join(f"    {m}_temp_path {d / m};" for m in ("client_body", "proxy", "fastcgi",
                                                              "uwsgi", "scgi")
                     if m == "client_body" or f"--without-http_{m}_module" not in info)
    return f"""# the bench's TLS baseline: written and removed by the bench
{'user root;' if running_as_root else ''}
worker_processes 2;
pid {d / 'nginx.pid'};
error_log {d / 'error.log'} warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
{temp}
    keepalive_requests 100000;
    server {{
        listen {host}:{port} ssl;
        ssl_certificate {TLS_CERT};
        ssl_certificate_key {TLS_KEY};
        ssl_protocols TLSv1.2 TLSv1.3;
        location / {{ default_type text/plain; return 200 "ok\\n"; }}
    }}
}}
"""


def port_busy(addr):
    host, port = split_addr(addr)
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((host, port)) == 0


class Nginx:
    def __init__(self):
        self.dir = VAR / "nginx"
        self.conf = self.dir / "nginx.conf"
        self.pid = None

    def start(self):
        if port_busy(NGINX_ADDR):
            raise BenchError(f"{NGINX_ADDR} is already in use")
        self.dir.mkdir(parents=True, exist_ok=True)
        self.conf.write_text(nginx_conf(self.dir, os.geteuid() == 0))
        p = run(["nginx", "-c", str(self.conf), "-p", str(self.dir)], timeout=30)
        if p.returncode != 0:
            log = (self.dir / "error.log")
            tail = log.read_text()[-400:] if log.exists() else ""
            raise BenchError(f"nginx exited {p.returncode}: {(p.stderr + tail).strip()[-400:]}")
        pidfile = self.dir / "nginx.pid"
        for _ in range(50):
            if pidfile.exists() and pidfile.read_text().strip():
                break
            time.sleep(0.1)
        self.pid = int(pidfile.read_text().split()[0])
        say(f"   nginx started (pid {self.pid}, {self.conf.relative_to(ROOT)})")
        status, data, _ = https("GET", NGINX_ADDR, "/", timeout=10)
        if status != 200 or data != b"ok\n":
            raise BenchError(f"nginx answered {status} {data[:80]!r}")

    def stop(self):
        if self.pid is None:
            return
        pid, self.pid = self.pid, None
        try:
            os.kill(pid, signal.SIGQUIT)
        except ProcessLookupError:
            return
        for _ in range(100):
            if not alive(pid):
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)
        (self.dir / "nginx.pid").unlink(missing_ok=True)
        say(f"   nginx stopped (pid {pid})")


def bench_gateway():
    global section
    section = 2
    step(f"gateway: wrk {' '.join(WRK_ARGS)} https://{HTTPS_ADDR}/healthz")
    label = "Gateway HTTPS GET /healthz, wrk -t2 -c64 -d10s, keep-alive (req/s)"
    target = f"≥ {GATEWAY_TARGET_RATIO:.0%} of nginx"
    if not shutil.which("wrk"):
        say("!! wrk is not installed (apt-get install wrk): gateway measurement skipped")
        row(label, "error: wrk not installed", "", target, "n/a")
        return
    ours = ours_notes = None
    try:
        ours, ours_notes = wrk(f"https://{HTTPS_ADDR}/healthz")
    except Exception as e:  # noqa: BLE001
        row(label, failed("wrk against the gateway", e), "", target, "FAIL")
        return

    step(f"gateway ceiling: nginx `return 200` over TLS, same certificate, on {NGINX_ADDR}")
    theirs = None
    why = ""
    if not shutil.which("nginx"):
        say("!! nginx is not installed (apt-get install nginx-light): the nginx baseline is skipped")
        why = "nginx not installed"
    else:
        ng = Nginx()
        try:
            ng.start()
            theirs, _ = wrk(f"https://{NGINX_ADDR}/")
        except Exception as e:  # noqa: BLE001
            why = failed("nginx baseline", e)
        finally:
            try:
                ng.stop()
            except Exception as e:  # noqa: BLE001
                failed("stopping nginx", e)
    cell = f"{ours:,.0f} req/s" + (f" ({'; '.join(ours_notes)})" if ours_notes else "")
    if theirs:
        ratio = ours / theirs
        row(label, cell + f" = {ratio:.0%} of nginx", f"nginx {theirs:,.0f} req/s", target,
            "PASS" if ratio >= GATEWAY_TARGET_RATIO and not ours_notes else "FAIL")
    else:
        row(label, cell, why, target, "n/a")


# --- 3. bus -----------------------------------------------------------------------------------------

def bench_bus_run(args, timeout):
    exe = BIN / "yanxiu-bench-bus"
    if not exe.exists():
        raise BenchError(f"{exe.relative_to(ROOT)} missing (make all)")
    p = run([str(exe), ROSTER_ENDPOINT, *args], timeout=timeout)
    line = (p.stdout.strip().splitlines() or [""])[-1]
    kv = dict(re.findall(r"(\w+)=([^\s]+)", line))
    if p.returncode != 0 or "rate" not in kv:
        raise BenchError(f"yanxiu-bench-bus exited {p.returncode}: "
                         f"{(p.stdout + p.stderr).strip()[-300:]}")
    say(f"   {line}")
    return kv


def bench_bus():
    global section
    section = 3
    label = f"Bus round trip (DEALER → roster ROUTER, ping), open loop {fmt_int(BUS_RATE)} req/s for {BUS_SECONDS} s (p99)"
    target = f"p99 ≤ {BUS_P99_TARGET_MS:g} ms"
    step(f"bus: yanxiu-bench-bus {ROSTER_ENDPOINT} {BUS_RATE} {BUS_SECONDS}")
    cell = verdict = None
    time.sleep(2)  # let the connections of the previous benchmark wind down first
    try:
        kv = bench_bus_run([str(BUS_RATE), str(BUS_SECONDS)], BUS_SECONDS + 60)
        p99 = float(kv["p99_ms"])
        fails = int(kv.get("failed", "0"))
        cell = (f"p99 {p99:.2f} ms (p50 {float(kv['p50_ms']):.2f}, max {float(kv['max_ms']):.2f}; "
                f"{kv.get('ok', '?')} ok, {fails} failed)")
        verdict = "PASS" if p99 <= BUS_P99_TARGET_MS and fails == 0 else "FAIL"
    except Exception as e:  # noqa: BLE001
        cell, verdict = failed("bus open loop", e), "FAIL"
    step(f"bus ceiling: yanxiu-bench-bus {ROSTER_ENDPOINT} max {BUS_MAX_SECONDS} {BUS_MAX_IN_FLIGHT}")
    try:
        kv = bench_bus_run(["max", str(BUS_MAX_SECONDS), str(BUS_MAX_IN_FLIGHT)], BUS_MAX_SECONDS + 60)
        ceiling = (f"closed loop, {BUS_MAX_IN_FLIGHT} in flight: {float(kv['rate']):,.0f} round trips/s"
                   + (f" ({kv['failed']} failed)" if kv.get("failed", "0") != "0" else ""))
    except Exception as e:  # noqa: BLE001
        ceiling = failed("bus closed loop", e)
    row(label, cell, ceiling, target, verdict)


# --- 4. memory ------------------------------------------------------------------------------------

def idle_memory(pids):
    global section
    section = 4
    step("memory: VmRSS of each daemon, idle right after start-up")
    for svc, pid in pids.items():
        label = f"{svc}: VmRSS idle after start-up"
        try:
            kb = proc_status(pid)["VmRSS"]
            say(f"   {svc} (pid {pid}): {mib(kb):.1f} MiB")
            row(label, f"{mib(kb):.1f} MiB", "", f"≤ {IDLE_RSS_TARGET_MIB} MiB",
                "PASS" if mib(kb) <= IDLE_RSS_TARGET_MIB else "FAIL")
        except Exception as e:  # noqa: BLE001
            row(label, failed(f"{svc} idle RSS", e), "", f"≤ {IDLE_RSS_TARGET_MIB} MiB", "FAIL")


def soak(bundle, token, pids, seconds):
    global section
    section = 4
    step(f"memory soak: re-syncing the county bundle for {seconds} s (SOAK_SECONDS)")
    target = f"growth ≤ {SOAK_GROWTH_FLAG_MIB} MiB"
    if bundle is None or not token:
        for svc in pids:
            row(f"{svc}: RSS over a {seconds} s re-sync soak", "error: no bundle or no key", "",
                target, "n/a")
        return

    def sample():
        out = {}
        for svc, pid in pids.items():
            try:
                out[svc] = proc_status(pid)["VmRSS"]
            except BenchError:
                out[svc] = None
        return out

    # start and end are both sampled idle, a moment after the last request: the roster answers
    # before it frees a sync's memory, so a sample taken on the answer catches it mid-way
    time.sleep(SOAK_SETTLE_S)
    start = sample()
    peak = dict(start)
    last = start
    syncs = errors = 0
    first_error = ""
    t_sync = []
    t_end = time.monotonic() + seconds
    next_report = time.monotonic() + 15
    while time.monotonic() < t_end:
        try:
            status, data, t = sync(bundle, token)
            check_sync(bundle, status, data, "unchanged")
            t_sync.append(t)
        except Exception as e:  # noqa: BLE001
            errors += 1
            if not first_error:
                first_error = str(e)[:200]
                say(f"!! soak sync #{syncs + 1} failed: {first_error}")
            time.sleep(0.5)  # a dead service must not turn this into a busy loop
        syncs += 1
        last = sample()
        for svc, kb in last.items():
            if kb is not None and (peak.get(svc) or 0) < kb:
                peak[svc] = kb
        if time.monotonic() >= next_report:
            next_report += 15
            say(f"   {syncs} syncs; RSS " + ", ".join(
                f"{s} {mib(k):.1f} MiB" if k else f"{s} gone" for s, k in last.items()))
    time.sleep(SOAK_SETTLE_S)
    last = sample()
    say(f"   {syncs} syncs ({errors} failed)"
        + (f", sync median {statistics.median(t_sync):.3f} s, max {max(t_sync):.3f} s" if t_sync else ""))
    for svc in pids:
        label = f"{svc}: VmRSS over a {seconds} s no-change re-sync soak"
        s, e, pk = start.get(svc), last.get(svc), peak.get(svc)
        if s is None or e is None:
            row(label, "error: the daemon is gone", "", target, "FAIL")
            say(f"!! {svc} is not running any more")
            continue
        growth = mib(e - s)
        cell = (f"{mib(s):.1f} → {mib(e):.1f} MiB ({growth:+.1f}; peak {mib(pk):.1f}) "
                f"over {syncs} syncs" + (f", {errors} failed" if errors else ""))
        verdict = "FLAG" if growth > SOAK_GROWTH_FLAG_MIB else ("FAIL" if errors else "PASS")
        row(label, cell, "", target, verdict)
    if first_error:
        row("(soak sync errors)", f"{errors} of {syncs}: {first_error[:80]}".replace("|", "/"),
            "", "none", "FAIL")


def high_water(pids):
    global section
    section = 4
    step("memory: VmHWM of each daemon after all benchmarks")
    for svc, pid in pids.items():
        label = f"{svc}: VmHWM after all benchmarks"
        try:
            kb = proc_status(pid)["VmHWM"]
            say(f"   {svc} (pid {pid}): {mib(kb):.1f} MiB")
            row(label, f"{mib(kb):.1f} MiB", "", f"≤ {HWM_TARGET_MIB} MiB",
                "PASS" if mib(kb) <= HWM_TARGET_MIB else "FAIL")
        except Exception as e:  # noqa: BLE001
            row(label, failed(f"{svc} VmHWM", e), "", f"≤ {HWM_TARGET_MIB} MiB", "FAIL")


# --- the run ------------------------------------------------------------------------------------

def machine():
    cpu = "?"
    try:
        m = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        cpu = m.group(1).strip() if m else "?"
    except OSError:
        pass
    try:
        pg = psql("SHOW server_version;", timeout=20).strip()
    except Exception as e:  # noqa: BLE001
        pg = f"? ({e})"
    try:
        mem = re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
        mem = f"{int(mem.group(1)) / MiB:.1f} GiB RAM"
    except (OSError, AttributeError):
        mem = "? RAM"
    return f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {cpu}, {mem}; PostgreSQL {pg}"


def print_table(started_load, soak_seconds):
    say("\n## yanxiu benchmarks\n")
    say(f"Machine: {MACHINE}  ")
    say(f"Load average (1/5/15 min): {started_load} at the start, {loadavg()} at the end "
        "(other work on the machine skews every number).  ")
    say(f"Soak: {soak_seconds} s (SOAK_SECONDS).\n")
    head = ("measure", "yanxiu", "ceiling measured in the same run", "target", "verdict")
    say("| " + " | ".join(head) + " |")
    say("|" + "|".join("---" for _ in head) + "|")
    for r in sorted(rows, key=lambda r: r[0]):
        say("| " + " | ".join(str(c) if c else "—" for c in r[1:]) + " |")
    say()


MACHINE = ""


def main():
    global MACHINE, section
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--token-file", required=True, help="bearer token of a county_admin key")
    args = ap.parse_args()
    try:
        soak_seconds = int(os.environ.get("SOAK_SECONDS", "60"))
        if soak_seconds < 0:
            raise ValueError
    except ValueError:
        say(f"!! SOAK_SECONDS={os.environ.get('SOAK_SECONDS')!r} is not a whole number of seconds: using 60")
        soak_seconds = 60
    # BENCH_ONLY=credits,bus: just those (the roster sync always runs: the rest needs its county)
    only = set((os.environ.get("BENCH_ONLY") or "gateway,bus,credits,soak").split(","))
    token = ""
    try:
        token = Path(args.token_file).read_text().strip()
    except OSError as e:
        say(f"!! cannot read the token: {e}")

    started_load = loadavg()
    pids = daemons()
    MACHINE = machine()
    say(f"\n== machine: {MACHINE}")
    say(f"== load average (1/5/15 min): {started_load}")
    say(f"== daemons: " + ", ".join(f"{s} pid {p}" for s, p in pids.items()))

    idle_memory(pids)  # first: right after start-up
    bundle = bench_roster(token)
    # the gateway and the bus before the credits load: its ledger work goes on in the
    # background for a while after the last statement and would be measured with them
    if "gateway" in only:
        bench_gateway()
    if "bus" in only:
        bench_bus()
    section = 1.5  # credits rows after the roster's: they need its 10,000 teachers loaded
    if "credits" in only:
        bench_credits.run(token, row, say, step, failed, psql)
    if "soak" in only:
        soak(bundle, token, pids, soak_seconds)
    high_water(pids)
    gone = [s for s, p in pids.items() if not alive(p)]
    if gone:
        loud("daemons not running any more at the end: " + ", ".join(gone)
             + " (see build/bench-var/log/)")
    print_table(started_load, soak_seconds)
    return 0


def on_term(signum, frame):
    # unwinds like an exception: subprocess.run kills its child, finally blocks stop nginx
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, on_term)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        say("\ninterrupted")
        sys.exit(130)
