#!/usr/bin/env bash
# Runs build/bench/store_commit_bench against SQLite and a throwaway PostgreSQL (Debian's packages:
# initdb + pg_ctl in a temp dir, unix socket only, as `nobody` when run as root), twice: with the
# server's durable defaults (synchronous_commit=on) and with synchronous_commit=off (the closer match
# to SQLite's WAL + synchronous NORMAL, which does not fsync every commit).
#   bench/store_commit_bench.sh [BUILD_DIR] [BATCHES]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
BUILD=${1:-build}
BATCHES=${2:-200}
case "$BUILD" in /*) bdir=$BUILD ;; *) bdir="$here/$BUILD" ;; esac
bench="$bdir/bench/store_commit_bench"
[[ -x "$bench" ]] || { echo "missing $bench (build the store_commit_bench target)" >&2; exit 2; }
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -n "$pgbin" ]] || { echo "PostgreSQL is not installed (scripts/install-deps.sh)" >&2; exit 2; }
work=$(mktemp -d /tmp/selfheal-pg-bench.XXXXXX)
chmod 777 "$work"
as_pg=()
if [[ $(id -u) -eq 0 ]]; then as_pg=(setpriv --reuid=nobody --regid=nogroup --clear-groups --); fi
port=$((20000 + RANDOM % 20000))
cleanup() { "${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/data" -m fast -w stop >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
"${as_pg[@]}" "$pgbin/initdb" -D "$work/data" -U selfheal --auth=trust --locale=C -E UTF8 >/dev/null
for sync in on off; do
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/data" -l "$work/server.log" -w \
    -o "-p $port -k $work -c listen_addresses= -c synchronous_commit=$sync" start >/dev/null
  PGOPTIONS="-c client_min_messages=warning" "${as_pg[@]}" "$pgbin/psql" -h "$work" -p "$port" -U selfheal -d postgres -qc "DROP DATABASE IF EXISTS bench" >/dev/null
  "${as_pg[@]}" "$pgbin/psql" -h "$work" -p "$port" -U selfheal -d postgres -qc "CREATE DATABASE bench" >/dev/null
  echo "== PostgreSQL synchronous_commit=$sync"
  SELFHEAL_BENCH_PG_DSN="host=$work port=$port user=selfheal dbname=bench" \
    SELFHEAL_BENCH_PG_LABEL="synchronous_commit=$sync, unix socket" "$bench" "$BATCHES"
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/data" -m fast -w stop >/dev/null
done
