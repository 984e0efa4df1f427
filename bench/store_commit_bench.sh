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
source "$here/bench/pg_temp.sh"
pg_init
for sync in on off; do
  pg_start "-c synchronous_commit=$sync"
  pg_sql postgres "DROP DATABASE IF EXISTS bench" >/dev/null
  pg_sql postgres "CREATE DATABASE bench" >/dev/null
  echo "== PostgreSQL synchronous_commit=$sync"
  SELFHEAL_BENCH_PG_DSN="$(pg_dsn bench)" SELFHEAL_BENCH_PG_LABEL="synchronous_commit=$sync, unix socket" \
    "$bench" "$BATCHES"
  pg_stop
done
