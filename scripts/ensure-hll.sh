#!/usr/bin/env bash
# Reports need PostgreSQL's `hll` extension. On a Debian/Ubuntu box where we are root and the local
# PostgreSQL lacks it, install the matching package; otherwise say plainly what is missing.
set -euo pipefail
url="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/nudgeflow}"
admin="${url%/*}/postgres"
has() { [ "$(psql "$admin" -Atc "SELECT count(*) FROM pg_available_extensions WHERE name = 'hll'" 2>/dev/null)" = "1" ]; }
command -v psql >/dev/null || exit 0 # no client to ask with: the migration will say it if hll is missing
has && exit 0
major="$(psql "$admin" -Atc "SHOW server_version_num" | cut -c1-2)"
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "installing postgresql-${major}-hll (needed by reports)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-${major}-hll" >/dev/null
  has && exit 0
fi
echo "PostgreSQL at ${admin} lacks the hll extension: install postgresql-${major}-hll (Debian/Ubuntu) or use the citusdata/citus image" >&2
exit 1
