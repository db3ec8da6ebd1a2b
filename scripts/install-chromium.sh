#!/usr/bin/env bash
# Debian's Chromium and chromedriver for the dashboard's browser test (tests/e2e/dashboard.rs).
# Idempotent: returns at once when both are installed; otherwise installs them with apt-get
# (as root, or through sudo when there is one).
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
command -v chromium >/dev/null && command -v chromedriver >/dev/null
