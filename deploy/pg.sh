#!/usr/bin/env bash
# A private PostgreSQL cluster for development and tests, under $YANXIU_VAR_DIR/pg.
# Usage: pg.sh init|start|stop|status     (all idempotent)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
var=${YANXIU_VAR_DIR:-var}
case $var in /*) ;; *) var=$root/$var ;; esac
port=${YANXIU_PG_PORT:-15432}
pgdir=$var/pg

# newest installed server version, unless told
bin=${YANXIU_PG_BIN:-$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin 2>/dev/null | sort -V | tail -n 1)}
if [ ! -x "$bin/pg_ctl" ]; then
    echo "pg.sh: no PostgreSQL server found under /usr/lib/postgresql (deploy/deps.sh install)" >&2
    exit 1
fi

# initdb refuses to run as root: root runs everything as the postgres user.
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# As root, the postgres user must be able to reach the cluster. When the repository sits where
# it cannot (e.g. under /root), keep the cluster in a directory of its own and link it from var/pg.
# A missing link means a wiped var dir, so the cluster behind it is stale and starts afresh.
locate() {
    if [ "$(id -u)" -ne 0 ] || [ -L "$pgdir" ]; then return; fi
    mkdir -p "$var"
    if runuser -u postgres -- test -x "$var"; then return; fi
    local alt
    alt=/var/tmp/yanxiu-pg-$(printf '%s' "$pgdir" | cksum | cut -d' ' -f1)
    if [ -e "$pgdir" ]; then
        echo "pg.sh: the postgres user cannot reach $pgdir; use a YANXIU_VAR_DIR it can reach" >&2
        exit 1
    fi
    rm -rf "$alt"
    mkdir -p "$alt"
    ln -s "$alt" "$pgdir"
}

locate
pgdir=$(readlink -f "$pgdir" 2>/dev/null || echo "$pgdir")
data=$pgdir/data
sock=$pgdir/run
# a Unix socket path may not exceed 107 bytes: fall back to a short private dir when deep
if [ ${#sock} -gt 90 ]; then sock=/tmp/yanxiu-pg-$(printf '%s' "$pgdir" | cksum | cut -d' ' -f1); fi
log=$data/postgresql.log

running() { [ -f "$data/PG_VERSION" ] && as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; }

init() {
    mkdir -p "$pgdir"
    if [ ! -f "$data/PG_VERSION" ]; then
        mkdir -p "$data"
        chmod 700 "$data"
        if [ "$(id -u)" -eq 0 ]; then chown postgres: "$pgdir" "$data"; fi
        # text compares byte by byte (C collation): the order C.UTF-8 gives too (code points),
        # without a strcoll() on every B-tree comparison of the keys statements are stored under
        as_pg "$bin/initdb" -D "$data" -U postgres --encoding=UTF8 --locale=C.UTF-8 --lc-collate=C \
            --auth=trust >"$pgdir/initdb.log" 2>&1 || {
            cat "$pgdir/initdb.log" >&2
            exit 1
        }
        # trust is fine here: the cluster only listens on loopback and a 0700 socket dir
        as_pg tee "$data/pg_hba.conf" >/dev/null <<'EOF'
local all all               trust
host  all all 127.0.0.1/32  trust
EOF
        echo "include_if_exists = 'yanxiu.conf'" | as_pg tee -a "$data/postgresql.conf" >/dev/null
    fi
    # rewritten every time so a changed port or var dir takes effect on the next start
    as_pg tee "$data/yanxiu.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sock'
max_connections = 100
shared_buffers = 256MB
# benchmarks must measure durable commits
fsync = on
synchronous_commit = on
# checkpoints far apart: every page an ingest touches first after a checkpoint is written
# to the WAL whole, and at the default 1 GB a checkpoint came every 20 s of steady ingest
max_wal_size = 4GB
checkpoint_timeout = 15min
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
log_min_duration_statement = 1000
EOF
}

start() {
    init
    # /tmp may have been cleaned since the last start
    as_pg mkdir -p "$sock"
    as_pg chmod 700 "$sock"
    if ! running; then
        as_pg "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 start >/dev/null || {
            echo "pg.sh: PostgreSQL did not start; end of $log:" >&2
            tail -n 20 "$log" >&2
            exit 1
        }
    fi
    # the application role: may log in and owns its database, nothing more
    as_pg "$bin/psql" -h "$sock" -p "$port" -U postgres -d postgres -qAt -v ON_ERROR_STOP=1 <<'EOF'
SELECT 'CREATE ROLE yanxiu LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'yanxiu')
\gexec
SELECT 'CREATE DATABASE yanxiu OWNER yanxiu ENCODING ''UTF8''' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'yanxiu')
\gexec
EOF
    echo "PostgreSQL up on 127.0.0.1:$port (data $data)"
}

stop() {
    if running; then
        as_pg "$bin/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
        echo "PostgreSQL stopped"
    fi
}

status() {
    if running; then
        echo "PostgreSQL running on 127.0.0.1:$port (data $data)"
    else
        echo "PostgreSQL not running"
        return 3
    fi
}

case ${1:-} in
init) init ;;
start) start ;;
stop) stop ;;
status) status ;;
*)
    echo "usage: $0 init|start|stop|status" >&2
    exit 2
    ;;
esac
