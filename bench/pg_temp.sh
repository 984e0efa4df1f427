# Sourced by the PostgreSQL benches: a throwaway server from Debian's packages (initdb + pg_ctl in a
# temp dir, unix socket only, as `nobody` when run as root; PostgreSQL refuses to run as root).
#   pg_init                  initdb into $PG_WORK/data (sets PG_WORK, PG_PORT, pgbin; stops on EXIT)
#   pg_start [-c key=value]  starts it;   pg_stop   stops it
#   pg_sql DB SQL            runs one statement, prints the result unaligned
#   pg_dsn DB                the libpq connection string of DB
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
as_pg=()
if [[ $(id -u) -eq 0 ]]; then as_pg=(setpriv --reuid=nobody --regid=nogroup --clear-groups --); fi

pg_init() {
  [[ -n "$pgbin" ]] || { echo "PostgreSQL is not installed (scripts/install-deps.sh)" >&2; exit 2; }
  PG_WORK=$(mktemp -d /tmp/selfheal-pg-bench.XXXXXX)
  chmod 777 "$PG_WORK"
  PG_PORT=$((20000 + RANDOM % 20000))
  trap pg_cleanup EXIT
  "${as_pg[@]}" "$pgbin/initdb" -D "$PG_WORK/data" -U selfheal --auth=trust --locale=C -E UTF8 >/dev/null
}
pg_cleanup() {
  [[ -n "${PG_CLEANUP_EXTRA:-}" ]] && eval "$PG_CLEANUP_EXTRA"
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$PG_WORK/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_WORK"
}
pg_start() {
  local opts="-p $PG_PORT -k $PG_WORK -c listen_addresses="
  for o in "$@"; do opts+=" $o"; done
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$PG_WORK/data" -l "$PG_WORK/server.log" -w -o "$opts" start >/dev/null
}
pg_stop() { "${as_pg[@]}" "$pgbin/pg_ctl" -D "$PG_WORK/data" -m fast -w stop >/dev/null; }
pg_sql() {
  PGOPTIONS="-c client_min_messages=warning" "${as_pg[@]}" "$pgbin/psql" -h "$PG_WORK" -p "$PG_PORT" -U selfheal \
    -d "$1" -qAtc "$2"
}
pg_dsn() { echo "host=$PG_WORK port=$PG_PORT user=selfheal dbname=$1"; }
