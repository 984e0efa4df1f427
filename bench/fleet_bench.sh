#!/usr/bin/env bash
# Issue 18 bench: Kafka ingest throughput of 1 selfheal instance on SQLite and 1, 2, 3 instances in one
# consumer group on a shared PostgreSQL, in one run on the same input. LINES lines (default 200,000)
# are produced once with kcat into a 12-partition topic of librdkafka's mock cluster (its own
# process); each configuration then consumes the whole topic from the start (its own group id, its
# own empty database). Time: from the instances' start until the store counts every line. CPU: user +
# system seconds of every selfheal process, of PostgreSQL (all its processes) and of the mock cluster.
#   bench/fleet_bench.sh [BUILD_DIR] [LINES]
# 2-core limits: the instances, PostgreSQL and the broker share the same two cores, so more instances
# cannot add throughput here once the cores are busy; the figure that carries over to bigger machines
# is the CPU per 100,000 lines of each process, not the wall-clock ratio.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
BUILD=${1:-build}
LINES=${2:-200000}
case "$BUILD" in /*) bdir=$BUILD ;; *) bdir="$here/$BUILD" ;; esac
selfheal="$bdir/selfheal"
mock="$bdir/selfheal_kafka_mock"
for b in "$selfheal" "$mock"; do [[ -x "$b" ]] || { echo "missing $b (build selfheal and selfheal_kafka_mock)" >&2; exit 2; }; done
command -v kcat >/dev/null || { echo "kcat is not installed (scripts/install-deps.sh)" >&2; exit 2; }
source "$here/bench/pg_temp.sh"
pg_init
pg_start "-c max_connections=100"
pids=()
PG_CLEANUP_EXTRA='for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true'

"$mock" --brokers 3 --topic logs:12 >"$PG_WORK/mock.out" 2>&1 &
mock_pid=$!
pids+=("$mock_pid")
for _ in $(seq 100); do grep -q BOOTSTRAP "$PG_WORK/mock.out" && break; sleep 0.1; done
bootstrap=$(sed -n 's/^BOOTSTRAP //p' "$PG_WORK/mock.out")
[[ -n "$bootstrap" ]] || { echo "the mock cluster did not start" >&2; exit 1; }

# Keyed lines over 64 hosts: 70% INFO (counted only), two ERROR templates and one WARN (fingerprinted).
awk -v n="$LINES" 'BEGIN { for (i = 0; i < n; i++) {
  m = i % 10; h = "host-" (i % 64) "|";
  if (m == 3) print h "ERROR payment " i " failed: gateway timeout after " (i % 30) "s";
  else if (m == 6) print h "ERROR disk full on /var/lib/data" (i % 7) " (" (i % 1000) " bytes left)";
  else if (m == 9) print h "WARN slow query took " (i % 5000) " ms on table orders";
  else print h "INFO handled request " i " in " (i % 97) " ms" } }' >"$PG_WORK/lines.txt"
kcat -P -b "$bootstrap" -t logs -K '|' -z none -X linger.ms=50 "$PG_WORK/lines.txt"
echo "input: $LINES lines in topic logs (12 partitions, mock cluster $bootstrap); $(nproc) cores"

cpu_of() {  # user+system seconds of the given pids (ticks of /proc/PID/stat fields 14, 15)
  local t=0
  for p in "$@"; do [[ -r /proc/$p/stat ]] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
  awk -v t="$t" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }'
}
pg_pids() { local m; m=$(head -1 "$PG_WORK/data/postmaster.pid"); echo "$m $(pgrep -P "$m" | tr '\n' ' ')"; }
pg_cpu_total() {  # the server and its children, including exited backends (cutime/cstime of the postmaster)
  local m; m=$(head -1 "$PG_WORK/data/postmaster.pid")
  local t; t=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$m/stat")
  for p in $(pgrep -P "$m"); do [[ -r /proc/$p/stat ]] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
  awk -v t="$t" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }'
}

run() {  # run NAME TYPE INSTANCES
  local name=$1 type=$2 n=$3 dir="$PG_WORK/$1"
  mkdir -p "$dir"
  local storage="  type: sqlite"
  if [[ $type == postgres ]]; then
    pg_sql postgres "CREATE DATABASE $name" >/dev/null
    storage=$'  type: postgres\n  dsn_env: BENCH_DSN'
  fi
  cat >"$dir/config.yaml" <<YAML
storage:
$storage
fingerprint:
  learn_interval_ms: 0
ingest:
  kafka:
    - name: kafka
      brokers: "$bootstrap"
      group_id: $name
      topics: [logs]
      format: text
YAML
  local pg0 mock0 start end
  pg0=$(pg_cpu_total)
  mock0=$(cpu_of "$mock_pid")
  start=$(date +%s.%N)
  local inst=()
  for i in $(seq "$n"); do
    BENCH_DSN="$(pg_dsn "$name")" "$selfheal" serve --listen 127.0.0.1:0 --data-dir "$dir/i$i" \
      --config "$dir/config.yaml" >"$dir/i$i.log" 2>&1 &
    inst+=($!)
    pids+=($!)
  done
  local counted=0
  while ((counted < LINES)); do
    sleep 0.2
    if [[ $type == postgres ]]; then
      counted=$(pg_sql "$name" "SELECT coalesce(sum(lines), 0) FROM source_counts WHERE source = 'kafka'" || echo 0)
    else
      counted=$(sqlite3 -readonly "$dir/i1/selfheal.db" \
        "SELECT coalesce(sum(lines), 0) FROM source_counts WHERE source = 'kafka'" 2>/dev/null || echo 0)
    fi
    for p in "${inst[@]}"; do kill -0 "$p" 2>/dev/null || { echo "$name: instance $p exited" >&2; exit 1; }; done
  done
  end=$(date +%s.%N)
  local cpus=() total=0
  for p in "${inst[@]}"; do cpus+=("$(cpu_of "$p")"); done
  local pgc mockc
  pgc=$(awk -v a="$(pg_cpu_total)" -v b="$pg0" 'BEGIN { printf "%.2f", a - b }')
  mockc=$(awk -v a="$(cpu_of "$mock_pid")" -v b="$mock0" 'BEGIN { printf "%.2f", a - b }')
  for p in "${inst[@]}"; do kill -TERM "$p"; done
  for p in "${inst[@]}"; do wait "$p" || true; done
  awk -v name="$name" -v n="$LINES" -v s="$start" -v e="$end" -v cpus="${cpus[*]}" -v pg="$pgc" -v mk="$mockc" \
      -v type="$type" 'BEGIN {
    secs = e - s; split(cpus, c, " "); sum = 0; list = "";
    for (i in c) { sum += c[i] }
    for (i = 1; i <= length(c); i++) list = list (i > 1 ? " " : "") c[i];
    printf "%-12s %9.0f lines/s  %6.2f s   selfheal CPU s [%s] = %.2f (%.2f per 100k lines)   postgres %s s   broker %s s\n",
           name, n / secs, secs, list, sum, sum * 100000 / n, (type == "postgres" ? pg : "-"), mk }'
}

echo "configuration   throughput   wall     CPU (user+system) of each process"
run sqlite1 sqlite 1
run pg1 postgres 1
run pg2 postgres 2
run pg3 postgres 3
