#!/usr/bin/env bash
# The `make test` harness: starts a throwaway stack, runs the unit test binaries (those that need
# PostgreSQL use the stack's), then the end-to-end suite against the stack.
# Usage: tests/run.sh [--unit-only|--e2e-only] [build/test/test_* ...]
#        E2E_TESTS="crash xapi" tests/run.sh --e2e-only   # only the end-to-end tests named so
# Ends with one line "N passed, N failed"; exits non-zero when anything failed or did not run.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

unit=1 e2e=1
case ${1:-} in
--unit-only) e2e=0 && shift ;;
--e2e-only) unit=0 && shift ;;
esac

passed=0 failed=0

# sum_of PATTERN FILE: the counts of every matching line, e.g. "[  PASSED  ] 3 test(s)."
# (a binary with several cmocka groups prints one such line per group)
sum_of() {
    { grep -aoE "$1" "$2" || true; } | { grep -oE '[0-9]+' || true; } | awk '{s += $1} END {print s + 0}'
}

stack_up=0 stack_ok=0
stop_stack() {
    if [ "$stack_up" = 1 ]; then
        stack_up=0
        deploy/stack.sh down || true
    fi
}

if [ "$e2e" = 1 ]; then
    # a throwaway stack of its own, beside (not instead of) a developer's `make up`
    export YANXIU_VAR_DIR=$root/build/test-var
    export YANXIU_PG_PORT=15442
    export YANXIU_HTTPS_ADDR=127.0.0.1:8444
    export YANXIU_ROSTER_ENDPOINT=tcp://127.0.0.1:5611
    export YANXIU_CREDITS_ENDPOINT=tcp://127.0.0.1:5612
    export YANXIU_BUS_TIMEOUT_MS=5000
    export YANXIU_DB_URL=postgresql://yanxiu@127.0.0.1:$YANXIU_PG_PORT/yanxiu
    export YANXIU_TLS_CERT=$YANXIU_VAR_DIR/tls/cert.pem
    export YANXIU_TLS_KEY=$YANXIU_VAR_DIR/tls/key.pem
    export YANXIU_REPO=$root
    unset YANXIU_ROSTER_BIND YANXIU_CREDITS_BIND

    # a previous run killed half-way may have left its stack running: stop it before wiping
    if [ -d "$YANXIU_VAR_DIR" ]; then deploy/stack.sh down >/dev/null 2>&1 || true; fi
    rm -rf "$YANXIU_VAR_DIR"
    trap stop_stack EXIT
    stack_up=1
    if deploy/stack.sh up; then
        stack_ok=1
    else
        echo "FAIL the test stack did not come up"
        failed=$((failed + 1))
    fi
fi

if [ "$unit" = 1 ]; then
    # the unit tests that need PostgreSQL use the stack's (they skip without one)
    if [ "$stack_ok" = 1 ]; then export YANXIU_TEST_DB_URL=${YANXIU_TEST_DB_URL:-$YANXIU_DB_URL}; fi
    export CMOCKA_MESSAGE_OUTPUT=stdout
    for t in "$@"; do
        out=$(mktemp)
        rc=0
        "$t" 2>&1 | tee "$out" || rc=$?
        p=$(sum_of '^\[  PASSED  \] [0-9]+ test' "$out")
        f=$(sum_of '^\[  FAILED  \] [0-9]+ test' "$out")
        # a crash (sanitizer, signal) before or after the summary is a failure of its own
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
            echo "FAIL $t exited with status $rc"
            f=1
        fi
        passed=$((passed + p)) failed=$((failed + f))
        rm -f "$out"
    done
    if [ $# -eq 0 ]; then echo "no unit test binaries given"; fi
fi

if [ "$stack_ok" = 1 ]; then
    out=$(mktemp)
    rc=0
    # shellcheck disable=SC2086 # a list of name fragments
    python3 tests/e2e/run_all.py ${E2E_TESTS:-} 2>&1 | tee "$out" || rc=$?
    line=$(grep -aE '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1 || true)
    p=0 f=0
    if [ -n "$line" ]; then read -r p _ f _ <<<"$line"; fi
    if [ -z "$line" ] || { [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; }; then
        echo "FAIL end-to-end suite did not complete (exit status $rc)"
        f=$((f + 1))
    fi
    if [ "$f" -gt 0 ]; then
        for log in "$YANXIU_VAR_DIR"/log/*.log; do
            [ -f "$log" ] || continue
            echo "--- last lines of $log"
            tail -n 40 "$log"
        done
    fi
    passed=$((passed + p)) failed=$((failed + f))
    rm -f "$out"
fi
stop_stack

# nothing counted at all means nothing ran, which is not a pass
if [ $((passed + failed)) -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
