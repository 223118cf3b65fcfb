#!/usr/bin/env bash
# `make bench`: starts a throwaway stack under build/bench-var on ports of its own, runs
# tests/bench/bench.py against it and always stops it again (and the nginx baseline).
#
#   SOAK_SECONDS=600 make bench    # the 10-minute memory soak (default 60 s)
#   BENCH_ONLY=credits make bench  # only some parts: gateway, bus, credits, soak (the roster sync always runs)
#
# Measures: roster sync of a generated 300-school county (bulk and no-change re-sync) against a
# raw COPY of the same rows, gateway HTTPS req/s (wrk) against nginx with the same certificate,
# bus round-trip latency, daemon memory (idle, high-water mark, RSS growth over a re-sync soak),
# and the credits service (tests/bench/bench_credits.py, right after the roster sync: xAPI ingest
# against pgbench INSERTs, a 2,000-entry transcript, county progress over the 10,000 teachers).
# Prints one markdown table at the end. Exits non-zero only when the stack could not start
# (or the bench was interrupted); a failed measurement is reported in the table and skipped.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

# a throwaway stack that collides neither with `make run` (var/, 15432/8443/5601) nor `make test`;
# every port lies below Linux's ephemeral range (32768-60999), where an outgoing connection
# may hold it just when the cluster starts
var=$root/build/bench-var
export YANXIU_VAR_DIR=$var
export YANXIU_PG_PORT=15452
export YANXIU_HTTPS_ADDR=127.0.0.1:8445
export YANXIU_ROSTER_ENDPOINT=tcp://127.0.0.1:5621
export YANXIU_CREDITS_ENDPOINT=tcp://127.0.0.1:5622
export YANXIU_BUS_TIMEOUT_MS=120000
export YANXIU_DB_URL=postgresql://yanxiu@127.0.0.1:$YANXIU_PG_PORT/yanxiu
export YANXIU_TLS_CERT=$var/tls/cert.pem
export YANXIU_TLS_KEY=$var/tls/key.pem
export BENCH_NGINX_ADDR=127.0.0.1:8446
export SOAK_SECONDS=${SOAK_SECONDS:-60}

# stop_nginx: the baseline nginx, should bench.py have been killed before stopping it itself
stop_nginx() {
    local pidfile=$var/nginx/nginx.pid pid i
    [ -s "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    # only when that pid still is an nginx master (pid files outlive their process)
    if [ "$(ps -o comm= -p "$pid" 2>/dev/null)" = nginx ]; then
        kill -s QUIT "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -s KILL "$pid" 2>/dev/null || true
        echo "bench: stopped the nginx baseline (pid $pid)"
    fi
    rm -f "$pidfile"
}

# leftovers of an earlier bench that was killed before its trap ran
if [ -d "$var" ]; then
    stop_nginx
    deploy/stack.sh down >/dev/null 2>&1 || true
fi
rm -rf "$var"
mkdir -p "$var"

stack_started=0 bench_pid=
# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    # interrupted: bench.py stops what it runs (wrk, nginx) on TERM
    if [ -n "$bench_pid" ] && kill -0 "$bench_pid" 2>/dev/null; then
        kill -s TERM "$bench_pid" 2>/dev/null || true
        wait "$bench_pid" 2>/dev/null || true
    fi
    stop_nginx
    if [ "$stack_started" = 1 ]; then
        echo "bench: stopping the throwaway stack"
        deploy/stack.sh down || true
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "bench: starting a throwaway stack (state in build/bench-var, https://$YANXIU_HTTPS_ADDR, PostgreSQL on $YANXIU_PG_PORT)"
stack_started=1
if ! deploy/stack.sh up; then
    echo "bench: the stack could not start; nothing measured" >&2
    exit 1
fi

# a county administrator's key for the roster syncs; the token is the last line printed
token_file=$var/county-admin.token
if ! (umask 077 && build/bin/yanxiuctl key create --role county_admin | tail -n 1 >"$token_file") ||
    [ ! -s "$token_file" ]; then
    echo "bench: could not create a county_admin key: the roster measurements will fail" >&2
    : >"$token_file"
fi

# in the background, so that a signal reaches the trap at once rather than after the bench
python3 tests/bench/bench.py --token-file "$token_file" &
bench_pid=$!
rc=0
wait "$bench_pid" || rc=$?
bench_pid=
exit "$rc"
