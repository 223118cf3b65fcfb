#!/usr/bin/env bash
# The whole yanxiu stack on one machine: private PostgreSQL, TLS files and every daemon.
# Usage: stack.sh run|up|down|status|start SVC|stop SVC|kill SVC     (SVC: roster credits gateway)
#   up    start everything in the background, return when /readyz is green
#   down  stop the daemons (TERM, KILL after 10 s) and PostgreSQL
#   run   up, load the demo county once, print what to try, wait for Ctrl-C, then down
#   kill  SIGKILL one daemon (crash tests)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# defaults of README's configuration table; exported so the daemons, pg.sh and yanxiuctl agree
var=${YANXIU_VAR_DIR:-var}
case $var in /*) ;; *) var=$root/$var ;; esac
export YANXIU_VAR_DIR=$var
export YANXIU_PG_PORT=${YANXIU_PG_PORT:-15432}
export YANXIU_HTTPS_ADDR=${YANXIU_HTTPS_ADDR:-127.0.0.1:8443}
export YANXIU_ROSTER_ENDPOINT=${YANXIU_ROSTER_ENDPOINT:-tcp://127.0.0.1:5601}
export YANXIU_CREDITS_ENDPOINT=${YANXIU_CREDITS_ENDPOINT:-tcp://127.0.0.1:5602}
export YANXIU_DB_URL=${YANXIU_DB_URL:-postgresql://yanxiu@127.0.0.1:$YANXIU_PG_PORT/yanxiu}
export YANXIU_TLS_CERT=${YANXIU_TLS_CERT:-$var/tls/cert.pem}
export YANXIU_TLS_KEY=${YANXIU_TLS_KEY:-$var/tls/key.pem}

services=(roster credits gateway) # start order; stopped in reverse
addr=$YANXIU_HTTPS_ADDR
base=https://$addr
logdir=$var/log
rundir=$var/run

say() { printf '%s\n' "$*"; }

# a zombie counts as gone: its parent (whoever adopted it) may be slow to reap it
alive() { ps -o stat= -p "$1" 2>/dev/null | grep -qv '^Z'; }

pid_of() { # prints the pid of a running SVC, fails when it is not running
    local f=$rundir/$1.pid pid
    [ -s "$f" ] || return 1
    pid=$(cat "$f")
    alive "$pid" || return 1
    echo "$pid"
}

check_svc() {
    case ${1:-} in
    roster | credits | gateway) ;;
    *)
        echo "stack.sh: unknown service '${1:-}' (roster, credits, gateway)" >&2
        exit 2
        ;;
    esac
}

start_svc() {
    local svc=$1 bin=$root/build/bin/yanxiu-$1 pid
    if pid=$(pid_of "$svc"); then
        say "$svc already running (pid $pid)"
        return
    fi
    [ -x "$bin" ] || {
        echo "stack.sh: $bin missing: run make all" >&2
        exit 1
    }
    mkdir -p "$logdir" "$rundir"
    # own session, so a Ctrl-C in the terminal reaches only this script, which stops them in order
    setsid "$bin" >>"$logdir/$svc.log" 2>&1 </dev/null &
    echo $! >"$rundir/$svc.pid"
    say "$svc started (pid $!, log $logdir/$svc.log)"
}

stop_svc() { # stop_svc SVC [SIGNAL]: TERM waits up to 10 s, then KILL
    local svc=$1 sig=${2:-TERM} pid i
    if ! pid=$(pid_of "$svc"); then
        rm -f "$rundir/$svc.pid"
        return
    fi
    kill -s "$sig" "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        alive "$pid" || break
        sleep 0.1
    done
    if alive "$pid"; then
        say "$svc did not stop within 10 s: KILL"
        kill -s KILL "$pid" 2>/dev/null || true
        while alive "$pid"; do sleep 0.1; done
    fi
    rm -f "$rundir/$svc.pid"
    say "$svc stopped ($sig)"
}

tails() {
    local svc
    for svc in "${services[@]}"; do
        [ -f "$logdir/$svc.log" ] || continue
        say "--- last lines of $logdir/$svc.log"
        tail -n 25 "$logdir/$svc.log"
    done
}

ready() { curl -fsk --max-time 2 -o /dev/null "$base/readyz"; }

up() {
    "$root/deploy/pg.sh" start
    "$root/deploy/tls.sh"
    local svc i
    for svc in "${services[@]}"; do start_svc "$svc"; done
    for ((i = 0; i < 60; i++)); do
        if ready; then
            say "yanxiu is up: $base"
            return
        fi
        for svc in "${services[@]}"; do
            pid_of "$svc" >/dev/null || {
                say "$svc exited during start-up"
                tails
                exit 1
            }
        done
        sleep 0.5
    done
    say "$base/readyz still not ready after 30 s"
    curl -sk --max-time 2 "$base/readyz" || true
    echo
    tails
    exit 1
}

down() {
    local i
    for ((i = ${#services[@]} - 1; i >= 0; i--)); do stop_svc "${services[i]}"; done
    "$root/deploy/pg.sh" stop
}

status() {
    local svc pid rc=0
    for svc in "${services[@]}"; do
        if pid=$(pid_of "$svc"); then say "$svc running (pid $pid)"; else
            say "$svc not running"
            rc=3
        fi
    done
    "$root/deploy/pg.sh" status || rc=3
    if ready; then say "$base/readyz: ready"; else
        say "$base/readyz: not ready"
        rc=3
    fi
    return $rc
}

# the demo county: generated and synced once per var dir; the two API keys are kept beside it
demo() {
    local d=$var/demo ctl=$root/build/bin/yanxiuctl
    mkdir -p "$d"
    chmod 700 "$d"
    if [ ! -s "$d/county-admin.token" ]; then
        "$ctl" key create --role county_admin | tail -n 1 >"$d/county-admin.token"
    fi
    if [ ! -s "$d/school-admin.token" ]; then
        "$ctl" key create --role school_admin --school s001 | tail -n 1 >"$d/school-admin.token"
    fi
    if [ ! -f "$d/loaded" ]; then
        say "loading the demo county (3 片区, 30 schools, 1,500 teachers)…"
        python3 "$root/deploy/demo/gen_county.py" --out "$d/county.zip"
        python3 "$root/deploy/demo/gen_county.py" --school-bundle s001 --out "$d/s001.zip"
        curl -sS -k --fail-with-body -o "$d/load.json" -H "Authorization: Bearer $(cat "$d/county-admin.token")" \
            -H 'Content-Type: application/zip' --data-binary "@$d/county.zip" \
            "$base/api/v1/roster/oneroster?mode=bulk" || {
            echo "stack.sh: loading the demo county failed" >&2
            cat "$d/load.json" >&2 2>/dev/null || true
            return 1
        }
        touch "$d/loaded"
    fi
}

what_to_try() {
    local d=$var/demo county school
    county=$(cat "$d/county-admin.token")
    school=$(cat "$d/school-admin.token")
    cat <<EOF

yanxiu is running at $base with a demo county. Try:

  # 片区 (districts) with their school counts, as the county admin
  curl -sk -H 'Authorization: Bearer $county' $base/api/v1/districts
  # the schools of 城关片区
  curl -sk -H 'Authorization: Bearer $county' '$base/api/v1/schools?district=d01'
  # 县第一中学's teachers and its 教研组/备课组, as that school's admin
  curl -sk -H 'Authorization: Bearer $school' '$base/api/v1/schools/s001/teachers?limit=5'
  curl -sk -H 'Authorization: Bearer $school' $base/api/v1/schools/s001/groups
  # re-sync the school's roster as a dry run (nothing is changed)
  curl -sk -H 'Authorization: Bearer $school' -H 'Content-Type: application/zip' --data-binary @$d/s001.zip '$base/api/v1/roster/oneroster?mode=bulk&dry_run=1'
  # a 国培 program for the county, and one teacher's transcript in it
  build/bin/yanxiuctl program create --template guopei-2015 --id gp2026 --name '国培计划 2026' --start 2026-09-01 --end 2026-12-31
  curl -sk -H 'Authorization: Bearer $county' $base/api/v1/programs/gp2026/teachers/t00001/transcript

Logs: $logdir/. Press Ctrl-C to stop everything.
EOF
}

run() {
    # whatever ends this script (Ctrl-C, TERM, a failed start) stops the stack
    trap 'trap - EXIT INT TERM; say; down' EXIT
    trap 'exit 130' INT TERM
    up
    demo
    what_to_try
    local svc
    while sleep 2; do
        for svc in "${services[@]}"; do
            pid_of "$svc" >/dev/null || {
                say "$svc exited"
                tails
                exit 1
            }
        done
    done
}

case ${1:-} in
run) run ;;
up) up ;;
down) down ;;
status) status ;;
start)
    check_svc "${2:-}"
    start_svc "$2"
    ;;
stop)
    check_svc "${2:-}"
    stop_svc "$2"
    ;;
kill)
    check_svc "${2:-}"
    stop_svc "$2" KILL
    ;;
*)
    echo "usage: $0 run|up|down|status|start SVC|stop SVC|kill SVC   (SVC: roster credits gateway)" >&2
    exit 2
    ;;
esac
