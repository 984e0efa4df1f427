#!/usr/bin/env bash
# Issue 5, acceptance 3: kill -9 `selfheal serve` repeatedly while it ingests from Kafka, then check
# that every line was counted exactly once (none lost, none counted twice).
#
#   scripts/kafka-crash-test.sh [BUILD_DIR] [LINES] [CYCLES]     defaults: build 1000000 20
#
# Peers: librdkafka's mock cluster in its own process (selfheal_kafka_mock, 3 brokers, 32 partitions:
# the mock keeps only ~5 MB per partition)
# so that offsets and data survive the consumer's deaths; kcat produces from outside. The lines are
# plain text on 64 keys (streams interleave inside partitions), with a 4-line Java stack trace every
# 25th event, so multiline events are in flight when the process dies. The count is read from the
# SQLite store (source_counts) after a final clean stop. Exit 0 only if it is exactly LINES.
set -euo pipefail

BUILD=${1:-build}
LINES=${2:-1000000}
CYCLES=${3:-20}
here="$(cd "$(dirname "$0")/.." && pwd)"
SELFHEAL="$here/$BUILD/selfheal"
MOCK="$here/$BUILD/selfheal_kafka_mock"
for bin in "$SELFHEAL" "$MOCK"; do
  [[ -x "$bin" ]] || { echo "missing $bin (build targets selfheal and selfheal_kafka_mock)" >&2; exit 2; }
done
command -v kcat >/dev/null || { echo "kcat not installed" >&2; exit 2; }
command -v sqlite3 >/dev/null || { echo "sqlite3 not installed" >&2; exit 2; }

work=$(mktemp -d /tmp/selfheal-kafka-crash.XXXXXX)
mock_pid=""; serve_pid=""; producer_pid=""
cleanup() {
  for p in $producer_pid $serve_pid $mock_pid; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# ---- peers ----
"$MOCK" --brokers 3 --topic logs:32 >"$work/mock.out" 2>"$work/mock.err" &
mock_pid=$!
for _ in $(seq 1 500); do grep -q '^BOOTSTRAP ' "$work/mock.out" 2>/dev/null && break; sleep 0.01; done
bootstrap=$(sed -n 's/^BOOTSTRAP //p' "$work/mock.out")
[[ -n "$bootstrap" ]] || { echo "mock cluster did not start" >&2; cat "$work/mock.err" >&2; exit 1; }

cat >"$work/selfheal.yaml" <<EOF
server:
  listen: 127.0.0.1:0
storage:
  data_dir: $work/data
  flush_interval_ms: 100
log:
  level: warn
ingest:
  kafka:
    - name: kafka
      brokers: "$bootstrap"
      group_id: crash-test
      topics: [logs]
      format: text
      session_timeout_ms: 6000
      heartbeat_interval_ms: 500
      auto_commit_interval_ms: 200
      drain_timeout_ms: 4000
EOF

# ---- input: exactly LINES lines, produced in chunks while the consumer is being killed ----
python3 - "$LINES" "$work/input" <<'EOF'
import sys
total, out = int(sys.argv[1]), sys.argv[2]
keys = [f"host-{i}" for i in range(64)]
n = 0; ev = 0
chunk_lines = max(1, total // 100)
chunk = 0; lines_in_chunk = 0
f = open(f"{out}.{chunk:03d}", "w")
while n < total:
    key = keys[ev % len(keys)]
    if ev % 25 == 0 and total - n >= 5:
        rec = [f"2026-11-23T19:00:00.000Z ERROR worker {ev} failed: java.lang.IllegalStateException: boom {ev}"]
        rec += [f"\tat com.example.Worker.step{j}(Worker.java:{10 + j})" for j in range(4)]
    else:
        rec = [f"2026-11-23T19:00:00.000Z INFO worker {ev} handled request {n} in {n % 97} ms"]
    for line in rec:
        f.write(f"{key}|{line}\n")
    n += len(rec); lines_in_chunk += len(rec); ev += 1
    if lines_in_chunk >= chunk_lines and n < total:
        f.close(); chunk += 1; lines_in_chunk = 0
        f = open(f"{out}.{chunk:03d}", "w")
f.close()
EOF
(
  for f in "$work"/input.*; do
    kcat -P -b "$bootstrap" -t logs -K '|' -z none -l "$f" 2>>"$work/kcat.err"
    sleep 0.3   # a steady stream, so that kills land mid-ingest
  done
) &
producer_pid=$!

db="$work/data/selfheal.db"
count() { sqlite3 "file:$db?mode=ro" "SELECT COALESCE(SUM(lines),0) FROM source_counts WHERE source='kafka';" 2>/dev/null || echo 0; }

start_serve() {
  "$SELFHEAL" serve -c "$work/selfheal.yaml" >>"$work/serve.out" 2>>"$work/serve.err" &
  serve_pid=$!
}

# ---- kill -9 cycles ----
prev=0
for i in $(seq 1 "$CYCLES"); do
  start_serve
  # wait until this incarnation made progress (the dead member's session must time out first)
  deadline=$((SECONDS + 90))
  while (( $(count) <= prev )); do
    if (( SECONDS > deadline )); then
      if ! kill -0 "$producer_pid" 2>/dev/null && (( $(count) >= LINES )); then break; fi
      echo "cycle $i: no progress within 90 s" >&2; tail -20 "$work/serve.err" >&2; exit 1
    fi
    sleep 0.05
  done
  sleep "0.$((RANDOM % 9 + 1))"
  kill -9 "$serve_pid"; wait "$serve_pid" 2>/dev/null || true; serve_pid=""
  now=$(count)
  echo "cycle $i: killed -9 with $now lines counted"
  prev=$now
done

# ---- final run: let it finish, then stop cleanly ----
wait "$producer_pid" 2>/dev/null || true; producer_pid=""  # may already be reaped
start_serve
deadline=$((SECONDS + 180))
last=-1; stable=0
while (( SECONDS < deadline )); do
  c=$(count)
  if (( c == last )); then stable=$((stable + 1)); else stable=0; fi
  last=$c
  if (( c >= LINES && stable >= 20 )); then break; fi   # 20 x 0.1 s without change at or past the end
  sleep 0.1
done
kill -TERM "$serve_pid"; wait "$serve_pid" || true; serve_pid=""
final=$(count)
dead=$(sqlite3 "file:$db?mode=ro" "SELECT COUNT(*) FROM dead_letters;")
echo "final: $final lines counted, $LINES produced, $dead dead letters, $CYCLES kill -9 cycles"
if [[ "$final" == "$LINES" && "$dead" == "0" ]]; then
  echo "OK: exactly $LINES"
else
  echo "FAIL: expected exactly $LINES" >&2
  exit 1
fi
