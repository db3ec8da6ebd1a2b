#!/usr/bin/env bash
# Makes sure PostgreSQL's server binaries (initdb, pg_ctl) and the btree_gist extension are
# present for the tests, which start their own private server (tests/support/pg.rs). They are
# part of the machine image; on a machine without them, installs the distribution's package.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    exit 0
fi
echo "PostgreSQL server binaries not found under /usr/lib/postgresql and cannot install them" >&2
exit 1
